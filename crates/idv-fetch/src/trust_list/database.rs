//! The rollback state in a service's own database: [`RollbackStore`] for
//! [`Database`], through the statements of [`idv_service_kit::db::trust_list_state`] on the
//! `trust_list_state` table each service's migrations create.

use idv_service_kit::Database;
use idv_service_kit::db::trust_list_state;
use idv_trust::rollback::TrustListState;

use super::{RollbackStore, RollbackStoreError, StoreFuture};

impl RollbackStore for Database {
    fn load(&self) -> StoreFuture<'_, Option<TrustListState>> {
        Box::pin(async {
            trust_list_state::load(self)
                .await
                .map_err(RollbackStoreError::new)
        })
    }

    fn save_if_newer<'a>(&'a self, state: &'a TrustListState) -> StoreFuture<'a, bool> {
        Box::pin(async {
            trust_list_state::save_if_newer(self, state)
                .await
                .map_err(RollbackStoreError::new)
        })
    }
}
