//! SD-JWT (RFC 9901) and SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): the credential core.
//!
//! The flow, and where each step lives:
//! 1. The issuer conceals chosen claims behind salted digests and signs the payload
//!    ([`issue::SdJwtIssuer`]; SD-JWT VC rules in [`vc`]). The result is
//!    `<issuer JWT>~<disclosure>~...~`.
//! 2. The holder parses and verifies what it received ([`holder::HeldSdJwt`]), then presents
//!    any subset of claims by path, adding a Key Binding JWT over the exact presentation
//!    ([`holder::HeldSdJwt::present`], [`key_binding`]).
//! 3. The verifier splits the presentation ([`verify::UnverifiedSdJwt`]), resolves the
//!    issuer's key by its own trust rules, and runs the full RFC 9901 §7.1/§7.3 algorithm
//!    ([`verify::UnverifiedSdJwt::verify`]), yielding a [`verify::VerifiedSdJwt`].
//!
//! 4. Where the ecosystem publishes SD-JWT VC Type Metadata for the credential's `vct`, the
//!    verifier validates the verified credential against it ([`type_metadata`]).
//!
//! Every rejection is a [`SdJwtError`] variant naming what failed. Only `sha-256` digests and
//! ES256 signatures are accepted.

pub mod disclosure;
mod error;
pub mod holder;
pub mod issue;
pub mod key_binding;
mod process;
pub mod type_metadata;
pub mod vc;
pub mod verify;

pub use error::SdJwtError;

/// The only `_sd_alg` we produce and accept (RFC 9901 §4.1.1; HAIP).
pub const SD_ALG: &str = "sha-256";

/// base64url(SHA-256(`input`)): the digest of a disclosure and the `sd_hash` of a presentation.
pub(crate) use idv_jose::digest::sha256_b64;
