//! `/v1/identities`: proofed identities and the offers made for them (operator API).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use idv_service_kit::ApiError;
use idv_service_kit::http::{Json, Path};

use super::AppState;
use crate::issuance::credential::ProofedIdentity;
use crate::issuance::identities::IdentityRecord;
use crate::issuance::offers::OfferRequest;

/// `POST /v1/identities`: 201 `{identity_id, recorded_at}`.
pub(super) async fn record_identity(
    State(state): State<AppState>,
    Json(identity): Json<ProofedIdentity>,
) -> Result<impl IntoResponse, ApiError> {
    let recorded = state.issuer.record_identity(identity).await?;
    let location = format!("/v1/identities/{}", recorded.identity_id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(recorded),
    ))
}

/// `GET /v1/identities/{identity_id}`.
pub(super) async fn get_identity(
    State(state): State<AppState>,
    Path(identity_id): Path<String>,
) -> Result<Json<IdentityRecord>, ApiError> {
    Ok(Json(state.issuer.identity(&identity_id).await?))
}

/// `POST /v1/identities/{identity_id}/offers`: 201 with the offer, shown once (`no-store`).
pub(super) async fn create_offer(
    State(state): State<AppState>,
    Path(identity_id): Path<String>,
    Json(request): Json<OfferRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let offer = state.issuer.create_offer(&identity_id, request).await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(offer),
    ))
}
