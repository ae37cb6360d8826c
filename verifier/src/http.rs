//! The HTTP API: the whole route table and the shared state. The OpenAPI 3.1 description of
//! every route below is `GET /openapi.json`, generated from the handlers' annotations and
//! their types (`http/openapi.rs`; a test keeps it and the route table in step).
//!
//! Tenant API (`Authorization: Bearer <API key>`; a tenant sees only its own checks):
//! - `POST /v1/checks` `{template, webhook_url?, redirect_uri?, reference?, response_mode?}`
//! - `GET /v1/checks/{check_id}[?response_code=…]`, `DELETE /v1/checks/{check_id}`
//! - `GET /v1/checks/{check_id}/qr.svg`, `GET /v1/checks/{check_id}/qr.png`
//! - `POST /v1/checks/{check_id}/confirmation` `{decision, method, checker_name, start_date?}`
//! - `GET /v1/checks/{check_id}/evidence`: the evidence package (signed record, key, retention)
//! - `GET /v1/checks/{check_id}/clear-copy`, `GET /v1/checks/{check_id}/clear-copy.pdf`
//! - `GET /v1/templates`
//!
//! Wallet endpoints (OpenID4VP 1.0):
//! - `GET|POST /wallet/requests/{request_id}`: the signed request object
//! - `POST /wallet/responses/{request_id}`: the response (`direct_post.jwt` / `direct_post`)
//!
//! OpenID Provider, the employers' sign-in bridge (see [`crate::oidc`]):
//! - `GET /.well-known/openid-configuration`: the provider metadata
//! - `GET|POST /oidc/authorize`: the authorization request → the hand-off page
//! - `GET /oidc/handoff/{session_id}` (HTML), `…/status` (JSON), `…/cancel`: the hand-off page
//! - `POST /oidc/token`, `GET|POST /oidc/userinfo`
//!
//! Public: `GET /.well-known/jwks.json` (the keys evidence records and ID tokens are signed
//! with now), `GET /.well-known/evidence-keys.json` (every evidence key, with its validity),
//! `GET /openapi.json`, `GET /healthz` (liveness), `GET /readyz` (readiness: the database
//! answers and a valid trust list is held), `GET /metrics` (Prometheus text format; `[metrics]`
//! may require a bearer token).
//!
//! Errors are `{error, error_description}`, except on the pages a person sees, which show an
//! HTML error page (see `http/error.rs`).
//!
//! Limits (`[limits]`, see `http/limits.rs`): every public route per client address, the
//! authorization endpoint also per address and per `client_id`, the tenant API's writes per
//! tenant: `429` with `Retry-After` past them. Bodies over `max_body_bytes` are `413`.

mod auth;
mod checks;
mod error;
mod limits;
mod meta;
mod oidc;
pub(crate) mod openapi;
mod operations;
mod pages;
mod wallet;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use idv_service_kit::http::{require_bearer, service_router};
use idv_service_kit::limits::{InvalidRate, limit_by_client_ip};
use idv_service_kit::metrics::Metrics;

pub use self::limits::Limits;
use crate::service::Verifier;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases.
    pub verifier: Verifier,
    /// The process's metrics, as `/metrics` serves them.
    pub metrics: Metrics,
    /// The rate limiters (`[limits]`).
    pub limits: Arc<Limits>,
}

impl AppState {
    /// The state of a server of `verifier`, with the limiters its settings describe, serving
    /// `metrics`.
    pub fn new(verifier: Verifier, metrics: Metrics) -> Result<Self, InvalidRate> {
        let limits = Limits::new(&verifier, &verifier.settings().limits)?;
        Ok(Self {
            verifier,
            metrics,
            limits: Arc::new(limits),
        })
    }
}

/// The route table.
pub fn router(state: AppState) -> Router {
    let tenant_api = Router::new()
        .route("/v1/checks", post(checks::create_check))
        .route(
            "/v1/checks/{check_id}",
            get(checks::get_check).delete(checks::delete_check),
        )
        .route(
            "/v1/checks/{check_id}/qr.svg",
            get(checks::get_check_qr_svg),
        )
        .route(
            "/v1/checks/{check_id}/qr.png",
            get(checks::get_check_qr_png),
        )
        .route(
            "/v1/checks/{check_id}/confirmation",
            post(checks::confirm_check),
        )
        .route(
            "/v1/checks/{check_id}/evidence",
            get(checks::get_evidence_package),
        )
        .route(
            "/v1/checks/{check_id}/clear-copy",
            get(checks::get_clear_copy),
        )
        .route(
            "/v1/checks/{check_id}/clear-copy.pdf",
            get(checks::get_clear_copy_pdf),
        )
        .route("/v1/templates", get(checks::list_templates))
        .route_layer(from_fn_with_state(
            Arc::clone(&state.limits),
            limits::limit_tenant_writes,
        ))
        .route_layer(from_fn_with_state(
            state.clone(),
            require_bearer::<AppState>,
        ));

    let authorize = Router::new()
        .route(
            "/oidc/authorize",
            get(oidc::authorize).post(oidc::authorize_form),
        )
        .route_layer(from_fn_with_state(
            state.limits.authorize_per_ip.clone(),
            limit_by_client_ip,
        ));

    let public = Router::new()
        .route(
            "/wallet/requests/{request_id}",
            get(wallet::get_request_object).post(wallet::post_request_object),
        )
        .route(
            "/wallet/responses/{request_id}",
            post(wallet::post_response),
        )
        .route("/.well-known/jwks.json", get(meta::get_jwks))
        .route(
            "/.well-known/evidence-keys.json",
            get(meta::get_evidence_keys),
        )
        .route(
            "/.well-known/openid-configuration",
            get(meta::get_openid_configuration),
        )
        .route("/oidc/handoff/{session_id}", get(oidc::get_handoff_page))
        .route(
            "/oidc/handoff/{session_id}/status",
            get(oidc::get_handoff_status),
        )
        .route(
            "/oidc/handoff/{session_id}/cancel",
            get(oidc::cancel_handoff),
        )
        .route("/oidc/token", post(oidc::exchange_token))
        .route(
            "/oidc/userinfo",
            get(oidc::get_userinfo).post(oidc::get_userinfo),
        )
        .route("/openapi.json", get(meta::get_openapi))
        // Scrapes share the per-client limit; probes (/readyz, /healthz) are never throttled.
        .route("/metrics", get(operations::get_metrics))
        .merge(authorize)
        .route_layer(from_fn_with_state(
            state.limits.per_ip.clone(),
            limit_by_client_ip,
        ));

    let max_body_bytes = state.verifier.settings().limits.max_body_bytes;
    let routes = public
        .merge(tenant_api)
        .route("/readyz", get(operations::get_readiness));
    service_router(routes, state, max_body_bytes)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// `(METHOD, path)` of every route in this file's route table, read from its source so a
    /// new route cannot be added without the test seeing it.
    fn routed() -> BTreeSet<(String, String)> {
        let source = include_str!("http.rs");
        let table =
            &source[source.find("pub fn router").unwrap()..source.find("#[cfg(test)]").unwrap()];
        let mut routes = BTreeSet::new();
        for chunk in table.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).unwrap().to_owned();
            let handlers = chunk.split(".route_layer(").next().unwrap();
            for method in ["get", "post", "put", "patch", "delete"] {
                let call = format!("{method}(");
                if handlers
                    .match_indices(&call)
                    .any(|(i, _)| i == 0 || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric())
                {
                    routes.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        // Merged from idv-service-kit.
        routes.insert(("GET".into(), "/healthz".into()));
        routes
    }

    fn documented() -> BTreeSet<(String, String)> {
        let doc = serde_json::to_value(super::openapi::document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut routes = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    routes.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        routes
    }

    #[test]
    fn the_openapi_document_lists_every_route_and_nothing_else() {
        let routed = routed();
        assert!(routed.len() >= 10, "{routed:?}");
        assert_eq!(documented(), routed);
    }
}
