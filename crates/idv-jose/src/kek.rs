//! Private keys at rest: a key-encryption key (KEK) seals a private JWK as a compact JWE with
//! direct encryption, `alg: dir` and `enc: A256GCM` (RFC 7516 §7.1, RFC 7518 §4.5 and §5.3),
//! the KEK's id in `kid` so that a database sealed under another KEK is named, not guessed at.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use serde_json::{Map, Value};

use crate::base64url;
use crate::compact;
use crate::error::JoseError;
use crate::jwk::Jwk;

/// Bytes of a key-encryption key (AES-256).
pub const KEK_LEN: usize = 32;
/// The JWE `alg` of a sealed key: direct use of the KEK as the content-encryption key.
pub const DIR: &str = "dir";
/// The JWE `enc` of a sealed key.
pub const A256GCM: &str = "A256GCM";
/// The JWE `cty` of a sealed private JWK (RFC 7517 §8.5 registers `jwk+json`).
const CTY: &str = "jwk+json";

/// An AES-256 key-encryption key. Its `Debug` shows only its id.
pub struct KeyEncryptionKey {
    key: LessSafeKey,
    id: String,
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyEncryptionKey").field(&self.id).finish()
    }
}

impl KeyEncryptionKey {
    /// From 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, JoseError> {
        if bytes.len() != KEK_LEN {
            return Err(JoseError::InvalidKey {
                reason: "a key-encryption key is 32 bytes",
            });
        }
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| JoseError::InvalidKey {
            reason: "a key-encryption key is 32 bytes",
        })?;
        // The id names the key without revealing it: a domain-separated SHA-256, shortened.
        let mut input = b"idv key-encryption key id\0".to_vec();
        input.extend_from_slice(bytes);
        let digest = crate::digest::sha256(&input);
        Ok(Self {
            key: LessSafeKey::new(key),
            id: format!("kek-{}", base64url::encode(&digest[..12])),
        })
    }

    /// From its text form: 32 bytes in unpadded base64url (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<Self, JoseError> {
        let bytes = base64url::decode(text.trim()).ok_or(JoseError::InvalidKey {
            reason: "a key-encryption key is 32 bytes in base64url",
        })?;
        Self::from_bytes(&bytes)
    }

    /// A fresh key from the system CSPRNG, with its text form (to store, never to log).
    pub fn generate() -> Result<(Self, String), JoseError> {
        let mut bytes = [0u8; KEK_LEN];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| JoseError::InvalidKey {
            reason: "key generation failed",
        })?;
        let text = base64url::encode(bytes);
        Ok((Self::from_bytes(&bytes)?, text))
    }

    /// The key's id, the `kid` of everything it seals.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `jwk` (a private JWK) as a compact JWE.
    pub fn seal_jwk(&self, jwk: &Jwk) -> Result<String, JoseError> {
        let plaintext = serde_json::to_vec(jwk).map_err(|e| JoseError::Json {
            part: "payload",
            reason: e.to_string(),
        })?;
        self.seal(&plaintext)
    }

    /// Opens a JWE made by [`KeyEncryptionKey::seal_jwk`].
    pub fn open_jwk(&self, compact: &str) -> Result<Jwk, JoseError> {
        let plaintext = self.open(compact)?;
        serde_json::from_slice(&plaintext).map_err(|_| JoseError::InvalidKey {
            reason: "the sealed key is not a JWK",
        })
    }

    fn seal(&self, plaintext: &[u8]) -> Result<String, JoseError> {
        let mut header = Map::new();
        header.insert("alg".into(), DIR.into());
        header.insert("enc".into(), A256GCM.into());
        header.insert("kid".into(), self.id.clone().into());
        header.insert("cty".into(), CTY.into());
        // RFC 7516 §7.1: with `dir` the JWE Encrypted Key is empty.
        compact::seal(&self.key, &compact::encode_header(&header)?, plaintext)
    }

    fn open(&self, compact: &str) -> Result<Vec<u8>, JoseError> {
        let [h, ek, iv, ct, tag] = compact::parts::<5>(compact)?;
        let header = compact::decode_header(h)?;
        let member = |name: &str| header.get(name).and_then(Value::as_str).unwrap_or_default();
        if member("alg") != DIR {
            return Err(JoseError::UnsupportedAlgorithm {
                alg: member("alg").into(),
            });
        }
        if member("enc") != A256GCM {
            return Err(JoseError::UnsupportedAlgorithm {
                alg: member("enc").into(),
            });
        }
        if header.contains_key("crit") || header.contains_key("zip") {
            return Err(JoseError::CriticalHeader);
        }
        if member("kid") != self.id {
            return Err(JoseError::WrongKeyEncryptionKey {
                sealed_with: member("kid").into(),
                configured: self.id.clone(),
            });
        }
        if !ek.is_empty() {
            return Err(JoseError::Malformed { expected: 5 });
        }
        compact::open(&self.key, h, iv, ct, tag)
    }
}

/// The `kid` (the sealing KEK's id) of a sealed key, or `None` when `compact` is not one.
pub fn sealed_with(compact: &str) -> Option<String> {
    let header = compact::decode_header(compact.split('.').next()?).ok()?;
    (header.get("alg")?.as_str()? == DIR)
        .then(|| header.get("kid")?.as_str().map(str::to_owned))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    #[test]
    fn a_private_jwk_round_trips_sealed_and_the_jwe_hides_it() {
        let (kek, text) = KeyEncryptionKey::generate().unwrap();
        let jwk = SigningKey::generate().unwrap().to_private_jwk();
        let sealed = kek.seal_jwk(&jwk).unwrap();
        assert!(!sealed.contains(jwk.d.as_deref().unwrap()));
        assert_eq!(
            sealed.split('.').nth(1),
            Some(""),
            "dir: empty encrypted key"
        );
        assert_eq!(sealed_with(&sealed).as_deref(), Some(kek.id()));
        let again = KeyEncryptionKey::from_text(&format!(" {text}\n")).unwrap();
        assert_eq!(again.open_jwk(&sealed).unwrap(), jwk);
        assert!(!format!("{kek:?}").contains(&text));
    }

    #[test]
    fn another_kek_is_named_and_tampering_fails() {
        let (kek, _) = KeyEncryptionKey::generate().unwrap();
        let (other, _) = KeyEncryptionKey::generate().unwrap();
        let sealed = kek
            .seal_jwk(&SigningKey::generate().unwrap().to_private_jwk())
            .unwrap();
        assert_eq!(
            other.open_jwk(&sealed),
            Err(JoseError::WrongKeyEncryptionKey {
                sealed_with: kek.id().into(),
                configured: other.id().into(),
            })
        );
        let mut parts: Vec<String> = sealed.split('.').map(str::to_owned).collect();
        let mut ct = base64url::decode(&parts[3]).unwrap();
        ct[0] ^= 1;
        parts[3] = base64url::encode(&ct);
        assert_eq!(
            kek.open_jwk(&parts.join(".")),
            Err(JoseError::DecryptionFailed)
        );
        assert!(KeyEncryptionKey::from_bytes(&[0u8; 16]).is_err());
        assert!(KeyEncryptionKey::from_text("not base64!").is_err());
    }

    #[test]
    fn josekit_opens_what_we_seal() {
        let mut bytes = [0u8; KEK_LEN];
        aws_lc_rs::rand::fill(&mut bytes).unwrap();
        let kek = KeyEncryptionKey::from_bytes(&bytes).unwrap();
        let jwk = SigningKey::generate().unwrap().to_private_jwk();
        let sealed = kek.seal_jwk(&jwk).unwrap();
        let decrypter = josekit::jwe::Dir.decrypter_from_bytes(bytes).unwrap();
        let (payload, header) = josekit::jwe::deserialize_compact(&sealed, &decrypter).unwrap();
        assert_eq!(header.content_encryption(), Some(A256GCM));
        assert_eq!(serde_json::from_slice::<Jwk>(&payload).unwrap(), jwk);
    }
}
