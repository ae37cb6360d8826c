//! `/v1/identities`: proofed identities, the offers made for them and status changes of all
//! their credentials (operator API).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use idv_service_kit::ApiError;
use idv_service_kit::http::{Json, Path};

use super::AppState;
use super::issued_credentials::{StatusChange, change_status};
use crate::issuance::identities::{
    IdentityRecord, LinkedIdentity, LoginSubjectUpdate, NewIdentity,
};
use crate::issuance::lifecycle::{StatusAction, StatusChangeOutcome, StatusScope};
use crate::issuance::offers::OfferRequest;

/// `POST /v1/identities` (a proofed identity, optionally with `login_subject`): 201
/// `{identity_id, recorded_at}`.
pub(super) async fn record_identity(
    State(state): State<AppState>,
    Json(identity): Json<NewIdentity>,
) -> Result<impl IntoResponse, ApiError> {
    let recorded = state.issuer.identities().record_identity(identity).await?;
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
    Ok(Json(
        state.issuer.identities().identity(&identity_id).await?,
    ))
}

/// `PUT /v1/identities/{identity_id}/login-subject` `{login_subject}` (`null` unlinks): 200.
pub(super) async fn set_login_subject(
    State(state): State<AppState>,
    Path(identity_id): Path<String>,
    Json(update): Json<LoginSubjectUpdate>,
) -> Result<Json<LinkedIdentity>, ApiError> {
    Ok(Json(
        state
            .issuer
            .identities()
            .set_login_subject(&identity_id, update)
            .await?,
    ))
}

/// `POST /v1/identities/{identity_id}/offers`: 201 with the offer, shown once (`no-store`).
pub(super) async fn create_offer(
    State(state): State<AppState>,
    Path(identity_id): Path<String>,
    Json(request): Json<OfferRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let offer = state
        .issuer
        .offers()
        .create_offer(&identity_id, request)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(offer),
    ))
}

/// `POST /v1/identities/{identity_id}/revoke` `{reason}`: every credential of the identity.
pub(super) async fn revoke_identity_credentials(
    state: State<AppState>,
    Path(identity_id): Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<StatusChangeOutcome>, ApiError> {
    let scope = StatusScope::Identity(&identity_id);
    change_status(state, scope, StatusAction::Revoke, body).await
}

/// `POST /v1/identities/{identity_id}/suspend` `{reason}`.
pub(super) async fn suspend_identity_credentials(
    state: State<AppState>,
    Path(identity_id): Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<StatusChangeOutcome>, ApiError> {
    let scope = StatusScope::Identity(&identity_id);
    change_status(state, scope, StatusAction::Suspend, body).await
}

/// `POST /v1/identities/{identity_id}/reinstate` `{reason}`.
pub(super) async fn reinstate_identity_credentials(
    state: State<AppState>,
    Path(identity_id): Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<StatusChangeOutcome>, ApiError> {
    let scope = StatusScope::Identity(&identity_id);
    change_status(state, scope, StatusAction::Reinstate, body).await
}
