//! [`ApiError`]: the one shape every service error takes at the HTTP edge.
//!
//! Each service keeps its own error enums per layer (use case, store) and converts them into an
//! `ApiError` in one place (`src/http/error.rs` of the service). The body is the OAuth error
//! object `{error, error_description}` (RFC 6749 §5.2) for every endpoint, OAuth or not, so
//! clients parse one format. 4xx descriptions are precise; 5xx bodies are opaque and the cause
//! is logged once by [`super::observe`], never sent.
//!
//! A server failure caused by the database being unavailable ([`crate::db::Unavailable`]
//! anywhere in the error's source chain) is `503 temporarily_unavailable` with `Retry-After`,
//! not `500`: the request may succeed as it is once the database is back, and the service
//! recovers without a restart.

use std::fmt;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_proto::oauth_error::OAuthErrorCode;
use serde::Serialize;

use crate::db::Unavailable;

/// Longest `error_description` we send; longer ones are cut.
const MAX_DESCRIPTION: usize = 512;

/// The `Retry-After` of a `503` for an unavailable database, in seconds: about the time a
/// failed-over or restarted database takes to accept connections again.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u32 = 5;

/// An error response: status, `error` code, `error_description`, and for 401 a
/// `WWW-Authenticate` challenge.
#[derive(Clone)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    description: Option<String>,
    challenge: Option<&'static str>,
    retry_after: Option<u64>,
    cause: Option<String>,
    retry_after_secs: Option<u32>,
}

/// The 5xx cause carried from [`ApiError`] to the logging middleware in the response's
/// extensions. Never serialised.
#[derive(Clone)]
pub(crate) struct ServerErrorCause(pub(crate) String);

impl ApiError {
    /// Any status with an `error` code and a description.
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: Some(description.into()),
            challenge: None,
            retry_after: None,
            cause: None,
            retry_after_secs: None,
        }
    }

    /// A registered OAuth error code.
    pub fn oauth(status: StatusCode, code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self::new(status, code.as_str(), description)
    }

    /// 400 `invalid_request`: the request is malformed or a value is not acceptable.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::oauth(
            StatusCode::BAD_REQUEST,
            OAuthErrorCode::InvalidRequest,
            description,
        )
    }

    /// 404 `not_found` (OpenID Federation's code): the named resource does not exist.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 409 `conflict`: the request is well-formed but contradicts the resource's state.
    pub fn conflict(description: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", description)
    }

    /// 401 without credentials: `WWW-Authenticate: Bearer` and no error code in the challenge
    /// (RFC 6750 §3.1).
    pub fn missing_credentials() -> Self {
        Self {
            challenge: Some("Bearer"),
            ..Self::oauth(
                StatusCode::UNAUTHORIZED,
                OAuthErrorCode::InvalidToken,
                "a bearer token is required",
            )
        }
    }

    /// 401 `invalid_token`: the bearer token is malformed, unknown or revoked.
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self {
            challenge: Some("Bearer error=\"invalid_token\""),
            ..Self::oauth(
                StatusCode::UNAUTHORIZED,
                OAuthErrorCode::InvalidToken,
                description,
            )
        }
    }

    /// 413 `invalid_request`: the body is larger than the endpoint accepts (RFC 9110
    /// §15.5.14), distinct from the 400 of a malformed one.
    pub fn payload_too_large(description: impl Into<String>) -> Self {
        Self::oauth(
            StatusCode::PAYLOAD_TOO_LARGE,
            OAuthErrorCode::InvalidRequest,
            description,
        )
    }

    /// The same error with `Retry-After: <secs>` (RFC 9110 §10.2.3), for a 429 or 503.
    pub fn with_retry_after(self, secs: u64) -> Self {
        Self {
            retry_after: Some(secs),
            ..self
        }
    }

    /// 500 `server_error`. `cause` is logged once by the middleware and never sent.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: OAuthErrorCode::ServerError.as_str(),
            description: None,
            challenge: None,
            retry_after: None,
            cause: Some(cause.to_string()),
            retry_after_secs: None,
        }
    }

    /// 503 `temporarily_unavailable` with `Retry-After: retry_after_secs` (RFC 9110 §15.6.4,
    /// §10.2.3): the service cannot serve the request for now. `cause` is logged once by the
    /// middleware and never sent.
    pub fn unavailable(retry_after_secs: u32, cause: impl fmt::Display) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: OAuthErrorCode::TemporarilyUnavailable.as_str(),
            retry_after_secs: Some(retry_after_secs),
            ..Self::internal(cause)
        }
    }

    /// A server failure, with the whole `source()` chain of `error` as the cause:
    /// [`ApiError::unavailable`] when the chain holds the database being unavailable
    /// ([`Unavailable::in_chain`]), [`ApiError::internal`] otherwise.
    pub fn internal_error(error: &(dyn std::error::Error + 'static)) -> Self {
        if Unavailable::in_chain(error).is_some() {
            return Self::unavailable(UNAVAILABLE_RETRY_AFTER_SECS, ErrorChain(error));
        }
        Self::internal(ErrorChain(error))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `error` code.
    pub fn error(&self) -> &'static str {
        self.error
    }

    /// The `error_description` as it will be sent (`None` for 5xx).
    pub fn description(&self) -> Option<String> {
        if self.status.is_server_error() {
            return None;
        }
        self.description.as_deref().map(sanitise)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("error", &self.error)
            .field("description", &self.description)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.error)?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.error,
            error_description: self.description(),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(ServerErrorCause(cause));
        }
        response
    }
}

/// Keeps a description within RFC 6749's `error_description` alphabet
/// (`%x20-21 / %x23-5B / %x5D-7E`): `"` becomes `'`, `\` becomes `/`, anything else outside
/// printable ASCII becomes `?`; cut at [`MAX_DESCRIPTION`] characters.
fn sanitise(text: &str) -> String {
    text.chars()
        .take(MAX_DESCRIPTION)
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            '\n' | '\r' | '\t' => ' ',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

/// Displays an error and its sources as `outer: inner: root`.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(inner) = source {
            write!(f, ": {inner}")?;
            source = inner.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_stay_within_the_oauth_alphabet() {
        assert_eq!(
            sanitise("expected \"IDSP\" at C:\\x\n£"),
            "expected 'IDSP' at C:/x ?"
        );
        assert_eq!(sanitise(&"a".repeat(1000)).len(), MAX_DESCRIPTION);
    }

    #[test]
    fn server_errors_are_opaque() {
        let error = ApiError::internal("database on fire");
        assert_eq!(error.description(), None);
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.extensions().get::<ServerErrorCause>().is_some());
    }

    #[test]
    fn unauthorised_responses_carry_a_bearer_challenge() {
        let response = ApiError::missing_credentials().into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let response = ApiError::invalid_token("unknown token").into_response();
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\""
        );
    }

    #[test]
    fn an_unavailable_database_is_503_with_retry_after_and_an_opaque_body() {
        #[derive(Debug, thiserror::Error)]
        #[error("store failed at /var/lib/x")]
        struct Store(#[source] sqlx::Error);
        let error = ApiError::internal_error(&Store(sqlx::Error::PoolTimedOut));
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.error(), "temporarily_unavailable");
        assert_eq!(error.description(), None);
        let response = error.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        assert!(response.extensions().get::<ServerErrorCause>().is_some());
        let other = ApiError::internal_error(&Store(sqlx::Error::RowNotFound));
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !other
                .into_response()
                .headers()
                .contains_key(header::RETRY_AFTER)
        );
    }

    #[test]
    fn error_chain_names_every_source() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("root"));
        assert_eq!(ErrorChain(&error).to_string(), "outer: root");
    }
}
