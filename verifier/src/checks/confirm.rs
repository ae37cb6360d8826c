//! `POST /v1/checks/{id}/confirmation`: the employer's (or landlord's) statutory-excuse step.
//!
//! A right-to-work or right-to-rent presentation that verified leaves its check `completed`
//! with outcome `awaiting_confirmation`. The relying party compares the photo and date of
//! birth with the person, in person or by live video call, and records the result here
//! (Home Office, employer's guide to right to work checks, IDVT). A confirmation makes the
//! outcome `compliant`; a mismatch makes the check `failed` with `holder_not_matched` and
//! drops its claims. Either way the check record is signed again, now stating who compared,
//! how and when, and a webhook event announces it (`check.confirmed` or `check.failed`).

use idv_checks::evidence::verify_check_record_with_keys;
use idv_checks::{Confirmation, ConfirmationDecision, ConfirmationMethod, OutcomeState};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{CheckError, CheckState, CheckView, Checks, OutcomeRecord};
use crate::store::checks::Confirm;
use crate::tenants::Tenant;

/// The body of `POST /v1/checks/{id}/confirmation`.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationRequest {
    /// `confirmed`, or `not_matched` when the person is not the credential's holder: the
    /// check then fails with `holder_not_matched`.
    pub decision: ConfirmationDecision,
    /// `in_person` or `video_call`.
    pub method: ConfirmationMethod,
    /// Who compared the photo with the person (1 to 200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub checker_name: String,
    /// Employment (right to work) or tenancy (right to rent) start date, `YYYY-MM-DD`; the
    /// check must be made before it.
    #[serde(default)]
    #[schema(format = Date)]
    pub start_date: Option<String>,
}

impl Checks {
    /// Records the relying party's confirmation of a check awaiting it, and returns the
    /// check as it now stands.
    pub async fn confirm_check(
        &self,
        tenant: &Tenant,
        check_id: &str,
        request: ConfirmationRequest,
    ) -> Result<CheckView, CheckError> {
        let row = self.tenant_check(tenant, check_id).await?;
        let awaiting = || CheckError::NotAwaitingConfirmation {
            state: row.state.clone(),
        };
        let stored_outcome = row.outcome.as_deref().ok_or_else(awaiting)?;
        let record = OutcomeRecord::of_row(&row)
            .map_err(|_| CheckError::Corrupt { what: "outcome" })?
            .ok_or_else(awaiting)?;
        if row.state != CheckState::Completed.as_str()
            || record.state != OutcomeState::AwaitingConfirmation
        {
            return Err(awaiting());
        }
        // The photo to compare with lives in the evidence; once purged there is nothing to
        // confirm against.
        let evidence = row
            .evidence
            .as_deref()
            .ok_or(CheckError::ConfirmationDataPurged)?;
        // Signed by this verifier, perhaps with a key rotated out since.
        let keys = self.keys.evidence_keys().await?;
        let (previous, _) = verify_check_record_with_keys(evidence, &keys)
            .map_err(|_| CheckError::Corrupt { what: "evidence" })?;
        let template = self.template_of(&row)?;
        let now = self.clock.now();
        let outcome = previous
            .into_outcome()
            .record_confirmation(Confirmation {
                decision: request.decision,
                method: request.method,
                checker_name: request.checker_name,
                confirmed_at: now,
                start_date: request.start_date,
            })
            .map_err(|e| CheckError::InvalidInput(e.to_string()))?;
        let evidence = self
            .keys
            .sign_evidence(&outcome, template, &row.check_id, &row.tenant_id, now)
            .await?;
        let (state, event) = match request.decision {
            ConfirmationDecision::Confirmed => (CheckState::Completed, "confirmed"),
            ConfirmationDecision::NotMatched => (CheckState::Failed, "failed"),
        };
        let new_record = OutcomeRecord::of(&outcome);
        let confirm = Confirm {
            state: state.as_str(),
            outcome: new_record.to_json().map_err(CheckError::Encode)?,
            claims: row.claims.clone().filter(|_| outcome.compliant),
            evidence,
        };
        let event = self.check_event(&row, event, state, &new_record, now);
        let won = self
            .store
            .confirm_check(&row.check_id, stored_outcome, &confirm, event.as_ref())
            .await?;
        if !won {
            // Another confirmation, an erasure or the purge came first.
            return Err(awaiting());
        }
        tracing::info!(
            tenant.id = %tenant.tenant_id, check.id = %check_id,
            check.outcome = new_record.state.as_str(), "check confirmation recorded"
        );
        self.check(tenant, check_id, None).await
    }
}
