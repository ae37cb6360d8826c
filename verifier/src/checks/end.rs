//! Ending a check: the outcome of a wallet's response (`created → completed | failed`) and
//! expiry (`created → expired`), each a compare-and-swap with its webhook event in the same
//! transaction; the first to store ends the check, and the request leaves this instance's
//! [`super::OpenRequests`] either way.

use idv_checks::outcome::CheckOutcome;
use idv_checks::reason::{OutcomeState, ReasonCode};
use idv_checks::templates::TemplateRef;

use super::{CheckError, CheckState, Checks, OutcomeRecord};
use crate::store::checks::{CheckRow, Finish};

impl Checks {
    /// `created → completed | failed` for a response received at `presented_at`: stores the
    /// outcome metadata, the requested claims and the signed evidence, and queues the webhook
    /// event. Returns whether this response's outcome was stored.
    pub(crate) async fn finish(
        &self,
        check: &CheckRow,
        outcome: CheckOutcome,
        presented_at: i64,
        response_code_hash: Option<String>,
    ) -> Result<bool, CheckError> {
        let template = self.template_of(check)?;
        let now = self.clock.now();
        let evidence = self
            .keys
            .sign_evidence(&outcome, template, &check.check_id, &check.tenant_id, now)
            .await?;
        let state = if outcome.state == OutcomeState::Rejected {
            CheckState::Failed
        } else {
            CheckState::Completed
        };
        let record = OutcomeRecord::of(&outcome);
        let claims = (!outcome.claims.is_empty())
            .then(|| serde_json::to_string(&outcome.claims))
            .transpose()
            .map_err(CheckError::Encode)?;
        let finish = Finish {
            presented_at,
            response_code_hash,
            state: state.as_str(),
            outcome: record.to_json().map_err(CheckError::Encode)?,
            claims,
            evidence: Some(evidence),
            finished_at: now,
            retain_until: now + self.retention_secs(template),
        };
        let event = self.check_event(check, state.as_str(), state, &record, now);
        let finished = self
            .store
            .finish_check(&check.check_id, &finish, event.as_ref())
            .await?;
        self.open_requests.remove(&check.request_id);
        if finished {
            let codes: Vec<&str> = record.codes().map(ReasonCode::as_str).collect();
            tracing::info!(
                check.id = %check.check_id, check.state = state.as_str(),
                check.outcome = record.state.as_str(), check.reasons = ?codes,
                "check finished"
            );
            metrics::counter!(
                "idv_verifier_checks_ended_total",
                "template" => template.id(), "state" => state.as_str(),
                "outcome" => record.state.as_str()
            )
            .increment(1);
            for code in codes {
                metrics::counter!(
                    "idv_verifier_check_reasons_total",
                    "template" => template.id(), "reason" => code
                )
                .increment(1);
            }
        }
        Ok(finished)
    }

    /// `created → expired` (with its event), for a response that came too late.
    pub(crate) async fn expire(&self, check: &CheckRow, now: i64) -> Result<bool, CheckError> {
        let template = TemplateRef {
            id: check.template.clone(),
            version: u32::try_from(check.template_version).map_err(|_| CheckError::Corrupt {
                what: "template version",
            })?,
        };
        let record = OutcomeRecord::rejected(template, ReasonCode::RequestExpired, now);
        let outcome = record.to_json().map_err(CheckError::Encode)?;
        let event = self.check_event(
            check,
            CheckState::Expired.as_str(),
            CheckState::Expired,
            &record,
            now,
        );
        let expired = self
            .store
            .expire_check(&check.check_id, now, &outcome, event.as_ref())
            .await?;
        self.open_requests.remove(&check.request_id);
        if expired {
            tracing::info!(check.id = %check.check_id, "check expired");
            metrics::counter!(
                "idv_verifier_checks_ended_total",
                "template" => check.template.clone(), "state" => CheckState::Expired.as_str(),
                "outcome" => record.state.as_str()
            )
            .increment(1);
        }
        Ok(expired)
    }
}
