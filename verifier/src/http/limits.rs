//! The verifier's rate limits (`[limits]`, see [`crate::config::LimitSettings`]): every public
//! endpoint per client address; `/oidc/authorize` also per address and per `client_id` at
//! stricter rates; the tenant API's writes per tenant. A refusal is `429` with `Retry-After`
//! (RFC 6585 §4; RFC 9110 §10.2.3): an HTML page at the authorization endpoint, where a person
//! reads it, the OAuth error body elsewhere. The caps on open checks and pending sign-ins are
//! the use cases' ([`crate::checks::CheckError::TooManyOpenChecks`],
//! [`crate::oidc::OidcError::TooManySessions`]).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use idv_service_kit::limits::{InvalidRate, IpLimit, RateLimiter, TrustedProxies};

use super::oidc::{csp_nonce, html};
use super::pages::message_page;
use crate::config::LimitSettings;
use crate::service::Verifier;
use crate::tenants::Tenant;

/// The limiters of one server (shared by its routes).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Every public endpoint, per client address.
    pub(super) per_ip: IpLimit,
    /// `/oidc/authorize`, per client address.
    pub(super) authorize_per_ip: IpLimit,
    /// `/oidc/authorize`, per `client_id`.
    pub(super) authorize_per_client: RateLimiter<String>,
    /// Tenant API writes, per tenant id.
    pub(super) per_tenant: RateLimiter<String>,
}

impl Limits {
    /// The limiters `settings` describe; refusals at the authorization endpoint are pages.
    pub fn new(verifier: &Verifier, settings: &LimitSettings) -> Result<Self, InvalidRate> {
        let proxies = Arc::new(TrustedProxies::new(settings.trusted_proxies.clone()));
        let for_pages = verifier.clone();
        Ok(Self {
            per_ip: IpLimit::new(settings.per_ip, Arc::clone(&proxies))?,
            authorize_per_ip: IpLimit::new(settings.authorize_per_ip, proxies)?.with_rejection(
                move |throttled| throttled_page(&for_pages, throttled.retry_after_secs()),
            ),
            authorize_per_client: RateLimiter::new(settings.authorize_per_client)?,
            per_tenant: RateLimiter::new(settings.checks_per_tenant)?,
        })
    }
}

/// A 429 page for a person's browser, with `Retry-After: secs`.
pub(super) fn throttled_page(verifier: &Verifier, secs: u64) -> Response {
    let nonce = csp_nonce(verifier);
    let mut response = html(
        StatusCode::TOO_MANY_REQUESTS,
        message_page(
            "Too many sign-ins at once",
            &format!(
                "Too many sign-ins are being started right now. Wait {secs} seconds, then go \
                 back to the service you came from and try again."
            ),
            &nonce,
        ),
        &nonce,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// Route layer of the tenant API, inside its authentication: a write (anything but `GET` and
/// `HEAD`) takes one request from its tenant's bucket.
pub(super) async fn limit_tenant_writes(
    State(limits): State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        && let Some(tenant) = request.extensions().get::<Tenant>()
        && let Err(throttled) = limits.per_tenant.check(&tenant.tenant_id)
    {
        tracing::debug!(
            tenant.id = %tenant.tenant_id,
            retry_after_secs = throttled.retry_after_secs(),
            "request refused: tenant rate limit"
        );
        return throttled.into_api_error("for this tenant").into_response();
    }
    next.run(request).await
}
