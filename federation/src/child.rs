//! The services as real child processes of their binaries, configured only as their README
//! says a person would: `IDV_*` variables (and `DATABASE_URL`), `init` once, then `serve`.
//!
//! - [`Binaries`] finds `trust-framework`, `issuer`, `verifier` and `wallet-sim` in the target
//!   directory (beside the running test executable) and builds the missing ones once.
//! - [`ChildService`] is one `serve` process: its output goes to a log file, it is ready when
//!   `/healthz` answers, it can be killed and started again on the same port and database, and
//!   it is killed when dropped (also when a test panics).
//! - [`ProcessFederation`] starts the three services and implements [`Deployment`] by running
//!   the operators' commands (`issuer registration`, `verifier tenant add|attest`).

mod binaries;
mod commands;
mod federation;
mod init_output;
mod service;

pub use binaries::Binaries;
pub use federation::{Databases, ExtraSettings, ProcessFederation};
pub use service::ChildService;
