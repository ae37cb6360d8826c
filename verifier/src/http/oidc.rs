//! The OpenID Provider bridge's endpoints (see [`crate::oidc`]): authorization, the hand-off
//! page with its status and cancel links, token and userinfo.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::http::{BearerToken, Json, Path, body_rejection};
use idv_service_kit::{ApiError, Secret};

use super::error::{page_error, server_error_page, token_error};
use super::limits::throttled_page;
use super::pages::{handoff_page, message_page};
use super::{AppState, openapi};
use crate::oidc::authorize::Authorization;
use crate::oidc::handoff::{Handoff, HandoffStatus, HandoffVisit};
use crate::oidc::token::TokenResponse;
use crate::oidc::{OidcError, SESSION_COOKIE, handoff_path, handoff_url};

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");
const FORM: &str = "application/x-www-form-urlencoded";
/// Random bytes of a page's CSP nonce.
const CSP_NONCE_BYTES: usize = 16;

/// `GET /oidc/authorize`.
#[utoipa::path(
    get,
    path = "/oidc/authorize",
    operation_id = "authorize",
    tag = "oidc",
    summary = "Authorization request (a pending sign-in and its hand-off page)",
    description = "Validates `client_id` and `redirect_uri` first: when either is unknown the \
                   person gets an HTML error page (400) and is never redirected. Any other error \
                   redirects to `redirect_uri` with `error` (`invalid_request`, \
                   `unsupported_response_type`, `invalid_scope`, `request_not_supported`, \
                   `request_uri_not_supported`, `login_required`, `temporarily_unavailable`, \
                   `server_error`), `error_description`, `state` and `iss`. A valid request \
                   records a pending authorization session (no check yet), sets the session cookie \
                   and redirects to the hand-off page; the check is created when the browser first \
                   loads that page. Too many requests from one address or for one client, or too \
                   many of the client's sign-ins pending, get a 429 page with `Retry-After`.",
    params(openapi::AuthorizationRequest),
    responses(
        (status = 303, response = openapi::ToHandoff),
        (status = 400, response = openapi::UnknownClientPage),
        (status = 429, response = openapi::TooManySignIns),
    ),
)]
pub(super) async fn authorize(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    let text = query.as_deref().unwrap_or_default();
    if let Some(throttled) = throttle_client(&state, text) {
        return throttled;
    }
    let result = state.verifier.oidc().authorize(text).await;
    authorization_response(&state, result)
}

/// `POST /oidc/authorize` (form body).
#[utoipa::path(
    post,
    path = "/oidc/authorize",
    operation_id = "authorizeForm",
    tag = "oidc",
    summary = "Authorization request sent as a form",
    description = "The same parameters as `GET`, form-encoded in the body.",
    request_body(
        content = openapi::AuthorizationRequest,
        content_type = "application/x-www-form-urlencoded",
    ),
    responses(
        (status = 303, response = openapi::ToHandoff),
        (status = 400, response = openapi::UnknownClientPage),
        (status = 413, response = openapi::ContentTooLarge),
        (status = 429, response = openapi::TooManySignIns),
    ),
)]
pub(super) async fn authorize_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let text = match form_text(&headers, &body, |error| page_error(&state.verifier, error)) {
        Ok(text) => text,
        Err(response) => return *response,
    };
    if let Some(throttled) = throttle_client(&state, text) {
        return throttled;
    }
    let result = state.verifier.oidc().authorize(text).await;
    authorization_response(&state, result)
}

/// The 429 page when the request's `client_id` has used up its rate
/// (`[limits] authorize_per_client`).
fn throttle_client(state: &AppState, parameters: &str) -> Option<Response> {
    let client_id = url::form_urlencoded::parse(parameters.as_bytes())
        .find(|(name, _)| name == "client_id")
        .map(|(_, value)| value.into_owned())?;
    let throttled = state.limits.authorize_per_client.check(&client_id).err()?;
    tracing::debug!(
        oidc.client_id = %client_id,
        retry_after_secs = throttled.retry_after_secs(),
        "authorization request refused: client rate limit"
    );
    Some(throttled_page(
        &state.verifier,
        throttled.retry_after_secs(),
    ))
}

fn authorization_response(state: &AppState, result: Result<Authorization, OidcError>) -> Response {
    match result {
        Ok(Authorization::Started {
            session_id,
            browser_secret,
            lifetime_secs,
        }) => {
            let path = handoff_path(&session_id);
            let secure = if state.verifier.settings().public_url.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path={path}; Max-Age={lifetime_secs}; HttpOnly; \
                 SameSite=Lax{secure}",
                browser_secret.expose()
            );
            let mut response = see_other(&handoff_url(
                &state.verifier.settings().public_url,
                &session_id,
            ));
            match HeaderValue::from_str(&cookie) {
                Ok(value) => {
                    response.headers_mut().insert(header::SET_COOKIE, value);
                    response
                }
                Err(error) => server_error_page(&state.verifier, &error),
            }
        }
        Ok(Authorization::Refused(redirect)) => see_other(redirect.location()),
        Err(error) => page_error(&state.verifier, error),
    }
}

/// `GET /oidc/handoff/{session_id}`: the page, or the redirect back to the client.
#[utoipa::path(
    get,
    path = "/oidc/handoff/{session_id}",
    operation_id = "getHandoffPage",
    tag = "oidc",
    summary = "The hand-off page (HTML)",
    description = "The first load creates the sign-in's check (the authorization request only \
                   recorded a pending sign-in); when it cannot be created (the tenant's \
                   attestation, or its `max_open_checks_per_tenant`), 303 back to the client with \
                   `error=temporarily_unavailable`. While the check waits: an accessible page with \
                   the QR code (cross-device), a link opening the `openid4vp://` request on this \
                   device (the wallet's redirect returns here), a live status line and a cancel \
                   link; it reloads itself every few seconds without JavaScript and polls \
                   `…/status` with it. Once the check has concluded `compliant`: 303 to \
                   `redirect_uri?code=…&state=…&iss=…`. Only a compliant check earns a code. Any \
                   other end (declined or an error in the wallet, a presentation rejected or not \
                   eligible, expired, erased): 303 with `error=access_denied` (OpenID Connect Core \
                   1.0 §3.1.2.6), `error_description` holding only the check's reason codes, \
                   space-separated (e.g. `holder_declined`, `provider_suspended`, \
                   `nationality_not_eligible`, `request_expired`), `state` and `iss`.",
    params(
        openapi::HandoffPath,
        openapi::SessionCookie,
    ),
    responses(
        (
            status = 200,
            description = "The hand-off page, or a page saying the sign-in has finished",
            body = String,
            content_type = "text/html",
        ),
        (
            status = 303,
            description = "Back to the client with `code` or `error=access_denied`, `state` and \
                           `iss`",
            headers(("Location" = String)),
        ),
        (status = 400, response = openapi::SessionUnknownPage),
        (status = 403, response = openapi::SessionRefusedPage),
        (status = 429, response = openapi::TooManyRequests),
    ),
)]
pub(super) async fn get_handoff_page(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    visit_handoff(&state, &session_id, &headers, HandoffVisit::Load).await
}

/// `GET /oidc/handoff/{session_id}/cancel`.
#[utoipa::path(
    get,
    path = "/oidc/handoff/{session_id}/cancel",
    operation_id = "cancelHandoff",
    tag = "oidc",
    summary = "The person cancels the sign-in",
    description = "Erases the check and redirects to the client with `error=access_denied`.",
    params(
        openapi::HandoffPath,
        openapi::SessionCookie,
    ),
    responses(
        (
            status = 200,
            description = "The sign-in had already finished",
            body = String,
            content_type = "text/html",
        ),
        (
            status = 303,
            description = "Back to the client with `error=access_denied`, `state` and `iss`",
            headers(("Location" = String)),
        ),
        (status = 400, response = openapi::SessionUnknownPage),
        (status = 403, response = openapi::SessionRefusedPage),
        (status = 429, response = openapi::TooManyRequests),
    ),
)]
pub(super) async fn cancel_handoff(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    visit_handoff(&state, &session_id, &headers, HandoffVisit::Cancel).await
}

/// The hand-off page's answer to `visit` by the browser `headers` come from.
async fn visit_handoff(
    state: &AppState,
    session_id: &str,
    headers: &HeaderMap,
    visit: HandoffVisit,
) -> Response {
    let cookie = session_cookie(headers);
    let result = state
        .verifier
        .oidc()
        .handoff(session_id, cookie.as_ref(), visit)
        .await;
    match result {
        Ok(Handoff::Page(page)) => {
            let nonce = csp_nonce(&state.verifier);
            html(StatusCode::OK, handoff_page(&page, &nonce), &nonce)
        }
        Ok(Handoff::Redirect(redirect)) => see_other(redirect.location()),
        Ok(Handoff::Finished { client_name }) => {
            let nonce = csp_nonce(&state.verifier);
            let message = format!(
                "This sign-in to {client_name} has finished. You can close this page, or start \
                 again from {client_name}."
            );
            html(
                StatusCode::OK,
                message_page("Sign-in finished", &message, &nonce),
                &nonce,
            )
        }
        Err(error) => page_error(&state.verifier, error),
    }
}

/// `GET /oidc/handoff/{session_id}/status` → `{status, message}`.
#[utoipa::path(
    get,
    path = "/oidc/handoff/{session_id}/status",
    operation_id = "getHandoffStatus",
    tag = "oidc",
    summary = "Where the hand-off stands (the page's script polls it)",
    params(
        openapi::HandoffPath,
        openapi::SessionCookie,
    ),
    responses(
        (status = 200, description = "Status", body = HandoffStatus),
        (
            status = 403,
            description = "The session cookie is missing or another browser's (`access_denied`)",
            body = openapi::ErrorObject,
        ),
        (
            status = 404,
            description = "Unknown or expired session (`not_found`)",
            body = openapi::ErrorObject,
        ),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_handoff_status(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let status = state
        .verifier
        .oidc()
        .handoff_status(&session_id, session_cookie(&headers).as_ref())
        .await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(status)).into_response())
}

/// `POST /oidc/token` (form body).
#[utoipa::path(
    post,
    path = "/oidc/token",
    operation_id = "exchangeToken",
    tag = "oidc",
    summary = "Token request: the code for an ID token and an access token",
    description = "`client_secret_basic` or `client_secret_post` (not both). The code is single \
                   use, valid 60 s; `redirect_uri` must be the authorization request's and \
                   `code_verifier` match its `code_challenge` (S256); a code whose check was \
                   erased since is refused. The first attempt spends the code, successful or not \
                   (a wrong `code_verifier` or `redirect_uri` leaves nothing to retry). A code \
                   presented again is refused and the access token issued from it revoked. Errors \
                   follow RFC 6749 §5.2 with `Cache-Control: no-store`.",
    security(("clientSecretBasic" = []), ()),
    request_body(
        content = openapi::TokenRequest,
        content_type = "application/x-www-form-urlencoded",
    ),
    responses(
        (
            status = 200,
            description = "Tokens",
            body = TokenResponse,
            headers(("Cache-Control" = String)),
        ),
        (
            status = 400,
            description = "`invalid_request`, `invalid_grant` (unknown, expired or reused code, \
                           redirect_uri or PKCE mismatch, check erased) or \
                           `unsupported_grant_type`",
            body = openapi::ErrorObject,
        ),
        (
            status = 401,
            description = "`invalid_client` (with `WWW-Authenticate: Basic` when Basic was used)",
            body = openapi::ErrorObject,
        ),
        (status = 413, response = openapi::ContentTooLarge),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn exchange_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let text = match form_text(&headers, &body, token_error) {
        Ok(text) => text,
        Err(response) => return *response,
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match state
        .verifier
        .oidc()
        .exchange_token(authorization, text)
        .await
    {
        Ok(tokens) => (
            [
                (header::CACHE_CONTROL, NO_STORE),
                (header::PRAGMA, HeaderValue::from_static("no-cache")),
            ],
            Json(tokens),
        )
            .into_response(),
        Err(error) => token_error(error),
    }
}

/// `GET|POST /oidc/userinfo` (`Authorization: Bearer <access token>`).
#[utoipa::path(
    get,
    path = "/oidc/userinfo",
    operation_id = "getUserinfo",
    tag = "oidc",
    summary = "The sign-in's claims",
    security(("accessToken" = [])),
    responses(
        (
            status = 200,
            description = "The ID token's claims without the protocol claims",
            body = openapi::SignInClaims,
        ),
        (
            status = 401,
            description = "Missing, unknown, expired or revoked access token (`invalid_token`, \
                           with `WWW-Authenticate: Bearer`)",
            body = openapi::ErrorObject,
        ),
        (status = 429, response = openapi::TooManyRequests),
        (status = 503, response = openapi::Unavailable),
    ),
)]
pub(super) async fn get_userinfo(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<Response, ApiError> {
    let claims = state.verifier.oidc().userinfo(&token).await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(claims)).into_response())
}

/// A `303 See Other` that keeps the session id out of `Referer` and caches.
fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, NO_STORE),
                (header::REFERRER_POLICY, NO_REFERRER),
            ],
        )
            .into_response(),
        Err(_) => ApiError::internal("redirect location is not a header value").into_response(),
    }
}

/// An HTML response with the pages' security headers: a CSP allowing only the page's own
/// nonced style and script and same-origin `fetch`, no framing, no referrer, no caching.
pub(super) fn html(status: StatusCode, body: String, nonce: &str) -> Response {
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    let mut response = (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, NO_STORE),
            (header::REFERRER_POLICY, NO_REFERRER),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// A fresh nonce for a page's CSP.
pub(super) fn csp_nonce(verifier: &crate::service::Verifier) -> String {
    idv_jose::random::token(verifier.random.as_ref(), CSP_NONCE_BYTES)
}

/// The session cookie's value, if the browser sent one (the most specific path comes first).
fn session_cookie(headers: &HeaderMap) -> Option<Secret> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| Secret::new(value.trim_matches('"')))
}

/// A form-encoded body as text, or the response for a body that was not read (its rejection)
/// or is not a UTF-8 form (`invalid` maps that error to the endpoint's error response).
fn form_text<'a>(
    headers: &HeaderMap,
    body: &'a Result<Bytes, BytesRejection>,
    invalid: impl FnOnce(OidcError) -> Response,
) -> Result<&'a str, Box<Response>> {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let response = body_rejection(rejection.status(), rejection.body_text());
            return Err(Box::new(response.into_response()));
        }
    };
    form_bytes_text(headers, body).map_err(|error| Box::new(invalid(error)))
}

/// A form-encoded body's bytes as text.
fn form_bytes_text<'a>(headers: &HeaderMap, body: &'a Bytes) -> Result<&'a str, OidcError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(FORM));
    if !is_form {
        return Err(OidcError::InvalidRequest(format!(
            "the body must be {FORM}"
        )));
    }
    std::str::from_utf8(body).map_err(|_| OidcError::InvalidRequest("the body is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; idv_oidc=s3cret; b=2"),
        );
        assert_eq!(session_cookie(&headers).unwrap().expose(), "s3cret");
        headers.insert(header::COOKIE, HeaderValue::from_static("idv_oidcx=1"));
        assert!(session_cookie(&headers).is_none());
    }
}
