//! Key proofs and the credential endpoint (OpenID4VCI 1.0 "Credential Endpoint", Appendix
//! "Proof Types" / `jwt`): one fresh holder key per requested copy, one
//! `openid4vci-proof+jwt` per key, and a batch of credentials back.

use idv_jose::SigningKey;
use idv_jose::jws::{self, Header};
use idv_proto::oid4vci::credential_request::{CredentialRequest, Proofs};
use idv_proto::oid4vci::credential_response::CredentialResponse;
use idv_proto::oid4vci::issuer_metadata::{CredentialConfiguration, CredentialIssuerMetadata};
use idv_proto::oid4vci::proof::{JwtProofClaims, PROOF_JWT_TYP};
use idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT;

use super::token::fetch_nonce;
use crate::error::{InternalError, Party, WalletError};
use crate::http_client::{Http, parse_json, status_error};

/// The only proof type and algorithm this wallet uses.
const JWT_PROOF: &str = "jwt";
const ES256: &str = "ES256";

/// What to ask the credential endpoint for.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// `credential_configuration_id`.
    Configuration(String),
    /// `credential_identifier` from the token response.
    Identifier(String),
}

/// Checks the configuration can be held by this wallet: SD-JWT VC, bound to a `jwk` proven
/// with an ES256 `jwt` proof, no key attestation, no mandatory encryption.
pub(crate) fn check_configuration(
    id: &str,
    configuration: &CredentialConfiguration,
    metadata: &CredentialIssuerMetadata,
) -> Result<(), WalletError> {
    let unsupported = |why: String| WalletError::UnsupportedOffer(format!("`{id}`: {why}"));
    if configuration.format != DC_SD_JWT_FORMAT {
        return Err(unsupported(format!(
            "format `{}` is not supported (only {DC_SD_JWT_FORMAT})",
            configuration.format
        )));
    }
    let binds_jwk = configuration
        .cryptographic_binding_methods_supported
        .as_ref()
        .is_some_and(|methods| methods.iter().any(|m| m == "jwk"));
    if !binds_jwk {
        return Err(unsupported(
            "the credential is not bound to a holder `jwk`; this wallet only holds key-bound \
             credentials"
                .into(),
        ));
    }
    let proof = configuration
        .proof_types_supported
        .as_ref()
        .and_then(|types| types.get(JWT_PROOF))
        .ok_or_else(|| unsupported("the issuer does not accept `jwt` key proofs".into()))?;
    if !proof
        .proof_signing_alg_values_supported
        .iter()
        .any(|alg| alg == ES256)
    {
        return Err(unsupported(
            "the issuer does not accept ES256 key proofs".into(),
        ));
    }
    if proof.key_attestations_required.is_some() {
        return Err(unsupported(
            "the issuer requires key attestations, which this wallet cannot provide".into(),
        ));
    }
    if metadata
        .credential_response_encryption
        .as_ref()
        .is_some_and(|e| e.encryption_required)
        || metadata
            .credential_request_encryption
            .as_ref()
            .is_some_and(|e| e.encryption_required)
    {
        return Err(unsupported(
            "the issuer requires encrypted credential requests or responses, which this \
             wallet does not implement"
                .into(),
        ));
    }
    Ok(())
}

/// Requests one credential per key in `keys` (a batch when there are several).
pub(crate) async fn request_credentials(
    http: &Http,
    metadata: &CredentialIssuerMetadata,
    access_token: &str,
    initial_nonce: Option<String>,
    target: &Target,
    keys: &[SigningKey],
    now: i64,
) -> Result<Vec<String>, WalletError> {
    let mut nonce = match &metadata.nonce_endpoint {
        Some(endpoint) => Some(fetch_nonce(http, endpoint).await?),
        None => initial_nonce,
    };
    let endpoint = &metadata.credential_endpoint;
    // One retry with a fresh c_nonce if the issuer says the nonce is stale.
    for attempt in 0..2 {
        let proofs = keys
            .iter()
            .map(|key| proof(key, &metadata.credential_issuer, nonce.as_deref(), now))
            .collect::<Result<Vec<_>, _>>()?;
        let (credential_configuration_id, credential_identifier) = match target {
            Target::Configuration(id) => (Some(id.clone()), None),
            Target::Identifier(id) => (None, Some(id.clone())),
        };
        let request = CredentialRequest {
            credential_configuration_id,
            credential_identifier,
            proofs: Some(Proofs::Jwt(proofs)),
            credential_response_encryption: None,
        };
        let reply = http
            .post_json(endpoint, &request, Some(access_token), Party::Issuer)
            .await?;
        if reply.status == 202 {
            return Err(WalletError::UnsupportedOffer(
                "the issuer deferred issuance, which this wallet does not poll for".into(),
            ));
        }
        if reply.is_success() {
            let response: CredentialResponse =
                parse_json(&reply.body, Party::Issuer, "credential response")?;
            return match response.credentials {
                Some(credentials) if !credentials.is_empty() => {
                    Ok(credentials.into_iter().map(|c| c.credential).collect())
                }
                _ if response.transaction_id.is_some() => Err(WalletError::UnsupportedOffer(
                    "the issuer deferred issuance, which this wallet does not poll for".into(),
                )),
                _ => Err(WalletError::InvalidResponse {
                    party: Party::Issuer,
                    what: "credential response",
                    reason: "no credentials".into(),
                }),
            };
        }
        match reply.oauth_error() {
            Some(remote) if remote.error == "invalid_nonce" && attempt == 0 => {
                let Some(endpoint) = &metadata.nonce_endpoint else {
                    return Err(WalletError::IssuerRefused {
                        party: Party::Issuer,
                        remote,
                    });
                };
                nonce = Some(fetch_nonce(http, endpoint).await?);
            }
            Some(remote) => {
                return Err(WalletError::IssuerRefused {
                    party: Party::Issuer,
                    remote,
                });
            }
            None => return Err(status_error(&reply, endpoint, Party::Issuer)),
        }
    }
    Err(WalletError::IssuerRefused {
        party: Party::Issuer,
        remote: crate::error::RemoteError {
            error: "invalid_nonce".into(),
            description: Some("refused a fresh c_nonce too".into()),
        },
    })
}

/// An `openid4vci-proof+jwt`: the public key in the header `jwk`, `aud` the Credential Issuer
/// Identifier, `iat` now and the `c_nonce`; no `iss` (anonymous pre-authorized access).
pub(crate) fn proof(
    key: &SigningKey,
    credential_issuer: &str,
    nonce: Option<&str>,
    now: i64,
) -> Result<String, WalletError> {
    let header = Header::es256(PROOF_JWT_TYP).with(
        "jwk",
        serde_json::to_value(key.public_key().to_jwk()).map_err(|source| InternalError::Json {
            what: "the proof's public key",
            source,
        })?,
    );
    let claims = JwtProofClaims {
        iss: None,
        aud: credential_issuer.to_owned(),
        iat: now,
        nonce: nonce.map(str::to_owned),
    };
    let proof = jws::sign_claims(&header, &claims, key).map_err(|source| InternalError::Jose {
        what: "signing the key proof",
        source,
    })?;
    Ok(proof)
}

#[cfg(test)]
mod tests {
    use idv_jose::PublicKey;
    use idv_jose::jws::UnverifiedJws;

    use super::*;

    #[test]
    fn a_proof_carries_its_public_key_audience_nonce_and_time() {
        let key = SigningKey::generate().unwrap();
        let jwt = proof(&key, "http://127.0.0.1:9/idsp", Some("n-1"), 1_800_000_000).unwrap();
        let unverified = UnverifiedJws::parse(&jwt).unwrap();
        let header_key =
            PublicKey::from_jwk_value(unverified.header().get("jwk").unwrap()).unwrap();
        assert_eq!(&header_key, key.public_key());
        assert!(unverified.header().kid().is_none());
        let verified = unverified.verify(&header_key, &[PROOF_JWT_TYP]).unwrap();
        let claims: serde_json::Value = verified.claims().unwrap();
        assert_eq!(
            claims,
            serde_json::json!({"aud": "http://127.0.0.1:9/idsp", "iat": 1_800_000_000, "nonce": "n-1"})
        );
    }

    #[test]
    fn configurations_the_wallet_cannot_hold_are_refused_with_the_reason() {
        let metadata: CredentialIssuerMetadata = serde_json::from_value(serde_json::json!({
            "credential_issuer": "https://idsp.example",
            "credential_endpoint": "https://idsp.example/credential",
            "credential_configurations_supported": {}
        }))
        .unwrap();
        let config = |json: serde_json::Value| -> CredentialConfiguration {
            serde_json::from_value(json).unwrap()
        };
        let good = config(serde_json::json!({
            "format": "dc+sd-jwt", "vct": "urn:x",
            "cryptographic_binding_methods_supported": ["jwk"],
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
        }));
        check_configuration("x", &good, &metadata).unwrap();
        for bad in [
            serde_json::json!({"format": "mso_mdoc"}),
            serde_json::json!({"format": "dc+sd-jwt", "vct": "urn:x"}),
            serde_json::json!({
                "format": "dc+sd-jwt", "vct": "urn:x",
                "cryptographic_binding_methods_supported": ["jwk"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}}
            }),
            serde_json::json!({
                "format": "dc+sd-jwt", "vct": "urn:x",
                "cryptographic_binding_methods_supported": ["jwk"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"],
                    "key_attestations_required": {}}}
            }),
        ] {
            assert!(matches!(
                check_configuration("x", &config(bad), &metadata),
                Err(WalletError::UnsupportedOffer(_))
            ));
        }
    }
}
