//! The one place where register errors become HTTP responses.

use idv_service_kit::ApiError;

use crate::register::RegisterError;

impl From<RegisterError> for ApiError {
    fn from(error: RegisterError) -> Self {
        match &error {
            RegisterError::InvalidInput(message) => ApiError::invalid_request(message.clone()),
            RegisterError::EntryNotFound { .. }
            | RegisterError::RelyingPartyNotFound { .. }
            | RegisterError::CredentialTypeNotFound { .. } => {
                ApiError::not_found(error.to_string())
            }
            RegisterError::IllegalTransition { .. } | RegisterError::Conflict(_) => {
                ApiError::conflict(error.to_string())
            }
            RegisterError::Unauthenticated => ApiError::invalid_token(error.to_string()),
            RegisterError::Contention => ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the register is changing too fast to sign a list; retry",
            ),
            RegisterError::NotInitialised
            | RegisterError::AnchorKey(_)
            | RegisterError::Signing(_)
            | RegisterError::Store(_) => ApiError::internal_error(&error),
        }
    }
}
