//! How far webhook delivery is behind, read at scrape time for `/metrics`: counts of the
//! outbox's undelivered events (no event ids, tenants or payloads leave this module).

use super::{Store, StoreError, get};

/// Undelivered webhook events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Events waiting for delivery (first attempt or retry).
    pub pending: i64,
    /// Pending events that have failed at least once.
    pub retrying: i64,
    /// Events given up on after the last attempt.
    pub dead: i64,
    /// `created_at` of the oldest pending event, if any.
    pub oldest_pending_at: Option<i64>,
}

impl Store {
    /// Counts the outbox's pending and dead events (on the `(state, next_attempt_at)` index).
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS events, \
             SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retrying, \
             MIN(created_at) AS oldest FROM webhook_outbox \
             WHERE state IN ('pending', 'dead') GROUP BY state",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut backlog = OutboxBacklog::default();
        for row in &rows {
            let state: String = get(row, "state")?;
            let events: i64 = get(row, "events")?;
            if state == "dead" {
                backlog.dead = events;
            } else {
                backlog.pending = events;
                backlog.retrying = get(row, "retrying")?;
                backlog.oldest_pending_at = get(row, "oldest")?;
            }
        }
        Ok(backlog)
    }
}
