//! `GET /readyz` and `GET /metrics` (see `idv_service_kit::http::readiness` and
//! `idv_service_kit::metrics`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use idv_service_kit::ApiError;
use idv_service_kit::http::Readiness;

use super::AppState;

/// `GET /readyz`: 200 when the database answers, else 503 naming it.
pub(super) async fn get_readiness(State(state): State<AppState>) -> Readiness {
    state.issuer.operations().readiness().await
}

/// `GET /metrics`: the Prometheus text exposition, with the trust list gauges read now.
pub(super) async fn get_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.metrics.authorize(&headers)?;
    state.issuer.operations().record_gauges().await;
    Ok(state.metrics.render())
}
