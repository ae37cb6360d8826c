//! The three metadata documents wallets and verifiers discover this issuer by:
//!
//! - Credential Issuer Metadata (OpenID4VCI 1.0 "Credential Issuer Metadata"), at
//!   `/.well-known/openid-credential-issuer[/path]`;
//! - Authorization Server Metadata (RFC 8414, with OpenID4VCI's
//!   `pre-authorized_grant_anonymous_access_supported` and RFC 9396's
//!   `authorization_details_types_supported`), at `/.well-known/oauth-authorization-server[/path]`:
//!   the issuer is its own authorization server, so `authorization_servers` is absent. With
//!   `[login]` it also advertises the authorization code flow: `authorization_endpoint`, PAR
//!   (RFC 9126, required), PKCE `S256` only, RFC 9207 `iss` in responses, `response_types`
//!   `code`, public clients (`token_endpoint_auth_methods_supported` `["none"]`) and the
//!   configurations' `scope`s;
//! - JWT VC Issuer Metadata (SD-JWT VC "JWT VC Issuer Metadata"), `{issuer, jwks}`, at
//!   `/.well-known/jwt-vc-issuer[/path]`.
//!
//! `[/path]` is the path of the Credential Issuer Identifier, if it has one: well-known
//! segments go between host and path.

use std::collections::BTreeMap;

use idv_jose::JwkSet;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vci::authorization_details::OPENID_CREDENTIAL_TYPE;
use idv_proto::oid4vci::authorization_server_metadata::AuthorizationServerMetadata;
use idv_proto::oid4vci::credential_offer::PRE_AUTHORIZED_CODE_GRANT_TYPE;
use idv_proto::oid4vci::issuer_metadata::{
    BatchCredentialIssuance, ClaimDisplay, ClaimsDescription, CredentialConfiguration,
    CredentialDisplay, CredentialIssuerMetadata, CredentialMetadata, IssuerDisplay,
    ProofTypeMetadata,
};
use serde::{Deserialize, Serialize};

use super::authorization::{AUTHORIZATION_CODE_GRANT_TYPE, AUTHORIZE_PATH, PAR_PATH};
use super::configurations::Configuration;
use super::{IssuerSettings, KeyError};

use super::keys::Keys;
use std::sync::Arc;

/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/token";
/// Path of the nonce endpoint.
pub const NONCE_PATH: &str = "/nonce";
/// Path of the credential endpoint.
pub const CREDENTIAL_PATH: &str = "/credential";

/// Well-known suffix of the JWT VC Issuer Metadata (SD-JWT VC).
pub const JWT_VC_ISSUER_WELL_KNOWN: &str = "/.well-known/jwt-vc-issuer";

/// JWT VC Issuer Metadata: the issuer and its keys, inline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtVcIssuerMetadata {
    /// Must equal the credentials' `iss`.
    pub issuer: String,
    /// The keys credentials and status lists are signed with.
    pub jwks: JwkSet,
}

/// The `jwt` proof type name in `proof_types_supported` and `proofs`.
const JWT_PROOF_TYPE: &str = "jwt";

fn claim(path: &[&str], mandatory: bool, name: &str, locale: &str) -> Option<ClaimsDescription> {
    Some(ClaimsDescription {
        path: ClaimsPath::from_keys(path.iter().copied()).ok()?,
        mandatory: mandatory.then_some(true),
        display: Some(vec![ClaimDisplay {
            name: Some(name.to_owned()),
            locale: Some(locale.to_owned()),
        }]),
    })
}

/// The claims a configuration's credentials carry, for wallets to label them.
fn claims(configuration: Configuration, locale: &str) -> Vec<ClaimsDescription> {
    let described: &[(&[&str], bool, &str)] = match configuration {
        Configuration::Identity => &[
            (&["given_name"], true, "Given name"),
            (&["family_name"], true, "Family name"),
            (&["birthdate"], true, "Date of birth"),
            (&["nationalities"], true, "Nationalities"),
            (&["portrait"], false, "Photo"),
            (&["document", "type"], true, "Identity document"),
            (&["document", "issuing_country"], true, "Issuing country"),
            (
                &["document", "date_of_expiry"],
                true,
                "Document expiry date",
            ),
            (
                &["verification", "trust_framework"],
                true,
                "Trust framework",
            ),
            (
                &["verification", "assurance_level"],
                true,
                "Level of confidence (GPG 45)",
            ),
            (&["verification", "gpg45_profile"], true, "GPG 45 profile"),
            (&["verification", "time"], true, "Identity checked at"),
            (&["address"], false, "Address"),
        ],
        Configuration::Age => &[
            (&["age_over_16"], true, "Aged 16 or over"),
            (&["age_over_18"], true, "Aged 18 or over"),
            (&["age_over_21"], true, "Aged 21 or over"),
            (&["age_over_25"], true, "Aged 25 or over"),
            (
                &["verification", "trust_framework"],
                true,
                "Trust framework",
            ),
            (
                &["verification", "assurance_level"],
                true,
                "Level of confidence (GPG 45)",
            ),
        ],
    };
    described
        .iter()
        .filter_map(|(path, mandatory, name)| claim(path, *mandatory, name, locale))
        .collect()
}

fn display(configuration: Configuration, locale: &str) -> CredentialDisplay {
    let (name, description) = match configuration {
        Configuration::Identity => (
            "Digital identity",
            "Your identity as checked to GPG 45, for right to work, right to rent and DBS checks",
        ),
        Configuration::Age => (
            "Proof of age",
            "Whether you are over 16, 18, 21 or 25, and how surely your identity was checked; \
             nothing else",
        ),
    };
    CredentialDisplay {
        name: name.to_owned(),
        locale: Some(locale.to_owned()),
        logo: None,
        description: Some(description.to_owned()),
        background_color: None,
        background_image: None,
        text_color: None,
    }
}

/// The entry of `credential_configurations_supported` for `configuration`.
fn configuration_metadata(configuration: Configuration, locale: &str) -> CredentialConfiguration {
    CredentialConfiguration {
        format: idv_sdjwt::vc::TYP.to_owned(),
        scope: Some(configuration.id().to_owned()),
        vct: Some(configuration.vct().to_owned()),
        credential_signing_alg_values_supported: Some(vec![idv_jose::jws::ES256.to_owned()]),
        cryptographic_binding_methods_supported: Some(vec!["jwk".to_owned()]),
        proof_types_supported: Some(BTreeMap::from([(
            JWT_PROOF_TYPE.to_owned(),
            ProofTypeMetadata {
                proof_signing_alg_values_supported: vec![idv_jose::jws::ES256.to_owned()],
                key_attestations_required: None,
            },
        )])),
        credential_metadata: Some(CredentialMetadata {
            display: Some(vec![display(configuration, locale)]),
            claims: Some(claims(configuration, locale)),
        }),
    }
}

/// The Credential Issuer Metadata document.
pub fn credential_issuer_metadata(settings: &IssuerSettings) -> CredentialIssuerMetadata {
    CredentialIssuerMetadata {
        credential_issuer: settings.public_url.clone(),
        authorization_servers: None,
        credential_endpoint: settings.url(CREDENTIAL_PATH),
        nonce_endpoint: Some(settings.url(NONCE_PATH)),
        deferred_credential_endpoint: None,
        notification_endpoint: None,
        credential_request_encryption: None,
        credential_response_encryption: None,
        batch_credential_issuance: Some(BatchCredentialIssuance {
            batch_size: settings.batch_size,
        }),
        display: Some(vec![IssuerDisplay {
            name: Some(settings.display_name.clone()),
            locale: Some(settings.locale.clone()),
            logo: None,
        }]),
        credential_configurations_supported: Configuration::ALL
            .into_iter()
            .map(|c| {
                (
                    c.id().to_owned(),
                    configuration_metadata(c, &settings.locale),
                )
            })
            .collect(),
    }
}

/// The Authorization Server Metadata document.
pub fn authorization_server_metadata(settings: &IssuerSettings) -> AuthorizationServerMetadata {
    let pre_authorized = PRE_AUTHORIZED_CODE_GRANT_TYPE.to_owned();
    let login = settings.authorization.is_some();
    if login {
        AuthorizationServerMetadata {
            issuer: settings.public_url.clone(),
            token_endpoint: Some(settings.url(TOKEN_PATH)),
            authorization_endpoint: Some(settings.url(AUTHORIZE_PATH)),
            pushed_authorization_request_endpoint: Some(settings.url(PAR_PATH)),
            jwks_uri: None,
            grant_types_supported: Some(vec![
                AUTHORIZATION_CODE_GRANT_TYPE.to_owned(),
                pre_authorized,
            ]),
            code_challenge_methods_supported: Some(vec!["S256".to_owned()]),
            response_types_supported: Some(vec!["code".to_owned()]),
            pre_authorized_grant_anonymous_access_supported: Some(true),
            authorization_details_types_supported: Some(vec![OPENID_CREDENTIAL_TYPE.to_owned()]),
            require_pushed_authorization_requests: Some(true),
            authorization_response_iss_parameter_supported: Some(true),
            token_endpoint_auth_methods_supported: Some(vec!["none".to_owned()]),
            scopes_supported: Some(
                Configuration::ALL
                    .into_iter()
                    .map(|c| c.id().to_owned())
                    .collect(),
            ),
        }
    } else {
        AuthorizationServerMetadata {
            issuer: settings.public_url.clone(),
            token_endpoint: Some(settings.url(TOKEN_PATH)),
            authorization_endpoint: None,
            pushed_authorization_request_endpoint: None,
            jwks_uri: None,
            grant_types_supported: Some(vec![pre_authorized]),
            code_challenge_methods_supported: None,
            // RFC 8414 requires the member; with no authorization endpoint, no response type
            // is supported.
            response_types_supported: Some(Vec::new()),
            pre_authorized_grant_anonymous_access_supported: Some(true),
            authorization_details_types_supported: Some(vec![OPENID_CREDENTIAL_TYPE.to_owned()]),
            require_pushed_authorization_requests: None,
            authorization_response_iss_parameter_supported: None,
            token_endpoint_auth_methods_supported: None,
            scopes_supported: None,
        }
    }
}

/// The metadata documents that need more than the settings (the published keys).
#[derive(Debug, Clone)]
pub struct Metadata {
    pub(super) settings: Arc<IssuerSettings>,
    pub(super) keys: Keys,
}

impl Metadata {
    /// The JWT VC Issuer Metadata document.
    pub async fn jwt_vc_issuer_metadata(&self) -> Result<JwtVcIssuerMetadata, KeyError> {
        Ok(JwtVcIssuerMetadata {
            issuer: self.settings.public_url.clone(),
            jwks: self.keys.published_keys().await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> IssuerSettings {
        crate::config::IssuerConfig::default()
            .issuer_settings()
            .unwrap()
    }

    #[test]
    fn metadata_round_trips_through_the_shared_wire_types() {
        let metadata = credential_issuer_metadata(&settings());
        let json = serde_json::to_value(&metadata).unwrap();
        let parsed: CredentialIssuerMetadata = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(parsed, metadata);
        let age = &json["credential_configurations_supported"]["uk_age"];
        assert_eq!(age["format"], "dc+sd-jwt");
        assert_eq!(
            age["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"][0],
            "ES256"
        );
        assert_eq!(json["batch_credential_issuance"]["batch_size"], 10);
        // Both credentials carry the level of confidence at the same path.
        for id in ["uk_identity", "uk_age"] {
            let claims =
                json["credential_configurations_supported"][id]["credential_metadata"]["claims"]
                    .as_array()
                    .unwrap();
            assert!(
                claims.iter().any(|c| c["path"]
                    == serde_json::json!(["verification", "assurance_level"])
                    && c["mandatory"] == true),
                "{id}"
            );
        }
    }

    #[test]
    fn claims_descriptions_are_not_repeated() {
        for configuration in Configuration::ALL {
            let claims = claims(configuration, "en-GB");
            let mut paths: Vec<String> = claims
                .iter()
                .map(|c| serde_json::to_string(&c.path).unwrap())
                .collect();
            let count = paths.len();
            paths.sort();
            paths.dedup();
            assert_eq!(paths.len(), count);
        }
    }

    #[test]
    fn authorization_server_metadata_flattens_the_rar_member() {
        let json = serde_json::to_value(authorization_server_metadata(&settings())).unwrap();
        assert_eq!(json["issuer"], "http://127.0.0.1:8200");
        assert_eq!(json["token_endpoint"], "http://127.0.0.1:8200/token");
        assert_eq!(
            json["pre-authorized_grant_anonymous_access_supported"],
            true
        );
        assert_eq!(
            json["authorization_details_types_supported"][0],
            "openid_credential"
        );
        assert_eq!(json.get("authorization_endpoint"), None);
        assert_eq!(json.get("require_pushed_authorization_requests"), None);
    }
}
