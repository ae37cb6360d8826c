//! The verifier as an OpenID Provider: the employers' sign-in bridge (OpenID Connect Core 1.0,
//! authorization code flow; RFC 7636 PKCE S256; RFC 9207 `iss` in the redirect). Any standard
//! OpenID Connect client library integrates it; nothing here is proprietary.
//!
//! 1. The operator registers a client for a tenant (`verifier oidc-client add`): exact redirect
//!    URIs and the check templates it may run. Its `client_secret` is shown once and stored as
//!    its SHA-256 ([`clients`]).
//! 2. The client discovers the provider (`/.well-known/openid-configuration`, [`discovery`])
//!    and sends the browser to `GET /oidc/authorize` with `scope=openid <template>` (the scope
//!    selects the template), PKCE S256, `state` and `nonce` ([`authorize`]). A bad `client_id`
//!    or `redirect_uri` gets an error page, never a redirect; any other error goes back to the
//!    client. A valid request records a pending authorization session only (bounded per client
//!    by `[limits] max_pending_sessions_per_client`, expiring after the check lifetime). The
//!    session id names the hand-off page but is not enough to use it: the session is bound to
//!    the starting browser by an `HttpOnly`, `SameSite=Lax` cookie whose secret is stored
//!    hashed.
//! 3. The browser lands on the hand-off page (`/oidc/handoff/{session_id}`, [`handoff`]). Its
//!    first load creates the session's check, an ordinary check for the client's tenant (the
//!    same use case as `POST /v1/checks`, so evidence, retention and the tenant's caps behave
//!    the same; its `reference` is `oidc:<client_id>`, and like any same-device check the
//!    tenant API withholds its result, which the sign-in delivers): so redirects alone create
//!    no check, key or wallet request. The page shows the QR code for a wallet on another
//!    device, and a link to the `openid4vp://` request for a wallet on this one (whose
//!    redirect after presenting returns to this page). The page polls (a meta refresh without JavaScript, a small script with it). Once the check has
//!    concluded `compliant` it issues the authorization code (random, stored hashed, single
//!    use, valid [`CODE_LIFETIME_SECS`]) and sends the browser to
//!    `redirect_uri?code=…&state=…&iss=…`: a client takes a code for a successful sign-in, so
//!    nothing else earns one ([`handoff::signs_in`]). A wallet that declines or errs, a
//!    presentation that is rejected or not eligible, a check that expires, or the person's
//!    "cancel" ends it with `error=access_denied` and the check's reason codes as
//!    `error_description` (e.g. `holder_declined`, `nationality_not_eligible`).
//! 4. The client exchanges the code at `POST /oidc/token` ([`token`]; `client_secret_basic` or
//!    `client_secret_post`, the PKCE verifier and the same `redirect_uri`) for an opaque access
//!    token (hashed at rest, valid [`ACCESS_TOKEN_LIFETIME_SECS`]) and an ID token signed ES256
//!    with the verifier's own `id_token` key (published in `/.well-known/jwks.json`). A code
//!    presented twice is refused and the access token issued from it revoked; a failed attempt
//!    (wrong PKCE verifier or `redirect_uri`) spends the code all the same.
//! 5. `GET|POST /oidc/userinfo` returns the same claims as the ID token, without the protocol
//!    claims ([`claims`]).
//!
//! The claims: `sub` is the check id, so it identifies one check, never a person: two sign-ins
//! of the same person share nothing. `dvs_check` is the check as `GET /v1/checks/{id}` shows it
//! (template and version, state, outcome, reason codes, provider, level of confidence, trust
//! list, evidence record) without its claims, which are top-level claims instead, under their
//! credential names: OpenID Connect's own where one exists (`given_name`, `family_name`,
//! `birthdate`), `nationalities` as in OpenID Connect for Identity Assurance, and
//! `portrait`, `document` and `verification` for the rest of a right-to-work check; an age
//! check gives only its `age_over_NN`. The claims are read from the check when the tokens are
//! issued, so a retention period shorter than the sign-in leaves only the outcome.
//!
//! Every bit of state is in the database; the sweeper deletes a session
//! [`ENDED_SESSION_KEPT_SECS`] after the session, its code and its access token have all
//! expired. Codes, tokens, secrets, `state` and `nonce` are never logged.

pub mod authorize;
pub mod claims;
pub mod clients;
pub mod discovery;
mod error;
pub mod handoff;
mod params;
pub mod token;

use std::sync::Arc;

pub use error::OidcError;
use idv_checks::templates::Templates;
use idv_jose::{Clock, Random};
// What is stored of a client secret, browser secret, code or access token.
use idv_service_kit::secrets::hash_secret;

use crate::checks::Checks;
use crate::config::Settings;
use crate::keys::ServiceKeys;
use crate::store::Store;
use crate::tenants::Tenants;

/// Seconds an authorization code stays redeemable.
pub const CODE_LIFETIME_SECS: i64 = 60;
/// Seconds an access token is accepted at the userinfo endpoint.
pub const ACCESS_TOKEN_LIFETIME_SECS: i64 = 5 * 60;
/// Seconds an ID token is valid (`exp - iat`).
pub const ID_TOKEN_LIFETIME_SECS: i64 = 5 * 60;
/// Seconds an ended session is kept after its last expiry (session, code, access token), so
/// that a late visit to its page still gets a proper answer; then the sweeper deletes it.
pub const ENDED_SESSION_KEPT_SECS: i64 = 60 * 60;
/// The cookie binding an authorization session to the browser that started it (its path is
/// the session's hand-off page, so sessions in one browser do not overwrite each other).
pub const SESSION_COOKIE: &str = "idv_oidc";

/// The authorization endpoint's path.
pub const AUTHORIZE_PATH: &str = "/oidc/authorize";
/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/oidc/token";
/// The userinfo endpoint's path.
pub const USERINFO_PATH: &str = "/oidc/userinfo";
/// The JWK Set's path.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The OpenID Provider bridge's use cases: over the checks a sign-in runs, the tenants its
/// clients belong to and the ID token key. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OpenIdProvider {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    settings: Arc<Settings>,
    templates: Arc<Templates>,
    tenants: Tenants,
    checks: Checks,
    keys: ServiceKeys,
}

impl OpenIdProvider {
    /// The bridge onto `checks`, signing ID tokens with `keys`.
    pub(crate) fn new(checks: Checks, keys: ServiceKeys) -> Self {
        Self {
            store: checks.store.clone(),
            clock: Arc::clone(&checks.clock),
            random: Arc::clone(&checks.random),
            settings: Arc::clone(&checks.settings),
            templates: Arc::clone(&checks.templates),
            tenants: checks.tenants.clone(),
            checks,
            keys,
        }
    }
}

/// The hand-off page of a session (absolute, under `public_url`).
pub fn handoff_url(public_url: &str, session_id: &str) -> String {
    format!("{public_url}{}", handoff_path(session_id))
}

/// The hand-off page's path, also the path of its cookie.
pub fn handoff_path(session_id: &str) -> String {
    format!("/oidc/handoff/{session_id}")
}
