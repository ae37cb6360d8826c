//! Checks: their wallet request, state machine and result.

use std::fmt;

use idv_service_kit::db::Statement;
use sqlx::any::AnyRow;

use super::outbox::{NewEvent, insert_event};
use super::{Store, StoreError, get};

const CHECK_COLUMNS: &str = "check_id, tenant_id, template, template_version, state, reference, \
     webhook_url, response_mode, redirect_uri, request_id, request_state, nonce, decryption_key, \
     response_code_hash, response_code_redeemed, created_at, expires_at, presented_at, \
     finished_at, outcome, claims, evidence, retain_until, purged_at, erased_at";

/// A check as stored (and, with what its creation sets, as inserted: the rest starts empty).
/// Holds personal data and keys: `Debug` shows ids and state only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CheckRow {
    /// `chk_…`.
    pub check_id: String,
    /// The owner.
    pub tenant_id: String,
    /// Template name.
    pub template: String,
    /// Template version.
    pub template_version: i64,
    /// `created`, `completed`, `failed`, `expired` or `erased`.
    pub state: String,
    /// The tenant's reference.
    pub reference: Option<String>,
    /// Webhook URL.
    pub webhook_url: Option<String>,
    /// Response mode.
    pub response_mode: String,
    /// Same-device redirect URI.
    pub redirect_uri: Option<String>,
    /// Wallet-facing request id.
    pub request_id: String,
    /// The request's `state`.
    pub request_state: String,
    /// The request's `nonce`, while the request is open.
    pub nonce: Option<String>,
    /// The per-request private JWK, while the request is open.
    pub decryption_key: Option<String>,
    /// Hash of the same-device response code, until redeemed.
    pub response_code_hash: Option<String>,
    /// Whether the response code was redeemed.
    pub response_code_redeemed: bool,
    /// Creation time.
    pub created_at: i64,
    /// Expiry time.
    pub expires_at: i64,
    /// When the wallet's response arrived.
    pub presented_at: Option<i64>,
    /// When the check completed, failed or expired.
    pub finished_at: Option<i64>,
    /// Outcome metadata (JSON), no personal data.
    pub outcome: Option<String>,
    /// Disclosed, requested claims (JSON): personal data.
    pub claims: Option<String>,
    /// The evidence record JWT: personal data.
    pub evidence: Option<String>,
    /// When personal data is purged.
    pub retain_until: Option<i64>,
    /// When personal data was purged.
    pub purged_at: Option<i64>,
    /// When the check was erased.
    pub erased_at: Option<i64>,
}

impl fmt::Debug for CheckRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckRow")
            .field("check_id", &self.check_id)
            .field("tenant_id", &self.tenant_id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The end of a verification: `completed` or `failed`, with its result.
#[derive(Clone)]
pub struct Finish {
    /// When the wallet's response arrived (it must have arrived before the request expired).
    pub presented_at: i64,
    /// Hash of the same-device response code, when the check has a `redirect_uri`.
    pub response_code_hash: Option<String>,
    /// `completed` or `failed`.
    pub state: &'static str,
    /// Outcome metadata (JSON).
    pub outcome: String,
    /// Disclosed, requested claims (JSON), if any.
    pub claims: Option<String>,
    /// The evidence JWT, if any.
    pub evidence: Option<String>,
    /// When.
    pub finished_at: i64,
    /// When the personal data is to be purged.
    pub retain_until: i64,
}

/// The relying party's confirmation of a check awaiting it.
#[derive(Clone)]
pub struct Confirm {
    /// `completed` (confirmed) or `failed` (not matched).
    pub state: &'static str,
    /// The new outcome metadata (JSON).
    pub outcome: String,
    /// The claims kept (none after a mismatch).
    pub claims: Option<String>,
    /// The check record signed again with the confirmation.
    pub evidence: String,
}

/// A check whose request expired, for the sweeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCheck {
    /// The check.
    pub check_id: String,
    /// Its tenant.
    pub tenant_id: String,
}

impl Store {
    /// Inserts a new check in state `created`: the columns its creation sets (its request,
    /// `created_at`, `expires_at`); its state, outcome and later times are not read.
    pub async fn insert_check(&self, check: &CheckRow) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query(
                    "INSERT INTO checks (check_id, tenant_id, template, template_version, state, \
             reference, webhook_url, response_mode, redirect_uri, request_id, request_state, \
             nonce, decryption_key, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, 'created', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(&check.check_id)
                .bind(&check.tenant_id)
                .bind(&check.template)
                .bind(check.template_version)
                .bind(&check.reference)
                .bind(&check.webhook_url)
                .bind(&check.response_mode)
                .bind(&check.redirect_uri)
                .bind(&check.request_id)
                .bind(&check.request_state)
                .bind(&check.nonce)
                .bind(&check.decryption_key)
                .bind(check.created_at)
                .bind(check.expires_at),
            )
            .await?;
        Ok(())
    }

    /// How many checks of `tenant_id` wait for a wallet at `now` (created since
    /// `created_after`, still `created`, unexpired), and the earliest expiry among them.
    pub async fn open_checks(
        &self,
        tenant_id: &str,
        now: i64,
        created_after: i64,
    ) -> Result<(i64, Option<i64>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS open_count, MIN(expires_at) AS earliest FROM checks \
             WHERE tenant_id = $1 AND created_at > $2 AND state = 'created' AND expires_at > $3",
        )
        .bind(tenant_id)
        .bind(created_after)
        .bind(now)
        .fetch_one(self.db.pool())
        .await?;
        Ok((get(&row, "open_count")?, get(&row, "earliest")?))
    }

    /// A tenant's check; another tenant's check is `None`, exactly like a missing one.
    pub async fn load_check(
        &self,
        tenant_id: &str,
        check_id: &str,
    ) -> Result<Option<CheckRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHECK_COLUMNS} FROM checks WHERE check_id = $1 AND tenant_id = $2"
        )))
        .bind(check_id)
        .bind(tenant_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(check).transpose()
    }

    /// A check's state alone (one primary-key read): what an instance holding the check's
    /// request in memory checks before every use.
    pub async fn check_state(&self, check_id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT state FROM checks WHERE check_id = $1")
            .bind(check_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(|row| get(row, "state")).transpose()
    }

    /// The check behind a wallet request id.
    pub async fn load_check_by_request(
        &self,
        request_id: &str,
    ) -> Result<Option<CheckRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHECK_COLUMNS} FROM checks WHERE request_id = $1"
        )))
        .bind(request_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(check).transpose()
    }

    /// `created → completed | failed` with the result, the time the wallet's response arrived
    /// and the same-device response code hash, dropping the request's key and nonce and
    /// queueing `event` in the same transaction: the single use of the request and its nonce.
    /// Wins only while the check is still `created` and its request was unexpired when the
    /// response arrived; returns whether this call won (false when another response won, or
    /// the check expired or was erased meanwhile).
    pub async fn finish_check(
        &self,
        check_id: &str,
        finish: &Finish,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query(
            "UPDATE checks SET state = $2, outcome = $3, claims = $4, evidence = $5, \
             finished_at = $6, retain_until = $7, presented_at = $8, response_code_hash = $9, \
             decryption_key = NULL, nonce = NULL \
             WHERE check_id = $1 AND state = 'created' AND expires_at > $8",
        )
        .bind(check_id)
        .bind(finish.state)
        .bind(&finish.outcome)
        .bind(&finish.claims)
        .bind(&finish.evidence)
        .bind(finish.finished_at)
        .bind(finish.retain_until)
        .bind(finish.presented_at)
        .bind(&finish.response_code_hash);
        self.change_state(update, event).await
    }

    /// `completed (awaiting_confirmation) → completed | failed`: wins only while the check's
    /// stored outcome is still exactly `awaiting` (so of concurrent confirmations one wins)
    /// and its personal data has not been purged or erased meanwhile. Returns whether this
    /// call won.
    pub async fn confirm_check(
        &self,
        check_id: &str,
        awaiting: &str,
        confirm: &Confirm,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query(
            "UPDATE checks SET state = $2, outcome = $3, claims = $4, evidence = $5 \
             WHERE check_id = $1 AND state = 'completed' AND outcome = $6 \
             AND evidence IS NOT NULL",
        )
        .bind(check_id)
        .bind(confirm.state)
        .bind(&confirm.outcome)
        .bind(&confirm.claims)
        .bind(&confirm.evidence)
        .bind(awaiting);
        self.change_state(update, event).await
    }

    /// `created → expired` once `expires_at` has passed, with `outcome` and `event` in the
    /// same transaction. Returns whether this call won.
    pub async fn expire_check(
        &self,
        check_id: &str,
        now: i64,
        outcome: &str,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query(
            "UPDATE checks SET state = 'expired', outcome = $3, finished_at = $2, \
             decryption_key = NULL, nonce = NULL \
             WHERE check_id = $1 AND state = 'created' AND expires_at <= $2",
        )
        .bind(check_id)
        .bind(now)
        .bind(outcome);
        self.change_state(update, event).await
    }

    /// Checks still `created` whose request expired at `now`.
    pub async fn expired_checks(&self, now: i64, limit: i64) -> Result<Vec<DueCheck>, StoreError> {
        self.due(
            "SELECT check_id, tenant_id FROM checks WHERE state = 'created' AND expires_at <= $1 \
             ORDER BY expires_at LIMIT $2",
            now,
            limit,
        )
        .await
    }

    async fn due(
        &self,
        sql: &'static str,
        time: i64,
        limit: i64,
    ) -> Result<Vec<DueCheck>, StoreError> {
        let rows = sqlx::query(sql)
            .bind(time)
            .bind(limit)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DueCheck {
                    check_id: get(row, "check_id")?,
                    tenant_id: get(row, "tenant_id")?,
                })
            })
            .collect()
    }

    /// Drops the personal data of checks whose retention ended by `now`; returns how many.
    pub async fn purge_personal_data(&self, now: i64) -> Result<u64, StoreError> {
        let done = self
            .db
            .write(
                sqlx::query(
                    "UPDATE checks SET claims = NULL, evidence = NULL, purged_at = $1 \
             WHERE retain_until <= $1 AND purged_at IS NULL",
                )
                .bind(now),
            )
            .await?;
        Ok(done.rows_affected())
    }

    /// Erases a tenant's check: everything but a tombstone (id, template, times) goes, and
    /// its undelivered events are dropped. Returns whether the check exists.
    pub async fn erase_check(
        &self,
        tenant_id: &str,
        check_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        // The UPDATE comes first so the transaction takes SQLite's write lock at once.
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE checks SET state = 'erased', erased_at = $3, reference = NULL, \
             webhook_url = NULL, redirect_uri = NULL, nonce = NULL, decryption_key = NULL, \
             response_code_hash = NULL, outcome = NULL, claims = NULL, evidence = NULL, \
             retain_until = NULL WHERE check_id = $1 AND tenant_id = $2 AND state <> 'erased'",
        )
        .bind(check_id)
        .bind(tenant_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query("DELETE FROM webhook_outbox WHERE check_id = $1 AND state = 'pending'")
                .bind(check_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(true);
        }
        tx.rollback().await?;
        Ok(self.load_check(tenant_id, check_id).await?.is_some())
    }

    /// Redeems a same-device response code (once). Returns whether `code_hash` matched an
    /// unredeemed code of the check.
    pub async fn redeem_response_code(
        &self,
        check_id: &str,
        code_hash: &str,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE checks SET response_code_redeemed = 1, response_code_hash = NULL \
             WHERE check_id = $1 AND response_code_hash = $2 AND response_code_redeemed = 0",
            )
            .bind(check_id)
            .bind(code_hash),
        )
        .await
    }
}

impl Store {
    /// Runs a compare-and-swap `update` of one check and, when it wins, queues `event` in the
    /// same transaction (without an event, the statement alone). Returns whether it won.
    async fn change_state(
        &self,
        update: Statement,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError> {
        let Some(event) = event else {
            let done = self.db.write(update).await?;
            return Ok(done.rows_affected() == 1);
        };
        let mut tx = self.begin().await?;
        if update.execute(&mut *tx).await?.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn check(row: &AnyRow) -> Result<CheckRow, StoreError> {
    Ok(CheckRow {
        check_id: get(row, "check_id")?,
        tenant_id: get(row, "tenant_id")?,
        template: get(row, "template")?,
        template_version: get(row, "template_version")?,
        state: get(row, "state")?,
        reference: get(row, "reference")?,
        webhook_url: get(row, "webhook_url")?,
        response_mode: get(row, "response_mode")?,
        redirect_uri: get(row, "redirect_uri")?,
        request_id: get(row, "request_id")?,
        request_state: get(row, "request_state")?,
        nonce: get(row, "nonce")?,
        decryption_key: get(row, "decryption_key")?,
        response_code_hash: get(row, "response_code_hash")?,
        response_code_redeemed: get::<i64>(row, "response_code_redeemed")? != 0,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        presented_at: get(row, "presented_at")?,
        finished_at: get(row, "finished_at")?,
        outcome: get(row, "outcome")?,
        claims: get(row, "claims")?,
        evidence: get(row, "evidence")?,
        retain_until: get(row, "retain_until")?,
        purged_at: get(row, "purged_at")?,
        erased_at: get(row, "erased_at")?,
    })
}
