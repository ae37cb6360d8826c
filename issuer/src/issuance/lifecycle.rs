//! Issued credentials as the operator sees them (metadata only) and their status lifecycle:
//!
//! ```text
//! valid ──suspend──▶ suspended ──reinstate──▶ valid
//!   │                    │
//!   └──────revoke────────┴──▶ revoked (final)
//! ```
//!
//! A change applies to a set of credentials ([`StatusScope`]), never to one copy alone:
//!
//! - the **batch** of a credential: every credential one Credential Request issued, one copy
//!   per holder key (the same offer and configuration). Copies carry the same claims, and the
//!   wallet presents a different one each time, so revoking one copy while its siblings stay
//!   valid would revoke nothing; any credential id of the batch names it;
//! - every credential of a proofed **identity** (all offers, all configurations).
//!
//! The action applies to each credential in scope whose status allows it; the others are
//! reported unchanged. A credential already in the status the action leads to counts as done,
//! so a change is idempotent (revoking each listed copy of a batch in turn works); only when no
//! credential in scope is or can be brought there (suspending revoked credentials, or a scope
//! without credentials) is the change refused.
//! Every change is recorded with its time and reason, applied by compare-and-swap on each
//! credential's status version in one transaction (two operators cannot both apply a change
//! from the same state; a concurrent change applies nothing), and bumps the lists' revisions,
//! so the next status list token shows it.

use std::collections::BTreeSet;
use std::fmt;

use idv_proto::sd_jwt_vc::status::StatusListReference;
use serde::Serialize;

use super::OperatorError;
use super::status_lists::CredentialStatus;
use super::status_lists::StatusLists;
use crate::store::Store;
use crate::store::StoreError;
use crate::store::credentials::{StatusChange, StoredCredential};
use idv_jose::Clock;
use std::sync::Arc;

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

    /// The status this action leads to.
    pub const fn target(self) -> CredentialStatus {
        match self {
            Self::Revoke => CredentialStatus::Revoked,
            Self::Suspend => CredentialStatus::Suspended,
            Self::Reinstate => CredentialStatus::Valid,
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

/// Which credentials a status change applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusScope<'a> {
    /// The batch of this credential: every credential issued by the same Credential Request.
    BatchOf(&'a str),
    /// Every credential issued for this proofed identity.
    Identity(&'a str),
}

impl fmt::Display for StatusScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BatchOf(id) => write!(f, "the batch of credential `{id}`"),
            Self::Identity(id) => write!(f, "the credentials of identity `{id}`"),
        }
    }
}

/// What a status change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChangeOutcome {
    /// `revoke`, `suspend` or `reinstate`.
    pub action: &'static str,
    /// The status the changed credentials are now in.
    pub status: &'static str,
    /// The credentials changed, newest first.
    pub changed: Vec<CredentialSummary>,
    /// The other credentials in scope, left as they are: already in that status, or in one
    /// that does not allow the action.
    pub unchanged: Vec<CredentialSummary>,
}

/// A status change named by one credential: that credential as it is now (as the
/// single-credential answer always was), and what the change did across its batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchStatusChange {
    /// The credential named, with its status history.
    #[serde(flatten)]
    pub credential: CredentialDetails,
    /// The change across its batch.
    pub batch: StatusChangeOutcome,
}

/// The credentials of a scope, by what `action` does to them.
#[derive(Debug, Default)]
struct Partition {
    /// Those it changes.
    applies: Vec<StoredCredential>,
    /// Those already in the status it leads to.
    done: Vec<StoredCredential>,
    /// Those whose status does not allow it.
    refused: Vec<StoredCredential>,
}

/// Sorts `credentials` by what `action` does to them. A stored status the issuer does not know
/// fails the whole change.
fn partition(
    action: StatusAction,
    credentials: Vec<StoredCredential>,
) -> Result<Partition, StoreError> {
    let mut partition = Partition::default();
    for credential in credentials {
        let status = CredentialStatus::parse(&credential.status)?;
        if action.next(status).is_some() {
            partition.applies.push(credential);
        } else if status == action.target() {
            partition.done.push(credential);
        } else {
            partition.refused.push(credential);
        }
    }
    Ok(partition)
}

/// Why nothing in scope could change, for the operator: the statuses found.
fn statuses_found(credentials: &[StoredCredential]) -> String {
    if credentials.is_empty() {
        return "there are no credentials".into();
    }
    let statuses: BTreeSet<&str> = credentials.iter().map(|c| c.status.as_str()).collect();
    let statuses: Vec<&str> = statuses.into_iter().collect();
    format!(
        "no credential there allows it (found: {})",
        statuses.join(", ")
    )
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

/// Issued credentials as the operator sees them, and their revocation, suspension and
/// reinstatement.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    pub(super) store: Store,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) status_lists: StatusLists,
}

impl Lifecycle {
    fn summary(&self, credential: StoredCredential) -> CredentialSummary {
        CredentialSummary {
            status_list: StatusListReference {
                idx: u64::try_from(credential.status_idx).unwrap_or_default(),
                uri: self.status_lists.status_list_uri(&credential.list_id),
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

    /// [`Lifecycle::change_status`] of the batch of `credential_id`, answered with that
    /// credential's details.
    pub async fn change_batch_status(
        &self,
        credential_id: &str,
        action: StatusAction,
        reason: &str,
    ) -> Result<BatchStatusChange, OperatorError> {
        let batch = self
            .change_status(StatusScope::BatchOf(credential_id), action, reason)
            .await?;
        Ok(BatchStatusChange {
            credential: self.credential(credential_id).await?,
            batch,
        })
    }

    /// Revokes, suspends or reinstates every credential in `scope` whose status allows it,
    /// recording `reason`, all in one transaction.
    pub async fn change_status(
        &self,
        scope: StatusScope<'_>,
        action: StatusAction,
        reason: &str,
    ) -> Result<StatusChangeOutcome, OperatorError> {
        let reason = reason.trim();
        if reason.is_empty()
            || reason.chars().count() > MAX_REASON
            || reason.chars().any(char::is_control)
        {
            return Err(OperatorError::InvalidInput(format!(
                "reason: required, one line of at most {MAX_REASON} characters"
            )));
        }
        let in_scope = match scope {
            StatusScope::BatchOf(credential_id) => {
                let credential = self.load_credential(credential_id).await?;
                self.store
                    .batch(&credential.offer_ref, &credential.configuration_id)
                    .await?
            }
            StatusScope::Identity(identity_id) => {
                if self.store.identity(identity_id).await?.is_none() {
                    return Err(OperatorError::NotFound {
                        what: "identity",
                        id: identity_id.to_owned(),
                    });
                }
                self.store.credentials(Some(identity_id)).await?
            }
        };
        let Partition {
            applies,
            done,
            refused,
        } = partition(action, in_scope)?;
        if applies.is_empty() && done.is_empty() {
            return Err(OperatorError::IllegalTransition {
                scope: scope.to_string(),
                action: action.as_str(),
                statuses: statuses_found(&refused),
            });
        }
        let to = action.target().as_str();
        let now = self.clock.now();
        let changes: Vec<StatusChange<'_>> = applies
            .iter()
            .map(|credential| StatusChange {
                credential_id: &credential.credential_id,
                list_id: &credential.list_id,
                from_version: credential.status_version,
                to,
                now,
                reason,
            })
            .collect();
        if !changes.is_empty() && !self.store.change_statuses(&changes).await? {
            return Err(OperatorError::Conflict(format!(
                "a credential of {scope} changed concurrently; read them again and retry"
            )));
        }
        tracing::info!(
            credential.status = to,
            credential.count = changes.len(),
            status.scope = match scope {
                StatusScope::BatchOf(_) => "batch",
                StatusScope::Identity(_) => "identity",
            },
            status.scope_id = match scope {
                StatusScope::BatchOf(id) | StatusScope::Identity(id) => id,
            },
            "credential status changed"
        );
        Ok(StatusChangeOutcome {
            action: action.as_str(),
            status: to,
            changed: applies
                .into_iter()
                .map(|credential| CredentialSummary {
                    status: to.to_owned(),
                    ..self.summary(credential)
                })
                .collect(),
            unchanged: done
                .into_iter()
                .chain(refused)
                .map(|c| self.summary(c))
                .collect(),
        })
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
        for action in [Revoke, Suspend, Reinstate] {
            for from in [Valid, Suspended, Revoked] {
                if let Some(to) = action.next(from) {
                    assert_eq!(to, action.target());
                }
            }
        }
    }

    fn stored(credential_id: &str, status: &str) -> StoredCredential {
        StoredCredential {
            credential_id: credential_id.into(),
            identity_id: "i".into(),
            offer_ref: "o".into(),
            configuration_id: "uk_age".into(),
            vct: "urn:dvs:vct:uk-age:1".into(),
            list_id: "l".into(),
            status_idx: 1,
            status: status.into(),
            status_version: 0,
            signing_kid: "k".into(),
            holder_thumbprint: "t".into(),
            issued_at: 0,
            expires_at: 1,
        }
    }

    #[test]
    fn a_change_applies_to_each_credential_whose_status_allows_it() {
        let batch = || {
            vec![
                stored("a", "valid"),
                stored("b", "suspended"),
                stored("c", "revoked"),
            ]
        };
        let ids = |credentials: &[StoredCredential]| -> Vec<String> {
            credentials
                .iter()
                .map(|c| c.credential_id.clone())
                .collect()
        };
        let revoke = partition(StatusAction::Revoke, batch()).unwrap();
        assert_eq!(
            (
                ids(&revoke.applies),
                ids(&revoke.done),
                ids(&revoke.refused)
            ),
            (vec!["a".into(), "b".into()], vec!["c".into()], vec![])
        );
        let suspend = partition(StatusAction::Suspend, batch()).unwrap();
        assert_eq!(
            (
                ids(&suspend.applies),
                ids(&suspend.done),
                ids(&suspend.refused)
            ),
            (vec!["a".into()], vec!["b".into()], vec!["c".into()])
        );
        let reinstate = partition(StatusAction::Reinstate, batch()).unwrap();
        assert_eq!(
            (
                ids(&reinstate.applies),
                ids(&reinstate.done),
                ids(&reinstate.refused)
            ),
            (vec!["b".into()], vec!["a".into()], vec!["c".into()])
        );
        let mut corrupt = batch();
        corrupt.push(stored("d", "on-hold"));
        assert!(
            partition(StatusAction::Revoke, corrupt).is_err(),
            "fails closed"
        );
        assert_eq!(
            statuses_found(&[stored("c", "revoked"), stored("e", "revoked")]),
            "no credential there allows it (found: revoked)"
        );
        assert_eq!(statuses_found(&[]), "there are no credentials");
    }
}
