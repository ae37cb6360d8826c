//! The list a [`TrustListClient`] holds, read without fetching: for readiness probes and the
//! trust list gauges a service's `/metrics` shows.

use std::sync::Arc;

use idv_trust::list::VerifiedTrustList;

use super::TrustListClient;

impl TrustListClient {
    /// The list held now, without fetching: `None` when none is held or it has expired.
    pub fn held(&self) -> Option<Arc<VerifiedTrustList>> {
        self.usable_at(self.clock.now()).ok()
    }

    /// Sets the held list's gauges: `idv_trust_list_valid` (1 while an unexpired list is held,
    /// else 0) and, for a held list, `idv_trust_list_sequence`, `idv_trust_list_age_seconds`
    /// (now − `iat`) and `idv_trust_list_expires_in_seconds` (`exp` − now).
    pub fn record_gauges(&self) {
        let now = self.clock.now();
        let held = self.held();
        metrics::gauge!("idv_trust_list_valid").set(if held.is_some() { 1.0 } else { 0.0 });
        if let Some(list) = held {
            metrics::gauge!("idv_trust_list_sequence").set(list.sequence() as f64);
            metrics::gauge!("idv_trust_list_age_seconds").set((now - list.iat()) as f64);
            metrics::gauge!("idv_trust_list_expires_in_seconds").set((list.exp() - now) as f64);
        }
    }
}

/// Describes (`# HELP`) the metrics this crate records: the trust list gauges and the status
/// list cache counters. A service calls it once after installing its recorder.
pub fn describe_metrics() {
    metrics::describe_gauge!(
        "idv_trust_list_valid",
        "1 while an unexpired trust list is held, else 0"
    );
    metrics::describe_gauge!(
        "idv_trust_list_sequence",
        "Sequence of the trust list held (trust framework: the last signed)"
    );
    metrics::describe_gauge!(
        "idv_trust_list_age_seconds",
        metrics::Unit::Seconds,
        "Seconds since the held trust list was issued (iat)"
    );
    metrics::describe_gauge!(
        "idv_trust_list_expires_in_seconds",
        metrics::Unit::Seconds,
        "Seconds until the held trust list expires (exp); checks are refused after it"
    );
    metrics::describe_counter!(
        "idv_status_list_cache_hits_total",
        "Credential status lookups answered from the status list cache"
    );
    metrics::describe_counter!(
        "idv_status_list_cache_misses_total",
        "Credential status lookups that fetched the status list"
    );
}
