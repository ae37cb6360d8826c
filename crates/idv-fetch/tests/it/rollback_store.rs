//! Both rollback stores keep the same rules: a service's database (its `trust_list_state`
//! table, on SQLite and PostgreSQL) and the in-memory one the other tests use.

use idv_fetch::trust_list::testing::check_rollback_store;
use idv_service_kit::Database;
use idv_service_kit::db::Migrations;
use idv_test_support::{TestDb, test_on_both_databases};

use crate::helpers::MemoryStore;

/// The table as a service's migrations create it: the issuer's migration adding it.
static TRUST_LIST_STATE: Migrations =
    idv_service_kit::migrations!("../../migrations/issuer", ["0005_trust_list_state.sql"]);

test_on_both_databases!(a_database_keeps_the_rollback_rules);

async fn a_database_keeps_the_rollback_rules(db: TestDb) {
    let database = Database::connect(db.url()).await.unwrap();
    database.migrate(&TRUST_LIST_STATE).await.unwrap();
    check_rollback_store(&database).await;
    database.close().await;
}

#[tokio::test]
async fn the_memory_store_keeps_the_rollback_rules() {
    check_rollback_store(&MemoryStore::default()).await;
}
