//! The verifier service: a digital verification service that employers, agencies and shops
//! (tenants) use to run identity checks against citizens' wallets over OpenID4VP 1.0, trusting
//! only providers on the signed trust list (docs/trust-list.md).
//!
//! Flow: the operator creates a tenant (`verifier tenant add`), has its request-signing key
//! attested by the trust framework and installs the attestation (`verifier tenant attest`).
//! The tenant's system calls `POST /v1/checks` with a template (`right_to_work`,
//! `age_over_18`, …) and shows the returned `openid4vp://` link or QR code. The wallet fetches
//! the signed request object (`verifier_attestation:` client identifier, DCQL from the
//! template, a per-request ECDH-ES key) and posts its encrypted response; the verifier
//! verifies the SD-JWT+KB presentation, the issuer against the trust list and the status list,
//! applies the template's rules, keeps only the requested claims and a signed evidence
//! record, and tells the tenant by a signed webhook. A sweeper purges personal data when the
//! template's retention ends. Every bit of state is in the database (SQLite or PostgreSQL), so
//! any instance serves any step and a restart loses nothing.
//!
//! Employers whose hiring systems speak OpenID Connect use the same checks through the
//! OpenID Provider bridge ([`oidc`]): the operator registers a client (`verifier oidc-client
//! add`), the client sends the candidate to `/oidc/authorize` with `scope=openid
//! right_to_work`, the candidate presents from the hand-off page, and the client receives an
//! ES256 ID token carrying the check outcome and the disclosed claims.
//!
//! - [`config`]: settings and their environment variables.
//! - [`startup`]: [`startup::Application::build`] and the background tasks.
//! - [`http`]: the route table, thin handlers and the OpenAPI document.
//! - [`service`]: [`service::Verifier`], composing the use-case areas below.
//! - [`tenants`], [`checks`], [`exchange`] (the wallet-facing OpenID4VP endpoints),
//!   [`webhooks`], [`retention`], [`oidc`]: the use cases, each a type owning its state.
//! - [`evidence`]: what the employer keeps: the evidence package, the clear copy (HTML, PDF)
//!   and the offline verification of a record.
//! - [`keys`]: the verifier's own signing keys (evidence key rotation and history, ID token).
//! - [`trust`]: the trust list, status list and credential type clients decisions use.
//! - [`operations`]: readiness and the gauges `/metrics` reads at scrape time.
//! - [`store`]: the only SQL.
//! - [`cli`]: the command line (`serve`, `tenant …`, `oidc-client …`, `trust refresh`, `sweep`,
//!   `keys rotate-evidence`, `evidence verify`).
//! - `testing` (feature `testing`): the service's configuration in tests, for its own tests and
//!   the federation harness.

pub mod checks;
pub mod cli;
pub mod config;
mod dates;
pub mod evidence;
pub mod exchange;
pub mod http;
pub mod keys;
pub mod oidc;
pub mod operations;
pub mod retention;
pub mod service;
pub mod startup;
pub mod store;
pub mod tenants;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trust;
pub mod webhooks;
