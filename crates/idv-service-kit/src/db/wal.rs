//! Erasure that reaches the disk on SQLite: [`Database::truncate_wal`].
//!
//! Every SQLite connection runs with `PRAGMA secure_delete = ON`, so a deleted or overwritten
//! value is zeroed in its page, and a page that falls free (an overflow page of a long value)
//! is zeroed before it joins the freelist. In WAL mode the page as it was before still sits in
//! the write-ahead log (every commit appends whole pages) until a checkpoint copies the newest
//! version of each page into the database file and the log is truncated: a passive
//! checkpoint, which SQLite runs by itself, resets the log but leaves the old frames in the
//! file until new ones overwrite them. `wal_checkpoint(TRUNCATE)` copies every frame and cuts
//! the log to zero bytes, leaving the erased value nowhere in the files.

use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::Executor as _;

use super::{Backend, Database, SQLITE_BUSY_TIMEOUT};

/// How long a truncating checkpoint waits for readers of an older snapshot (or another
/// process's writer) before it gives up as [`WalTruncation::Busy`]. It holds the process's write
/// lock meanwhile, so it is kept short: a service's reads are single statements.
const CHECKPOINT_BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// What [`Database::truncate_wal`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalTruncation {
    /// Every frame is in the database file and the write-ahead log is empty (zero bytes).
    Truncated,
    /// A reader held an older snapshot (or another process wrote) past the checkpoint's busy
    /// timeout: frames, old page versions among them, may remain in the log. Try again later
    /// ([`Database::wal_truncation_owed`] stays true until a truncation succeeds).
    Busy,
    /// There is no write-ahead log: PostgreSQL, or an in-memory SQLite database.
    NoLog,
}

impl Database {
    /// Copies the write-ahead log into the SQLite file and truncates it to zero bytes
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`), behind the process's write lock so that no write
    /// of this process competes. Run after erasing personal data: with `secure_delete` the
    /// erased values are then gone from the database file and the log. On PostgreSQL (and in
    /// memory) it does nothing.
    pub async fn truncate_wal(&self) -> Result<WalTruncation, sqlx::Error> {
        if self.backend != Backend::Sqlite || self.group_commit.is_none() {
            return Ok(WalTruncation::NoLog);
        }
        let mut writer = self.writer().await?;
        writer
            .execute(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {}",
                CHECKPOINT_BUSY_TIMEOUT.as_millis()
            )))
            .await?;
        let checkpoint: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut *writer)
                .await;
        let restored = writer
            .execute(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {}",
                SQLITE_BUSY_TIMEOUT.as_millis()
            )))
            .await;
        if restored.is_err() {
            // Its busy timeout is unknown: the next write opens a fresh connection.
            writer.discard();
        }
        // (busy, frames in the log, frames checkpointed): busy is 1 when the checkpoint could
        // not finish (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint).
        let outcome = match checkpoint {
            Ok((0, _, _)) => WalTruncation::Truncated,
            Ok(_) => WalTruncation::Busy,
            Err(error) => {
                self.truncation_owed.store(true, Ordering::SeqCst);
                return Err(error);
            }
        };
        self.truncation_owed
            .store(outcome == WalTruncation::Busy, Ordering::SeqCst);
        Ok(outcome)
    }

    /// Whether the last [`Database::truncate_wal`] was [`WalTruncation::Busy`]: erased data may
    /// still be in the log, and the next sweep should truncate again.
    pub fn wal_truncation_owed(&self) -> bool {
        self.truncation_owed.load(Ordering::SeqCst)
    }
}
