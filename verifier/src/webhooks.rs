//! Webhooks: when a check ends (`completed`, `failed`, `expired`) and it names a
//! `webhook_url`, an event is written to the outbox in the same transaction as the state
//! change, then delivered by [`Verifier::run_webhook_delivery`] (the background worker in
//! `crate::startup`; see [`delivery`]): attempts run concurrently, capped per tenant and per
//! host, each claimed in the database for its duration, so instances sharing the database
//! deliver each event once in the normal case (a receiver must still deduplicate on
//! `webhook-id`: an instance that dies after sending and before recording is retried). Where
//! webhooks may go is [`destination`]'s rule: https to public addresses only.
//!
//! Delivery follows the Standard Webhooks specification: `POST` of the JSON event with
//! `webhook-id` (the event id, the same on every attempt: receivers deduplicate on it),
//! `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature`
//! (`v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`, see [`signature`]), signed
//! with the tenant's `whsec_…` secret. A 2xx acknowledges; anything else (or no answer) is
//! retried after `retry_initial_secs`, doubling up to `retry_max_secs`, until `max_attempts`,
//! after which the event is kept as `dead`. Redirects are not followed. Events are not
//! ordered: each carries its own `timestamp`.
//!
//! Events are thin and carry no personal data: the check id, its state, the verdict and the
//! reason codes, and the tenant's reference. The result itself is read with
//! `GET /v1/checks/{id}` (for same-device checks, with the response code).

pub mod address;
pub mod breaker;
pub mod delivery;
pub mod destination;
pub mod signature;

use idv_checks::reason::ReasonCode;
use serde::Serialize;
use utoipa::ToSchema;

pub use self::delivery::Delivery;
use crate::checks::{CheckState, OutcomeRecord};
use crate::dates::rfc3339;
use crate::service::Verifier;
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

impl Verifier {
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
                outcome: record.outcome.as_str(),
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

    /// Seconds before attempt `attempts + 1`: `retry_initial_secs · 2^(attempts-1)`, capped.
    fn retry_delay(&self, attempts: i64) -> i64 {
        let settings = &self.settings.webhooks;
        let exponent = u32::try_from((attempts - 1).clamp(0, 32)).unwrap_or(32);
        settings
            .retry_initial_secs
            .saturating_mul(2_i64.saturating_pow(exponent))
            .min(settings.retry_max_secs)
    }
}
