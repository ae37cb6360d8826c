//! Issuance use cases, independent of HTTP and storage.

pub mod credential;
mod error;
pub mod proof;

pub use error::IssuanceError;
