//! What the compact serializations of JWS (RFC 7515 §7.1) and JWE (RFC 7516 §7.1) share: the
//! split into parts, the protected header's encoding, and AES-GCM content encryption under a
//! key both sides already hold (the JWE Encrypted Key is empty with `ECDH-ES` and with `dir`).

use aws_lc_rs::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce};
use serde_json::{Map, Value};

use crate::base64url;
use crate::error::JoseError;

/// Bytes of an AES-GCM authentication tag.
const TAG_LEN: usize = 16;

/// The `N` dot-separated parts of a compact serialization, no more and no fewer.
pub(crate) fn parts<const N: usize>(compact: &str) -> Result<[&str; N], JoseError> {
    let mut split = compact.split('.');
    let mut parts = [""; N];
    for part in &mut parts {
        *part = split.next().ok_or(JoseError::Malformed { expected: N })?;
    }
    match split.next() {
        None => Ok(parts),
        Some(_) => Err(JoseError::Malformed { expected: N }),
    }
}

/// `BASE64URL(UTF8(JWS/JWE Protected Header))`.
pub(crate) fn encode_header(header: &Map<String, Value>) -> Result<String, JoseError> {
    let json = serde_json::to_vec(header).map_err(|e| JoseError::Json {
        part: "header",
        reason: e.to_string(),
    })?;
    Ok(base64url::encode(json))
}

/// The protected header members of the encoded header `h`.
pub(crate) fn decode_header(h: &str) -> Result<Map<String, Value>, JoseError> {
    let bytes = base64url::decode(h).ok_or(JoseError::Base64 { part: "header" })?;
    serde_json::from_slice(&bytes).map_err(|e| JoseError::Json {
        part: "header",
        reason: e.to_string(),
    })
}

/// Encrypts `plaintext` under `key` with a fresh random IV and the encoded header as the AAD
/// (RFC 7516 §5.1 step 14), returning the compact JWE with an empty Encrypted Key.
pub(crate) fn seal(
    key: &LessSafeKey,
    header_b64: &str,
    plaintext: &[u8],
) -> Result<String, JoseError> {
    let mut iv = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut iv).map_err(|_| JoseError::InvalidKey {
        reason: "random IV generation failed",
    })?;
    let mut buffer = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut buffer,
        )
        .map_err(|_| JoseError::DecryptionFailed)?;
    Ok(format!(
        "{header_b64}..{}.{}.{}",
        base64url::encode(iv),
        base64url::encode(&buffer),
        base64url::encode(tag.as_ref())
    ))
}

/// Decrypts the JWE parts `iv`, `ct` and `tag` under `key`, authenticating the encoded header
/// `h` as the AAD (RFC 7516 §5.2 steps 14–16).
pub(crate) fn open(
    key: &LessSafeKey,
    h: &str,
    iv: &str,
    ct: &str,
    tag: &str,
) -> Result<Vec<u8>, JoseError> {
    let iv: [u8; NONCE_LEN] = base64url::decode(iv)
        .and_then(|iv| iv.try_into().ok())
        .ok_or(JoseError::Base64 { part: "iv" })?;
    let tag = base64url::decode(tag)
        .filter(|tag| tag.len() == TAG_LEN)
        .ok_or(JoseError::Base64 { part: "tag" })?;
    let mut buffer = base64url::decode(ct).ok_or(JoseError::Base64 { part: "ciphertext" })?;
    buffer.extend_from_slice(&tag);
    let plaintext_len = key
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(h.as_bytes()),
            &mut buffer,
        )
        .map_err(|_| JoseError::DecryptionFailed)?
        .len();
    buffer.truncate(plaintext_len);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compact_serialization_has_exactly_its_parts() {
        assert_eq!(parts::<3>("a.b.c").unwrap(), ["a", "b", "c"]);
        assert_eq!(parts::<5>("a..c.d.e").unwrap(), ["a", "", "c", "d", "e"]);
        for bad in ["a.b", "a.b.c.d", ""] {
            assert!(
                matches!(parts::<3>(bad), Err(JoseError::Malformed { expected: 3 })),
                "{bad:?}"
            );
        }
    }
}
