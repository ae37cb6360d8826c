//! Compact JWE with direct key agreement `ECDH-ES` on P-256 and `A128GCM`/`A256GCM`
//! (RFC 7516, RFC 7518 §4.6 and §5.3): the encryption of OpenID4VP `direct_post.jwt` responses.

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, LessSafeKey, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, EphemeralPrivateKey};
use aws_lc_rs::digest;
use serde_json::{Map, Value, json};

use crate::base64url;
use crate::compact;
use crate::error::JoseError;
use crate::jwk::Jwk;
use crate::keys::{DecryptionKey, PublicKey};

/// The key-management algorithm: direct ECDH-ES, no key wrapping.
pub const ECDH_ES: &str = "ECDH-ES";

/// The content-encryption algorithms HAIP requires verifiers to support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncryption {
    /// AES-128 in GCM mode.
    A128Gcm,
    /// AES-256 in GCM mode.
    A256Gcm,
}

impl ContentEncryption {
    /// The `enc` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
        }
    }

    /// Parses an `enc` value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "A128GCM" => Some(Self::A128Gcm),
            "A256GCM" => Some(Self::A256Gcm),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A256Gcm => 32,
        }
    }

    fn aead(self) -> &'static aws_lc_rs::aead::Algorithm {
        match self {
            Self::A128Gcm => &AES_128_GCM,
            Self::A256Gcm => &AES_256_GCM,
        }
    }
}

/// Concat KDF (NIST SP 800-56A §5.8.1) as profiled by RFC 7518 §4.6.2 for direct ECDH-ES.
fn concat_kdf(z: &[u8], enc: ContentEncryption, apu: &[u8], apv: &[u8]) -> Vec<u8> {
    fn length_prefixed(ctx: &mut digest::Context, data: &[u8]) {
        ctx.update(&(data.len() as u32).to_be_bytes());
        ctx.update(data);
    }
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&1u32.to_be_bytes());
    ctx.update(z);
    length_prefixed(&mut ctx, enc.as_str().as_bytes());
    length_prefixed(&mut ctx, apu);
    length_prefixed(&mut ctx, apv);
    ctx.update(&((enc.key_len() * 8) as u32).to_be_bytes());
    // One SHA-256 round yields 256 bits, enough for both key sizes.
    ctx.finish().as_ref()[..enc.key_len()].to_vec()
}

fn content_key(cek: &[u8], enc: ContentEncryption) -> Result<LessSafeKey, JoseError> {
    UnboundKey::new(enc.aead(), cek)
        .map(LessSafeKey::new)
        .map_err(|_| JoseError::DecryptionFailed)
}

/// Encrypts `plaintext` to `recipient` with a fresh ephemeral key; `kid` names the recipient key.
pub fn encrypt(
    plaintext: &[u8],
    recipient: &PublicKey,
    kid: Option<&str>,
    enc: ContentEncryption,
) -> Result<String, JoseError> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let ephemeral =
        EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| JoseError::InvalidKey {
            reason: "ephemeral key generation failed",
        })?;
    let epk_point = ephemeral
        .compute_public_key()
        .map_err(|_| JoseError::InvalidKey {
            reason: "ephemeral key generation failed",
        })?;
    let epk = PublicKey::from_sec1(epk_point.as_ref())?.to_jwk();

    let mut header = Map::new();
    header.insert("alg".into(), ECDH_ES.into());
    header.insert("enc".into(), enc.as_str().into());
    if let Some(kid) = kid {
        header.insert("kid".into(), kid.into());
    }
    header.insert("epk".into(), json!(epk));
    let header_b64 = compact::encode_header(&header)?;

    let cek = agreement::agree_ephemeral(
        ephemeral,
        agreement::UnparsedPublicKey::new(&ECDH_P256, recipient.sec1()),
        JoseError::InvalidKey {
            reason: "key agreement failed",
        },
        |z| Ok(concat_kdf(z, enc, &[], &[])),
    )?;
    compact::seal(&content_key(&cek, enc)?, &header_b64, plaintext)
}

/// The protected header of a decrypted JWE.
#[derive(Debug, Clone)]
pub struct DecryptedJwe {
    /// The protected header members.
    pub header: Map<String, Value>,
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The content encryption that was used.
    pub enc: ContentEncryption,
}

/// Decrypts a compact JWE addressed to `key`.
///
/// Rejects any `alg` but `ECDH-ES`, any `enc` not in `accepted`, a non-empty encrypted key,
/// `zip` and `crit`, and a `kid` that names another key.
pub fn decrypt(
    compact: &str,
    key: &DecryptionKey,
    accepted: &[ContentEncryption],
) -> Result<DecryptedJwe, JoseError> {
    let [h, ek, iv, ct, tag] = compact::parts::<5>(compact)?;
    let header = compact::decode_header(h)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg != ECDH_ES {
        return Err(JoseError::UnsupportedAlgorithm { alg: alg.into() });
    }
    let enc_name = header
        .get("enc")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let enc = ContentEncryption::parse(enc_name)
        .filter(|e| accepted.contains(e))
        .ok_or_else(|| JoseError::UnsupportedAlgorithm {
            alg: enc_name.into(),
        })?;
    if header.contains_key("crit") || header.contains_key("zip") {
        return Err(JoseError::CriticalHeader);
    }
    if let Some(kid) = header.get("kid")
        && kid.as_str() != Some(key.public_key().thumbprint().as_str())
    {
        return Err(JoseError::InvalidKey {
            reason: "kid does not name the decryption key",
        });
    }
    if !ek.is_empty() {
        return Err(JoseError::Malformed { expected: 5 });
    }
    let epk_jwk: Jwk = header
        .get("epk")
        .map(Jwk::deserialize_value)
        .transpose()?
        .ok_or(JoseError::InvalidKey {
            reason: "epk is missing",
        })?;
    let epk = PublicKey::from_jwk(&epk_jwk)?;
    let party_info = |name: &'static str| -> Result<Vec<u8>, JoseError> {
        match header.get(name) {
            None => Ok(Vec::new()),
            Some(v) => v
                .as_str()
                .and_then(base64url::decode)
                .ok_or(JoseError::Base64 { part: name }),
        }
    };
    let (apu, apv) = (party_info("apu")?, party_info("apv")?);
    let cek = key.agree(&epk, |z| Ok(concat_kdf(z, enc, &apu, &apv)))?;

    let plaintext = compact::open(&content_key(&cek, enc)?, h, iv, ct, tag)?;
    Ok(DecryptedJwe {
        header,
        plaintext,
        enc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[ContentEncryption] = &[ContentEncryption::A128Gcm, ContentEncryption::A256Gcm];

    fn josekit_jwk(jwk: &Jwk) -> josekit::jwk::Jwk {
        let map: Map<String, Value> =
            serde_json::from_value(serde_json::to_value(jwk).unwrap()).unwrap();
        josekit::jwk::Jwk::from_map(map).unwrap()
    }

    #[test]
    fn round_trip_with_both_content_encryptions() {
        let key = DecryptionKey::generate().unwrap();
        for enc in BOTH {
            let kid = key.public_key().thumbprint();
            let jwe = encrypt(b"vp_token", key.public_key(), Some(&kid), *enc).unwrap();
            let out = decrypt(&jwe, &key, BOTH).unwrap();
            assert_eq!(out.plaintext, b"vp_token");
            assert_eq!(out.enc, *enc);
        }
    }

    #[test]
    fn tampered_ciphertext_fails() {
        let key = DecryptionKey::generate().unwrap();
        let jwe = encrypt(
            b"secret",
            key.public_key(),
            None,
            ContentEncryption::A128Gcm,
        )
        .unwrap();
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        parts[3] = base64url::encode(b"SECRET");
        assert_eq!(
            decrypt(&parts.join("."), &key, BOTH).unwrap_err(),
            JoseError::DecryptionFailed
        );
    }

    #[test]
    fn other_recipient_cannot_decrypt() {
        let key = DecryptionKey::generate().unwrap();
        let other = DecryptionKey::generate().unwrap();
        let jwe = encrypt(
            b"secret",
            key.public_key(),
            None,
            ContentEncryption::A256Gcm,
        )
        .unwrap();
        assert!(decrypt(&jwe, &other, BOTH).is_err());
    }

    #[test]
    fn enc_not_offered_is_rejected() {
        let key = DecryptionKey::generate().unwrap();
        let jwe = encrypt(b"x", key.public_key(), None, ContentEncryption::A256Gcm).unwrap();
        assert!(matches!(
            decrypt(&jwe, &key, &[ContentEncryption::A128Gcm]),
            Err(JoseError::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn josekit_decrypts_ours_and_we_decrypt_josekits() {
        use josekit::jwe::{ECDH_ES, JweHeader};
        let key = DecryptionKey::generate().unwrap();
        let kid = key.public_key().thumbprint();
        for enc in BOTH {
            let ours = encrypt(b"ours", key.public_key(), Some(&kid), *enc).unwrap();
            let decrypter = ECDH_ES
                .decrypter_from_jwk(&josekit_jwk(&key.to_private_jwk()))
                .unwrap();
            let (plain, _) = josekit::jwe::deserialize_compact(&ours, &decrypter).unwrap();
            assert_eq!(plain, b"ours");

            let mut header = JweHeader::new();
            header.set_content_encryption(enc.as_str());
            header.set_key_id(&kid);
            header.set_agreement_partyuinfo(b"wallet-nonce");
            header.set_agreement_partyvinfo(b"verifier-nonce");
            let encrypter = ECDH_ES
                .encrypter_from_jwk(&josekit_jwk(&key.public_jwk()))
                .unwrap();
            let theirs = josekit::jwe::serialize_compact(b"theirs", &header, &encrypter).unwrap();
            assert_eq!(decrypt(&theirs, &key, BOTH).unwrap().plaintext, b"theirs");
        }
    }
}
