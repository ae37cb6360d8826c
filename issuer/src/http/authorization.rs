//! The authorization code flow's endpoints (routed only with `[login]`; see
//! [`crate::issuance::authorization`]):
//!
//! - `POST /par` (form): a pushed authorization request → 201 `{request_uri, expires_in}`.
//! - `GET /authorize?client_id&request_uri`: 303 to the provider's OpenID Provider.
//! - `GET /login/callback?code&state` (the OP's redirect): 303 to the wallet's `redirect_uri`
//!   with `code`, `state` and `iss`, or with `error`.
//!
//! None of the answers may be cached.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};

use axum::response::{IntoResponse, Response};
use idv_service_kit::http::{Form, Json, Query};
use serde::Deserialize;

use super::AppState;
use super::error::{authorization_error, see_other};
use crate::issuance::authorization::PushedAuthorizationRequest;
use crate::issuance::login::SignInCallback;

/// `GET /authorize` query: everything else was pushed.
#[derive(Deserialize)]
pub(super) struct AuthorizeQuery {
    client_id: Option<String>,
    request_uri: Option<String>,
}

pub(super) async fn push_authorization_request(
    State(state): State<AppState>,
    Form(request): Form<PushedAuthorizationRequest>,
) -> Response {
    match state
        .issuer
        .authorization()
        .push_authorization_request(request)
        .await
    {
        Ok(pushed) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Json(pushed),
        )
            .into_response(),
        Err(error) => authorization_error(error),
    }
}

pub(super) async fn authorize(
    State(state): State<AppState>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    match state
        .issuer
        .authorization()
        .start_sign_in(query.client_id.as_deref(), query.request_uri.as_deref())
        .await
    {
        Ok(location) => see_other(&location),
        Err(error) => authorization_error(error),
    }
}

pub(super) async fn login_callback(
    State(state): State<AppState>,
    Query(callback): Query<SignInCallback>,
) -> Response {
    match state.issuer.authorization().finish_sign_in(callback).await {
        Ok(location) => see_other(&location),
        Err(error) => authorization_error(error),
    }
}
