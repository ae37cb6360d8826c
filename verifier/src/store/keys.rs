//! The verifier's own keys: `evidence` signs check records, `id_token` the OpenID Provider
//! bridge's ID tokens. One key per purpose is `active`; a rotated-out key is `retired`, keeps
//! its public JWK and validity (`created_at` to `retired_at`) and loses its private part.

use super::{Store, StoreError, get};

/// The active key of a purpose.
pub struct ActiveKeyRow {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// The private key as stored: sealed, or an HSM reference (see `idv_keystore`).
    pub private_jwk: String,
    /// The published public JWK (JSON); `None` for a key created before it was stored.
    pub public_jwk: Option<String>,
    /// When it became the signing key.
    pub created_at: i64,
}

impl std::fmt::Debug for ActiveKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveKeyRow")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A key as published: public part and validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKeyRow {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// The public JWK (JSON).
    pub public_jwk: String,
    /// When it became the signing key.
    pub created_at: i64,
    /// When another key replaced it; `None` while it signs.
    pub retired_at: Option<i64>,
}

/// A freshly generated key to store.
pub struct NewKey<'a> {
    /// RFC 7638 thumbprint.
    pub kid: &'a str,
    /// The private key as stored: sealed, or an HSM reference (see `idv_keystore`).
    pub private_jwk: &'a str,
    /// The public JWK (JSON).
    pub public_jwk: &'a str,
}

impl Store {
    /// The active key for `purpose`, if one exists.
    pub async fn active_service_key(
        &self,
        purpose: &str,
    ) -> Result<Option<ActiveKeyRow>, StoreError> {
        let row = sqlx::query(
            "SELECT kid, private_jwk, public_jwk, created_at FROM service_keys \
             WHERE purpose = $1 AND status = 'active'",
        )
        .bind(purpose)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(ActiveKeyRow {
                kid: get(&row, "kid")?,
                private_jwk: get(&row, "private_jwk")?,
                public_jwk: get(&row, "public_jwk")?,
                created_at: get(&row, "created_at")?,
            })
        })
        .transpose()
    }

    /// Stores `key` as the active key for `purpose` unless one is active already; returns
    /// whether it was stored (two instances starting at once: one wins).
    pub async fn insert_service_key_if_none(
        &self,
        purpose: &str,
        key: &NewKey<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self
            .db
            .write_unless_taken(
                sqlx::query(
                    "INSERT INTO service_keys \
                     (kid, purpose, private_jwk, public_jwk, status, created_at) \
                     VALUES ($1, $2, $3, $4, 'active', $5)",
                )
                .bind(key.kid)
                .bind(purpose)
                .bind(key.private_jwk)
                .bind(key.public_jwk)
                .bind(now),
            )
            .await?)
    }

    /// Records the public JWK of a key stored before public keys were (idempotent).
    pub async fn fill_public_jwk(&self, kid: &str, public_jwk: &str) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query(
                    "UPDATE service_keys SET public_jwk = $2 WHERE kid = $1 AND public_jwk IS NULL",
                )
                .bind(kid)
                .bind(public_jwk),
            )
            .await?;
        Ok(())
    }

    /// Every key of `purpose` that has a public JWK: the active one first, then the retired
    /// ones, most recently retired first.
    pub async fn published_service_keys(
        &self,
        purpose: &str,
    ) -> Result<Vec<PublishedKeyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, public_jwk, created_at, retired_at FROM service_keys \
             WHERE purpose = $1 AND public_jwk IS NOT NULL \
             ORDER BY CASE WHEN status = 'active' THEN 0 ELSE 1 END, retired_at DESC, \
             created_at DESC, kid",
        )
        .bind(purpose)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PublishedKeyRow {
                    kid: get(row, "kid")?,
                    public_jwk: get(row, "public_jwk")?,
                    created_at: get(row, "created_at")?,
                    retired_at: get(row, "retired_at")?,
                })
            })
            .collect()
    }

    /// Replaces the active key of `purpose`, if it is still `retiring_kid`, with `new`: the
    /// retiring key is `retired` at `now` with its public JWK kept and its private JWK erased,
    /// and `new` is active from `now`. Returns whether it happened (false: another rotation
    /// came first).
    pub async fn rotate_service_key(
        &self,
        purpose: &str,
        retiring_kid: &str,
        retiring_public_jwk: &str,
        new: &NewKey<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let retired = sqlx::query(
            "UPDATE service_keys SET status = 'retired', retired_at = $3, private_jwk = '', \
             public_jwk = $4 WHERE kid = $1 AND purpose = $2 AND status = 'active'",
        )
        .bind(retiring_kid)
        .bind(purpose)
        .bind(now)
        .bind(retiring_public_jwk)
        .execute(&mut *tx)
        .await?;
        if retired.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO service_keys (kid, purpose, private_jwk, public_jwk, status, created_at) \
             VALUES ($1, $2, $3, $4, 'active', $5)",
        )
        .bind(new.kid)
        .bind(purpose)
        .bind(new.private_jwk)
        .bind(new.public_jwk)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
