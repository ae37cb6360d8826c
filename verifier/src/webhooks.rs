//! Webhooks: when a check ends (`completed`, `failed`, `expired`) and it names a
//! `webhook_url`, an event is written to the outbox in the same transaction as the state
//! change, then delivered at least once by [`Verifier::deliver_due_events`] (run by the
//! background worker in `crate::startup`).
//!
//! Delivery follows the Standard Webhooks specification: `POST` of the JSON event with
//! `webhook-id` (the event id, the same on every attempt: receivers deduplicate on it),
//! `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature`
//! (`v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`, see [`signature`]), signed
//! with the tenant's `whsec_…` secret. A 2xx acknowledges; anything else (or no answer) is
//! retried after `retry_initial_secs`, doubling up to `retry_max_secs`, until `max_attempts`,
//! after which the event is kept as `dead`. Redirects are not followed.
//!
//! Events are thin and carry no personal data: the check id, its state, the verdict and the
//! reason codes, and the tenant's reference. The result itself is read with
//! `GET /v1/checks/{id}` (for same-device checks, with the response code).

pub mod signature;

use std::collections::BTreeMap;

use idv_checks::reason::ReasonCode;
use serde::Serialize;

use crate::checks::{CheckState, OutcomeRecord};
use crate::dates::rfc3339;
use crate::service::Verifier;
use crate::store::StoreError;
use crate::store::checks::CheckRow;
use crate::store::outbox::{NewEvent, PendingEvent};

/// Events claimed per worker pass.
const BATCH: i64 = 32;
/// Seconds an attempt holds its claim on an event (beyond the request timeout).
const LEASE_MARGIN: i64 = 30;
/// Longest error text kept for the operator.
const MAX_ERROR: usize = 200;

/// The JSON body of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event<'a> {
    /// `check.completed`, `check.failed` or `check.expired`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event happened, RFC 3339 UTC.
    pub timestamp: String,
    /// What happened.
    pub data: EventData<'a>,
}

/// The `data` of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventData<'a> {
    /// The check.
    pub check_id: &'a str,
    /// Its new state.
    pub state: &'static str,
    /// `compliant`, `not_eligible` or `rejected`.
    pub outcome: &'static str,
    /// `outcome == compliant`.
    pub compliant: bool,
    /// The stable reason codes.
    pub reasons: Vec<&'static str>,
    /// The tenant's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
}

/// What one worker pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Acknowledged with a 2xx.
    pub delivered: usize,
    /// Failed and scheduled again.
    pub retried: usize,
    /// Failed for the last time.
    pub dead: usize,
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

    /// Attempts every due event once; returns what happened.
    pub async fn deliver_due_events(&self) -> Result<DeliveryReport, StoreError> {
        let now = self.clock.now();
        let timeout = i64::try_from(self.settings.webhooks.timeout_secs).unwrap_or(i64::MAX);
        let events = self
            .store
            .claim_due_events(now, timeout.saturating_add(LEASE_MARGIN), BATCH)
            .await?;
        let mut report = DeliveryReport::default();
        let mut secrets: BTreeMap<String, Option<String>> = BTreeMap::new();
        for event in events {
            if !secrets.contains_key(&event.tenant_id) {
                let secret = self
                    .store
                    .load_tenant(&event.tenant_id)
                    .await?
                    .map(|t| t.webhook_secret);
                secrets.insert(event.tenant_id.clone(), secret);
            }
            let secret = secrets.get(&event.tenant_id).cloned().flatten();
            // The backoff counts from when the attempt started, however long it took.
            let started = self.clock.now();
            let attempt = match secret {
                Some(secret) => self.attempt(&event, &secret, started).await,
                None => Err((None, "the tenant no longer exists".to_owned())),
            };
            match attempt {
                Ok(status) => {
                    self.store
                        .mark_event_delivered(&event.event_id, status, self.clock.now())
                        .await?;
                    tracing::info!(
                        webhook.event_id = %event.event_id, webhook.status = status,
                        "webhook delivered"
                    );
                    report.delivered += 1;
                }
                Err((status, error)) => {
                    let attempts = event.attempts + 1;
                    let give_up = attempts >= self.settings.webhooks.max_attempts;
                    let next = started + self.retry_delay(attempts);
                    self.store
                        .mark_event_failed(&event.event_id, status, &error, next, give_up)
                        .await?;
                    tracing::warn!(
                        webhook.event_id = %event.event_id, webhook.attempts = attempts,
                        webhook.status = ?status, webhook.error = %error, webhook.dead = give_up,
                        "webhook delivery failed"
                    );
                    if give_up {
                        report.dead += 1;
                    } else {
                        report.retried += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// One POST stamped `timestamp`; `Ok(status)` on a 2xx, else the status (if any) and why.
    async fn attempt(
        &self,
        event: &PendingEvent,
        secret: &str,
        timestamp: i64,
    ) -> Result<i64, (Option<i64>, String)> {
        let signature = signature::sign(secret, &event.event_id, timestamp, &event.payload)
            .map_err(|e| (None, e.to_string()))?;
        let response = self
            .webhook_client
            .post(&event.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::WEBHOOK_ID, &event.event_id)
            .header(signature::WEBHOOK_TIMESTAMP, timestamp.to_string())
            .header(signature::WEBHOOK_SIGNATURE, signature)
            .body(event.payload.clone())
            .send()
            .await
            .map_err(|e| {
                let reason = if let Some(tls) = idv_service_kit::tls::tls_failure(&e) {
                    tls.to_string()
                } else if e.is_timeout() {
                    "timed out".to_owned()
                } else if e.is_connect() {
                    "connection failed".to_owned()
                } else {
                    "request failed".to_owned()
                };
                (None, reason)
            })?;
        let status = i64::from(response.status().as_u16());
        if response.status().is_success() {
            Ok(status)
        } else {
            let mut reason = format!("HTTP {status}");
            reason.truncate(MAX_ERROR);
            Err((Some(status), reason))
        }
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
