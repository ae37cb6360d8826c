//! The issuer's operator and the employer, over HTTP.

use std::sync::Arc;

use idv_federation::api::Api;
use idv_jose::{Clock, ManualClock};
use serde_json::{Value, json};

/// The issuer service and its operator API.
pub(crate) struct Issuer {
    pub(crate) address: String,
    pub(super) api: Api,
    pub(crate) clock: Arc<ManualClock>,
}

impl Issuer {
    /// An operator `POST`, which must succeed.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Value {
        self.api.post(path, body).await.unwrap()
    }

    /// An operator `GET`, which must succeed.
    pub(crate) async fn get(&self, path: &str) -> Value {
        self.api.get(path).await.unwrap()
    }

    /// Records a proofed British citizen; returns the identity id.
    pub(crate) async fn record_identity(&self) -> String {
        let body = self.post("/v1/identities", &person(self.clock.now())).await;
        body["identity_id"].as_str().unwrap().to_owned()
    }

    /// Records a proofed British citizen whose account at the provider's OP is `subject`;
    /// returns the identity id.
    pub(crate) async fn record_linked_identity(&self, subject: &str) -> String {
        let mut person = person(self.clock.now());
        person["login_subject"] = json!(subject);
        let body = self.post("/v1/identities", &person).await;
        body["identity_id"].as_str().unwrap().to_owned()
    }

    /// An offer of `ids` to `identity` with the authorization code grant (the citizen signs
    /// in at the provider); the response carries `offer_link`.
    pub(crate) async fn sign_in_offer(&self, identity: &str, ids: &[&str]) -> Value {
        self.post(
            &format!("/v1/identities/{identity}/offers"),
            &json!({"credential_configuration_ids": ids, "grant": "authorization_code"}),
        )
        .await
    }

    /// A fresh offer of `ids` for a new identity: `(offer response, identity id)`, where the
    /// response carries `offer_link` and `tx_code`.
    pub(crate) async fn offer(&self, ids: &[&str]) -> (Value, String) {
        let identity = self.record_identity().await;
        let offer = self
            .post(
                &format!("/v1/identities/{identity}/offers"),
                &json!({"credential_configuration_ids": ids, "tx_code": true}),
            )
            .await;
        (offer, identity)
    }
}

impl Issuer {
    /// The holder key thumbprints of the credentials issued to `identity`, one per copy.
    pub(crate) async fn holder_thumbprints(&self, identity: &str) -> Vec<String> {
        let issued = self
            .get(&format!("/v1/credentials?identity_id={identity}"))
            .await;
        issued["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["holder_key_thumbprint"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A proofed identity as the issuer's operator records it (proofed before `now`).
pub(crate) fn person(now: i64) -> Value {
    idv_federation::provider::proofed_citizen(now)
}

/// The verifier service and the employer tenant's API key.
pub(crate) struct Verifier {
    pub(crate) address: String,
    pub(super) api_key: String,
    pub(super) client: reqwest::Client,
}

impl Verifier {
    /// `POST /v1/checks`; returns the created check (`id`, `wallet_url`).
    pub(crate) async fn create_check(&self, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/v1/checks", self.address))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Creates a check from the employer's template `template`.
    pub(crate) async fn create_from_template(&self, template: &str) -> Value {
        self.create_check(json!({ "template": template })).await
    }

    /// The employer's view of `check` (a created check with its `id`).
    pub(crate) async fn result(&self, check: &Value) -> Value {
        self.check(check["id"].as_str().unwrap()).await
    }

    /// The employer's view of a check.
    pub(crate) async fn check(&self, id: &str) -> Value {
        let response = self
            .client
            .get(format!("{}/v1/checks/{id}", self.address))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json().await.unwrap()
    }
}
