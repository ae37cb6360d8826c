//! wallet-sim: a citizen's wallet for the federation, scriptable for tests and interactive for
//! people.
//!
//! The flows, and where each step lives:
//!
//! - **Receiving** ([`issuance`], OpenID4VCI 1.0): an offer link ([`links`]), or an issuer
//!   and the configurations to ask it for, leads to the issuer's metadata ([`well_known`]), a
//!   token — for the offer's pre-authorized code and `tx_code`, or through the authorization
//!   code flow (PAR, PKCE, the person signing in at the provider in a browser, the response at
//!   a loopback redirect URI) — a `c_nonce`, and one credential request with a key proof per
//!   copy: a batch of SD-JWT VCs, each bound to its own holder key. Each is verified on
//!   receipt with the issuer key found through the trust list, `x5c` or the issuer's JWT VC
//!   metadata ([`issuer_key`], [`x509`]).
//! - **Holding** ([`holdings`], [`store`]): batches and copies with their private keys in a
//!   local SQLite database; `show` names the issuer as the trust list does ([`trust`]) and
//!   checks revocation through the issuer's status list.
//! - **Presenting** ([`presentation`], OpenID4VP 1.0): the signed request object is
//!   authenticated through its `verifier_attestation:` client identifier, the attestation
//!   chaining to the anchor pinned in [`config`]; the relying party must be registered on the
//!   trust list for a purpose covering every claim asked; DCQL selects the credentials and an
//!   unused copy of each; the person sees who asks, why and exactly what would leave; the
//!   answer (SD-JWT+KB, or `access_denied`) goes to the `response_uri`, encrypted for
//!   `direct_post.jwt`.
//!
//! [`cli`] is the command line; [`error::WalletError`] classifies every failure in one place.

pub mod cli;
pub mod config;
pub mod error;
pub mod holdings;
pub mod http_client;
pub mod issuance;
pub mod issuer_key;
pub mod links;
pub mod presentation;
pub mod store;
pub mod trust;
pub mod wallet;
pub mod well_known;
pub mod x509;

pub use error::WalletError;
pub use wallet::Wallet;
