//! The webhook outbox: events written with the change they report, delivered at least once.

use idv_service_kit::db::WriteTx;
use sqlx::any::AnyRow;

use super::{Store, StoreError, get};

/// An event to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// `msg_…`: the Standard Webhooks `webhook-id`, the same on every attempt.
    pub event_id: String,
    /// The tenant whose secret signs it.
    pub tenant_id: String,
    /// The check it is about.
    pub check_id: String,
    /// Where it goes.
    pub url: String,
    /// The JSON body (no personal data).
    pub payload: String,
    /// When it was queued (also its first attempt time).
    pub created_at: i64,
}

/// A claimed event, ready for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// `msg_…`.
    pub event_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// Where it goes.
    pub url: String,
    /// The JSON body.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: i64,
}

/// The stored delivery state of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStatus {
    /// `msg_…`.
    pub event_id: String,
    /// The check.
    pub check_id: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// HTTP status of the last attempt, if one answered.
    pub last_status: Option<i64>,
}

pub(super) async fn insert_event(tx: &mut WriteTx, event: &NewEvent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_outbox (event_id, tenant_id, check_id, url, payload, state, \
         attempts, next_attempt_at, locked_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, 0, $6)",
    )
    .bind(&event.event_id)
    .bind(&event.tenant_id)
    .bind(&event.check_id)
    .bind(&event.url)
    .bind(&event.payload)
    .bind(event.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Claims up to `limit` due events for `lease` seconds: each is claimed by one caller
    /// (compare-and-swap on `locked_until`), so instances sharing the database do not send
    /// the same attempt twice. An attempt that dies with its instance is retried after the
    /// lease.
    pub async fn claim_due_events(
        &self,
        now: i64,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<PendingEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, tenant_id, url, payload, attempts FROM webhook_outbox \
             WHERE state = 'pending' AND next_attempt_at <= $1 AND locked_until <= $1 \
             ORDER BY next_attempt_at, event_id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        let mut claimed = Vec::new();
        for row in &rows {
            let event = pending(row)?;
            let done = self
                .db
                .write(
                    sqlx::query(
                        "UPDATE webhook_outbox SET locked_until = $2 \
                 WHERE event_id = $1 AND state = 'pending' AND locked_until <= $3",
                    )
                    .bind(&event.event_id)
                    .bind(now + lease)
                    .bind(now),
                )
                .await?;
            if done.rows_affected() == 1 {
                claimed.push(event);
            }
        }
        Ok(claimed)
    }

    /// Records a 2xx: the event is done.
    pub async fn mark_event_delivered(
        &self,
        event_id: &str,
        status: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query(
                    "UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, \
             last_status = $2, last_error = NULL, delivered_at = $3, locked_until = 0 \
             WHERE event_id = $1",
                )
                .bind(event_id)
                .bind(status)
                .bind(now),
            )
            .await?;
        Ok(())
    }

    /// Records a failed attempt: retry at `next_attempt_at`, or `dead` when `give_up`.
    pub async fn mark_event_failed(
        &self,
        event_id: &str,
        status: Option<i64>,
        error: &str,
        next_attempt_at: i64,
        give_up: bool,
    ) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query(
                    "UPDATE webhook_outbox SET attempts = attempts + 1, last_status = $2, \
             last_error = $3, next_attempt_at = $4, locked_until = 0, \
             state = CASE WHEN $5 = 1 THEN 'dead' ELSE 'pending' END \
             WHERE event_id = $1",
                )
                .bind(event_id)
                .bind(status)
                .bind(error)
                .bind(next_attempt_at)
                .bind(i64::from(give_up)),
            )
            .await?;
        Ok(())
    }

    /// The events about a tenant's check, oldest first.
    pub async fn events_of_check(
        &self,
        tenant_id: &str,
        check_id: &str,
    ) -> Result<Vec<EventStatus>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, check_id, state, attempts, last_status FROM webhook_outbox \
             WHERE tenant_id = $1 AND check_id = $2 ORDER BY created_at, event_id",
        )
        .bind(tenant_id)
        .bind(check_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(EventStatus {
                    event_id: get(row, "event_id")?,
                    check_id: get(row, "check_id")?,
                    state: get(row, "state")?,
                    attempts: get(row, "attempts")?,
                    last_status: get(row, "last_status")?,
                })
            })
            .collect()
    }
}

fn pending(row: &AnyRow) -> Result<PendingEvent, StoreError> {
    Ok(PendingEvent {
        event_id: get(row, "event_id")?,
        tenant_id: get(row, "tenant_id")?,
        url: get(row, "url")?,
        payload: get(row, "payload")?,
        attempts: get(row, "attempts")?,
    })
}
