//! What the register tells the operator's monitoring: whether it can serve (`/readyz`) and the
//! published trust list's gauges (`/metrics`), read from the stored list, never signing one.

use std::sync::Arc;

use idv_jose::Clock;
use idv_service_kit::http::Readiness;
use idv_service_kit::http::readiness::database_answers;

use crate::store::Store;

/// Readiness and the gauges read at scrape time. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Operations {
    store: Store,
    clock: Arc<dyn Clock>,
    list_id: Arc<str>,
}

impl Operations {
    pub(super) fn new(store: Store, clock: Arc<dyn Clock>, list_id: &str) -> Self {
        Self {
            store,
            clock,
            list_id: list_id.into(),
        }
    }

    /// Ready when the register's database answers.
    pub async fn readiness(&self) -> Readiness {
        Readiness::new().with("database", database_answers(self.store.database()).await)
    }

    /// Sets the gauges of the last signed list: `idv_trust_list_sequence`,
    /// `idv_trust_list_age_seconds` (now − `iat`) and `idv_trust_list_expires_in_seconds`
    /// (`exp` − now). Before the first list is signed only the sequence (0) is set.
    pub async fn record_list_gauges(&self) {
        let state = match self.store.list_state(&self.list_id).await {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(%error, "metrics: the trust list state could not be read");
                return;
            }
        };
        metrics::gauge!("idv_trust_list_sequence").set(state.sequence as f64);
        if let Some(signed) = state.signed {
            let now = self.clock.now();
            metrics::gauge!("idv_trust_list_age_seconds").set((now - signed.iat) as f64);
            metrics::gauge!("idv_trust_list_expires_in_seconds").set((signed.exp - now) as f64);
        }
    }
}

/// Describes (`# HELP`) the trust framework's gauges; startup calls it once the recorder is
/// installed.
pub fn describe_metrics() {
    metrics::describe_gauge!(
        "idv_trust_list_sequence",
        "Sequence of the last signed trust list"
    );
    metrics::describe_gauge!(
        "idv_trust_list_age_seconds",
        metrics::Unit::Seconds,
        "Seconds since the last signed trust list was issued (iat)"
    );
    metrics::describe_gauge!(
        "idv_trust_list_expires_in_seconds",
        metrics::Unit::Seconds,
        "Seconds until the last signed trust list expires (exp)"
    );
}
