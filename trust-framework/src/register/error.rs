//! The register's errors, one type per use-case area, each keeping its source. Mapped to HTTP
//! statuses in one place, `crate::http::error`.

use idv_proto::trust::entry::ServiceStatus;

use crate::register::providers::StatusAction;
use crate::store::StoreError;

/// The input is malformed or not acceptable; the message names the field.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// Missing or unknown operator token.
#[derive(Debug, thiserror::Error)]
#[error("unknown operator token")]
pub struct Unauthenticated;

/// Why the register could not be initialised or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The database has no anchor key yet.
    #[error("the register is not initialised: run `trust-framework init` first")]
    NotInitialised,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A refusal or failure of the certified services' area ([`super::Providers`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The input is malformed or not acceptable.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// No entry with this id.
    #[error("no service entry `{entry_id}`")]
    EntryNotFound {
        /// The id asked for.
        entry_id: String,
    },
    /// The lifecycle does not allow this action from the entry's current status.
    #[error("cannot {action} entry `{entry_id}`: its status is {status}{}", hint(*action, *status))]
    IllegalTransition {
        /// The entry.
        entry_id: String,
        /// What was asked.
        action: StatusAction,
        /// Its status.
        status: ServiceStatus,
    },
    /// The request contradicts the register's state (duplicate `iss`, code already
    /// certified, entry not current, concurrent change).
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A refusal or failure of the relying parties' area ([`super::RelyingParties`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelyingPartyError {
    /// The input is malformed or not acceptable.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// No relying party with this id.
    #[error("no relying party `{rp_id}`")]
    RelyingPartyNotFound {
        /// The id asked for.
        rp_id: String,
    },
    /// The request contradicts the register's state (duplicate `client_id`, relying party
    /// not active).
    #[error("{0}")]
    Conflict(String),
    /// The attested key could not be written as a JWK.
    #[error("the attested key could not be encoded")]
    EncodeKey(#[source] serde_json::Error),
    /// Signing the attestation failed.
    #[error("signing the verifier attestation failed")]
    Signing(#[source] idv_trust::TrustError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A failure of the trust list's area ([`super::TrustList`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustListError {
    /// The list could not be signed because the register kept changing, and no unexpired
    /// list was stored to fall back on.
    #[error("the trust list could not be signed under contention")]
    Contention,
    /// Signing the list failed.
    #[error("signing the trust list failed")]
    Signing(#[source] idv_jose::JoseError),
    /// A stored list does not decode or verify under the anchor key.
    #[error("the stored trust list does not verify")]
    Decode(#[source] idv_jose::JoseError),
    /// The stored sequence is negative.
    #[error("the stored list sequence is negative")]
    Sequence(#[source] std::num::TryFromIntError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn hint(action: StatusAction, status: ServiceStatus) -> &'static str {
    match (action, status) {
        (_, ServiceStatus::Withdrawn | ServiceStatus::Removed) => {
            " (final: register a new entry with a new certificate)"
        }
        (_, ServiceStatus::Expired) => " (the certificate expired: register the renewed one)",
        (StatusAction::Reinstate, ServiceStatus::Certified) => " (nothing to reinstate)",
        (StatusAction::Suspend, ServiceStatus::Suspended) => " (already suspended)",
        _ => "",
    }
}
