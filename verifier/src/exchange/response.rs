//! `POST /wallet/responses/{request_id}` (`application/x-www-form-urlencoded`): the
//! Authorization Response (OpenID4VP 1.0 "Response Mode direct_post", "Response Mode
//! direct_post.jwt", "Error Response") and the verifier's `200 application/json` reply.

use std::fmt;

use idv_checks::outcome::CheckOutcome;
use idv_checks::reason::ReasonCode;
use idv_jose::digest::constant_time_eq;
use idv_jose::jwe;
use idv_keystore::KeyCustody;
use idv_proto::oid4vp::authorization_request::ResponseMode;
use idv_proto::oid4vp::authorization_response::{AuthorizationResponse, ResponseUriReply, VpToken};
use serde::Deserialize;

use super::request_object::{ENC_VALUES, decryption_key, response_mode};
use super::{Exchange, ExchangeError};
use crate::checks::CheckState;
use crate::store::checks::CheckRow;
use crate::tenants::full_client_id;

/// Random bytes of a same-device response code (OpenID4VP: fresh, at least 128 bits).
const RESPONSE_CODE_BYTES: usize = 24;
/// The OAuth error a wallet sends when the holder declines.
const ACCESS_DENIED: &str = "access_denied";

/// The form fields a wallet may post. Holds presentations: `Debug` shows only which fields
/// are present.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ResponseForm {
    /// `direct_post.jwt`: the compact JWE.
    #[serde(default)]
    pub response: Option<String>,
    /// `direct_post`: the VP Token as JSON text.
    #[serde(default)]
    pub vp_token: Option<String>,
    /// The request's `state`.
    #[serde(default)]
    pub state: Option<String>,
    /// An error code instead of a presentation.
    #[serde(default)]
    pub error: Option<String>,
    /// Error detail (never logged or stored).
    #[serde(default)]
    pub error_description: Option<String>,
}

impl fmt::Debug for ResponseForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseForm")
            .field("response", &self.response.as_ref().map(|_| "<redacted>"))
            .field("vp_token", &self.vp_token.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state.is_some())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// What the wallet answered: a well-formed Authorization Response, read in the request's
/// response mode. Only this, once its `state` is the request's, may end the check.
enum Answer {
    /// A VP Token.
    Presentation(VpToken),
    /// An OAuth error code.
    Error(String),
}

impl Exchange {
    /// Receives a wallet's response to the request `request_id`.
    pub async fn receive_response(
        &self,
        request_id: &str,
        form: ResponseForm,
    ) -> Result<ResponseUriReply, ExchangeError> {
        let check = self.check_by_request(request_id).await?;
        let now = self.clock.now();
        match CheckState::parse(&check.state) {
            Some(CheckState::Created) if now < check.expires_at => {}
            Some(CheckState::Created) => {
                self.checks.expire(&check, now).await?;
                return Err(ExchangeError::Expired);
            }
            Some(CheckState::Expired) => return Err(ExchangeError::Expired),
            Some(CheckState::Completed | CheckState::Failed) => {
                return Err(ExchangeError::Replayed);
            }
            Some(CheckState::Erased) | None => return Err(ExchangeError::UnknownRequest),
        }

        // Anything that is not a well-formed response in the request's mode (for
        // `direct_post.jwt`: encrypted to the request's key) is refused here and leaves the
        // request open for the wallet to answer.
        let (state, answer) = read(self.store.keys(), &check, form)?;
        // The response proves it answers this request by its `state` (OpenID4VP: the
        // reference design's request-id); until then it consumes nothing.
        if !state.is_some_and(|s| constant_time_eq(s.as_bytes(), check.request_state.as_bytes())) {
            return Err(ExchangeError::UnknownRequest);
        }
        let response_code = check
            .redirect_uri
            .as_ref()
            .map(|_| idv_jose::random::token(self.random.as_ref(), RESPONSE_CODE_BYTES));
        let outcome = self.conclude(&check, answer).await?;
        // The request is consumed when the outcome is stored: of concurrent responses exactly
        // one is stored; a crash before then leaves the request open for the wallet to answer.
        let code_hash = response_code
            .as_deref()
            .map(idv_service_kit::secrets::hash_secret);
        if !self.checks.finish(&check, outcome, now, code_hash).await? {
            return Err(self.lost_race(&check).await?);
        }
        Ok(ResponseUriReply {
            redirect_uri: match (&check.redirect_uri, response_code) {
                (Some(uri), Some(code)) => Some(format!("{uri}#response_code={code}")),
                _ => None,
            },
        })
    }

    /// Why a verified response could not be stored: the check changed meanwhile.
    async fn lost_race(&self, check: &CheckRow) -> Result<ExchangeError, ExchangeError> {
        let now = self.clock.now();
        let current = self
            .store
            .load_check(&check.tenant_id, &check.check_id)
            .await?;
        Ok(
            match current.as_ref().and_then(|c| CheckState::parse(&c.state)) {
                Some(CheckState::Completed | CheckState::Failed) => ExchangeError::Replayed,
                Some(CheckState::Expired) => ExchangeError::Expired,
                Some(CheckState::Created) if now >= check.expires_at => ExchangeError::Expired,
                _ => ExchangeError::UnknownRequest,
            },
        )
    }

    /// The outcome of a consumed request.
    async fn conclude(
        &self,
        check: &CheckRow,
        answer: Answer,
    ) -> Result<CheckOutcome, ExchangeError> {
        let template = self.checks.template_of(check)?;
        let now = self.clock.now();
        Ok(match answer {
            Answer::Presentation(vp_token) => {
                let nonce = check.nonce.as_deref().ok_or(ExchangeError::Corrupt {
                    what: "request nonce",
                })?;
                // Only its client identifier: no need to parse the tenant's private key.
                let tenant = self.tenants.tenant_row(&check.tenant_id).await?;
                self.verify(
                    template,
                    &full_client_id(&tenant.client_id),
                    nonce,
                    &vp_token,
                )
                .await
            }
            Answer::Error(code) if code == ACCESS_DENIED => {
                CheckOutcome::rejected(template.reference(), ReasonCode::HolderDeclined, now)
            }
            Answer::Error(_) => {
                CheckOutcome::rejected(template.reference(), ReasonCode::WalletError, now)
            }
        })
    }
}

/// Reads the form in the check's response mode: the `state` it names and what it answers. A
/// form that is not a well-formed Authorization Response in that mode is refused.
///
/// In `direct_post.jwt` the whole response, an error response included, must come encrypted
/// to the request's key (OpenID4VP 1.0 "Response Mode direct_post.jwt"). That section lets a
/// wallet that cannot encrypt send its error in the clear, but such a post cannot be told from
/// anyone's who has seen the QR code, and every request here offers an ECDH-ES P-256 key with
/// A128GCM and A256GCM, which a conformant wallet supports (HAIP): a plaintext post is refused
/// and the check waits for the real answer or its expiry.
fn read(
    keys: &KeyCustody,
    check: &CheckRow,
    form: ResponseForm,
) -> Result<(Option<String>, Answer), ExchangeError> {
    match response_mode(check)? {
        ResponseMode::DirectPostJwt => {
            if form.vp_token.is_some() || form.error.is_some() {
                return Err(ExchangeError::Unencrypted);
            }
            let jwe = form
                .response
                .ok_or_else(|| ExchangeError::InvalidResponse("missing `response`".into()))?;
            let key = decryption_key(keys, check)?;
            let decrypted = jwe::decrypt(jwe.trim(), &key, &ENC_VALUES)
                .map_err(|_| ExchangeError::Decryption)?;
            read_decrypted(&decrypted.plaintext)
        }
        ResponseMode::DirectPost => {
            if form.response.is_some() {
                return Err(ExchangeError::InvalidResponse(
                    "`response` is for direct_post.jwt; this request uses direct_post".into(),
                ));
            }
            let vp_token = form
                .vp_token
                .as_deref()
                .map(VpToken::from_json_str)
                .transpose()
                .map_err(|_| {
                    ExchangeError::InvalidResponse(
                        "`vp_token` is not a JSON object of presentations".into(),
                    )
                })?;
            Ok((form.state, answer(vp_token, form.error)?))
        }
        _ => Err(ExchangeError::Corrupt {
            what: "response mode",
        }),
    }
}

/// Reads the decrypted payload of a `direct_post.jwt` response: its `state` and what it
/// answers.
fn read_decrypted(plaintext: &[u8]) -> Result<(Option<String>, Answer), ExchangeError> {
    let response: AuthorizationResponse = serde_json::from_slice(plaintext).map_err(|_| {
        ExchangeError::InvalidResponse(
            "the decrypted payload is not an Authorization Response".into(),
        )
    })?;
    Ok((response.state, answer(response.vp_token, response.error)?))
}

/// A VP Token or an error code, not both and not neither.
fn answer(vp_token: Option<VpToken>, error: Option<String>) -> Result<Answer, ExchangeError> {
    match (vp_token, error) {
        (Some(token), None) => Ok(Answer::Presentation(token)),
        (None, Some(code)) if !code.is_empty() => Ok(Answer::Error(code)),
        (Some(_), Some(_)) => Err(ExchangeError::InvalidResponse(
            "`vp_token` and `error` together".into(),
        )),
        _ => Err(ExchangeError::InvalidResponse(
            "missing `vp_token` or `error`".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decrypted_payload_yields_its_state_and_answer() {
        let (state, answer) =
            read_decrypted(br#"{"state":"s1","vp_token":{"rtw":["eyJ..~"]}}"#).unwrap();
        assert_eq!(state.as_deref(), Some("s1"));
        assert!(matches!(answer, Answer::Presentation(token) if token.0["rtw"] == ["eyJ..~"]));

        let (state, answer) = read_decrypted(br#"{"state":"s2","error":"access_denied"}"#).unwrap();
        assert_eq!(state.as_deref(), Some("s2"));
        assert!(matches!(answer, Answer::Error(code) if code == ACCESS_DENIED));
    }

    #[test]
    fn a_malformed_payload_is_refused() {
        for payload in [
            &br#"{"state":"s3","vp_token":"not an object"}"#[..],
            br#"{"state":"s3","vp_token":{"rtw":["a"]},"error":"access_denied"}"#,
            br#"{"state":"s3","error":""}"#,
            br#"{"state":"s3"}"#,
            br#"{"state":7,"vp_token":{}}"#,
            b"[1]",
            b"\"text\"",
            b"{",
            b"",
        ] {
            assert!(
                matches!(
                    read_decrypted(payload),
                    Err(ExchangeError::InvalidResponse(_))
                ),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
    }
}
