//! The whole federation on one machine: the trust framework (the register), a certified
//! identity provider's issuer, the verifier relying parties use, and a citizen's wallet,
//! each doing over HTTP what its operator or user would do. Shared by the demo
//! (`cargo run --release --bin demo`), the end-to-end tests (`tests/`) and load commands.
//!
//! The flow, and the module for each party:
//!
//! 1. [`idv_federation`] (the harness): the three services start on 127.0.0.1, initialised
//!    (`init`) with their own databases, either in this process or as child processes of
//!    their binaries.
//! 2. [`operator`] + [`enrol`]: the register's operator registers the issuer as an IDSP
//!    certified for right to work and age, and each relying party with its purposes; the
//!    verifier's operator creates their tenants, whose request-signing keys the register
//!    attests.
//! 3. [`provider`]: the IDSP records a proofed citizen and offers the identity and age
//!    credentials (a link plus a transaction code sent by another channel).
//! 4. [`citizen`]: the wallet receives them (OpenID4VCI), then answers a verifier's request
//!    (OpenID4VP) after checking who asks against the register.
//! 5. [`employer`]: a relying party creates a check from a template and reads the outcome.
//!
//! [`api`] is the small JSON client all of them use.

pub mod citizen;
pub mod enrol;

pub use idv_federation::{api, employer, operator, provider};
