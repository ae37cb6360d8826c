//! Schemas of bodies whose Rust types the verifier does not own: types of libraries built
//! without utoipa (`idv-jose`, `idv-service-kit`) and bodies assembled as JSON
//! values (provider metadata, userinfo claims, the OAuth request parameters read from raw
//! text). Each type here only describes a body for the document and is never built; the
//! verifier's integration tests validate real responses against the document, so a change to
//! the type it describes fails there.

#![allow(
    dead_code,
    reason = "schema-only types: read by the ToSchema/IntoParams derives, never constructed"
)]

use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// An OAuth error object (RFC 6749 §5.2): the body of every JSON error
/// (`idv_service_kit::ApiError`).
#[derive(ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorObject {
    /// The error code, e.g. `invalid_request`.
    error: String,
    /// A human-readable explanation; at the wallet endpoints it starts with a stable reason
    /// code. Absent on 5xx.
    error_description: Option<String>,
}

/// A JWK Set (RFC 7517 §5; `idv_jose::JwkSet`).
#[derive(ToSchema)]
pub(crate) struct JwkSet {
    /// The keys, as JWKs.
    #[schema(value_type = Vec<Object>)]
    keys: Vec<Value>,
}

/// OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3), built by
/// `Verifier::openid_configuration`.
#[derive(ToSchema)]
pub(crate) struct OpenidConfiguration {
    /// The verifier's public URL.
    issuer: String,
    /// `…/oidc/authorize`.
    authorization_endpoint: String,
    /// `…/oidc/token`.
    token_endpoint: String,
    /// `…/oidc/userinfo`.
    userinfo_endpoint: String,
    /// `…/.well-known/jwks.json`.
    jwks_uri: String,
    /// `openid` and the check templates.
    scopes_supported: Vec<String>,
    /// `["code"]`.
    response_types_supported: Vec<String>,
    /// `["query"]`.
    response_modes_supported: Vec<String>,
    /// `["authorization_code"]`.
    grant_types_supported: Vec<String>,
    /// `["pairwise"]`: `sub` is the check id, one check, never a person.
    subject_types_supported: Vec<String>,
    /// `["ES256"]`.
    id_token_signing_alg_values_supported: Vec<String>,
    /// `client_secret_basic` and `client_secret_post`.
    token_endpoint_auth_methods_supported: Vec<String>,
    /// The ID token's claims, `dvs_check` and the templates' disclosed claims.
    claims_supported: Vec<String>,
    /// `false`.
    claims_parameter_supported: bool,
    /// `false`.
    request_parameter_supported: bool,
    /// `false`.
    request_uri_parameter_supported: bool,
    /// `["S256"]`.
    code_challenge_methods_supported: Vec<String>,
    /// `true` (RFC 9207).
    authorization_response_iss_parameter_supported: bool,
    /// `["en"]`.
    ui_locales_supported: Vec<String>,
}

/// The sign-in's claims at the userinfo endpoint: `sub` and `dvs_check`, then the check's
/// disclosed claims as top-level claims under their credential names (`given_name`,
/// `family_name`, `birthdate`, `nationalities`, `portrait`, `document`, `verification`;
/// `age_over_NN` for an age check).
#[derive(ToSchema)]
pub(crate) struct SignInClaims {
    /// The check id: identifies one check, never a person across checks.
    sub: String,
    /// The check as `GET /v1/checks/{check_id}` shows it, without `claims`, `reference` and
    /// `wallet_url`.
    dvs_check: crate::checks::CheckView,
}

/// An authorization request (OpenID Connect Core 1.0 §3.1.2.1), in the query of `GET` or the
/// form body of `POST /oidc/authorize`.
#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuthorizationRequest {
    /// A registered client's id (`verifier oidc-client add`).
    client_id: String,
    /// One of the client's registered redirect URIs, exactly.
    redirect_uri: String,
    /// `code`.
    response_type: String,
    /// `openid` and exactly one check template the client may run, e.g. `openid
    /// right_to_work`; other scopes are ignored.
    scope: String,
    /// PKCE: base64url(SHA-256(code_verifier)).
    code_challenge: String,
    /// `S256` (`plain` is refused).
    code_challenge_method: String,
    /// Echoed in the redirect.
    state: Option<String>,
    /// Echoed in the ID token.
    nonce: Option<String>,
    /// `query` (the only mode).
    response_mode: Option<String>,
    /// `none` is refused with `login_required`.
    prompt: Option<String>,
}

/// A token request (RFC 6749 §4.1.3, with PKCE's `code_verifier`, RFC 7636 §4.5).
#[derive(ToSchema)]
pub(crate) struct TokenRequest {
    /// `authorization_code`.
    grant_type: String,
    /// The authorization code.
    code: String,
    /// The authorization request's `redirect_uri`.
    redirect_uri: String,
    /// The PKCE code verifier.
    code_verifier: String,
    /// `client_secret_post`.
    client_id: Option<String>,
    /// `client_secret_post`.
    client_secret: Option<String>,
}

/// `GET /healthz` (`idv_service_kit::http::health_routes`): `{"status": "ok"}`.
#[derive(ToSchema)]
pub(crate) struct Health {
    /// `ok`.
    status: String,
}

/// `GET /readyz` (`idv_service_kit::http::Readiness`): `{"status": "ready"}`, or
/// `{"status": "not_ready", "not_ready": [...]}` naming what is not ready.
#[derive(ToSchema)]
pub(crate) struct Readiness {
    /// `ready` or `not_ready`.
    status: String,
    /// What is not ready: `database`, `trust_list`.
    not_ready: Option<Vec<String>>,
}
