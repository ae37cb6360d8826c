//! `GET /.well-known/openid-credential-issuer[/path]` → Credential Issuer Metadata (JSON).
//!
//! OpenID4VCI 1.0 "Credential Issuer Metadata", "Credential Issuer Metadata Parameters" and
//! Appendix "Credential Format Profiles" (`dc+sd-jwt`, claims description).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::claims_path::ClaimsPath;
use crate::jwk_set::JwkSet;

/// Well-known path segment inserted between host and path of the issuer identifier.
pub const CREDENTIAL_ISSUER_WELL_KNOWN: &str = "/.well-known/openid-credential-issuer";

/// Credential Issuer Metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialIssuerMetadata {
    /// The Credential Issuer Identifier; must equal the identifier the metadata URL was built from.
    pub credential_issuer: String,
    /// Authorization server identifiers; absent means the issuer is its own authorization server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    /// URL of the Credential Endpoint.
    pub credential_endpoint: String,
    /// URL of the Nonce Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    /// URL of the Deferred Credential Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_credential_endpoint: Option<String>,
    /// URL of the Notification Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_endpoint: Option<String>,
    /// Keys and algorithms for encrypted Credential Requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_request_encryption: Option<CredentialRequestEncryptionMetadata>,
    /// Algorithms for encrypted Credential Responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<CredentialResponseEncryptionMetadata>,
    /// Batch issuance support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_credential_issuance: Option<BatchCredentialIssuance>,
    /// Display properties of the issuer, one per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<IssuerDisplay>>,
    /// Supported credentials by configuration id.
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
}

/// `credential_request_encryption` metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRequestEncryptionMetadata {
    /// Encryption keys, each with a `kid`.
    pub jwks: JwkSet,
    /// Supported JWE `enc` values.
    pub enc_values_supported: Vec<String>,
    /// Supported JWE `zip` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_values_supported: Option<Vec<String>>,
    /// Whether requests must be encrypted.
    pub encryption_required: bool,
}

/// `credential_response_encryption` metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialResponseEncryptionMetadata {
    /// Supported JWE `alg` values.
    pub alg_values_supported: Vec<String>,
    /// Supported JWE `enc` values.
    pub enc_values_supported: Vec<String>,
    /// Supported JWE `zip` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_values_supported: Option<Vec<String>>,
    /// Whether responses must be encrypted.
    pub encryption_required: bool,
}

/// `batch_credential_issuance` metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCredentialIssuance {
    /// Maximum number of proofs (hence credentials) per request; at least 2.
    pub batch_size: u32,
}

/// Display properties of the issuer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IssuerDisplay {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
}

/// A logo image reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logo {
    /// Image URI.
    pub uri: String,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// A background image reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackgroundImage {
    /// Image URI.
    pub uri: String,
}

/// One entry of `credential_configurations_supported`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialConfiguration {
    /// Credential format identifier, `dc+sd-jwt` for SD-JWT VC.
    pub format: String,
    /// OAuth scope value for requesting this credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// SD-JWT VC type; required for `dc+sd-jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct: Option<String>,
    /// Credential signing algorithms, e.g. `ES256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_signing_alg_values_supported: Option<Vec<String>>,
    /// Holder binding methods, e.g. `jwk`; present iff binding is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptographic_binding_methods_supported: Option<Vec<String>>,
    /// Proof types by name (e.g. `jwt`); present iff binding methods are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_types_supported: Option<BTreeMap<String, ProofTypeMetadata>>,
    /// Display and claims information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
}

/// Metadata of one proof type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofTypeMetadata {
    /// Signing algorithms accepted for this proof type.
    pub proof_signing_alg_values_supported: Vec<String>,
    /// Key attestation requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestations_required: Option<KeyAttestationsRequired>,
}

/// `key_attestations_required` of a proof type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyAttestationsRequired {
    /// Accepted key storage attack-potential levels, e.g. `iso_18045_high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_storage: Option<Vec<String>>,
    /// Accepted user authentication attack-potential levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_authentication: Option<Vec<String>>,
}

/// `credential_metadata` of a credential configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CredentialMetadata {
    /// Display properties of the credential, one per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<CredentialDisplay>>,
    /// Claims descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsDescription>>,
}

/// Display properties of a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialDisplay {
    /// Display name.
    pub name: String,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Background colour (CSS colour value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Background image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<BackgroundImage>,
    /// Text colour (CSS colour value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
}

/// A claims description: which claim, whether it is always present, how to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsDescription {
    /// Claims path pointer to the claim.
    pub path: ClaimsPath,
    /// Whether the issuer always includes the claim (default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// Display names, one per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<ClaimDisplay>>,
}

/// Display properties of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClaimDisplay {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sd_jwt_vc_issuer_metadata_round_trips() {
        let example = json!({
            "credential_issuer": "https://idsp.example",
            "credential_endpoint": "https://idsp.example/credential",
            "nonce_endpoint": "https://idsp.example/nonce",
            "notification_endpoint": "https://idsp.example/notification",
            "batch_credential_issuance": { "batch_size": 10 },
            "display": [{ "name": "Example IDSP", "locale": "en-GB", "logo": { "uri": "https://idsp.example/logo.png", "alt_text": "logo" } }],
            "credential_configurations_supported": {
                "uk_rtw_sdjwt": {
                    "format": "dc+sd-jwt",
                    "scope": "rtw",
                    "vct": "https://trust.example.uk/vct/rtw/1",
                    "credential_signing_alg_values_supported": ["ES256"],
                    "cryptographic_binding_methods_supported": ["jwk"],
                    "proof_types_supported": { "jwt": { "proof_signing_alg_values_supported": ["ES256"] } },
                    "credential_metadata": {
                        "display": [{ "name": "Right to work", "locale": "en-GB", "background_color": "#12107c", "text_color": "#FFFFFF" }],
                        "claims": [
                            { "path": ["given_name"], "mandatory": true, "display": [{ "name": "Given name", "locale": "en-GB" }] },
                            { "path": ["nationalities", null] },
                            { "path": ["address", "postal_code"] }
                        ]
                    }
                }
            }
        });
        let metadata: CredentialIssuerMetadata = serde_json::from_value(example.clone()).unwrap();
        let config = &metadata.credential_configurations_supported["uk_rtw_sdjwt"];
        assert_eq!(
            config.vct.as_deref(),
            Some("https://trust.example.uk/vct/rtw/1")
        );
        assert_eq!(serde_json::to_value(&metadata).unwrap(), example);
    }

    #[test]
    fn metadata_without_credential_endpoint_is_rejected() {
        assert!(
            serde_json::from_value::<CredentialIssuerMetadata>(json!({
                "credential_issuer": "https://idsp.example",
                "credential_configurations_supported": {}
            }))
            .is_err()
        );
    }
}
