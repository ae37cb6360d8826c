//! The issuer a certified identity provider (IDSP) runs after it has proofed a person.
//!
//! Issuance follows OpenID4VCI 1.0: the operator records a proofed identity and creates a
//! credential offer; the wallet redeems the pre-authorized code (with its `tx_code`) for an
//! access token, fetches a `c_nonce`, and sends one `openid4vci-proof+jwt` per holder key to the
//! credential endpoint, receiving one SD-JWT VC per key.
//!
//! - [`issuance`]: the use cases, free of HTTP and SQL: credential profiles
//!   ([`issuance::credential`]) and key proofs ([`issuance::proof`]).

pub mod issuance;
