//! Both rollback stores keep the same rules: a service's database (its `trust_list_state`
//! table, on SQLite and PostgreSQL) and the in-memory one the other tests use.

use idv_fetch::RollbackStore;
use idv_service_kit::Database;
use idv_service_kit::db::Migrations;
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::rollback::TrustListState;

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

/// The state of list `list_id` at `sequence` (its hash and times derived from both).
fn state(list_id: &str, sequence: u64) -> TrustListState {
    let iat = 1_780_000_000 + i64::try_from(sequence).unwrap_or(i64::MAX / 2);
    TrustListState {
        list_id: list_id.to_owned(),
        sequence,
        payload_hash: format!("{list_id}-{sequence}"),
        iat,
        exp: iat + 86_400,
    }
}

/// Checks `store`, which must start empty: nothing loads; a state is stored only when its
/// `sequence` is above the stored one of its list (never twice, never an older one); the state
/// with the highest `sequence` loads; a `sequence` beyond what the store can keep is an error,
/// never a silent change. Panics at the first rule broken.
async fn check_rollback_store(store: &dyn RollbackStore) {
    assert_eq!(
        store.load().await.unwrap(),
        None,
        "a new store holds nothing"
    );
    let list = "uk-dvs-register";
    assert!(store.save_if_newer(&state(list, 7)).await.unwrap());
    assert_eq!(store.load().await.unwrap(), Some(state(list, 7)));
    assert!(
        !store.save_if_newer(&state(list, 7)).await.unwrap(),
        "the same sequence is not stored again"
    );
    let mut changed = state(list, 7);
    changed.payload_hash = "another payload".into();
    assert!(!store.save_if_newer(&changed).await.unwrap());
    assert!(!store.save_if_newer(&state(list, 6)).await.unwrap());
    assert_eq!(store.load().await.unwrap(), Some(state(list, 7)));

    assert!(store.save_if_newer(&state(list, 8)).await.unwrap());
    assert!(
        store
            .save_if_newer(&state("other-register", 3))
            .await
            .unwrap()
    );
    assert_eq!(store.load().await.unwrap(), Some(state(list, 8)));

    // Stored whole, or refused: never wrapped into an older-looking sequence.
    let last = state(list, u64::MAX);
    let expected = match store.save_if_newer(&last).await {
        Ok(stored) => {
            assert!(stored, "the highest sequence is newer than any");
            last
        }
        Err(_) => state(list, 8),
    };
    assert_eq!(store.load().await.unwrap(), Some(expected));
}
