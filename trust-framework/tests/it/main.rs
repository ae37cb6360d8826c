#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! The trust-framework service over real HTTP, each test on SQLite and on PostgreSQL. The
//! files mirror `src/http/`; `cli` drives the same register through the command line.

mod auth;
mod cli;
mod helpers;
mod limits;
mod outage;
mod providers;
mod relying_parties;
mod trust_list;
mod type_metadata;
