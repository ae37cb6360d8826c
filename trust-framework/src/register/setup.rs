//! `init` and operator authentication.
//!
//! The anchor key signs every list and attestation; verifiers and wallets pin its public key
//! (or thumbprint) from their own configuration. `init` creates it once and never replaces it:
//! replacing an anchor is a rollover verifiers must be told about out of band.
//!
//! The operator token is a 256-bit random bearer token, shown once by `init`; only its SHA-256
//! is stored.

use std::sync::Arc;

use idv_jose::digest::constant_time_eq;
use idv_jose::{Clock, Jwk, Random, SigningKey};
use idv_service_kit::Secret;
use idv_service_kit::db::operator_tokens;
use idv_service_kit::secrets::hash_secret;

use super::{SetupError, Unauthenticated};
use crate::store::{Store, StoreError};

/// What `init` found or created.
#[derive(Debug, Clone)]
pub struct Initialised {
    /// The anchor's public JWK, to pin.
    pub anchor: Jwk,
    /// Whether this call created the anchor key (false: it existed).
    pub created_anchor: bool,
    /// A new operator token, present only when this call created it: shown once.
    pub operator_token: Option<Secret>,
}

/// Creates the anchor key and an operator token unless they exist. Idempotent: a second call
/// changes nothing and returns no token.
pub async fn initialise(
    store: &Store,
    clock: &dyn Clock,
    random: &dyn Random,
) -> Result<Initialised, SetupError> {
    let now = clock.now();
    let mut created_anchor = false;
    if store.active_anchor_key().await?.is_none() {
        let (key, private) = store
            .keys()
            .new_signing_key("trust-anchor")
            .map_err(StoreError::from)?;
        created_anchor = store
            .insert_anchor_key_if_none(&key.kid(), &private, now)
            .await?;
    }
    let anchor = Anchor::load(store).await?;
    let operator_token = operator_tokens::create_if_none(store, random, now)
        .await
        .map_err(StoreError::from)?;
    Ok(Initialised {
        anchor: anchor.public_jwk(),
        created_anchor,
        operator_token,
    })
}

/// The anchor key that signs every list and attestation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Anchor(Arc<SigningKey>);

impl Anchor {
    /// Loads the active anchor key; [`SetupError::NotInitialised`] before `init`.
    pub(super) async fn load(store: &Store) -> Result<Self, SetupError> {
        let private = store
            .active_anchor_key()
            .await?
            .ok_or(SetupError::NotInitialised)?;
        let key = store
            .keys()
            .signing_key(&private)
            .map_err(StoreError::from)?;
        Ok(Self(Arc::new(key)))
    }

    /// The signing key.
    pub(super) fn key(&self) -> &SigningKey {
        &self.0
    }

    /// The public JWK (`kid` = thumbprint, `alg` ES256, `use` sig), for out-of-band pinning.
    pub fn public_jwk(&self) -> Jwk {
        let key = &self.0;
        Jwk {
            kid: Some(key.kid()),
            alg: Some(idv_jose::jws::ES256.into()),
            use_: Some("sig".into()),
            ..key.public_key().to_jwk()
        }
    }
}

/// The operator tokens' hashes, loaded when the register opens. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Operators {
    token_hashes: Arc<[String]>,
}

impl Operators {
    /// Loads the stored operator token hashes.
    pub(super) async fn load(store: &Store) -> Result<Self, SetupError> {
        let token_hashes = operator_tokens::hashes(store)
            .await
            .map_err(StoreError::from)?
            .into();
        Ok(Self { token_hashes })
    }

    /// Accepts a bearer token that is one of the operator tokens.
    pub fn authenticate(&self, token: &Secret) -> Result<(), Unauthenticated> {
        let presented = hash_secret(token.expose());
        // Compare every stored hash in full: no early exit that would time the match.
        let matched = self.token_hashes.iter().fold(false, |found, stored| {
            found | constant_time_eq(stored.as_bytes(), presented.as_bytes())
        });
        if matched {
            Ok(())
        } else {
            Err(Unauthenticated)
        }
    }
}
