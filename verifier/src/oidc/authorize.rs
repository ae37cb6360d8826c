//! `GET|POST /oidc/authorize`: the Authentication Request (OpenID Connect Core 1.0 §3.1.2;
//! RFC 6749 §4.1.1; RFC 7636 PKCE; RFC 9207 `iss`).
//!
//! The client and its redirect URI are checked first: when either is wrong the person sees an
//! error page and is never redirected (RFC 6749 §4.1.2.1). Everything else wrong goes back to
//! the client as `error=…&state=…&iss=…`: `invalid_request` (repeated parameter, missing or
//! `plain` PKCE, `response_mode` other than `query`), `unsupported_response_type` (not
//! `code`), `invalid_scope` (no `openid`, or not exactly one template the client may run),
//! `request_not_supported` / `request_uri_not_supported`, and `login_required`
//! (`prompt=none`: a check always needs the person). Scopes that are neither `openid` nor a
//! template are ignored (Core §3.1.2.1).
//!
//! A valid request records a pending authorization (a session row without a check, expiring
//! after `checks.request_lifetime_secs`) and nothing else: its check is created when the
//! browser loads the hand-off page ([`super::handoff`]), so a flood of redirects creates no
//! checks, keys or wallet requests. A client may have at most `[limits]
//! max_pending_sessions_per_client` pending sign-ins; beyond that the request gets a 429 page
//! with `Retry-After`.

use idv_service_kit::Secret;

use super::OpenIdProvider;
use super::params::Params;
use super::{OidcError, hash_secret};
use crate::store::oidc::OidcSessionRow;

/// Random bytes of a session id (the hand-off page's URL).
const SESSION_ID_BYTES: usize = 24;
/// Random bytes of the browser-binding cookie secret.
const BROWSER_SECRET_BYTES: usize = 32;
/// Longest `state` accepted.
const MAX_STATE: usize = 1024;
/// Longest `nonce` accepted.
const MAX_NONCE: usize = 255;

/// Where the browser goes back to the client: `redirect_uri` with the response parameters,
/// `state` and `iss` added to its query.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientRedirect(String);

impl ClientRedirect {
    /// The `Location`.
    pub fn location(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientRedirect([redacted])")
    }
}

/// What an authorization request leads to.
#[derive(Debug)]
pub enum Authorization {
    /// A session started: set the cookie and send the browser to the hand-off page.
    Started {
        /// The session (the hand-off page is `/oidc/handoff/{session_id}`).
        session_id: String,
        /// The cookie's value.
        browser_secret: Secret,
        /// Seconds the session waits for the wallet (the cookie's `Max-Age`).
        lifetime_secs: i64,
    },
    /// Refused: back to the client with an error.
    Refused(ClientRedirect),
}

impl OpenIdProvider {
    /// Handles an authorization request given as form-encoded text (the query string of a
    /// `GET`, or the body of a `POST`).
    pub async fn authorize(&self, parameters: &str) -> Result<Authorization, OidcError> {
        let params = Params::parse(parameters);
        let client_id = params.get("client_id").ok_or(OidcError::UnknownClient)?;
        let client = self
            .registered_client(client_id)
            .await?
            .ok_or(OidcError::UnknownClient)?;
        let redirect_uri = params
            .get("redirect_uri")
            .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
            .ok_or(OidcError::InvalidRedirectUri)?
            .to_owned();
        // From here on every refusal goes back to the client.
        let state = params.get("state").filter(|s| s.len() <= MAX_STATE);
        let refuse = |error: &str, description: &str| -> Result<Authorization, OidcError> {
            Ok(Authorization::Refused(self.client_redirect(
                &redirect_uri,
                &[("error", error), ("error_description", description)],
                state,
            )?))
        };
        if let Some(name) = params.first_repeated() {
            return refuse(
                "invalid_request",
                &format!("the parameter {name} must be sent once"),
            );
        }
        if params.has("state") && state.is_none() {
            return refuse(
                "invalid_request",
                &format!("state longer than {MAX_STATE} characters"),
            );
        }
        if params.has("request") {
            return refuse("request_not_supported", "request objects are not supported");
        }
        if params.has("request_uri") {
            return refuse("request_uri_not_supported", "request_uri is not supported");
        }
        match params.get("response_type") {
            Some("code") => {}
            Some(_) => {
                return refuse(
                    "unsupported_response_type",
                    "only response_type=code is supported",
                );
            }
            None => return refuse("invalid_request", "response_type is required"),
        }
        if params.get("response_mode").is_some_and(|m| m != "query") {
            return refuse("invalid_request", "only response_mode=query is supported");
        }
        let template = match self.scope_template(&client.templates, params.get("scope")) {
            Ok(template) => template,
            Err(why) => return refuse("invalid_scope", &why),
        };
        let code_challenge = match (
            params.get("code_challenge"),
            params.get("code_challenge_method"),
        ) {
            (Some(challenge), Some("S256")) if idv_jose::pkce::is_s256_challenge(challenge) => {
                challenge.to_owned()
            }
            (Some(_), Some("S256")) => {
                return refuse(
                    "invalid_request",
                    "code_challenge must be base64url(SHA-256(code_verifier)), 43 characters",
                );
            }
            _ => {
                return refuse(
                    "invalid_request",
                    "PKCE is required: code_challenge with code_challenge_method=S256",
                );
            }
        };
        let nonce = params.get("nonce");
        if nonce.is_some_and(|n| n.len() > MAX_NONCE) {
            return refuse(
                "invalid_request",
                &format!("nonce longer than {MAX_NONCE} characters"),
            );
        }
        if params
            .get("prompt")
            .is_some_and(|p| p.split(' ').any(|v| v == "none"))
        {
            return refuse(
                "login_required",
                "a check always needs the person and their wallet",
            );
        }

        // A pending authorization only: the check (row, key, wallet request) is created when
        // the person's browser loads the hand-off page (`handoff`), so redirects alone cost a
        // row each, capped per client.
        let now = self.clock.now();
        let limit = self.settings.limits.max_pending_sessions_per_client;
        let (pending, earliest) = self
            .store
            .pending_oidc_sessions(&client.client_id, now)
            .await?;
        if pending >= limit {
            tracing::warn!(
                oidc.client_id = %client.client_id,
                "authorization request refused: too many pending sign-ins"
            );
            return Err(OidcError::TooManySessions {
                limit,
                retry_after_secs: secs_until(earliest, now),
            });
        }
        let random = self.random.as_ref();
        let session_id = idv_jose::random::token(random, SESSION_ID_BYTES);
        let browser_secret = idv_jose::random::token(random, BROWSER_SECRET_BYTES);
        let lifetime = self.settings.request_lifetime_secs;
        let session = OidcSessionRow {
            session_id: session_id.clone(),
            browser_hash: hash_secret(&browser_secret),
            client_id: client.client_id.clone(),
            tenant_id: client.tenant_id.clone(),
            check_id: None,
            scope: format!("openid {template}"),
            redirect_uri,
            state: state.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            code_challenge,
            status: "pending".to_owned(),
            created_at: now,
            expires_at: now + lifetime,
            ..OidcSessionRow::default()
        };
        self.store.insert_oidc_session(&session).await?;
        tracing::info!(oidc.client_id = %client.client_id, "authorization session started");
        Ok(Authorization::Started {
            session_id,
            browser_secret: Secret::new(browser_secret),
            // The page may be loaded up to a lifetime later, and its check lives one more.
            lifetime_secs: 2 * lifetime,
        })
    }

    /// The one template the `scope` selects among those the client may run.
    fn scope_template(&self, permitted: &[String], scope: Option<&str>) -> Result<String, String> {
        let scopes: Vec<&str> = scope.unwrap_or_default().split(' ').collect();
        if !scopes.contains(&"openid") {
            return Err("the scope must contain openid".into());
        }
        let named: Vec<&str> = scopes
            .iter()
            .copied()
            .filter(|s| self.templates.get(s).is_ok())
            .collect();
        match named.as_slice() {
            [one] if permitted.iter().any(|p| p == one) => Ok((*one).to_owned()),
            [one] => Err(format!("this client may not run the check {one}")),
            _ => Err(format!(
                "the scope must name exactly one check this client may run: {}",
                permitted.join(", ")
            )),
        }
    }

    /// `redirect_uri` with `pairs`, `state` (when the client sent one) and `iss` appended.
    pub(crate) fn client_redirect(
        &self,
        redirect_uri: &str,
        pairs: &[(&str, &str)],
        state: Option<&str>,
    ) -> Result<ClientRedirect, OidcError> {
        let mut url = url::Url::parse(redirect_uri).map_err(|_| OidcError::Corrupt {
            what: "redirect URI",
        })?;
        {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(pairs);
            if let Some(state) = state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.settings.public_url);
        }
        Ok(ClientRedirect(url.into()))
    }
}

/// Seconds from `now` until `earliest` (an expiry), at least 1: a `Retry-After`.
pub(crate) fn secs_until(earliest: Option<i64>, now: i64) -> u64 {
    earliest.map_or(1, |at| u64::try_from(at - now).unwrap_or(0).max(1))
}
