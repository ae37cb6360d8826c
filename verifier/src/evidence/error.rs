//! [`EvidenceError`]: why the evidence package or clear copy of a check cannot be given.
//! Mapped to HTTP statuses in one place, `crate::http::error`.

use idv_checks::templates::TemplateError;

use crate::checks::CheckError;
use crate::keys::KeyError;

/// An evidence use case's refusal or failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The check cannot be read (unknown to the tenant, or the store failed).
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The check's personal data, its signed record with it, was purged at the end of its
    /// retention: there is no evidence to package or copy any more.
    #[error(
        "the check's data was purged at the end of its retention: its evidence is no longer \
         held here"
    )]
    Purged,
    /// The check has no signed record to package or copy (yet).
    #[error("the check has no evidence to give: {why}")]
    NoEvidence {
        /// Why not.
        why: &'static str,
    },
    /// The evidence keys could not be read.
    #[error("the evidence keys could not be read")]
    Keys(#[from] KeyError),
    /// A stored value does not decode or verify.
    #[error("stored {what} does not decode")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// The template the check ran is not offered (any more).
    #[error("the check's template is unavailable")]
    Template(#[source] TemplateError),
}
