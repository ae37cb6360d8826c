//! The credential profiles of this scheme, shared by the issuer that builds them, the checks
//! that verify them and the wallet that holds them. Both are SD-JWT VC (`dc+sd-jwt`, ES256):
//!
//! - **identity** ([`IDENTITY_VCT`], [`issue_identity`]): a GPG 45 proofed person: names,
//!   birthdate, nationalities, portrait, identity document and how it was verified. Every
//!   personal claim is selectively disclosable, with recursive disclosures inside `document`,
//!   `verification` and `address`, and decoys.
//! - **age** ([`AGE_VCT`], [`issue_age`]): `age_over_16/18/21/25` booleans, each selectively
//!   disclosable, and the plain (not selectively disclosable) `verification` object
//!   `{trust_framework, assurance_level}`: the GPG 45 level of confidence the age rests on, at
//!   the same path as in the identity credential, so a verifier can enforce it per credential
//!   and no presentation can withhold it. No name, no birthdate. Issued in batches, one
//!   credential per holder key, so two presentations cannot be linked by the credential. Its
//!   `exp` never passes the start (00:00 UTC) of the next birthday that would change one of its
//!   `age_over_N` values ([`age::age_changes_at`]).
//!
//! `iss`, `vct`, `cnf`, `status`, `iat` and `exp` stay plain text (SD-JWT VC "Registered JWT
//! Claims"), built by [`Envelope`]. The scheme's published Type Metadata documents for both
//! types are in [`type_metadata`].

pub mod age;
mod envelope;
mod identity;
mod issue;
pub mod type_metadata;

pub use age::AGE_THRESHOLDS;
pub use envelope::Envelope;
pub use identity::{IdentityDocument, InvalidRecord, MAX_PORTRAIT_BYTES, ProofedIdentity};
pub use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};
/// A GPG 45 level of confidence, ordered `Low < Medium < High < VeryHigh`: the type the trust
/// list's `max_loc` uses too.
pub use idv_proto::trust::entry::LevelOfConfidence;
pub use issue::{IssueError, issue_age, issue_identity};

/// `verification.trust_framework` of every credential.
pub const TRUST_FRAMEWORK: &str = "uk_dvs";

/// Seconds in a day.
const DAY: i64 = 86_400;
