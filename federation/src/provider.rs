//! The certified identity provider's operator at work, over the issuer's operator API:
//! recording a person it has proofed, offering the identity and age credentials, and revoking
//! an issued credential.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, CallError};

/// The identity credential configuration.
pub const IDENTITY: &str = "uk_identity";
/// The age credential configuration.
pub const AGE: &str = "uk_age";

/// The operator API of an issuer (`Authorization: Bearer <operator token>`).
#[derive(Debug, Clone)]
pub struct IssuerOperator {
    api: Api,
}

/// A credential offer as the operator receives it, to hand to the person: the link (or its QR
/// code) and, by another channel, the transaction code.
#[derive(Clone, Deserialize)]
pub struct CredentialOffer {
    /// The offer handle (a bearer secret).
    pub offer_id: String,
    /// `openid-credential-offer://?credential_offer_uri=…`.
    pub offer_link: String,
    /// The transaction code, when the offer requires one.
    #[serde(default)]
    pub tx_code: Option<String>,
    /// The offered configurations.
    pub credential_configuration_ids: Vec<String>,
    /// When the offer stops being redeemable.
    pub expires_at: i64,
}

impl std::fmt::Debug for CredentialOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The link and the code lead to the person's credentials.
        f.debug_struct("CredentialOffer")
            .field(
                "credential_configuration_ids",
                &self.credential_configuration_ids,
            )
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An issued credential's metadata, as the operator lists it (never the credential itself).
#[derive(Debug, Clone, Deserialize)]
pub struct IssuedCredential {
    /// Its id.
    pub credential_id: String,
    /// `uk_identity` or `uk_age`.
    pub credential_configuration_id: String,
    /// `valid`, `suspended` or `revoked`.
    pub status: String,
}

impl IssuerOperator {
    /// The operator API behind `api`.
    pub fn new(api: Api) -> Self {
        Self { api }
    }

    /// The API (its base URL and token).
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// `POST /v1/identities`: records a proofed identity; returns its id.
    pub async fn record_identity(&self, identity: &Value) -> Result<String, CallError> {
        #[derive(Deserialize)]
        struct Recorded {
            identity_id: String,
        }
        let recorded: Recorded = self.api.post("/v1/identities", identity).await?;
        Ok(recorded.identity_id)
    }

    /// `POST /v1/identities/{id}/offers`: an offer of `configurations`, with a `tx_code`.
    pub async fn offer(
        &self,
        identity_id: &str,
        configurations: &[&str],
    ) -> Result<CredentialOffer, CallError> {
        self.api
            .post(
                &format!("/v1/identities/{identity_id}/offers"),
                &json!({"credential_configuration_ids": configurations, "tx_code": true}),
            )
            .await
    }

    /// `GET /v1/credentials?identity_id=…`: the credentials issued for a person, newest first.
    pub async fn credentials(&self, identity_id: &str) -> Result<Vec<IssuedCredential>, CallError> {
        #[derive(Deserialize)]
        struct Listed {
            credentials: Vec<IssuedCredential>,
        }
        let listed: Listed = self
            .api
            .get(&format!("/v1/credentials?identity_id={identity_id}"))
            .await?;
        Ok(listed.credentials)
    }

    /// `POST /v1/credentials/{id}/revoke`.
    pub async fn revoke(
        &self,
        credential_id: &str,
        reason: &str,
    ) -> Result<IssuedCredential, CallError> {
        self.api
            .post(
                &format!("/v1/credentials/{credential_id}/revoke"),
                &json!({"reason": reason}),
            )
            .await
    }
}

/// The fictional citizen's photo: a synthetic 240 × 300 baseline JPEG (a drawn specimen, no
/// real person), as a provider holds it for the relying party's photo match.
const PORTRAIT: &[u8] = include_bytes!("../../testdata/portrait/specimen.jpg");

/// The fictional citizen ([`idv_test_support::citizen::ada_lovelace`]) with her specimen
/// photo and no address, proofed an hour before `now`: the record the provider keeps and
/// issues from, as its operator API takes it.
pub fn proofed_citizen(now: i64) -> Value {
    let mut citizen = idv_test_support::citizen::ada_lovelace(now - 3600);
    citizen.portrait = Some(format!(
        "data:image/jpeg;base64,{}",
        STANDARD.encode(PORTRAIT)
    ));
    citizen.address = None;
    json!(citizen)
}
