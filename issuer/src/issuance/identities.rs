//! Proofed identities: the record of a GPG 45 identity check the provider is accountable for,
//! from which credentials are issued. Stored as recorded; never logged.

use serde::Serialize;

use super::credential::ProofedIdentity;
use super::{IssuanceError, Issuer, OperatorError, random_id};
use crate::store::StoreError;

/// `POST /v1/identities` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedIdentity {
    /// The new record's id.
    pub identity_id: String,
    /// When it was recorded.
    pub recorded_at: i64,
}

/// `GET /v1/identities/{identity_id}` response.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityRecord {
    /// Its id.
    pub identity_id: String,
    /// When it was recorded.
    pub recorded_at: i64,
    /// The record (personal data; its `Debug` is redacted).
    pub identity: ProofedIdentity,
}

impl Issuer {
    /// Validates and stores a proofed identity.
    pub async fn record_identity(
        &self,
        identity: ProofedIdentity,
    ) -> Result<RecordedIdentity, OperatorError> {
        let now = self.clock.now();
        identity.validate().map_err(|e| match e {
            IssuanceError::InvalidRequest { reason } => OperatorError::InvalidInput(reason),
            other => OperatorError::InvalidInput(other.to_string()),
        })?;
        if identity.gpg45_profile.trim().is_empty() {
            return Err(OperatorError::InvalidInput(
                "gpg45_profile is required".into(),
            ));
        }
        if identity.proofed_at > now + self.settings.clock_skew_secs {
            return Err(OperatorError::InvalidInput(
                "proofed_at is in the future".into(),
            ));
        }
        let record = serde_json::to_string(&identity).map_err(|_| StoreError::Corrupt {
            what: "identity",
            reason: "cannot be serialised".into(),
        })?;
        let identity_id = random_id(self.random.as_ref());
        self.store
            .insert_identity(
                &identity_id,
                &record,
                &identity.level_of_confidence,
                identity.proofed_at,
                now,
            )
            .await?;
        tracing::info!(identity.id = %identity_id, "proofed identity recorded");
        Ok(RecordedIdentity {
            identity_id,
            recorded_at: now,
        })
    }

    /// One proofed identity.
    pub async fn identity(&self, identity_id: &str) -> Result<IdentityRecord, OperatorError> {
        let stored =
            self.store
                .identity(identity_id)
                .await?
                .ok_or_else(|| OperatorError::NotFound {
                    what: "identity",
                    id: identity_id.to_owned(),
                })?;
        Ok(IdentityRecord {
            identity: parse_identity(&stored.record)?,
            identity_id: stored.identity_id,
            recorded_at: stored.recorded_at,
        })
    }
}

/// A stored record back as a [`ProofedIdentity`]. The parser's message is dropped: it may
/// quote personal data, and it would reach the logs.
pub(crate) fn parse_identity(record: &str) -> Result<ProofedIdentity, StoreError> {
    serde_json::from_str(record).map_err(|_| StoreError::Corrupt {
        what: "identity",
        reason: "not a proofed identity record".into(),
    })
}
