//! The sweeper: data minimisation and the clean end of abandoned checks.
//!
//! Each pass (every `sweeper.interval_ms`, in the background worker of `crate::startup`):
//! 1. checks still `created` after `expires_at` become `expired` (their request key and
//!    nonce are dropped, from the database and from this instance's memory; the
//!    `check.expired` event is queued);
//! 2. the personal data of finished checks (`claims`, the evidence record) is purged once
//!    `retain_until` passes, leaving the outcome metadata (verdict, reason codes, provider,
//!    level of confidence, trust list sequence, times);
//! 3. OpenID Provider authorization sessions are deleted an hour after the session, its code
//!    and its access token have all expired;
//! 4. on SQLite, after a purge (or when an earlier truncation was busy), the write-ahead log is
//!    checkpointed and truncated, so that the purged values, zeroed in the database file by
//!    `secure_delete`, are not left in old page versions in the log
//!    ([`Verifier::truncate_log`], also run after every erasure).
//!
//! Every step is a compare-and-swap, so several instances may sweep the same database.

use idv_service_kit::db::WalTruncation;

use crate::service::Verifier;
use crate::store::StoreError;
use crate::wallet::WalletError;

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An outcome could not be recorded.
    #[error("{0}")]
    Internal(String),
}

impl From<WalletError> for SweepError {
    fn from(error: WalletError) -> Self {
        match error {
            WalletError::Store(e) => Self::Store(e),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Checks handled per step and pass.
const BATCH: i64 = 100;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Checks expired.
    pub expired: usize,
    /// Checks whose personal data was purged.
    pub purged: u64,
    /// Ended authorization sessions deleted.
    pub sessions: u64,
    /// The write-ahead log's truncation after a purge, when one ran (`None` when none was due
    /// or it failed).
    pub log: Option<WalTruncation>,
}

impl Verifier {
    /// One sweep at the current time.
    pub async fn sweep(&self) -> Result<SweepReport, SweepError> {
        let now = self.clock.now();
        let mut report = SweepReport::default();
        for due in self.store.expired_checks(now, BATCH).await? {
            let Some(check) = self.store.load_check(&due.tenant_id, &due.check_id).await? else {
                continue;
            };
            if self.expire(&check, now).await? {
                report.expired += 1;
            }
        }
        // Whichever instance expired them, this one holds their requests no longer.
        self.open_requests.forget_expired(now);
        report.purged = self.store.purge_personal_data(now).await?;
        if report.purged > 0 {
            tracing::info!(
                checks = report.purged,
                "personal data purged at end of retention"
            );
        }
        report.sessions = self
            .store
            .purge_oidc_sessions(now - crate::oidc::ENDED_SESSION_KEPT_SECS)
            .await?;
        if report.purged > 0 || self.store.database().wal_truncation_owed() {
            report.log = self.truncate_log().await;
        }
        Ok(report)
    }

    /// Truncates the database's write-ahead log after personal data was erased or purged
    /// (see `idv_service_kit::db::Database::truncate_wal`). The erasure has committed either
    /// way: a busy or failed truncation is logged, and the next sweep tries again.
    pub(crate) async fn truncate_log(&self) -> Option<WalTruncation> {
        match self.store.database().truncate_wal().await {
            Ok(WalTruncation::Busy) => {
                tracing::warn!(
                    "the database's write-ahead log could not be truncated after an erasure (a \
                     reader held an older snapshot): the next sweep tries again"
                );
                Some(WalTruncation::Busy)
            }
            Ok(done) => Some(done),
            Err(error) => {
                tracing::warn!(
                    error.cause = %idv_service_kit::cli::report(&error),
                    "truncating the database's write-ahead log after an erasure failed: the \
                     next sweep tries again"
                );
                None
            }
        }
    }
}
