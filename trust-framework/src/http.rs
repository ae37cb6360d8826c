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

use axum::Router;
use axum::routing::{get, post, put};
use idv_service_kit::http::service_router_with_operator_api;
use idv_service_kit::limits::ServiceLimits;
use idv_service_kit::metrics::Metrics;

use crate::register::Register;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The register's use cases.
    pub register: Register,
    /// The process's metrics, as `/metrics` serves them.
    pub metrics: Metrics,
    /// The rate limiters and body cap (`[limits]`).
    pub limits: ServiceLimits,
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
        );

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
        .route("/metrics", get(operations::get_metrics));
    let limits = state.limits.clone();
    service_router_with_operator_api(
        public,
        operator,
        get(operations::get_readiness),
        state,
        &limits,
    )
}
