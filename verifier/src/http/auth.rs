//! Tenant authentication: every `/v1` route requires a tenant's API key as a bearer token,
//! checked by [`idv_service_kit::http::require_bearer`] before the handler's extractors run, so
//! an unauthenticated request is refused before its body is read; the authenticated [`Tenant`]
//! travels in the request's extensions.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use idv_service_kit::http::BearerAuth;
use idv_service_kit::{ApiError, Secret};

use super::AppState;
use crate::tenants::Tenant;

impl BearerAuth for AppState {
    type Principal = Tenant;

    async fn authenticate(&self, token: &Secret) -> Result<Tenant, ApiError> {
        Ok(self.verifier.tenants().authenticate(token).await?)
    }
}

/// The authenticated tenant, put there by `require_bearer`.
pub(super) struct Authenticated(pub(super) Tenant);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Tenant>()
            .cloned()
            .map(Self)
            .ok_or_else(ApiError::missing_credentials)
    }
}
