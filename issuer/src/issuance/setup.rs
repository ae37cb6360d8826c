//! `issuer init` and operator authentication.
//!
//! `init` creates the signing key (which `serve` also creates on first start) and an operator
//! token: 256 random bits shown once, of which only the SHA-256 is stored. It is idempotent:
//! a second run changes nothing and shows no token.
//!
//! A presented token is hashed and looked up in the database, so a token created by `init`
//! while the server runs is accepted at once. The lookup compares hashes, never the token:
//! timing can at most reveal a prefix of the hash of a guess, which does not help find a
//! 256-bit preimage.

use idv_jose::{Clock, Jwk, Random};
use idv_service_kit::Secret;
use idv_service_kit::db::operator_tokens;

use super::keys::{ensure_signing_key, published_jwk};
use super::{KeyError, OperatorError};
use crate::store::{Store, StoreError};

/// What `init` found or created.
#[derive(Debug, Clone)]
pub struct Initialised {
    /// The active signing key's public JWK.
    pub signing_key: Jwk,
    /// Whether this call created the signing key (false: it existed).
    pub created_signing_key: bool,
    /// A new operator token, present only when this call created it: shown once.
    pub operator_token: Option<Secret>,
}

/// Creates the signing key and an operator token unless they exist.
pub async fn initialise(
    store: &Store,
    clock: &dyn Clock,
    random: &dyn Random,
) -> Result<Initialised, KeyError> {
    let now = clock.now();
    let created_signing_key = ensure_signing_key(store, now).await?;
    let active = store
        .active_signing_key()
        .await?
        .ok_or(KeyError::NoActiveKey)?;
    let key = super::keys::parse_key(store, &active.kid, &active.private_jwk)?;
    let operator_token = operator_tokens::create_if_none(store, random, now)
        .await
        .map_err(StoreError::from)?;
    Ok(Initialised {
        signing_key: published_jwk(key.public_key()),
        created_signing_key,
        operator_token,
    })
}

/// The operator API's bearer tokens.
#[derive(Debug, Clone)]
pub struct OperatorAccess {
    pub(super) store: Store,
}

impl OperatorAccess {
    /// Accepts a bearer token that is one of the operator tokens.
    pub async fn authenticate_operator(&self, token: &Secret) -> Result<(), OperatorError> {
        if operator_tokens::exists(&self.store, token)
            .await
            .map_err(StoreError::from)?
        {
            Ok(())
        } else {
            Err(OperatorError::Unauthenticated)
        }
    }

    /// Whether any operator token exists (the API is unusable until `init` creates one).
    pub async fn has_operator_token(&self) -> Result<bool, OperatorError> {
        Ok(operator_tokens::any(&self.store)
            .await
            .map_err(StoreError::from)?)
    }
}
