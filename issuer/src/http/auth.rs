//! Operator authentication: every `/v1` route requires an operator bearer token, checked by
//! [`idv_service_kit::http::require_bearer`] before the handler's extractors run, so an
//! unauthenticated request is refused before its body is read.

use idv_service_kit::http::BearerAuth;
use idv_service_kit::{ApiError, Secret};

use super::AppState;

impl BearerAuth for AppState {
    type Principal = ();

    async fn authenticate(&self, token: &Secret) -> Result<(), ApiError> {
        Ok(self
            .issuer
            .operator_access()
            .authenticate_operator(token)
            .await?)
    }
}
