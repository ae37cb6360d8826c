//! Key custody for the services: where their private keys live.
//!
//! - Signing keys (the issuer's credential keys, the trust framework's anchor key, the
//!   verifier's request, evidence and ID token keys) are generated in an HSM and used there
//!   through PKCS#11 when `[keys.pkcs11]` is configured; the database keeps a reference (token
//!   label, key id, public JWK), never private material.
//! - Every other private key, and signing keys when no HSM is configured, is sealed at rest
//!   under a key-encryption key (KEK) from a file or an environment variable, as a compact JWE
//!   (`alg: dir`, `enc: A256GCM`, RFC 7516; see [`idv_jose::kek`]).
//!
//! [`KeyCustody`] is the one entry point: a service opens it from its `[keys]` section
//! ([`KeysConfig`]) and stores and loads keys as the text [`KeyCustody`] returns.

mod config;
mod custody;
mod error;
mod kek_source;
mod pkcs11;

pub use config::{KeysConfig, Pkcs11Config};
pub use custody::{HsmKeyRef, KeyCustody, StoredKey};
pub use error::KeyStoreError;
pub use kek_source::default_kek_file;
