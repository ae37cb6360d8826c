//! Prometheus metrics: the process-wide `metrics` recorder and the `GET /metrics` answer in the
//! text exposition format 0.0.4.
//!
//! Code anywhere in the process records through the `metrics` facade (`metrics::counter!`),
//! which costs an atomic add once the handle is registered; [`Metrics::install`] installs the
//! Prometheus recorder once per process (a service's startup calls it; later calls share it).
//! Until then, and in processes that never install it (the wallet simulator, CLI commands),
//! recording does nothing.
//!
//! [`crate::http::serve`] records every request ([`record_request`]): `idv_http_requests_total`
//! and `idv_http_request_duration_seconds`, by method, route template (never the raw path) and
//! status. Services add their own metrics and gauges read at scrape time.
//!
//! **Labels are bounded and impersonal**: route templates, methods, status codes, check
//! templates, outcomes, reason and error codes, credential configurations. Never a path with
//! ids, a tenant, a subject, a check id or anything a person typed.
//!
//! **Access** (`[metrics]`): `/metrics` is served on the service's port. It holds aggregate
//! counts only, so it is open by default, like `/healthz`; with `bearer_token` set a scrape
//! must send `Authorization: Bearer <token>` (else 401), and `enabled = false` answers 404.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::http::ApiError;

/// The exposition format `GET /metrics` answers in.
pub const CONTENT_TYPE_TEXT_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the request latency histogram's buckets: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into their buckets between scrapes (without it, an
/// unscraped service would keep every sample).
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// `[metrics]` of every service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `GET /metrics` (default `true`; `IDV_METRICS__ENABLED`).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// When set, a scrape must send `Authorization: Bearer <token>`
    /// (`IDV_METRICS__BEARER_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<Secret>,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            bearer_token: None,
        }
    }
}

/// The process's Prometheus recorder, as one service serves it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    settings: Arc<MetricsSettings>,
}

/// The recorder installed in this process, shared by every service in it (the in-process
/// demo runs three; each serves the whole process's metrics).
static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

impl Metrics {
    /// Installs the process-wide recorder on first use and serves it under `settings`.
    pub fn install(settings: &MetricsSettings) -> Self {
        let handle = RECORDER.get_or_init(build_recorder).clone();
        Self {
            handle,
            settings: Arc::new(settings.clone()),
        }
    }

    /// Whether a scrape with `headers` may read the metrics: 404 when disabled, 401 without
    /// the configured bearer token.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if !self.settings.enabled {
            return Err(ApiError::not_found("metrics are disabled"));
        }
        let Some(expected) = &self.settings.bearer_token else {
            return Ok(());
        };
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(ApiError::missing_credentials)?;
        if constant_time_eq(presented.as_bytes(), expected.expose().as_bytes()) {
            Ok(())
        } else {
            Err(ApiError::invalid_token("wrong metrics token"))
        }
    }

    /// Folds histogram samples into buckets; [`crate::http::serve`] calls it every
    /// [`UPKEEP_INTERVAL`].
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The current metrics as a `200` in the text exposition format 0.0.4.
    pub fn render(&self) -> Response {
        (
            StatusCode::OK,
            [(
                CONTENT_TYPE,
                HeaderValue::from_static(CONTENT_TYPE_TEXT_0_0_4),
            )],
            self.handle.render(),
        )
            .into_response()
    }
}

#[expect(
    clippy::expect_used,
    reason = "the bucket list is a non-empty constant, so building cannot fail"
)]
fn build_recorder() -> PrometheusHandle {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), LATENCY_BUCKETS)
        .expect("non-empty buckets");
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    // Err only when another recorder is installed (a test harness's): ours then stays empty
    // but the service still answers.
    if metrics::set_global_recorder(recorder).is_err() {
        tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
    }
    metrics::describe_counter!(
        "idv_http_requests_total",
        "HTTP requests answered, by method, route template and status code"
    );
    metrics::describe_histogram!(
        "idv_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by method and route template"
    );
    handle
}

/// Whether `a == b`, in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Records one answered request: `idv_http_requests_total{method, route, status}` and
/// `idv_http_request_duration_seconds{method, route}`. `route` must be a template (or a fixed
/// placeholder), never a raw path.
pub fn record_request(method: &'static str, route: String, status: u16, seconds: f64) {
    metrics::counter!(
        "idv_http_requests_total",
        "method" => method, "route" => route.clone(), "status" => status_label(status)
    )
    .increment(1);
    metrics::histogram!(
        "idv_http_request_duration_seconds",
        "method" => method, "route" => route
    )
    .record(seconds);
}

/// A status code as a label without allocating for the common ones.
fn status_label(status: u16) -> std::borrow::Cow<'static, str> {
    let common = match status {
        200 => "200",
        201 => "201",
        204 => "204",
        302 => "302",
        303 => "303",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        413 => "413",
        429 => "429",
        500 => "500",
        503 => "503",
        other => return std::borrow::Cow::Owned(other.to_string()),
    };
    std::borrow::Cow::Borrowed(common)
}

/// The method as a bounded label: the standard methods by name, anything else `other`.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn metrics_need_the_configured_token_and_can_be_disabled() {
        let open = Metrics::install(&MetricsSettings::default());
        assert!(open.authorize(&HeaderMap::new()).is_ok());

        let guarded = Metrics::install(&MetricsSettings {
            enabled: true,
            bearer_token: Some(Secret::new("s3cret")),
        });
        let mut headers = HeaderMap::new();
        assert_eq!(
            guarded.authorize(&headers).unwrap_err().status(),
            StatusCode::UNAUTHORIZED
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer wrong"));
        assert_eq!(
            guarded.authorize(&headers).unwrap_err().status(),
            StatusCode::UNAUTHORIZED
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer s3cret"));
        assert!(guarded.authorize(&headers).is_ok());

        let disabled = Metrics::install(&MetricsSettings {
            enabled: false,
            bearer_token: None,
        });
        assert_eq!(
            disabled.authorize(&HeaderMap::new()).unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
        let custom = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&custom), "other");
    }
}
