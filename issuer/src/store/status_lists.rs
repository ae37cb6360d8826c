//! Token Status Lists: which list takes new credentials, and the statuses a signed token shows.

use super::{Store, StoreError, get};

/// A status list as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredList {
    /// Its id (the last segment of its URI).
    pub list_id: String,
    /// Bits per entry.
    pub bits: i64,
    /// Entries.
    pub size: i64,
    /// Entries it hands out before a new list takes over.
    pub capacity: i64,
    /// Entries handed out.
    pub allocated: i64,
    /// Status changes so far.
    pub revision: i64,
}

/// Every column, for `SELECT … FROM status_lists WHERE …`.
macro_rules! select_list {
    ($where:literal) => {
        concat!(
            "SELECT list_id, bits, size, capacity, allocated, revision FROM status_lists WHERE ",
            $where
        )
    };
}

fn list_from_row(row: &sqlx::any::AnyRow) -> Result<StoredList, StoreError> {
    Ok(StoredList {
        list_id: get(row, "list_id")?,
        bits: get(row, "bits")?,
        size: get(row, "size")?,
        capacity: get(row, "capacity")?,
        allocated: get(row, "allocated")?,
        revision: get(row, "revision")?,
    })
}

impl Store {
    /// The list new credentials go to, if any.
    pub async fn active_status_list(&self) -> Result<Option<StoredList>, StoreError> {
        let row = sqlx::query(select_list!("state = 'active'"))
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(list_from_row).transpose()
    }

    /// One list, active or full.
    pub async fn status_list(&self, list_id: &str) -> Result<Option<StoredList>, StoreError> {
        let row = sqlx::query(select_list!("list_id = $1"))
            .bind(list_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(list_from_row).transpose()
    }

    /// Closes `list_id` to new credentials (no-op if another instance already did).
    pub async fn mark_status_list_full(&self, list_id: &str) -> Result<(), StoreError> {
        self.db.write(sqlx::query(
            "UPDATE status_lists SET state = 'full' WHERE list_id = $1 AND state = 'active'",
        )
        .bind(list_id)
        )
        .await?;
        Ok(())
    }

    /// Creates an active list unless one is active already (a concurrent creator may win:
    /// the partial unique index allows one active list). Returns whether this one was created.
    pub async fn insert_active_status_list(
        &self,
        list_id: &str,
        bits: i64,
        size: i64,
        capacity: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let insert = sqlx::query(
            "INSERT INTO status_lists \
             (list_id, bits, size, capacity, allocated, revision, state, created_at) \
             VALUES ($1, $2, $3, $4, 0, 0, 'active', $5) ON CONFLICT DO NOTHING",
        )
        .bind(list_id)
        .bind(bits)
        .bind(size)
        .bind(capacity)
        .bind(now);
        Ok(self.db.write_once(insert).await?)
    }

    /// The entries of `list_id` that are not valid, as `(index, status)`; every other entry is
    /// valid (allocated or not).
    pub async fn non_valid_entries(&self, list_id: &str) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT status_idx, status FROM credentials WHERE list_id = $1 AND status <> 'valid'",
        )
        .bind(list_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((get(row, "status_idx")?, get(row, "status")?)))
            .collect()
    }
}
