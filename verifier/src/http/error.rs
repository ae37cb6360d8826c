//! The one place where use-case errors become HTTP responses.
//!
//! Wallet endpoints answer in the OAuth error format with `error_description` starting with
//! the stable reason code (`response_replayed: …`), so wallets and tests can branch on it:
//! `invalid_request_uri` (RFC 9101) at the request URI, `invalid_request` at the response URI.
//!
//! The OpenID Provider bridge answers in three ways: its pages (authorization, hand-off) show
//! an HTML error page and never redirect an unverified request ([`page_error`]); the token
//! endpoint uses RFC 6749 §5.2, with `WWW-Authenticate: Basic` when Basic authentication
//! failed ([`token_error`]); the status and userinfo endpoints use the OAuth error body like
//! every other JSON endpoint.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::ApiError;
use idv_service_kit::db::Unavailable;
use idv_service_kit::http::error::UNAVAILABLE_RETRY_AFTER_SECS;

use super::limits::throttled_page;
use super::oidc::{csp_nonce, html};
use super::pages::message_page;
use crate::checks::CheckError;
use crate::evidence::EvidenceError;
use crate::exchange::ExchangeError;
use crate::keys::KeyError;
use crate::oidc::OidcError;
use crate::service::Verifier;
use crate::tenants::TenantError;

impl From<CheckError> for ApiError {
    fn from(error: CheckError) -> Self {
        match &error {
            CheckError::InvalidInput(_) | CheckError::UnknownTemplate { .. } => {
                ApiError::invalid_request(error.to_string())
            }
            // No OAuth code names a webhook URL: a precise one in the same style.
            CheckError::InvalidWebhookUrl(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_webhook_url",
                error.to_string(),
            ),
            // RFC 7591 §3.2.2.
            CheckError::InvalidRedirectUri(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_redirect_uri",
                error.to_string(),
            ),
            CheckError::NotFound { .. } => ApiError::not_found(error.to_string()),
            CheckError::NotAttested(_)
            | CheckError::NotPending { .. }
            | CheckError::NotAwaitingConfirmation { .. }
            | CheckError::ConfirmationDataPurged => ApiError::conflict(error.to_string()),
            CheckError::TooManyOpenChecks {
                retry_after_secs, ..
            } => temporarily_unavailable(error.to_string(), *retry_after_secs),
            CheckError::InvalidResponseCode => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_grant", error.to_string())
            }
            CheckError::Tenant(_)
            | CheckError::Keys(_)
            | CheckError::Template(_)
            | CheckError::RequestKey(_)
            | CheckError::SealRequestKey(_)
            | CheckError::Qr(_)
            | CheckError::Encode(_)
            | CheckError::Corrupt { .. }
            | CheckError::Store(_) => ApiError::internal_error(&error),
        }
    }
}

impl From<EvidenceError> for ApiError {
    fn from(error: EvidenceError) -> Self {
        match error {
            EvidenceError::Check(error) => error.into(),
            EvidenceError::Purged | EvidenceError::NoEvidence { .. } => {
                ApiError::conflict(error.to_string())
            }
            EvidenceError::Keys(_) | EvidenceError::Corrupt { .. } | EvidenceError::Template(_) => {
                ApiError::internal_error(&error)
            }
        }
    }
}

impl From<TenantError> for ApiError {
    fn from(error: TenantError) -> Self {
        match &error {
            TenantError::Unauthenticated => ApiError::invalid_token(error.to_string()),
            TenantError::InvalidInput(_) => ApiError::invalid_request(error.to_string()),
            TenantError::NotFound { .. } => ApiError::not_found(error.to_string()),
            TenantError::ClientIdTaken { .. } | TenantError::Attestation(_) => {
                ApiError::conflict(error.to_string())
            }
            TenantError::Key(_) | TenantError::Store(_) => ApiError::internal_error(&error),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(error: KeyError) -> Self {
        ApiError::internal_error(&error)
    }
}

/// Which wallet endpoint refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WalletEndpoint {
    /// The request URI.
    Request,
    /// The response URI.
    Response,
}

pub(super) fn wallet_error(error: ExchangeError, endpoint: WalletEndpoint) -> ApiError {
    let error_code = match endpoint {
        WalletEndpoint::Request => "invalid_request_uri",
        WalletEndpoint::Response => "invalid_request",
    };
    match (&error, error.code()) {
        (_, Some(code)) => ApiError::new(
            StatusCode::BAD_REQUEST,
            error_code,
            format!("{code}: {error}"),
        ),
        (ExchangeError::Unavailable(_), None) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            error.to_string(),
        ),
        _ => ApiError::internal_error(&error),
    }
}

impl From<OidcError> for ApiError {
    fn from(error: OidcError) -> Self {
        match &error {
            OidcError::UnknownClient
            | OidcError::InvalidRedirectUri
            | OidcError::InvalidRequest(_)
            | OidcError::InvalidInput(_) => ApiError::invalid_request(error.to_string()),
            OidcError::UnknownSession | OidcError::NotFound { .. } => {
                ApiError::not_found(error.to_string())
            }
            OidcError::OtherBrowser => {
                ApiError::new(StatusCode::FORBIDDEN, "access_denied", error.to_string())
            }
            OidcError::InvalidClient { .. } => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                error.to_string(),
            ),
            OidcError::InvalidGrant(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_grant", error.to_string())
            }
            OidcError::UnsupportedGrantType => ApiError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                error.to_string(),
            ),
            OidcError::InvalidToken => ApiError::invalid_token(error.to_string()),
            OidcError::TooManySessions {
                retry_after_secs, ..
            } => temporarily_unavailable(error.to_string(), *retry_after_secs),
            OidcError::Tenant(_)
            | OidcError::Check(_)
            | OidcError::Template(_)
            | OidcError::Signing(_)
            | OidcError::Encode(_)
            | OidcError::Qr(_)
            | OidcError::Corrupt { .. }
            | OidcError::Store(_) => ApiError::internal_error(&error),
        }
    }
}

/// 429 `temporarily_unavailable` with `Retry-After` (RFC 9110 §10.2.3, RFC 6585 §4).
fn temporarily_unavailable(message: String, retry_after_secs: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
        message,
    )
    .with_retry_after(retry_after_secs)
}

/// A token endpoint error (RFC 6749 §5.2): the OAuth body with `Cache-Control: no-store`, and
/// a Basic challenge when the client's Basic authentication failed.
pub(super) fn token_error(error: OidcError) -> Response {
    let basic = matches!(error, OidcError::InvalidClient { basic: true });
    let mut response = ApiError::from(error).into_response();
    if basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"federated-idv verifier\""),
        );
    }
    response
}

/// An error on a page the person sees: an HTML page, never a redirect (the request's
/// `redirect_uri` is not to be trusted, RFC 6749 §4.1.2.1). 5xx causes are logged here, once.
pub(super) fn page_error(verifier: &Verifier, error: OidcError) -> Response {
    let (status, heading, message) = match &error {
        OidcError::UnknownClient | OidcError::InvalidRedirectUri => (
            StatusCode::BAD_REQUEST,
            "This sign-in request is not valid",
            format!(
                "The service that sent you here made a request we cannot accept: {error}. \
                 Go back to it and try again, or contact it if this keeps happening."
            ),
        ),
        OidcError::InvalidRequest(_) => (
            StatusCode::BAD_REQUEST,
            "This sign-in request is not valid",
            format!("The request cannot be accepted: {error}."),
        ),
        OidcError::UnknownSession => (
            StatusCode::BAD_REQUEST,
            "This sign-in has expired",
            "This sign-in is unknown or has expired. Go back to the service you came from and \
             start again."
                .to_owned(),
        ),
        OidcError::TooManySessions {
            retry_after_secs, ..
        } => return throttled_page(verifier, *retry_after_secs),
        OidcError::OtherBrowser => (
            StatusCode::FORBIDDEN,
            "Continue on the device where you started",
            "This sign-in continues in the browser where it was started. If you scanned the QR \
             code, go back to that screen: it moves on by itself. You can close this page."
                .to_owned(),
        ),
        _ if Unavailable::in_chain(&error).is_some() => {
            tracing::error!(
                error.cause = %idv_service_kit::cli::report(&error),
                "OpenID Provider page failed: the database is unavailable"
            );
            let nonce = csp_nonce(verifier);
            let page = message_page(
                "This service is briefly unavailable",
                "The sign-in cannot continue for a moment. Wait a few seconds and reload this \
                 page.",
                &nonce,
            );
            let mut response = html(StatusCode::SERVICE_UNAVAILABLE, page, &nonce);
            // RFC 9110 §10.2.3.
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
            );
            return response;
        }
        _ => return server_error_page(verifier, &error),
    };
    let nonce = csp_nonce(verifier);
    html(status, message_page(heading, &message, &nonce), &nonce)
}

/// The page of a failure on our side of the sign-in; `error` is logged here, once.
pub(super) fn server_error_page(
    verifier: &Verifier,
    error: &(dyn std::error::Error + 'static),
) -> Response {
    tracing::error!(
        error.cause = %idv_service_kit::cli::report(error),
        "OpenID Provider page failed"
    );
    let nonce = csp_nonce(verifier);
    let page = message_page(
        "Something went wrong",
        "The sign-in could not continue because of a problem on our side. Go back to the \
         service you came from and try again.",
        &nonce,
    );
    html(StatusCode::INTERNAL_SERVER_ERROR, page, &nonce)
}
