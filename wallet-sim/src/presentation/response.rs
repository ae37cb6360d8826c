//! Answering the verifier at its `response_uri` (OpenID4VP 1.0 "Response Mode direct_post",
//! "Response Mode direct_post.jwt", "Encrypted Responses", "Error Response").
//!
//! `direct_post` posts `vp_token` (JSON text) and `state` as a form; `direct_post.jwt` posts
//! `response=<JWE>`, an unsigned encrypted JWT whose payload holds the same parameters as
//! top-level members, encrypted with `ECDH-ES` to a key of `client_metadata.jwks` (its `alg`
//! must be `ECDH-ES`; its `kid` is copied) and the `enc` the verifier lists (A256GCM
//! preferred, A128GCM by default). Errors (`access_denied` on decline) go the same way.

use idv_jose::PublicKey;
use idv_jose::jwe::{self, ContentEncryption, ECDH_ES};
use idv_proto::oauth_error::OAuthErrorCode;
use idv_proto::oid4vp::authorization_request::{RequestObject, ResponseMode};
use idv_proto::oid4vp::authorization_response::{AuthorizationResponse, ResponseUriReply, VpToken};
use serde_json::Value;

use crate::error::{InternalError, Party, WalletError};
use crate::http_client::{Http, JSON, host_of};

/// The key and algorithms a `direct_post.jwt` response is encrypted with.
#[derive(Debug, Clone)]
pub(crate) struct Encryption {
    key: PublicKey,
    kid: Option<String>,
    enc: ContentEncryption,
}

/// Where and how to answer one request.
#[derive(Debug, Clone)]
pub(crate) struct Responder {
    pub(crate) response_uri: String,
    pub(crate) mode: ResponseMode,
    state: Option<String>,
    /// For `direct_post.jwt`: the encryption, or why there is none.
    encryption: Result<Encryption, String>,
}

/// What the response URI answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivered {
    /// Where the verifier wants the person to continue, if anywhere.
    pub(crate) redirect_uri: Option<String>,
}

impl Responder {
    /// The responder for an authenticated request; `None` when the request names no usable
    /// place to answer (then nothing can be sent).
    pub(crate) fn for_request(object: &RequestObject, http: &Http) -> Option<Self> {
        let mode = object.response_mode;
        if !matches!(mode, ResponseMode::DirectPost | ResponseMode::DirectPostJwt) {
            return None;
        }
        let response_uri = object.response_uri.clone()?;
        http.check_url(&response_uri, Party::Verifier).ok()?;
        let encryption = if mode == ResponseMode::DirectPostJwt {
            choose_encryption(object)
        } else {
            Err("not needed".into())
        };
        Some(Self {
            response_uri,
            mode,
            state: object.state.clone(),
            encryption,
        })
    }

    /// Whether a VP Token can be sent (for `direct_post.jwt`: whether a key was found).
    pub(crate) fn check_can_encrypt(&self) -> Result<(), String> {
        match (&self.mode, &self.encryption) {
            (ResponseMode::DirectPostJwt, Err(why)) => Err(why.clone()),
            _ => Ok(()),
        }
    }

    /// The `enc` that will be used, for the consent screen.
    pub(crate) fn content_encryption(&self) -> Option<&'static str> {
        match (&self.mode, &self.encryption) {
            (ResponseMode::DirectPostJwt, Ok(encryption)) => Some(encryption.enc.as_str()),
            _ => None,
        }
    }

    /// Posts the VP Token.
    pub(crate) async fn send_vp_token(
        &self,
        http: &Http,
        vp_token: VpToken,
    ) -> Result<Delivered, WalletError> {
        let response = AuthorizationResponse {
            vp_token: Some(vp_token),
            state: self.state.clone(),
            error: None,
            error_description: None,
        };
        self.send(http, &response, true).await
    }

    /// Posts an error response (`access_denied`, `invalid_request`, …).
    pub(crate) async fn send_error(
        &self,
        http: &Http,
        code: OAuthErrorCode,
        description: &str,
    ) -> Result<Delivered, WalletError> {
        let response = AuthorizationResponse {
            vp_token: None,
            state: self.state.clone(),
            error: Some(code.as_str().to_owned()),
            error_description: Some(error_description(description)),
        };
        self.send(http, &response, false).await
    }

    async fn send(
        &self,
        http: &Http,
        response: &AuthorizationResponse,
        must_encrypt: bool,
    ) -> Result<Delivered, WalletError> {
        let fields: Vec<(&str, String)> = match (&self.mode, &self.encryption) {
            (ResponseMode::DirectPostJwt, Ok(encryption)) => {
                let payload =
                    serde_json::to_vec(response).map_err(|source| InternalError::Json {
                        what: "the authorization response",
                        source,
                    })?;
                let jwe = jwe::encrypt(
                    &payload,
                    &encryption.key,
                    encryption.kid.as_deref(),
                    encryption.enc,
                )
                .map_err(|source| InternalError::Jose {
                    what: "encrypting the authorization response",
                    source,
                })?;
                vec![("response", jwe)]
            }
            (ResponseMode::DirectPostJwt, Err(why)) if must_encrypt => {
                return Err(WalletError::InvalidRequest {
                    reason: format!("the response cannot be encrypted: {why}"),
                });
            }
            // direct_post, or an error the wallet cannot encrypt (sent in clear, as
            // OpenID4VP "Response Mode direct_post.jwt" allows).
            _ => plain_fields(response),
        };
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let post = || http.post_form(&self.response_uri, &borrowed, JSON, None, Party::Verifier);
        let reply = match post().await {
            // A kept-alive connection the verifier closed (say, on a restart) fails without
            // the response having been read: one more try, on a new connection. Should the
            // first have arrived after all, the verifier refuses the second as a replay.
            Err(WalletError::Unreachable { .. }) => post().await,
            other => other,
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(WalletError::Unreachable { host, reason, .. }) => {
                return Err(WalletError::VerifierFailed { host, reason });
            }
            Err(other) => return Err(other),
        };
        if reply.status >= 500 {
            let remote = reply
                .oauth_error()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Err(WalletError::VerifierFailed {
                host: host_of(&self.response_uri),
                reason: format!("it answered HTTP {}{remote}", reply.status),
            });
        }
        if !reply.is_success() {
            return Err(WalletError::VerifierRejected {
                status: reply.status,
                remote: reply.oauth_error(),
            });
        }
        // The body should be a JSON object; anything else just carries no redirect.
        let redirect_uri = serde_json::from_slice::<ResponseUriReply>(&reply.body)
            .ok()
            .and_then(|r| r.redirect_uri);
        Ok(Delivered { redirect_uri })
    }
}

fn plain_fields(response: &AuthorizationResponse) -> Vec<(&'static str, String)> {
    let mut fields = Vec::new();
    if let Some(vp_token) = &response.vp_token {
        fields.push(("vp_token", vp_token.to_json_string()));
    }
    if let Some(error) = &response.error {
        fields.push(("error", error.clone()));
    }
    if let Some(description) = &response.error_description {
        fields.push(("error_description", description.clone()));
    }
    if let Some(state) = &response.state {
        fields.push(("state", state.clone()));
    }
    fields
}

/// Keeps an `error_description` within `%x20-21 / %x23-5B / %x5D-7E` (RFC 6749 §4.1.2.1).
fn error_description(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if (' '..='~').contains(&c) => c,
            _ => '?',
        })
        .collect()
}

/// The verifier's encryption key (EC P-256 with `alg: ECDH-ES`, for encryption) and `enc`.
fn choose_encryption(object: &RequestObject) -> Result<Encryption, String> {
    let metadata = object
        .client_metadata
        .as_ref()
        .ok_or("the request has no client_metadata with encryption keys")?;
    let keys = metadata
        .jwks
        .as_ref()
        .map(|jwks| jwks.keys.as_slice())
        .unwrap_or_default();
    let (key, kid) = keys
        .iter()
        .filter(|jwk| {
            let text = |name: &str| jwk.get(name).and_then(Value::as_str);
            text("alg") == Some(ECDH_ES) && matches!(text("use"), None | Some("enc"))
        })
        .find_map(|jwk| {
            let key = PublicKey::from_jwk_value(jwk).ok()?;
            Some((
                key,
                jwk.get("kid").and_then(Value::as_str).map(str::to_owned),
            ))
        })
        .ok_or("client_metadata.jwks has no P-256 key with alg ECDH-ES")?;
    let enc = match &metadata.encrypted_response_enc_values_supported {
        None => ContentEncryption::A128Gcm,
        Some(offered) => [ContentEncryption::A256Gcm, ContentEncryption::A128Gcm]
            .into_iter()
            .find(|enc| offered.iter().any(|o| o == enc.as_str()))
            .ok_or("encrypted_response_enc_values_supported lists neither A256GCM nor A128GCM")?,
    };
    Ok(Encryption { key, kid, enc })
}

#[cfg(test)]
mod tests {
    use idv_jose::DecryptionKey;
    use serde_json::json;

    use super::*;
    use crate::http_client::canned::{Canned, serve};

    fn request(client_metadata: Value) -> RequestObject {
        serde_json::from_value(json!({
            "client_id": "verifier_attestation:employer.example",
            "response_type": "vp_token",
            "response_mode": "direct_post.jwt",
            "response_uri": "http://127.0.0.1:9/response",
            "nonce": "n",
            "client_metadata": client_metadata
        }))
        .unwrap()
    }

    #[test]
    fn the_encryption_key_needs_alg_ecdh_es_and_a256gcm_is_preferred() {
        let key = DecryptionKey::generate().unwrap();
        let mut without_alg = serde_json::to_value(key.public_jwk()).unwrap();
        without_alg.as_object_mut().unwrap().remove("alg");
        let signing = json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "x": "a", "y": "b"});
        let okp = json!({"kty": "OKP", "crv": "X25519", "alg": "ECDH-ES", "x": "a"});
        let good = serde_json::to_value(key.public_jwk()).unwrap();
        let chosen = choose_encryption(&request(json!({
            "jwks": {"keys": [without_alg, signing, okp, good]},
            "encrypted_response_enc_values_supported": ["A128GCM", "A256GCM"]
        })))
        .unwrap();
        assert_eq!(&chosen.key, key.public_key());
        assert_eq!(chosen.kid, key.public_jwk().kid);
        assert_eq!(chosen.enc, ContentEncryption::A256Gcm);

        let default_enc = choose_encryption(&request(json!({
            "jwks": {"keys": [serde_json::to_value(key.public_jwk()).unwrap()]}
        })))
        .unwrap();
        assert_eq!(default_enc.enc, ContentEncryption::A128Gcm);

        assert!(
            choose_encryption(&request(json!({
                "jwks": {"keys": [serde_json::to_value(key.public_jwk()).unwrap()]},
                "encrypted_response_enc_values_supported": ["A128CBC-HS256"]
            })))
            .is_err()
        );
        assert!(choose_encryption(&request(json!({}))).is_err());
    }

    #[test]
    fn the_encrypted_payload_carries_the_response_parameters_at_top_level() {
        let key = DecryptionKey::generate().unwrap();
        let object = request(json!({
            "jwks": {"keys": [serde_json::to_value(key.public_jwk()).unwrap()]}
        }));
        let encryption = choose_encryption(&object).unwrap();
        let response = AuthorizationResponse {
            vp_token: Some(VpToken::from_json_str(r#"{"age":["x~y~z"]}"#).unwrap()),
            state: Some("s".into()),
            error: None,
            error_description: None,
        };
        let jwe = jwe::encrypt(
            &serde_json::to_vec(&response).unwrap(),
            &encryption.key,
            encryption.kid.as_deref(),
            encryption.enc,
        )
        .unwrap();
        let header: Value = serde_json::from_slice(
            &idv_jose::base64url::decode(jwe.split('.').next().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "ECDH-ES");
        assert_eq!(header["kid"], json!(key.public_jwk().kid));
        let decrypted = jwe::decrypt(&jwe, &key, &[ContentEncryption::A128Gcm]).unwrap();
        let payload: Value = serde_json::from_slice(&decrypted.plaintext).unwrap();
        assert_eq!(
            payload,
            json!({"vp_token": {"age": ["x~y~z"]}, "state": "s"})
        );
    }

    /// Sends an `access_denied` to a verifier playing `script`.
    async fn answer(script: Vec<Canned>) -> Result<Delivered, WalletError> {
        let (base, server) = serve(script).await;
        let responder = Responder {
            response_uri: format!("{base}/responses/r1"),
            mode: ResponseMode::DirectPost,
            state: Some("s".into()),
            encryption: Err("not needed".into()),
        };
        let http = Http::new(idv_fetch::FetchPolicy::default()).unwrap();
        let sent = responder
            .send_error(&http, OAuthErrorCode::AccessDenied, "declined")
            .await;
        server.abort();
        sent
    }

    #[tokio::test]
    async fn a_refusal_is_verifier_rejected_and_shows_the_verifiers_error() {
        let sent = answer(vec![Canned::Reply(
            400,
            r#"{"error":"invalid_request","error_description":"response_replayed: answered already"}"#,
        )])
        .await;
        let error = sent.unwrap_err();
        assert_eq!(
            (error.code(), error.exit_status()),
            ("verifier_rejected", 7)
        );
        assert!(
            error
                .to_string()
                .contains("invalid_request: response_replayed: answered already"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_failing_verifier_is_not_a_refusal() {
        let sent = answer(vec![Canned::Reply(
            503,
            r#"{"error":"temporarily_unavailable","error_description":"database down"}"#,
        )])
        .await;
        let error = sent.unwrap_err();
        assert_eq!((error.code(), error.exit_status()), ("verifier_failed", 10));
        let text = error.to_string();
        assert!(text.contains("HTTP 503 (temporarily_unavailable"), "{text}");
        assert!(text.contains("Nothing was refused"), "{text}");
    }

    #[tokio::test]
    async fn a_dropped_connection_is_retried_once_on_a_new_one() {
        let sent = answer(vec![Canned::Drop, Canned::Reply(200, "{}")]).await;
        assert_eq!(sent.unwrap(), Delivered { redirect_uri: None });

        let sent = answer(vec![Canned::Drop, Canned::Drop, Canned::Reply(200, "{}")]).await;
        let error = sent.unwrap_err();
        assert_eq!(
            (error.code(), error.exit_status()),
            ("verifier_failed", 10),
            "{error}"
        );
    }

    #[test]
    fn error_descriptions_stay_in_the_oauth_character_set() {
        assert_eq!(error_description("a \"b\" \\ c\n é"), "a 'b' / c? ?");
    }
}
