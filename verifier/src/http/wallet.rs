//! The OpenID4VP 1.0 wallet endpoints: the request URI and the response URI.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_proto::oid4vp::authorization_request::{REQUEST_OBJECT_MEDIA_TYPE, RequestUriPostForm};
use idv_proto::oid4vp::authorization_response::ResponseUriReply;
use idv_service_kit::ApiError;
use idv_service_kit::http::{Form, Json, Path};

use super::AppState;
use super::error::{WalletEndpoint, wallet_error};
use crate::wallet::ResponseForm;

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// `GET /wallet/requests/{request_id}` → `application/oauth-authz-req+jwt`.
pub(super) async fn get_request_object(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
) -> Result<Response, ApiError> {
    request_object(&state, &request_id, None).await
}

/// `POST /wallet/requests/{request_id}` (`request_uri_method=post`: `wallet_metadata`,
/// `wallet_nonce`) → the request object echoing `wallet_nonce`.
pub(super) async fn post_request_object(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    Form(form): Form<RequestUriPostForm>,
) -> Result<Response, ApiError> {
    request_object(&state, &request_id, form.wallet_nonce.as_deref()).await
}

async fn request_object(
    state: &AppState,
    request_id: &str,
    wallet_nonce: Option<&str>,
) -> Result<Response, ApiError> {
    let jwt = state
        .verifier
        .request_object(request_id, wallet_nonce)
        .await
        .map_err(|e| wallet_error(e, WalletEndpoint::Request))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(REQUEST_OBJECT_MEDIA_TYPE),
            ),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        jwt,
    )
        .into_response())
}

/// `POST /wallet/responses/{request_id}` → `200 {}` or `200 {"redirect_uri": …}`.
pub(super) async fn post_response(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    Form(form): Form<ResponseForm>,
) -> Result<Response, ApiError> {
    let reply: ResponseUriReply = state
        .verifier
        .receive_response(&request_id, form)
        .await
        .map_err(|e| wallet_error(e, WalletEndpoint::Response))?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(reply)).into_response())
}
