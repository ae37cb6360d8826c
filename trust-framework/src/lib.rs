//! The trust framework operator (a simulated OfDIA): keeps the register of certified digital
//! verification services and registered relying parties, and publishes it as a signed trust
//! list that verifiers and wallets pin (docs/trust-list.md).
//!
//! Flow: the operator runs `trust-framework init` once (anchor key and operator token), then
//! registers services (`POST /v1/providers` or `provider add`), certifies their supplementary
//! codes, and records lifecycle changes (suspend, reinstate, withdraw). Every change marks the
//! list dirty; `GET /trust-list` serves the signed list, re-signed with a higher `sequence`
//! after a change or when `next_update` passes. Relying parties are registered with purposes
//! and receive Verifier Attestations for their request-signing keys.
//!
//! The scheme's credential types are published too ([`credential_types`]): SD-JWT VC Type
//! Metadata and a JSON Schema per `vct`, pinned by digest in the list's `type_metadata`.
//!
//! - [`config`]: settings and their environment variables.
//! - [`startup`]: [`startup::Application::build`] (`main`) and `build_with` (tests, the harness).
//! - [`http`]: the route table and thin handlers.
//! - [`register`]: the use cases, shared by the API and the CLI.
//! - [`store`]: the only SQL.
//! - [`cli`]: the command line (`init`, `serve`, `provider …`, `rp …`, `list show`).
//! - `testing` (feature `testing`): the service's configuration in tests, for its own tests and
//!   the federation harness.

pub mod cli;
pub mod config;
pub mod credential_types;
pub mod http;
pub mod register;
pub mod startup;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
