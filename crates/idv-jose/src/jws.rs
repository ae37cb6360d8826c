//! Compact JWS (RFC 7515) with ES256 only and explicit typing (RFC 8725 §3.11).
//!
//! Verification is a type change: [`UnverifiedJws::verify`] is the only way to a
//! [`VerifiedJws`], and it checks `alg` (ES256, never `none`), `typ`, `crit` and the signature.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::base64url;
use crate::compact;
use crate::error::JoseError;
use crate::keys::{PublicKey, SigningKey};

/// The only signature algorithm of the federation (HAIP).
pub const ES256: &str = "ES256";

/// A JOSE header: a JSON object whose member order is kept as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header(Map<String, Value>);

impl Header {
    /// `{"alg":"ES256","typ":typ}`.
    pub fn es256(typ: &str) -> Self {
        let mut map = Map::new();
        map.insert("alg".into(), ES256.into());
        map.insert("typ".into(), typ.into());
        Self(map)
    }

    /// Adds (or replaces) a member.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// The `alg` member when it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.0.get("alg").and_then(Value::as_str)
    }

    /// The `typ` member when it is a string.
    pub fn typ(&self) -> Option<&str> {
        self.0.get("typ").and_then(Value::as_str)
    }

    /// The `kid` member when it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.0.get("kid").and_then(Value::as_str)
    }

    /// Any member.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The members.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    fn check(&self, expected_typ: &[&str]) -> Result<(), JoseError> {
        match self.alg() {
            Some(ES256) => {}
            other => {
                return Err(JoseError::UnsupportedAlgorithm {
                    alg: other.unwrap_or_default().to_owned(),
                });
            }
        }
        if self.0.contains_key("crit") {
            return Err(JoseError::CriticalHeader);
        }
        let found = self.typ();
        if !found.is_some_and(|found| expected_typ.iter().any(|e| typ_matches(found, e))) {
            return Err(JoseError::UnexpectedType {
                expected: expected_typ.join(" or "),
                found: found.map(str::to_owned),
            });
        }
        Ok(())
    }
}

/// `typ` is a media type: compared case-insensitively, with `application/` optional
/// (RFC 7515 §4.1.9).
pub fn typ_matches(found: &str, expected: &str) -> bool {
    fn bare(t: &str) -> &str {
        match t.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &t[12..],
            _ => t,
        }
    }
    bare(found).eq_ignore_ascii_case(bare(expected))
}

/// Signs `payload` under `header` (whose `alg` must be ES256) and returns the compact JWS.
pub fn sign(header: &Header, payload: &[u8], key: &SigningKey) -> Result<String, JoseError> {
    if header.alg() != Some(ES256) {
        return Err(JoseError::UnsupportedAlgorithm {
            alg: header.alg().unwrap_or_default().to_owned(),
        });
    }
    let header_json = serde_json::to_vec(&header.0).map_err(|e| JoseError::Json {
        part: "header",
        reason: e.to_string(),
    })?;
    let mut out = String::with_capacity((header_json.len() + payload.len()) * 4 / 3 + 100);
    base64url::encode_into(&header_json, &mut out);
    out.push('.');
    base64url::encode_into(payload, &mut out);
    let signature = key.sign(out.as_bytes())?;
    out.push('.');
    base64url::encode_into(signature, &mut out);
    Ok(out)
}

/// Serialises `claims` as the payload and signs it.
pub fn sign_claims<T: Serialize + ?Sized>(
    header: &Header,
    claims: &T,
    key: &SigningKey,
) -> Result<String, JoseError> {
    let payload = serde_json::to_vec(claims).map_err(|e| JoseError::Json {
        part: "payload",
        reason: e.to_string(),
    })?;
    sign(header, &payload, key)
}

/// A compact JWS whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub struct UnverifiedJws<'a> {
    header: Header,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'a> UnverifiedJws<'a> {
    /// Splits and decodes a compact JWS. Only the structure is checked here.
    pub fn parse(compact: &'a str) -> Result<Self, JoseError> {
        let [h, p, s] = compact::parts::<3>(compact)?;
        let header = compact::decode_header(h)?;
        let payload = base64url::decode(p).ok_or(JoseError::Base64 { part: "payload" })?;
        let signature = base64url::decode(s).ok_or(JoseError::Base64 { part: "signature" })?;
        Ok(Self {
            header: Header(header),
            signing_input: &compact[..h.len() + 1 + p.len()],
            payload,
            signature,
        })
    }

    /// The header, unauthenticated until verified.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The decoded payload claims before any check.
    ///
    /// # Security
    /// Unauthenticated: use only to find the key to verify with (e.g. `iss`), never as a result.
    pub fn insecure_claims<T: DeserializeOwned>(&self) -> Result<T, JoseError> {
        parse_claims(&self.payload)
    }

    /// Checks `alg` is ES256, no `crit`, `typ` is one of `expected_typ`, and the signature.
    pub fn verify(self, key: &PublicKey, expected_typ: &[&str]) -> Result<VerifiedJws, JoseError> {
        self.header.check(expected_typ)?;
        key.verify(self.signing_input.as_bytes(), &self.signature)?;
        Ok(VerifiedJws {
            header: self.header,
            payload: self.payload,
        })
    }
}

fn parse_claims<T: DeserializeOwned>(payload: &[u8]) -> Result<T, JoseError> {
    serde_json::from_slice(payload).map_err(|e| JoseError::Json {
        part: "payload",
        reason: e.to_string(),
    })
}

/// A JWS whose algorithm, type and signature have been verified.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    header: Header,
    payload: Vec<u8>,
}

impl VerifiedJws {
    /// The verified header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The verified payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload parsed as JSON claims.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, JoseError> {
        parse_claims(&self.payload)
    }

    /// The verified header, keeping it without a copy.
    pub fn into_header(self) -> Header {
        self.header
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn signed(header: &Header) -> (SigningKey, String) {
        let key = SigningKey::generate().unwrap();
        let jws = sign_claims(header, &json!({"sub": "x"}), &key).unwrap();
        (key, jws)
    }

    #[test]
    fn round_trip_with_typ() {
        let (key, jws) = signed(&Header::es256("kb+jwt"));
        let v = UnverifiedJws::parse(&jws)
            .unwrap()
            .verify(key.public_key(), &["kb+jwt"])
            .unwrap();
        assert_eq!(v.claims::<Value>().unwrap(), json!({"sub": "x"}));
    }

    #[test]
    fn typ_comparison_ignores_case_and_application_prefix() {
        assert!(typ_matches("application/KB+JWT", "kb+jwt"));
        assert!(!typ_matches("JWT", "kb+jwt"));
    }

    #[test]
    fn wrong_typ_is_rejected_before_the_signature() {
        let (key, jws) = signed(&Header::es256("JWT"));
        let err = UnverifiedJws::parse(&jws)
            .unwrap()
            .verify(key.public_key(), &["kb+jwt"])
            .unwrap_err();
        assert!(matches!(err, JoseError::UnexpectedType { .. }));
    }

    #[test]
    fn alg_none_is_rejected() {
        let (key, jws) = signed(&Header::es256("kb+jwt"));
        let payload = jws.split('.').nth(1).unwrap();
        let forged = format!(
            "{}.{payload}.",
            base64url::encode(br#"{"alg":"none","typ":"kb+jwt"}"#)
        );
        let err = UnverifiedJws::parse(&forged)
            .unwrap()
            .verify(key.public_key(), &["kb+jwt"])
            .unwrap_err();
        assert_eq!(err, JoseError::UnsupportedAlgorithm { alg: "none".into() });
    }

    #[test]
    fn critical_headers_are_rejected() {
        let (key, jws) = signed(&Header::es256("kb+jwt").with("crit", json!(["exp"])));
        let err = UnverifiedJws::parse(&jws)
            .unwrap()
            .verify(key.public_key(), &["kb+jwt"])
            .unwrap_err();
        assert_eq!(err, JoseError::CriticalHeader);
    }

    #[test]
    fn signature_by_another_key_is_rejected() {
        let (_, jws) = signed(&Header::es256("kb+jwt"));
        let other = SigningKey::generate().unwrap();
        let err = UnverifiedJws::parse(&jws)
            .unwrap()
            .verify(other.public_key(), &["kb+jwt"])
            .unwrap_err();
        assert_eq!(err, JoseError::BadSignature);
    }

    #[test]
    fn malformed_compact_forms_are_errors_not_panics() {
        for bad in [
            "",
            "a",
            "a.b",
            "a.b.c.d",
            "!!.e30.",
            "e30.e30.!!",
            "bnVsbA.e30.",
        ] {
            assert!(UnverifiedJws::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn josekit_verifies_our_signatures_and_we_verify_josekits() {
        use josekit::jws::{ES256 as JK_ES256, JwsHeader};
        let key = SigningKey::generate().unwrap();
        let jwk_map: Map<String, Value> =
            serde_json::from_value(serde_json::to_value(key.to_private_jwk()).unwrap()).unwrap();
        let jk_jwk = josekit::jwk::Jwk::from_map(jwk_map).unwrap();

        let ours = sign(&Header::es256("test+jwt"), b"payload", &key).unwrap();
        let verifier = JK_ES256
            .verifier_from_jwk(&jk_jwk.to_public_key().unwrap())
            .unwrap();
        let (payload, _) = josekit::jws::deserialize_compact(&ours, &verifier).unwrap();
        assert_eq!(payload, b"payload");

        let mut header = JwsHeader::new();
        header.set_token_type("test+jwt");
        let signer = JK_ES256.signer_from_jwk(&jk_jwk).unwrap();
        let theirs = josekit::jws::serialize_compact(b"payload", &header, &signer).unwrap();
        let verified = UnverifiedJws::parse(&theirs)
            .unwrap()
            .verify(key.public_key(), &["test+jwt"])
            .unwrap();
        assert_eq!(verified.payload(), b"payload");
    }
}
