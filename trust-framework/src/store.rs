//! Persistence of the register: the only module with SQL.
//!
//! One portable SQL text serves SQLite and PostgreSQL through `sqlx::AnyPool` (conventions in
//! `idv_service_kit::db`). Schema: `migrations/trust-framework/{sqlite,postgres}/`.
//!
//! Concurrency rules, which let any number of instances share one database:
//! - every mutation runs in one transaction whose **first** statement bumps
//!   `register_state.revision` (taking the write lock up front, so SQLite never has to upgrade
//!   a read lock, and PostgreSQL serialises mutations on that row);
//! - a signed list is saved with a compare-and-swap on (`sequence`, `revision`): two instances
//!   can never save different content under one `sequence`, and a list built from a register
//!   that changed meanwhile is never saved (see [`trust_list`]).

pub mod providers;
pub mod relying_parties;
pub mod setup;
pub mod trust_list;

use idv_keystore::KeyStoreError;
use idv_service_kit::db::{
    Column, DbError, Migrations, PrivateKeyColumn, StoreSpec, WriteTx, is_unique_violation,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row as _;
use sqlx::any::AnyRow;

/// The service's migrations, embedded (see `idv_service_kit::migrations!`).
pub static MIGRATIONS: Migrations = idv_service_kit::migrations!(
    "../migrations/trust-framework",
    [
        "0001_create_register.sql",
        "0002_issuer_binding_changes.sql"
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
    /// The anchor key cannot be kept or used (wrong key-encryption key, HSM unavailable).
    #[error("the register's keys are unusable: {0}")]
    Keys(#[from] KeyStoreError),
    /// A stored value does not decode.
    #[error("stored {what} does not decode: {reason}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// An `iss` of a new entry is already bound to an entry.
    #[error("issuer `{iss}` is already bound to entry {entry_id}")]
    IssuerTaken {
        /// The `iss`.
        iss: String,
        /// The entry holding it.
        entry_id: String,
    },
    /// A relying party with this `client_id` is already registered.
    #[error("client_id `{client_id}` is already registered")]
    ClientIdTaken {
        /// The client identifier.
        client_id: String,
    },
}

/// What opening the database needs: the service's name (its default key-encryption key file is
/// `trust-framework.kek`), the migrations, and the column holding the anchor keys.
static SPEC: StoreSpec = StoreSpec {
    service: "trust-framework",
    migrations: &MIGRATIONS,
    private_key_columns: &[PrivateKeyColumn {
        table: "anchor_keys",
        id: "kid",
        column: "private_jwk",
    }],
};

idv_service_kit::keyed_store!(
    /// The register's database and the custody of its private keys. Cheap to clone (the pool is
    /// shared).
    pub struct Store(SPEC) -> StoreError;
);

/// Bumps the register revision: the first statement of every mutating transaction.
async fn bump_revision(tx: &mut WriteTx) -> Result<(), StoreError> {
    sqlx::query("UPDATE register_state SET revision = revision + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn get<T: Column>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    Ok(row.try_get(column)?)
}

fn to_json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

fn from_json<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// A serde unit enum (`ServiceStatus`, `SchemeCode`, …) as its wire string.
fn enum_text<T: Serialize>(value: &T, what: &'static str) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Corrupt {
            what,
            reason: "not a string enum".into(),
        }),
    }
}

fn enum_from_text<T: DeserializeOwned>(text: String, what: &'static str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        MIGRATIONS.check_folder().unwrap();
    }
}
