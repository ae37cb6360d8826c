//! The anchor signing key (the operator tokens are `idv_service_kit::db::operator_tokens`).

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
        let insert = sqlx::query(
            "INSERT INTO anchor_keys (kid, private_jwk, status, created_at) \
             VALUES ($1, $2, 'active', $3)",
        )
        .bind(kid)
        .bind(private_jwk)
        .bind(now);
        Ok(self.db.write_unless_taken(insert).await?)
    }
}
