#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! idv-fetch against small local servers: a trust list operator signing its own lists, a
//! programmable stage, TLS endpoints; the rollback state kept in memory.

mod faults;
mod fetcher;
mod helpers;
mod operator;
mod rollback_store;
mod status_list;
mod status_setup;
mod tls;
mod trust_list;
mod type_metadata;
