//! `/v1/checks` and `/v1/templates`: the tenant API, and what the tenant keeps of a check (the
//! evidence package and the clear copy, see [`crate::evidence`]).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::http::{Json, Path, Query};
use idv_service_kit::{ApiError, Secret};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authenticated;
use super::{AppState, openapi};
use crate::checks::{CheckRequest, CheckView, ConfirmationRequest, CreatedCheck, QrFormat};
use crate::evidence::CopyFormat;
use crate::evidence::package::EvidencePackage;
use crate::tenants::Tenant;

/// `GET /v1/checks/{id}` query.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct CheckQuery {
    /// Same-device response code (single use).
    #[serde(default)]
    #[param(value_type = Option<String>)]
    response_code: Option<Secret>,
}

/// One template in `GET /v1/templates`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TemplateInfo {
    id: &'static str,
    version: u32,
    title: &'static str,
    scheme: &'static str,
}

/// `GET /v1/templates` response.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Templates {
    templates: Vec<TemplateInfo>,
}

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// What the clear copy holds, in both its forms (the OpenAPI description).
const CLEAR_COPY: &str = "\
    The facts of the signed check record for a person to read, print and keep: the outcome in \
    words and the reasons in plain English, the person's details with the photo large enough to \
    compare (50 mm wide), the provider and its register entry, the trust list sequence, the date \
    of the check, the confirmation (who compared, how, when, the start date), what the check \
    shows, how long to keep it, and the record's SHA-256 tying the copy to the record in the \
    evidence package. Self-contained (the HTML has no script and no external resource; its \
    Content Security Policy travels with it). Available while the check's personal data is kept. \
    `Cache-Control: no-store`.";

/// `POST /v1/checks` → 201 with `Location`.
#[utoipa::path(
    post,
    path = "/v1/checks",
    operation_id = "createCheck",
    tag = "checks",
    summary = "Create a check and its wallet request",
    security(("apiKey" = [])),
    request_body = CheckRequest,
    responses(
        (
            status = 201,
            description = "Created",
            body = CreatedCheck,
            headers(("Location" = String)),
        ),
        (
            status = 400,
            description = "Malformed body or unknown template (`invalid_request`); a `webhook_url` \
                           that is not https to a public address nor an operator-allowed host \
                           (`invalid_webhook_url`); a `redirect_uri` that is not https, an allowed \
                           loopback http URI, or an app scheme the relying party registered, or is \
                           not among the redirect URIs its attestation lists \
                           (`invalid_redirect_uri`)",
            body = openapi::ErrorObject,
        ),
        (status = 401, response = openapi::Unauthorized),
        (
            status = 409,
            description = "The tenant has no valid verifier attestation, or is not registered for \
                           the template's purpose (`conflict`)",
            body = openapi::ErrorObject,
        ),
        (status = 413, response = openapi::ContentTooLarge),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn create_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Json(request): Json<CheckRequest>,
) -> Result<Response, ApiError> {
    let created = state
        .verifier
        .checks()
        .create_check(&tenant, request)
        .await?;
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
#[utoipa::path(
    get,
    path = "/v1/checks/{check_id}",
    operation_id = "getCheck",
    tag = "checks",
    summary = "The check's state and result",
    description = "For a finished same-device check the result is withheld \
                   (`response_code_required: true`) until the response code the wallet's redirect \
                   carried is presented once as `response_code`.",
    security(("apiKey" = [])),
    params(
        openapi::CheckPath,
        CheckQuery,
    ),
    responses(
        (status = 200, description = "The check", body = CheckView),
        (
            status = 400,
            description = "Wrong or already used response code (`invalid_grant`)",
            body = openapi::ErrorObject,
        ),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
    Query(query): Query<CheckQuery>,
) -> Result<Response, ApiError> {
    let view: CheckView = state
        .verifier
        .checks()
        .check(&tenant, &check_id, query.response_code.as_ref())
        .await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(view)).into_response())
}

/// `DELETE /v1/checks/{check_id}` → 204.
#[utoipa::path(
    delete,
    path = "/v1/checks/{check_id}",
    operation_id = "deleteCheck",
    tag = "checks",
    summary = "Erase a check",
    description = "Erases the check's personal data, reference, request keys and undelivered \
                   events; a tombstone (id, template, times, state `erased`) stays. Idempotent.",
    security(("apiKey" = [])),
    params(openapi::CheckPath),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn delete_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .verifier
        .checks()
        .erase_check(&tenant, &check_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/checks/{check_id}/confirmation` → 200 with the check.
#[utoipa::path(
    post,
    path = "/v1/checks/{check_id}/confirmation",
    operation_id = "confirmCheck",
    tag = "checks",
    summary = "Record the photo-match confirmation of a right-to-work or right-to-rent check",
    description = "A presentation alone is not a statutory excuse: the employer (or landlord) must \
                   satisfy itself that the person is the credential's holder, comparing the photo \
                   and date of birth in person or by live video call, before employment (or the \
                   tenancy) starts. `confirmed` makes the outcome `compliant`; `not_matched` fails \
                   the check with `holder_not_matched` and drops its claims. The check record \
                   (`evidence`) is signed again, stating who compared, how and when; a webhook \
                   event `check.confirmed` or `check.failed` follows.",
    security(("apiKey" = [])),
    params(openapi::CheckPath),
    request_body = ConfirmationRequest,
    responses(
        (status = 200, description = "The check, as it now stands", body = CheckView),
        (
            status = 400,
            description = "Malformed body, empty checker name or a start date that is not a date \
                           (`invalid_request`)",
            body = openapi::ErrorObject,
        ),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (
            status = 409,
            description = "The check is not awaiting confirmation (another template, not verified, \
                           already confirmed, erased) or its data was purged (`conflict`)",
            body = openapi::ErrorObject,
        ),
        (status = 413, response = openapi::ContentTooLarge),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn confirm_check(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
    Json(request): Json<ConfirmationRequest>,
) -> Result<Response, ApiError> {
    let view = state
        .verifier
        .checks()
        .confirm_check(&tenant, &check_id, request)
        .await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(view)).into_response())
}

/// `GET /v1/checks/{check_id}/evidence`: the evidence package.
#[utoipa::path(
    get,
    path = "/v1/checks/{check_id}/evidence",
    operation_id = "getEvidencePackage",
    tag = "checks",
    summary = "The evidence package to keep: the signed record, the key that verifies it, \
               retention advice",
    description = "One self-contained JSON document for the employer (or landlord) to keep: the \
                   check record the verifier signed (`record`, `dvs-check-record+jwt`), its \
                   SHA-256 (as printed on the clear copy), the verifier's evidence key that signed \
                   it with that key's validity (so the record verifies offline years later, after \
                   key rotations: `verifier evidence verify <file>`), where the verifier publishes \
                   all its evidence keys, and how long to keep it (right to work: the employment \
                   plus two years; right to rent: the tenancy plus one year; age: no copy needed). \
                   Available while the check's personal data is kept. `Cache-Control: no-store`.",
    security(("apiKey" = [])),
    params(openapi::CheckPath),
    responses(
        (status = 200, description = "The evidence package", body = EvidencePackage),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (status = 409, response = openapi::NoEvidence),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_evidence_package(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    let package: EvidencePackage = state
        .verifier
        .evidence()
        .evidence_package(&tenant, &check_id)
        .await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(package)).into_response())
}

/// `GET /v1/checks/{check_id}/clear-copy`: the clear copy as HTML.
#[utoipa::path(
    get,
    path = "/v1/checks/{check_id}/clear-copy",
    operation_id = "getClearCopy",
    tag = "checks",
    summary = "The clear copy of the check, as a printable HTML page",
    description = CLEAR_COPY,
    security(("apiKey" = [])),
    params(openapi::CheckPath),
    responses(
        (status = 200, description = "The clear copy", body = String, content_type = "text/html"),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (status = 409, response = openapi::NoEvidence),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_clear_copy(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    clear_copy(&state, &tenant, &check_id, CopyFormat::Html).await
}

/// `GET /v1/checks/{check_id}/clear-copy.pdf`: the clear copy as PDF.
#[utoipa::path(
    get,
    path = "/v1/checks/{check_id}/clear-copy.pdf",
    operation_id = "getClearCopyPdf",
    tag = "checks",
    summary = "The clear copy of the check, as a PDF (A4, the portrait embedded as its JPEG)",
    description = CLEAR_COPY,
    security(("apiKey" = [])),
    params(openapi::CheckPath),
    responses(
        (
            status = 200,
            description = "The clear copy",
            body = String,
            content_type = "application/pdf",
        ),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (status = 409, response = openapi::NoEvidence),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_clear_copy_pdf(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    clear_copy(&state, &tenant, &check_id, CopyFormat::Pdf).await
}

/// The clear copy of a tenant's check in `format`: a document the tenant saves, never cached
/// on the way, offered under `clear-copy-{check_id}.{extension}`.
async fn clear_copy(
    state: &AppState,
    tenant: &Tenant,
    check_id: &str,
    format: CopyFormat,
) -> Result<Response, ApiError> {
    let copy = state
        .verifier
        .evidence()
        .clear_copy(tenant, check_id, format)
        .await?;
    let filename = format!("clear-copy-{check_id}.{}", format.extension());
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.media_type()),
            ),
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
    Ok(response)
}

/// `GET /v1/checks/{check_id}/qr.svg`.
#[utoipa::path(
    get,
    path = "/v1/checks/{check_id}/qr.svg",
    operation_id = "getCheckQrSvg",
    tag = "checks",
    summary = "QR code of the wallet link (SVG)",
    security(("apiKey" = [])),
    params(openapi::CheckPath),
    responses(
        (status = 200, description = "The QR code", body = String, content_type = "image/svg+xml"),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (status = 409, response = openapi::NotWaiting),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_check_qr_svg(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    check_qr(&state, &tenant, &check_id, QrFormat::Svg).await
}

/// `GET /v1/checks/{check_id}/qr.png`.
#[utoipa::path(
    get,
    path = "/v1/checks/{check_id}/qr.png",
    operation_id = "getCheckQrPng",
    tag = "checks",
    summary = "QR code of the wallet link (PNG)",
    security(("apiKey" = [])),
    params(openapi::CheckPath),
    responses(
        (status = 200, description = "The QR code", body = String, content_type = "image/png"),
        (status = 401, response = openapi::Unauthorized),
        (status = 404, response = openapi::CheckNotFound),
        (status = 409, response = openapi::NotWaiting),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_check_qr_png(
    State(state): State<AppState>,
    Authenticated(tenant): Authenticated,
    Path(check_id): Path<String>,
) -> Result<Response, ApiError> {
    check_qr(&state, &tenant, &check_id, QrFormat::Png).await
}

/// A waiting check's QR code in `format`, never cached.
async fn check_qr(
    state: &AppState,
    tenant: &Tenant,
    check_id: &str,
    format: QrFormat,
) -> Result<Response, ApiError> {
    let image = state
        .verifier
        .checks()
        .check_qr(tenant, check_id, format)
        .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.media_type()),
            ),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        image,
    )
        .into_response())
}

/// `GET /v1/templates`.
#[utoipa::path(
    get,
    path = "/v1/templates",
    operation_id = "listTemplates",
    tag = "checks",
    summary = "The check templates offered",
    security(("apiKey" = [])),
    responses(
        (status = 200, description = "Templates", body = Templates),
        (status = 401, response = openapi::Unauthorized),
        (status = 503, response = openapi::Unavailable),
    ),
)]
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
