//! End-to-end tests: the real `trust-framework`, `issuer`, `verifier` and `wallet-sim` binaries
//! as child processes on 127.0.0.1, started through the harness's builder
//! (`Federation::builder()…start_processes`) with the same configurations as in process, each
//! written as the service's `--config` file; each service with its own database (SQLite files,
//! or PostgreSQL databases), driven over HTTP and the command line exactly as their operators,
//! an employer, a shop and a citizen would.
//!
//! The binaries are taken from the target directory beside this test (`cargo test --workspace`
//! builds them; missing ones are built once). Every process is killed when its test ends,
//! also when it fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod exposition;
mod helpers;
mod wallet_cli;

mod checks;
mod keys;
mod lifecycle;
mod observability;
mod sign_in;
