//! Operator authentication: every `/v1` route requires an operator bearer token. Runs before
//! the handler's extractors, so an unauthenticated request is refused before its body is read.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use idv_service_kit::ApiError;
use idv_service_kit::http::BearerToken;

use super::AppState;

pub(super) async fn require_operator(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    state.issuer.authenticate_operator(&token).await?;
    Ok(next.run(request).await)
}
