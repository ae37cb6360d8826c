//! [`CheckError`]: what the check use cases can refuse or fail with. Mapped to HTTP statuses
//! in one place, `crate::http::error`.

use crate::evidence::keys::KeyError;
use crate::store::StoreError;
use crate::tenants::TenantError;

/// A check use case's refusal or failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The input is malformed; the message names the field.
    #[error("{0}")]
    InvalidInput(String),
    /// No template with this id.
    #[error("unknown check template `{template}`")]
    UnknownTemplate {
        /// The id asked for.
        template: String,
    },
    /// No such check for this tenant (another tenant's checks do not exist for it).
    #[error("no check `{check_id}`")]
    NotFound {
        /// The id asked for.
        check_id: String,
    },
    /// The tenant cannot send requests wallets accept now: no valid attestation, or one whose
    /// registered purposes or redirect URIs do not cover the check.
    #[error("{0}")]
    NotAttested(String),
    /// The check is not waiting for a wallet any more (QR code of a finished check).
    #[error("the check is {state}: it no longer waits for a wallet")]
    NotPending {
        /// Its state.
        state: &'static str,
    },
    /// The check's outcome is not `awaiting_confirmation` (another template, not verified,
    /// already confirmed or rejected, or erased).
    #[error("the check ({state}) is not awaiting confirmation")]
    NotAwaitingConfirmation {
        /// Its state.
        state: String,
    },
    /// The check's personal data (the photo to compare with) was purged at the end of its
    /// retention: it can no longer be confirmed.
    #[error("the check's data was purged at the end of its retention: start a new check")]
    ConfirmationDataPurged,
    /// The check's personal data, its signed record with it, was purged at the end of its
    /// retention: there is no evidence to package or copy any more.
    #[error(
        "the check's data was purged at the end of its retention: its evidence is no longer \
         held here"
    )]
    EvidencePurged,
    /// The check has no signed record to package or copy (yet).
    #[error("the check has no evidence to give: {why}")]
    NoEvidence {
        /// Why not.
        why: &'static str,
    },
    /// The tenant already has `[limits] max_open_checks_per_tenant` checks waiting for a
    /// wallet.
    #[error(
        "the tenant has {limit} checks waiting for a wallet, the most allowed: wait until \
         some finish or expire, or delete ones no longer needed"
    )]
    TooManyOpenChecks {
        /// The cap.
        limit: i64,
        /// Seconds until the earliest of them expires.
        retry_after_secs: u64,
    },
    /// The same-device response code is wrong or was used already.
    #[error("the response code is not valid for this check, or was used already")]
    InvalidResponseCode,
    /// Signing, key generation or QR rendering failed.
    #[error("{0}")]
    Internal(String),
    /// A stored value does not decode.
    #[error("stored {what} does not decode")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TenantError> for CheckError {
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::Attestation(reason) => Self::NotAttested(format!(
                "the tenant's verifier attestation is not usable: {reason}"
            )),
            TenantError::Store(e) => Self::Store(e),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<KeyError> for CheckError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::Store(e) => Self::Store(e),
            other => Self::Internal(other.to_string()),
        }
    }
}
