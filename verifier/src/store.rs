//! Persistence: the only module with SQL.
//!
//! One portable SQL text serves SQLite and PostgreSQL through `sqlx::AnyPool` (conventions in
//! `idv_service_kit::db`). Schema: `migrations/verifier/{sqlite,postgres}/`.
//!
//! Every state change of a check is a compare-and-swap on its `state` (`UPDATE … WHERE state =
//! 'created'`), so any number of instances can share the database: exactly one wins the
//! single-use wallet request, and exactly one finishes or expires a check. A check's webhook
//! event is written in the same transaction as the change it reports (the outbox), so an event
//! is never lost nor sent for a change that did not commit.

pub mod checks;
pub mod keys;
pub mod oidc;
pub mod outbox;
pub mod tenants;

use idv_service_kit::db::{Database, DbError, Migrations, PoolSettings, WriteTx};
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _};

/// The service's migrations, embedded (see `idv_service_kit::migrations!`).
pub static MIGRATIONS: Migrations = idv_service_kit::migrations!(
    "../migrations/verifier",
    ["0001_create_verifier.sql", "0002_create_oidc.sql"]
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
    /// A unique value (a tenant's `client_id`) is taken.
    #[error("{what} is already taken")]
    Taken {
        /// Which value.
        what: &'static str,
    },
}

/// The verifier's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Connects to `url` (creating a SQLite file when missing) and applies migrations.
    pub async fn connect(url: &str, pool: PoolSettings) -> Result<Self, StoreError> {
        let db = Database::connect_with(url, pool).await?;
        db.migrate(&MIGRATIONS).await?;
        Ok(Self { db })
    }

    /// The database handle, for components that keep their own tables in it (the trust list
    /// client's `trust_list_state`).
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
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/verifier");
        idv_service_kit::db::check_migration_folders(&MIGRATIONS, &dir).unwrap();
    }
}
