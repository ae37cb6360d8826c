//! [`RegisterError`]: what the register's use cases can refuse or fail with. Mapped to HTTP
//! statuses in one place, `crate::http::error`.

use idv_proto::trust::entry::ServiceStatus;

use crate::register::providers::StatusAction;
use crate::store::StoreError;

/// A use case's refusal or failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The input is malformed or not acceptable; the message names the field.
    #[error("{0}")]
    InvalidInput(String),
    /// No entry with this id.
    #[error("no service entry `{entry_id}`")]
    EntryNotFound {
        /// The id asked for.
        entry_id: String,
    },
    /// No relying party with this id.
    #[error("no relying party `{rp_id}`")]
    RelyingPartyNotFound {
        /// The id asked for.
        rp_id: String,
    },
    /// No credential type is published under this name.
    #[error("no credential type is published as `{name}`")]
    CredentialTypeNotFound {
        /// The name asked for.
        name: String,
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
    /// The request contradicts the register's state (duplicate `iss` or `client_id`, code
    /// already certified, relying party not active, concurrent change).
    #[error("{0}")]
    Conflict(String),
    /// Missing or unknown operator token.
    #[error("unknown operator token")]
    Unauthenticated,
    /// The database has no anchor key yet.
    #[error("the register is not initialised: run `trust-framework init` first")]
    NotInitialised,
    /// The list could not be signed because the register kept changing, and no unexpired
    /// list was stored to fall back on.
    #[error("the trust list could not be signed under contention")]
    Contention,
    /// The stored anchor key does not load.
    #[error("the stored anchor key is unusable")]
    AnchorKey(#[source] idv_jose::JoseError),
    /// Signing a list or attestation failed.
    #[error("signing failed: {0}")]
    Signing(String),
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
