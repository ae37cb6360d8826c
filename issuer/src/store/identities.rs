//! Proofed identities: the proofing records the provider is accountable for.

use super::{Store, StoreError, get, is_unique_violation};

/// The outcome of linking an account to an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// Done.
    Linked,
    /// No such identity.
    NotFound,
    /// Another identity is linked to that account.
    Taken,
}

/// `SELECT` of every identity column, with a `WHERE` clause.
macro_rules! select_identity {
    ($where:literal) => {
        concat!(
            "SELECT identity_id, record, recorded_at, login_subject FROM identities WHERE ",
            $where
        )
    };
}

fn identity_from_row(row: &sqlx::any::AnyRow) -> Result<StoredIdentity, StoreError> {
    Ok(StoredIdentity {
        identity_id: get(row, "identity_id")?,
        record: get(row, "record")?,
        recorded_at: get(row, "recorded_at")?,
        login_subject: get(row, "login_subject")?,
    })
}

/// A proofing record as stored.
#[derive(Clone)]
pub struct StoredIdentity {
    /// Its id.
    pub identity_id: String,
    /// The `ProofedIdentity` as JSON (personal data: never logged).
    pub record: String,
    /// When the operator recorded it.
    pub recorded_at: i64,
    /// The `sub` of the person's account at the provider's OP, when linked.
    pub login_subject: Option<String>,
}

impl std::fmt::Debug for StoredIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredIdentity")
            .field("identity_id", &self.identity_id)
            .field("recorded_at", &self.recorded_at)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Stores a proofing record; `false` when `login_subject` is already another identity's.
    pub async fn insert_identity(
        &self,
        identity_id: &str,
        record: &str,
        level_of_confidence: &str,
        proofed_at: i64,
        login_subject: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let inserted = self
            .db
            .write(
                sqlx::query(
                    "INSERT INTO identities \
             (identity_id, record, level_of_confidence, proofed_at, recorded_at, login_subject) \
             VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(identity_id)
                .bind(record)
                .bind(level_of_confidence)
                .bind(proofed_at)
                .bind(now)
                .bind(login_subject),
            )
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) if login_subject.is_some() && is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// One proofing record.
    pub async fn identity(&self, identity_id: &str) -> Result<Option<StoredIdentity>, StoreError> {
        let row = sqlx::query(select_identity!("identity_id = $1"))
            .bind(identity_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    /// The proofing record linked to the OP account `login_subject`.
    pub async fn identity_by_login_subject(
        &self,
        login_subject: &str,
    ) -> Result<Option<StoredIdentity>, StoreError> {
        let row = sqlx::query(select_identity!("login_subject = $1"))
            .bind(login_subject)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    /// Links an identity to the OP account `login_subject` (`None` unlinks it).
    pub async fn set_login_subject(
        &self,
        identity_id: &str,
        login_subject: Option<&str>,
    ) -> Result<Linked, StoreError> {
        let updated = self
            .db
            .write(
                sqlx::query("UPDATE identities SET login_subject = $1 WHERE identity_id = $2")
                    .bind(login_subject)
                    .bind(identity_id),
            )
            .await;
        match updated {
            Ok(done) if done.rows_affected() == 1 => Ok(Linked::Linked),
            Ok(_) => Ok(Linked::NotFound),
            Err(e) if is_unique_violation(&e) => Ok(Linked::Taken),
            Err(e) => Err(e.into()),
        }
    }
}
