//! `POST /token` (`application/x-www-form-urlencoded`): the pre-authorized code grant
//! (see [`crate::issuance::tokens`]). Responses are never cached (RFC 6749 §5.1).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::ApiError;
use idv_service_kit::http::{Form, Json};

use super::AppState;
use super::error::token_error;
use crate::issuance::tokens::TokenExchange;

pub(super) async fn exchange_token(
    State(state): State<AppState>,
    Form(exchange): Form<TokenExchange>,
) -> Result<Response, ApiError> {
    let response = state
        .issuer
        .tokens()
        .exchange_token(exchange)
        .await
        .map_err(token_error)?;
    Ok((
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        Json(response),
    )
        .into_response())
}
