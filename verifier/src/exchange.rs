//! The wallet-facing exchange of OpenID4VP 1.0 ([`Exchange`]): the endpoints a wallet calls,
//! serving the signed request object and receiving the response. (Not the wallet itself: that
//! is the citizen's, `wallet-sim` simulates one.) This area reads what the wallet sent and
//! verifies it; ending the check with the outcome is [`crate::checks`]' (`Checks::finish`).
//!
//! 1. The wallet opens `openid4vp://?client_id=verifier_attestation:<client_id>&request_uri=…`
//!    and fetches the request object ([`request_object`]): `GET` (or `POST` with
//!    `wallet_nonce`, "`request_uri_method=post`") `/wallet/requests/{request_id}` →
//!    `application/oauth-authz-req+jwt`, signed ES256 with the tenant's key, the trust
//!    framework's Verifier Attestation in the `jwt` header, and the template's DCQL query. For
//!    `direct_post.jwt` its `client_metadata.jwks` holds the request's own ECDH-ES key.
//! 2. The wallet posts its response to `response_uri` = `/wallet/responses/{request_id}`
//!    ([`response`]): `response=<JWE>` (`direct_post.jwt`), or `vp_token` and `state`
//!    (`direct_post`), or an error (`error`, `error_description`, `state`).
//! 3. A response carrying the request's `state` is verified ([`verification`]) and its
//!    outcome stored by the checks (`created → completed | failed`, once, with the signed
//!    record and the webhook event: that consumes the request). The
//!    reply is `{}` (cross-device) or `{"redirect_uri": "…#response_code=…"}` (same-device).
//!
//! A response that cannot be tied to the request (unknown request, JWE that does not decrypt,
//! wrong `state`), that is not a well-formed Authorization Response (no parsable `vp_token`,
//! `error` or `response`; both `vp_token` and `error`), or that comes in the clear where the
//! request asked for `direct_post.jwt` (an error response too) is refused without consuming
//! it, so a stray or forged post cannot end the check; a well-formed response carrying the
//! request's `state` ends it, whatever its verification says. A response after expiry, or a
//! second one, is refused with `request_expired` or `response_replayed`. Refusals use the
//! OAuth error body, `error_description` starting with the stable reason code.

mod error;
pub mod request_object;
pub mod response;
mod verification;

pub use error::ExchangeError;
pub use response::ResponseForm;

use std::sync::Arc;

use idv_jose::{Clock, Random};

use crate::checks::Checks;
use crate::config::Settings;
use crate::store::Store;
use crate::store::checks::CheckRow;
use crate::tenants::Tenants;
use crate::trust::TrustSources;

/// The wallet-facing use cases, over the checks they answer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Exchange {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    settings: Arc<Settings>,
    tenants: Tenants,
    trust: TrustSources,
    checks: Checks,
}

impl Exchange {
    /// The exchange for `checks`, verifying presentations with `trust`.
    pub(crate) fn new(checks: Checks, trust: TrustSources) -> Self {
        Self {
            store: checks.store.clone(),
            clock: Arc::clone(&checks.clock),
            random: Arc::clone(&checks.random),
            settings: Arc::clone(&checks.settings),
            tenants: checks.tenants.clone(),
            trust,
            checks,
        }
    }

    /// The check whose wallet request is `request_id`, in its state in the database now. The
    /// request material of an open request this instance created is held in memory; its state
    /// is still read at every use (one primary-key read), so a check completed, expired or
    /// erased through any instance sharing the database is seen at once. Anything else is read
    /// whole from the database.
    async fn check_by_request(&self, request_id: &str) -> Result<Arc<CheckRow>, ExchangeError> {
        if let Some(open) = self.checks.open_requests.get(request_id) {
            match self.store.check_state(&open.check_id).await? {
                Some(state) if state == open.state => return Ok(open),
                // Closed (or gone) meanwhile: no longer held; read what there is now.
                _ => self.checks.open_requests.remove(request_id),
            }
        }
        self.store
            .load_check_by_request(request_id)
            .await?
            .map(Arc::new)
            .ok_or(ExchangeError::UnknownRequest)
    }
}
