//! The HTTP edge every service shares: errors, extractors, `/healthz` and `/readyz`, request
//! ids, request logging and metrics, and serving with graceful shutdown.
//!
//! A service's `startup.rs` binds a `TcpListener` (port 0 in tests), builds its `Router` and
//! calls [`serve_with`] (or [`serve`]) with [`shutdown_signal`] (or any future, in tests).
//! Serving adds two layers to every route: [`request_id::assign_request_id`] (outermost: the
//! request's id, its `request` span, the `X-Request-Id` response header) and [`observe`],
//! which logs one line per request, the cause of every 5xx exactly once, and records the
//! request's metrics ([`crate::metrics::record_request`]).

pub mod auth;
pub mod error;
pub mod extract;
pub mod listener;
pub mod readiness;
pub mod request_id;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use idv_jose::{Random, SystemRandom};
use tokio::net::TcpListener;

pub use auth::{BearerAuth, require_bearer};
pub use error::ApiError;
pub use extract::{BearerToken, Form, Json, Path, Query, body_rejection};
pub use listener::{BindError, Listener};
pub use readiness::Readiness;
pub use request_id::{RequestId, RequestIds, X_REQUEST_ID};

use error::ServerErrorCause;

use crate::limits::{ServiceLimits, limit_by_client_ip};
use crate::metrics::{Metrics, MetricsSettings};

/// The route label of requests no route matched (404s of unknown paths): one label for all,
/// so scanners cannot grow the metrics.
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

/// `GET /healthz` → `200 {"status":"ok"}`: the process is up and serving (liveness; it checks
/// no dependency, see [`readiness`] for `/readyz`).
pub fn health_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// A service's whole router from its `routes`: plus `/healthz` ([`health_routes`]), the
/// [`not_found`] and [`method_not_allowed`] fallbacks, its `state`, and the request body cap
/// ([`crate::limits::with_body_limit`]).
pub fn service_router<S>(routes: Router<S>, state: S, max_body_bytes: usize) -> Router
where
    S: Clone + Send + Sync + 'static,
{
    let router = routes
        .merge(health_routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    crate::limits::with_body_limit(router, max_body_bytes)
}

/// The route table of a service with an operator API: `operator` behind the bearer token
/// ([`require_bearer`] of the state) and its per-client limit; `public` (the service's
/// `/metrics` among them, so scrapes share the limit) behind the per-client limit of every
/// public endpoint; `/readyz` (`readiness`, never throttled); then [`service_router`].
pub fn service_router_with_operator_api<S>(
    public: Router<S>,
    operator: Router<S>,
    readiness: MethodRouter<S>,
    state: S,
    limits: &ServiceLimits,
) -> Router
where
    S: BearerAuth + Clone + Send + Sync + 'static,
{
    let operator = operator
        .route_layer(from_fn_with_state(state.clone(), require_bearer::<S>))
        .route_layer(from_fn_with_state(
            limits.operator_per_ip.clone(),
            limit_by_client_ip,
        ));
    let public = public.route_layer(from_fn_with_state(
        limits.per_ip.clone(),
        limit_by_client_ip,
    ));
    let routes = public.merge(operator).route("/readyz", readiness);
    service_router(routes, state, limits.max_body_bytes)
}

/// Fallback for unknown paths: 404 `not_found` in our error format.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// Fallback for a known path with the wrong method: 405 `invalid_request`.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        "method not allowed on this endpoint",
    )
}

/// Logs every request once (method, route template, status, latency; never the query string,
/// headers or bodies) and, for a 5xx, the cause an [`ApiError`] carried; records
/// `idv_http_requests_total` and `idv_http_request_duration_seconds` by method, route
/// template and status.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    if let Some(ServerErrorCause(cause)) = response.extensions().get::<ServerErrorCause>() {
        tracing::error!(
            http.method = %method, http.route = %route, http.status = status,
            error.cause = %cause, "request failed"
        );
    } else {
        tracing::info!(
            http.method = %method, http.route = %route, http.status = status,
            latency_us, "request"
        );
    }
    crate::metrics::record_request(
        crate::metrics::method_label(&method),
        route,
        status,
        elapsed.as_secs_f64(),
    );
    response
}

/// [`serve_with`] with request ids from the system's CSPRNG and the default metrics settings.
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let metrics = Metrics::install(&MetricsSettings::default());
    serve_with(listener, router, shutdown, Arc::new(SystemRandom), &metrics).await
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes in-flight requests.
/// Every request gets an id (new ones from `random`), a log line and its metrics; `metrics`'
/// histogram samples are folded into buckets every [`crate::metrics::UPKEEP_INTERVAL`] while
/// serving.
pub async fn serve_with<F>(
    listener: impl Into<TcpListener>,
    router: Router,
    shutdown: F,
    random: Arc<dyn Random>,
    metrics: &Metrics,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = router.layer(axum::middleware::from_fn(observe)).layer(
        axum::middleware::from_fn_with_state(
            RequestIds::new(random),
            request_id::assign_request_id,
        ),
    );
    let upkeep = {
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(crate::metrics::UPKEEP_INTERVAL);
            loop {
                interval.tick().await;
                metrics.run_upkeep();
            }
        })
    };
    // The peer address is what `limits` keys clients by.
    let served = axum::serve(
        listener.into(),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    upkeep.abort();
    served
}

/// Completes on ctrl-c or SIGTERM (what container runtimes send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use serde_json::Value;

    use super::*;

    async fn fails() -> Result<(), ApiError> {
        Err(ApiError::internal("disk on fire at /var/secret"))
    }

    #[tokio::test]
    async fn serve_answers_in_our_format_and_stops_on_shutdown() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = Router::new()
            .route("/fails", get(fails))
            .merge(health_routes())
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let get_json = |path: &'static str| {
            let request = client.get(format!("{base}{path}"));
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            }
        };

        assert_eq!(
            get_json("/healthz").await,
            (200, serde_json::json!({"status": "ok"}))
        );
        let (status, body) = get_json("/fails").await;
        assert_eq!(status, 500);
        assert_eq!(body, serde_json::json!({"error": "server_error"}), "opaque");
        let (status, body) = get_json("/nowhere").await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
        let response = client.post(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 405);

        // Every response carries a request id: a sane incoming one echoed, else a new one.
        let sent = client
            .get(format!("{base}/healthz"))
            .header("x-request-id", "trace-42")
            .send()
            .await
            .unwrap();
        assert_eq!(sent.headers()["x-request-id"], "trace-42");
        let replaced = client
            .get(format!("{base}/nowhere"))
            .header("x-request-id", "a".repeat(request_id::MAX_LEN + 1))
            .send()
            .await
            .unwrap();
        let id = replaced.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 22, "a generated id: {id}");

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();

        // Requests are counted by route template; unknown paths share one label.
        let rendered = Metrics::install(&MetricsSettings::default()).render();
        let body = axum::body::to_bytes(rendered.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.lines()
                .any(|l| l.starts_with("idv_http_requests_total{")
                    && l.contains(r#"route="/fails""#)
                    && l.contains(r#"status="500""#)),
            "{text}"
        );
        assert!(
            text.contains(r#"route="<unmatched>""#) && !text.contains("/nowhere"),
            "{text}"
        );
    }
}
