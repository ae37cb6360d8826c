//! The issuer a certified identity provider (IDSP) runs after it has proofed a person.
//!
//! Issuance follows OpenID4VCI 1.0 (pre-authorized code flow): the operator records a proofed
//! identity and creates a credential offer (`credential_offer_uri`, an
//! `openid-credential-offer://` link and QR code, and a `tx_code` sent by another channel); the
//! wallet redeems the pre-authorized code with the `tx_code` for an access token, fetches a
//! `c_nonce`, and sends one `openid4vci-proof+jwt` per holder key to the credential endpoint,
//! receiving one SD-JWT VC (`dc+sd-jwt`, ES256) per key. Each credential points at a random
//! index of a signed Token Status List, where the operator's revocations and suspensions show.
//! The issuer keeps the proofing record and credential metadata, never issued SD-JWTs or salts.
//!
//! With `[login]` configured, wallets may instead use the authorization code flow (OpenID4VCI
//! 1.0 §5, HAIP where possible: PAR, PKCE S256, RFC 9207 `iss`): the citizen signs in at the
//! provider's existing OpenID Provider, the issuer being its relying party, and the account's
//! `sub`, linked by the operator to the proofed identity, decides whose credentials the wallet
//! receives (see [`issuance::authorization`]).
//!
//! - [`config`]: settings and their environment variables.
//! - [`startup`]: [`startup::Application::build`] (`main`) and `build_with` (tests, the harness).
//! - [`http`]: the route table and thin handlers.
//! - [`issuance`]: the use cases (the protocol flow is described there), shared by the API and
//!   the CLI.
//! - [`store`]: the only SQL.
//! - [`cli`]: the command line (`init`, `serve`, `keys rotate|list`, `registration`).
//! - `testing` (feature `testing`): the service's configuration in tests, for its own tests and
//!   the federation harness.

pub mod cli;
pub mod config;
pub mod http;
pub mod issuance;
pub mod startup;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
