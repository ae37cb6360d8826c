#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! The issuer over real HTTP, each test on SQLite and on PostgreSQL. The files mirror
//! `src/http/`; `cli` drives the same issuer through the command line, `keys` the signing key
//! lifecycle, `certification` the provider's own register entry on a real trust framework,
//! `authorization` the authorization code flow against a real OpenID Provider (node and
//! `tests/node/node_modules`, installed by `.ci/run`).

mod authorization;
mod certification;
mod cli;
mod credential;
mod helpers;
mod identities;
mod keys;
mod limits;
mod metadata;
mod outage;
mod status_list;
mod token;
