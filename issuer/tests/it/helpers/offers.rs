//! The issuer's operator at work in tests: proofed identities and their offers, redeemed as a
//! wallet would.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{T0, TestApp};

impl TestApp {
    /// Records [`person`]; returns the identity id.
    pub(crate) async fn record_identity(&self) -> String {
        self.record(&person()).await
    }

    /// Records a proofed identity; returns its id.
    pub(crate) async fn record(&self, identity: &Value) -> String {
        let response = self.post("/v1/identities", identity).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["identity_id"].as_str().unwrap().to_owned()
    }

    /// Creates an offer; returns the operator's response.
    pub(crate) async fn create_offer(
        &self,
        identity_id: &str,
        ids: &[&str],
        tx_code: bool,
    ) -> Value {
        let response = self
            .post(
                &format!("/v1/identities/{identity_id}/offers"),
                &json!({"credential_configuration_ids": ids, "tx_code": tx_code}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// A new identity with an offer of `ids` (with a `tx_code`), fetched by the wallet.
    pub(crate) async fn offer(&self, ids: &[&str]) -> Offer {
        let identity_id = self.record_identity().await;
        let created = self.create_offer(&identity_id, ids, true).await;
        let offer = self.wallet().fetch_offer(&created).await;
        Offer {
            identity_id,
            tx_code: created["tx_code"].as_str().map(str::to_owned),
            created,
            code: offer
                .grants
                .unwrap()
                .pre_authorized_code
                .unwrap()
                .pre_authorized_code,
        }
    }

    /// An offer of `ids` redeemed for an access token.
    pub(crate) async fn access_token(&self, ids: &[&str]) -> (Offer, String) {
        let offer = self.offer(ids).await;
        let response = self
            .wallet()
            .token(&offer.code, offer.tx_code.as_deref())
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        (offer, body["access_token"].as_str().unwrap().to_owned())
    }

    /// The access token for an operator's offer response (`created`), as a wallet gets it.
    pub(crate) async fn redeem(&self, created: &Value) -> String {
        let offer = self.wallet().fetch_offer(created).await;
        let code = offer
            .grants
            .unwrap()
            .pre_authorized_code
            .unwrap()
            .pre_authorized_code;
        let response = self
            .wallet()
            .token(&code, created["tx_code"].as_str())
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// An offer as the tests use it.
pub(crate) struct Offer {
    pub(crate) identity_id: String,
    pub(crate) created: Value,
    pub(crate) code: String,
    pub(crate) tx_code: Option<String>,
}

/// A valid proofed identity: the federation's citizen, proofed before [`T0`].
pub(crate) fn person() -> Value {
    idv_federation::provider::proofed_citizen(T0)
}
