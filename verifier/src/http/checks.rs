//! `/v1/checks` and `/v1/templates`: the tenant API, and what the tenant keeps of a check (the
//! evidence package and the clear copy, see [`crate::evidence`]).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::http::{Json, Path, Query};
use idv_service_kit::{ApiError, Secret};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Authenticated;
use crate::checks::{CheckRequest, CheckView, ConfirmationRequest};
use crate::evidence::RenderedCopy;
use crate::evidence::package::EvidencePackage;

/// `GET /v1/checks/{id}` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckQuery {
    /// A same-device check's response code, redeemed once.
    #[serde(default)]
    response_code: Option<Secret>,
}

/// One template in `GET /v1/templates`.
#[derive(Debug, Serialize)]
pub(super) struct TemplateInfo {
    id: &'static str,
    version: u32,
    title: &'static str,
    scheme: &'static str,
}

/// `GET /v1/templates` response.
#[derive(Debug, Serialize)]
pub(super) struct Templates {
    templates: Vec<TemplateInfo>,
}

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// `POST /v1/checks` → 201 with `Location`.
pub(super) async fn create_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Json(request): Json<CheckRequest>,
) -> Result<Response, ApiError> {
    let created = state.verifier.create_check(&tenant, request).await?;
    let location = format!("/v1/checks/{}", created.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        [(header::CACHE_CONTROL, NO_STORE)],
        Json(created),
    )
        .into_response())
}

/// `GET /v1/checks/{check_id}`.
pub(super) async fn get_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
    Query(query): Query<CheckQuery>,
) -> Result<Response, ApiError> {
    let view: CheckView = state
        .verifier
        .check(&tenant, &check_id, query.response_code.as_ref())
        .await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(view)).into_response())
}

/// `DELETE /v1/checks/{check_id}` → 204.
pub(super) async fn delete_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.verifier.erase_check(&tenant, &check_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/checks/{check_id}/confirmation` → 200 with the check.
pub(super) async fn confirm_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
    Json(request): Json<ConfirmationRequest>,
) -> Result<Response, ApiError> {
    let view = state
        .verifier
        .confirm_check(&tenant, &check_id, request)
        .await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(view)).into_response())
}

/// `GET /v1/checks/{check_id}/evidence`: the evidence package.
pub(super) async fn get_evidence_package(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    let package: EvidencePackage = state.verifier.evidence_package(&tenant, &check_id).await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(package)).into_response())
}

/// `GET /v1/checks/{check_id}/clear-copy`: the clear copy as HTML.
pub(super) async fn get_clear_copy(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    let copy = state.verifier.clear_copy_html(&tenant, &check_id).await?;
    Ok(document(
        copy,
        "text/html; charset=utf-8",
        &format!("clear-copy-{check_id}.html"),
    ))
}

/// `GET /v1/checks/{check_id}/clear-copy.pdf`: the clear copy as PDF.
pub(super) async fn get_clear_copy_pdf(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    let copy = state.verifier.clear_copy_pdf(&tenant, &check_id).await?;
    Ok(document(
        copy,
        "application/pdf",
        &format!("clear-copy-{check_id}.pdf"),
    ))
}

/// A document the tenant saves: never cached on the way, offered under `filename`.
fn document(copy: RenderedCopy, content_type: &'static str, filename: &str) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, NO_STORE),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        copy.body,
    )
        .into_response();
    let headers = response.headers_mut();
    // A found check's id is `chk_` and base64url: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Some(csp) = copy
        .content_security_policy
        .and_then(|csp| HeaderValue::from_str(&format!("{csp}; frame-ancestors 'none'")).ok())
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// `GET /v1/checks/{check_id}/qr.svg`.
pub(super) async fn get_check_qr_svg(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    let svg = state.verifier.check_qr_svg(&tenant, &check_id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        svg,
    )
        .into_response())
}

/// `GET /v1/checks/{check_id}/qr.png`.
pub(super) async fn get_check_qr_png(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    let png = state.verifier.check_qr_png(&tenant, &check_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        png,
    )
        .into_response())
}

/// `GET /v1/templates`.
pub(super) async fn list_templates(
    State(state): State<AppState>,
    Authenticated(_tenant): Authenticated,
) -> Json<Templates> {
    Json(Templates {
        templates: state
            .verifier
            .templates()
            .map(|t| TemplateInfo {
                id: t.id(),
                version: t.version(),
                title: t.title(),
                scheme: t.scheme().as_str(),
            })
            .collect(),
    })
}
