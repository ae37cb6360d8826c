use thiserror::Error;

/// Why a JOSE object, key or JWT validity check was rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoseError {
    /// A part was not valid unpadded base64url.
    #[error("{part} is not valid base64url")]
    Base64 {
        /// Which part of the object.
        part: &'static str,
    },
    /// The compact serialization did not have the expected number of parts.
    #[error("malformed compact serialization: expected {expected} parts separated by '.'")]
    Malformed {
        /// Number of parts expected (3 for JWS, 5 for JWE).
        expected: usize,
    },
    /// A part was not the JSON it must be.
    #[error("{part} is not valid JSON: {reason}")]
    Json {
        /// Which part of the object.
        part: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// The `alg` (or JWE `alg`/`enc`) is not one we accept; `none` is never accepted.
    #[error("unsupported algorithm {alg:?}")]
    UnsupportedAlgorithm {
        /// The algorithm found (empty when absent).
        alg: String,
    },
    /// The `typ` header is missing or not the one this kind of token requires.
    #[error("unexpected typ {found:?}, expected {expected}")]
    UnexpectedType {
        /// What the caller requires.
        expected: String,
        /// What the header carried.
        found: Option<String>,
    },
    /// The header lists critical extensions, none of which we understand.
    #[error("unsupported critical header parameter")]
    CriticalHeader,
    /// The signature does not verify with the given key.
    #[error("signature verification failed")]
    BadSignature,
    /// A key was malformed, on the wrong curve, or not what was required.
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// What was wrong with it.
        reason: &'static str,
    },
    /// JWE decryption failed (wrong key, tampered ciphertext, tag or header).
    #[error("decryption failed")]
    DecryptionFailed,
    /// A sealed private key names another key-encryption key than the one configured.
    #[error(
        "the key was sealed under key-encryption key {sealed_with}, but the configured key is {configured}"
    )]
    WrongKeyEncryptionKey {
        /// The `kid` of the sealed key.
        sealed_with: String,
        /// The id of the configured key-encryption key.
        configured: String,
    },
    /// `exp` has passed.
    #[error("expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `nbf` is still in the future.
    #[error("not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` is in the future beyond the allowed skew.
    #[error("issued in the future at {iat} (now {now})")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` is older than the freshness window allows.
    #[error("issued too long ago at {iat} (now {now}, max age {max_age}s)")]
    TooOld {
        /// The token's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// The allowed age in seconds.
        max_age: i64,
    },
    /// A claim this kind of token requires is absent.
    #[error("required claim {claim} is missing")]
    MissingClaim {
        /// The claim name.
        claim: &'static str,
    },
}
