//! The trust list a service decides with: fetched from the operator, verified against anchors
//! pinned in configuration, checked against the rollback state persisted in the service's own
//! database, refreshed after `next_update` (or sooner:
//! [`TrustListClient::refresh_if_older_than`]), and refused after `exp`.
//!
//! Each service creates the state table in its migrations ([`TRUST_LIST_STATE_DDL`]). The state
//! is read at every refresh that brings a list, so several instances sharing one database can
//! never accept a list older than one another instance accepted, and a restart cannot reopen a
//! rollback window. Refreshes are serialised per process; after a failed refresh the next
//! attempt at `next_update` waits [`RETRY_AFTER`] seconds, so an unreachable operator does not
//! slow every check down.
//!
//! Refetches are conditional: the client sends the held list's `ETag` as `If-None-Match`
//! (RFC 9110 §13.1.2), and a `304 Not Modified` keeps the held list as it is. Nothing is
//! verified or stored for a 304, and it never extends the held list's use: `exp` still ends
//! it, and a 304 for a list whose `next_update` has passed counts as a failed refresh.

use std::sync::Arc;

use idv_jose::Clock;
use idv_proto::trust::trust_list::TRUST_LIST_TYP;
use idv_service_kit::Database;
use idv_trust::TrustError;
use idv_trust::anchors::TrustAnchors;
use idv_trust::cache::TrustListCache;
use idv_trust::list::{ListPolicy, VerifiedTrustList};
use idv_trust::rollback::TrustListState;
use sqlx::Row as _;
use tokio::sync::{Mutex, RwLock};

use crate::http::{FetchError, Fetcher};

mod held;

pub use held::describe_metrics;

/// The table every service using [`TrustListClient`] creates (same text on SQLite and
/// PostgreSQL); kept here as the reference its migrations must match.
pub const TRUST_LIST_STATE_DDL: &str = "CREATE TABLE trust_list_state (list_id TEXT PRIMARY KEY, sequence BIGINT NOT NULL, payload_hash TEXT NOT NULL, iat BIGINT NOT NULL, exp BIGINT NOT NULL)";

/// Seconds between refresh attempts after a failure.
pub const RETRY_AFTER: i64 = 30;

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
    Storage(#[source] sqlx::Error),
    /// The stored state does not decode.
    #[error("stored trust list state is corrupt: {0}")]
    CorruptState(&'static str),
    /// Another instance saved a different state concurrently; the next refresh re-reads it.
    #[error("trust list state changed concurrently")]
    ConcurrentUpdate,
    /// The operator answered `304 Not Modified` for a held list whose `next_update` has
    /// passed: nothing newer was obtained.
    #[error("trust list not modified although its next_update has passed")]
    NotModifiedPastNextUpdate,
}

/// What the refreshes so far have left behind; guarded by the refresh lock.
#[derive(Debug, Default)]
struct RefreshState {
    /// When the last fetch was attempted, whatever its result (Unix seconds).
    attempted_at: Option<i64>,
    /// When the last fetch failed, until one succeeds.
    failed_at: Option<i64>,
    /// The `ETag` the held list was served with.
    etag: Option<String>,
}

/// Fetches, verifies, persists and holds the trust list. Share it behind an `Arc`.
#[derive(Debug)]
pub struct TrustListClient {
    url: String,
    fetcher: Fetcher,
    db: Database,
    clock: Arc<dyn Clock>,
    cache: RwLock<TrustListCache>,
    /// Serialises refreshes.
    refreshing: Mutex<RefreshState>,
}

impl TrustListClient {
    /// A client for the list at `url`, verified with `anchors` under `policy`, its rollback
    /// state in `db`'s `trust_list_state` table. Nothing is fetched until first use.
    pub fn new(
        url: impl Into<String>,
        anchors: TrustAnchors,
        policy: ListPolicy,
        fetcher: Fetcher,
        db: Database,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            url: url.into(),
            fetcher,
            db,
            clock,
            cache: RwLock::new(TrustListCache::new(anchors, policy)),
            refreshing: Mutex::new(RefreshState::default()),
        }
    }

    /// The list to decide with now, refreshing first when `next_update` has passed (or none is
    /// held). A failed refresh is logged and the held list is used until its `exp`; after that
    /// this fails closed.
    pub async fn current(&self) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        let now = self.clock.now();
        if self.cache.read().await.needs_refresh(now) {
            let mut state = self.refreshing.lock().await;
            let backing_off = state
                .failed_at
                .is_some_and(|failed| now < failed + RETRY_AFTER);
            if self.cache.read().await.needs_refresh(now) && !backing_off {
                self.refresh_logged(&mut state, now).await;
            }
        }
        Ok(self.cache.read().await.current(self.clock.now())?)
    }

    /// The list to decide with now, fetched again first (conditionally) when no fetch was
    /// attempted in the last `secs` seconds: how a service bounds the time a register change
    /// takes to reach it, and rate-limits refetches asked for by what it sees (an unknown
    /// relying party). A failed fetch is logged and the held list used until its `exp`, as by
    /// [`Self::current`].
    pub async fn refresh_if_older_than(
        &self,
        secs: i64,
    ) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        let now = self.clock.now();
        {
            let mut state = self.refreshing.lock().await;
            if state.attempted_at.is_none_or(|at| now >= at + secs) {
                self.refresh_logged(&mut state, now).await;
            }
        }
        self.current().await
    }

    /// Fetches the list now, whatever `next_update` says (an operator-triggered refresh, or
    /// tests), and returns the list then held: a new one, or the held one when the operator
    /// answers `304 Not Modified` before its `next_update`.
    pub async fn refresh(&self) -> Result<Arc<VerifiedTrustList>, TrustClientError> {
        let mut state = self.refreshing.lock().await;
        let now = self.clock.now();
        let result = self.refresh_locked(&mut state, now).await;
        state.failed_at = result.as_ref().err().map(|_| now);
        result?;
        Ok(self.cache.read().await.current(now)?)
    }

    /// [`Self::refresh_locked`], its failure logged and remembered for the back-off.
    async fn refresh_logged(&self, state: &mut RefreshState, now: i64) {
        match self.refresh_locked(state, now).await {
            Ok(()) => state.failed_at = None,
            Err(error) => {
                tracing::warn!(%error, "trust list refresh failed; using the held list until its exp");
                state.failed_at = Some(now);
            }
        }
    }

    /// Fetches (conditionally when a list is held), verifies, persists and installs; the
    /// caller holds the refresh lock (`state`).
    async fn refresh_locked(
        &self,
        state: &mut RefreshState,
        now: i64,
    ) -> Result<(), TrustClientError> {
        state.attempted_at = Some(now);
        // Only a held list can be confirmed by a 304.
        let held = self.cache.read().await.current(now).ok();
        let etag = held.as_ref().and(state.etag.as_deref());
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
            return Ok(());
        };
        let compact = std::str::from_utf8(&fetched.body).map_err(|_| TrustClientError::NotText)?;
        let compact = compact.trim();
        let persisted = load_state(&self.db).await?;
        let candidate = self
            .cache
            .read()
            .await
            .verify(compact, persisted.as_ref(), now)?;
        if candidate.is_new_state() {
            save_state(&self.db, candidate.state()).await?;
        }
        let sequence = candidate.list().sequence();
        self.cache.write().await.install(candidate);
        state.etag = fetched.etag;
        tracing::info!(trust_list.sequence = sequence, "trust list accepted");
        Ok(())
    }
}

/// The last accepted state, if any.
pub async fn load_state(db: &Database) -> Result<Option<TrustListState>, TrustClientError> {
    let row = sqlx::query(
        "SELECT list_id, sequence, payload_hash, iat, exp FROM trust_list_state ORDER BY sequence DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await
    .map_err(TrustClientError::Storage)?;
    let Some(row) = row else { return Ok(None) };
    let get_i64 = |column: &str| {
        row.try_get::<i64, _>(column)
            .map_err(TrustClientError::Storage)
    };
    Ok(Some(TrustListState {
        list_id: row.try_get("list_id").map_err(TrustClientError::Storage)?,
        sequence: u64::try_from(get_i64("sequence")?)
            .map_err(|_| TrustClientError::CorruptState("negative sequence"))?,
        payload_hash: row
            .try_get("payload_hash")
            .map_err(TrustClientError::Storage)?,
        iat: get_i64("iat")?,
        exp: get_i64("exp")?,
    }))
}

/// Saves `state` if it is newer than the stored one (compare-and-set on `sequence`).
async fn save_state(db: &Database, state: &TrustListState) -> Result<(), TrustClientError> {
    let sequence = i64::try_from(state.sequence)
        .map_err(|_| TrustClientError::CorruptState("sequence beyond 2^63"))?;
    let saved = db.write(sqlx::query(
        "INSERT INTO trust_list_state (list_id, sequence, payload_hash, iat, exp) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (list_id) DO UPDATE SET sequence = excluded.sequence, payload_hash = excluded.payload_hash, \
         iat = excluded.iat, exp = excluded.exp WHERE trust_list_state.sequence < excluded.sequence",
    )
    .bind(&state.list_id)
    .bind(sequence)
    .bind(&state.payload_hash)
    .bind(state.iat)
    .bind(state.exp)
    )
    .await
    .map_err(TrustClientError::Storage)?;
    if saved.rows_affected() == 1 {
        return Ok(());
    }
    // Not newer than the stored row: fine only if another instance stored this very state.
    match load_state(db).await? {
        Some(stored) if &stored == state => Ok(()),
        _ => Err(TrustClientError::ConcurrentUpdate),
    }
}
