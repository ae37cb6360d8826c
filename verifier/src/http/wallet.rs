//! The OpenID4VP 1.0 wallet endpoints: the request URI and the response URI.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use idv_proto::oid4vp::authorization_request::{REQUEST_OBJECT_MEDIA_TYPE, RequestUriPostForm};
use idv_proto::oid4vp::authorization_response::ResponseUriReply;
use idv_service_kit::ApiError;
use idv_service_kit::http::{Form, Json, Path};

use super::error::{WalletEndpoint, wallet_error};
use super::{AppState, openapi};
use crate::exchange::ResponseForm;

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// `GET /wallet/requests/{request_id}` → `application/oauth-authz-req+jwt`.
#[utoipa::path(
    get,
    path = "/wallet/requests/{request_id}",
    operation_id = "getRequestObject",
    tag = "wallet",
    summary = "The signed request object (OpenID4VP 1.0, RFC 9101)",
    description = "Header `{alg: ES256, typ: oauth-authz-req+jwt, jwt: <verifier attestation>}`. \
                   Claims: `client_id` (`verifier_attestation:<client_id>`), `response_type` \
                   `vp_token`, `response_mode`, `response_uri`, `nonce`, `state`, `dcql_query`, \
                   `client_metadata` (`vp_formats_supported`; for `direct_post.jwt` `jwks` with \
                   the per-request ECDH-ES key and `encrypted_response_enc_values_supported` \
                   `[A128GCM, A256GCM]`), `aud` `https://self-issued.me/v2`, `iat`, `exp`.",
    params(openapi::RequestPath),
    responses(
        (status = 200, response = openapi::RequestObject),
        (
            status = 400,
            description = "Unknown, expired or answered request (`invalid_request_uri`, \
                           description starts with `request_unknown`, `request_expired` or \
                           `response_replayed`)",
            body = openapi::ErrorObject,
        ),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::AttestationUnusable),
    ),
)]
pub(super) async fn get_request_object(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
) -> Result<Response, ApiError> {
    request_object(&state, &request_id, None).await
}

/// `POST /wallet/requests/{request_id}` (`request_uri_method=post`: `wallet_metadata`,
/// `wallet_nonce`) → the request object echoing `wallet_nonce`.
#[utoipa::path(
    post,
    path = "/wallet/requests/{request_id}",
    operation_id = "postRequestObject",
    tag = "wallet",
    summary = "The signed request object, `request_uri_method=post`",
    description = "As the GET, echoing `wallet_nonce`.",
    params(openapi::RequestPath),
    request_body(
        content = RequestUriPostForm,
        content_type = "application/x-www-form-urlencoded",
    ),
    responses(
        (status = 200, response = openapi::RequestObject),
        (
            status = 400,
            description = "Unknown, expired or answered request, or bad `wallet_nonce` \
                           (`invalid_request_uri`)",
            body = openapi::ErrorObject,
        ),
        (status = 413, response = openapi::ContentTooLarge),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::AttestationUnusable),
    ),
)]
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
        .exchange()
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
#[utoipa::path(
    post,
    path = "/wallet/responses/{request_id}",
    operation_id = "postResponse",
    tag = "wallet",
    summary = "The wallet's Authorization Response (`direct_post.jwt` or `direct_post`)",
    description = "`response=<JWE>` (ECDH-ES with the request's key, A128GCM or A256GCM; payload \
                   `{vp_token, state}`), or `vp_token` (JSON object keyed by the DCQL credential \
                   query id) and `state`, or an error (`error`, `error_description`, `state`). \
                   When the request asked for `direct_post.jwt` the whole response, an error \
                   response included, must be the JWE: a plaintext `vp_token` or `error` is \
                   refused. A response that is refused (unknown request, wrong `state`, a JWE that \
                   does not decrypt, no well-formed `vp_token` or `error`, plaintext where \
                   encryption is required) leaves the request open for the wallet. A well-formed \
                   response carrying the request's `state` consumes the request, whatever its \
                   verification finds; its result goes to the tenant.",
    params(openapi::RequestPath),
    request_body(
        content = ResponseForm,
        content_type = "application/x-www-form-urlencoded",
    ),
    responses(
        (status = 200, description = "Received", body = ResponseUriReply),
        (
            status = 400,
            description = "Refused, the request left open unless expired or answered \
                           (`invalid_request`; description starts with `request_unknown`, \
                           `request_expired`, `response_replayed`, `invalid_response` (malformed, \
                           or unencrypted where `direct_post.jwt` is required) or \
                           `response_decryption_failed`)",
            body = openapi::ErrorObject,
        ),
        (status = 413, response = openapi::ContentTooLarge),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn post_response(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    Form(form): Form<ResponseForm>,
) -> Result<Response, ApiError> {
    let reply: ResponseUriReply = state
        .verifier
        .exchange()
        .receive_response(&request_id, form)
        .await
        .map_err(|e| wallet_error(e, WalletEndpoint::Response))?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(reply)).into_response())
}
