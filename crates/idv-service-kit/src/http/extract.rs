//! Extractors whose rejections are ours: a malformed body, query or path becomes a 400
//! `invalid_request` with axum's precise reason as `error_description` (e.g. "missing field
//! `roles`"), never axum's plain-text rejection. Use them instead of axum's in every handler.

use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::config::Secret;

/// A JSON body (`Content-Type: application/json`); also a JSON response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(body_rejection(rejection.status(), rejection.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// An `application/x-www-form-urlencoded` body (or query, for GET).
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(value)| Self(value))
            .map_err(|rejection: FormRejection| {
                body_rejection(rejection.status(), rejection.body_text())
            })
    }
}

/// A body that could not be read or parsed: `413` when it was over the body limit (see
/// [`crate::limits::with_body_limit`]), otherwise `400 invalid_request` with the reason.
pub fn body_rejection(status: StatusCode, reason: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large("the request body exceeds the size this service accepts")
    } else {
        ApiError::invalid_request(reason)
    }
}

/// The query string.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| ApiError::invalid_request(rejection.body_text()))
    }
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection: PathRejection| {
                if rejection.status().is_server_error() {
                    ApiError::internal(rejection.body_text())
                } else {
                    ApiError::invalid_request(rejection.body_text())
                }
            })
    }
}

/// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), redacted in
/// `Debug`. Missing header → 401 with `WWW-Authenticate: Bearer`; another scheme or an empty
/// token → 401 `invalid_token`. Checking the token is the service's job.
#[derive(Debug, Clone)]
pub struct BearerToken(pub Secret);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Err(ApiError::missing_credentials());
        };
        let malformed =
            || ApiError::invalid_token("the Authorization header is not `Bearer <token>`");
        let value = value.to_str().map_err(|_| malformed())?;
        let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(malformed());
        }
        Ok(Self(Secret::new(token)))
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    async fn bearer(header: Option<&str>) -> Result<BearerToken, ApiError> {
        let mut builder = axum::http::Request::builder().uri("/");
        if let Some(header) = header {
            builder = builder.header(AUTHORIZATION, header);
        }
        let (mut parts, _) = builder.body(Body::empty()).unwrap().into_parts();
        BearerToken::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn bearer_token_is_read_case_insensitively() {
        let token = bearer(Some("bearer abc.def")).await.unwrap();
        assert_eq!(token.0.expose(), "abc.def");
        assert!(!format!("{token:?}").contains("abc"));
    }

    #[tokio::test]
    async fn missing_or_foreign_authorization_is_unauthorised() {
        for header in [
            None,
            Some("Basic dXNlcg=="),
            Some("Bearer "),
            Some("Bearer"),
        ] {
            let error = bearer(header).await.unwrap_err();
            assert_eq!(error.status(), StatusCode::UNAUTHORIZED, "{header:?}");
        }
    }

    #[tokio::test]
    async fn malformed_json_is_an_invalid_request() {
        #[derive(serde::Deserialize, Debug)]
        struct Input {
            #[expect(dead_code, reason = "only deserialised")]
            name: String,
        }
        let request = axum::http::Request::builder()
            .header("content-type", "application/json")
            .body(Body::from(r#"{"nam": "x"}"#))
            .unwrap();
        let error = Json::<Input>::from_request(request, &()).await.unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.error(), "invalid_request");
        assert!(
            error
                .description()
                .unwrap()
                .contains("missing field `name`")
        );
    }
}
