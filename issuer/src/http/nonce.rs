//! `POST /nonce` (unprotected, no body): `{"c_nonce": …}` with `Cache-Control: no-store`
//! (OpenID4VCI 1.0 "Nonce Response").

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::ApiError;
use idv_service_kit::http::Json;

use super::AppState;

pub(super) async fn create_nonce(State(state): State<AppState>) -> Result<Response, ApiError> {
    let nonce = state.issuer.nonces().new_nonce().await?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(nonce),
    )
        .into_response())
}
