//! The wallet's redirect URI: a listener on `http://127.0.0.1:<free port>/callback` (a loopback
//! redirect, RFC 8252 §7.3) that takes the one authorization response the browser brings back
//! (RFC 6749 §4.1.2), checks that it answers the wallet's own request — `state`, and the
//! authorization server's `iss` (RFC 9207 §2.4) — and shows the person a short page.
//!
//! The first response decides: one that does not match is refused and ends the flow before
//! anything reaches the token endpoint. Responses are never logged (they carry the code).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idv_service_kit::markup::escape;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Browser;
use crate::error::{InternalError, RemoteError, WalletError};
use crate::http_client::printable;

/// The path of the redirect URI.
pub(crate) const CALLBACK_PATH: &str = "/callback";

/// How long the listener may take to finish answering the browser once the flow moves on.
const FINISH: Duration = Duration::from_secs(5);

/// What the authorization response must carry.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    /// The `state` the wallet sent.
    pub(crate) state: String,
    /// The authorization server's issuer identifier.
    pub(crate) issuer: String,
    /// Whether the server promises `iss` in its responses (then it must be there).
    pub(crate) iss_required: bool,
}

/// An authorization code (a secret: redacted in `Debug`).
pub(crate) struct AuthorizationCode(String);

impl AuthorizationCode {
    /// The code itself, for the token request only.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationCode(<redacted>)")
    }
}

type Outcome = Result<AuthorizationCode, WalletError>;

struct Shared {
    expected: Expected,
    outcome: Mutex<Option<oneshot::Sender<Outcome>>>,
}

/// A listening redirect URI.
#[derive(Debug)]
pub(crate) struct Callback {
    redirect_uri: String,
    outcome: oneshot::Receiver<Outcome>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Callback {
    /// Starts listening on a free port of 127.0.0.1.
    pub(crate) async fn listen(expected: Expected) -> Result<Self, WalletError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(InternalError::Listener)?;
        let port = listener
            .local_addr()
            .map_err(InternalError::Listener)?
            .port();
        let (sender, outcome) = oneshot::channel();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let shared = Arc::new(Shared {
            expected,
            outcome: Mutex::new(Some(sender)),
        });
        let router = Router::new()
            .route(CALLBACK_PATH, get(receive_response))
            .with_state(shared);
        let server = axum::serve(listener, router).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move {
            if let Err(error) = server.await {
                tracing::warn!(%error, "the redirect listener failed");
            }
        });
        Ok(Self {
            redirect_uri: format!("http://127.0.0.1:{port}{CALLBACK_PATH}"),
            outcome,
            shutdown: Some(shutdown),
            task,
        })
    }

    /// `http://127.0.0.1:<port>/callback`.
    pub(crate) fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Has `browser` open `url`, then waits for the authorization response, `timeout` in all.
    pub(crate) async fn wait(
        mut self,
        browser: &impl Browser,
        url: &str,
        timeout: Duration,
    ) -> Result<AuthorizationCode, WalletError> {
        let outcome = &mut self.outcome;
        let waited = tokio::time::timeout(timeout, async {
            browser.open(url).await.map_err(WalletError::Browser)?;
            outcome.await.map_err(InternalError::ListenerStopped)?
        })
        .await;
        // The browser gets its page before the listener goes.
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = tokio::time::timeout(FINISH, &mut self.task).await;
        waited.unwrap_or(Err(WalletError::SignInTimeout {
            seconds: timeout.as_secs(),
        }))
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive_response(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let sender = shared.outcome.lock().ok().and_then(|mut s| s.take());
    let Some(sender) = sender else {
        return page(
            StatusCode::GONE,
            "Already handled",
            "Your wallet has already had its answer. You can close this page.",
        );
    };
    let outcome = check(query.as_deref().unwrap_or_default(), &shared.expected);
    let response = match &outcome {
        Ok(_) => page(
            StatusCode::OK,
            "Signed in",
            "You can return to your wallet: it is collecting your credentials.",
        ),
        Err(WalletError::AuthorizationDenied { remote }) => page(
            StatusCode::OK,
            "Not authorised",
            &format!(
                "The provider did not authorise your credentials: {}. You can return to your \
                 wallet.",
                remote.description.as_deref().unwrap_or(&remote.error)
            ),
        ),
        Err(_) => page(
            StatusCode::BAD_REQUEST,
            "Refused",
            "This sign-in response does not answer your wallet's request, so your wallet \
             refused it. You can return to your wallet.",
        ),
    };
    let _ = sender.send(outcome);
    response
}

/// Checks an authorization response's query against what the wallet sent.
fn check(query: &str, expected: &Expected) -> Outcome {
    let refused = |reason: &str| WalletError::CallbackRefused {
        reason: reason.to_owned(),
    };
    let mut params = std::collections::BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if params
            .insert(name.into_owned(), value.into_owned())
            .is_some()
        {
            return Err(refused("a parameter appears more than once"));
        }
    }
    match params.get("state") {
        None => return Err(refused("it carries no state")),
        Some(state) if *state != expected.state => {
            return Err(refused("its state is not the one this wallet sent"));
        }
        Some(_) => {}
    }
    match params.get("iss") {
        Some(iss) if *iss != expected.issuer => {
            return Err(WalletError::CallbackRefused {
                reason: format!(
                    "it comes from `{}`, not from the authorization server `{}` the request \
                     went to (RFC 9207)",
                    printable(iss),
                    expected.issuer
                ),
            });
        }
        None if expected.iss_required => {
            return Err(refused(
                "it carries no iss, which the authorization server promises (RFC 9207)",
            ));
        }
        _ => {}
    }
    if let Some(error) = params.get("error") {
        return Err(WalletError::AuthorizationDenied {
            remote: RemoteError {
                error: printable(error),
                description: params.get("error_description").map(|d| printable(d)),
            },
        });
    }
    match params.remove("code") {
        Some(code) if !code.is_empty() => Ok(AuthorizationCode(code)),
        _ => Err(refused("it carries neither a code nor an error")),
    }
}

/// A short page for the person, with nothing from the response but its escaped description.
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – wallet-sim</title></head>\n<body><main><h1>{title}</h1>\
         <p>{}</p></main></body></html>\n",
        escape(message)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // The URL of this page carries the code: it must not leak as a referrer.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(iss_required: bool) -> Expected {
        Expected {
            state: "s-1".into(),
            issuer: "http://127.0.0.1:9/idsp".into(),
            iss_required,
        }
    }

    fn query(pairs: &[(&str, &str)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    const ISS: (&str, &str) = ("iss", "http://127.0.0.1:9/idsp");

    #[test]
    fn a_response_to_the_wallets_own_request_yields_its_code() {
        let code = check(
            &query(&[("code", "c-1"), ("state", "s-1"), ISS]),
            &expected(true),
        )
        .unwrap();
        assert_eq!(code.secret(), "c-1");
        assert!(!format!("{code:?}").contains("c-1"));
        // Without the RFC 9207 promise, a response without iss is accepted.
        assert!(check(&query(&[("code", "c"), ("state", "s-1")]), &expected(false)).is_ok());
    }

    #[test]
    fn forged_or_mixed_up_responses_are_refused() {
        for (pairs, required) in [
            (vec![("code", "c"), ISS], true),
            (vec![("code", "c"), ("state", "s-2"), ISS], true),
            (
                vec![
                    ("code", "c"),
                    ("state", "s-1"),
                    ("iss", "http://127.0.0.1:9/other"),
                ],
                false,
            ),
            (vec![("code", "c"), ("state", "s-1")], true),
            (vec![("state", "s-1"), ISS], true),
            (
                vec![("code", "c"), ("state", "s-1"), ("state", "s-1"), ISS],
                true,
            ),
        ] {
            assert!(
                matches!(
                    check(&query(&pairs), &expected(required)),
                    Err(WalletError::CallbackRefused { .. })
                ),
                "{pairs:?}"
            );
        }
        // Even an error must answer the wallet's own request.
        assert!(matches!(
            check(
                &query(&[("error", "access_denied"), ("state", "s-2"), ISS]),
                &expected(true)
            ),
            Err(WalletError::CallbackRefused { .. })
        ));
    }

    #[test]
    fn an_error_response_is_reported_with_its_description_cleaned() {
        let outcome = check(
            &query(&[
                ("error", "access_denied"),
                ("error_description", "no identity\u{1b}[2J is linked"),
                ("state", "s-1"),
                ISS,
            ]),
            &expected(true),
        );
        let Err(WalletError::AuthorizationDenied { remote }) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(remote.error, "access_denied");
        assert_eq!(
            remote.description.as_deref(),
            Some("no identity[2J is linked")
        );
    }

    #[tokio::test]
    async fn pages_escape_what_they_show() {
        let response = page(StatusCode::BAD_REQUEST, "Refused", "<script>&\"'");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            html.contains("<p>&lt;script&gt;&amp;&quot;&#39;</p>"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
    }

    struct Visit;

    impl Browser for Visit {
        async fn open(&self, url: &str) -> Result<(), String> {
            // The "provider" sends the browser straight back with a code.
            let back = format!("{url}?code=c-9&state=s-1&iss=http%3A%2F%2F127.0.0.1%3A9%2Fidsp");
            let page = reqwest::get(back).await.map_err(|e| e.to_string())?;
            assert_eq!(page.status(), 200);
            assert_eq!(page.headers()["referrer-policy"], "no-referrer");
            let text = page.text().await.map_err(|e| e.to_string())?;
            assert!(text.contains("You can return to your wallet"), "{text}");
            Ok(())
        }
    }

    struct Nobody;

    impl Browser for Nobody {
        async fn open(&self, _: &str) -> Result<(), String> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_listener_answers_the_browser_and_hands_over_the_code() {
        let callback = Callback::listen(expected(true)).await.unwrap();
        let uri = callback.redirect_uri().to_owned();
        assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));
        let code = callback
            .wait(&Visit, &uri, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(code.secret(), "c-9");
        // The listener is gone once the answer is in.
        assert!(reqwest::get(&uri).await.is_err());
    }

    #[tokio::test]
    async fn nobody_coming_back_is_a_timeout() {
        let callback = Callback::listen(expected(true)).await.unwrap();
        let uri = callback.redirect_uri().to_owned();
        let outcome = callback.wait(&Nobody, &uri, Duration::from_secs(1)).await;
        assert!(matches!(
            outcome,
            Err(WalletError::SignInTimeout { seconds: 1 })
        ));
    }
}
