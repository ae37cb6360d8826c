//! What the verifier tells its operator's monitoring: whether this instance can take checks
//! (`/readyz`) and the gauges `/metrics` reads at scrape time. Counters are recorded where
//! things happen: `idv_verifier_checks_created_total` ([`crate::checks`]) and
//! `idv_verifier_checks_finished_total` / `idv_verifier_check_reasons_total`
//! ([`crate::checks`]).

use std::sync::Arc;
use std::time::Duration;

use idv_jose::Clock;
use idv_service_kit::http::Readiness;
use idv_service_kit::http::readiness::database_answers;

use crate::store::Store;
use crate::trust::TrustSources;

/// Longest a readiness probe waits for a trust list when none is held.
const TRUST_LIST_TIMEOUT: Duration = Duration::from_secs(2);

/// Readiness and the scrape-time gauges, over the store and the trust sources. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Operations {
    store: Store,
    clock: Arc<dyn Clock>,
    trust: TrustSources,
}

impl Operations {
    /// Operations over `store` and `trust`.
    pub(crate) fn new(store: Store, clock: Arc<dyn Clock>, trust: TrustSources) -> Self {
        Self {
            store,
            clock,
            trust,
        }
    }

    /// Ready when the database answers and a valid (unexpired) trust list is held: without
    /// one every check would be refused. When none is held the probe asks for one the way a
    /// check would (fetched only when due, with the client's back-off), waiting at most
    /// [`TRUST_LIST_TIMEOUT`].
    pub async fn readiness(&self) -> Readiness {
        let database = database_answers(self.store.database()).await;
        let trust_list = self.trust.trust.held().is_some()
            || matches!(
                tokio::time::timeout(TRUST_LIST_TIMEOUT, self.trust.current()).await,
                Ok(Ok(_))
            );
        Readiness::new()
            .with("database", database)
            .with("trust_list", trust_list)
    }

    /// Sets the gauges read at scrape time: the held trust list's (`idv_trust_list_*`) and the
    /// webhook outbox backlog's (`idv_verifier_webhook_events{state}`,
    /// `idv_verifier_webhook_events_retrying`, `idv_verifier_webhook_oldest_pending_age_seconds`).
    /// A database failure leaves the outbox gauges as they were (and is logged).
    pub async fn record_gauges(&self) {
        self.trust.trust.record_gauges();
        match self.store.outbox_backlog().await {
            Ok(backlog) => {
                metrics::gauge!("idv_verifier_webhook_events", "state" => "pending")
                    .set(backlog.pending as f64);
                metrics::gauge!("idv_verifier_webhook_events", "state" => "dead")
                    .set(backlog.dead as f64);
                metrics::gauge!("idv_verifier_webhook_events_retrying")
                    .set(backlog.retrying as f64);
                let oldest = backlog
                    .oldest_pending_at
                    .map_or(0, |at| (self.clock.now() - at).max(0));
                metrics::gauge!("idv_verifier_webhook_oldest_pending_age_seconds")
                    .set(oldest as f64);
            }
            Err(error) => tracing::warn!(%error, "metrics: the webhook outbox could not be read"),
        }
    }
}

/// Describes (`# HELP`) the verifier's metrics; startup calls it once the recorder is installed.
pub fn describe_metrics() {
    idv_fetch::trust_list::describe_metrics();
    metrics::describe_counter!(
        "idv_verifier_checks_created_total",
        "Checks created, by template"
    );
    metrics::describe_counter!(
        "idv_verifier_checks_ended_total",
        "Checks ended by a wallet response or expiry, by template, state (completed, failed, \
         expired) and outcome"
    );
    metrics::describe_counter!(
        "idv_verifier_check_reasons_total",
        "Reason codes of ended checks, by template and reason"
    );
    metrics::describe_gauge!(
        "idv_verifier_webhook_events",
        "Undelivered webhook events in the outbox, by state (pending, dead)"
    );
    metrics::describe_counter!(
        "idv_verifier_webhook_attempts_total",
        "Webhook delivery attempts, by result (delivered, failed, given_up: the last one failed)"
    );
    metrics::describe_gauge!(
        "idv_verifier_webhook_events_retrying",
        "Pending webhook events that have failed at least once"
    );
    metrics::describe_gauge!(
        "idv_verifier_webhook_oldest_pending_age_seconds",
        metrics::Unit::Seconds,
        "Age of the oldest pending webhook event (0 when none)"
    );
}
