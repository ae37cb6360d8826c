//! Issued credentials as the operator sees them (metadata only) and their status lifecycle:
//!
//! ```text
//! valid ──suspend──▶ suspended ──reinstate──▶ valid
//!   │                    │
//!   └──────revoke────────┴──▶ revoked (final)
//! ```
//!
//! Every change is recorded with its time and reason, applied by compare-and-swap on the
//! credential's status version (two operators cannot both apply a change from the same state),
//! and bumps the list's revision, so the next status list token shows it.

use std::fmt;

use idv_proto::sd_jwt_vc::status::StatusListReference;
use serde::Serialize;

use super::status_lists::CredentialStatus;
use super::{Issuer, OperatorError};
use crate::store::credentials::{StatusChange, StoredCredential};

/// Longest reason accepted.
const MAX_REASON: usize = 500;

/// A status change the operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// `valid | suspended → revoked` (final).
    Revoke,
    /// `valid → suspended`.
    Suspend,
    /// `suspended → valid`.
    Reinstate,
}

impl StatusAction {
    /// The status this action leads to from `from`, if allowed.
    pub fn next(self, from: CredentialStatus) -> Option<CredentialStatus> {
        use CredentialStatus::{Revoked, Suspended, Valid};
        match (self, from) {
            (Self::Revoke, Valid | Suspended) => Some(Revoked),
            (Self::Suspend, Valid) => Some(Suspended),
            (Self::Reinstate, Suspended) => Some(Valid),
            _ => None,
        }
    }

    /// `revoke`, `suspend` or `reinstate`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
        }
    }
}

impl fmt::Display for StatusAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An issued credential's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialSummary {
    /// Its id.
    pub credential_id: String,
    /// The proofed identity it attests.
    pub identity_id: String,
    /// Its credential configuration.
    pub credential_configuration_id: String,
    /// Its `vct`.
    pub vct: String,
    /// `valid`, `suspended` or `revoked`.
    pub status: String,
    /// Where its status is published (its `status.status_list` claim).
    pub status_list: StatusListReference,
    /// Issuance time.
    pub issued_at: i64,
    /// Its `exp`.
    pub expires_at: i64,
    /// Whether `exp` has passed.
    pub expired: bool,
    /// RFC 7638 thumbprint of the holder key it is bound to.
    pub holder_key_thumbprint: String,
    /// The key that signed it.
    pub signing_kid: String,
}

/// One entry of a status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusHistoryEntry {
    /// The status entered.
    pub status: String,
    /// When.
    pub since: i64,
    /// Why (absent for the initial `valid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A credential's metadata and status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialDetails {
    /// The metadata.
    #[serde(flatten)]
    pub summary: CredentialSummary,
    /// Every status it has had, oldest first.
    pub status_history: Vec<StatusHistoryEntry>,
}

impl Issuer {
    fn summary(&self, credential: StoredCredential) -> CredentialSummary {
        CredentialSummary {
            status_list: StatusListReference {
                idx: u64::try_from(credential.status_idx).unwrap_or_default(),
                uri: self.status_list_uri(&credential.list_id),
            },
            expired: self.clock.now() >= credential.expires_at,
            credential_id: credential.credential_id,
            identity_id: credential.identity_id,
            credential_configuration_id: credential.configuration_id,
            vct: credential.vct,
            status: credential.status,
            issued_at: credential.issued_at,
            expires_at: credential.expires_at,
            holder_key_thumbprint: credential.holder_thumbprint,
            signing_kid: credential.signing_kid,
        }
    }

    /// Issued credentials, all or of one identity, newest first.
    pub async fn credentials(
        &self,
        identity_id: Option<&str>,
    ) -> Result<Vec<CredentialSummary>, OperatorError> {
        Ok(self
            .store
            .credentials(identity_id)
            .await?
            .into_iter()
            .map(|c| self.summary(c))
            .collect())
    }

    async fn load_credential(
        &self,
        credential_id: &str,
    ) -> Result<StoredCredential, OperatorError> {
        self.store
            .credential(credential_id)
            .await?
            .ok_or_else(|| OperatorError::NotFound {
                what: "credential",
                id: credential_id.to_owned(),
            })
    }

    /// One credential with its status history.
    pub async fn credential(
        &self,
        credential_id: &str,
    ) -> Result<CredentialDetails, OperatorError> {
        let credential = self.load_credential(credential_id).await?;
        let status_history = self
            .store
            .status_history(credential_id)
            .await?
            .into_iter()
            .map(|change| StatusHistoryEntry {
                status: change.status,
                since: change.since,
                reason: change.reason,
            })
            .collect();
        Ok(CredentialDetails {
            summary: self.summary(credential),
            status_history,
        })
    }

    /// Revokes, suspends or reinstates a credential, recording `reason`.
    pub async fn change_credential_status(
        &self,
        credential_id: &str,
        action: StatusAction,
        reason: &str,
    ) -> Result<CredentialDetails, OperatorError> {
        let reason = reason.trim();
        if reason.is_empty()
            || reason.chars().count() > MAX_REASON
            || reason.chars().any(char::is_control)
        {
            return Err(OperatorError::InvalidInput(format!(
                "reason: required, one line of at most {MAX_REASON} characters"
            )));
        }
        let credential = self.load_credential(credential_id).await?;
        let to = action
            .next(
                CredentialStatus::parse(&credential.status)
                    .map_err(crate::store::StoreError::from)?,
            )
            .ok_or_else(|| OperatorError::IllegalTransition {
                credential_id: credential_id.to_owned(),
                action: action.as_str(),
                status: credential.status.clone(),
            })?;
        let applied = self
            .store
            .change_credential_status(&StatusChange {
                credential_id,
                list_id: &credential.list_id,
                from_version: credential.status_version,
                to: to.as_str(),
                now: self.clock.now(),
                reason,
            })
            .await?;
        if !applied {
            return Err(OperatorError::Conflict(format!(
                "credential `{credential_id}` changed concurrently; read it again and retry"
            )));
        }
        tracing::info!(credential.id = %credential_id, credential.status = to.as_str(), "credential status changed");
        self.credential(credential_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_allows_only_its_transitions() {
        use CredentialStatus::{Revoked, Suspended, Valid};
        use StatusAction::*;
        assert_eq!(Suspend.next(Valid), Some(Suspended));
        assert_eq!(Reinstate.next(Suspended), Some(Valid));
        assert_eq!(Revoke.next(Valid), Some(Revoked));
        assert_eq!(Revoke.next(Suspended), Some(Revoked));
        for action in [Revoke, Suspend, Reinstate] {
            assert_eq!(action.next(Revoked), None, "revoked is final");
        }
        assert_eq!(Suspend.next(Suspended), None);
        assert_eq!(Reinstate.next(Valid), None);
    }
}
