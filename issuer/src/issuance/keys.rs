//! The issuer's signing keys: creation, rotation and publication.
//!
//! One key is active at a time; it signs credentials and status list tokens, and its `kid`
//! (the RFC 7638 thumbprint) goes in every JWS header. `issuer keys rotate` makes a new key
//! active. A retired key stays in `/.well-known/jwt-vc-issuer` (and in the registration the
//! trust framework publishes) while any credential it signed is unexpired, and for one status
//! token lifetime after retirement, since status list tokens it signed may still be cached.
//! After that it is dropped: verifiers must not accept it any more (RFC 9901 §9.8).
//!
//! The active key is read from the database on use, so a rotation made by the command line
//! reaches running instances at once; the parsed key is cached by `kid`.

use std::sync::{Arc, PoisonError, RwLock};

use idv_jose::{Jwk, JwkSet, PublicKey, SigningKey};
use idv_proto::trust::entry::IssuerBinding;
use serde::Serialize;

use super::Base;
use super::KeyError;
use super::configurations::Configuration;
use crate::store::setup::PublicKeyRecord;
use crate::store::{Store, StoreError};

/// The active signing key.
#[derive(Clone)]
pub struct ActiveKey {
    /// Its `kid`.
    pub kid: String,
    /// The key.
    pub key: Arc<SigningKey>,
}

impl std::fmt::Debug for ActiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The parsed active key, cached by `kid`.
#[derive(Debug, Default)]
pub(super) struct KeyRing {
    cached: RwLock<Option<ActiveKey>>,
}

/// A signing key as `issuer keys list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Its `kid`.
    pub kid: String,
    /// `active` or `retired`.
    pub status: String,
    /// Creation time.
    pub created_at: i64,
    /// Retirement time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<i64>,
    /// Latest `exp` of a credential it signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_credential_expiry: Option<i64>,
    /// Whether it is in the published JWKS now.
    pub published: bool,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rotation {
    /// The new active key.
    pub active_kid: String,
    /// The key it replaced.
    pub retired_kid: Option<String>,
}

/// The public JWK as published: `kid` (thumbprint), `alg` ES256, `use` sig.
pub fn published_jwk(key: &PublicKey) -> Jwk {
    Jwk {
        kid: Some(key.thumbprint()),
        alg: Some(idv_jose::jws::ES256.into()),
        use_: Some("sig".into()),
        ..key.to_jwk()
    }
}

struct KeyMaterial {
    kid: String,
    private_jwk: String,
    public_jwk: String,
}

/// A new key: in the HSM when one is configured, else sealed under the key-encryption key.
fn generate(store: &Store) -> Result<KeyMaterial, KeyError> {
    let (key, stored) = store
        .keys()
        .new_signing_key("issuer-credential")
        .map_err(StoreError::from)?;
    let public_jwk = serde_json::to_string(&published_jwk(key.public_key())).map_err(|source| {
        KeyError::Store(StoreError::Json {
            what: "signing key",
            source,
        })
    })?;
    Ok(KeyMaterial {
        kid: key.kid(),
        private_jwk: stored,
        public_jwk,
    })
}

/// Creates the active signing key unless one exists; returns whether this call created it.
pub async fn ensure_signing_key(store: &Store, now: i64) -> Result<bool, KeyError> {
    if store.active_signing_key().await?.is_some() {
        return Ok(false);
    }
    let material = generate(store)?;
    Ok(store
        .insert_signing_key_if_none(
            &material.kid,
            &material.private_jwk,
            &material.public_jwk,
            now,
        )
        .await?)
}

/// The stored key `private_jwk` (sealed, or an HSM reference) as a signing key.
pub(super) fn parse_key(
    store: &Store,
    kid: &str,
    private_jwk: &str,
) -> Result<SigningKey, KeyError> {
    let key = store
        .keys()
        .signing_key(private_jwk)
        .map_err(StoreError::from)?;
    if key.kid() != kid {
        return Err(KeyError::Unusable {
            kid: kid.to_owned(),
            source: idv_jose::JoseError::InvalidKey {
                reason: "the stored key is not the key its kid names",
            },
        });
    }
    Ok(key)
}

/// Signing keys: the active one (parsed once, cached by `kid`), rotation, the published JWK
/// Set and the register entry that binds them to this issuer.
#[derive(Debug, Clone)]
pub struct Keys {
    pub(super) base: Base,
    pub(super) ring: Arc<KeyRing>,
}

impl Keys {
    /// The active signing key.
    pub async fn active_key(&self) -> Result<ActiveKey, KeyError> {
        let stored = self
            .base
            .store
            .active_signing_key()
            .await?
            .ok_or(KeyError::NoActiveKey)?;
        if let Some(cached) = self
            .ring
            .cached
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|cached| cached.kid == stored.kid)
        {
            return Ok(cached.clone());
        }
        let key = ActiveKey {
            key: Arc::new(parse_key(
                &self.base.store,
                &stored.kid,
                &stored.private_jwk,
            )?),
            kid: stored.kid,
        };
        *self
            .ring
            .cached
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(key.clone());
        Ok(key)
    }

    /// Every key, with whether it is published now.
    async fn keys_with_publication(&self) -> Result<Vec<(PublicKeyRecord, bool)>, KeyError> {
        let now = self.base.clock.now();
        let grace = self.base.settings.status_token_validity_secs;
        Ok(self
            .base
            .store
            .signing_keys()
            .await?
            .into_iter()
            .map(|key| {
                let published = key.status == "active"
                    || key.retired_at.is_some_and(|retired| retired + grace > now)
                    || key.last_credential_expiry.is_some_and(|exp| exp > now);
                (key, published)
            })
            .collect())
    }

    /// Every key with its lifecycle and whether it is published now, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<KeyInfo>, KeyError> {
        Ok(self
            .keys_with_publication()
            .await?
            .into_iter()
            .map(|(key, published)| KeyInfo {
                kid: key.kid,
                status: key.status,
                created_at: key.created_at,
                retired_at: key.retired_at,
                last_credential_expiry: key.last_credential_expiry,
                published,
            })
            .collect())
    }

    /// The published JWK Set: the active key and every retired key still needed to verify a
    /// live credential or a cached status list token.
    pub async fn published_keys(&self) -> Result<JwkSet, KeyError> {
        let mut keys = Vec::new();
        for (record, published) in self.keys_with_publication().await? {
            if published {
                let jwk: Jwk = serde_json::from_str(&record.public_jwk).map_err(|source| {
                    StoreError::Json {
                        what: "public signing key",
                        source,
                    }
                })?;
                keys.push(jwk);
            }
        }
        Ok(JwkSet { keys })
    }

    /// Makes a new key active; the old one stays published as long as it is needed.
    pub async fn rotate_signing_key(&self) -> Result<Rotation, KeyError> {
        let material = generate(&self.base.store)?;
        let retired_kid = self
            .base
            .store
            .rotate_signing_key(
                &material.kid,
                &material.private_jwk,
                &material.public_jwk,
                self.base.clock.now(),
            )
            .await?;
        tracing::info!(key.kid = %material.kid, "signing key rotated");
        Ok(Rotation {
            active_kid: material.kid,
            retired_kid,
        })
    }

    /// What the trust framework operator registers for this issuer: the `issuer` member of a
    /// `trust-framework provider add` entry (`POST /v1/providers`).
    pub async fn registration(&self) -> Result<IssuerBinding, KeyError> {
        let jwks = self.published_keys().await?;
        let keys = jwks
            .keys
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| StoreError::Json {
                what: "public signing key",
                source,
            })?;
        Ok(IssuerBinding {
            iss: vec![self.base.settings.public_url.clone()],
            jwks: idv_proto::jwk_set::JwkSet { keys },
            x5c_roots_sha256: Vec::new(),
            status_list_uris_prefix: vec![self.base.settings.url(super::status_lists::PATH_PREFIX)],
            vct: Configuration::ALL
                .iter()
                .map(|c| c.vct().to_owned())
                .collect(),
        })
    }
}
