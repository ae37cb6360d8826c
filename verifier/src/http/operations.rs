//! `GET /readyz` and `GET /metrics` (see `idv_service_kit::http::readiness` and
//! `idv_service_kit::metrics`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use idv_service_kit::ApiError;
use idv_service_kit::http::Readiness;

use super::AppState;

/// `GET /readyz`: 200 when the database answers and a valid trust list is held, else 503
/// naming what is not ready.
pub(super) async fn get_readiness(State(state): State<AppState>) -> Readiness {
    state.verifier.readiness().await
}

/// `GET /metrics`: the Prometheus text exposition, with the trust list and webhook outbox
/// gauges read now.
pub(super) async fn get_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.metrics.authorize(&headers)?;
    state.verifier.record_gauges().await;
    Ok(state.metrics.render())
}
