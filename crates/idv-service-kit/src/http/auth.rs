//! Bearer authentication of a group of routes (RFC 6750 §2.1): [`require_bearer`] runs before
//! the handlers' extractors, so an unauthenticated request is refused before its body is read;
//! the principal the token names travels in the request's extensions.

use std::future::Future;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::{ApiError, BearerToken};
use crate::config::Secret;

/// How a service checks a bearer token (an operator token, a tenant's API key).
pub trait BearerAuth: Clone + Send + Sync + 'static {
    /// Whom a valid token names (`()` for the operator).
    type Principal: Clone + Send + Sync + 'static;

    /// The principal `token` names, or the error that refuses it.
    fn authenticate(
        &self,
        token: &Secret,
    ) -> impl Future<Output = Result<Self::Principal, ApiError>> + Send;
}

/// Middleware (`from_fn_with_state(auth, require_bearer::<A>)`): refuses a request without a
/// valid bearer token and puts the principal in the request's extensions.
pub async fn require_bearer<A: BearerAuth>(
    State(auth): State<A>,
    BearerToken(token): BearerToken,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let principal = auth.authenticate(&token).await?;
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::extract::Extension;
    use axum::middleware::from_fn_with_state;
    use axum::routing::post;
    use tokio::net::TcpListener;

    use super::*;

    /// Knows one token, naming "alice".
    #[derive(Clone)]
    struct OneToken;

    impl BearerAuth for OneToken {
        type Principal = String;

        async fn authenticate(&self, token: &Secret) -> Result<String, ApiError> {
            match token.expose() {
                "right" => Ok("alice".to_owned()),
                _ => Err(ApiError::invalid_token("unknown token")),
            }
        }
    }

    async fn server() -> String {
        let router = Router::new()
            .route(
                "/whoami",
                post(
                    |Extension(name): Extension<String>, body: String| async move {
                        format!("{name}:{body}")
                    },
                ),
            )
            .route_layer(from_fn_with_state(OneToken, require_bearer::<OneToken>));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(crate::http::serve(listener, router, std::future::pending()));
        base
    }

    #[tokio::test]
    async fn only_a_valid_token_reaches_the_handler_with_its_principal() {
        let base = server().await;
        let client = reqwest::Client::new();
        let call = |token: Option<&'static str>| {
            let mut request = client.post(format!("{base}/whoami")).body("hi");
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        let accepted = call(Some("right")).await.unwrap();
        assert_eq!(accepted.status(), 200);
        assert_eq!(accepted.text().await.unwrap(), "alice:hi");
        for refused in [
            call(Some("wrong")).await.unwrap(),
            call(None).await.unwrap(),
        ] {
            assert_eq!(refused.status(), 401);
        }
    }
}
