//! The trust list's rollback state, `trust_list_state` (docs/trust-list.md step 3): the last
//! list a relying service accepted, one row per `list_id`. Each service creates the table in its
//! migrations and implements `idv_fetch::trust_list::RollbackStore` in its `store/` with these
//! two statements, so the SQL text is written once.

use idv_trust::rollback::TrustListState;
use sqlx::Row as _;

use super::Database;

/// The stored state with the highest `sequence`, if any.
pub async fn load(db: &Database) -> Result<Option<TrustListState>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT list_id, sequence, payload_hash, iat, exp FROM trust_list_state \
         ORDER BY sequence DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sequence = u64::try_from(row.try_get::<i64, _>("sequence")?)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some(TrustListState {
        list_id: row.try_get("list_id")?,
        sequence,
        payload_hash: row.try_get("payload_hash")?,
        iat: row.try_get("iat")?,
        exp: row.try_get("exp")?,
    }))
}

/// Stores `state` unless the row of its `list_id` has a `sequence` at least as high
/// (compare-and-set on `sequence`); `true` when stored. A `sequence` beyond `BIGINT` is an
/// encoding error, never stored wrapped.
pub async fn save_if_newer(db: &Database, state: &TrustListState) -> Result<bool, sqlx::Error> {
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
