//! Rate and resource limits at the HTTP edge, shared by the services.
//!
//! - [`RateLimiter`]: one bucket per key at a [`Rate`] (`{per_minute, burst}`), the `governor`
//!   crate's GCRA; a refusal is [`Throttled`], answered `429 Too Many Requests` with
//!   `Retry-After` (RFC 6585 §4; RFC 9110 §10.2.3).
//! - [`IpLimit`] and [`limit_by_client_ip`]: a route layer limiting each client address, the
//!   socket peer or, behind the operator's [`TrustedProxies`], the rightmost untrusted
//!   `X-Forwarded-For` entry ([`ClientIp`]). A service configures one per class of endpoint
//!   and adds its own keys (a tenant, an OpenID Connect client) with a [`RateLimiter`].
//! - [`with_body_limit`]: bodies over `max_body_bytes` are `413 Content Too Large` (RFC 9110
//!   §15.5.14), before the body is read when `Content-Length` says so, and from the
//!   extractors of [`crate::http::extract`] when a chunked body grows past it; never the
//!   `400` of a malformed body.
//!
//! Each service has a `[limits]` section (`trusted_proxies`, `max_body_bytes` and its rates);
//! the defaults let any one client do far more than a person or an integration does, and stop
//! an attacker's burst.

mod client_ip;
mod rate;

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

pub use client_ip::{ClientIp, TrustedProxies};
pub use ipnet::IpNet;
pub use rate::{InvalidRate, Rate, RateLimiter, Throttled};

use crate::http::ApiError;

/// The default `max_body_bytes`: 2 MiB (axum's own default, now stated).
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// A per-client-address limit for a class of endpoints: the route layer's state.
#[derive(Clone)]
pub struct IpLimit {
    limiter: RateLimiter<IpAddr>,
    proxies: Arc<TrustedProxies>,
    reject: Rejection,
}

/// How an [`IpLimit`] answers a throttled request.
type Rejection = Arc<dyn Fn(Throttled) -> Response + Send + Sync>;

impl std::fmt::Debug for IpLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpLimit")
            .field("rate", &self.limiter.rate())
            .field("proxies", &self.proxies)
            .finish_non_exhaustive()
    }
}

impl IpLimit {
    /// Each client address at `rate`, behind `proxies`; refusals in the OAuth error format.
    pub fn new(rate: Rate, proxies: Arc<TrustedProxies>) -> Result<Self, InvalidRate> {
        Ok(Self {
            limiter: RateLimiter::new(rate)?,
            proxies,
            reject: Arc::new(default_rejection),
        })
    }

    /// Refusals answered by `reject` instead (an HTML page where a person is shown the answer).
    pub fn with_rejection(
        self,
        reject: impl Fn(Throttled) -> Response + Send + Sync + 'static,
    ) -> Self {
        Self {
            reject: Arc::new(reject),
            ..self
        }
    }

    /// Takes one request of `client` from its bucket.
    pub fn check(&self, client: ClientIp) -> Result<(), Throttled> {
        self.limiter.check(&client.key())
    }
}

fn default_rejection(throttled: Throttled) -> Response {
    throttled
        .into_api_error("from this address")
        .into_response()
}

/// The route layer of an [`IpLimit`]:
/// `.route_layer(from_fn_with_state(limit, limit_by_client_ip))`. Puts the [`ClientIp`] in the
/// request's extensions for what follows.
pub async fn limit_by_client_ip(
    State(limit): State<IpLimit>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let client = limit.proxies.client_ip_of(&parts);
    if let Err(throttled) = limit.check(client) {
        // Debug only: `observe` logs the 429 once; a flood must not become a log flood.
        tracing::debug!(
            retry_after_secs = throttled.retry_after_secs(),
            "request refused: client rate limit"
        );
        return (limit.reject)(throttled);
    }
    parts.extensions.insert(client);
    next.run(Request::from_parts(parts, body)).await
}

/// `router` with every request body capped at `max_bytes`: `413` with the OAuth error body
/// when `Content-Length` exceeds it (the body is not read), and the same from the extractors
/// when a body without a length grows past it.
pub fn with_body_limit<S>(router: Router<S>, max_bytes: usize) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(from_fn_with_state(max_bytes, reject_oversized_body))
        .layer(DefaultBodyLimit::max(max_bytes))
}

async fn reject_oversized_body(
    State(max_bytes): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes as u64) {
        return ApiError::payload_too_large(format!("the request body exceeds {max_bytes} bytes"))
            .into_response();
    }
    next.run(request).await
}

/// The limits of a service with an operator API (its `[limits]`): every public endpoint and the
/// operator API, each per client address behind the same trusted proxies, and the body cap.
#[derive(Debug, Clone)]
pub struct ServiceLimits {
    /// Every public endpoint, per client address.
    pub per_ip: IpLimit,
    /// The operator API, per client address.
    pub operator_per_ip: IpLimit,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    proxies: Arc<TrustedProxies>,
}

impl ServiceLimits {
    /// `per_ip` and `operator_per_ip` per client address behind `trusted_proxies`, bodies up to
    /// `max_body_bytes`.
    pub fn new(
        trusted_proxies: Vec<IpNet>,
        per_ip: Rate,
        operator_per_ip: Rate,
        max_body_bytes: usize,
    ) -> Result<Self, InvalidRate> {
        let proxies = Arc::new(TrustedProxies::new(trusted_proxies));
        Ok(Self {
            per_ip: IpLimit::new(per_ip, Arc::clone(&proxies))?,
            operator_per_ip: IpLimit::new(operator_per_ip, Arc::clone(&proxies))?,
            max_body_bytes,
            proxies,
        })
    }

    /// Another class of endpoints at `rate` per client address, behind the same proxies.
    pub fn per_client(&self, rate: Rate) -> Result<IpLimit, InvalidRate> {
        IpLimit::new(rate, Arc::clone(&self.proxies))
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::{get, post};
    use tokio::net::TcpListener;

    use super::*;
    use crate::http::{Json, serve};

    async fn echo(Json(value): Json<serde_json::Value>) -> Json<serde_json::Value> {
        Json(value)
    }

    /// A real server on 127.0.0.1: `GET /limited` at 60/min burst 5 per client, `POST /echo`
    /// (JSON) under a 1 KiB body limit.
    async fn server(trusted: &[&str]) -> String {
        let proxies = Arc::new(TrustedProxies::new(
            trusted.iter().map(|net| net.parse().unwrap()).collect(),
        ));
        let limit = IpLimit::new(Rate::new(60, 5), proxies).unwrap();
        let router = Router::new()
            .route("/limited", get(|| async { "ok" }))
            .route_layer(from_fn_with_state(limit, limit_by_client_ip))
            .route("/echo", post(echo));
        let router = with_body_limit(router, 1024);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(serve(listener, router, std::future::pending()));
        base
    }

    async fn burst(base: &str, n: usize, forwarded_for: Option<&str>) -> (usize, usize) {
        let client = reqwest::Client::new();
        let (mut ok, mut throttled) = (0, 0);
        for _ in 0..n {
            let mut request = client.get(format!("{base}/limited"));
            if let Some(xff) = forwarded_for {
                request = request.header("x-forwarded-for", xff);
            }
            let response = request.send().await.unwrap();
            match response.status().as_u16() {
                200 => ok += 1,
                429 => {
                    throttled += 1;
                    assert_eq!(response.headers()["retry-after"], "1");
                    let body: serde_json::Value = response.json().await.unwrap();
                    assert_eq!(body["error"], "temporarily_unavailable");
                }
                other => panic!("unexpected {other}"),
            }
        }
        (ok, throttled)
    }

    #[tokio::test]
    async fn a_burst_from_one_client_is_throttled_with_retry_after() {
        let base = server(&[]).await;
        assert_eq!(burst(&base, 20, None).await, (5, 15));
    }

    #[tokio::test]
    async fn forwarded_for_is_ignored_from_an_untrusted_peer() {
        let base = server(&["10.0.0.0/8"]).await;
        assert_eq!(burst(&base, 5, Some("198.51.100.1")).await, (5, 0));
        // A forged header does not buy a fresh bucket.
        assert_eq!(burst(&base, 5, Some("198.51.100.2")).await, (0, 5));
    }

    #[tokio::test]
    async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
        let base = server(&["127.0.0.0/8"]).await;
        assert_eq!(burst(&base, 7, Some("198.51.100.1")).await, (5, 2));
        // Another client behind the same proxy has its own bucket; a forged entry left of the
        // proxy's own is not read.
        assert_eq!(
            burst(&base, 7, Some("198.51.100.1, 198.51.100.2")).await,
            (5, 2)
        );
        assert_eq!(
            burst(&base, 1, Some("203.0.113.5, 198.51.100.2")).await,
            (0, 1)
        );
    }

    #[tokio::test]
    async fn an_oversized_body_is_413_and_a_malformed_one_400() {
        let base = server(&[]).await;
        let client = reqwest::Client::new();
        let post = |body: reqwest::Body| {
            client
                .post(format!("{base}/echo"))
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        let big = format!("\"{}\"", "a".repeat(3 * 1024 * 1024));
        let response = post(big.clone().into()).await.unwrap();
        assert_eq!(response.status().as_u16(), 413);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        // Without Content-Length (chunked), the extractor finds it.
        assert_eq!(
            chunked_post_status(&base, "/echo", 3 * 1024 * 1024).await,
            413
        );
        let response = post("{not json".into()).await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let response = post("[1]".into()).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }

    /// The status of a chunked `POST` of `size` bytes of JSON, over a raw connection.
    async fn chunked_post_status(base: &str, path: &str, size: usize) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if stream.write_all(&frame).await.is_err() {
                break; // the server answered and closed early
            }
            sent += chunk.len();
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        let text = String::from_utf8_lossy(&response);
        text.split(' ').nth(1).unwrap().parse().unwrap()
    }
}
