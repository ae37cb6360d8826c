//! Persistence of the issuer: the only module with SQL.
//!
//! One portable SQL text serves SQLite and PostgreSQL through `sqlx::AnyPool` (conventions in
//! `idv_service_kit::db`). Schema: `migrations/issuer/{sqlite,postgres}/`.
//!
//! What is kept, and what never is: the proofing record the provider is accountable for
//! (`identities`), offers, and for every issued credential only the metadata status management
//! and accountability need (who, which configuration, status list position, signing key, holder
//! key thumbprint, times, status history). With `[trust]`, `trust_list_state` holds the last
//! trust list accepted (rollback protection), owned by `idv_fetch::TrustListClient`. Issued SD-JWTs, disclosures and salts are never
//! stored. Pre-authorized codes, offer handles, `tx_code`s, `issuer_state`s, `request_uri`
//! handles, authorization codes, access tokens, `c_nonce`s, operator tokens, and the `state` and
//! `nonce` sent to the OP are stored as base64url(SHA-256) only. The one secret kept as is, the
//! PKCE verifier for the OP's code, lives from `/authorize` to the OP's callback (see
//! [`authorization`]).
//!
//! Concurrency rules, which let any number of instances share one database:
//! - everything single-use is consumed by a conditional `UPDATE … WHERE used_at IS NULL` (or
//!   an attempt counter `WHERE attempts < max`) whose affected-row count decides who won;
//! - a mutating transaction starts with a write, so SQLite takes its write lock up front and
//!   never has to upgrade a read lock (which fails under WAL when another writer committed);
//! - status indices are unique per list (`UNIQUE (list_id, status_idx)`), claimed with
//!   `INSERT … ON CONFLICT DO NOTHING`, and a list's capacity is reserved by a conditional
//!   `UPDATE`, so no index is ever handed out twice.

pub mod authorization;
pub mod credentials;
pub mod identities;
pub mod offers;
pub mod setup;
pub mod status_lists;

use std::sync::Arc;

use idv_keystore::{KeyCustody, KeyStoreError, KeysConfig};
use idv_service_kit::db::{Database, DbError, Migrations, PoolSettings, WriteTx};
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _};

/// The service's migrations, embedded (see `idv_service_kit::migrations!`).
pub static MIGRATIONS: Migrations = idv_service_kit::migrations!(
    "../migrations/issuer",
    [
        "0001_create_issuer.sql",
        "0002_authorization_code_flow.sql",
        "0003_index_authorization_codes.sql",
        "0004_index_credentials_by_batch.sql",
        "0005_trust_list_state.sql"
    ]
);

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Connecting or migrating failed.
    #[error(transparent)]
    Database(#[from] DbError),
    /// A statement failed.
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
    /// The private keys cannot be kept or used (wrong key-encryption key, HSM unavailable).
    #[error("the issuer's keys are unusable: {0}")]
    Keys(#[from] KeyStoreError),
    /// A stored value does not decode.
    #[error("stored {what} does not decode: {reason}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// The issuer's database. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    keys: Arc<KeyCustody>,
}

/// The service's name in its default key-encryption key file (`issuer.kek`).
const SERVICE: &str = "issuer";

impl Store {
    /// Connects to `url` (creating a SQLite file when missing) and applies migrations, with
    /// the default `[keys]` (the key-encryption key file beside the SQLite database, or in the
    /// default data folder).
    pub async fn connect(url: &str, pool: PoolSettings) -> Result<Self, StoreError> {
        let default_dir = idv_service_kit::config::DatabaseSettings::default_sqlite().data_dir;
        Self::connect_with_keys(url, pool, &KeysConfig::default(), &default_dir).await
    }

    /// Connects as [`Store::connect`] with `keys` (`data_dir`: `database.data_dir`, where the
    /// default key-encryption key file goes for a database that is not a SQLite file), then
    /// seals any private key still stored in clear and checks that every stored key is usable.
    pub async fn connect_with_keys(
        url: &str,
        pool: PoolSettings,
        keys: &KeysConfig,
        data_dir: &std::path::Path,
    ) -> Result<Self, StoreError> {
        let default_kek = idv_keystore::default_kek_file(url, data_dir, SERVICE);
        let keys = Arc::new(KeyCustody::open(keys, &default_kek)?);
        let db = Database::connect_with(url, pool).await?;
        db.migrate(&MIGRATIONS).await?;
        let store = Self { db, keys };
        store.seal_keys_at_rest().await?;
        Ok(store)
    }

    /// Where the private keys live.
    pub fn keys(&self) -> &KeyCustody {
        &self.keys
    }

    /// The database handle, for `idv_fetch::TrustListClient`, which reads and writes the
    /// `trust_list_state` table itself.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// A write transaction: on SQLite one at a time per store, taking the write lock at once
    /// (see `Database::begin_write`). Every caller writes.
    async fn begin(&self) -> Result<WriteTx, StoreError> {
        Ok(self.db.begin_write().await?)
    }
}

fn get<T>(row: &AnyRow, column: &str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    Ok(row.try_get(column)?)
}

fn corrupt(what: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what,
        reason: reason.to_string(),
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/issuer");
        idv_service_kit::db::check_migration_folders(&MIGRATIONS, &dir).unwrap();
    }
}
