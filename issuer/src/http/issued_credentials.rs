//! `/v1/credentials`: issued credentials (metadata only) and their status changes (operator
//! API). A status change names one credential and applies to its whole batch (see
//! [`crate::issuance::lifecycle`]): the answer is that credential's details with a `batch`
//! member saying what changed. `/v1/identities/{identity_id}/revoke|suspend|reinstate` take the
//! same body and answer with what changed.

use axum::extract::State;
use idv_service_kit::ApiError;
use idv_service_kit::http::{Json, Path, Query};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::issuance::lifecycle::{
    BatchStatusChange, CredentialDetails, CredentialSummary, StatusAction, StatusChangeOutcome,
    StatusScope,
};

/// `GET /v1/credentials` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialFilter {
    identity_id: Option<String>,
}

/// `GET /v1/credentials` response.
#[derive(Debug, Serialize)]
pub(super) struct Credentials {
    credentials: Vec<CredentialSummary>,
}

/// `POST /v1/credentials/{credential_id}/revoke|suspend|reinstate` and
/// `POST /v1/identities/{identity_id}/revoke|suspend|reinstate` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatusChange {
    reason: String,
}

pub(super) async fn list_credentials(
    State(state): State<AppState>,
    Query(filter): Query<CredentialFilter>,
) -> Result<Json<Credentials>, ApiError> {
    let credentials = state
        .issuer
        .lifecycle()
        .credentials(filter.identity_id.as_deref())
        .await?;
    Ok(Json(Credentials { credentials }))
}

pub(super) async fn get_credential(
    State(state): State<AppState>,
    Path(credential_id): Path<String>,
) -> Result<Json<CredentialDetails>, ApiError> {
    Ok(Json(
        state.issuer.lifecycle().credential(&credential_id).await?,
    ))
}

pub(super) async fn revoke_credential(
    state: State<AppState>,
    credential_id: Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<BatchStatusChange>, ApiError> {
    change_batch_status(state, credential_id, StatusAction::Revoke, body).await
}

pub(super) async fn suspend_credential(
    state: State<AppState>,
    credential_id: Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<BatchStatusChange>, ApiError> {
    change_batch_status(state, credential_id, StatusAction::Suspend, body).await
}

pub(super) async fn reinstate_credential(
    state: State<AppState>,
    credential_id: Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<BatchStatusChange>, ApiError> {
    change_batch_status(state, credential_id, StatusAction::Reinstate, body).await
}

async fn change_batch_status(
    State(state): State<AppState>,
    Path(credential_id): Path<String>,
    action: StatusAction,
    Json(body): Json<StatusChange>,
) -> Result<Json<BatchStatusChange>, ApiError> {
    Ok(Json(
        state
            .issuer
            .lifecycle()
            .change_batch_status(&credential_id, action, &body.reason)
            .await?,
    ))
}

/// Applies `action` to `scope` with the body's reason.
pub(super) async fn change_status(
    State(state): State<AppState>,
    scope: StatusScope<'_>,
    action: StatusAction,
    Json(body): Json<StatusChange>,
) -> Result<Json<StatusChangeOutcome>, ApiError> {
    Ok(Json(
        state
            .issuer
            .lifecycle()
            .change_status(scope, action, &body.reason)
            .await?,
    ))
}
