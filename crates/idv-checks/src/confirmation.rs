//! The relying party's confirmation step: after a right-to-work or right-to-rent presentation
//! verifies, the employer or landlord must satisfy itself that the person in front of it is
//! the person the identity service provider checked — compare the photo (and date of birth)
//! with the person, in person or by live video call — before employment or the tenancy
//! starts. Only then does an IDVT check give a statutory excuse (Home Office, employer's guide
//! to right to work checks; landlord's guide to right to rent checks).
//!
//! A check of such a template therefore concludes [`OutcomeState::AwaitingConfirmation`];
//! [`CheckOutcome::record_confirmation`] records who compared, how and when, and makes it
//! compliant, or records a mismatch and rejects it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::claims::{DAY, days_from_date};
use crate::outcome::CheckOutcome;
use crate::reason::{OutcomeState, Reason, ReasonCode};

/// How the checker compared the person with the credential's photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationMethod {
    /// With the person physically present.
    InPerson,
    /// By a live video call with the person.
    VideoCall,
}

/// Whether the person matched the credential's holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationDecision {
    /// The person is the holder: the check can be relied on.
    Confirmed,
    /// The person is not the holder.
    NotMatched,
}

/// The relying party's confirmation, as recorded in the outcome and the signed check record.
///
/// `Debug` hides the checker's name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confirmation {
    /// Confirmed, or not matched.
    pub decision: ConfirmationDecision,
    /// In person or by video call.
    pub method: ConfirmationMethod,
    /// The name of the person who made the comparison.
    pub checker_name: String,
    /// When the comparison was recorded (Unix seconds).
    pub confirmed_at: i64,
    /// The date employment (right to work) or the tenancy (right to rent) starts,
    /// `YYYY-MM-DD`, when given: the check must be made before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
}

impl fmt::Debug for Confirmation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Confirmation")
            .field("decision", &self.decision)
            .field("method", &self.method)
            .field("confirmed_at", &self.confirmed_at)
            .finish_non_exhaustive()
    }
}

/// Why a confirmation cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfirmationError {
    /// The outcome is not waiting for a confirmation (not a template with the step, not
    /// verified, or already confirmed or rejected).
    #[error("the check is {state}, not awaiting confirmation")]
    NotAwaiting {
        /// The outcome's state.
        state: OutcomeState,
    },
    /// The checker's name is empty, too long or holds control characters.
    #[error("checker_name must be 1 to 200 characters without control characters")]
    CheckerName,
    /// The start date is not a real `YYYY-MM-DD` date.
    #[error("start_date must be a date, YYYY-MM-DD")]
    StartDate,
}

impl Confirmation {
    fn validate(&self) -> Result<(), ConfirmationError> {
        let name = self.checker_name.trim();
        if name.is_empty()
            || self.checker_name.chars().count() > 200
            || self.checker_name.chars().any(char::is_control)
        {
            return Err(ConfirmationError::CheckerName);
        }
        if let Some(start) = &self.start_date
            && days_from_date(start).is_none()
        {
            return Err(ConfirmationError::StartDate);
        }
        Ok(())
    }

    /// Whether the check was made (its presentation verified, at `checked_at`) no later than
    /// the start date: `None` when no start date was given.
    pub fn checked_before_start(&self, checked_at: i64) -> Option<bool> {
        let start = days_from_date(self.start_date.as_deref()?)?;
        Some(checked_at.div_euclid(DAY) <= start)
    }
}

impl CheckOutcome {
    /// Whether the relying party must still confirm the holder.
    pub fn awaiting_confirmation(&self) -> bool {
        self.state == OutcomeState::AwaitingConfirmation
    }

    /// Records `confirmation`: [`ConfirmationDecision::Confirmed`] makes the outcome
    /// compliant; [`ConfirmationDecision::NotMatched`] rejects it with
    /// [`ReasonCode::HolderNotMatched`] and drops its claims. Only an outcome awaiting
    /// confirmation takes one.
    pub fn record_confirmation(
        mut self,
        confirmation: Confirmation,
    ) -> Result<Self, ConfirmationError> {
        self.expect_awaiting()?;
        confirmation.validate()?;
        match confirmation.decision {
            ConfirmationDecision::Confirmed => {
                self.state = OutcomeState::Compliant;
                self.compliant = true;
            }
            ConfirmationDecision::NotMatched => {
                self.state = OutcomeState::Rejected;
                self.compliant = false;
                self.reasons = vec![Reason::from(ReasonCode::HolderNotMatched)];
                self.claims.clear();
            }
        }
        self.confirmation = Some(confirmation);
        Ok(self)
    }

    fn expect_awaiting(&self) -> Result<(), ConfirmationError> {
        if self.awaiting_confirmation() {
            Ok(())
        } else {
            Err(ConfirmationError::NotAwaiting { state: self.state })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::templates::TemplateRef;

    fn awaiting() -> CheckOutcome {
        let mut outcome = CheckOutcome::from_reasons(
            TemplateRef {
                id: "right_to_work".into(),
                version: 2,
            },
            Vec::new(),
            1_767_225_600,
        );
        outcome.state = OutcomeState::AwaitingConfirmation;
        outcome.compliant = false;
        outcome.claims.insert("given_name".into(), "Ada".into());
        outcome
    }

    fn confirmation(decision: ConfirmationDecision) -> Confirmation {
        Confirmation {
            decision,
            method: ConfirmationMethod::VideoCall,
            checker_name: "Grace Hopper".into(),
            confirmed_at: 1_767_226_000,
            start_date: Some("2026-01-05".into()),
        }
    }

    #[test]
    fn a_confirmed_holder_makes_the_check_compliant_and_is_recorded() {
        let outcome = awaiting()
            .record_confirmation(confirmation(ConfirmationDecision::Confirmed))
            .unwrap();
        assert_eq!(outcome.state, OutcomeState::Compliant);
        assert!(outcome.compliant && outcome.reasons.is_empty());
        assert_eq!(outcome.claims["given_name"], "Ada");
        let recorded = outcome.confirmation.as_ref().unwrap();
        assert_eq!(
            recorded.checked_before_start(outcome.checked_at),
            Some(true)
        );
        assert_eq!(
            serde_json::to_value(recorded).unwrap(),
            json!({
                "decision": "confirmed",
                "method": "video_call",
                "checker_name": "Grace Hopper",
                "confirmed_at": 1_767_226_000,
                "start_date": "2026-01-05"
            })
        );
        assert!(!format!("{outcome:?}").contains("Grace"));
    }

    #[test]
    fn a_mismatch_rejects_the_check_and_drops_its_claims() {
        let outcome = awaiting()
            .record_confirmation(confirmation(ConfirmationDecision::NotMatched))
            .unwrap();
        assert_eq!(outcome.state, OutcomeState::Rejected);
        assert_eq!(
            outcome.codes().collect::<Vec<_>>(),
            [ReasonCode::HolderNotMatched]
        );
        assert!(outcome.claims.is_empty());
    }

    #[test]
    fn only_an_outcome_awaiting_confirmation_takes_a_valid_one() {
        let confirmed = awaiting()
            .record_confirmation(confirmation(ConfirmationDecision::Confirmed))
            .unwrap();
        assert_eq!(
            confirmed
                .record_confirmation(confirmation(ConfirmationDecision::NotMatched))
                .unwrap_err(),
            ConfirmationError::NotAwaiting {
                state: OutcomeState::Compliant
            }
        );
        let mut nameless = confirmation(ConfirmationDecision::Confirmed);
        nameless.checker_name = "  ".into();
        assert_eq!(
            awaiting().record_confirmation(nameless).unwrap_err(),
            ConfirmationError::CheckerName
        );
        let mut undated = confirmation(ConfirmationDecision::Confirmed);
        undated.start_date = Some("next monday".into());
        assert_eq!(
            awaiting().record_confirmation(undated).unwrap_err(),
            ConfirmationError::StartDate
        );
        let mut late = confirmation(ConfirmationDecision::Confirmed);
        late.start_date = Some("2025-12-31".into());
        assert_eq!(late.checked_before_start(1_767_225_600), Some(false));
    }
}
