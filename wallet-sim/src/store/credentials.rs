//! Batches and their copies.
//!
//! A batch is one logical credential (one credential configuration of one issuance); each copy
//! carries its own holder key, so that two presentations cannot be linked by the signature,
//! `cnf` or salts. [`Store::presentable_copies`] picks, per batch, the copy to present next:
//! an unused one first, otherwise the least used (the caller warns about linkability).

use std::fmt;

use serde_json::Value;
use sqlx::any::AnyRow;

use super::{Store, StoreError, from_json, get};

/// A batch to store, or as stored ([`Batch::stored`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    /// Short local identifier shown to the user.
    pub batch_id: String,
    /// The Credential Issuer Identifier the credentials were received from.
    pub credential_issuer: String,
    /// The credential configuration requested.
    pub configuration_id: String,
    /// Credential format, `dc+sd-jwt`.
    pub format: String,
    /// SD-JWT VC type.
    pub vct: String,
    /// The credentials' `iss`, when present.
    pub iss: Option<String>,
    /// The issuer's public JWK (JSON) the copies verified with.
    pub issuer_jwk: String,
    /// Where that key came from (see [`crate::issuer_key::KeySource`]).
    pub issuer_key_source: String,
    /// Display name from the issuer metadata.
    pub display_name: Option<String>,
    /// When received (Unix seconds).
    pub received_at: i64,
}

/// One copy to store, or as stored ([`Copy::stored`]).
#[derive(Clone)]
pub struct NewCopy {
    /// 1-based position in the batch.
    pub position: i64,
    /// The SD-JWT VC exactly as issued.
    pub sd_jwt: String,
    /// Its processed claims (JSON object).
    pub claims: Value,
    /// The holder's private JWK (JSON).
    pub holder_key: String,
    /// `exp`, when present.
    pub expires_at: Option<i64>,
    /// `status.status_list.uri` and `idx`, when present.
    pub status: Option<(String, i64)>,
}

impl fmt::Debug for NewCopy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCopy")
            .field("position", &self.position)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A stored batch with counts over its copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The batch as it was stored.
    pub stored: NewBatch,
    /// Number of copies.
    pub copies: i64,
    /// Copies never presented.
    pub unused: i64,
    /// Earliest `exp` of the copies.
    pub expires_at: Option<i64>,
}

/// A stored copy. `Debug` shows neither the credential, its claims nor the key.
#[derive(Clone)]
pub struct Copy {
    /// `<batch_id>-<position>`.
    pub credential_id: String,
    /// Its batch.
    pub batch_id: String,
    /// The copy as it was stored.
    pub stored: NewCopy,
    /// Times presented.
    pub presentations: i64,
    /// Last presentation time.
    pub last_presented_at: Option<i64>,
}

impl fmt::Debug for Copy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Copy")
            .field("credential_id", &self.credential_id)
            .field("presentations", &self.presentations)
            .field("expires_at", &self.stored.expires_at)
            .finish_non_exhaustive()
    }
}

const BATCH_COLUMNS: &str = "b.batch_id, b.credential_issuer, b.configuration_id, b.format, \
     b.vct, b.iss, b.issuer_jwk, b.issuer_key_source, b.display_name, b.received_at, \
     COUNT(c.credential_id) AS copies, \
     SUM(CASE WHEN c.presentations = 0 THEN 1 ELSE 0 END) AS unused, \
     MIN(c.expires_at) AS expires_at";

const BATCH_GROUP: &str = "GROUP BY b.batch_id, b.credential_issuer, b.configuration_id, \
     b.format, b.vct, b.iss, b.issuer_jwk, b.issuer_key_source, b.display_name, b.received_at";

const COPY_COLUMNS: &str = "credential_id, batch_id, position, sd_jwt, claims, holder_key, \
     expires_at, status_uri, status_idx, presentations, last_presented_at";

impl Store {
    /// Stores a batch and its copies in one transaction.
    pub async fn insert_batch(
        &self,
        batch: &NewBatch,
        copies: &[NewCopy],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO batches (batch_id, credential_issuer, configuration_id, format, vct, \
             iss, issuer_jwk, issuer_key_source, display_name, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&batch.batch_id)
        .bind(&batch.credential_issuer)
        .bind(&batch.configuration_id)
        .bind(&batch.format)
        .bind(&batch.vct)
        .bind(&batch.iss)
        .bind(&batch.issuer_jwk)
        .bind(&batch.issuer_key_source)
        .bind(&batch.display_name)
        .bind(batch.received_at)
        .execute(&mut *tx)
        .await?;
        for copy in copies {
            let (status_uri, status_idx) = match &copy.status {
                Some((uri, idx)) => (Some(uri.as_str()), Some(*idx)),
                None => (None, None),
            };
            sqlx::query(
                "INSERT INTO credentials (credential_id, batch_id, position, sd_jwt, claims, \
                 holder_key, expires_at, status_uri, status_idx, presentations) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
            )
            .bind(format!("{}-{}", batch.batch_id, copy.position))
            .bind(&batch.batch_id)
            .bind(copy.position)
            .bind(&copy.sd_jwt)
            .bind(super::to_json(&copy.claims, "claims")?)
            .bind(&copy.holder_key)
            .bind(copy.expires_at)
            .bind(status_uri)
            .bind(status_idx)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every batch, oldest first.
    pub async fn batches(&self) -> Result<Vec<Batch>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BATCH_COLUMNS} FROM batches b LEFT JOIN credentials c \
             ON c.batch_id = b.batch_id {BATCH_GROUP} ORDER BY b.received_at, b.batch_id"
        )))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(batch_from_row).collect()
    }

    /// The batch `batch_id`, if stored.
    pub async fn batch(&self, batch_id: &str) -> Result<Option<Batch>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BATCH_COLUMNS} FROM batches b LEFT JOIN credentials c \
             ON c.batch_id = b.batch_id WHERE b.batch_id = $1 {BATCH_GROUP}"
        )))
        .bind(batch_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(batch_from_row).transpose()
    }

    /// The copies of `batch_id`, by position.
    pub async fn copies(&self, batch_id: &str) -> Result<Vec<Copy>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COPY_COLUMNS} FROM credentials WHERE batch_id = $1 ORDER BY position"
        )))
        .bind(batch_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(copy_from_row).collect()
    }

    /// For every batch with a copy unexpired at `now`: the copy to present next (never
    /// presented first, then the least presented, then the earliest position), and the batch.
    pub async fn presentable_copies(&self, now: i64) -> Result<Vec<(Batch, Copy)>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COPY_COLUMNS} FROM credentials \
             WHERE expires_at IS NULL OR expires_at > $1 \
             ORDER BY batch_id, presentations, position"
        )))
        .bind(now)
        .fetch_all(self.db.pool())
        .await?;
        let mut chosen: Vec<Copy> = Vec::new();
        for row in &rows {
            let copy = copy_from_row(row)?;
            if chosen
                .last()
                .is_none_or(|last| last.batch_id != copy.batch_id)
            {
                chosen.push(copy);
            }
        }
        let batches = self.batches().await?;
        Ok(chosen
            .into_iter()
            .filter_map(|copy| {
                let batch = batches
                    .iter()
                    .find(|b| b.stored.batch_id == copy.batch_id)?;
                Some((batch.clone(), copy))
            })
            .collect())
    }

    /// Records that the copy `credential_id` was presented at `now`.
    pub async fn mark_presented(&self, credential_id: &str, now: i64) -> Result<(), StoreError> {
        self.db.write(sqlx::query(
            "UPDATE credentials SET presentations = presentations + 1, last_presented_at = $2 \
             WHERE credential_id = $1",
        )
        .bind(credential_id)
        .bind(now)
        )
        .await?;
        Ok(())
    }

    /// Deletes a batch, its copies (and their keys) and its presentation log. Returns whether
    /// it existed.
    pub async fn delete_batch(&self, batch_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        // Explicit child deletes: no reliance on the backend enforcing ON DELETE CASCADE.
        sqlx::query("DELETE FROM presentations WHERE batch_id = $1")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM credentials WHERE batch_id = $1")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM batches WHERE batch_id = $1")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }
}

fn batch_from_row(row: &AnyRow) -> Result<Batch, StoreError> {
    Ok(Batch {
        stored: NewBatch {
            batch_id: get(row, "batch_id")?,
            credential_issuer: get(row, "credential_issuer")?,
            configuration_id: get(row, "configuration_id")?,
            format: get(row, "format")?,
            vct: get(row, "vct")?,
            iss: get(row, "iss")?,
            issuer_jwk: get(row, "issuer_jwk")?,
            issuer_key_source: get(row, "issuer_key_source")?,
            display_name: get(row, "display_name")?,
            received_at: get(row, "received_at")?,
        },
        copies: get(row, "copies")?,
        unused: get::<Option<i64>>(row, "unused")?.unwrap_or(0),
        expires_at: get(row, "expires_at")?,
    })
}

fn copy_from_row(row: &AnyRow) -> Result<Copy, StoreError> {
    let status_uri: Option<String> = get(row, "status_uri")?;
    let status_idx: Option<i64> = get(row, "status_idx")?;
    Ok(Copy {
        credential_id: get(row, "credential_id")?,
        batch_id: get(row, "batch_id")?,
        stored: NewCopy {
            position: get(row, "position")?,
            sd_jwt: get(row, "sd_jwt")?,
            claims: from_json(&get::<String>(row, "claims")?, "claims")?,
            holder_key: get(row, "holder_key")?,
            expires_at: get(row, "expires_at")?,
            status: status_uri.zip(status_idx),
        },
        presentations: get(row, "presentations")?,
        last_presented_at: get(row, "last_presented_at")?,
    })
}
