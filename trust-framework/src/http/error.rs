//! The one place where the register's errors become HTTP responses.

use axum::http::StatusCode;
use idv_service_kit::ApiError;

use crate::register::{
    InvalidInput, ProviderError, RelyingPartyError, TrustListError, Unauthenticated,
};

impl From<InvalidInput> for ApiError {
    fn from(error: InvalidInput) -> Self {
        ApiError::invalid_request(error.0)
    }
}

impl From<Unauthenticated> for ApiError {
    fn from(error: Unauthenticated) -> Self {
        ApiError::invalid_token(error.to_string())
    }
}

impl From<ProviderError> for ApiError {
    fn from(error: ProviderError) -> Self {
        match error {
            ProviderError::InvalidInput(invalid) => invalid.into(),
            ProviderError::EntryNotFound { .. } => ApiError::not_found(error.to_string()),
            ProviderError::IllegalTransition { .. } | ProviderError::Conflict(_) => {
                ApiError::conflict(error.to_string())
            }
            ProviderError::Store(_) => ApiError::internal_error(&error),
        }
    }
}

impl From<RelyingPartyError> for ApiError {
    fn from(error: RelyingPartyError) -> Self {
        match error {
            RelyingPartyError::InvalidInput(invalid) => invalid.into(),
            RelyingPartyError::RelyingPartyNotFound { .. } => {
                ApiError::not_found(error.to_string())
            }
            RelyingPartyError::Conflict(_) => ApiError::conflict(error.to_string()),
            RelyingPartyError::EncodeKey(_)
            | RelyingPartyError::Signing(_)
            | RelyingPartyError::Store(_) => ApiError::internal_error(&error),
        }
    }
}

impl From<TrustListError> for ApiError {
    fn from(error: TrustListError) -> Self {
        match error {
            TrustListError::Contention => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the register is changing too fast to sign a list; retry",
            ),
            TrustListError::Signing(_)
            | TrustListError::Decode(_)
            | TrustListError::Sequence(_)
            | TrustListError::Store(_) => ApiError::internal_error(&error),
        }
    }
}
