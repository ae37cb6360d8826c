//! Disclosures (RFC 9901 §4.2): `base64url([salt, name, value])` for object properties and
//! `base64url([salt, value])` for array elements, identified by the SHA-256 of the encoded form.

use serde_json::Value;

use crate::SdJwtError;
use crate::sha256_b64;

/// A disclosure digest as it appears in `_sd` and `...`: base64url(SHA-256), 43 characters,
/// held without allocating. Ordered by its first eight bytes first, so that sorting and
/// searching compare integers (digests are uniformly random; only equal ones go further).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Digest {
    prefix: u64,
    text: [u8; DIGEST_LEN],
}

const DIGEST_LEN: usize = 43;

impl Digest {
    /// The digest of an encoded disclosure.
    pub(crate) fn of(encoded: &str) -> Self {
        let mut text = [0u8; DIGEST_LEN];
        // 32 bytes always encode to exactly 43 characters.
        idv_jose::base64url::encode_to_slice(
            idv_jose::digest::sha256(encoded.as_bytes()),
            &mut text,
        );
        Self::from_bytes(text)
    }

    /// A digest as found in the payload; `None` when it is not 43 characters long (then it
    /// is no disclosure's digest).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        text.as_bytes().try_into().ok().map(Self::from_bytes)
    }

    fn from_bytes(text: [u8; DIGEST_LEN]) -> Self {
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&text[..8]);
        Self {
            prefix: u64::from_be_bytes(prefix),
            text,
        }
    }

    /// The digest as text.
    pub(crate) fn to_text(self) -> String {
        self.text.iter().copied().map(char::from).collect()
    }
}

/// A parsed disclosure with its digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    encoded: String,
    digest: String,
    name: Option<String>,
    value: Value,
}

impl Disclosure {
    /// Parses an encoded disclosure; `index` is its position, for error messages.
    ///
    /// Checks the shape only (a 2- or 3-element array, string salt and name); whether the
    /// arity fits where it is referenced is checked during processing.
    pub fn parse(encoded: &str, index: usize) -> Result<Self, SdJwtError> {
        let Decoded {
            digest,
            name,
            value,
        } = Decoded::parse(encoded, index)?;
        Ok(Self {
            encoded: encoded.to_owned(),
            digest: digest.to_text(),
            name,
            value,
        })
    }

    /// A new object-property disclosure `[salt, name, value]`.
    pub fn property(salt: &str, name: &str, value: Value) -> Self {
        Self::encode(
            serde_json::json!([salt, name, value]),
            Some(name.to_owned()),
        )
    }

    /// A new array-element disclosure `[salt, value]`.
    pub fn element(salt: &str, value: Value) -> Self {
        Self::encode(serde_json::json!([salt, value]), None)
    }

    fn encode(array: Value, name: Option<String>) -> Self {
        // Serialising a `Value` cannot fail (its keys are strings).
        let encoded = idv_jose::base64url::encode(serde_json::to_vec(&array).unwrap_or_default());
        let value = match array {
            Value::Array(mut items) => items.pop().unwrap_or(Value::Null),
            other => other,
        };
        Self {
            digest: sha256_b64(encoded.as_bytes()),
            encoded,
            name,
            value,
        }
    }

    /// The encoded form, exactly as it travels.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// base64url(SHA-256(encoded)), the value embedded in `_sd` or `...`.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The claim name for an object property; `None` for an array element.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The disclosed value.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// What processing needs of a disclosure: its digest, claim name and value, without keeping a
/// copy of the encoded form (a portrait disclosure is several KiB).
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) digest: Digest,
    pub(crate) name: Option<String>,
    pub(crate) value: Value,
}

impl Decoded {
    /// As [`Disclosure::parse`].
    pub(crate) fn parse(encoded: &str, index: usize) -> Result<Self, SdJwtError> {
        let invalid = |reason| SdJwtError::InvalidDisclosure { index, reason };
        let bytes = idv_jose::base64url::decode(encoded).ok_or_else(|| invalid("not base64url"))?;
        let Ok(Value::Array(mut items)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(invalid("not a JSON array"));
        };
        let (salt, name, value) = match items.len() {
            2 => {
                let value = items.pop();
                (items.pop(), None, value)
            }
            3 => {
                let value = items.pop();
                let name = match items.pop() {
                    Some(Value::String(name)) => Some(name),
                    _ => return Err(invalid("claim name is not a string")),
                };
                (items.pop(), name, value)
            }
            _ => return Err(invalid("must have 2 or 3 elements")),
        };
        if !matches!(salt, Some(Value::String(_))) {
            return Err(invalid("salt is not a string"));
        }
        Ok(Self {
            digest: Digest::of(encoded),
            name,
            value: value.unwrap_or(Value::Null),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9901_digest_vectors() {
        // Recomputed from RFC 9901 §4.2.
        let d = Disclosure::parse(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
            0,
        )
        .unwrap();
        assert_eq!(d.digest(), "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0");
        assert_eq!(d.name(), Some("family_name"));
        assert_eq!(d.value(), "Möbius");

        let e = Disclosure::parse("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0", 0).unwrap();
        assert_eq!(e.digest(), "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs");
        assert_eq!(e.name(), None);
    }

    #[test]
    fn created_disclosures_parse_back_identically() {
        let d = Disclosure::property("c2FsdA", "given_name", "Ada".into());
        assert_eq!(Disclosure::parse(d.encoded(), 0).unwrap(), d);
        let e = Disclosure::element("c2FsdA", serde_json::json!({"x": 1}));
        assert_eq!(Disclosure::parse(e.encoded(), 0).unwrap(), e);
    }

    #[test]
    fn malformed_disclosures_are_rejected() {
        let enc = |v: &str| idv_jose::base64url::encode(v);
        for bad in [
            "***".to_owned(),
            enc("{}"),
            enc("[]"),
            enc(r#"["s"]"#),
            enc(r#"["s","n","v","x"]"#),
            enc(r#"[1,"n","v"]"#),
            enc(r#"["s",1,"v"]"#),
            enc("not json"),
        ] {
            assert!(
                matches!(
                    Disclosure::parse(&bad, 3),
                    Err(SdJwtError::InvalidDisclosure { index: 3, .. })
                ),
                "{bad}"
            );
        }
    }
}
