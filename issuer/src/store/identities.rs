//! Proofed identities: the proofing records the provider is accountable for.

use super::{Store, StoreError, get};

/// A proofing record as stored.
#[derive(Clone)]
pub struct StoredIdentity {
    /// Its id.
    pub identity_id: String,
    /// The `ProofedIdentity` as JSON (personal data: never logged).
    pub record: String,
    /// When the operator recorded it.
    pub recorded_at: i64,
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
    /// Stores a proofing record.
    pub async fn insert_identity(
        &self,
        identity_id: &str,
        record: &str,
        level_of_confidence: &str,
        proofed_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identities \
             (identity_id, record, level_of_confidence, proofed_at, recorded_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(identity_id)
        .bind(record)
        .bind(level_of_confidence)
        .bind(proofed_at)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// One proofing record.
    pub async fn identity(&self, identity_id: &str) -> Result<Option<StoredIdentity>, StoreError> {
        let row = sqlx::query(
            "SELECT identity_id, record, recorded_at FROM identities WHERE identity_id = $1",
        )
        .bind(identity_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(StoredIdentity {
                identity_id: get(&row, "identity_id")?,
                record: get(&row, "record")?,
                recorded_at: get(&row, "recorded_at")?,
            })
        })
        .transpose()
    }
}
