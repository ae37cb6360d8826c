//! JOSE for federated-idv: the only place that touches cryptographic primitives.
//!
//! Everything in the federation is ES256 on P-256 (HAIP): issuer-signed SD-JWTs, KB-JWTs,
//! OpenID4VCI proofs, request objects, status lists and the trust list. Encrypted OpenID4VP
//! responses use JWE `ECDH-ES` with `A128GCM`/`A256GCM`.
//!
//! - [`keys`]: [`SigningKey`] (in process, or behind an [`ExternalSigner`] such as an HSM) and
//!   [`PublicKey`], the single seam over the crypto backend
//!   (aws-lc-rs, chosen by measurement; see ARCHITECTURE.md).
//! - [`jwk`]: JWK wire form and RFC 7638 thumbprints.
//! - [`jws`]: compact JWS signing and verification with explicit `typ` checks.
//! - [`jwt`]: validity-window checks for `iat`/`nbf`/`exp`.
//! - [`integrity`]: W3C SRI integrity metadata of referenced documents.
//! - [`jwe`]: compact JWE with direct ECDH-ES key agreement (RFC 7518 §4.6).
//! - [`kek`]: private keys sealed at rest under a key-encryption key (JWE `dir`, `A256GCM`).
//! - [`clock`] and [`random`]: time and randomness are injected, never read ambiently.

pub mod base64url;
pub mod clock;
mod compact;
pub mod digest;
mod error;
pub mod integrity;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod kek;
pub mod keys;
pub mod pkce;
pub mod random;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::JoseError;
pub use jwk::{Jwk, JwkSet};
pub use kek::KeyEncryptionKey;
pub use keys::{DecryptionKey, ExternalSigner, PublicKey, SigningKey};
pub use random::{Random, SystemRandom};
