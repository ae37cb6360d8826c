//! Shared plumbing for the federation's four services (trust-framework, issuer, verifier,
//! wallet-sim): everything a service needs around its use cases, and nothing protocol-specific.
//!
//! A service's `main` is [`cli::run_main`] of its command: load its typed config
//! ([`config::load`]), start logging ([`telemetry::init_for_command`]), open its database
//! ([`db::KeyedDatabase`]), bind its [`http::Listener`], build its router
//! ([`http::service_router`]) and serve it until ctrl-c or SIGTERM. At the HTTP edge, handlers extract through
//! [`http::extract`] (bad input becomes an OAuth-style `invalid_request`, never axum's plain
//! text) and fail with an [`http::ApiError`], the one place errors become status codes and
//! `{error, error_description}` bodies.
//!
//! - [`db`]: [`db::Database`] over `sqlx::AnyPool` (SQLite or PostgreSQL, portable SQL with `$1`
//!   placeholders), embedded per-backend migrations ([`migrations!`]); a service's database
//!   with the custody of its private keys ([`db::KeyedDatabase`], the `Store` types of
//!   [`keyed_store!`]), every stored key checked at start-up ([`db::PrivateKeyColumn`]).
//! - [`config`]: defaults → TOML file → `IDV_<SECTION>__<KEY>` environment, into a service's
//!   `deny_unknown_fields` config; [`config::Secret`] for values that must not be logged.
//! - [`telemetry`]: `tracing` initialisation (`RUST_LOG`, default `info`, to stderr; text or
//!   JSON lines, `[log] format`).
//! - [`metrics`]: the Prometheus recorder and `GET /metrics` (`[metrics]`).
//! - [`http`]: [`http::ApiError`], extractors, bearer authentication ([`http::BearerAuth`]),
//!   `/healthz`, `/readyz` ([`http::Readiness`]), request ids, request logging and metrics, the
//!   listener ([`http::Listener`]) and graceful serving.
//! - [`limits`]: per-client rate limits (429 with `Retry-After`), the client address behind
//!   trusted proxies, and the request body cap (413).
//! - [`qr`]: QR codes of wallet links as SVG and PNG.
//! - [`tls`]: outbound TLS of the services' HTTP clients (system roots plus a `[tls] ca_file`)
//!   and typed TLS failures.
//! - [`cli`]: the services' `main`, JSON input files, JSON output and error reports for their
//!   commands.
//! - [`secrets`]: the stored form of bearer secrets (base64url SHA-256).
//! - [`testing`]: what the services' test configurations share (where their data is).
//! - [`startup`]: why a service fails to start, and the parts it is built from (injected by
//!   tests).
//!
//! `axum`, `sqlx` and `tokio` appear only here and in the services; protocol crates stay sans-I/O.

pub mod cli;
pub mod config;
pub mod db;
pub mod http;
pub mod limits;
pub mod markup;
pub mod metrics;
pub mod qr;
pub mod secrets;
pub mod startup;
pub mod telemetry;
pub mod testing;
pub mod tls;

pub use config::Secret;
pub use db::{Backend, Database, DbError, Migrations};
pub use http::ApiError;
