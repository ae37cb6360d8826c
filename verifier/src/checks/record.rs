//! [`OutcomeRecord`]: the part of a check's outcome kept until erasure (no personal data);
//! claims and the evidence record are stored apart and purged when retention ends.

use idv_checks::outcome::{CheckOutcome, Provider, TrustListRef};
use idv_checks::reason::{OutcomeState, Reason, ReasonCode};
use idv_proto::trust::entry::LevelOfConfidence;
use serde::{Deserialize, Serialize};

/// The outcome metadata of a finished check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    /// `compliant`, `not_eligible` or `rejected`.
    pub outcome: OutcomeState,
    /// `outcome == compliant`.
    pub compliant: bool,
    /// Why not compliant, each with a stable code and the step that failed.
    pub reasons: Vec<Reason>,
    /// The certified provider that issued the credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The GPG 45 level of confidence relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_of_confidence: Option<LevelOfConfidence>,
    /// The trust list decided on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_list: Option<TrustListRef>,
    /// When the status list was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_checked_at: Option<i64>,
    /// The `iat` of the Status List Token the status was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list_iat: Option<i64>,
    /// When the presentation was verified (or the check expired).
    pub checked_at: i64,
}

impl OutcomeRecord {
    /// The metadata of `outcome` (its claims and evidence are kept apart).
    pub fn of(outcome: &CheckOutcome) -> Self {
        Self {
            outcome: outcome.state,
            compliant: outcome.compliant,
            reasons: outcome.reasons.clone(),
            provider: outcome.provider.clone(),
            level_of_confidence: outcome.level_of_confidence,
            trust_list: outcome.trust_list.clone(),
            status_checked_at: outcome.status_checked_at,
            status_list_iat: outcome.status_list_iat,
            checked_at: outcome.checked_at,
        }
    }

    /// A rejection the service detected itself (expiry).
    pub fn rejected(code: ReasonCode, checked_at: i64) -> Self {
        Self {
            outcome: OutcomeState::Rejected,
            compliant: false,
            reasons: vec![Reason::from(code)],
            provider: None,
            level_of_confidence: None,
            trust_list: None,
            status_checked_at: None,
            status_list_iat: None,
            checked_at,
        }
    }

    /// The stable reason codes.
    pub fn codes(&self) -> impl Iterator<Item = ReasonCode> + '_ {
        self.reasons.iter().map(|r| r.code)
    }
}
