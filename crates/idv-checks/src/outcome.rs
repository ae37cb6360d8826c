//! The employer-facing result of a check.

use std::fmt;

use idv_proto::trust::entry::{LevelOfConfidence, Organisation};
use idv_trust::evaluate::TrustDecision;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::confirmation::Confirmation;
use crate::reason::{OutcomeState, Reason, ReasonCode};
use crate::templates::TemplateRef;

/// The certified provider that vouched for the credential, from the trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provider {
    /// The register entry id, e.g. `dvs-000123`.
    pub register_id: String,
    /// The provider organisation.
    pub organisation: Organisation,
    /// The certified service's name.
    pub service: String,
}

impl From<&TrustDecision> for Provider {
    fn from(decision: &TrustDecision) -> Self {
        Self {
            register_id: decision.entry_id.clone(),
            organisation: decision.organisation.clone(),
            service: decision.service_name.clone(),
        }
    }
}

/// The trust list a decision was taken on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustListRef {
    /// `list_id`.
    pub list_id: String,
    /// `sequence`.
    pub sequence: u64,
}

/// The outcome of one check.
///
/// `claims` holds only what the template requested, and only when the check is compliant; a
/// rejected or not-eligible check keeps no personal data. `Debug` never shows claims.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// The template and version the check ran.
    pub template: TemplateRef,
    /// Compliant, awaiting the relying party's confirmation, not eligible (another route must
    /// be used) or rejected.
    pub state: OutcomeState,
    /// `state == compliant`, for callers that only need a yes or no.
    pub compliant: bool,
    /// Why the check is not compliant; empty when it is.
    pub reasons: Vec<Reason>,
    /// The requested claims, when compliant or awaiting confirmation.
    #[serde(default)]
    pub claims: Map<String, Value>,
    /// The provider that issued the credential, when it was identified on the trust list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The GPG 45 level of confidence the check relies on: the credential's stated level,
    /// capped at the provider's certified maximum. Absent when the credential states none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_of_confidence: Option<LevelOfConfidence>,
    /// The trust list the issuer was evaluated against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_list: Option<TrustListRef>,
    /// When the credential's status list was checked (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_checked_at: Option<i64>,
    /// The `iat` of the Status List Token the status was read from (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list_iat: Option<i64>,
    /// When the presentation was verified (Unix seconds).
    pub checked_at: i64,
    /// base64url(SHA-256) of what was presented ([`crate::evidence::presentation_sha256`]):
    /// ties the outcome to the presentation without keeping it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation_sha256: Option<String>,
    /// The relying party's confirmation that the person is the holder, once recorded
    /// (templates with the confirmation step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// The signed check record (`dvs-check-record+jwt`), once the service has signed it
    /// (see [`crate::evidence::sign_check_record`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

impl CheckOutcome {
    /// A rejected outcome for a failure the service detected itself (e.g.
    /// [`ReasonCode::RequestExpired`], [`ReasonCode::ResponseDecryptionFailed`]).
    pub fn rejected(template: TemplateRef, code: ReasonCode, checked_at: i64) -> Self {
        Self::from_reasons(template, vec![Reason::from(code)], checked_at)
    }

    /// An outcome whose state follows from `reasons`: compliant when empty, rejected when any
    /// reason rejects, otherwise not eligible.
    pub(crate) fn from_reasons(
        template: TemplateRef,
        reasons: Vec<Reason>,
        checked_at: i64,
    ) -> Self {
        let state = state_of(&reasons);
        Self {
            template,
            state,
            compliant: state == OutcomeState::Compliant,
            reasons,
            claims: Map::new(),
            provider: None,
            level_of_confidence: None,
            trust_list: None,
            status_checked_at: None,
            status_list_iat: None,
            checked_at,
            presentation_sha256: None,
            confirmation: None,
            evidence: None,
        }
    }

    /// The reason codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = ReasonCode> + '_ {
        self.reasons.iter().map(|r| r.code)
    }
}

fn state_of(reasons: &[Reason]) -> OutcomeState {
    if reasons.is_empty() {
        OutcomeState::Compliant
    } else if reasons
        .iter()
        .any(|r| r.code.verdict() == OutcomeState::Rejected)
    {
        OutcomeState::Rejected
    } else {
        OutcomeState::NotEligible
    }
}

impl fmt::Debug for CheckOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckOutcome")
            .field("template", &self.template)
            .field("state", &self.state)
            .field("reasons", &self.codes().collect::<Vec<_>>())
            .field("claims", &format_args!("<{} claim(s)>", self.claims.len()))
            .field("provider", &self.provider.as_ref().map(|p| &p.register_id))
            .field("level_of_confidence", &self.level_of_confidence)
            .field("trust_list", &self.trust_list)
            .field("status_checked_at", &self.status_checked_at)
            .field("status_list_iat", &self.status_list_iat)
            .field("checked_at", &self.checked_at)
            .field("confirmation", &self.confirmation)
            .field("evidence", &self.evidence.as_ref().map(|_| "<signed>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> TemplateRef {
        TemplateRef {
            id: "right_to_work".into(),
            version: 1,
        }
    }

    #[test]
    fn state_follows_the_reasons() {
        let compliant = CheckOutcome::from_reasons(template(), vec![], 1);
        assert!(compliant.compliant && compliant.state == OutcomeState::Compliant);
        let not_eligible = CheckOutcome::from_reasons(
            template(),
            vec![ReasonCode::NationalityNotEligible.into()],
            1,
        );
        assert_eq!(not_eligible.state, OutcomeState::NotEligible);
        let rejected = CheckOutcome::from_reasons(
            template(),
            vec![
                ReasonCode::DocumentExpired.into(),
                ReasonCode::ClaimInvalid.into(),
            ],
            1,
        );
        assert_eq!(rejected.state, OutcomeState::Rejected);
        assert!(!rejected.compliant);
    }

    #[test]
    fn a_service_detected_failure_serialises_compactly() {
        let outcome = CheckOutcome::rejected(template(), ReasonCode::RequestExpired, 7);
        assert_eq!(
            serde_json::to_value(&outcome).unwrap(),
            serde_json::json!({
                "template": { "id": "right_to_work", "version": 1 },
                "state": "rejected",
                "compliant": false,
                "reasons": [{ "code": "request_expired", "step": "request",
                              "message": "the presentation request expired before the wallet answered" }],
                "claims": {},
                "checked_at": 7
            })
        );
    }

    #[test]
    fn debug_output_hides_claims() {
        let mut outcome = CheckOutcome::from_reasons(template(), vec![], 1);
        outcome.claims.insert("given_name".into(), "Ada".into());
        let text = format!("{outcome:?}");
        assert!(!text.contains("Ada"), "{text}");
    }
}
