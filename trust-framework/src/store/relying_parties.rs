//! Registered relying parties and the attestations issued to them.

use idv_proto::trust::entry::Organisation;
use idv_proto::trust::relying_party::{Purpose, RelyingPartyEntry};
use sqlx::any::AnyRow;

use super::{Store, StoreError, enum_from_text, from_json, get, is_unique_violation, to_json};

const RP_COLUMNS: &str = "rp_id, client_id, organisation, status, purposes";

impl Store {
    /// Registers an active relying party and returns its id (`rp-000001`, …). Fails with
    /// [`StoreError::ClientIdTaken`] when the `client_id` is registered already.
    pub async fn insert_relying_party(
        &self,
        organisation: &Organisation,
        client_id: &str,
        purposes: &[Purpose],
        now: i64,
    ) -> Result<String, StoreError> {
        let mut tx = self.begin().await?;
        let number: i64 = sqlx::query_scalar(
            "UPDATE register_state \
             SET revision = revision + 1, next_rp_number = next_rp_number + 1 \
             WHERE id = 1 RETURNING next_rp_number - 1",
        )
        .fetch_one(&mut *tx)
        .await?;
        let rp_id = format!("rp-{number:06}");
        let inserted = sqlx::query(
            "INSERT INTO relying_parties (rp_id, client_id, organisation, status, purposes, \
             created_at) VALUES ($1, $2, $3, 'active', $4, $5)",
        )
        .bind(&rp_id)
        .bind(client_id)
        .bind(to_json(organisation, "organisation")?)
        .bind(to_json(purposes, "purposes")?)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::ClientIdTaken {
                    client_id: client_id.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(rp_id)
    }

    /// Every relying party, by id.
    pub async fn load_relying_parties(&self) -> Result<Vec<RelyingPartyEntry>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RP_COLUMNS} FROM relying_parties ORDER BY rp_id"
        )))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(relying_party).collect()
    }

    /// One relying party.
    pub async fn load_relying_party(
        &self,
        rp_id: &str,
    ) -> Result<Option<RelyingPartyEntry>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RP_COLUMNS} FROM relying_parties WHERE rp_id = $1"
        )))
        .bind(rp_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(relying_party).transpose()
    }

    /// Records that an attestation was issued (the JWT itself is not kept). Not a change of
    /// the list, so the revision stays.
    pub async fn record_attestation(
        &self,
        rp_id: &str,
        key_thumbprint: &str,
        iat: i64,
        exp: i64,
    ) -> Result<(), StoreError> {
        self.db
            .write(
                sqlx::query(
                    "INSERT INTO verifier_attestations (rp_id, key_thumbprint, iat, exp) \
             VALUES ($1, $2, $3, $4)",
                )
                .bind(rp_id)
                .bind(key_thumbprint)
                .bind(iat)
                .bind(exp),
            )
            .await?;
        Ok(())
    }
}

fn relying_party(row: &AnyRow) -> Result<RelyingPartyEntry, StoreError> {
    Ok(RelyingPartyEntry {
        rp_id: get(row, "rp_id")?,
        organisation: from_json(&get::<String>(row, "organisation")?, "organisation")?,
        client_id: get(row, "client_id")?,
        status: enum_from_text(get(row, "status")?, "relying party status")?,
        purposes: from_json(&get::<String>(row, "purposes")?, "purposes")?,
    })
}
