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
pub mod outbox_backlog;
pub mod tenants;

use idv_keystore::KeyStoreError;
use idv_service_kit::db::{
    Column, DbError, Migrations, PrivateKeyColumn, Statement, StoreSpec, is_unique_violation,
};
use sqlx::Row as _;
use sqlx::any::AnyRow;

/// The service's migrations, embedded (see `idv_service_kit::migrations!`).
pub static MIGRATIONS: Migrations = idv_service_kit::migrations!(
    "../migrations/verifier",
    [
        "0001_create_verifier.sql",
        "0002_create_oidc.sql",
        "0003_reopen_presented_checks.sql",
        "0004_evidence_key_validity.sql",
        "0005_pending_authorizations.sql"
    ]
);

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Connecting or migrating failed.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The private keys cannot be kept or used (wrong key-encryption key, HSM unavailable).
    #[error("the verifier's keys are unusable: {0}")]
    Keys(#[from] KeyStoreError),
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

/// What opening the database needs: the service's name (its default key-encryption key file is
/// `verifier.kek`), the migrations, and the columns holding private keys (a retired service key's
/// private part is `''`, erased; a check's is NULL once it is answered).
static SPEC: StoreSpec = StoreSpec {
    service: "verifier",
    migrations: &MIGRATIONS,
    private_key_columns: &[
        PrivateKeyColumn {
            table: "service_keys",
            id: "kid",
            column: "private_jwk",
        },
        PrivateKeyColumn {
            table: "tenants",
            id: "tenant_id",
            column: "signing_key",
        },
        PrivateKeyColumn {
            table: "checks",
            id: "check_id",
            column: "decryption_key",
        },
    ],
};

idv_service_kit::keyed_store!(
    /// The verifier's database and the custody of its private keys. Cheap to clone (the pool is
    /// shared).
    pub struct Store(SPEC) -> StoreError;
);

fn get<T: Column>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    Ok(row.try_get(column)?)
}

impl Store {
    /// A compare-and-swap `UPDATE`: whether it changed exactly one row (false when its `WHERE`
    /// no longer matched: another writer came first).
    async fn swap(&self, statement: Statement) -> Result<bool, StoreError> {
        Ok(self.db.write_once(statement).await?)
    }
}

#[cfg(test)]
mod tests {
    use idv_service_kit::db::Database;

    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        MIGRATIONS.check_folder().unwrap();
    }

    idv_test_support::test_on_both_databases!(
        a_check_left_presented_by_an_earlier_version_is_open_again
    );

    async fn a_check_left_presented_by_an_earlier_version_is_open_again(
        test_db: idv_test_support::TestDb,
    ) {
        let db = Database::connect(test_db.url()).await.unwrap();
        let before = Migrations {
            sqlite: &MIGRATIONS.sqlite[..2],
            postgres: &MIGRATIONS.postgres[..2],
            ..MIGRATIONS
        };
        db.migrate(&before).await.unwrap();
        db.write(sqlx::query(
            "INSERT INTO tenants (tenant_id, name, client_id, signing_key, webhook_secret, created_at) \
             VALUES ('t', 'T', 'x509_san_dns:t.example', '{}', 's', 0)",
        ))
        .await
        .unwrap();
        db.write(sqlx::query(
            "INSERT INTO checks (check_id, tenant_id, template, template_version, state, \
             response_mode, request_id, request_state, nonce, created_at, expires_at, \
             presented_at, response_code_hash) \
             VALUES ('chk_1', 't', 'rtw', 1, 'presented', 'direct_post.jwt', 'r', 's', 'n', \
             0, 600, 10, 'h')",
        ))
        .await
        .unwrap();
        db.migrate(&MIGRATIONS).await.unwrap();
        let (state, presented_at, code): (String, Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT state, presented_at, response_code_hash FROM checks WHERE check_id = 'chk_1'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(
            (state.as_str(), presented_at, code),
            ("created", None, None)
        );
        db.close().await;
    }
}
