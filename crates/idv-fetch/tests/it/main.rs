#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! idv-fetch against the real trust-framework service and small local servers, on SQLite and
//! PostgreSQL.

mod faults;
mod fetcher;
mod helpers;
mod status_list;
mod tls;
mod trust_list;
mod type_metadata;
