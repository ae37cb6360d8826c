//! `/v1/relying-parties`: registered relying parties and their Verifier Attestations
//! (operator API).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use idv_proto::trust::relying_party::RelyingPartyEntry;
use idv_service_kit::ApiError;
use idv_service_kit::http::{Json, Path};
use serde::Serialize;

use super::AppState;
use crate::register::relying_parties::{AttestationRequest, IssuedAttestation, NewRelyingParty};

/// `GET /v1/relying-parties` response.
#[derive(Debug, Serialize)]
pub(super) struct RelyingParties {
    relying_parties: Vec<RelyingPartyEntry>,
}

pub(super) async fn add_relying_party(
    State(state): State<AppState>,
    Json(new): Json<NewRelyingParty>,
) -> Result<impl IntoResponse, ApiError> {
    let rp = state.register.relying_parties().add(new).await?;
    let location = format!("/v1/relying-parties/{}", rp.rp_id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(rp),
    ))
}

pub(super) async fn list_relying_parties(
    State(state): State<AppState>,
) -> Result<Json<RelyingParties>, ApiError> {
    let relying_parties = state.register.relying_parties().all().await?;
    Ok(Json(RelyingParties { relying_parties }))
}

/// `POST /v1/relying-parties/{rp_id}/attestations` → 201 `{verifier_attestation, expires_at}`.
pub(super) async fn attest_relying_party(
    State(state): State<AppState>,
    Path(rp_id): Path<String>,
    Json(request): Json<AttestationRequest>,
) -> Result<(StatusCode, Json<IssuedAttestation>), ApiError> {
    let issued = state
        .register
        .relying_parties()
        .attest(&rp_id, request)
        .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}
