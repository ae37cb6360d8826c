//! The authorization code flow (OpenID4VCI 1.0 §5, HAIP where we can), its first step: pushed
//! authorization requests (RFC 9126) from registered wallets.
//!
//! The flow, end to end (enabled by `[login]`, see [`crate::config`]):
//!
//! 1. The wallet (a public client registered in `[[login.wallet_clients]]`) pushes its request
//!    to `POST /par` ([`Authorization::push_authorization_request`]): `client_id`, `redirect_uri`
//!    (registered; a loopback one matches any port, RFC 8252 §7.3), PKCE `code_challenge` with
//!    `S256` only, `state`, what it wants (`authorization_details` of type `openid_credential`,
//!    or `scope`s naming credential configurations; unknown scopes are ignored) and, when it
//!    answers an offer, the offer's `issuer_state`. It gets a single-use `request_uri`.
//! 2. The browser opens `GET /authorize?client_id&request_uri`; the issuer, a relying party of
//!    the provider's OpenID Provider, sends it there to sign in ([`super::login`]).
//! 3. The OP calls back; the issuer verifies the ID token, finds the proofed identity linked to
//!    the account's `sub`, and redirects to the wallet with an authorization code
//!    ([`super::authorization_codes`]) and RFC 9207 `iss`.
//! 4. The wallet exchanges the code with its PKCE verifier at the token endpoint, then fetches
//!    a `c_nonce` and its credentials as in the pre-authorized flow.
//!
//! Every step's state is in the database, so a restart between any two loses nothing. Request
//! handles, codes and states are stored hashed.
//!
//! Known gap (HAIP): wallets are public clients (`token_endpoint_auth_methods_supported`
//! `["none"]`); wallet attestation (OAuth 2.0 Attestation-Based Client Authentication) and
//! DPoP are not implemented, so the issuer cannot tell a genuine wallet from another app
//! using a registered `client_id`. PKCE and exact redirect URIs still bind the code to the
//! request's client instance.

use std::fmt;
use std::net::IpAddr;

pub use idv_proto::oid4vci::authorization_server_metadata::PushedAuthorizationResponse;
use idv_service_kit::Secret;
use serde::Deserialize;

use super::Base;
use super::configurations::{Configuration, parse_authorization_details};
use super::login::RelyingParty;
use super::tokens::Tokens;
use super::{AuthorizationError, hash_secret};
use crate::store::authorization::NewAuthorizationRequest;
use crate::store::offers::StoredOffer;
use std::sync::Arc;

/// Path of the pushed authorization request endpoint.
pub const PAR_PATH: &str = "/par";
/// Path of the authorization endpoint.
pub const AUTHORIZE_PATH: &str = "/authorize";
/// Prefix of the `request_uri`s this issuer hands out (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// Grant type of the authorization code flow.
pub const AUTHORIZATION_CODE_GRANT_TYPE: &str =
    idv_proto::oid4vci::credential_offer::AUTHORIZATION_CODE_GRANT_TYPE;

/// Bytes of entropy in a `request_uri` handle.
const REQUEST_HANDLE_BYTES: usize = 32;
/// Longest `state` a wallet may send (it is echoed back in a URL).
const MAX_STATE: usize = 512;

/// Checked `[login]` settings (from [`crate::config::LoginSettings`]).
#[derive(Debug, Clone)]
pub struct AuthorizationSettings {
    /// The OP's issuer identifier (no trailing slash).
    pub op_issuer_url: String,
    /// The issuer's `client_id` at the OP.
    pub client_id: String,
    /// The issuer's `client_secret` at the OP.
    pub client_secret: Secret,
    /// Scopes asked of the OP.
    pub scopes: Vec<String>,
    /// Lifetime of a `request_uri`, seconds.
    pub request_lifetime_secs: i64,
    /// Time from `/authorize` to the OP's callback, seconds.
    pub sign_in_timeout_secs: i64,
    /// Registered wallets.
    pub wallet_clients: Vec<WalletClient>,
    /// The HTTP client for the OP (its `https` trusting `[tls]`), built once at start-up.
    pub op_http: idv_fetch::Fetcher,
}

impl AuthorizationSettings {
    /// The registered wallet with this `client_id`.
    pub fn wallet_client(&self, client_id: &str) -> Option<&WalletClient> {
        self.wallet_clients
            .iter()
            .find(|c| c.client_id == client_id)
    }
}

/// A wallet registered as a public OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletClient {
    /// Its `client_id`.
    pub client_id: String,
    /// Its registered redirect URIs.
    pub redirect_uris: Vec<String>,
}

/// `http` to a loopback IP literal: RFC 8252 §7.3 redirect URIs, whose port varies.
fn is_loopback_http(url: &url::Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            _ => false,
        }
}

impl WalletClient {
    /// Whether `redirect_uri` is one of this client's: equal to a registered one, or, for a
    /// registered loopback URI, equal but for the port (RFC 8252 §7.3).
    pub fn allows_redirect(&self, redirect_uri: &str) -> bool {
        let requested = url::Url::parse(redirect_uri).ok();
        self.redirect_uris.iter().any(|registered| {
            if registered == redirect_uri {
                return true;
            }
            let (Some(requested), Ok(registered)) = (&requested, url::Url::parse(registered))
            else {
                return false;
            };
            is_loopback_http(&registered)
                && is_loopback_http(requested)
                && registered.host() == requested.host()
                && registered.path() == requested.path()
                && registered.query() == requested.query()
                && requested.fragment().is_none()
                && requested.username().is_empty()
                && requested.password().is_none()
        })
    }
}

/// Where the browser goes back to the wallet, with the wallet's `state` and this issuer's
/// `iss` (RFC 9207) added to whatever else is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRedirect {
    /// The request's `redirect_uri`.
    pub redirect_uri: String,
    /// The request's `state`, if it had one.
    pub state: Option<String>,
    /// This authorization server's issuer identifier.
    pub iss: String,
}

impl WalletRedirect {
    /// `redirect_uri` with `params`, `state` and `iss` added to its query.
    pub fn url(&self, params: &[(&str, &str)]) -> String {
        let Ok(mut url) = url::Url::parse(&self.redirect_uri) else {
            // Registered URIs parse; this is unreachable in practice.
            return self.redirect_uri.clone();
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.iss);
        }
        url.into()
    }
}

/// `POST /par` form (RFC 9126 §2.1, RFC 6749 §4.1.1, RFC 7636, RFC 9396, OpenID4VCI §5.1).
/// Unknown parameters are ignored; repeated ones are refused by the form parser.
#[derive(Clone, Default, Deserialize)]
pub struct PushedAuthorizationRequest {
    /// The wallet's `client_id`.
    pub client_id: Option<String>,
    /// Must be `code`.
    pub response_type: Option<String>,
    /// Where to send the browser back; must be registered for the client.
    pub redirect_uri: Option<String>,
    /// PKCE challenge: base64url(SHA-256(verifier)).
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
    /// The wallet's `state`, echoed back.
    pub state: Option<String>,
    /// Space-separated scopes; credential configuration ids among them are requested.
    pub scope: Option<String>,
    /// RFC 9396 `authorization_details` (JSON array of `openid_credential` objects).
    pub authorization_details: Option<String>,
    /// The `issuer_state` of the offer being answered (a secret: redacted in `Debug`).
    pub issuer_state: Option<String>,
    /// Not allowed in a pushed request (RFC 9126 §2.1).
    pub request_uri: Option<String>,
}

impl fmt::Debug for PushedAuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushedAuthorizationRequest")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("authorization_details", &self.authorization_details)
            .field(
                "issuer_state",
                &self.issuer_state.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// What a pushed request asks for: configuration ids, and whether by `authorization_details`.
fn requested_configurations(
    request: &PushedAuthorizationRequest,
    offer: Option<&StoredOffer>,
) -> Result<(Vec<String>, bool), AuthorizationError> {
    let offered = |id: &String| offer.is_none_or(|o| o.configuration_ids.contains(id));
    if let Some(details) = &request.authorization_details {
        let ids = parse_authorization_details(details)
            .map_err(AuthorizationError::InvalidAuthorizationDetails)?;
        for id in &ids {
            if Configuration::from_id(id).is_none() {
                return Err(AuthorizationError::InvalidAuthorizationDetails(format!(
                    "unknown credential configuration `{id}`"
                )));
            }
            if !offered(id) {
                return Err(AuthorizationError::InvalidAuthorizationDetails(format!(
                    "credential configuration `{id}` was not offered"
                )));
            }
        }
        return Ok((ids, true));
    }
    if let Some(scope) = &request.scope {
        let mut ids: Vec<String> = Vec::new();
        for word in scope.split(' ').filter(|w| !w.is_empty()) {
            let id = word.to_owned();
            if Configuration::from_id(word).is_some() && offered(&id) && !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(AuthorizationError::InvalidScope(
                "no scope names a credential configuration this issuer offers here".into(),
            ));
        }
        return Ok((ids, false));
    }
    match offer {
        Some(offer) => Ok((offer.configuration_ids.clone(), false)),
        None => Err(AuthorizationError::InvalidScope(
            "ask for credentials with scope or authorization_details".into(),
        )),
    }
}

/// The authorization code flow: pushed authorization requests and the citizen's sign-in at the
/// provider's OpenID Provider, ending in an authorization code ([`Tokens`] issues it).
#[derive(Debug, Clone)]
pub struct Authorization {
    pub(super) base: Base,
    pub(super) login: Option<Arc<RelyingParty>>,
    pub(super) tokens: Tokens,
}

impl Authorization {
    /// The authorization code flow's settings; `NotConfigured` without `[login]`.
    pub(crate) fn authorization_settings(
        &self,
    ) -> Result<&AuthorizationSettings, AuthorizationError> {
        self.base
            .settings
            .authorization
            .as_ref()
            .ok_or(AuthorizationError::NotConfigured)
    }

    /// `POST /par`: checks and stores a pushed authorization request.
    pub async fn push_authorization_request(
        &self,
        request: PushedAuthorizationRequest,
    ) -> Result<PushedAuthorizationResponse, AuthorizationError> {
        let settings = self.authorization_settings()?;
        let invalid = |why: &str| AuthorizationError::InvalidRequest(why.to_owned());
        let client_id = request
            .client_id
            .as_deref()
            .ok_or_else(|| invalid("client_id is missing"))?;
        let client = settings.wallet_client(client_id).ok_or_else(|| {
            AuthorizationError::InvalidClient(format!("unknown client `{client_id}`"))
        })?;
        if request.request_uri.is_some() {
            return Err(invalid("a pushed request must not contain request_uri"));
        }
        match request.response_type.as_deref() {
            Some("code") => {}
            None => return Err(invalid("response_type is missing")),
            Some(other) => {
                return Err(AuthorizationError::UnsupportedResponseType(format!(
                    "response_type `{other}` is not supported; use code"
                )));
            }
        }
        let redirect_uri = request
            .redirect_uri
            .as_deref()
            .ok_or_else(|| invalid("redirect_uri is missing"))?;
        if !client.allows_redirect(redirect_uri) {
            return Err(invalid("redirect_uri is not registered for this client"));
        }
        match request.code_challenge_method.as_deref() {
            Some("S256") => {}
            None => {
                return Err(invalid(
                    "PKCE is required: code_challenge_method must be S256",
                ));
            }
            Some(_) => return Err(invalid("code_challenge_method must be S256")),
        }
        let code_challenge = request
            .code_challenge
            .as_deref()
            .ok_or_else(|| invalid("PKCE is required: code_challenge is missing"))?;
        if !idv_jose::pkce::is_s256_challenge(code_challenge) {
            return Err(invalid(
                "code_challenge must be base64url(SHA-256(code_verifier)), 43 characters",
            ));
        }
        if let Some(state) = &request.state
            && (state.len() > MAX_STATE || state.chars().any(char::is_control))
        {
            return Err(invalid("state is too long or has control characters"));
        }
        let now = self.base.clock.now();
        let offer = match request.issuer_state.as_deref() {
            None => None,
            Some(issuer_state) => {
                let offer = self
                    .base
                    .store
                    .offer_by_issuer_state(&hash_secret(issuer_state))
                    .await?
                    .filter(|o| o.redeemed_at.is_none() && now < o.expires_at)
                    .ok_or_else(|| {
                        invalid("issuer_state does not belong to a live credential offer")
                    })?;
                Some(offer)
            }
        };
        let (configuration_ids, uses_details) = requested_configurations(&request, offer.as_ref())?;

        let handle = idv_jose::random::token(self.base.random.as_ref(), REQUEST_HANDLE_BYTES);
        let lifetime = settings.request_lifetime_secs;
        self.base
            .store
            .insert_authorization_request(&NewAuthorizationRequest {
                request_ref: &hash_secret(&handle),
                client_id,
                redirect_uri,
                state: request.state.as_deref(),
                code_challenge,
                configuration_ids: &configuration_ids,
                uses_details,
                offer_ref: offer.as_ref().map(|o| o.offer_ref.as_str()),
                now,
                expires_at: now + lifetime,
            })
            .await?;
        tracing::info!(
            client.id = %client_id,
            request.configurations = ?configuration_ids,
            request.offer = offer.is_some(),
            "authorization request pushed"
        );
        Ok(PushedAuthorizationResponse {
            request_uri: format!("{REQUEST_URI_PREFIX}{handle}"),
            expires_in: lifetime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(uris: &[&str]) -> WalletClient {
        WalletClient {
            client_id: "w".into(),
            redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
        }
    }

    #[test]
    fn loopback_redirects_match_any_port_and_others_exactly() {
        let loopback = client(&["http://127.0.0.1/cb", "http://[::1]/cb?x=1"]);
        assert!(loopback.allows_redirect("http://127.0.0.1/cb"));
        assert!(loopback.allows_redirect("http://127.0.0.1:53187/cb"));
        assert!(loopback.allows_redirect("http://[::1]:9/cb?x=1"));
        for refused in [
            "http://127.0.0.1:53187/cb/",
            "http://127.0.0.1:53187/other",
            "http://127.0.0.1:53187/cb?x=1",
            "http://localhost:53187/cb",
            "http://[::1]:9/cb",
            "https://127.0.0.1:53187/cb",
            "http://user@127.0.0.1:53187/cb",
            "http://127.0.0.1:53187/cb#f",
            "not a uri",
        ] {
            assert!(!loopback.allows_redirect(refused), "{refused}");
        }
        let web = client(&["https://wallet.example/cb", "eu.wallet:/cb"]);
        assert!(web.allows_redirect("https://wallet.example/cb"));
        assert!(web.allows_redirect("eu.wallet:/cb"));
        assert!(!web.allows_redirect("https://wallet.example:8443/cb"));
        assert!(!web.allows_redirect("https://wallet.example/cb?x"));
    }

    #[test]
    fn wallet_redirects_keep_the_query_and_add_state_and_iss() {
        let to = WalletRedirect {
            redirect_uri: "http://127.0.0.1:5000/cb?app=1".into(),
            state: Some("s t".into()),
            iss: "https://id.example".into(),
        };
        assert_eq!(
            to.url(&[("code", "abc")]),
            "http://127.0.0.1:5000/cb?app=1&code=abc&state=s+t&iss=https%3A%2F%2Fid.example"
        );
        let stateless = WalletRedirect { state: None, ..to };
        assert!(!stateless.url(&[]).contains("state="));
    }

    #[test]
    fn authorization_details_name_openid_credential_configurations() {
        let ids = parse_authorization_details(
            r#"[{"type":"openid_credential","credential_configuration_id":"uk_age"},
                {"type":"openid_credential","credential_configuration_id":"uk_age"}]"#,
        )
        .unwrap();
        assert_eq!(ids, ["uk_age"]);
        for bad in [
            "[]",
            "{}",
            r#"[{"type":"payment","credential_configuration_id":"uk_age"}]"#,
            r#"[{"type":"openid_credential"}]"#,
        ] {
            assert!(parse_authorization_details(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_name_configurations_and_unknown_ones_are_ignored() {
        let request = |scope: &str| PushedAuthorizationRequest {
            scope: Some(scope.into()),
            ..PushedAuthorizationRequest::default()
        };
        let (ids, details) =
            requested_configurations(&request("openid uk_age profile uk_age"), None).unwrap();
        assert_eq!((ids, details), (vec!["uk_age".to_owned()], false));
        assert!(matches!(
            requested_configurations(&request("openid profile"), None),
            Err(AuthorizationError::InvalidScope(_))
        ));
        assert!(matches!(
            requested_configurations(&PushedAuthorizationRequest::default(), None),
            Err(AuthorizationError::InvalidScope(_))
        ));
        let details = PushedAuthorizationRequest {
            authorization_details: Some(
                r#"[{"type":"openid_credential","credential_configuration_id":"uk_passport"}]"#
                    .into(),
            ),
            ..request("uk_age")
        };
        assert!(matches!(
            requested_configurations(&details, None),
            Err(AuthorizationError::InvalidAuthorizationDetails(_))
        ));
    }
}
