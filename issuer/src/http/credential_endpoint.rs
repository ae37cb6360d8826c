//! `POST /credential` (`Authorization: Bearer`, `application/json`): see
//! [`crate::issuance::credential_requests`]. The access token is checked before the body is parsed, so
//! an unauthorised request gets 401 whatever it carries. A body that is not a JSON Credential
//! Request is `invalid_credential_request` (OpenID4VCI takes precedence over RFC 6750's
//! `invalid_request`); encrypted requests (`application/jwt`) are not offered.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_proto::oid4vci::credential_request::CredentialRequest;
use idv_service_kit::http::{BearerToken, Json, body_rejection};

use super::AppState;
use super::error::credential_error;
use crate::issuance::IssuanceError;

fn invalid(reason: impl Into<String>) -> Response {
    credential_error(IssuanceError::InvalidRequest {
        reason: reason.into(),
    })
}

pub(super) async fn issue_credential(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let grant = match state
        .issuer
        .credential_requests()
        .authorize_credential_request(&token)
        .await
    {
        Ok(grant) => grant,
        Err(error) => return credential_error(error),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if let Some(content_type) = content_type
        && content_type != "application/json"
    {
        return invalid(format!(
            "the Credential Request must be application/json (got {content_type}); \
             encrypted requests are not supported"
        ));
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return body_rejection(rejection.status(), rejection.body_text()).into_response();
        }
        Err(rejection) => return invalid(rejection.body_text()),
    };
    let request: CredentialRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return invalid(format!("not a Credential Request: {error}")),
    };
    match state
        .issuer
        .credential_requests()
        .issue_credentials(&grant, request)
        .await
    {
        Ok(response) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Json(response),
        )
            .into_response(),
        Err(error) => credential_error(error),
    }
}
