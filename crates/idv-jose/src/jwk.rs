//! JSON Web Keys (RFC 7517) as they travel, and RFC 7638 thumbprints.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A JWK in wire form. Unknown members are ignored on input (RFC 7517 §4).
///
/// Only EC P-256 keys are turned into usable keys; see [`crate::PublicKey::from_jwk`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type; `EC` for P-256.
    pub kty: String,
    /// Curve; `P-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// Affine x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// Affine y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Private scalar, base64url. Never in a header, a `cnf` or a published key set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Key identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended algorithm (`ES256`, or `ECDH-ES` for encryption keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use (`sig` or `enc`).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("crv", &self.crv)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("d", &self.d.as_ref().map(|_| "[redacted]"))
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("use", &self.use_)
            .finish()
    }
}

impl Jwk {
    /// The same key without its private part, `kid`, `alg` or `use` kept.
    pub fn public(&self) -> Jwk {
        Jwk {
            d: None,
            ..self.clone()
        }
    }

    /// RFC 7638 thumbprint (SHA-256, base64url) over the required EC members, or `None` when
    /// the key is not a complete EC key.
    pub fn thumbprint(&self) -> Option<String> {
        let (crv, x, y) = (self.crv.as_deref()?, self.x.as_deref()?, self.y.as_deref()?);
        // Members in lexicographic order, no whitespace (RFC 7638 §3.2). serde_json escapes
        // the strings, so even hostile values cannot change the structure.
        let canonical = format!(
            r#"{{"crv":{},"kty":{},"x":{},"y":{}}}"#,
            serde_json::to_string(crv).ok()?,
            serde_json::to_string(&self.kty).ok()?,
            serde_json::to_string(x).ok()?,
            serde_json::to_string(y).ok()?,
        );
        Some(crate::digest::sha256_b64(canonical.as_bytes()))
    }
}

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The key with this `kid`, if any.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_rfc7638_over_the_required_members() {
        // RFC 9901's example holder key; expected value computed independently (Python's
        // json.dumps(sort_keys=True) + hashlib), with alg/kid present to show they are ignored.
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","x":"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc","y":"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}"#,
        )
        .unwrap();
        assert_eq!(
            jwk.thumbprint().unwrap(),
            "aISfTcr9M_Zd09AXGAAeFxnLbFY6lBa87UN515wm5d4"
        );
    }

    #[test]
    fn debug_never_prints_the_private_scalar() {
        let jwk = Jwk {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: None,
            y: None,
            d: Some("c2VjcmV0".into()),
            kid: None,
            alg: None,
            use_: None,
        };
        assert!(!format!("{jwk:?}").contains("c2VjcmV0"));
    }
}
