//! The trust list's rollback state (`trust_list_state`): the last list this service accepted,
//! read at every refresh so that no instance sharing the database, and no restart, accepts an
//! older one (docs/trust-list.md step 3). [`idv_fetch::TrustListClient`] reads and saves it
//! through [`RollbackStore`].

use idv_fetch::trust_list::{RollbackStore, RollbackStoreError, StoreFuture};
use idv_service_kit::db::Database;
use idv_trust::rollback::TrustListState;

use super::{Store, StoreError, get};

/// The stored state with the highest `sequence`, if any.
pub async fn load(db: &Database) -> Result<Option<TrustListState>, StoreError> {
    let row = sqlx::query(
        "SELECT list_id, sequence, payload_hash, iat, exp FROM trust_list_state \
         ORDER BY sequence DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sequence = u64::try_from(get::<i64>(&row, "sequence")?)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some(TrustListState {
        list_id: get(&row, "list_id")?,
        sequence,
        payload_hash: get(&row, "payload_hash")?,
        iat: get(&row, "iat")?,
        exp: get(&row, "exp")?,
    }))
}

/// Stores `state` unless the row of its `list_id` has a `sequence` at least as high
/// (compare-and-set on `sequence`); `true` when stored.
pub async fn save_if_newer(db: &Database, state: &TrustListState) -> Result<bool, StoreError> {
    let sequence = i64::try_from(state.sequence).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let saved = db
        .write(
            sqlx::query(
                "INSERT INTO trust_list_state (list_id, sequence, payload_hash, iat, exp) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (list_id) DO UPDATE SET \
                 sequence = excluded.sequence, payload_hash = excluded.payload_hash, \
                 iat = excluded.iat, exp = excluded.exp \
                 WHERE trust_list_state.sequence < excluded.sequence",
            )
            .bind(&state.list_id)
            .bind(sequence)
            .bind(&state.payload_hash)
            .bind(state.iat)
            .bind(state.exp),
        )
        .await?;
    Ok(saved.rows_affected() == 1)
}

impl RollbackStore for Store {
    fn load(&self) -> StoreFuture<'_, Option<TrustListState>> {
        Box::pin(async { load(&self.db).await.map_err(RollbackStoreError::new) })
    }

    fn save_if_newer<'a>(&'a self, state: &'a TrustListState) -> StoreFuture<'a, bool> {
        Box::pin(async {
            save_if_newer(&self.db, state)
                .await
                .map_err(RollbackStoreError::new)
        })
    }
}

#[cfg(test)]
mod tests {
    use idv_fetch::trust_list::testing::check_rollback_store;
    use idv_test_support::{TestDb, test_on_both_databases};

    use super::*;

    test_on_both_databases!(the_table_keeps_the_rollback_state);

    async fn the_table_keeps_the_rollback_state(db: TestDb) {
        let store = Store::open(db.url()).await.unwrap();
        check_rollback_store(&store).await;
        store.close().await;
    }
}
