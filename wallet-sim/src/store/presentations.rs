//! The log of what was shared with whom: for each presentation the relying party, the purpose
//! and the claims paths disclosed, never the values.

use idv_proto::claims_path::ClaimsPath;
use serde::Serialize;
use sqlx::any::AnyRow;

use super::{Store, StoreError, from_json, get, to_json};

/// One logged presentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentationRecord {
    /// Random identifier.
    pub presentation_id: String,
    /// The batch presented from.
    pub batch_id: String,
    /// The copy presented.
    pub credential_id: String,
    /// The verifier's full client identifier.
    pub client_id: String,
    /// Its registered organisation.
    pub organisation: String,
    /// The registered purpose the request fell under (e.g. `RTW`).
    pub purpose: String,
    /// The claims disclosed.
    pub claims: Vec<ClaimsPath>,
    /// When (Unix seconds).
    pub presented_at: i64,
}

impl Store {
    /// Logs a presentation.
    pub async fn log_presentation(&self, record: &PresentationRecord) -> Result<(), StoreError> {
        self.db.write(sqlx::query(
            "INSERT INTO presentations (presentation_id, batch_id, credential_id, client_id, \
             organisation, purpose, claims, presented_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.presentation_id)
        .bind(&record.batch_id)
        .bind(&record.credential_id)
        .bind(&record.client_id)
        .bind(&record.organisation)
        .bind(&record.purpose)
        .bind(to_json(&record.claims, "claims paths")?)
        .bind(record.presented_at)
        )
        .await?;
        Ok(())
    }

    /// The presentations made from `batch_id`, oldest first.
    pub async fn presentations(
        &self,
        batch_id: &str,
    ) -> Result<Vec<PresentationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT presentation_id, batch_id, credential_id, client_id, organisation, purpose, \
             claims, presented_at FROM presentations WHERE batch_id = $1 \
             ORDER BY presented_at, presentation_id",
        )
        .bind(batch_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(record_from_row).collect()
    }
}

fn record_from_row(row: &AnyRow) -> Result<PresentationRecord, StoreError> {
    Ok(PresentationRecord {
        presentation_id: get(row, "presentation_id")?,
        batch_id: get(row, "batch_id")?,
        credential_id: get(row, "credential_id")?,
        client_id: get(row, "client_id")?,
        organisation: get(row, "organisation")?,
        purpose: get(row, "purpose")?,
        claims: from_json(&get::<String>(row, "claims")?, "claims paths")?,
        presented_at: get(row, "presented_at")?,
    })
}
