//! Verifying a VP Token into a check outcome with `idv-checks`: phase one against the held
//! trust list and the credential types it pins (fetched once per pinned digest), then the credential's status list fetched (and cached within bounds) by
//! `idv-fetch`, then phase two (revocation, suspension, the template's rules).

use idv_checks::outcome::CheckOutcome;
use idv_checks::reason::ReasonCode;
use idv_checks::templates::Template;
use idv_checks::verify::{Expected, verify_presentation};
use idv_proto::oid4vp::authorization_response::VpToken;

use super::Exchange;

impl Exchange {
    /// The outcome of `vp_token` for `template`, bound to `client_id` (full) and `nonce`.
    pub(super) async fn verify(
        &self,
        template: &Template,
        client_id: &str,
        nonce: &str,
        vp_token: &VpToken,
    ) -> CheckOutcome {
        let now = self.clock.now();
        let list = match self.trust.current().await {
            Ok(list) => list,
            Err(error) => {
                tracing::warn!(%error, "no usable trust list");
                return CheckOutcome::rejected(
                    template.reference(),
                    ReasonCode::TrustListUnavailable,
                    now,
                );
            }
        };
        let types = self.trust.types.types(&list).await;
        let expected = Expected::new(client_id, nonce, now).with_credential_types(&types);
        let verified = match verify_presentation(template, &expected, vp_token, &list) {
            Ok(verified) => verified,
            Err(failure) => {
                // The failure's source chain names what broke (never claims or tokens).
                tracing::info!(
                    check.reason = failure.code().as_str(),
                    error.cause = ?std::error::Error::source(&failure).map(ToString::to_string),
                    "presentation rejected"
                );
                return failure.into_outcome();
            }
        };
        let mut statuses = Vec::new();
        let mut checked_at = now;
        let mut status_list_iat = None;
        for request in verified.status_requests() {
            match self
                .trust
                .status
                .status(&request.reference, &request.iss, &list)
                .await
            {
                Ok(status) => {
                    checked_at = status.checked_at;
                    status_list_iat = Some(status.list_issued_at);
                    statuses.push((request.reference.clone(), status.status));
                }
                // No entry: phase two rejects with `status_unavailable`.
                Err(error) => tracing::warn!(%error, "status list unavailable"),
            }
        }
        verified.conclude(&statuses, checked_at, status_list_iat)
    }
}
