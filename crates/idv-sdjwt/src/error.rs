use idv_jose::JoseError;
use thiserror::Error;

/// Why an SD-JWT was not issued, presented or accepted. Each variant names the failed rule.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdJwtError {
    /// The `~`-separated form is broken (RFC 9901 §4).
    #[error("malformed SD-JWT: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The input exceeds a processing limit (size, disclosures or nesting depth).
    #[error("SD-JWT exceeds the {limit} limit")]
    TooLarge {
        /// Which limit.
        limit: &'static str,
    },
    /// Key binding is required but the presentation ends in `~` (RFC 9901 §7.3 step 2).
    #[error("a Key Binding JWT is required but none was presented")]
    KeyBindingMissing,
    /// Key binding was not expected, so the last component must be empty (RFC 9901 §4).
    #[error("expected an SD-JWT ending in '~' but found a trailing component")]
    UnexpectedKeyBinding,
    /// The issuer-signed JWT failed a JOSE check: algorithm, `typ`, signature, time claims.
    #[error("issuer-signed JWT rejected: {0}")]
    IssuerJwt(#[source] JoseError),
    /// `_sd_alg` names a hash we do not accept.
    #[error("unsupported _sd_alg {alg:?}")]
    UnsupportedSdAlg {
        /// The value found.
        alg: String,
    },
    /// A disclosure is not base64url JSON array of the right shape.
    #[error("disclosure {index} is invalid: {reason}")]
    InvalidDisclosure {
        /// Position in the presentation (0-based).
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The same disclosure was presented more than once (RFC 9901 §4).
    #[error("disclosure {index} is presented more than once")]
    DuplicateDisclosure {
        /// Position of the repeat (0-based).
        index: usize,
    },
    /// A disclosure's digest appears nowhere in the payload or other disclosures (§7.1 step 5).
    #[error("disclosure {index} is not referenced by any digest")]
    UnreferencedDisclosure {
        /// Position in the presentation (0-based).
        index: usize,
    },
    /// A digest appears more than once in the SD-JWT (§7.1 step 4).
    #[error("digest {digest} appears more than once")]
    DuplicateDigest {
        /// The repeated digest.
        digest: String,
    },
    /// A disclosure referenced from `_sd` is not `[salt, name, value]`, or one referenced from
    /// `...` is not `[salt, value]` (§7.1 step 3).
    #[error("disclosure {index} has the wrong number of elements for where it is referenced")]
    WrongDisclosureArity {
        /// Position in the presentation (0-based).
        index: usize,
    },
    /// A disclosed claim is named `_sd` or `...` (§7.1 step 3).
    #[error("disclosure {index} uses the reserved claim name {name:?}")]
    ReservedClaimName {
        /// Position in the presentation (0-based).
        index: usize,
        /// The name.
        name: String,
    },
    /// A disclosed claim name already exists in its object (§7.1 step 3).
    #[error("disclosed claim {name:?} collides with an existing claim")]
    ClaimNameCollision {
        /// The name.
        name: String,
    },
    /// `_sd` is not an array of strings, a `...` digest is not a string, or `_sd_alg` is nested.
    #[error("malformed digest structure: {reason}")]
    MalformedDigests {
        /// What is wrong.
        reason: &'static str,
    },
    /// A claim the caller requires is absent from the processed payload.
    #[error("required claim {claim} is missing")]
    MissingClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// A claim that must always be plain text (SD-JWT VC: `iss`, `vct`, `cnf`, `status`, …)
    /// was selectively disclosed, or was requested to be concealed.
    #[error("claim {claim} must not be selectively disclosable")]
    ClaimMustBePlain {
        /// The claim name.
        claim: String,
    },
    /// The holder key in `cnf` is missing or unusable.
    #[error("no usable holder key in cnf: {0}")]
    HolderKey(#[source] JoseError),
    /// The Key Binding JWT failed a JOSE check: algorithm, `typ`, signature or freshness.
    #[error("Key Binding JWT rejected: {0}")]
    KeyBindingJwt(#[source] JoseError),
    /// The Key Binding JWT's `aud` is not this verifier.
    #[error("Key Binding JWT audience does not match")]
    KeyBindingAudience,
    /// The Key Binding JWT's `nonce` is not this transaction's.
    #[error("Key Binding JWT nonce does not match")]
    KeyBindingNonce,
    /// The Key Binding JWT's `sd_hash` does not cover exactly this presentation.
    #[error("Key Binding JWT sd_hash does not match the presentation")]
    KeyBindingSdHash,
    /// A path given to conceal or present selects nothing in the credential.
    #[error("claim path {path} selects nothing")]
    UnknownPath {
        /// The path as compact JSON.
        path: String,
    },
    /// Signing failed (issuer JWT or Key Binding JWT).
    #[error("signing failed: {0}")]
    Signing(#[source] JoseError),
    /// The credential does not conform to its type's Type Metadata (SD-JWT VC "Processing
    /// Type Metadata"), or the metadata could not be processed.
    #[error("type metadata: {0}")]
    TypeMetadata(#[from] crate::type_metadata::TypeMetadataError),
}
