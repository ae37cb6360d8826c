//! The services as real child processes of their binaries, started through the same builder
//! as in process ([`crate::FederationBuilder::start_processes`]): each service's configuration
//! from the same function ([`crate::in_process::configs`]) and the same hooks, written as the
//! TOML file a person would give it (`--config`), `init` once, then `serve`. The `IDV_*`
//! variables and `DATABASE_URL` of this process are not passed on, so a setting exported for
//! one service cannot break another's start-up.
//!
//! - [`Binaries`] finds `trust-framework`, `issuer`, `verifier` and `wallet-sim` in the target
//!   directory (beside the running test executable) and builds the missing ones once.
//! - [`ChildService`] is one `serve` process: its output goes to a log file, it is ready when
//!   `/healthz` answers, it can be killed and started again on the same port and database, and
//!   it is killed when dropped (also when a test panics).
//! - [`ProcessFederation`] is the three services, always all three, and implements
//!   [`crate::Deployment`] by running the operators' commands (`issuer registration`,
//!   `verifier tenant add|attest`) with each service's configuration file.

mod binaries;
mod commands;
pub(crate) mod federation;
mod init_output;
mod service;

pub use binaries::Binaries;
pub use federation::{ProcessEnv, ProcessFederation, write_config};
pub use service::ChildService;
