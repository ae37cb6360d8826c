use idv_jose::JoseError;
use thiserror::Error;

/// Why a status list, a Status List Token or a status lookup was rejected.
///
/// Every variant is a reason to make no statement about the referenced token; a relying party
/// SHOULD then reject it (draft-ietf-oauth-status-list-20, "Verification and Processing").
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusListError {
    /// `bits` is not one of 1, 2, 4 or 8.
    #[error("unsupported status size: bits = {bits} (must be 1, 2, 4 or 8)")]
    UnsupportedBits {
        /// The value found.
        bits: u64,
    },
    /// `lst` is not unpadded base64url.
    #[error("lst is not valid unpadded base64url")]
    Base64,
    /// `lst` does not decode as a complete ZLIB stream (raw DEFLATE, gzip, truncated or corrupt).
    #[error("lst is not a valid ZLIB (RFC 1950) stream")]
    NotZlib,
    /// The list decompresses to more than the configured cap (a compression bomb, or simply too big).
    #[error("status list decompresses to more than {limit} bytes")]
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The compact token is longer than the configured cap; it was not parsed.
    #[error("status list token is {len} bytes, over the {limit}-byte limit")]
    TokenTooLarge {
        /// The token's length in bytes.
        len: usize,
        /// The cap in bytes.
        limit: usize,
    },
    /// A list of this many entries cannot be held in memory on this platform.
    #[error("a status list of {len} entries does not fit in memory")]
    CapacityOverflow {
        /// The requested number of entries.
        len: u64,
    },
    /// The index is not inside the list.
    #[error("index {idx} is out of range for a list of {len} entries")]
    IndexOutOfRange {
        /// The index asked for.
        idx: u64,
        /// The number of entries in the list.
        len: u64,
    },
    /// The status value needs more bits than each entry of the list has.
    #[error("status value {value:#04x} does not fit in {bits} bit(s)")]
    ValueTooWide {
        /// The status value.
        value: u8,
        /// The list's bits per entry.
        bits: u8,
    },
    /// Parsing, typing or signature verification of the JWS failed.
    #[error("status list token: {0}")]
    Token(#[from] JoseError),
    /// A claim the Status List Token requires is absent.
    #[error("required claim {claim} is missing")]
    MissingClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// A claim is present but malformed.
    #[error("claim {claim} is invalid: {reason}")]
    InvalidClaim {
        /// The claim name.
        claim: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The referenced token's `status.status_list` is unusable (e.g. an empty `uri`).
    #[error("invalid status reference: {reason}")]
    InvalidReference {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The token's `sub` is not the `uri` the referenced token points to.
    #[error("status list token sub {found:?} does not match the referenced uri {expected:?}")]
    SubjectMismatch {
        /// The referenced token's `status.status_list.uri`.
        expected: String,
        /// The Status List Token's `sub`.
        found: String,
    },
    /// `exp` has passed.
    #[error("status list token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `nbf` is still in the future.
    #[error("status list token not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` is in the future beyond the allowed clock skew.
    #[error("status list token issued in the future at {iat} (now {now})")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` is older than the policy's `max_age`.
    #[error("status list token issued at {iat} is older than {max_age}s (now {now})")]
    TooOld {
        /// The token's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// The policy's maximum age in seconds.
        max_age: i64,
    },
    /// `ttl` is not a positive number of seconds.
    #[error("ttl {ttl} is not a positive number of seconds")]
    TtlOutOfBounds {
        /// The token's `ttl`.
        ttl: i64,
    },
    /// A cached list is past its `fresh_until`; fetch a new Status List Token.
    #[error("cached status list went stale at {fresh_until} (now {now})")]
    Stale {
        /// When the cached list stopped being usable.
        fresh_until: i64,
        /// The verifier's clock.
        now: i64,
    },
}
