//! [`WalletError`]: refusals at the wallet endpoints. Each carries a stable reason code
//! (`idv_checks::ReasonCode`), which `crate::http::error` puts first in `error_description`.

use idv_checks::reason::ReasonCode;

use crate::store::StoreError;
use crate::tenants::TenantError;

/// A refused request-object fetch or response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
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
    /// Signing, or a stored value, failed.
    #[error("{0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WalletError {
    /// The stable reason code of a refusal, when it has one.
    pub fn code(&self) -> Option<ReasonCode> {
        match self {
            Self::UnknownRequest => Some(ReasonCode::RequestUnknown),
            Self::Expired => Some(ReasonCode::RequestExpired),
            Self::Replayed => Some(ReasonCode::ResponseReplayed),
            Self::InvalidResponse(_) | Self::Unencrypted => Some(ReasonCode::InvalidResponse),
            Self::Decryption => Some(ReasonCode::ResponseDecryptionFailed),
            Self::Unavailable(_) | Self::Internal(_) | Self::Store(_) => None,
        }
    }
}

impl From<TenantError> for WalletError {
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::Attestation(reason) => Self::Unavailable(reason),
            TenantError::Store(e) => Self::Store(e),
            other => Self::Internal(other.to_string()),
        }
    }
}
