//! The HTTP API: the whole route table and the shared state.
//!
//! Public (wallets and verifiers; OpenID4VCI 1.0, SD-JWT VC, Token Status List):
//! - `GET /.well-known/openid-credential-issuer[/path]`: Credential Issuer Metadata.
//! - `GET /.well-known/oauth-authorization-server[/path]`: Authorization Server Metadata.
//! - `GET /.well-known/jwt-vc-issuer[/path]`: `{issuer, jwks}`, the credential signing keys.
//! - `GET /credential-offer/{offer_id}`: a Credential Offer by reference. The `offer_id` (offer
//!   handle) is a bearer secret: it leads to the pre-authorized code.
//! - `POST /token`: pre-authorized code (+ `tx_code`), or authorization code (+ PKCE
//!   `code_verifier`), → access token.
//! - `POST /nonce`: a fresh `c_nonce`.
//! - `POST /credential`: `openid4vci-proof+jwt` proofs → SD-JWT VCs.
//! - `GET /status-lists/{list_id}`: a signed `statuslist+jwt`.
//! - `GET /healthz` (liveness), `GET /readyz` (readiness: the database answers), `GET /metrics`
//!   (Prometheus text format; `[metrics]` may require a bearer token).
//!
//! With `[login]` (the authorization code flow, citizens signing in at the provider's OP):
//! - `POST /par`: a wallet's pushed authorization request (RFC 9126) → `request_uri`.
//! - `GET /authorize?client_id&request_uri`: 303 to the OP's sign-in.
//! - `GET /login/callback`: the OP's redirect; 303 to the wallet with a code or an error.
//!
//! `[/path]` is the path of the Credential Issuer Identifier, when it has one (well-known
//! segments go between host and path).
//!
//! Operator API (`Authorization: Bearer <operator token>`):
//! - `POST /v1/identities` (optionally with `login_subject`), `GET /v1/identities/{identity_id}`
//! - `PUT /v1/identities/{identity_id}/login-subject` `{login_subject}`: link to an OP account
//!   (`null` unlinks)
//! - `POST /v1/identities/{identity_id}/offers` `{credential_configuration_ids, tx_code?,
//!   grant?}` (`grant`: `pre-authorized_code`, or `authorization_code` with `[login]`)
//! - `GET /v1/offers/{offer_id}/qr.svg`, `GET /v1/offers/{offer_id}/qr.png`
//! - `GET /v1/credentials[?identity_id=…]`, `GET /v1/credentials/{credential_id}`
//! - `POST /v1/credentials/{credential_id}/revoke|suspend|reinstate` `{reason}`: the
//!   credential's whole batch (every copy one Credential Request issued)
//! - `POST /v1/identities/{identity_id}/revoke|suspend|reinstate` `{reason}`: every credential
//!   of the identity
//!
//! Errors are `{error, error_description}` with the codes the specifications name (see
//! `http/error.rs`).
//!
//! Limits (`[limits]`): every public route per client address, `POST /nonce`, `/token` and
//! `/par` at a stricter rate, the operator API at its own (before authentication): `429
//! temporarily_unavailable` with `Retry-After` past them. Bodies over `max_body_bytes` are
//! `413`.

mod auth;
mod authorization;
mod credential_endpoint;
mod credential_offer;
mod error;
mod identities;
mod issued_credentials;
mod metadata;
mod nonce;
mod offers;
mod operations;
mod status_list;
mod token;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};
use idv_proto::oid4vci::authorization_server_metadata::AUTHORIZATION_SERVER_WELL_KNOWN;
use idv_proto::oid4vci::issuer_metadata::CREDENTIAL_ISSUER_WELL_KNOWN;
use idv_service_kit::http::service_router_with_operator_api;
use idv_service_kit::limits::{InvalidRate, IpLimit, ServiceLimits, limit_by_client_ip};
use idv_service_kit::metrics::Metrics;

use crate::config::LimitSettings;
use crate::issuance::Issuer;
use crate::issuance::authorization::{AUTHORIZE_PATH, PAR_PATH};
use crate::issuance::login::CALLBACK_PATH;
use crate::issuance::metadata::{
    CREDENTIAL_PATH, JWT_VC_ISSUER_WELL_KNOWN, NONCE_PATH, TOKEN_PATH,
};
use crate::issuance::offers::PATH_PREFIX as OFFER_PATH_PREFIX;
use crate::issuance::status_lists::PATH_PREFIX as STATUS_LIST_PATH_PREFIX;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The issuer's use cases.
    pub issuer: Issuer,
    /// The process's metrics, as `/metrics` serves them.
    pub metrics: Metrics,
    /// The rate limiters and body cap.
    pub limits: Limits,
}

/// The rate limiters of one server (`[limits]`), shared by its routes: the public and
/// operator ones every service has, and the anonymous writes'.
#[derive(Debug, Clone)]
pub struct Limits {
    service: ServiceLimits,
    writes_per_ip: IpLimit,
}

impl Limits {
    /// The limiters `settings` describe.
    pub fn new(settings: &LimitSettings) -> Result<Self, InvalidRate> {
        let service = ServiceLimits::new(
            settings.trusted_proxies.clone(),
            settings.per_ip,
            settings.operator_per_ip,
            settings.max_body_bytes,
        )?;
        Ok(Self {
            writes_per_ip: service.per_client(settings.writes_per_ip)?,
            service,
        })
    }
}

/// The path of the Credential Issuer Identifier (`""` when it has none), appended to
/// well-known paths.
fn issuer_path(public_url: &str) -> String {
    url::Url::parse(public_url)
        .map(|url| url.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// The route table.
pub fn router(state: AppState) -> Router {
    let operator = Router::new()
        .route("/v1/identities", post(identities::record_identity))
        .route(
            "/v1/identities/{identity_id}",
            get(identities::get_identity),
        )
        .route(
            "/v1/identities/{identity_id}/login-subject",
            put(identities::set_login_subject),
        )
        .route(
            "/v1/identities/{identity_id}/offers",
            post(identities::create_offer),
        )
        .route(
            "/v1/identities/{identity_id}/revoke",
            post(identities::revoke_identity_credentials),
        )
        .route(
            "/v1/identities/{identity_id}/suspend",
            post(identities::suspend_identity_credentials),
        )
        .route(
            "/v1/identities/{identity_id}/reinstate",
            post(identities::reinstate_identity_credentials),
        )
        .route("/v1/offers/{offer_id}/qr.svg", get(offers::get_qr_svg))
        .route("/v1/offers/{offer_id}/qr.png", get(offers::get_qr_png))
        .route("/v1/credentials", get(issued_credentials::list_credentials))
        .route(
            "/v1/credentials/{credential_id}",
            get(issued_credentials::get_credential),
        )
        .route(
            "/v1/credentials/{credential_id}/revoke",
            post(issued_credentials::revoke_credential),
        )
        .route(
            "/v1/credentials/{credential_id}/suspend",
            post(issued_credentials::suspend_credential),
        )
        .route(
            "/v1/credentials/{credential_id}/reinstate",
            post(issued_credentials::reinstate_credential),
        );

    // Each of these writes a row for an anonymous caller.
    let mut writes = Router::new()
        .route(TOKEN_PATH, post(token::exchange_token))
        .route(NONCE_PATH, post(nonce::create_nonce));
    if state.issuer.settings().authorization.is_some() {
        writes = writes.route(PAR_PATH, post(authorization::push_authorization_request));
    }
    let writes = writes.route_layer(from_fn_with_state(
        state.limits.writes_per_ip.clone(),
        limit_by_client_ip,
    ));

    let path = issuer_path(&state.issuer.settings().public_url);
    let mut public = Router::new();
    for suffix in std::iter::once("").chain((!path.is_empty()).then_some(path.as_str())) {
        public = public
            .route(
                &format!("{CREDENTIAL_ISSUER_WELL_KNOWN}{suffix}"),
                get(metadata::get_credential_issuer_metadata),
            )
            .route(
                &format!("{AUTHORIZATION_SERVER_WELL_KNOWN}{suffix}"),
                get(metadata::get_authorization_server_metadata),
            )
            .route(
                &format!("{JWT_VC_ISSUER_WELL_KNOWN}{suffix}"),
                get(metadata::get_jwt_vc_issuer_metadata),
            );
    }
    if state.issuer.settings().authorization.is_some() {
        public = public
            .route(AUTHORIZE_PATH, get(authorization::authorize))
            .route(CALLBACK_PATH, get(authorization::login_callback));
    }
    let public = public
        .route(
            &format!("{OFFER_PATH_PREFIX}{{offer_id}}"),
            get(credential_offer::get_credential_offer),
        )
        .route(CREDENTIAL_PATH, post(credential_endpoint::issue_credential))
        .route(
            &format!("{STATUS_LIST_PATH_PREFIX}{{list_id}}"),
            get(status_list::get_status_list),
        )
        .route("/metrics", get(operations::get_metrics));
    let limits = state.limits.service.clone();
    service_router_with_operator_api(
        public.merge(writes),
        operator,
        get(operations::get_readiness),
        state,
        &limits,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_suffix_is_the_identifier_path() {
        assert_eq!(issuer_path("https://id.example"), "");
        assert_eq!(issuer_path("https://id.example/"), "");
        assert_eq!(issuer_path("https://id.example/tenant/1"), "/tenant/1");
    }
}
