//! Pinned trust anchors: the operator's public keys, from configuration only.
//!
//! A trust list or attestation is accepted only when its `kid` names one of these keys. Keys
//! carried by the signed object itself (`jwk`, `x5c`, `jku` headers, or the list's content)
//! are never consulted. During an anchor key rollover the configuration holds the old and the
//! new key side by side (docs/trust-list.md step 5).

use std::collections::BTreeMap;

use idv_jose::{JwkSet, PublicKey};

use crate::TrustError;

/// The pinned anchor public keys, keyed by RFC 7638 thumbprint (the federation's `kid`).
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    keys: BTreeMap<String, PublicKey>,
}

/// The keys of an anchor file as operators write it: a JWK Set (`{"keys": [...]}`) or one JWK.
pub fn jwks_from_json(text: &str) -> Result<JwkSet, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if value.get("keys").is_some() {
        serde_json::from_value(value)
    } else {
        Ok(JwkSet {
            keys: vec![serde_json::from_value(value)?],
        })
    }
}

impl TrustAnchors {
    /// From a configured JWK Set. Every key must be a public P-256 JWK; a declared `kid` must
    /// equal the key's thumbprint. At least one key is required.
    pub fn from_jwks(jwks: &JwkSet) -> Result<Self, TrustError> {
        let mut keys = BTreeMap::new();
        for (index, jwk) in jwks.keys.iter().enumerate() {
            let key = PublicKey::from_jwk(jwk)
                .map_err(|source| TrustError::InvalidAnchor { index, source })?;
            let thumbprint = key.thumbprint();
            if let Some(kid) = &jwk.kid
                && *kid != thumbprint
            {
                return Err(TrustError::AnchorKidMismatch {
                    index,
                    kid: kid.clone(),
                });
            }
            keys.insert(thumbprint, key);
        }
        Self::from_map(keys)
    }

    /// From already parsed public keys (e.g. in tests or when keys come from another source
    /// of configuration). At least one key is required.
    pub fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> Result<Self, TrustError> {
        Self::from_map(keys.into_iter().map(|k| (k.thumbprint(), k)).collect())
    }

    fn from_map(keys: BTreeMap<String, PublicKey>) -> Result<Self, TrustError> {
        if keys.is_empty() {
            return Err(TrustError::NoAnchors);
        }
        Ok(Self { keys })
    }

    /// The anchor whose thumbprint is `kid`.
    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.get(kid)
    }

    /// The pinned `kid`s, in order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The number of pinned keys (at least one).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always `false`: construction requires a key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Looks up the header's `kid` among the anchors.
    pub(crate) fn resolve(&self, kid: Option<&str>) -> Result<(&str, &PublicKey), TrustError> {
        let kid = kid.ok_or(TrustError::MissingKid)?;
        self.keys
            .get_key_value(kid)
            .map(|(kid, key)| (kid.as_str(), key))
            .ok_or_else(|| TrustError::UnknownAnchorKey {
                kid: kid.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use idv_jose::SigningKey;

    use super::*;

    #[test]
    fn two_anchor_keys_are_held_for_rollover() {
        let (old, new) = (
            SigningKey::generate().unwrap(),
            SigningKey::generate().unwrap(),
        );
        let jwks = JwkSet {
            keys: vec![old.public_key().to_jwk(), new.public_key().to_jwk()],
        };
        let anchors = TrustAnchors::from_jwks(&jwks).unwrap();
        assert_eq!(anchors.len(), 2);
        assert_eq!(anchors.get(&old.kid()), Some(old.public_key()));
        assert_eq!(anchors.get(&new.kid()), Some(new.public_key()));
    }

    #[test]
    fn empty_private_or_mislabelled_anchor_sets_are_rejected() {
        let key = SigningKey::generate().unwrap();
        assert_eq!(
            TrustAnchors::from_jwks(&JwkSet::default()).unwrap_err(),
            TrustError::NoAnchors
        );
        let private = JwkSet {
            keys: vec![key.to_private_jwk()],
        };
        assert!(matches!(
            TrustAnchors::from_jwks(&private),
            Err(TrustError::InvalidAnchor { index: 0, .. })
        ));
        let mut mislabelled = key.public_key().to_jwk();
        mislabelled.kid = Some("anchor-2026".into());
        assert!(matches!(
            TrustAnchors::from_jwks(&JwkSet {
                keys: vec![mislabelled]
            }),
            Err(TrustError::AnchorKidMismatch { index: 0, .. })
        ));
    }
}
