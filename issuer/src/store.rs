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

use idv_keystore::KeyStoreError;
use idv_service_kit::db::{
    Column, DbError, Migrations, PrivateKeyColumn, StoreSpec, is_unique_violation,
};
use sqlx::Row as _;
use sqlx::any::AnyRow;

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
    /// A key's JWK does not convert to or from JSON.
    #[error("{what} does not convert to or from JSON")]
    Json {
        /// Which value.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A stored value does not decode.
    #[error("stored {what} does not decode: {reason}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// What opening the database needs: the service's name (its default key-encryption key file is
/// `issuer.kek`), the migrations, and the column holding the signing keys.
static SPEC: StoreSpec = StoreSpec {
    service: "issuer",
    migrations: &MIGRATIONS,
    private_key_columns: &[PrivateKeyColumn {
        table: "signing_keys",
        id: "kid",
        column: "private_jwk",
    }],
};

idv_service_kit::keyed_store!(
    /// The issuer's database and the custody of its private keys. Cheap to clone (the pool is
    /// shared).
    pub struct Store(SPEC) -> StoreError;
);

fn get<T: Column>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    Ok(row.try_get(column)?)
}

fn corrupt(what: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what,
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        MIGRATIONS.check_folder().unwrap();
    }
}
