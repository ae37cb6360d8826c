//! Delivery: every `poll_interval_ms` the worker reads the due events and starts an attempt for
//! each one it has room for, each in its own task, so that one slow or dead receiver holds
//! only its own slots:
//!
//! - at most `max_in_flight` attempts at once, `max_in_flight_per_tenant` for one tenant and
//!   `max_in_flight_per_host` to one `host:port`; events beyond a cap wait in the database
//!   (and are left out of the next read, so they do not crowd out other tenants' events);
//! - connecting is bounded by `connect_timeout_secs`, the whole attempt by `timeout_secs`;
//! - each attempt claims its event in the database just before it starts (a lease of
//!   `connect_timeout_secs + timeout_secs + 30` seconds, renewed while it is still sending), so
//!   instances sharing the database never attempt one event at the same time, and an attempt
//!   whose lease was lost (taken over by another instance after an expiry) is abandoned and
//!   not recorded;
//! - a circuit breaker per host ([`super::breaker`]) stops sending to a failing host.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idv_service_kit::tls::ClientTls;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::breaker::{Admission, Breakers};
use super::destination::{
    AllowHosts, Destination, PublicResolver, check_webhook_url, non_public_refusal,
};
use super::{Webhooks, signature};
use crate::config::WebhookSettings;
use crate::store::StoreError;
use crate::store::outbox::{AttemptFailure, PendingEvent};

/// Seconds a lease lasts beyond the connect and request timeouts.
const LEASE_MARGIN: i64 = 30;
/// How often an attempt still sending looks at its lease (real time).
const LEASE_CHECK: Duration = Duration::from_millis(250);
/// Most events read per pass.
const SCAN: i64 = 128;
/// Most tenants or URLs left out of a read by name.
const MAX_SKIPPED: usize = 100;
/// Longest error text kept for the operator.
const MAX_ERROR: usize = 200;

/// The webhook delivery machinery of one instance: its HTTP clients, caps and breakers.
#[derive(Debug)]
pub struct Delivery {
    /// For every destination not allow-listed: non-public addresses dropped at resolution.
    public: reqwest::Client,
    /// For allow-listed destinations.
    allow_listed: reqwest::Client,
    allow_hosts: AllowHosts,
    breakers: Breakers,
    in_flight: Arc<Mutex<InFlight>>,
    settings: WebhookSettings,
}

/// Attempts under way in this instance.
#[derive(Debug, Default)]
struct InFlight {
    total: usize,
    tenants: BTreeMap<String, usize>,
    /// Per host: attempts, and the URLs they go to.
    hosts: BTreeMap<String, (usize, BTreeMap<String, usize>)>,
}

/// One attempt's place in the caps, given back when dropped (also if its task panics).
struct Slot {
    in_flight: Arc<Mutex<InFlight>>,
    tenant: String,
    host: String,
    url: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        in_flight.total = in_flight.total.saturating_sub(1);
        decrement(&mut in_flight.tenants, &self.tenant);
        if let Some((count, urls)) = in_flight.hosts.get_mut(&self.host) {
            *count = count.saturating_sub(1);
            decrement(urls, &self.url);
            if *count == 0 {
                in_flight.hosts.remove(&self.host);
            }
        }
    }
}

fn decrement(map: &mut BTreeMap<String, usize>, key: &str) {
    if let Some(count) = map.get_mut(key) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            map.remove(key);
        }
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    status: Option<i64>,
    error: String,
    /// Counts against the host's breaker (no answer, a timeout, 5xx or 429).
    host_failed: bool,
}

impl Failure {
    fn new(status: Option<i64>, error: impl Into<String>, host_failed: bool) -> Self {
        let mut error = error.into();
        error.truncate(MAX_ERROR);
        Self {
            status,
            error,
            host_failed,
        }
    }
}

impl Delivery {
    /// The clients (outbound TLS per `tls`, no redirects, no proxy, the connect and request
    /// timeouts) and empty caps and breakers.
    pub fn new(
        settings: &WebhookSettings,
        allow_hosts: &AllowHosts,
        tls: &ClientTls,
    ) -> Result<Self, reqwest::Error> {
        let client = |resolver: PublicResolver| {
            tls.client_builder()
                .no_proxy()
                .dns_resolver(Arc::new(resolver))
                .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
                .timeout(Duration::from_secs(settings.timeout_secs))
                .user_agent(concat!(
                    "federated-idv-verifier/",
                    env!("CARGO_PKG_VERSION")
                ))
                .build()
        };
        Ok(Self {
            public: client(PublicResolver::strict())?,
            allow_listed: client(PublicResolver::allowing(allow_hosts))?,
            allow_hosts: allow_hosts.clone(),
            breakers: Breakers::new(settings.breaker_failures, settings.breaker_open_secs),
            in_flight: Arc::default(),
            settings: settings.clone(),
        })
    }

    /// Seconds an attempt's lease lasts.
    fn lease_secs(&self) -> i64 {
        let secs = self
            .settings
            .connect_timeout_secs
            .saturating_add(self.settings.timeout_secs);
        i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .saturating_add(LEASE_MARGIN)
    }

    /// The tenants and URLs no attempt can start for now (at their cap).
    fn saturated(&self) -> (Vec<String>, Vec<String>) {
        let in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let tenants = in_flight
            .tenants
            .iter()
            .filter(|(_, n)| **n >= self.settings.max_in_flight_per_tenant)
            .map(|(t, _)| t.clone())
            .take(MAX_SKIPPED)
            .collect();
        let urls = in_flight
            .hosts
            .values()
            .filter(|(n, _)| *n >= self.settings.max_in_flight_per_host)
            .flat_map(|(_, urls)| urls.keys().cloned())
            .take(MAX_SKIPPED)
            .collect();
        (tenants, urls)
    }

    /// Takes a slot for an attempt of `tenant` to `destination`, if every cap has room.
    fn take_slot(&self, tenant: &str, destination: &Destination, url: &str) -> Option<Slot> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let settings = &self.settings;
        let tenant_count = in_flight.tenants.get(tenant).copied().unwrap_or(0);
        let host_count = in_flight
            .hosts
            .get(&destination.host)
            .map_or(0, |(n, _)| *n);
        if in_flight.total >= settings.max_in_flight
            || tenant_count >= settings.max_in_flight_per_tenant
            || host_count >= settings.max_in_flight_per_host
        {
            return None;
        }
        in_flight.total += 1;
        *in_flight.tenants.entry(tenant.to_owned()).or_default() += 1;
        let (count, urls) = in_flight.hosts.entry(destination.host.clone()).or_default();
        *count += 1;
        *urls.entry(url.to_owned()).or_default() += 1;
        Some(Slot {
            in_flight: Arc::clone(&self.in_flight),
            tenant: tenant.to_owned(),
            host: destination.host.clone(),
            url: url.to_owned(),
        })
    }

    fn full(&self) -> bool {
        let in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        in_flight.total >= self.settings.max_in_flight
    }
}

impl Webhooks {
    /// Delivers webhooks until `stopped` turns true, then waits for the attempts under way
    /// (each ends within the request timeout).
    pub async fn run_delivery(&self, mut stopped: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        let mut attempts = JoinSet::new();
        loop {
            tokio::select! {
                changed = stopped.changed() => {
                    if changed.is_err() || *stopped.borrow() {
                        break;
                    }
                }
                () = tokio::time::sleep(poll) => {
                    while let Some(done) = attempts.try_join_next() {
                        if let Err(error) = done {
                            tracing::error!(%error, "webhook attempt task failed");
                        }
                    }
                    if let Err(error) = self.start_due_attempts(&mut attempts).await {
                        tracing::error!(%error, "webhook outbox pass failed");
                    }
                }
            }
        }
        while attempts.join_next().await.is_some() {}
    }

    /// Starts an attempt for every due event there is room for; returns how many started.
    pub(crate) async fn start_due_attempts(
        &self,
        attempts: &mut JoinSet<()>,
    ) -> Result<usize, StoreError> {
        let delivery = &self.delivery;
        if delivery.full() {
            return Ok(0);
        }
        let now = self.clock.now();
        let (skip_tenants, skip_urls) = delivery.saturated();
        let events = self
            .store
            .due_events(now, SCAN, &skip_tenants, &skip_urls)
            .await?;
        let mut started = 0;
        for event in events {
            if delivery.full() {
                break;
            }
            let destination = match check_webhook_url(&event.url, &delivery.allow_hosts) {
                Ok(destination) => destination,
                Err(refused) => {
                    // The rules (or `allow_hosts`) changed since the check was created.
                    let failure = Failure::new(None, refused.to_string(), false);
                    self.fail_unsent(&event, now, &failure, now).await?;
                    continue;
                }
            };
            let Some(slot) = delivery.take_slot(&event.tenant_id, &destination, &event.url) else {
                continue;
            };
            let admission = delivery.breakers.admit(&destination.host, now);
            if let Admission::OpenUntil(until) = admission {
                let failure = Failure::new(None, "circuit open: the host failed repeatedly", false);
                self.fail_unsent(&event, now, &failure, until).await?;
                continue;
            }
            let lease_until = now.saturating_add(delivery.lease_secs());
            let Some(lease) = self.store.claim_event(&event, now, lease_until).await? else {
                if admission == Admission::Trial {
                    delivery.breakers.release_trial(&destination.host);
                }
                continue;
            };
            let webhooks = self.clone();
            attempts.spawn(async move {
                let _slot = slot;
                if let Err(error) = webhooks
                    .attempt_under_lease(event, destination, lease)
                    .await
                {
                    tracing::error!(%error, "webhook attempt not recorded");
                }
            });
            started += 1;
        }
        Ok(started)
    }

    /// Records a failure without sending (refused destination, open breaker): claims the
    /// event, then schedules it no earlier than `not_before`.
    async fn fail_unsent(
        &self,
        event: &PendingEvent,
        now: i64,
        failure: &Failure,
        not_before: i64,
    ) -> Result<(), StoreError> {
        let lease_until = now.saturating_add(self.delivery.lease_secs());
        if let Some(lease) = self.store.claim_event(event, now, lease_until).await? {
            self.record_failure(event, lease, failure, now, not_before)
                .await?;
        }
        Ok(())
    }

    async fn record_failure(
        &self,
        event: &PendingEvent,
        lease: i64,
        failure: &Failure,
        started: i64,
        not_before: i64,
    ) -> Result<(), StoreError> {
        let attempts = event.attempts + 1;
        let give_up = attempts >= self.settings.max_attempts;
        let next_attempt_at = (started + self.retry_delay(attempts)).max(not_before);
        let recorded = self
            .store
            .mark_event_failed(
                &event.event_id,
                lease,
                &AttemptFailure {
                    status: failure.status,
                    error: &failure.error,
                    next_attempt_at,
                    give_up,
                },
            )
            .await?;
        if recorded {
            metrics::counter!(
                "idv_verifier_webhook_attempts_total",
                "result" => if give_up { "given_up" } else { "failed" }
            )
            .increment(1);
            tracing::warn!(
                webhook.event_id = %event.event_id, webhook.attempts = attempts,
                webhook.status = ?failure.status, webhook.error = %failure.error,
                webhook.dead = give_up, "webhook delivery failed"
            );
        }
        Ok(())
    }

    /// One attempt of a claimed event: sends while keeping the lease, then records the result
    /// under it.
    async fn attempt_under_lease(
        &self,
        event: PendingEvent,
        destination: Destination,
        mut lease: i64,
    ) -> Result<(), StoreError> {
        let delivery = &self.delivery;
        // The backoff counts from when the attempt started, however long it took.
        let started = self.clock.now();
        let secret = self
            .store
            .load_tenant(&event.tenant_id)
            .await?
            .map(|t| t.webhook_secret);
        let send = async {
            match &secret {
                Some(secret) => self.send(&event, &destination, secret, started).await,
                None => Err(Failure::new(None, "the tenant no longer exists", false)),
            }
        };
        tokio::pin!(send);
        let mut check = tokio::time::interval(LEASE_CHECK);
        let result = loop {
            tokio::select! {
                result = &mut send => break result,
                _ = check.tick() => {
                    let now = self.clock.now();
                    let lease_secs = delivery.lease_secs();
                    if lease - now > lease_secs / 2 {
                        continue;
                    }
                    if !self.store.renew_lease(&event.event_id, lease, now + lease_secs).await? {
                        tracing::warn!(
                            webhook.event_id = %event.event_id,
                            "webhook lease lost to another instance: attempt abandoned"
                        );
                        delivery.breakers.release_trial(&destination.host);
                        return Ok(());
                    }
                    lease = now + lease_secs;
                }
            }
        };
        let now = self.clock.now();
        match result {
            Ok(status) => {
                delivery.breakers.record(&destination.host, true, now);
                if self
                    .store
                    .mark_event_delivered(&event.event_id, lease, status, now)
                    .await?
                {
                    metrics::counter!("idv_verifier_webhook_attempts_total", "result" => "delivered")
                        .increment(1);
                    tracing::info!(
                        webhook.event_id = %event.event_id, webhook.status = status,
                        "webhook delivered"
                    );
                }
            }
            Err(failure) => {
                let opened = if failure.host_failed {
                    delivery.breakers.record(&destination.host, false, now)
                } else {
                    delivery.breakers.release_trial(&destination.host);
                    false
                };
                if opened {
                    tracing::warn!(
                        webhook.host = %destination.host,
                        "webhook host failing: circuit breaker open"
                    );
                }
                self.record_failure(&event, lease, &failure, started, started)
                    .await?;
            }
        }
        Ok(())
    }

    /// One POST stamped `timestamp`; `Ok(status)` on a 2xx.
    async fn send(
        &self,
        event: &PendingEvent,
        destination: &Destination,
        secret: &str,
        timestamp: i64,
    ) -> Result<i64, Failure> {
        let signature = signature::sign(secret, &event.event_id, timestamp, &event.payload)
            .map_err(|e| Failure::new(None, e.to_string(), false))?;
        let client = if destination.allow_listed {
            &self.delivery.allow_listed
        } else {
            &self.delivery.public
        };
        let response = client
            .post(&event.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::WEBHOOK_ID, &event.event_id)
            .header(signature::WEBHOOK_TIMESTAMP, timestamp.to_string())
            .header(signature::WEBHOOK_SIGNATURE, signature)
            .body(event.payload.clone())
            .send()
            .await
            .map_err(|e| {
                if let Some(refusal) = non_public_refusal(&e) {
                    Failure::new(None, format!("destination refused: {refusal}"), false)
                } else if let Some(tls) = idv_service_kit::tls::tls_failure(&e) {
                    Failure::new(None, tls.to_string(), true)
                } else if e.is_timeout() {
                    Failure::new(None, "timed out", true)
                } else if e.is_connect() {
                    Failure::new(None, "connection failed", true)
                } else {
                    Failure::new(None, "request failed", true)
                }
            })?;
        let status = response.status();
        let code = i64::from(status.as_u16());
        if status.is_success() {
            Ok(code)
        } else {
            // RFC 9110 §15.6: 5xx, the server failed; RFC 6585 §4: 429, too many requests.
            let host_failed =
                status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
            Err(Failure::new(
                Some(code),
                format!("HTTP {code}"),
                host_failed,
            ))
        }
    }
}
