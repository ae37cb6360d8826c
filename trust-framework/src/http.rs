//! The HTTP API: the whole route table and the shared state.
//!
//! Public (no authentication):
//! - `GET /trust-list`: the signed list, `application/dvs-trust-list+jwt`.
//! - `GET /.well-known/trust-anchor`: the anchor's public JWK Set, **for out-of-band pinning
//!   only**. Verifiers and wallets must pin the anchor from their own configuration and never
//!   fetch it from here at run time: a key fetched from the list's own server proves nothing.
//! - `GET /type-metadata/{name}` and `GET /type-metadata/{name}/schema`: the scheme's
//!   credential types (`uk-identity-1`, `uk-age-1`), SD-JWT VC Type Metadata and JSON Schema,
//!   pinned by the trust list's `type_metadata` member.
//! - `GET /healthz` (liveness), `GET /readyz` (readiness: the database answers), `GET /metrics`
//!   (Prometheus text format; `[metrics]` may require a bearer token).
//!
//! Operator API (`Authorization: Bearer <operator token>`):
//! - `POST /v1/providers`, `GET /v1/providers`, `GET /v1/providers/{entry_id}`
//! - `POST /v1/providers/{entry_id}/codes` `{code}`
//! - `PUT /v1/providers/{entry_id}/issuer` `{issuer, reason}` (keys rotated, …; `iss` fixed)
//! - `POST /v1/providers/{entry_id}/suspend|reinstate|withdraw` `{reason}`
//! - `POST /v1/relying-parties`, `GET /v1/relying-parties`
//! - `POST /v1/relying-parties/{rp_id}/attestations` `{jwk, redirect_uris?}`
//!
//! Errors are `{error, error_description}` (see `http/error.rs`).
//!
//! Limits (`[limits]`): the public routes per client address, the operator API at its own rate
//! (before authentication): `429 temporarily_unavailable` with `Retry-After` past them. Bodies
//! over `max_body_bytes` are `413`.

mod auth;
mod error;
mod operations;
mod providers;
mod relying_parties;
mod trust_list;
mod type_metadata;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};
use idv_service_kit::http::{require_bearer, service_router};
use idv_service_kit::limits::{InvalidRate, IpLimit, TrustedProxies, limit_by_client_ip};
use idv_service_kit::metrics::Metrics;

use crate::config::LimitSettings;
use crate::register::Register;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The register's use cases.
    pub register: Register,
    /// The process's metrics, as `/metrics` serves them.
    pub metrics: Metrics,
    /// The rate limiters and body cap.
    pub limits: Limits,
}

/// The rate limiters of one server (`[limits]`), shared by its routes.
#[derive(Debug, Clone)]
pub struct Limits {
    per_ip: IpLimit,
    operator_per_ip: IpLimit,
    max_body_bytes: usize,
}

impl Limits {
    /// The limiters `settings` describe.
    pub fn new(settings: &LimitSettings) -> Result<Self, InvalidRate> {
        let proxies = Arc::new(TrustedProxies::new(settings.trusted_proxies.clone()));
        Ok(Self {
            per_ip: IpLimit::new(settings.per_ip, Arc::clone(&proxies))?,
            operator_per_ip: IpLimit::new(settings.operator_per_ip, proxies)?,
            max_body_bytes: settings.max_body_bytes,
        })
    }
}

/// The route table.
pub fn router(state: AppState) -> Router {
    let operator = Router::new()
        .route(
            "/v1/providers",
            post(providers::add_provider).get(providers::list_providers),
        )
        .route("/v1/providers/{entry_id}", get(providers::get_provider))
        .route(
            "/v1/providers/{entry_id}/codes",
            post(providers::certify_code),
        )
        .route(
            "/v1/providers/{entry_id}/issuer",
            put(providers::update_issuer),
        )
        .route(
            "/v1/providers/{entry_id}/suspend",
            post(providers::suspend_provider),
        )
        .route(
            "/v1/providers/{entry_id}/reinstate",
            post(providers::reinstate_provider),
        )
        .route(
            "/v1/providers/{entry_id}/withdraw",
            post(providers::withdraw_provider),
        )
        .route(
            "/v1/relying-parties",
            post(relying_parties::add_relying_party).get(relying_parties::list_relying_parties),
        )
        .route(
            "/v1/relying-parties/{rp_id}/attestations",
            post(relying_parties::attest_relying_party),
        )
        .route_layer(from_fn_with_state(
            state.clone(),
            require_bearer::<AppState>,
        ))
        .route_layer(from_fn_with_state(
            state.limits.operator_per_ip.clone(),
            limit_by_client_ip,
        ));

    let public = Router::new()
        .route("/trust-list", get(trust_list::get_trust_list))
        .route(
            "/.well-known/trust-anchor",
            get(trust_list::get_trust_anchor),
        )
        .route(
            "/type-metadata/{name}",
            get(type_metadata::get_type_metadata),
        )
        .route(
            "/type-metadata/{name}/schema",
            get(type_metadata::get_schema),
        )
        // Scrapes share the per-client limit; probes (/readyz, /healthz) are never throttled.
        .route("/metrics", get(operations::get_metrics))
        .route_layer(from_fn_with_state(
            state.limits.per_ip.clone(),
            limit_by_client_ip,
        ));
    let max_body_bytes = state.limits.max_body_bytes;
    let routes = public
        .merge(operator)
        .route("/readyz", get(operations::get_readiness));
    service_router(routes, state, max_body_bytes)
}
