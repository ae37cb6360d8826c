#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
//! The verifier over real HTTP, each test on SQLite and on PostgreSQL, inside a whole
//! federation: the real trust framework, certified providers with status lists, and a
//! conformant wallet (`wallet`) driving OpenID4VP 1.0.

mod checks;
mod cli;
mod confirmation;
mod credential_types;
mod erasure;
mod evidence;
mod faults;
mod freshness;
mod helpers;
mod keys_at_rest;
mod lifecycle;
mod limits;
mod oidc;
mod openapi;
mod operations;
mod outage;
mod presentations;
mod redirect_uris;
mod rejections;
mod tenant_cache;
mod wallet;
mod webhook_delivery;
mod webhooks;
