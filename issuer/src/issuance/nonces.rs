//! The nonce endpoint (OpenID4VCI 1.0 "Nonce Endpoint"): a fresh, unpredictable `c_nonce` for
//! key proofs. Each is 256 random bits, stored hashed, usable by one Credential Request (all
//! proofs of a batch may carry the same one) until `tokens.c_nonce_lifetime_secs` pass.

use idv_proto::oid4vci::nonce::NonceResponse;

use super::Base;
use super::hash_secret;
use crate::store::StoreError;

/// Bytes of entropy in a `c_nonce`.
const NONCE_BYTES: usize = 32;

/// The nonce endpoint's `c_nonce`s.
#[derive(Debug, Clone)]
pub struct Nonces {
    pub(super) base: Base,
}

impl Nonces {
    /// Issues a `c_nonce`.
    pub async fn new_nonce(&self) -> Result<NonceResponse, StoreError> {
        let now = self.base.clock.now();
        let c_nonce = idv_jose::random::token(self.base.random.as_ref(), NONCE_BYTES);
        self.base
            .store
            .insert_nonce(
                &hash_secret(&c_nonce),
                now,
                now + self.base.settings.c_nonce_lifetime_secs,
            )
            .await?;
        Ok(NonceResponse { c_nonce })
    }
}
