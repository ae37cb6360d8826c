//! Credential Offer, sent by the issuer to the wallet by value (`credential_offer`) or by
//! reference (`credential_offer_uri`, answered by `GET <credential_offer_uri>` with JSON).
//!
//! OpenID4VCI 1.0 "Credential Offer Endpoint" / "Credential Offer Parameters".
//! The wallet must treat every offer as untrusted input.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Grant type URN of the pre-authorized code flow.
pub const PRE_AUTHORIZED_CODE_GRANT_TYPE: &str =
    "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// Grant type of the RFC 6749 authorization code flow.
pub const AUTHORIZATION_CODE_GRANT_TYPE: &str = "authorization_code";

/// Custom URL scheme (with `://`) of a wallet's default Credential Offer endpoint.
pub const CREDENTIAL_OFFER_SCHEME: &str = "openid-credential-offer://";

/// The query of a Credential Offer invocation URL: exactly one of the two is expected.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CredentialOfferParameters {
    /// The offer by value, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_offer: Option<String>,
    /// An `https` URL the wallet fetches the offer from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_offer_uri: Option<String>,
}

/// A Credential Offer object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialOffer {
    /// The Credential Issuer Identifier (`https` URL), compared as a string.
    pub credential_issuer: String,
    /// Non-empty, unique keys of `credential_configurations_supported` in the issuer metadata.
    pub credential_configuration_ids: Vec<String>,
    /// Grants the wallet may use; absent means the wallet discovers them from metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
}

/// The `grants` object of a Credential Offer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Grants {
    /// Authorization code grant parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeGrant>,
    /// Pre-authorized code grant parameters.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
}

/// Parameters of the authorization code grant in an offer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthorizationCodeGrant {
    /// Opaque value the wallet passes back in the authorization request; may be attacker-injected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// Which of the issuer's `authorization_servers` to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// Parameters of the pre-authorized code grant in an offer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAuthorizedCodeGrant {
    /// The short-lived, single-use code (a secret: redacted in `Debug`).
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// Present (even as `{}`) when the token request must carry a `tx_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    /// Which of the issuer's `authorization_servers` to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

impl fmt::Debug for PreAuthorizedCodeGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreAuthorizedCodeGrant")
            .field("pre_authorized_code", &"<redacted>")
            .field("tx_code", &self.tx_code)
            .field("authorization_server", &self.authorization_server)
            .finish()
    }
}

/// Describes the transaction code the user receives out of band.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TxCode {
    /// Character set of the code; absent means [`InputMode::Numeric`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<InputMode>,
    /// Length of the code, to help the wallet render an input field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Guidance for the user (at most 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The `tx_code.input_mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputMode {
    /// Digits only (the default).
    Numeric,
    /// Any characters.
    Text,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spec_example_offer_round_trips() {
        let example = json!({
            "credential_issuer": "https://idsp.example",
            "credential_configuration_ids": ["uk_rtw_sdjwt"],
            "grants": {
                "authorization_code": { "issuer_state": "eyJhbGciOiJSU0Et", "authorization_server": "https://as.example" },
                "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": "adhjhdjajkdkhjhdj",
                    "tx_code": { "input_mode": "numeric", "length": 6, "description": "Enter the code we sent you" },
                    "authorization_server": "https://as.example"
                }
            }
        });
        let offer: CredentialOffer = serde_json::from_value(example.clone()).unwrap();
        let grant = offer
            .grants
            .as_ref()
            .unwrap()
            .pre_authorized_code
            .as_ref()
            .unwrap();
        assert_eq!(grant.pre_authorized_code, "adhjhdjajkdkhjhdj");
        assert_eq!(
            grant.tx_code.as_ref().unwrap().input_mode,
            Some(InputMode::Numeric)
        );
        assert_eq!(serde_json::to_value(&offer).unwrap(), example);
    }

    #[test]
    fn empty_tx_code_object_still_means_a_code_is_required() {
        let offer: CredentialOffer = serde_json::from_value(json!({
            "credential_issuer": "https://idsp.example",
            "credential_configuration_ids": ["age"],
            "grants": { PRE_AUTHORIZED_CODE_GRANT_TYPE: { "pre-authorized_code": "c", "tx_code": {} } }
        }))
        .unwrap();
        let grant = offer.grants.unwrap().pre_authorized_code.unwrap();
        assert_eq!(grant.tx_code, Some(TxCode::default()));
    }

    #[test]
    fn debug_output_redacts_the_pre_authorized_code() {
        let grant = PreAuthorizedCodeGrant {
            pre_authorized_code: "secret-code".into(),
            tx_code: None,
            authorization_server: None,
        };
        assert!(!format!("{grant:?}").contains("secret-code"));
    }

    #[test]
    fn unknown_input_mode_is_rejected() {
        assert!(serde_json::from_value::<TxCode>(json!({ "input_mode": "emoji" })).is_err());
    }
}
