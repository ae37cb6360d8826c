//! Public documents: the verifier's public keys (those in use, and every evidence key with its
//! validity), the OpenID Provider Metadata and the OpenAPI description.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_checks::evidence::EvidenceKeys;
use idv_jose::JwkSet;
use idv_service_kit::ApiError;
use idv_service_kit::http::Json;

use super::AppState;

/// The OpenAPI 3.1 description of every route (hand-written, kept next to the routes).
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

/// `GET /.well-known/jwks.json`: the keys check records (`dvs-check-record+jwt`) and ID tokens
/// are signed with now.
pub(super) async fn get_jwks(State(state): State<AppState>) -> Result<Json<JwkSet>, ApiError> {
    Ok(Json(state.verifier.jwks().await?))
}

/// `GET /.well-known/evidence-keys.json`: every key that ever signed check records, with its
/// validity (`not_before`, and `not_after` once retired).
pub(super) async fn get_evidence_keys(
    State(state): State<AppState>,
) -> Result<Json<EvidenceKeys>, ApiError> {
    Ok(Json(state.verifier.evidence_keys().await?))
}

/// `GET /.well-known/openid-configuration`.
pub(super) async fn get_openid_configuration(
    State(state): State<AppState>,
) -> Json<serde_json::Value> {
    Json(state.verifier.openid_configuration())
}

/// `GET /openapi.json`.
pub(super) async fn get_openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}
