//! The employer's and the register operator's calls over HTTP, and what tests read from the
//! answers.

use idv_federation::operator::TrustFrameworkOperator;
use reqwest::{Response, StatusCode as HttpStatus};
use serde_json::Value;

use super::{Federation, TenantCredentials};

pub(crate) use idv_test_support::responses::error_body;

impl Federation {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.verifier_address)
    }

    /// The register operator's API on the trust framework.
    pub(crate) fn operator(&self) -> TrustFrameworkOperator {
        self.harness.operator()
    }

    /// The register operator suspends provider `name` ("certificate under review").
    pub(crate) async fn suspend_provider(&self, name: &str) {
        let entry_id = self.providers[name].entry_id.as_deref().unwrap();
        self.operator()
            .suspend(entry_id, "certificate under review")
            .await
            .unwrap();
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

    /// `GET path` without credentials (a public document), checked `200`; its JSON.
    pub(crate) async fn public_json(&self, path: &str) -> Value {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), HttpStatus::OK, "{path}");
        response.json().await.unwrap()
    }

    /// The verifier's published key for check records (`GET /.well-known/jwks.json`).
    pub(crate) async fn evidence_key(&self) -> idv_jose::PublicKey {
        let jwks = self.public_json("/.well-known/jwks.json").await;
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
