//! `GET /readyz` and `GET /metrics` (see `idv_service_kit::http::readiness` and
//! `idv_service_kit::metrics`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use idv_service_kit::ApiError;
use idv_service_kit::http::Readiness;

use super::{AppState, openapi};

/// `GET /readyz`: 200 when the database answers and a valid trust list is held, else 503
/// naming what is not ready.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "getReadiness",
    tag = "service",
    summary = "Readiness",
    description = "200 when the database answers a bounded `SELECT 1` and a valid (unexpired) \
                   trust list is held; 503 naming what is not ready. Never cached.",
    responses(
        (status = 200, description = "Ready", body = openapi::Readiness),
        (status = 503, description = "Not ready", body = openapi::Readiness),
    ),
)]
pub(super) async fn get_readiness(State(state): State<AppState>) -> Readiness {
    state.verifier.operations().readiness().await
}

/// `GET /metrics`: the Prometheus text exposition, with the trust list and webhook outbox
/// gauges read now.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "getMetrics",
    tag = "service",
    summary = "Prometheus metrics",
    description = "Text exposition format 0.0.4: requests by route template and status, latency \
                   histograms, checks by template and outcome, trust list age and sequence, \
                   webhook outbox backlog, status list cache hits and misses. No personal data, \
                   tenants or check ids. With `[metrics] bearer_token` set a scrape must send \
                   `Authorization: Bearer <token>`; with `enabled = false` this is 404.",
    responses(
        (
            status = 200,
            description = "The metrics",
            body = String,
            content_type = "text/plain; version=0.0.4",
        ),
        (status = 401, description = "A bearer token is configured and was not sent, or is wrong"),
        (status = 404, description = "Metrics are disabled"),
    ),
)]
pub(super) async fn get_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.metrics.authorize(&headers)?;
    state.verifier.operations().record_gauges().await;
    Ok(state.metrics.render())
}
