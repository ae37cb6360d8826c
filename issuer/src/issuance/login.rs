//! The citizen's sign-in at the provider's existing OpenID Provider: the issuer is a relying
//! party of it, through the `openidconnect` crate (OpenID Connect Core, authorization code
//! flow, confidential client with `client_secret_basic`).
//!
//! - `GET /authorize?client_id&request_uri` ([`Authorization::start_sign_in`]) spends the pushed
//!   request's `request_uri` and sends the browser to the OP with a fresh `state`, `nonce`
//!   and PKCE S256 challenge, all recorded with the request (state and nonce hashed).
//! - `GET /login/callback?code&state` ([`Authorization::finish_sign_in`]) claims the sign-in by its
//!   `state` (once), checks RFC 9207 `iss` when the OP sends it (required when its metadata
//!   says it does), exchanges the code with the PKCE verifier, and verifies the ID token with
//!   `openidconnect`'s verifier: signature by the OP's JWKS (ES256, RS256 or PS256), `iss`,
//!   `aud`, `exp` (by the issuer's clock) and the `nonce`. Its `sub` must be the
//!   `login_subject` of a proofed identity, and of the offer's identity when the request
//!   answered an offer. Then the wallet gets an authorization code
//!   ([`super::authorization_codes`]).
//!
//! An unknown or reused `request_uri` or `state` is answered to the browser (`invalid_request`,
//! no redirect: the wallet is not known). Every later failure sends the browser back to the
//! wallet with `access_denied` (sign-in refused or failed, no linked identity) or
//! `server_error` (OP unreachable or misbehaving), never with tokens or the OP's answer.
//!
//! The OP's metadata and keys are discovered from `[login].issuer_url` on first use and kept
//! for [`DISCOVERY_TTL_SECS`]; an ID token signed by an unknown key triggers one rediscovery
//! (key rotation).

mod op_http;

pub(crate) use op_http::client as op_client;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata,
    RedirectUrl, RequestTokenError, Scope, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use op_http::OpHttpError;

use super::authorization::Authorization;
use super::authorization::{AuthorizationSettings, REQUEST_URI_PREFIX, WalletRedirect};
use super::{AuthorizationError, SignInFailure, constant_time_eq, hash_secret};
use crate::store::authorization::{NewSignIn, StoredAuthorizationRequest};

/// Path of the OP's redirect back to the issuer (register `<public_url>/login/callback` at the
/// OP).
pub const CALLBACK_PATH: &str = "/login/callback";
/// Seconds the OP's discovered metadata and keys are reused.
pub const DISCOVERY_TTL_SECS: i64 = 3600;

/// Bytes of entropy in the `state`, `nonce` and PKCE verifier sent to the OP.
const SECRET_BYTES: usize = 32;
/// ID token signature algorithms accepted (asymmetric only).
const ID_TOKEN_ALGS: [CoreJwsSigningAlgorithm; 3] = [
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
];

/// The OP metadata member of RFC 9207 that `openidconnect` does not model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rfc9207Metadata {
    /// Whether the OP adds `iss` to its authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl AdditionalProviderMetadata for Rfc9207Metadata {}

/// The OP's discovered metadata (with its keys).
pub type OpMetadata = ProviderMetadata<
    Rfc9207Metadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// `GET /login/callback` query (OpenID Connect Core §3.1.2.5/6, RFC 9207). Secrets are redacted
/// in `Debug`.
#[derive(Clone, Default, Deserialize)]
pub struct SignInCallback {
    /// The OP's authorization code.
    pub code: Option<String>,
    /// The `state` the issuer sent.
    pub state: Option<String>,
    /// The OP's error code, when sign-in did not succeed.
    pub error: Option<String>,
    /// The OP's issuer identifier (RFC 9207).
    pub iss: Option<String>,
}

impl std::fmt::Debug for SignInCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInCallback")
            .field("error", &self.error)
            .field("iss", &self.iss)
            .finish_non_exhaustive()
    }
}

/// The issuer as a relying party of the OP: its settings and the discovered metadata.
pub struct RelyingParty {
    op_issuer_url: String,
    client_id: ClientId,
    client_secret: ClientSecret,
    scopes: Vec<String>,
    sign_in_timeout_secs: i64,
    http: idv_fetch::Fetcher,
    discovered: RwLock<Option<(OpMetadata, i64)>>,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("op_issuer_url", &self.op_issuer_url)
            .field("client_id", &self.client_id.as_str())
            .finish_non_exhaustive()
    }
}

/// Why the OP's metadata could not be had.
#[derive(Debug, thiserror::Error)]
#[error("the OP's metadata could not be discovered: {0}")]
struct DiscoveryFailed(String);

impl RelyingParty {
    /// A relying party with `settings`; nothing is fetched until first use.
    pub fn new(settings: &AuthorizationSettings) -> Self {
        Self {
            op_issuer_url: settings.op_issuer_url.clone(),
            client_id: ClientId::new(settings.client_id.clone()),
            client_secret: ClientSecret::new(settings.client_secret.expose().to_owned()),
            scopes: settings.scopes.clone(),
            sign_in_timeout_secs: settings.sign_in_timeout_secs,
            http: settings.op_http.clone(),
            discovered: RwLock::new(None),
        }
    }

    /// The OP's metadata: cached, or discovered when older than [`DISCOVERY_TTL_SECS`] or
    /// when `refresh`.
    async fn metadata(&self, now: i64, refresh: bool) -> Result<OpMetadata, DiscoveryFailed> {
        if !refresh
            && let Some((metadata, fetched_at)) = &*self.discovered.read().await
            && now - fetched_at < DISCOVERY_TTL_SECS
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.op_issuer_url.clone())
            .map_err(|e| DiscoveryFailed(e.to_string()))?;
        let http = |request| op_http::send(self.http.clone(), request);
        let metadata = OpMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| DiscoveryFailed(discovery_error(&e)))?;
        *self.discovered.write().await = Some((metadata.clone(), now));
        Ok(metadata)
    }

    fn client(&self, metadata: OpMetadata, callback: RedirectUrl) -> CoreClientWithKeys {
        CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(callback)
    }
}

/// A discovery failure as text, without the OP's answer.
fn discovery_error(error: &openidconnect::DiscoveryError<OpHttpError>) -> String {
    match error {
        openidconnect::DiscoveryError::Request(e) => e.to_string(),
        openidconnect::DiscoveryError::Parse(_) => "the metadata or keys do not parse".into(),
        openidconnect::DiscoveryError::Response(status, _, _) => {
            format!("the OP answered {status}")
        }
        other => other.to_string(),
    }
}

/// A token request failure as text, without the OP's answer or the tokens in it.
fn token_error<T: openidconnect::ErrorResponse + 'static>(
    error: &RequestTokenError<OpHttpError, T>,
) -> String {
    match error {
        RequestTokenError::ServerResponse(e) => format!("the OP refused the code: {e}"),
        RequestTokenError::Request(e) => e.to_string(),
        RequestTokenError::Parse(..) => "the OP's token response does not parse".into(),
        RequestTokenError::Other(e) => e.clone(),
    }
}

/// An OAuth error code from the OP, kept to its alphabet for the logs and the wallet.
fn op_error_code(error: &str) -> String {
    error
        .chars()
        .filter(|c| c.is_ascii_lowercase() || *c == '_')
        .take(64)
        .collect()
}

impl Authorization {
    fn relying_party(&self) -> Result<&RelyingParty, AuthorizationError> {
        self.login
            .as_deref()
            .ok_or(AuthorizationError::NotConfigured)
    }

    fn wallet_redirect(&self, request: &StoredAuthorizationRequest) -> WalletRedirect {
        WalletRedirect {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            iss: self.base.settings.public_url.clone(),
        }
    }

    /// `GET /authorize`: spends the pushed request's `request_uri` and returns the OP's
    /// authorization URL to send the browser to.
    pub async fn start_sign_in(
        &self,
        client_id: Option<&str>,
        request_uri: Option<&str>,
    ) -> Result<String, AuthorizationError> {
        let rp = self.relying_party()?;
        let invalid = |why: &str| AuthorizationError::InvalidRequest(why.to_owned());
        let request_uri = request_uri.ok_or_else(|| {
            invalid(
                "this issuer requires pushed authorization requests: send client_id and the \
                 request_uri from its pushed_authorization_request_endpoint",
            )
        })?;
        let client_id = client_id.ok_or_else(|| invalid("client_id is missing"))?;
        let handle = request_uri
            .strip_prefix(REQUEST_URI_PREFIX)
            .ok_or_else(|| invalid("unknown request_uri"))?;
        let request_ref = hash_secret(handle);
        let request = self
            .base
            .store
            .authorization_request(&request_ref)
            .await?
            .ok_or_else(|| invalid("unknown request_uri"))?;
        if request.client_id != client_id {
            return Err(invalid("client_id does not match the pushed request"));
        }

        let now = self.base.clock.now();
        let token = || idv_jose::random::token(self.base.random.as_ref(), SECRET_BYTES);
        let (state, nonce, verifier) = (token(), token(), token());
        let started = self
            .base
            .store
            .start_sign_in(
                &request_ref,
                client_id,
                &NewSignIn {
                    state_hash: &hash_secret(&state),
                    nonce_hash: &hash_secret(&nonce),
                    pkce_verifier: &verifier,
                    expires_at: now + rp.sign_in_timeout_secs,
                },
                now,
            )
            .await?;
        if !started {
            return Err(invalid("the request_uri was already used or has expired"));
        }
        let to = self.wallet_redirect(&request);
        let metadata = rp.metadata(now, false).await.map_err(|e| {
            tracing::warn!(error = %e, "sign-in not started");
            AuthorizationError::redirect(
                &to,
                SignInFailure::ServerError("the provider's sign-in service is unavailable".into()),
            )
        })?;
        let client = rp.client(metadata, self.callback_url(&to)?);
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier));
        let mut authorize = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge);
        for scope in rp.scopes.iter().filter(|s| *s != "openid") {
            authorize = authorize.add_scope(Scope::new(scope.clone()));
        }
        let (url, _, _) = authorize.url();
        tracing::info!(client.id = %client_id, "sign-in started at the OP");
        Ok(url.into())
    }

    fn callback_url(&self, to: &WalletRedirect) -> Result<RedirectUrl, AuthorizationError> {
        RedirectUrl::new(self.base.settings.url(CALLBACK_PATH)).map_err(|_| {
            AuthorizationError::redirect(
                to,
                SignInFailure::ServerError("the issuer's callback URL is invalid".into()),
            )
        })
    }

    /// `GET /login/callback`: completes the sign-in and returns the wallet's redirect URL with
    /// an authorization code.
    pub async fn finish_sign_in(
        &self,
        callback: SignInCallback,
    ) -> Result<String, AuthorizationError> {
        let rp = self.relying_party()?;
        let state = callback.state.as_deref().ok_or_else(|| {
            AuthorizationError::InvalidRequest("the sign-in callback has no state".into())
        })?;
        let now = self.base.clock.now();
        let sign_in = self
            .base
            .store
            .claim_sign_in(&hash_secret(state), now)
            .await?
            .ok_or_else(|| {
                AuthorizationError::InvalidRequest(
                    "unknown or already completed sign-in: start again from the wallet".into(),
                )
            })?;
        let to = self.wallet_redirect(&sign_in.request);
        let denied = |why: &str| {
            tracing::info!(reason = why, "sign-in denied");
            AuthorizationError::redirect(&to, SignInFailure::Denied(why.to_owned()))
        };
        let failed = |why: String| {
            tracing::warn!(reason = %why, "sign-in failed");
            AuthorizationError::redirect(
                &to,
                SignInFailure::ServerError(
                    "the provider's sign-in could not be completed; try again later".into(),
                ),
            )
        };
        if now >= sign_in.expires_at {
            return Err(denied(
                "the sign-in took too long; start again from the wallet",
            ));
        }
        if let Some(error) = &callback.error {
            return Err(denied(&format!(
                "sign-in at the provider did not complete ({})",
                op_error_code(error)
            )));
        }
        let metadata = rp
            .metadata(now, false)
            .await
            .map_err(|e| failed(e.to_string()))?;
        match &callback.iss {
            Some(iss) if iss != metadata.issuer().as_str() => {
                return Err(denied("the sign-in answer came from another issuer"));
            }
            None if metadata
                .additional_metadata()
                .authorization_response_iss_parameter_supported =>
            {
                return Err(denied("the provider's sign-in answer has no iss"));
            }
            _ => {}
        }
        let code = callback
            .code
            .ok_or_else(|| failed("the OP's callback has neither code nor error".into()))?;
        let client = rp.client(metadata, self.callback_url(&to)?);
        let http = |request| op_http::send(rp.http.clone(), request);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| failed(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(sign_in.pkce_verifier))
            .request_async(&http)
            .await
            .map_err(|e| failed(token_error(&e)))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| failed("the OP's token response has no id_token".into()))?;
        let verify = |client: &CoreClientWithKeys| {
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(ID_TOKEN_ALGS)
                .set_time_fn(move || chrono::DateTime::from_timestamp(now, 0).unwrap_or_default());
            let nonce_hash = &sign_in.nonce_hash;
            id_token
                .claims(&verifier, |nonce: Option<&Nonce>| match nonce {
                    Some(nonce)
                        if constant_time_eq(
                            hash_secret(nonce.secret()).as_bytes(),
                            nonce_hash.as_bytes(),
                        ) =>
                    {
                        Ok(())
                    }
                    _ => Err("the nonce is missing or not the one sent".to_owned()),
                })
                .map(|claims| claims.subject().as_str().to_owned())
        };
        let subject = match verify(&client) {
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                // Perhaps the OP rotated its keys: rediscover once.
                let metadata = rp
                    .metadata(now, true)
                    .await
                    .map_err(|e| failed(e.to_string()))?;
                verify(&rp.client(metadata, self.callback_url(&to)?))
            }
            other => other,
        }
        .map_err(|e| {
            tracing::warn!(error = %e, "ID token refused");
            denied("the provider's ID token did not verify")
        })?;

        let identity = self
            .base
            .store
            .identity_by_login_subject(&subject)
            .await?
            .ok_or_else(|| {
                denied(
                    "no proofed identity is linked to this account: ask the provider to check \
                     your identity, or to link it to the account you signed in with",
                )
            })?;
        if let Some(offer_ref) = &sign_in.request.offer_ref {
            let offer = self.base.store.offer(offer_ref).await?;
            match offer {
                Some(offer) if offer.identity_id != identity.identity_id => {
                    return Err(denied(
                        "this credential offer is for someone else than the account signed in",
                    ));
                }
                Some(offer) if offer.redeemed_at.is_none() && now < offer.expires_at => {}
                _ => return Err(denied("the credential offer is no longer valid")),
            }
        }
        let code = self
            .tokens
            .issue_authorization_code(&sign_in.request.request_ref, &identity.identity_id, now)
            .await?;
        tracing::info!(identity.id = %identity.identity_id, "signed in; authorization code issued");
        Ok(to.url(&[("code", &code)]))
    }
}

/// The relying party's client once the metadata (and so the OP's keys) is set.
type CoreClientWithKeys = openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_error_codes_are_kept_to_their_alphabet() {
        assert_eq!(op_error_code("access_denied"), "access_denied");
        assert_eq!(op_error_code("x\"<script>&y=1"), "xscripty");
    }
}
