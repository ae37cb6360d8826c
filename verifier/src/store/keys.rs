//! The verifier's own keys: `evidence` signs check records, `id_token` the OpenID Provider
//! bridge's ID tokens.

use super::{Store, StoreError, get, is_unique_violation};

impl Store {
    /// The active key's private JWK (JSON) for `purpose`, if one exists.
    pub async fn active_service_key(&self, purpose: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT private_jwk FROM service_keys WHERE purpose = $1 AND status = 'active'",
        )
        .bind(purpose)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| get(&row, "private_jwk")).transpose()
    }

    /// Stores `private_jwk` as the active key for `purpose` unless one is active already;
    /// returns whether it was stored (two instances starting at once: one wins).
    pub async fn insert_service_key_if_none(
        &self,
        purpose: &str,
        kid: &str,
        private_jwk: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let inserted = self
            .db
            .write(
                sqlx::query(
                    "INSERT INTO service_keys (kid, purpose, private_jwk, status, created_at) \
             VALUES ($1, $2, $3, 'active', $4)",
                )
                .bind(kid)
                .bind(purpose)
                .bind(private_jwk)
                .bind(now),
            )
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
