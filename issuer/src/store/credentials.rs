//! Issued credentials (metadata only) and their status history.
//!
//! Issuance runs in one [`IssuanceTx`]: it claims the offer's slot for the configuration,
//! reserves capacity in the active status list, inserts one row per credential at a random free
//! index, and commits only once every credential has been signed. A failure anywhere leaves
//! nothing behind. The credentials of one offer and configuration are therefore exactly one
//! Credential Request's batch ([`Store::batch`]).
//!
//! Status changes ([`Store::change_statuses`]) apply to a set of credentials in one
//! transaction, each by compare-and-swap: all apply, or none.

use std::collections::BTreeSet;

use idv_service_kit::db::WriteTx;

use super::{Store, StoreError, get};

/// One credential about to be issued.
#[derive(Debug, Clone)]
pub struct NewCredential<'a> {
    /// Its id.
    pub credential_id: &'a str,
    /// The identity it attests.
    pub identity_id: &'a str,
    /// The offer it was issued under.
    pub offer_ref: &'a str,
    /// Its credential configuration.
    pub configuration_id: &'a str,
    /// Its `vct`.
    pub vct: &'a str,
    /// The status list it is registered in.
    pub list_id: &'a str,
    /// The key that signs it.
    pub signing_kid: &'a str,
    /// RFC 7638 thumbprint of the holder key (`cnf.jwk`).
    pub holder_thumbprint: &'a str,
    /// Issuance time.
    pub issued_at: i64,
    /// Its `exp`.
    pub expires_at: i64,
}

/// A credential's metadata as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// Its id.
    pub credential_id: String,
    /// The identity it attests.
    pub identity_id: String,
    /// The offer it was issued under (with the configuration, its batch).
    pub offer_ref: String,
    /// Its credential configuration.
    pub configuration_id: String,
    /// Its `vct`.
    pub vct: String,
    /// Its status list.
    pub list_id: String,
    /// Its index in the list.
    pub status_idx: i64,
    /// `valid`, `suspended` or `revoked`.
    pub status: String,
    /// Status changes so far (compare-and-swap token).
    pub status_version: i64,
    /// The key that signed it.
    pub signing_kid: String,
    /// RFC 7638 thumbprint of the holder key.
    pub holder_thumbprint: String,
    /// Issuance time.
    pub issued_at: i64,
    /// Its `exp`.
    pub expires_at: i64,
}

/// One entry of a credential's status history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatusChange {
    /// The status entered.
    pub status: String,
    /// When.
    pub since: i64,
    /// Why (none for the initial `valid`).
    pub reason: Option<String>,
}

/// A status change to record.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    /// The credential.
    pub credential_id: &'a str,
    /// Its list (whose revision is bumped so the next token is rebuilt).
    pub list_id: &'a str,
    /// The version read; the change applies only if it is still current.
    pub from_version: i64,
    /// The new status.
    pub to: &'a str,
    /// When.
    pub now: i64,
    /// Why.
    pub reason: &'a str,
}

/// Every credential column, for `SELECT … FROM credentials …`.
macro_rules! select_credential {
    ($rest:literal) => {
        concat!(
            "SELECT credential_id, identity_id, offer_ref, configuration_id, vct, list_id, \
             status_idx, status, status_version, signing_kid, holder_thumbprint, issued_at, \
             expires_at FROM credentials ",
            $rest
        )
    };
}

fn credential_from_row(row: &sqlx::any::AnyRow) -> Result<StoredCredential, StoreError> {
    Ok(StoredCredential {
        credential_id: get(row, "credential_id")?,
        identity_id: get(row, "identity_id")?,
        offer_ref: get(row, "offer_ref")?,
        configuration_id: get(row, "configuration_id")?,
        vct: get(row, "vct")?,
        list_id: get(row, "list_id")?,
        status_idx: get(row, "status_idx")?,
        status: get(row, "status")?,
        status_version: get(row, "status_version")?,
        signing_kid: get(row, "signing_kid")?,
        holder_thumbprint: get(row, "holder_thumbprint")?,
        issued_at: get(row, "issued_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

/// An open issuance transaction; dropping it without [`IssuanceTx::commit`] rolls back.
#[derive(Debug)]
pub struct IssuanceTx {
    tx: WriteTx,
}

impl Store {
    /// Starts issuing `configuration_id` under `offer_ref`: claims the offer's slot for it as
    /// the transaction's first statement (taking the write lock). `None` when the slot was
    /// already used (or the configuration was never offered).
    pub async fn begin_issuance(
        &self,
        offer_ref: &str,
        configuration_id: &str,
        now: i64,
    ) -> Result<Option<IssuanceTx>, StoreError> {
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "UPDATE offer_configurations SET issued_at = $1 \
             WHERE offer_ref = $2 AND configuration_id = $3 AND issued_at IS NULL",
        )
        .bind(now)
        .bind(offer_ref)
        .bind(configuration_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok((claimed == 1).then_some(IssuanceTx { tx }))
    }

    /// Every credential, or those of one identity, newest first.
    pub async fn credentials(
        &self,
        identity_id: Option<&str>,
    ) -> Result<Vec<StoredCredential>, StoreError> {
        let rows = match identity_id {
            Some(identity_id) => {
                sqlx::query(select_credential!(
                    "WHERE identity_id = $1 ORDER BY issued_at DESC, credential_id"
                ))
                .bind(identity_id)
                .fetch_all(self.db.pool())
                .await?
            }
            None => {
                sqlx::query(select_credential!("ORDER BY issued_at DESC, credential_id"))
                    .fetch_all(self.db.pool())
                    .await?
            }
        };
        rows.iter().map(credential_from_row).collect()
    }

    /// The batch of credentials issued under `offer_ref` for `configuration_id` (one
    /// Credential Request), newest first.
    pub async fn batch(
        &self,
        offer_ref: &str,
        configuration_id: &str,
    ) -> Result<Vec<StoredCredential>, StoreError> {
        let rows = sqlx::query(select_credential!(
            "WHERE offer_ref = $1 AND configuration_id = $2 \
             ORDER BY issued_at DESC, credential_id"
        ))
        .bind(offer_ref)
        .bind(configuration_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(credential_from_row).collect()
    }

    /// One credential.
    pub async fn credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredCredential>, StoreError> {
        let row = sqlx::query(select_credential!("WHERE credential_id = $1"))
            .bind(credential_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// A credential's status history, oldest first.
    pub async fn status_history(
        &self,
        credential_id: &str,
    ) -> Result<Vec<StoredStatusChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT status, since, reason FROM credential_status_history \
             WHERE credential_id = $1 ORDER BY position",
        )
        .bind(credential_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredStatusChange {
                    status: get(row, "status")?,
                    since: get(row, "since")?,
                    reason: get(row, "reason")?,
                })
            })
            .collect()
    }

    /// Applies every change if each credential is still at its `from_version`
    /// (compare-and-swap), records them in the histories and bumps the revision of every list
    /// concerned, in one transaction. Returns whether they applied: `false` (nothing applied)
    /// when any credential changed meanwhile.
    pub async fn change_statuses(&self, changes: &[StatusChange<'_>]) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        for change in changes {
            let changed = sqlx::query(
                "UPDATE credentials SET status = $1, status_version = status_version + 1 \
                 WHERE credential_id = $2 AND status_version = $3",
            )
            .bind(change.to)
            .bind(change.credential_id)
            .bind(change.from_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                // Dropping the transaction rolls back the changes made so far.
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO credential_status_history \
                 (credential_id, position, status, since, reason) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(change.credential_id)
            .bind(change.from_version + 1)
            .bind(change.to)
            .bind(change.now)
            .bind(change.reason)
            .execute(&mut *tx)
            .await?;
        }
        let lists: BTreeSet<&str> = changes.iter().map(|change| change.list_id).collect();
        for list_id in lists {
            sqlx::query("UPDATE status_lists SET revision = revision + 1 WHERE list_id = $1")
                .bind(list_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

impl IssuanceTx {
    /// Reserves `count` entries of the active list `list_id`; `false` when the list is no
    /// longer active or lacks the room (another request took it), and the caller rolls over.
    pub async fn reserve_status_entries(
        &mut self,
        list_id: &str,
        count: i64,
    ) -> Result<bool, StoreError> {
        let reserved = sqlx::query(
            "UPDATE status_lists SET allocated = allocated + $1 \
             WHERE list_id = $2 AND state = 'active' AND allocated + $1 <= capacity",
        )
        .bind(count)
        .bind(list_id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(reserved == 1)
    }

    /// Records a credential at `status_idx`, with its initial `valid` history entry; `false`
    /// when the index is taken (the caller draws another).
    pub async fn insert_credential(
        &mut self,
        credential: &NewCredential<'_>,
        status_idx: i64,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO credentials (credential_id, identity_id, offer_ref, configuration_id, \
             vct, list_id, status_idx, status, status_version, signing_kid, holder_thumbprint, \
             issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'valid', 0, $8, $9, $10, $11) \
             ON CONFLICT (list_id, status_idx) DO NOTHING",
        )
        .bind(credential.credential_id)
        .bind(credential.identity_id)
        .bind(credential.offer_ref)
        .bind(credential.configuration_id)
        .bind(credential.vct)
        .bind(credential.list_id)
        .bind(status_idx)
        .bind(credential.signing_kid)
        .bind(credential.holder_thumbprint)
        .bind(credential.issued_at)
        .bind(credential.expires_at)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if inserted != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO credential_status_history (credential_id, position, status, since) \
             VALUES ($1, 0, 'valid', $2)",
        )
        .bind(credential.credential_id)
        .bind(credential.issued_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(true)
    }

    /// Makes the issuance permanent.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
