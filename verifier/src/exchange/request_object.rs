//! `GET|POST /wallet/requests/{request_id}`: the signed Request Object (OpenID4VP 1.0
//! "Authorization Request", RFC 9101 JAR; client identifier prefix `verifier_attestation`).
//!
//! Header `{"alg":"ES256","typ":"oauth-authz-req+jwt","jwt":<Verifier Attestation>}`, signed
//! with the tenant's key the attestation's `cnf.jwk` binds. Claims: `client_id` (full, with
//! prefix), `response_type=vp_token`, `response_mode`, `response_uri`, `nonce`, `state`,
//! `dcql_query`, `client_metadata` (`vp_formats_supported`; for `direct_post.jwt` also `jwks`
//! with the request's ECDH-ES key and `encrypted_response_enc_values_supported`
//! `["A128GCM","A256GCM"]`), `aud=https://self-issued.me/v2`, `iat`, `exp` (the check's
//! expiry) and, when the wallet posted one, `wallet_nonce`. It is signed afresh at each fetch
//! from stored values, so any instance serves it.

use idv_jose::DecryptionKey;
use idv_jose::jwe::ContentEncryption;
use idv_jose::jws::{self, Header};
use idv_keystore::KeyCustody;
use idv_proto::jwk_set::JwkSet;
use idv_proto::oid4vp::authorization_request::{
    REQUEST_OBJECT_TYP, RequestObject, ResponseMode, SELF_ISSUED_AUDIENCE, VP_TOKEN_RESPONSE_TYPE,
};
use idv_proto::oid4vp::verifier_metadata::{ClientMetadata, SdJwtVcFormat, VpFormatsSupported};
use idv_proto::trust::verifier_attestation::VERIFIER_ATTESTATION_HEADER;

use super::{Exchange, ExchangeError};
use crate::checks::{CheckState, response_uri};
use crate::store::checks::CheckRow;
use crate::tenants::full_client_id;

/// Longest `wallet_nonce` echoed.
const MAX_WALLET_NONCE: usize = 256;

/// The content encryptions offered for `direct_post.jwt` (HAIP: both, verifiers must list
/// them).
pub const ENC_VALUES: [ContentEncryption; 2] =
    [ContentEncryption::A128Gcm, ContentEncryption::A256Gcm];

impl Exchange {
    /// The signed request object of an open request. `wallet_nonce` is echoed when the wallet
    /// fetched with `request_uri_method=post`.
    pub async fn request_object(
        &self,
        request_id: &str,
        wallet_nonce: Option<&str>,
    ) -> Result<String, ExchangeError> {
        if let Some(nonce) = wallet_nonce
            && (nonce.is_empty()
                || nonce.len() > MAX_WALLET_NONCE
                || !nonce.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ExchangeError::InvalidResponse(
                "wallet_nonce: 1 to 256 printable ASCII characters".into(),
            ));
        }
        let check = self.check_by_request(request_id).await?;
        let now = self.clock.now();
        match CheckState::parse(&check.state) {
            Some(CheckState::Created) if now < check.expires_at => {}
            Some(CheckState::Created | CheckState::Expired) => return Err(ExchangeError::Expired),
            Some(CheckState::Completed | CheckState::Failed) => {
                return Err(ExchangeError::Replayed);
            }
            Some(CheckState::Erased) | None => return Err(ExchangeError::UnknownRequest),
        }
        let template = self.checks.template_of(&check)?;
        let material = self.tenants.signing_material(&check.tenant_id).await?;
        let client_id = full_client_id(material.attestation.sub());
        let claims = self.request_claims(&check, &client_id, template.dcql_query().clone(), now)?;
        let claims = RequestObject {
            wallet_nonce: wallet_nonce.map(str::to_owned),
            ..claims
        };
        let header = Header::es256(REQUEST_OBJECT_TYP)
            .with(VERIFIER_ATTESTATION_HEADER, material.attestation_jwt);
        jws::sign_claims(&header, &claims, &material.key).map_err(ExchangeError::Signing)
    }

    fn request_claims(
        &self,
        check: &CheckRow,
        client_id: &str,
        dcql_query: idv_proto::oid4vp::dcql::DcqlQuery,
        now: i64,
    ) -> Result<RequestObject, ExchangeError> {
        let response_mode = response_mode(check)?;
        let sd_jwt = SdJwtVcFormat {
            sd_jwt_alg_values: Some(vec![jws::ES256.into()]),
            kb_jwt_alg_values: Some(vec![jws::ES256.into()]),
        };
        let mut metadata = ClientMetadata {
            vp_formats_supported: Some(VpFormatsSupported {
                dc_sd_jwt: Some(sd_jwt),
                other: Default::default(),
            }),
            ..ClientMetadata::default()
        };
        if response_mode == ResponseMode::DirectPostJwt {
            let jwk = public_encryption_jwk(self.store.keys(), check)?;
            metadata.jwks = Some(JwkSet { keys: vec![jwk] });
            metadata.encrypted_response_enc_values_supported =
                Some(ENC_VALUES.iter().map(|e| e.as_str().to_owned()).collect());
        }
        let nonce = check.nonce.clone().ok_or(ExchangeError::Corrupt {
            what: "request nonce",
        })?;
        Ok(RequestObject {
            client_id: Some(client_id.to_owned()),
            response_type: VP_TOKEN_RESPONSE_TYPE.into(),
            response_mode,
            response_uri: Some(response_uri(&self.settings.public_url, &check.request_id)),
            redirect_uri: None,
            nonce,
            state: Some(check.request_state.clone()),
            dcql_query: Some(dcql_query),
            scope: None,
            client_metadata: Some(metadata),
            aud: Some(SELF_ISSUED_AUDIENCE.into()),
            iss: None,
            iat: Some(now),
            exp: Some(check.expires_at),
            wallet_nonce: None,
            request_uri_method: None,
            transaction_data: None,
            expected_origins: None,
        })
    }
}

/// The check's stored response mode.
pub(super) fn response_mode(check: &CheckRow) -> Result<ResponseMode, ExchangeError> {
    match check.response_mode.as_str() {
        "direct_post.jwt" => Ok(ResponseMode::DirectPostJwt),
        "direct_post" => Ok(ResponseMode::DirectPost),
        _ => Err(ExchangeError::Corrupt {
            what: "response mode",
        }),
    }
}

/// The public part of the request's stored ECDH-ES key: the sealed private JWK opened,
/// without `d` (no key import, which would recompute the public point).
fn public_encryption_jwk(
    keys: &KeyCustody,
    check: &CheckRow,
) -> Result<serde_json::Value, ExchangeError> {
    let jwk = keys
        .public_jwk(stored_key(check)?)
        .map_err(ExchangeError::RequestKey)?;
    serde_json::to_value(jwk).map_err(|_| ExchangeError::Corrupt {
        what: "request key",
    })
}

/// The request's stored ECDH-ES key.
pub(super) fn decryption_key(
    keys: &KeyCustody,
    check: &CheckRow,
) -> Result<DecryptionKey, ExchangeError> {
    keys.decryption_key(stored_key(check)?)
        .map_err(ExchangeError::RequestKey)
}

/// The sealed ECDH-ES key a `direct_post.jwt` request is stored with.
fn stored_key(check: &CheckRow) -> Result<&str, ExchangeError> {
    check
        .decryption_key
        .as_deref()
        .ok_or(ExchangeError::Corrupt {
            what: "request key",
        })
}
