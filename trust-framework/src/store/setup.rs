//! The anchor signing key and the operator tokens.

use super::{Store, StoreError, get};

impl Store {
    /// The active anchor key as stored (sealed, or an HSM reference), if the register was
    /// initialised.
    pub async fn active_anchor_key(&self) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT private_jwk FROM anchor_keys WHERE status = 'active'")
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|row| get(&row, "private_jwk")).transpose()
    }

    /// Stores `private_jwk` as the active anchor key unless one is already active; returns
    /// whether it was stored.
    pub async fn insert_anchor_key_if_none(
        &self,
        kid: &str,
        private_jwk: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        // The partial unique index allows one active key: another `init` won.
        Ok(self
            .db
            .write_unless_taken(
                sqlx::query(
                    "INSERT INTO anchor_keys (kid, private_jwk, status, created_at) \
             VALUES ($1, $2, 'active', $3)",
                )
                .bind(kid)
                .bind(private_jwk)
                .bind(now),
            )
            .await?)
    }

    /// Hashes of every operator token.
    pub async fn operator_token_hashes(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT token_hash FROM operator_tokens ORDER BY created_at")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(|row| get(row, "token_hash")).collect()
    }

    /// Stores an operator token's hash.
    pub async fn insert_operator_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query("INSERT INTO operator_tokens (token_hash, created_at) VALUES ($1, $2)")
                    .bind(token_hash)
                    .bind(now),
            )
            .await?;
        Ok(())
    }
}
