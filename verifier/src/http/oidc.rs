//! The OpenID Provider bridge's endpoints (see [`crate::oidc`]): authorization, the hand-off
//! page with its status and cancel links, token and userinfo.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_service_kit::http::{BearerToken, Json, Path, body_rejection};
use idv_service_kit::{ApiError, Secret};

use super::AppState;
use super::error::{page_error, token_error};
use super::limits::throttled_page;
use super::pages::{handoff_page, message_page};
use crate::oidc::authorize::Authorization;
use crate::oidc::handoff::Handoff;
use crate::oidc::{OidcError, SESSION_COOKIE, handoff_path, handoff_url};

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");
const FORM: &str = "application/x-www-form-urlencoded";
/// Random bytes of a page's CSP nonce.
const CSP_NONCE_BYTES: usize = 16;

/// `GET /oidc/authorize`.
pub(super) async fn authorize(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    let text = query.as_deref().unwrap_or_default();
    if let Some(throttled) = throttle_client(&state, text) {
        return throttled;
    }
    let result = state.verifier.authorize(text).await;
    authorization_response(&state, result)
}

/// `POST /oidc/authorize` (form body).
pub(super) async fn authorize_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return body_rejection(rejection.status(), rejection.body_text()).into_response();
        }
    };
    let text = match form_text(&headers, &body) {
        Ok(text) => text,
        Err(error) => return page_error(&state.verifier, error),
    };
    if let Some(throttled) = throttle_client(&state, text) {
        return throttled;
    }
    let result = state.verifier.authorize(text).await;
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
                Err(_) => page_error(
                    &state.verifier,
                    OidcError::Internal("the session cookie is not a header value".into()),
                ),
            }
        }
        Ok(Authorization::Refused(redirect)) => see_other(redirect.location()),
        Err(error) => page_error(&state.verifier, error),
    }
}

/// `GET /oidc/handoff/{session_id}`: the page, or the redirect back to the client.
pub(super) async fn get_handoff_page(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = state
        .verifier
        .handoff(&session_id, session_cookie(&headers).as_ref())
        .await;
    handoff_response(&state, result)
}

/// `GET /oidc/handoff/{session_id}/cancel`.
pub(super) async fn cancel_handoff(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = state
        .verifier
        .cancel_handoff(&session_id, session_cookie(&headers).as_ref())
        .await;
    handoff_response(&state, result)
}

fn handoff_response(state: &AppState, result: Result<Handoff, OidcError>) -> Response {
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
pub(super) async fn get_handoff_status(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let status = state
        .verifier
        .handoff_status(&session_id, session_cookie(&headers).as_ref())
        .await?;
    Ok(([(header::CACHE_CONTROL, NO_STORE)], Json(status)).into_response())
}

/// `POST /oidc/token` (form body).
pub(super) async fn exchange_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return body_rejection(rejection.status(), rejection.body_text()).into_response();
        }
    };
    let text = match form_text(&headers, &body) {
        Ok(text) => text,
        Err(error) => return token_error(error),
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match state.verifier.exchange_token(authorization, text).await {
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
pub(super) async fn get_userinfo(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<Response, ApiError> {
    let claims = state.verifier.userinfo(&token).await?;
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

/// A form-encoded body as text.
fn form_text<'a>(headers: &HeaderMap, body: &'a Bytes) -> Result<&'a str, OidcError> {
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
