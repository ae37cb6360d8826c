//! Public documents: the verifier's public keys (those in use, and every evidence key with its
//! validity), the OpenID Provider Metadata and the OpenAPI description.

use std::sync::LazyLock;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use idv_checks::evidence::EvidenceKeys;
use idv_jose::JwkSet;
use idv_service_kit::ApiError;
use idv_service_kit::http::Json;
use utoipa::openapi::OpenApi;

use super::{AppState, openapi};

/// The OpenAPI 3.1 description of every route, generated once.
static OPENAPI: LazyLock<OpenApi> = LazyLock::new(super::openapi::document);

/// `GET /.well-known/jwks.json`: the keys check records (`dvs-check-record+jwt`) and ID tokens
/// are signed with now.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "getJwks",
    tag = "service",
    summary = "The keys evidence records and ID tokens are signed with now",
    description = "The current evidence key first, then the ID token key. Keys that signed \
                   evidence before a rotation are in `/.well-known/evidence-keys.json`, with their \
                   validity.",
    responses(
        (status = 200, description = "JWK Set", body = openapi::JwkSet),
        (status = 429, response = openapi::TooManyRequests),
    ),
)]
pub(super) async fn get_jwks(State(state): State<AppState>) -> Result<Json<JwkSet>, ApiError> {
    Ok(Json(state.verifier.keys().jwks().await?))
}

/// `GET /.well-known/evidence-keys.json`: every key that ever signed check records, with its
/// validity (`not_before`, and `not_after` once retired).
#[utoipa::path(
    get,
    path = "/.well-known/evidence-keys.json",
    operation_id = "getEvidenceKeys",
    tag = "service",
    summary = "Every key that ever signed check records, with its validity",
    description = "The verifier's evidence keys: the current one first (no `not_after`), then \
                   retired ones, most recently retired first. A check record verifies only with \
                   the key its `kid` names, whose `kid` is its RFC 7638 thumbprint, and whose \
                   validity (`not_before` to `not_after`, Unix seconds, both included) covers the \
                   record's `iat`. A retired key signs nothing again; it stays published so that \
                   the records it signed keep verifying.",
    responses(
        (status = 200, description = "The evidence keys", body = idv_checks::evidence::EvidenceKeys),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_evidence_keys(
    State(state): State<AppState>,
) -> Result<Json<EvidenceKeys>, ApiError> {
    Ok(Json(state.verifier.keys().evidence_keys().await?))
}

/// `GET /.well-known/openid-configuration`.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    operation_id = "getOpenidConfiguration",
    tag = "oidc",
    summary = "OpenID Provider Metadata",
    description = "OpenID Connect Discovery 1.0: `issuer` is the verifier's public URL; \
                   `scopes_supported` are `openid` and the check templates; \
                   `code_challenge_methods_supported` `[S256]`; \
                   `authorization_response_iss_parameter_supported` `true`.",
    responses(
        (status = 200, description = "Provider metadata", body = openapi::OpenidConfiguration),
        (status = 429, response = openapi::TooManyRequests),
    ),
)]
pub(super) async fn get_openid_configuration(
    State(state): State<AppState>,
) -> Json<serde_json::Value> {
    Json(state.verifier.oidc().openid_configuration())
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "getOpenApi",
    tag = "service",
    summary = "This document",
    responses(
        (status = 200, description = "OpenAPI 3.1", body = Object),
        (status = 429, response = openapi::TooManyRequests),
    ),
)]
pub(super) async fn get_openapi() -> Response {
    Json(&*OPENAPI).into_response()
}
