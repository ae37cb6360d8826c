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
//!    (`Checks::truncate_log`, also run after every erasure).
//!
//! Every step is a compare-and-swap, so several instances may sweep the same database.

use idv_service_kit::db::WalTruncation;

use crate::checks::{CheckError, Checks};
use crate::store::StoreError;

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An expired check could not be ended.
    #[error("an expired check could not be ended")]
    Check(#[source] CheckError),
}

impl From<CheckError> for SweepError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Store(e) => Self::Store(e),
            other => Self::Check(other),
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

/// The sweeper, over the checks it ends and purges. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Retention {
    checks: Checks,
}

impl Retention {
    /// The sweeper of `checks`.
    pub(crate) fn new(checks: Checks) -> Self {
        Self { checks }
    }

    /// One sweep at the current time.
    pub async fn sweep(&self) -> Result<SweepReport, SweepError> {
        let checks = &self.checks;
        let store = &checks.store;
        let now = checks.clock.now();
        let mut report = SweepReport::default();
        for due in store.expired_checks(now, BATCH).await? {
            let Some(check) = store.load_check(&due.tenant_id, &due.check_id).await? else {
                continue;
            };
            if checks.expire(&check, now).await? {
                report.expired += 1;
            }
        }
        // Whichever instance expired them, this one holds their requests no longer.
        checks.open_requests.forget_expired(now);
        report.purged = store.purge_personal_data(now).await?;
        if report.purged > 0 {
            tracing::info!(
                checks = report.purged,
                "personal data purged at end of retention"
            );
        }
        report.sessions = store
            .purge_oidc_sessions(now - crate::oidc::ENDED_SESSION_KEPT_SECS)
            .await?;
        if report.purged > 0 || store.database().wal_truncation_owed() {
            report.log = checks.truncate_log().await;
        }
        Ok(report)
    }
}
