//! Verifying a VP Token into a check outcome with `idv-checks`: phase one against the held
//! trust list, then the credential's status list fetched (and cached within bounds) by
//! `idv-fetch`, then phase two (revocation, suspension, the template's rules).

use idv_checks::outcome::CheckOutcome;
use idv_checks::reason::ReasonCode;
use idv_checks::templates::Template;
use idv_checks::verify::{Expected, verify_presentation};
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_trust::list::VerifiedTrustList;

use crate::service::Verifier;

impl Verifier {
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
        let expected = Expected::new(client_id, nonce, now);
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
        if let Some(iss) = issuer_of(&list, &verified.provider().register_id) {
            for request in verified.status_requests() {
                match self.status.status(&request.reference, iss, &list).await {
                    Ok(status) => {
                        checked_at = status.checked_at;
                        statuses.push((request.reference.clone(), status.status));
                    }
                    // No entry: phase two rejects with `status_unavailable`.
                    Err(error) => tracing::warn!(%error, "status list unavailable"),
                }
            }
        }
        verified.conclude(&statuses, checked_at)
    }
}

/// An `iss` of the register entry `entry_id`: the status list client confines the status URI
/// and picks the token's key by the credential's issuer, and every `iss` of an entry leads to
/// that same entry (`idv_trust` refuses lists where two entries share one).
fn issuer_of<'l>(list: &'l VerifiedTrustList, entry_id: &str) -> Option<&'l str> {
    list.claims()
        .entries
        .iter()
        .find(|entry| entry.entry_id == entry_id)
        .and_then(|entry| entry.issuer.iss.first())
        .map(String::as_str)
}
