//! The employer's and the register operator's calls over HTTP, and what tests read from the
//! answers.

use reqwest::{Response, StatusCode as HttpStatus};
use serde_json::Value;

use super::{Federation, TenantCredentials};

impl Federation {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.verifier_address)
    }

    /// A trust framework operator action (`POST` with the operator token).
    pub(crate) async fn tf_post(&self, path: &str, body: &Value) -> Response {
        let register = &self.harness.trust_framework;
        self.client
            .post(format!("{}{path}", register.url))
            .bearer_auth(register.token.expose())
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `POST /v1/checks` as the employer.
    pub(crate) async fn create_check(&self, body: &Value) -> Value {
        let response = self.post_check(&self.tenant, body).await;
        assert_eq!(response.status(), HttpStatus::CREATED);
        response.json().await.unwrap()
    }

    /// `POST /v1/checks` as `tenant`.
    pub(crate) async fn post_check(&self, tenant: &TenantCredentials, body: &Value) -> Response {
        self.client
            .post(self.url("/v1/checks"))
            .bearer_auth(&tenant.api_key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `GET path` as the employer.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.get_as(&self.tenant, path).await
    }

    /// `GET path` as `tenant`.
    pub(crate) async fn get_as(&self, tenant: &TenantCredentials, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&tenant.api_key)
            .send()
            .await
            .unwrap()
    }

    /// The verifier's published key for check records (`GET /.well-known/jwks.json`).
    pub(crate) async fn evidence_key(&self) -> idv_jose::PublicKey {
        let jwks: Value = self
            .client
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        idv_jose::PublicKey::from_jwk_value(&jwks["keys"][0]).unwrap()
    }

    /// `POST /v1/checks/{id}/confirmation` as the employer.
    pub(crate) async fn confirm(&self, id: &str, body: &Value) -> Response {
        self.client
            .post(self.url(&format!("/v1/checks/{id}/confirmation")))
            .bearer_auth(&self.tenant.api_key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The employer's view of a check.
    pub(crate) async fn check(&self, id: &str) -> Value {
        let response = self.get(&format!("/v1/checks/{id}")).await;
        assert_eq!(response.status(), HttpStatus::OK);
        response.json().await.unwrap()
    }
}

/// The `error` and `error_description` of an error response, after checking its status.
pub(crate) async fn error_body(response: Response, status: HttpStatus) -> (String, String) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// The reason codes of a check view.
pub(crate) fn reason_codes(check: &Value) -> Vec<String> {
    check["reasons"]
        .as_array()
        .map(|reasons| {
            reasons
                .iter()
                .map(|r| r["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
