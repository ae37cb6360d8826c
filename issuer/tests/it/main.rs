#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! The issuer over real HTTP, each test on SQLite and on PostgreSQL. The files mirror
//! `src/http/`; `cli` drives the same issuer through the command line, `keys` the signing key
//! lifecycle, `authorization` the authorization code flow against a real OpenID Provider
//! (node and `tests/node/node_modules`, installed by `.ci/run`).

mod authorization;
mod cli;
mod credential;
mod helpers;
mod identities;
mod keys;
mod metadata;
mod status_list;
mod token;
