//! [`ExchangeError`]: refusals and failures at the wallet endpoints. Each carries a stable reason code
//! (`idv_checks::ReasonCode`), which `crate::http::error` puts first in `error_description`.

use idv_checks::reason::ReasonCode;
use idv_checks::templates::TemplateError;
use idv_jose::JoseError;
use idv_keystore::KeyStoreError;

use crate::checks::CheckError;
use crate::store::StoreError;
use crate::tenants::TenantError;

/// A refused request-object fetch or response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// No open request with this id (unknown, erased), or the response's `state` is not the
    /// request's.
    #[error("the response does not answer an open presentation request")]
    UnknownRequest,
    /// The request expired.
    #[error("the presentation request expired")]
    Expired,
    /// The request was answered already.
    #[error("a response was already received for this request")]
    Replayed,
    /// The response is malformed; the message says how (never its content).
    #[error("malformed response: {0}")]
    InvalidResponse(String),
    /// The `direct_post.jwt` response does not decrypt with the request's key.
    #[error("the encrypted response could not be decrypted")]
    Decryption,
    /// A plaintext `vp_token` or `error` where the request requires `direct_post.jwt`.
    #[error(
        "this request requires an encrypted response (direct_post.jwt), error responses included"
    )]
    Unencrypted,
    /// The request object cannot be signed for the tenant (attestation missing or expired).
    #[error("the verifier cannot sign this request now: {0}")]
    Unavailable(String),
    /// The request object could not be signed.
    #[error("the request object could not be signed")]
    Signing(#[source] JoseError),
    /// The request's stored ECDH-ES key could not be opened.
    #[error("the request's encryption key could not be opened")]
    RequestKey(#[source] KeyStoreError),
    /// A stored value is missing or does not decode.
    #[error("stored {what} is missing or does not decode")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// The template the check names is not offered (any more).
    #[error("the check's template is unavailable")]
    Template(#[from] TemplateError),
    /// The tenant's record or key is unusable.
    #[error("the tenant is unusable")]
    Tenant(#[source] TenantError),
    /// Ending the check failed.
    #[error("the check could not be ended")]
    Check(#[source] CheckError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ExchangeError {
    /// The stable reason code of a refusal, when it has one.
    pub fn code(&self) -> Option<ReasonCode> {
        match self {
            Self::UnknownRequest => Some(ReasonCode::RequestUnknown),
            Self::Expired => Some(ReasonCode::RequestExpired),
            Self::Replayed => Some(ReasonCode::ResponseReplayed),
            Self::InvalidResponse(_) | Self::Unencrypted => Some(ReasonCode::InvalidResponse),
            Self::Decryption => Some(ReasonCode::ResponseDecryptionFailed),
            Self::Unavailable(_)
            | Self::Signing(_)
            | Self::RequestKey(_)
            | Self::Corrupt { .. }
            | Self::Template(_)
            | Self::Tenant(_)
            | Self::Check(_)
            | Self::Store(_) => None,
        }
    }
}

impl From<TenantError> for ExchangeError {
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::Attestation(reason) => Self::Unavailable(reason),
            TenantError::Store(e) => Self::Store(e),
            other => Self::Tenant(other),
        }
    }
}

impl From<CheckError> for ExchangeError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Store(e) => Self::Store(e),
            other => Self::Check(other),
        }
    }
}
