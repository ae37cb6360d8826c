//! The webhook events of a check's transitions, written to the outbox in the same transaction
//! as the state change (delivered by [`crate::webhooks`]).
//!
//! Events are thin and carry no personal data: the check id, its state, the verdict and the
//! reason codes, and the tenant's reference. The result itself is read with
//! `GET /v1/checks/{id}` (for same-device checks, with the response code).

use idv_checks::reason::ReasonCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::{CheckState, Checks, OutcomeRecord};
use crate::dates::rfc3339;
use crate::store::checks::CheckRow;
use crate::store::outbox::NewEvent;

/// The JSON body of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = WebhookEvent)]
pub struct Event<'a> {
    /// `check.completed`, `check.confirmed`, `check.failed` or `check.expired`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event happened, RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// What happened.
    pub data: EventData<'a>,
}

/// The `data` of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = WebhookEventData)]
pub struct EventData<'a> {
    /// The check.
    pub check_id: &'a str,
    /// Its new state.
    #[schema(value_type = crate::checks::CheckState)]
    pub state: &'static str,
    /// `compliant`, `not_eligible` or `rejected`.
    #[schema(value_type = idv_checks::reason::OutcomeState)]
    pub outcome: &'static str,
    /// `outcome == compliant`.
    pub compliant: bool,
    /// The stable reason codes.
    pub reasons: Vec<&'static str>,
    /// The tenant's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
}

impl Checks {
    /// The outbox event `check.<name>` of `check` entering `state`, when it has a webhook
    /// URL (`name` is the state, or `confirmed` for the relying party's confirmation).
    pub(crate) fn check_event(
        &self,
        check: &CheckRow,
        name: &str,
        state: CheckState,
        record: &OutcomeRecord,
        now: i64,
    ) -> Option<NewEvent> {
        let url = check.webhook_url.clone()?;
        let event = Event {
            event_type: format!("check.{name}"),
            timestamp: rfc3339(now),
            data: EventData {
                check_id: &check.check_id,
                state: state.as_str(),
                outcome: record.state.as_str(),
                compliant: record.compliant,
                reasons: record.codes().map(ReasonCode::as_str).collect(),
                reference: check.reference.as_deref(),
            },
        };
        // A struct of strings and booleans always serialises.
        let payload = serde_json::to_string(&event).ok()?;
        Some(NewEvent {
            event_id: format!("msg_{}", idv_jose::random::token(self.random.as_ref(), 16)),
            tenant_id: check.tenant_id.clone(),
            check_id: check.check_id.clone(),
            url,
            payload,
            created_at: now,
        })
    }
}
