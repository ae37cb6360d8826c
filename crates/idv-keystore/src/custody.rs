//! [`KeyCustody`]: generates, stores (as text for a database column) and loads private keys.

use std::path::Path;
use std::sync::Arc;

use idv_jose::{DecryptionKey, Jwk, KeyEncryptionKey, SigningKey};
use serde::{Deserialize, Serialize};

use crate::config::KeysConfig;
use crate::error::KeyStoreError;
use crate::kek_source::load_kek;
use crate::pkcs11::Token;

/// A signing key held in an HSM, as the database keeps it: where it is and its public key,
/// no private material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsmKeyRef {
    /// The token's label.
    pub token_label: String,
    /// The key pair's `CKA_ID`, hex.
    pub key_id: String,
    /// The key pair's `CKA_LABEL`.
    pub key_label: String,
    /// The public JWK.
    pub public_jwk: Jwk,
}

/// The stored form of an HSM reference: `{"pkcs11": {…}}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HsmRecord {
    pkcs11: HsmKeyRef,
}

/// A stored private key, by its form.
#[derive(Debug)]
pub enum StoredKey {
    /// A private JWK sealed under a key-encryption key (compact JWE).
    Sealed(String),
    /// A reference to a key in an HSM.
    Hsm(HsmKeyRef),
    /// A private JWK in clear, as stored before keys were sealed: resealed at start-up.
    Plain(Jwk),
}

impl StoredKey {
    /// Reads the stored text of a key.
    pub fn parse(text: &str) -> Result<Self, KeyStoreError> {
        let not_a_key = || {
            KeyStoreError::Unusable(idv_jose::JoseError::InvalidKey {
                reason: "the stored key is neither sealed, an HSM reference nor a JWK",
            })
        };
        if !text.trim_start().starts_with('{') {
            return Ok(Self::Sealed(text.to_owned()));
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| not_a_key())?;
        if value.get("pkcs11").is_some() {
            let record: HsmRecord = serde_json::from_value(value).map_err(|_| not_a_key())?;
            return Ok(Self::Hsm(record.pkcs11));
        }
        serde_json::from_value(value)
            .map(Self::Plain)
            .map_err(|_| not_a_key())
    }
}

/// Where this service's private keys live: a key-encryption key for keys at rest, and
/// optionally an HSM token for signing keys.
pub struct KeyCustody {
    kek: KeyEncryptionKey,
    token: Option<Arc<Token>>,
}

impl std::fmt::Debug for KeyCustody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCustody")
            .field("kek", &self.kek.id())
            .field("token", &self.token.as_ref().map(|t| t.label()))
            .finish()
    }
}

impl KeyCustody {
    /// Opens the custody `config` describes; `default_kek_file` is used (and created on first
    /// start) when it names no key-encryption key (see [`crate::default_kek_file`]).
    pub fn open(config: &KeysConfig, default_kek_file: &Path) -> Result<Self, KeyStoreError> {
        let kek = load_kek(config, default_kek_file)?;
        let token = config.pkcs11.as_ref().map(Token::open).transpose()?;
        Ok(Self { kek, token })
    }

    /// Software custody under `kek` (no HSM).
    pub fn with_kek(kek: KeyEncryptionKey) -> Self {
        Self { kek, token: None }
    }

    /// The id of the key-encryption key.
    pub fn kek_id(&self) -> &str {
        self.kek.id()
    }

    /// The label of the HSM token new signing keys are generated in, if one is configured.
    pub fn hsm_token(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.label())
    }

    /// A new signing key for `purpose` (a short name, part of its HSM label) and the text to
    /// store: generated in the HSM when one is configured, else sealed.
    pub fn new_signing_key(&self, purpose: &str) -> Result<(SigningKey, String), KeyStoreError> {
        let Some(token) = &self.token else {
            let key = SigningKey::generate().map_err(KeyStoreError::Unusable)?;
            let sealed = self
                .kek
                .seal_jwk(&key.to_private_jwk())
                .map_err(KeyStoreError::Unusable)?;
            return Ok((key, sealed));
        };
        let (key_id, key_label, public) = token.generate(purpose)?;
        let key = SigningKey::external(public.clone(), Arc::new(token.signer(&key_id)?))
            .map_err(KeyStoreError::HsmKey)?;
        let record = HsmRecord {
            pkcs11: HsmKeyRef {
                token_label: token.label().to_owned(),
                key_id,
                key_label,
                public_jwk: Jwk {
                    kid: Some(public.thumbprint()),
                    ..public.to_jwk()
                },
            },
        };
        let text = serde_json::to_string(&record).map_err(|_| {
            KeyStoreError::Unusable(idv_jose::JoseError::InvalidKey {
                reason: "cannot serialise the key reference",
            })
        })?;
        Ok((key, text))
    }

    /// The signing key stored as `stored`.
    pub fn signing_key(&self, stored: &str) -> Result<SigningKey, KeyStoreError> {
        match StoredKey::parse(stored)? {
            StoredKey::Sealed(sealed) => {
                let jwk = self.open_sealed(&sealed)?;
                SigningKey::from_jwk(&jwk).map_err(KeyStoreError::Unusable)
            }
            StoredKey::Plain(jwk) => SigningKey::from_jwk(&jwk).map_err(KeyStoreError::Unusable),
            StoredKey::Hsm(reference) => {
                let token = self.token_of(&reference)?;
                let public = idv_jose::PublicKey::from_jwk(&Jwk {
                    kid: None,
                    ..reference.public_jwk.clone()
                })
                .map_err(KeyStoreError::Unusable)?;
                SigningKey::external(public, Arc::new(token.signer(&reference.key_id)?))
                    .map_err(KeyStoreError::HsmKey)
            }
        }
    }

    fn token_of(&self, reference: &HsmKeyRef) -> Result<&Arc<Token>, KeyStoreError> {
        let token = self
            .token
            .as_ref()
            .ok_or_else(|| KeyStoreError::HsmNotConfigured {
                token_label: reference.token_label.clone(),
            })?;
        if token.label() != reference.token_label {
            return Err(KeyStoreError::OtherToken {
                token_label: reference.token_label.clone(),
                configured: token.label().to_owned(),
            });
        }
        Ok(token)
    }

    /// The public JWK of the key stored as `stored`, its other members (`kid`, `alg`, `use`)
    /// as stored, without importing the private key (nor asking the HSM).
    pub fn public_jwk(&self, stored: &str) -> Result<Jwk, KeyStoreError> {
        let jwk = match StoredKey::parse(stored)? {
            StoredKey::Sealed(sealed) => self.open_sealed(&sealed)?,
            StoredKey::Plain(jwk) => jwk,
            StoredKey::Hsm(reference) => reference.public_jwk,
        };
        Ok(Jwk { d: None, ..jwk })
    }

    /// Seals a decryption key (these are never in the HSM: one is made per check).
    pub fn seal_decryption_key(&self, key: &DecryptionKey) -> Result<String, KeyStoreError> {
        self.kek
            .seal_jwk(&key.to_private_jwk())
            .map_err(KeyStoreError::Unusable)
    }

    /// The decryption key stored as `stored`.
    pub fn decryption_key(&self, stored: &str) -> Result<DecryptionKey, KeyStoreError> {
        let jwk = match StoredKey::parse(stored)? {
            StoredKey::Sealed(sealed) => self.open_sealed(&sealed)?,
            StoredKey::Plain(jwk) => jwk,
            StoredKey::Hsm(_) => {
                return Err(KeyStoreError::Unusable(idv_jose::JoseError::InvalidKey {
                    reason: "a decryption key is never held in the HSM",
                }));
            }
        };
        DecryptionKey::from_jwk(&jwk).map_err(KeyStoreError::Unusable)
    }

    /// Start-up check of one stored key: a key stored in clear is returned sealed (the caller
    /// writes it back); a sealed key must open under the configured KEK; an HSM key must be on
    /// the configured token. An empty text (a retired key's erased private part) passes.
    pub fn check_and_reseal(&self, stored: &str) -> Result<Option<String>, KeyStoreError> {
        if stored.is_empty() {
            return Ok(None);
        }
        match StoredKey::parse(stored)? {
            StoredKey::Plain(jwk) => {
                if jwk.d.is_none() {
                    return Err(KeyStoreError::Unusable(idv_jose::JoseError::InvalidKey {
                        reason: "the stored key has no private part",
                    }));
                }
                self.kek
                    .seal_jwk(&jwk)
                    .map(Some)
                    .map_err(KeyStoreError::Unusable)
            }
            StoredKey::Sealed(sealed) => {
                self.open_sealed(&sealed)?;
                Ok(None)
            }
            StoredKey::Hsm(reference) => {
                self.token_of(&reference)?.signer(&reference.key_id)?;
                Ok(None)
            }
        }
    }

    /// The private JWK sealed under the KEK as `sealed`.
    fn open_sealed(&self, sealed: &str) -> Result<Jwk, KeyStoreError> {
        self.kek
            .open_jwk(sealed)
            .map_err(KeyStoreError::from_sealed)
    }

    /// Destroys a retired key's private part where it is in the HSM (a sealed key is erased
    /// by the caller, which drops the stored text). Never fails the caller's operation: a key
    /// that cannot be destroyed is logged.
    pub fn destroy(&self, stored: &str) {
        if let Ok(StoredKey::Hsm(reference)) = StoredKey::parse(stored)
            && let Ok(token) = self.token_of(&reference)
            && let Err(error) = token.destroy(&reference.key_id)
        {
            tracing::warn!(%error, key_id = %reference.key_id, "a retired HSM key was not destroyed");
        }
    }
}
