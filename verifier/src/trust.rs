//! [`TrustSources`]: what the verifier decides with and fetches for it: the trust list (held,
//! refreshed in the background), the status lists and the credential types the list pins.
//! Shared by check creation (is the relying party listed?), the wallet-facing exchange
//! (verifying a presentation) and operations (readiness, gauges).

use std::sync::Arc;
use std::time::Duration;

use idv_fetch::TrustClientError;
use idv_fetch::http::{FetchError, FetchPolicy, Fetcher};
use idv_fetch::status_list::{DEFAULT_MAX_ENTRIES, StatusListClient};
use idv_fetch::trust_list::TrustListClient;
use idv_fetch::type_metadata::TypeMetadataClient;
use idv_jose::{Clock, Random};
use idv_status_list::verify::StatusPolicy;
use idv_trust::list::{ListPolicy, VerifiedTrustList};

use crate::config::Settings;
use crate::store::Store;

/// Seconds a refetch of the trust list for a relying party it does not show as active waits
/// after any fetch, so that such requests cannot hammer the trust framework.
pub const MISS_REFETCH_SECS: i64 = 5;
/// Longest a check creation waits for that refetch; then the list held decides.
pub const MISS_REFETCH_WAIT: Duration = Duration::from_secs(2);

/// The trust list, status list and credential type clients. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TrustSources {
    pub(crate) trust: Arc<TrustListClient>,
    pub(crate) status: Arc<StatusListClient>,
    /// The credential types the trust list pins (Type Metadata and JSON Schema).
    pub(crate) types: Arc<TypeMetadataClient>,
}

impl TrustSources {
    /// The clients `settings` describe, the trust list's rollback state kept in `store`.
    /// Nothing is fetched yet.
    pub(crate) fn new(
        store: &Store,
        clock: &Arc<dyn Clock>,
        random: &Arc<dyn Random>,
        settings: &Settings,
    ) -> Result<Self, FetchError> {
        let fetcher = Fetcher::with_tls(
            FetchPolicy {
                plain_http: settings.plain_http,
                ..FetchPolicy::default()
            },
            &settings.tls,
        )?;
        let types = TypeMetadataClient::new(fetcher.clone(), Arc::clone(clock));
        let trust = TrustListClient::new(
            settings.trust_list_url.clone(),
            settings.anchors.clone(),
            ListPolicy::default(),
            fetcher.clone(),
            Arc::new(store.database().clone()),
            Arc::clone(clock),
            Arc::clone(random),
        )
        .with_max_age(settings.trust_refresh_secs);
        let status = StatusListClient::new(
            fetcher,
            Arc::clone(clock),
            Arc::clone(random),
            StatusPolicy::default(),
            DEFAULT_MAX_ENTRIES,
        )
        .with_cache_secs(settings.status_cache_secs);
        Ok(Self {
            trust: Arc::new(trust),
            status: Arc::new(status),
            types: Arc::new(types),
        })
    }

    /// The trust list client (for an operator-triggered refresh).
    pub fn trust_list(&self) -> &TrustListClient {
        &self.trust
    }

    /// The trust list to decide with: the held list, at once while it is valid (until its
    /// `exp`). A refresh due (after `next_update`, or `trust.refresh_secs` since the last
    /// fetch, so that a register change reaches every decision within about that time) runs
    /// in the background, spaced by back-off after failures: a hung or unreachable trust
    /// framework never delays a decision while a valid list is held. With none, this waits
    /// for the refresh under way (at most the fetch timeout) or fails closed.
    pub(crate) async fn current(&self) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        self.trust.current().await
    }

    /// The trust list fetched again for a relying party the held one does not show as active
    /// (added to the register, or reinstated, since it was fetched), unless any fetch was
    /// attempted in the last [`MISS_REFETCH_SECS`] seconds or a back-off holds; waits at most
    /// [`MISS_REFETCH_WAIT`] for it, then decides on the list then held.
    pub(crate) async fn after_miss(&self) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        self.trust
            .refresh_if_older_than(MISS_REFETCH_SECS, MISS_REFETCH_WAIT)
            .await
    }

    /// One pass of the background refresher: starts a refresh of the trust list when one is
    /// due, without waiting for it (a failure is logged by the refresh, the held list kept).
    pub(crate) fn refresh_if_due(&self) {
        self.trust.refresh_if_due();
    }
}
