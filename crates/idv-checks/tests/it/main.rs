#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! Integration tests of idv-checks: real credentials from the issuer's profiles, a real signed
//! trust list, real status list tokens, presented with key binding and verified in both phases.

mod age;
mod credential_types;
mod evidence;
mod helpers;
mod rejections;
mod right_to_work;
