#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! Integration tests of idv-trust: every trust list attack of standards.md §8.3, the
//! certification lifecycle, issuer evaluation and relying-party purposes.

mod attestation;
mod cache;
mod evaluate;
mod helpers;
mod list;
mod rollback;
