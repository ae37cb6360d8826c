//! What the register tells the operator's monitoring: whether it can serve (`/readyz`) and the
//! published trust list's gauges (`/metrics`), read from the stored list, never signing one.

use idv_service_kit::http::Readiness;
use idv_service_kit::http::readiness::database_answers;

use super::Handles;

/// Readiness and the gauges read at scrape time. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Operations {
    handles: Handles,
}

impl Operations {
    pub(super) fn new(handles: Handles) -> Self {
        Self { handles }
    }

    /// Ready when the register's database answers.
    pub async fn readiness(&self) -> Readiness {
        Readiness::new().with(
            "database",
            database_answers(self.handles.store.database()).await,
        )
    }

    /// Sets the gauges of the last signed list: `idv_trust_list_sequence`,
    /// `idv_trust_list_age_seconds` (now − `iat`) and `idv_trust_list_expires_in_seconds`
    /// (`exp` − now). Before the first list is signed only the sequence (0) is set.
    pub async fn record_list_gauges(&self) {
        let state = match self
            .handles
            .store
            .list_state(&self.handles.settings.list_id)
            .await
        {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(%error, "metrics: the trust list state could not be read");
                return;
            }
        };
        metrics::gauge!("idv_trust_list_sequence").set(state.sequence as f64);
        if let Some(signed) = state.signed {
            let now = self.handles.clock.now();
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
