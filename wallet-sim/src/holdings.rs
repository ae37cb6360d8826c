//! What the wallet holds: `list` (one line per credential, its copies counted), `show` (claims,
//! issuer as named on the trust list, expiry, revocation status, copies and what was shared)
//! and `delete`.

use std::sync::Arc;

use idv_fetch::StatusListClient;
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_status_list::codec::Status;
use idv_status_list::verify::StatusPolicy;
use idv_trust::list::VerifiedTrustList;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::WalletError;
use crate::store::credentials::{Batch, Copy};
use crate::store::presentations::PresentationRecord;
use crate::trust::TrustSource;
use crate::trust::{IssuerStanding, issuer_standing};
use crate::wallet::Handles;

/// Claims about the credential rather than the person: shown apart from the person's claims.
const REGISTERED: &[&str] = &[
    "iss",
    "vct",
    "vct#integrity",
    "aka_vcts",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "status",
    "_sd_alg",
];

/// One line of `list`.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialSummary {
    /// The id for `show`, `delete`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// SD-JWT VC type.
    pub vct: String,
    /// The credentials' `iss` (or the Credential Issuer Identifier).
    pub issuer: String,
    /// Copies held.
    pub copies: i64,
    /// Copies never presented.
    pub unused: i64,
    /// Earliest expiry of the copies.
    pub expires_at: Option<i64>,
    /// Whether that expiry has passed.
    pub expired: bool,
    /// When received.
    pub received_at: i64,
}

/// The revocation status of a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusView {
    /// `valid`, `revoked`, `suspended`, `other`, `unknown` (could not be established) or
    /// `none` (the credential carries no status).
    pub state: String,
    /// Why it is unknown, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One copy, without its credential or key.
#[derive(Debug, Clone, Serialize)]
pub struct CopyView {
    /// The copy's id.
    pub id: String,
    /// Times presented.
    pub presentations: i64,
    /// Last presentation.
    pub last_presented_at: Option<i64>,
    /// Its status.
    pub status: StatusView,
}

/// `show`. `Debug` leaves the claims out.
#[derive(Clone, Serialize)]
pub struct CredentialDetails {
    /// The summary line.
    #[serde(flatten)]
    pub summary: CredentialSummary,
    /// The Credential Issuer Identifier it was received from.
    pub credential_issuer: String,
    /// The issuer's credential configuration.
    pub configuration_id: String,
    /// The issuer on the trust list.
    pub issuer_standing: IssuerStanding,
    /// One line naming the issuer.
    pub issuer_name: String,
    /// Where the issuer's key came from at receipt.
    pub issuer_key_source: String,
    /// The person's claims (every selectively disclosable claim resolved).
    pub claims: Map<String, Value>,
    /// The status of the credential (the worst of its copies').
    pub status: StatusView,
    /// The copies.
    pub copies: Vec<CopyView>,
    /// What was shared, with whom.
    pub presentations: Vec<PresentationRecord>,
}

impl std::fmt::Debug for CredentialDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialDetails")
            .field("summary", &self.summary)
            .field("status", &self.status)
            .field("copies", &self.copies.len())
            .finish_non_exhaustive()
    }
}

/// What the wallet holds: list, show and delete its credentials. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Holdings {
    handles: Handles,
    trust: TrustSource,
}

impl Holdings {
    pub(crate) fn new(handles: Handles, trust: TrustSource) -> Self {
        Self { handles, trust }
    }

    /// Every credential held.
    pub async fn list(&self) -> Result<Vec<CredentialSummary>, WalletError> {
        let now = self.handles.clock.now();
        Ok(self
            .handles
            .store
            .batches()
            .await?
            .iter()
            .map(|batch| summary(batch, now))
            .collect())
    }

    /// The credential `id`, its issuer as named on the trust list and its status.
    pub async fn show(&self, id: &str) -> Result<CredentialDetails, WalletError> {
        let batch = self.batch(id).await?;
        let copies = self.handles.store.copies(id).await?;
        let now = self.handles.clock.now();
        // The credential stays readable when the trust framework cannot be reached.
        let (list, trust_problem) = match self.trust.current().await {
            Ok(list) => (list, None),
            Err(error) => (None, Some(format!("trust list unavailable: {error}"))),
        };
        let issuer_key = crate::presentation::issuer_key(&batch)?;
        let first_claims = copies
            .first()
            .and_then(|c| c.stored.claims.as_object())
            .cloned()
            .unwrap_or_default();
        let issued_at = idv_jose::jwt::numeric_date(&first_claims, "iat")
            .ok()
            .flatten();
        let standing = issuer_standing(
            list.as_deref(),
            batch.stored.iss.as_deref(),
            &issuer_key,
            &batch.stored.vct,
            issued_at,
            now,
        );
        let standing = match trust_problem {
            Some(problem) => IssuerStanding {
                note: Some(problem),
                ..standing
            },
            None => standing,
        };
        let statuses = self.statuses(&batch, &copies, list.as_ref()).await;
        let status = worst(&statuses);
        let claims = first_claims
            .into_iter()
            .filter(|(name, _)| !REGISTERED.contains(&name.as_str()))
            .collect();
        Ok(CredentialDetails {
            summary: summary(&batch, now),
            credential_issuer: batch.stored.credential_issuer.clone(),
            configuration_id: batch.stored.configuration_id.clone(),
            issuer_name: standing.describe(batch.stored.iss.as_deref()),
            issuer_standing: standing,
            issuer_key_source: batch.stored.issuer_key_source.clone(),
            claims,
            status,
            copies: copies
                .iter()
                .zip(statuses)
                .map(|(copy, status)| CopyView {
                    id: copy.credential_id.clone(),
                    presentations: copy.presentations,
                    last_presented_at: copy.last_presented_at,
                    status,
                })
                .collect(),
            presentations: self.handles.store.presentations(id).await?,
        })
    }

    /// Deletes the credential `id`: every copy, its holder keys and its presentation log.
    pub async fn delete(&self, id: &str) -> Result<CredentialSummary, WalletError> {
        let batch = self.batch(id).await?;
        self.handles.store.delete_batch(id).await?;
        Ok(summary(&batch, self.handles.clock.now()))
    }

    async fn batch(&self, id: &str) -> Result<Batch, WalletError> {
        self.handles
            .store
            .batch(id)
            .await?
            .ok_or_else(|| WalletError::NotFound { id: id.to_owned() })
    }

    async fn statuses(
        &self,
        batch: &Batch,
        copies: &[Copy],
        list: Option<&Arc<VerifiedTrustList>>,
    ) -> Vec<StatusView> {
        let unknown = |detail: String| StatusView {
            state: "unknown".into(),
            detail: Some(detail),
        };
        let client = StatusListClient::new(
            self.handles.http.fetcher().clone(),
            Arc::clone(&self.handles.clock),
            Arc::clone(&self.handles.random),
            StatusPolicy::default(),
            16,
        );
        let mut out = Vec::with_capacity(copies.len());
        for copy in copies {
            let Some((uri, idx)) = &copy.stored.status else {
                out.push(StatusView {
                    state: "none".into(),
                    detail: None,
                });
                continue;
            };
            let (Some(list), Some(iss)) = (list, batch.stored.iss.as_deref()) else {
                out.push(unknown(
                    "not checked: the status list is trusted only through the trust list".into(),
                ));
                continue;
            };
            let reference = StatusListReference {
                idx: u64::try_from(*idx).unwrap_or(u64::MAX),
                uri: uri.clone(),
            };
            out.push(match client.status(&reference, iss, list).await {
                Ok(check) => StatusView {
                    state: match check.status {
                        Status::Valid => "valid",
                        Status::Invalid => "revoked",
                        Status::Suspended => "suspended",
                        _ => "other",
                    }
                    .into(),
                    detail: None,
                },
                Err(error) => unknown(error.to_string()),
            });
        }
        out
    }
}

/// The credential's status: revoked if any copy is, then suspended, other, unknown, valid.
fn worst(statuses: &[StatusView]) -> StatusView {
    let rank = |s: &StatusView| match s.state.as_str() {
        "revoked" => 0,
        "suspended" => 1,
        "other" => 2,
        "unknown" => 3,
        "valid" => 4,
        _ => 5,
    };
    statuses
        .iter()
        .min_by_key(|s| rank(s))
        .cloned()
        .unwrap_or(StatusView {
            state: "none".into(),
            detail: None,
        })
}

fn summary(batch: &Batch, now: i64) -> CredentialSummary {
    CredentialSummary {
        id: batch.stored.batch_id.clone(),
        name: batch
            .stored
            .display_name
            .clone()
            .unwrap_or_else(|| batch.stored.vct.clone()),
        vct: batch.stored.vct.clone(),
        issuer: batch
            .stored
            .iss
            .clone()
            .unwrap_or_else(|| batch.stored.credential_issuer.clone()),
        copies: batch.copies,
        unused: batch.unused,
        expires_at: batch.expires_at,
        expired: batch.expires_at.is_some_and(|exp| exp <= now),
        received_at: batch.stored.received_at,
    }
}
