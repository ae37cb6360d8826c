//! The one place where use-case errors become HTTP responses.
//!
//! Wallet endpoints answer in the OAuth error format with `error_description` starting with
//! the stable reason code (`response_replayed: …`), so wallets and tests can branch on it:
//! `invalid_request_uri` (RFC 9101) at the request URI, `invalid_request` at the response URI.

use axum::http::StatusCode;
use idv_service_kit::ApiError;

use crate::checks::CheckError;
use crate::tenants::TenantError;
use crate::wallet::WalletError;

impl From<CheckError> for ApiError {
    fn from(error: CheckError) -> Self {
        match &error {
            CheckError::InvalidInput(_) | CheckError::UnknownTemplate { .. } => {
                ApiError::invalid_request(error.to_string())
            }
            CheckError::NotFound { .. } => ApiError::not_found(error.to_string()),
            CheckError::NotAttested(_) | CheckError::NotPending { .. } => {
                ApiError::conflict(error.to_string())
            }
            CheckError::InvalidResponseCode => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_grant", error.to_string())
            }
            CheckError::Internal(_) | CheckError::Corrupt { .. } | CheckError::Store(_) => {
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

/// Which wallet endpoint refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WalletEndpoint {
    /// The request URI.
    Request,
    /// The response URI.
    Response,
}

pub(super) fn wallet_error(error: WalletError, endpoint: WalletEndpoint) -> ApiError {
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
        (WalletError::Unavailable(_), None) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            error.to_string(),
        ),
        _ => ApiError::internal_error(&error),
    }
}
