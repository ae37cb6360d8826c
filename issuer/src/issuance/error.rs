use idv_jose::JoseError;
use idv_sdjwt::SdJwtError;
use thiserror::Error;

/// Why a credential could not be issued. Each variant maps to one OpenID4VCI error code at the
/// HTTP edge.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssuanceError {
    /// A key proof is malformed, has the wrong `typ`/`alg`/`aud`, a bad signature, or an `iat`
    /// outside the window (`invalid_proof`).
    #[error("invalid proof {index}: {reason}")]
    InvalidProof {
        /// Position of the proof in `proofs.jwt`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A proof's `nonce` is missing or is not a live `c_nonce` (`invalid_nonce`).
    #[error("proof {index} does not carry a valid c_nonce")]
    InvalidNonce {
        /// Position of the proof in `proofs.jwt`.
        index: usize,
    },
    /// The request itself is unacceptable: no proofs, too many, two proofs for one key
    /// (`invalid_credential_request`).
    #[error("invalid credential request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// The proofed identity lacks what this credential needs (`credential_request_denied`).
    #[error("credential request denied: {reason}")]
    Denied {
        /// Why.
        reason: String,
    },
    /// Building or signing the credential failed (a server error).
    #[error("credential could not be built: {0}")]
    Credential(#[from] SdJwtError),
}

impl IssuanceError {
    pub(crate) fn proof(index: usize, reason: impl Into<String>) -> Self {
        Self::InvalidProof {
            index,
            reason: reason.into(),
        }
    }

    pub(crate) fn jose(index: usize, error: &JoseError) -> Self {
        Self::proof(index, error.to_string())
    }
}
