//! Tenant authentication: every `/v1` route requires a tenant's API key as a bearer token.
//! Runs before the handler's extractors, so an unauthenticated request is refused before its
//! body is read; the authenticated [`Tenant`] travels in the request's extensions.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use idv_service_kit::ApiError;
use idv_service_kit::http::BearerToken;

use super::AppState;
use crate::tenants::Tenant;

pub(super) async fn require_tenant(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let tenant = state.verifier.authenticate(&token).await?;
    request.extensions_mut().insert(tenant);
    Ok(next.run(request).await)
}

/// The authenticated tenant, put there by [`require_tenant`].
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
