//! `/v1/providers`: the register's certified services (operator API).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use idv_proto::trust::entry::{IssuerBinding, SchemeCode, ServiceEntry};
use idv_service_kit::ApiError;
use idv_service_kit::http::{Json, Path};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::register::providers::{NewServiceEntry, StatusAction};

/// `POST /v1/providers/{entry_id}/codes` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CertifyCode {
    code: SchemeCode,
}

/// `POST /v1/providers/{entry_id}/suspend|reinstate|withdraw` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatusChange {
    reason: String,
}

/// `PUT /v1/providers/{entry_id}/issuer` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssuerUpdate {
    issuer: IssuerBinding,
    reason: String,
}

/// `GET /v1/providers` response.
#[derive(Debug, Serialize)]
pub(super) struct Providers {
    providers: Vec<ServiceEntry>,
}

pub(super) async fn add_provider(
    State(state): State<AppState>,
    Json(new): Json<NewServiceEntry>,
) -> Result<impl IntoResponse, ApiError> {
    let entry = state.register.providers().add(new).await?;
    let location = format!("/v1/providers/{}", entry.entry_id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(entry),
    ))
}

pub(super) async fn list_providers(
    State(state): State<AppState>,
) -> Result<Json<Providers>, ApiError> {
    let providers = state.register.providers().all().await?;
    Ok(Json(Providers { providers }))
}

pub(super) async fn get_provider(
    State(state): State<AppState>,
    Path(entry_id): Path<String>,
) -> Result<Json<ServiceEntry>, ApiError> {
    Ok(Json(state.register.providers().get(&entry_id).await?))
}

pub(super) async fn certify_code(
    State(state): State<AppState>,
    Path(entry_id): Path<String>,
    Json(body): Json<CertifyCode>,
) -> Result<Json<ServiceEntry>, ApiError> {
    Ok(Json(
        state
            .register
            .providers()
            .certify_code(&entry_id, body.code)
            .await?,
    ))
}

pub(super) async fn suspend_provider(
    state: State<AppState>,
    entry_id: Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<ServiceEntry>, ApiError> {
    change_status(state, entry_id, StatusAction::Suspend, body).await
}

pub(super) async fn reinstate_provider(
    state: State<AppState>,
    entry_id: Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<ServiceEntry>, ApiError> {
    change_status(state, entry_id, StatusAction::Reinstate, body).await
}

pub(super) async fn withdraw_provider(
    state: State<AppState>,
    entry_id: Path<String>,
    body: Json<StatusChange>,
) -> Result<Json<ServiceEntry>, ApiError> {
    change_status(state, entry_id, StatusAction::Withdraw, body).await
}

async fn change_status(
    State(state): State<AppState>,
    Path(entry_id): Path<String>,
    action: StatusAction,
    Json(body): Json<StatusChange>,
) -> Result<Json<ServiceEntry>, ApiError> {
    let entry = state
        .register
        .providers()
        .change_status(&entry_id, action, &body.reason)
        .await?;
    Ok(Json(entry))
}

pub(super) async fn update_issuer(
    State(state): State<AppState>,
    Path(entry_id): Path<String>,
    Json(update): Json<IssuerUpdate>,
) -> Result<Json<ServiceEntry>, ApiError> {
    Ok(Json(
        state
            .register
            .providers()
            .update_issuer(&entry_id, update.issuer, &update.reason)
            .await?,
    ))
}
