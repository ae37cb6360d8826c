//! Trust in the federation: the signed DVS trust list and what it lets a verifier or wallet
//! decide. Pure logic: no I/O, no clocks read (every check takes `now`), no async runtime.
//!
//! The flow (docs/trust-list.md), and where each step lives:
//! 1. The operator (simulated OfDIA) signs a [`TrustListClaims`] as a compact JWS
//!    (`typ: dvs-trust-list+jwt`, ES256, `kid` = its anchor key's thumbprint). The list
//!    registers certified services (issuers) and relying parties.
//! 2. Verifiers and wallets fetch it over HTTP (the fetcher lives in the services, with the
//!    SSRF and size rules) and verify it against anchor keys pinned in their configuration
//!    ([`anchors::TrustAnchors`], [`list::verify_trust_list`]): never a key from the list.
//! 3. The verified list is checked against the last accepted state, persisted across restarts,
//!    so an older validly signed list cannot be replayed ([`rollback::check_rollback`]).
//!    [`cache::TrustListCache`] ties 2–3 together with refresh timing (`next_update`, soft) and
//!    a grace period that ends at `exp` (hard), after which it fails closed; the service
//!    persists the state between [`cache::TrustListCache::verify`] and `install`.
//! 4. A verifier resolves the key of a presented credential from the entry of its `iss`
//!    ([`evaluate::find_issuer_key`]), verifies the SD-JWT VC with it, then decides whether that
//!    issuer is trusted for the check ([`evaluate::evaluate_issuer`]), recording the list's
//!    `sequence` in the result; the credential's status list URI must lie in the issuer's space
//!    ([`evaluate::check_status_list_uri`]).
//! 5. Relying parties sign requests under a Verifier Attestation from the operator; wallets
//!    verify it and refuse requests beyond the registered purpose ([`attestation`]).
//!
//! Every rejection is a [`TrustError`] variant naming the failed rule.
//!
//! [`TrustListClaims`]: idv_proto::trust::trust_list::TrustListClaims

pub mod anchors;
pub mod attestation;
pub mod cache;
mod error;
pub mod evaluate;
pub mod list;
pub mod rollback;

pub use error::TrustError;
