//! The webhook outbox: events written with the change they report, each attempt claimed by
//! one instance under a lease (see [`Store::claim_event`]).

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
    /// Why the last attempt failed (no personal data: a status, a timeout, a refusal).
    pub last_error: Option<String>,
}

/// A failed attempt, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptFailure<'a> {
    /// The HTTP status, if the host answered.
    pub status: Option<i64>,
    /// Why it failed.
    pub error: &'a str,
    /// When to try again.
    pub next_attempt_at: i64,
    /// Whether this was the last attempt (the event becomes `dead`).
    pub give_up: bool,
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
    /// Up to `limit` events due at `now` and not held by an attempt, oldest first, leaving out
    /// the tenants and URLs in `skip` (those this instance cannot start more attempts for:
    /// they must not crowd others out of the batch). Nothing is claimed yet.
    pub async fn due_events(
        &self,
        now: i64,
        limit: i64,
        skip_tenants: &[String],
        skip_urls: &[String],
    ) -> Result<Vec<PendingEvent>, StoreError> {
        let mut sql = String::from(
            "SELECT event_id, tenant_id, url, payload, attempts FROM webhook_outbox \
             WHERE state = 'pending' AND next_attempt_at <= $1 AND locked_until <= $1",
        );
        let mut next = 3;
        for (column, values) in [("tenant_id", skip_tenants), ("url", skip_urls)] {
            if values.is_empty() {
                continue;
            }
            let placeholders: Vec<String> = (next..next + values.len())
                .map(|i| format!("${i}"))
                .collect();
            next += values.len();
            sql.push_str(&format!(
                " AND {column} NOT IN ({})",
                placeholders.join(", ")
            ));
        }
        sql.push_str(" ORDER BY next_attempt_at, event_id LIMIT $2");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit);
        for value in skip_tenants.iter().chain(skip_urls) {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        rows.iter().map(pending).collect()
    }

    /// Claims `event` for one attempt until `lease_until`, if it is still due at `now`, not
    /// held, and nobody attempted it since it was read (compare-and-swap on `locked_until` and
    /// `attempts`): instances sharing the database never attempt it at the same time. Returns
    /// the lease, which fences every later write of this attempt: a new claim always sets a
    /// later `locked_until` than an expired one, and a finished attempt sets 0.
    pub async fn claim_event(
        &self,
        event: &PendingEvent,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<i64>, StoreError> {
        let done = self
            .db
            .write(
                sqlx::query(
                    "UPDATE webhook_outbox SET locked_until = $2 \
                     WHERE event_id = $1 AND state = 'pending' AND next_attempt_at <= $3 \
                     AND locked_until <= $3 AND attempts = $4",
                )
                .bind(&event.event_id)
                .bind(lease_until)
                .bind(now)
                .bind(event.attempts),
            )
            .await?;
        Ok((done.rows_affected() == 1).then_some(lease_until))
    }

    /// Extends the lease of an attempt still sending; false when it was lost (expired and
    /// claimed by another instance).
    pub async fn renew_lease(
        &self,
        event_id: &str,
        lease: i64,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE webhook_outbox SET locked_until = $3 \
                     WHERE event_id = $1 AND state = 'pending' AND locked_until = $2",
            )
            .bind(event_id)
            .bind(lease)
            .bind(lease_until),
        )
        .await
    }

    /// Records a 2xx under `lease`: the event is done. False when the lease was lost.
    pub async fn mark_event_delivered(
        &self,
        event_id: &str,
        lease: i64,
        status: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, \
                     last_status = $3, last_error = NULL, delivered_at = $4, locked_until = 0 \
                     WHERE event_id = $1 AND locked_until = $2",
            )
            .bind(event_id)
            .bind(lease)
            .bind(status)
            .bind(now),
        )
        .await
    }

    /// Records a failed attempt under `lease`: retry at `next_attempt_at`, or `dead` when
    /// `give_up`. False when the lease was lost.
    pub async fn mark_event_failed(
        &self,
        event_id: &str,
        lease: i64,
        failure: &AttemptFailure<'_>,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE webhook_outbox SET attempts = attempts + 1, last_status = $3, \
                     last_error = $4, next_attempt_at = $5, locked_until = 0, \
                     state = CASE WHEN $6 = 1 THEN 'dead' ELSE 'pending' END \
                     WHERE event_id = $1 AND locked_until = $2",
            )
            .bind(event_id)
            .bind(lease)
            .bind(failure.status)
            .bind(failure.error)
            .bind(failure.next_attempt_at)
            .bind(i64::from(failure.give_up)),
        )
        .await
    }

    /// The events about a tenant's check, oldest first.
    pub async fn events_of_check(
        &self,
        tenant_id: &str,
        check_id: &str,
    ) -> Result<Vec<EventStatus>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, check_id, state, attempts, last_status, last_error FROM webhook_outbox \
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
                    last_error: get(row, "last_error")?,
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
