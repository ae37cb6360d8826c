//! The list a [`TrustListClient`] holds, read without fetching: for readiness probes and the
//! trust list gauges a service's `/metrics` shows.

use std::sync::Arc;

use idv_trust::list::VerifiedTrustList;

use super::TrustListClient;

impl TrustListClient {
    /// The list held now, without fetching: `None` when none is held or it has expired.
    pub async fn held(&self) -> Option<Arc<VerifiedTrustList>> {
        self.cache.read().await.current(self.clock.now()).ok()
    }

    /// Sets the held list's gauges: `idv_trust_list_valid` (1 while an unexpired list is held,
    /// else 0) and, for a held list, `idv_trust_list_sequence`, `idv_trust_list_age_seconds`
    /// (now − `iat`) and `idv_trust_list_expires_in_seconds` (`exp` − now).
    pub async fn record_gauges(&self) {
        let now = self.clock.now();
        let held = self.held().await;
        metrics::gauge!("idv_trust_list_valid").set(if held.is_some() { 1.0 } else { 0.0 });
        if let Some(list) = held {
            metrics::gauge!("idv_trust_list_sequence").set(list.sequence() as f64);
            metrics::gauge!("idv_trust_list_age_seconds").set((now - list.iat()) as f64);
            metrics::gauge!("idv_trust_list_expires_in_seconds").set((list.exp() - now) as f64);
        }
    }
}
