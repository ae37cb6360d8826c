//! The nonce endpoint (OpenID4VCI 1.0 "Nonce Endpoint"): a fresh, unpredictable `c_nonce` for
//! key proofs. Each is 256 random bits, stored hashed, usable by one Credential Request (all
//! proofs of a batch may carry the same one) until `tokens.c_nonce_lifetime_secs` pass.

use idv_proto::oid4vci::nonce::NonceResponse;

use super::IssuerSettings;
use super::hash_secret;
use crate::store::Store;
use crate::store::StoreError;
use idv_jose::{Clock, Random};
use std::sync::Arc;

/// Bytes of entropy in a `c_nonce`.
const NONCE_BYTES: usize = 32;

/// The nonce endpoint's `c_nonce`s.
#[derive(Debug, Clone)]
pub struct Nonces {
    pub(super) store: Store,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) random: Arc<dyn Random>,
    pub(super) settings: Arc<IssuerSettings>,
}

impl Nonces {
    /// Issues a `c_nonce`.
    pub async fn new_nonce(&self) -> Result<NonceResponse, StoreError> {
        let now = self.clock.now();
        let c_nonce = idv_jose::random::token(self.random.as_ref(), NONCE_BYTES);
        self.store
            .insert_nonce(
                &hash_secret(&c_nonce),
                now,
                now + self.settings.c_nonce_lifetime_secs,
            )
            .await?;
        Ok(NonceResponse { c_nonce })
    }
}
