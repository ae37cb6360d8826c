use idv_jose::JoseError;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::trust::entry::{LevelOfConfidence, SchemeCode, ServiceStatus};
use idv_proto::trust::relying_party::RelyingPartyStatus;
use thiserror::Error;

/// Why a trust list, an attestation or a trust decision was rejected. Each variant names the
/// failed rule; every one of them means "do not trust".
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    // --- Anchors (configuration) ---
    /// The anchor configuration holds no keys.
    #[error("no trust anchor keys are configured")]
    NoAnchors,
    /// A configured anchor key is not a public P-256 JWK.
    #[error("trust anchor key {index} is invalid")]
    InvalidAnchor {
        /// Position in the configured key set.
        index: usize,
        /// What was wrong with it.
        #[source]
        source: JoseError,
    },
    /// A configured anchor key declares a `kid` other than its RFC 7638 thumbprint.
    #[error("trust anchor key {index} declares kid {kid:?}, which is not its thumbprint")]
    AnchorKidMismatch {
        /// Position in the configured key set.
        index: usize,
        /// The declared `kid`.
        kid: String,
    },

    // --- Signed objects (list and attestation) ---
    /// The input exceeds the size cap; checked before any parsing.
    #[error("input of {size} bytes exceeds the {max}-byte cap")]
    TooLarge {
        /// Input size in bytes.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// A JOSE check failed: structure, `alg`, `typ`, `crit`, signature or time claims.
    #[error("JOSE check failed: {0}")]
    Jose(#[from] JoseError),
    /// The JWS header has no `kid`, so no pinned anchor can be chosen.
    #[error("the JWS header has no kid")]
    MissingKid,
    /// The JWS names a key that is not a pinned anchor.
    #[error("kid {kid:?} is not a pinned trust anchor")]
    UnknownAnchorKey {
        /// The header's `kid`.
        kid: String,
    },

    // --- Trust list ---
    /// The verified payload is not a well-formed trust list.
    #[error("malformed trust list: {reason}")]
    MalformedList {
        /// What is wrong.
        reason: String,
    },
    /// `iat` is in the future beyond the allowed skew.
    #[error("trust list issued in the future at {iat} (now {now})")]
    ListIssuedInFuture {
        /// The list's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The list's hard expiry has passed.
    #[error("trust list expired at {exp} (now {now})")]
    ListExpired {
        /// The list's `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat`, `next_update` and `exp` do not form an acceptable window.
    #[error("invalid trust list validity window: {reason}")]
    InvalidValidityWindow {
        /// Which bound is violated.
        reason: &'static str,
    },
    /// Two entries claim the same issuer identifier.
    #[error("more than one entry claims iss {iss:?}")]
    ConflictingEntries {
        /// The contested `iss`.
        iss: String,
    },
    /// Two relying parties claim the same client identifier.
    #[error("more than one relying party claims client_id {client_id:?}")]
    ConflictingRelyingParties {
        /// The contested client identifier.
        client_id: String,
    },
    /// An entry's issuer key is not a public P-256 JWK.
    #[error("entry {entry_id} has an invalid issuer key")]
    InvalidIssuerKey {
        /// The entry.
        entry_id: String,
        /// What was wrong with it.
        #[source]
        source: JoseError,
    },
    /// No verified list is held (none accepted yet since start).
    #[error("no trust list has been accepted")]
    NoList,

    // --- Rollback ---
    /// The offered list is a different list from the one held.
    #[error("offered list {offered:?} is not the held list {held:?}")]
    ListIdMismatch {
        /// The held `list_id`.
        held: String,
        /// The offered `list_id`.
        offered: String,
    },
    /// The offered list is older than the held one (lower `sequence` or earlier `iat`).
    #[error(
        "rollback: offered sequence {offered_sequence} (iat {offered_iat}) is older than held \
         sequence {held_sequence} (iat {held_iat})"
    )]
    Rollback {
        /// The held `sequence`.
        held_sequence: u64,
        /// The offered `sequence`.
        offered_sequence: u64,
        /// The held `iat`.
        held_iat: i64,
        /// The offered `iat`.
        offered_iat: i64,
    },
    /// The offered list reuses the held `sequence` with different content.
    #[error("sequence {sequence} was reused with different content")]
    SequenceReused {
        /// The reused `sequence`.
        sequence: u64,
    },
    // --- Issuer evaluation (docs/trust-list.md step 6) ---
    /// No entry lists this `iss`.
    #[error("issuer {iss:?} is not on the trust list")]
    UnknownIssuer {
        /// The credential's `iss`.
        iss: String,
    },
    /// The key is not one of the entry's registered issuer keys.
    #[error("key is not registered for issuer {iss:?}")]
    KeyNotRegistered {
        /// The credential's `iss`.
        iss: String,
    },
    /// The entry has several keys and the credential did not say which one (`kid`).
    #[error("issuer {iss:?} has several keys and no kid was given")]
    IssuerKeyAmbiguous {
        /// The credential's `iss`.
        iss: String,
    },
    /// The service is not certified now.
    #[error("service is {status}, not certified")]
    ServiceNotCertified {
        /// Its current status.
        status: ServiceStatus,
    },
    /// The service was not certified when the credential was issued.
    #[error("service was not certified at the credential's issuance ({issued_at})")]
    NotCertifiedAtIssuance {
        /// The credential's `iat`.
        issued_at: i64,
    },
    /// The service's certificate has expired.
    #[error("certificate expired at {expires}")]
    CertificateExpired {
        /// The certificate's expiry.
        expires: i64,
    },
    /// The service's certificate is not valid yet.
    #[error("certificate is valid only from {issued}")]
    CertificateNotYetValid {
        /// The certificate's issue time.
        issued: i64,
    },
    /// The service lacks the role the scheme requires.
    #[error("service lacks the role required for {scheme}")]
    RoleMissing {
        /// The scheme of the check.
        scheme: SchemeCode,
    },
    /// The service is not certified for the scheme (code absent, suspended or withdrawn).
    #[error("service is not certified for {scheme}")]
    SchemeNotCertified {
        /// The scheme of the check.
        scheme: SchemeCode,
    },
    /// The service's framework version is not accepted now.
    #[error("trust framework version {version:?} is not accepted")]
    FrameworkVersionInvalid {
        /// The entry's framework version.
        version: String,
    },
    /// The service is not certified to the required level of confidence.
    #[error("level of confidence {max} is below the required {required}")]
    LevelOfConfidenceTooLow {
        /// The entry's highest certified level.
        max: LevelOfConfidence,
        /// The level the check requires.
        required: LevelOfConfidence,
    },
    /// The credential type is not one the service may issue.
    #[error("vct {vct:?} is not listed for this issuer")]
    VctNotListed {
        /// The credential's `vct`.
        vct: String,
    },
    /// The status list URI is outside the issuer's registered prefixes.
    #[error("status list URI {uri:?} is not under a registered prefix")]
    StatusListUriNotAllowed {
        /// The credential's status list URI.
        uri: String,
    },

    // --- Relying parties and attestations ---
    /// The verified attestation payload is not well-formed.
    #[error("malformed verifier attestation: {reason}")]
    MalformedAttestation {
        /// What is wrong.
        reason: String,
    },
    /// No relying party is registered under this client identifier.
    #[error("relying party {client_id:?} is not registered")]
    UnknownRelyingParty {
        /// The client identifier.
        client_id: String,
    },
    /// The relying party is registered but not active.
    #[error("relying party is {status}, not active")]
    RelyingPartyNotActive {
        /// Its status.
        status: RelyingPartyStatus,
    },
    /// The request's client identifier is not the attested one.
    #[error("client_id {found:?} does not match the attested {expected:?}")]
    ClientIdMismatch {
        /// `verifier_attestation:<sub>`.
        expected: String,
        /// What the request carried.
        found: String,
    },
    /// The redirect URI is not among the attested ones.
    #[error("redirect URI {uri:?} is not attested")]
    RedirectUriNotAttested {
        /// The requested URI.
        uri: String,
    },
    /// The relying party is not registered for this purpose at all.
    #[error("relying party is not registered for {purpose}")]
    PurposeNotRegistered {
        /// The purpose asked for.
        purpose: SchemeCode,
    },
    /// A requested claim lies outside every claim registered for the purpose.
    #[error("claim {claim} is beyond the registered {purpose} purpose")]
    BeyondRegisteredPurpose {
        /// The purpose asked for.
        purpose: SchemeCode,
        /// The first requested claim not covered.
        claim: ClaimsPath,
    },
}
