//! The last signed trust list per `list_id`, and the compare-and-swap that allocates sequences.
//!
//! Why this is safe across instances: [`Store::save_signed_list`] succeeds only if the stored
//! `sequence` is still the one the list was built on **and** the register revision is still the
//! one its content was read at. Every mutation bumps the revision in its own transaction, so a
//! list whose content read saw a committed mutation made after the revision was read can never
//! be saved; and two builders of the same next sequence cannot both win.

use super::{Store, StoreError, get};

/// The publication state of one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState {
    /// Current register revision.
    pub revision: i64,
    /// Sequence of the last signed list (0 before the first).
    pub sequence: i64,
    /// Register revision the last signed list shows.
    pub signed_revision: i64,
    /// The last signed list, if any.
    pub signed: Option<StoredList>,
}

/// A signed list as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredList {
    /// Compact JWS.
    pub jws: String,
    /// Its `iat`.
    pub iat: i64,
    /// Its `exp`.
    pub exp: i64,
    /// Its `next_update`.
    pub next_update: i64,
}

impl Store {
    /// Creates the state row of `list_id` when missing (sequence 0, nothing signed).
    pub async fn ensure_list(&self, list_id: &str) -> Result<(), StoreError> {
        self.db.write(sqlx::query(
            "INSERT INTO list_state (list_id, sequence, signed_revision) VALUES ($1, 0, -1) \
             ON CONFLICT (list_id) DO NOTHING",
        )
        .bind(list_id)
        )
        .await?;
        Ok(())
    }

    /// The state of `list_id` (which [`Store::ensure_list`] created).
    pub async fn list_state(&self, list_id: &str) -> Result<ListState, StoreError> {
        let row = sqlx::query(
            "SELECT l.sequence, l.signed_revision, l.jws, l.iat, l.exp, l.next_update, \
             r.revision FROM list_state l, register_state r \
             WHERE l.list_id = $1 AND r.id = 1",
        )
        .bind(list_id)
        .fetch_one(self.db.pool())
        .await?;
        let jws: Option<String> = get(&row, "jws")?;
        let (iat, exp, next_update): (Option<i64>, Option<i64>, Option<i64>) = (
            get(&row, "iat")?,
            get(&row, "exp")?,
            get(&row, "next_update")?,
        );
        let signed = match (jws, iat, exp, next_update) {
            (Some(jws), Some(iat), Some(exp), Some(next_update)) => Some(StoredList {
                jws,
                iat,
                exp,
                next_update,
            }),
            _ => None,
        };
        Ok(ListState {
            revision: get(&row, "revision")?,
            sequence: get(&row, "sequence")?,
            signed_revision: get(&row, "signed_revision")?,
            signed,
        })
    }

    /// Saves `list` as sequence `previous_sequence + 1` showing register `revision`, if and
    /// only if nothing was signed since `previous_sequence` and the register is still at
    /// `revision`. Returns whether it was saved.
    pub async fn save_signed_list(
        &self,
        list_id: &str,
        previous_sequence: i64,
        revision: i64,
        list: &StoredList,
    ) -> Result<bool, StoreError> {
        let saved = self
            .db
            .write(
                sqlx::query(
                    "UPDATE list_state \
             SET sequence = $1, signed_revision = $2, jws = $3, iat = $4, exp = $5, \
             next_update = $6 \
             WHERE list_id = $7 AND sequence = $8 \
             AND (SELECT revision FROM register_state WHERE id = 1) = $2",
                )
                .bind(previous_sequence + 1)
                .bind(revision)
                .bind(&list.jws)
                .bind(list.iat)
                .bind(list.exp)
                .bind(list.next_update)
                .bind(list_id)
                .bind(previous_sequence),
            )
            .await?
            .rows_affected();
        Ok(saved == 1)
    }
}
