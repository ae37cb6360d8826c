//! The in-memory rollback state the tests use keeps the rules every service's table keeps.

use idv_fetch::trust_list::testing::check_rollback_store;

use crate::helpers::MemoryStore;

#[tokio::test]
async fn the_memory_store_keeps_the_rollback_rules() {
    check_rollback_store(&MemoryStore::default()).await;
}
