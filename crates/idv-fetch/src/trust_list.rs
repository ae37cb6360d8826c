//! The trust list a service decides with: fetched from the operator, verified against anchors
//! pinned in configuration, checked against the rollback state persisted in the service's own
//! database, refreshed after `next_update` (or sooner: [`TrustListClient::with_max_age`],
//! [`TrustListClient::refresh_if_older_than`]), and refused after `exp`.
//!
//! The state is kept behind a [`RollbackStore`]: a service hands the client its own database
//! (an `idv_service_kit::Database` is one, on the `trust_list_state` table of its migrations),
//! tests one in memory. It is read at every refresh that brings a list, so several instances
//! sharing one database can never accept a list older than one another instance accepted, and
//! a restart cannot reopen a rollback window.
//!
//! **Decisions never wait on the operator while a valid list is held.** A due refresh runs in
//! a background task (one at a time per client); [`TrustListClient::current`] hands out the
//! held list at once and only a caller with no usable list (none yet, or past its `exp`) waits,
//! for at most the fetch's own timeout. No lock a decision takes is held across the network
//! call. After a failed refresh the next one waits a [`Backoff`] (exponential, capped,
//! jittered), so an operator that hangs or refuses is not asked at every check; a caller with
//! no usable list during the back-off fails closed at once.
//!
//! Refetches are conditional: the client sends the held list's `ETag` as `If-None-Match`
//! (RFC 9110 §13.1.2), and a `304 Not Modified` keeps the held list as it is. Nothing is
//! verified or stored for a 304, and it never extends the held list's use: `exp` still ends
//! it, and a 304 for a list whose `next_update` has passed counts as a failed refresh.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use idv_jose::{Clock, Random};
use idv_proto::trust::trust_list::TRUST_LIST_TYP;
use idv_trust::TrustError;
use idv_trust::anchors::TrustAnchors;
use idv_trust::cache::TrustListCache;
use idv_trust::list::{ListPolicy, VerifiedTrustList};
use idv_trust::rollback::TrustListState;
use tokio::sync::watch;

use crate::backoff::Backoff;
use crate::http::{FetchError, Fetcher};

mod database;
mod held;
mod rollback_store;

pub use held::describe_metrics;
pub use rollback_store::{RollbackStore, RollbackStoreError, StoreFuture};

/// Why no trust list can be used, or a refresh failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustClientError {
    /// The list could not be fetched.
    #[error("trust list fetch failed: {0}")]
    Fetch(#[from] FetchError),
    /// The list was fetched but rejected, or none is usable (expired, never fetched).
    #[error("trust list rejected: {0}")]
    Trust(#[from] TrustError),
    /// The fetched body is not text.
    #[error("trust list is not UTF-8")]
    NotText,
    /// The rollback state could not be read or saved.
    #[error("trust list state storage failed")]
    Storage(#[from] RollbackStoreError),
    /// Another instance saved a different state concurrently; the next refresh re-reads it.
    #[error("trust list state changed concurrently")]
    ConcurrentUpdate,
    /// The operator answered `304 Not Modified` for a held list whose `next_update` has
    /// passed: nothing newer was obtained.
    #[error("trust list not modified although its next_update has passed")]
    NotModifiedPastNextUpdate,
}

/// What the refreshes so far have left behind. Locked only for moments, never across an
/// `await`.
#[derive(Debug, Default)]
struct Schedule {
    /// When the last fetch was attempted, whatever its result (Unix seconds).
    attempted_at: Option<i64>,
    /// Consecutive failed attempts.
    failures: u32,
    /// No attempt before this time (Unix seconds) unless forced: the back-off.
    retry_at: i64,
    /// The `ETag` the held list was served with.
    etag: Option<String>,
    /// The background refresh under way: its channel closes when it ends.
    in_flight: Option<watch::Receiver<()>>,
}

/// The state every clone of a client shares.
#[derive(Debug)]
struct Shared {
    cache: RwLock<TrustListCache>,
    /// The compact form of the list in use.
    compact: Mutex<Option<Arc<str>>>,
    schedule: Mutex<Schedule>,
    /// Serialises fetches (a background refresh and a forced one). Held across the network
    /// call, so only callers that must wait for a fetch anyway ever take it.
    fetching: tokio::sync::Mutex<()>,
}

/// Fetches, verifies, persists and holds the trust list. Clones share the list and the
/// refresh schedule.
#[derive(Debug, Clone)]
pub struct TrustListClient {
    url: String,
    fetcher: Fetcher,
    rollback: Arc<dyn RollbackStore>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    backoff: Backoff,
    max_age: Option<i64>,
    shared: Arc<Shared>,
}

impl TrustListClient {
    /// A client for the list at `url`, verified with `anchors` under `policy`, its rollback
    /// state kept in `rollback`, its back-off jittered by `random`. Nothing is fetched until
    /// first use.
    pub fn new(
        url: impl Into<String>,
        anchors: TrustAnchors,
        policy: ListPolicy,
        fetcher: Fetcher,
        rollback: Arc<dyn RollbackStore>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Self {
        Self {
            url: url.into(),
            fetcher,
            rollback,
            clock,
            random,
            backoff: Backoff::TRUST_LIST,
            max_age: None,
            shared: Arc::new(Shared {
                cache: RwLock::new(TrustListCache::new(anchors, policy)),
                compact: Mutex::new(None),
                schedule: Mutex::new(Schedule::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Refreshes (in the background) also when no fetch was attempted for `secs` seconds,
    /// whatever `next_update` says: how a service bounds the time a register change takes to
    /// reach its decisions.
    #[must_use]
    pub fn with_max_age(mut self, secs: i64) -> Self {
        self.max_age = Some(secs.max(1));
        self
    }

    /// Spaces attempts after failures by `backoff` instead of [`Backoff::TRUST_LIST`].
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The list to decide with now. While a list is held until its `exp` it is returned at
    /// once, and a refresh that is due (after `next_update`, or the max age) starts in the
    /// background. With no usable list, waits for the refresh under way (at most the fetch
    /// timeout), or fails closed at once during the back-off after a failure.
    pub async fn current(&self) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        let now = self.clock.now();
        let held = self.usable_at(now);
        let in_flight = self.start_refresh_if_due(now, None);
        if let Ok(list) = held {
            return Ok(list);
        }
        if let Some(mut done) = in_flight {
            // Closed when the refresh ends, whatever its result.
            let _ = done.changed().await;
        }
        self.usable_at(self.clock.now())
    }

    /// The list to decide with, fetched again first when no fetch was attempted in the last
    /// `secs` seconds (and no back-off holds): for a decision that the held list may be too
    /// old for (an unknown relying party). Waits at most `wait` for that refresh, then answers
    /// as [`Self::current`].
    pub async fn refresh_if_older_than(
        &self,
        secs: i64,
        wait: Duration,
    ) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        let now = self.clock.now();
        if let Some(mut done) = self.start_refresh_if_due(now, Some(secs)) {
            let _ = tokio::time::timeout(wait, done.changed()).await;
        }
        self.current().await
    }

    /// Fetches the list now, whatever `next_update` and the back-off say (an operator-triggered
    /// refresh, a wallet command, tests), waiting for a refresh under way first, and returns
    /// the list then held: a new one, or the held one when the operator answers `304 Not
    /// Modified` before its `next_update`. A failure counts for the back-off.
    pub async fn refresh(&self) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        let _fetching = self.shared.fetching.lock().await;
        self.attempt().await?;
        self.usable_at(self.clock.now())
    }

    /// The compact form of the list in use, for a process that keeps it to [`Self::restore`]
    /// it when it next starts.
    pub fn held_compact(&self) -> Option<Arc<str>> {
        self.shared
            .compact
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts in use, without fetching, a list this service accepted before (its compact form,
    /// as [`Self::held_compact`] gave it): verified again against the anchors and the time
    /// window now (so never after its `exp`) and against the persisted rollback state (so never
    /// a list older than one accepted since). For a short-lived process, such as a wallet
    /// command, to carry on while the operator is unreachable.
    pub async fn restore(&self, compact: &str) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        let now = self.clock.now();
        self.install(compact.trim(), now).await?;
        self.usable_at(now)
    }

    /// Starts a background refresh if one is due now (see [`Self::current`]), without waiting
    /// for anything: a service's periodic pass, so that the list stays fresh while no decision
    /// asks for it. Nothing is fetched before the first use asked for a list. Failures are
    /// logged by the refresh, once per attempt.
    pub fn refresh_if_due(&self) {
        if self.schedule().attempted_at.is_some() {
            self.start_refresh_if_due(self.clock.now(), None);
        }
    }

    /// Waits until no background refresh is under way.
    pub async fn settled(&self) {
        let in_flight = self.schedule().in_flight.clone();
        if let Some(mut done) = in_flight {
            let _ = done.changed().await;
        }
    }

    /// The held list if usable at `now`.
    fn usable_at(&self, now: i64) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        Ok(self
            .shared
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .current(now)?)
    }

    fn schedule(&self) -> MutexGuard<'_, Schedule> {
        self.shared
            .schedule
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a background refresh when one is due at `now` (past `next_update` or none held,
    /// the max age or `older_than` passed since the last attempt, and the back-off over).
    /// Returns the channel of the refresh under way, if any.
    fn start_refresh_if_due(
        &self,
        now: i64,
        older_than: Option<i64>,
    ) -> Option<watch::Receiver<()>> {
        let needs_refresh = self
            .shared
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .needs_refresh(now);
        let mut schedule = self.schedule();
        if let Some(in_flight) = &schedule.in_flight {
            return Some(in_flight.clone());
        }
        let aged = |secs: Option<i64>| {
            secs.is_some_and(|secs| schedule.attempted_at.is_none_or(|at| now >= at + secs))
        };
        let due = needs_refresh || aged(self.max_age) || aged(older_than);
        if !due || now < schedule.retry_at {
            return None;
        }
        let (done, in_flight) = watch::channel(());
        schedule.in_flight = Some(in_flight.clone());
        drop(schedule);
        let client = self.clone();
        tokio::spawn(async move {
            let _ends = InFlight {
                client: client.clone(),
                _done: done,
            };
            let _fetching = client.shared.fetching.lock().await;
            // The outcome is logged and scheduled by `attempt`.
            let _ = client.attempt().await;
        });
        Some(in_flight)
    }

    /// One fetch, its result recorded in the schedule (back-off after a failure) and a
    /// failure logged. The caller holds `fetching`.
    async fn attempt(&self) -> Result<(), TrustClientError> {
        let now = self.clock.now();
        let etag = {
            let mut schedule = self.schedule();
            schedule.attempted_at = Some(now);
            schedule.etag.clone()
        };
        let result = self.fetch_and_install(now, etag).await;
        let mut schedule = self.schedule();
        match &result {
            Ok(etag) => {
                schedule.failures = 0;
                schedule.retry_at = 0;
                if let Some(etag) = etag {
                    schedule.etag.clone_from(etag);
                }
            }
            Err(error) => {
                schedule.failures = schedule.failures.saturating_add(1);
                let delay = self.backoff.delay(schedule.failures, self.random.as_ref());
                schedule.retry_at = self.clock.now().saturating_add(delay);
                tracing::warn!(
                    %error, trust_list.failures = schedule.failures, retry_in_secs = delay,
                    "trust list refresh failed; using the held list until its exp"
                );
            }
        }
        result.map(|_| ())
    }

    /// Fetches (conditionally when a list is held and `etag` is known), verifies, persists and
    /// installs. Returns the new list's `ETag` (`Some(None)`: it had none), or `None` for a
    /// `304`.
    async fn fetch_and_install(
        &self,
        now: i64,
        etag: Option<String>,
    ) -> Result<Option<Option<String>>, TrustClientError> {
        // Only a held list can be confirmed by a 304.
        let held = self.usable_at(now).ok();
        let etag = held.as_ref().and(etag.as_deref());
        let fetched = self
            .fetcher
            .get_if_none_match(&self.url, &format!("application/{TRUST_LIST_TYP}"), etag)
            .await?;
        let now = self.clock.now();
        let Some(fetched) = fetched else {
            let held = held.ok_or(TrustError::NoList)?;
            if now >= held.next_update() {
                return Err(TrustClientError::NotModifiedPastNextUpdate);
            }
            tracing::debug!(
                trust_list.sequence = held.sequence(),
                "trust list not modified"
            );
            return Ok(None);
        };
        let compact = std::str::from_utf8(&fetched.body).map_err(|_| TrustClientError::NotText)?;
        self.install(compact.trim(), now).await?;
        Ok(Some(fetched.etag))
    }

    /// Verifies `compact` at `now` against the anchors and the persisted rollback state,
    /// persists its state when new, and puts it in use.
    async fn install(&self, compact: &str, now: i64) -> Result<(), TrustClientError> {
        let persisted = self.rollback.load().await?;
        let candidate = self
            .shared
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .verify(compact, persisted.as_ref(), now)?;
        if candidate.is_new_state() {
            self.save_state(candidate.state()).await?;
        }
        let sequence = candidate.list().sequence();
        self.shared
            .cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .install(candidate);
        *self
            .shared
            .compact
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::from(compact));
        tracing::info!(trust_list.sequence = sequence, "trust list accepted");
        Ok(())
    }

    /// Saves `state` if it is newer than the stored one (compare-and-set on `sequence`).
    async fn save_state(&self, state: &TrustListState) -> Result<(), TrustClientError> {
        if self.rollback.save_if_newer(state).await? {
            return Ok(());
        }
        // Not newer than the stored state: fine only if another instance stored this very one.
        match self.rollback.load().await? {
            Some(stored) if &stored == state => Ok(()),
            _ => Err(TrustClientError::ConcurrentUpdate),
        }
    }
}

/// Marks the background refresh as ended when dropped (its task finished, failed or was
/// cancelled), then closes its channel, waking whoever waits for it.
struct InFlight {
    client: TrustListClient,
    _done: watch::Sender<()>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.client.schedule().in_flight = None;
    }
}
