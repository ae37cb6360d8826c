//! The Digital Credentials Query Language engine (OpenID4VP 1.0 "Digital Credentials Query
//! Language (DCQL)" and "Claims Path Pointer"), over the wire types of
//! [`idv_proto::oid4vp::dcql`].
//!
//! A verifier builds a [`DcqlQuery`](idv_proto::oid4vp::dcql::DcqlQuery) and runs
//! [`validate`](validate::validate) on it. The wallet validates it too, then
//! [`select`](select::select)s which held credentials answer which Credential Query and exactly
//! which claims each discloses. Back at the verifier, [`check`](check::check) re-applies every
//! rule to the verified presentations — the wallet is never trusted to have done so — and
//! [`retain_requested`](check::retain_requested) drops any claim that was not requested.
//!
//! Modules: [`validate`] (query well-formedness), [`claims_path`] (pointer processing),
//! [`matching`] (claim and claim-set rules shared by both sides), [`select`] (wallet),
//! [`check`] (verifier), [`error`].
//!
//! Not evaluated: `trusted_authorities` (advisory; issuer trust is the caller's job) and `meta`
//! members other than `vct_values`.

pub mod check;
pub mod claims_path;
pub mod error;
pub mod matching;
pub mod select;
#[cfg(test)]
mod test_fixtures;
pub mod validate;

pub use error::{DcqlError, PathErrorReason};
