//! Tenants and their API keys.

use std::fmt;

use sqlx::any::AnyRow;

use super::{Store, StoreError, get, is_unique_violation};

const TENANT_COLUMNS: &str = "t.tenant_id, t.name, t.client_id, t.signing_key, t.attestation, \
                              t.attestation_exp, t.webhook_secret, t.created_at";

/// A tenant as stored. Holds private key material: `Debug` shows ids only.
#[derive(Clone, PartialEq, Eq)]
pub struct TenantRow {
    /// `tn_…`.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// The original client identifier registered with the trust framework.
    pub client_id: String,
    /// The private request-signing JWK (JSON).
    pub signing_key: String,
    /// The installed verifier attestation, if any.
    pub attestation: Option<String>,
    /// Its `exp`.
    pub attestation_exp: Option<i64>,
    /// The webhook signing secret (`whsec_…`).
    pub webhook_secret: String,
    /// Creation time.
    pub created_at: i64,
}

impl fmt::Debug for TenantRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantRow")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Inserts a tenant with its first API key (hash). Fails with [`StoreError::Taken`] when
    /// the `client_id` is used by another tenant.
    pub async fn insert_tenant(
        &self,
        tenant: &TenantRow,
        api_key_hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO tenants (tenant_id, name, client_id, signing_key, webhook_secret, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&tenant.tenant_id)
        .bind(&tenant.name)
        .bind(&tenant.client_id)
        .bind(&tenant.signing_key)
        .bind(&tenant.webhook_secret)
        .bind(tenant.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Taken { what: "client_id" });
            }
            Err(e) => return Err(e.into()),
        }
        sqlx::query("INSERT INTO api_keys (key_hash, tenant_id, created_at) VALUES ($1, $2, $3)")
            .bind(api_key_hash)
            .bind(&tenant.tenant_id)
            .bind(tenant.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds another API key to a tenant.
    pub async fn insert_api_key(
        &self,
        tenant_id: &str,
        api_key_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query(
                    "INSERT INTO api_keys (key_hash, tenant_id, created_at) VALUES ($1, $2, $3)",
                )
                .bind(api_key_hash)
                .bind(tenant_id)
                .bind(now),
            )
            .await?;
        Ok(())
    }

    /// Revokes every API key of a tenant; returns how many were active.
    pub async fn revoke_api_keys(&self, tenant_id: &str, now: i64) -> Result<u64, StoreError> {
        let done = self.db.write(sqlx::query(
            "UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL",
        )
        .bind(tenant_id)
        .bind(now)
        )
        .await?;
        Ok(done.rows_affected())
    }

    /// The tenant owning an unrevoked API key with this hash.
    pub async fn tenant_by_api_key(&self, key_hash: &str) -> Result<Option<TenantRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TENANT_COLUMNS} FROM tenants t JOIN api_keys k ON k.tenant_id = t.tenant_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
        )))
        .bind(key_hash)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(tenant).transpose()
    }

    /// One tenant.
    pub async fn load_tenant(&self, tenant_id: &str) -> Result<Option<TenantRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TENANT_COLUMNS} FROM tenants t WHERE t.tenant_id = $1"
        )))
        .bind(tenant_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(tenant).transpose()
    }

    /// Every tenant, oldest first.
    pub async fn load_tenants(&self) -> Result<Vec<TenantRow>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TENANT_COLUMNS} FROM tenants t ORDER BY t.created_at, t.tenant_id"
        )))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(tenant).collect()
    }

    /// Installs a verified attestation.
    pub async fn set_attestation(
        &self,
        tenant_id: &str,
        attestation: &str,
        exp: i64,
    ) -> Result<bool, StoreError> {
        self.swap(
            sqlx::query(
                "UPDATE tenants SET attestation = $2, attestation_exp = $3 WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .bind(attestation)
            .bind(exp),
        )
        .await
    }
}

fn tenant(row: &AnyRow) -> Result<TenantRow, StoreError> {
    Ok(TenantRow {
        tenant_id: get(row, "tenant_id")?,
        name: get(row, "name")?,
        client_id: get(row, "client_id")?,
        signing_key: get(row, "signing_key")?,
        attestation: get(row, "attestation")?,
        attestation_exp: get(row, "attestation_exp")?,
        webhook_secret: get(row, "webhook_secret")?,
        created_at: get(row, "created_at")?,
    })
}
