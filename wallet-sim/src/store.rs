//! The wallet's local database: the only module with SQL.
//!
//! A SQLite file in the data directory by default (PostgreSQL works too: one portable SQL text,
//! conventions in `idv_service_kit::db`). Schema: `migrations/wallet-sim/{sqlite,postgres}/`.
//!
//! - [`credentials`]: batches (one logical credential) and their copies, each with its own
//!   holder key; which copy to present next.
//! - [`presentations`]: the log of what was shared with whom (claims paths, never values).
//! - `trust_list_state`: owned by `idv_fetch::TrustListClient`, which reads and writes it
//!   through [`Store::database`].

pub mod credentials;
pub mod presentations;

use idv_service_kit::db::{Database, DbError, Migrations, PoolSettings};
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _};

/// The wallet's migrations, embedded (see `idv_service_kit::migrations!`).
pub static MIGRATIONS: Migrations =
    idv_service_kit::migrations!("../migrations/wallet-sim", ["0001_create_wallet.sql"]);

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Connecting or migrating failed.
    #[error(transparent)]
    Database(#[from] DbError),
    /// A statement failed.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value does not decode, or a value to store does not encode, as JSON.
    #[error("{what} does not convert to or from its stored JSON")]
    Json {
        /// Which value.
        what: &'static str,
        /// The parser's or serializer's error.
        #[source]
        source: serde_json::Error,
    },
}

/// The wallet's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Connects to `url` (creating a SQLite file when missing) and applies migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        // One command at a time uses the wallet: two connections are plenty.
        let settings = PoolSettings {
            max_connections: 2,
            ..PoolSettings::default()
        };
        let db = Database::open(url, settings, &MIGRATIONS).await?;
        Ok(Self { db })
    }

    /// The database handle, for `idv_fetch::TrustListClient`'s `trust_list_state`.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Closes the pool (waits for connections in use).
    pub async fn close(&self) {
        self.db.close().await;
    }
}

fn get<T>(row: &AnyRow, column: &str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    Ok(row.try_get(column)?)
}

fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json { what, source })
}

fn to_json<T: serde::Serialize + ?Sized>(
    value: &T,
    what: &'static str,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Json { what, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        MIGRATIONS.check_folder().unwrap();
    }
}
