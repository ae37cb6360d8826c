//! Signing keys (the operator tokens are `idv_service_kit::db::operator_tokens`).

use idv_service_kit::db::Statement;

use super::{Store, StoreError, get};

/// A signing key as stored.
#[derive(Clone)]
pub struct StoredKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The stored private key: sealed (a JWE) or an HSM reference (see `idv_keystore`).
    /// Never logged.
    pub private_jwk: String,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A signing key's public side and lifecycle, for publication and listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyRecord {
    /// The key id.
    pub kid: String,
    /// Public JWK (JSON).
    pub public_jwk: String,
    /// `active` or `retired`.
    pub status: String,
    /// Creation time.
    pub created_at: i64,
    /// Retirement time, when retired.
    pub retired_at: Option<i64>,
    /// The latest `exp` of credentials it signed, if any.
    pub last_credential_expiry: Option<i64>,
}

impl Store {
    /// The active signing key, if one was created.
    pub async fn active_signing_key(&self) -> Result<Option<StoredKey>, StoreError> {
        let row = sqlx::query("SELECT kid, private_jwk FROM signing_keys WHERE status = 'active'")
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|row| {
            Ok(StoredKey {
                kid: get(&row, "kid")?,
                private_jwk: get(&row, "private_jwk")?,
            })
        })
        .transpose()
    }

    /// Stores a key as the active one unless one is already active; returns whether it was
    /// stored (the partial unique index lets one concurrent creator win).
    pub async fn insert_signing_key_if_none(
        &self,
        kid: &str,
        private_jwk: &str,
        public_jwk: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self
            .db
            .write_unless_taken(insert_active_key(kid, private_jwk, public_jwk, now))
            .await?)
    }

    /// Retires the active key and makes `kid` the active one, in one transaction. Returns the
    /// retired key's id.
    pub async fn rotate_signing_key(
        &self,
        kid: &str,
        private_jwk: &str,
        public_jwk: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.begin().await?;
        let retired: Option<String> = sqlx::query_scalar(
            "UPDATE signing_keys SET status = 'retired', retired_at = $1 \
             WHERE status = 'active' RETURNING kid",
        )
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        insert_active_key(kid, private_jwk, public_jwk, now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(retired)
    }

    /// Every key with its lifecycle: the active one, then retired ones, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<PublicKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.kid, k.public_jwk, k.status, k.created_at, k.retired_at, \
             (SELECT MAX(c.expires_at) FROM credentials c WHERE c.signing_kid = k.kid) \
             AS last_credential_expiry \
             FROM signing_keys k \
             ORDER BY CASE k.status WHEN 'active' THEN 0 ELSE 1 END, k.created_at DESC, \
             k.retired_at DESC, k.kid",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PublicKeyRecord {
                    kid: get(row, "kid")?,
                    public_jwk: get(row, "public_jwk")?,
                    status: get(row, "status")?,
                    created_at: get(row, "created_at")?,
                    retired_at: get(row, "retired_at")?,
                    last_credential_expiry: get(row, "last_credential_expiry")?,
                })
            })
            .collect()
    }
}

/// The `INSERT` of `kid` as the active signing key (the partial unique index allows one).
fn insert_active_key(kid: &str, private_jwk: &str, public_jwk: &str, now: i64) -> Statement {
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_jwk, public_jwk, status, created_at) \
         VALUES ($1, $2, $3, 'active', $4)",
    )
    .bind(kid.to_owned())
    .bind(private_jwk.to_owned())
    .bind(public_jwk.to_owned())
    .bind(now)
}
