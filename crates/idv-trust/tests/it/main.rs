#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! Integration tests of idv-trust: every trust list attack of docs/trust-list.md, the
//! certification lifecycle, issuer evaluation and relying-party purposes.

mod attestation;
mod cache;
mod evaluate;
mod helpers;
mod list;
mod rollback;
