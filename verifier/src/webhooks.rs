//! Webhooks: when a check ends (`completed`, `failed`, `expired`) and it names a
//! `webhook_url`, an event is written to the outbox in the same transaction as the state
//! change, then delivered by [`Webhooks::run_delivery`] (the background worker in
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
//! What an event says is the checks' business ([`crate::checks::events`]): this module only
//! delivers what the outbox holds.

pub mod address;
pub mod breaker;
pub mod delivery;
pub mod destination;
pub mod signature;

use std::sync::Arc;

use idv_jose::Clock;

pub use self::delivery::Delivery;
use crate::config::{Settings, WebhookSettings};
use crate::store::Store;

/// Webhook delivery: the outbox worker over the store, with its clients, caps and circuit
/// breakers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Webhooks {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Arc<WebhookSettings>,
    delivery: Arc<Delivery>,
}

impl Webhooks {
    /// The delivery worker `settings` describe, on `store`.
    pub(crate) fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Result<Self, reqwest::Error> {
        let delivery = Delivery::new(
            &settings.webhooks,
            &settings.webhook_allow_hosts,
            &settings.tls,
        )?;
        Ok(Self {
            store,
            clock,
            settings: Arc::new(settings.webhooks.clone()),
            delivery: Arc::new(delivery),
        })
    }

    /// Seconds before attempt `attempts + 1`: `retry_initial_secs · 2^(attempts-1)`, capped.
    fn retry_delay(&self, attempts: i64) -> i64 {
        let settings = &self.settings;
        let exponent = u32::try_from((attempts - 1).clamp(0, 32)).unwrap_or(32);
        settings
            .retry_initial_secs
            .saturating_mul(2_i64.saturating_pow(exponent))
            .min(settings.retry_max_secs)
    }
}
