#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! wallet-sim end to end: the real binary, with a data directory of its own and `--json`,
//! against the real trust framework, issuer and verifier on 127.0.0.1 (and, where a verifier
//! must misbehave, a rogue one written here with the protocol crates); for the authorization
//! code flow, the provider's real OpenID Provider (`oidc-provider` under node, from
//! `idv_test_support::oidc_provider`) too; plus the store on SQLite and PostgreSQL.

mod helpers;
mod holdings;
mod present;
mod receive;
mod refusals;
mod rogue;
mod sign_in;
mod store;
