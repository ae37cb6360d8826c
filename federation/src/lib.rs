//! The federation harness: any subset of the federation started on 127.0.0.1 for the tests
//! of every service, the end-to-end tests, the demo, the load command and the benchmarks.
//!
//! - [`in_process`]: the services from their libraries, as tasks of this process, through
//!   [`Federation::builder`] (each service's configuration written once, in
//!   [`in_process::configs`]);
//! - [`child`]: the services as real child processes of their binaries, through the same
//!   builder ([`FederationBuilder::start_processes`]) and configurations, each written as the
//!   TOML file its operator would give it;
//! - either way a [`Deployment`]: the services' [`Endpoints`] and the operators'
//!   command-line steps;
//! - the operators' and tenants' API clients: [`operator`] (the register), [`provider`]
//!   (the issuer), [`employer`] (the verifier), over the small JSON client [`api`].
//!
//! No library crate depends on this one: it is for tests, the demo and the tools.

pub mod api;
pub mod child;
pub mod clock;
pub mod deployment;
pub mod employer;
pub mod error;
pub mod in_process;
pub mod operator;
pub mod ports;
pub mod provider;

pub use clock::ShiftedClock;
pub use deployment::{Deployment, Endpoints, TenantAccount};
pub use error::{LaunchError, report};
pub use in_process::{Federation, FederationBuilder};
pub use ports::free_port;
