//! P-256 keys: the one seam over the crypto backend.
//!
//! The backend is aws-lc-rs: on these machines its ES256 verification measured 47.5 µs against
//! 139.6 µs for the pure-Rust p256 crate, and a presentation costs two of them. Swapping the
//! backend means changing this file and [`crate::jwe`] only.

use std::fmt;

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    ParsedPublicKey,
};
use serde::Deserialize as _;

use crate::error::JoseError;
use crate::jwk::Jwk;
use crate::{base64url, jwk};

/// Length of an uncompressed SEC1 P-256 point (`04 || x || y`).
const POINT_LEN: usize = 65;
/// Length of an ES256 signature (`r || s`, RFC 7518 §3.4).
pub const SIGNATURE_LEN: usize = 64;

/// A P-256 public key: verifies ES256 signatures and receives ECDH-ES encryption.
///
/// Parsed and validated (on the curve) once at construction, so repeated verifications with
/// the same key, such as an issuer key from the trust list, pay no parsing cost.
#[derive(Clone)]
pub struct PublicKey {
    point: [u8; POINT_LEN],
    parsed: ParsedPublicKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey")
            .field(&self.thumbprint())
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.point == other.point
    }
}
impl Eq for PublicKey {}

impl PublicKey {
    /// From an uncompressed SEC1 point; rejects anything not on P-256.
    pub fn from_sec1(point: &[u8]) -> Result<Self, JoseError> {
        let point: [u8; POINT_LEN] = point.try_into().map_err(|_| JoseError::InvalidKey {
            reason: "not an uncompressed P-256 point",
        })?;
        if point[0] != 0x04 {
            return Err(JoseError::InvalidKey {
                reason: "not an uncompressed P-256 point",
            });
        }
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).map_err(|_| {
            JoseError::InvalidKey {
                reason: "point is not on P-256",
            }
        })?;
        Ok(Self { point, parsed })
    }

    /// From a public JWK. Rejects other key types and curves, and any JWK that carries a
    /// private key (`d`): a public key must never travel with its secret.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JoseError> {
        if jwk.kty != "EC" || jwk.crv.as_deref() != Some("P-256") {
            return Err(JoseError::InvalidKey {
                reason: "only EC P-256 keys are supported",
            });
        }
        if jwk.d.is_some() {
            return Err(JoseError::InvalidKey {
                reason: "public JWK contains a private key",
            });
        }
        Self::from_sec1(&point_from_jwk(jwk)?)
    }

    /// From a JSON value holding a JWK (as found in `cnf.jwk` or a JOSE header). Same rules as
    /// [`PublicKey::from_jwk`], read in place: a holder key arrives with every presentation.
    pub fn from_jwk_value(value: &serde_json::Value) -> Result<Self, JoseError> {
        /// The members of [`Jwk`], borrowed, with the same types (so the same JWKs are refused).
        #[derive(serde::Deserialize)]
        struct BorrowedJwk<'a> {
            kty: &'a str,
            #[serde(default)]
            crv: Option<&'a str>,
            #[serde(default)]
            x: Option<&'a str>,
            #[serde(default)]
            y: Option<&'a str>,
            #[serde(default)]
            d: Option<&'a str>,
            #[serde(default, rename = "kid")]
            _kid: Option<&'a str>,
            #[serde(default, rename = "alg")]
            _alg: Option<&'a str>,
            #[serde(default, rename = "use")]
            _use: Option<&'a str>,
        }
        let jwk = BorrowedJwk::deserialize(value).map_err(|_| JoseError::InvalidKey {
            reason: "not a JWK",
        })?;
        if jwk.kty != "EC" || jwk.crv != Some("P-256") {
            return Err(JoseError::InvalidKey {
                reason: "only EC P-256 keys are supported",
            });
        }
        if jwk.d.is_some() {
            return Err(JoseError::InvalidKey {
                reason: "public JWK contains a private key",
            });
        }
        let mut point = [0u8; POINT_LEN];
        point[0] = 0x04;
        for (coordinate, at) in [(jwk.x, 1), (jwk.y, 33)] {
            let written = coordinate
                .and_then(|text| base64url::decode_to_slice(text, &mut point[at..at + 32]));
            if written != Some(32) {
                return Err(JoseError::InvalidKey {
                    reason: "x and y must be 32-byte base64url coordinates",
                });
            }
        }
        Self::from_sec1(&point)
    }

    /// The public JWK (`kty`, `crv`, `x`, `y` only).
    pub fn to_jwk(&self) -> Jwk {
        Jwk {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: Some(base64url::encode(&self.point[1..33])),
            y: Some(base64url::encode(&self.point[33..])),
            d: None,
            kid: None,
            alg: None,
            use_: None,
        }
    }

    /// The uncompressed SEC1 point.
    pub fn sec1(&self) -> &[u8] {
        &self.point
    }

    /// RFC 7638 thumbprint, used as `kid` throughout the federation.
    pub fn thumbprint(&self) -> String {
        self.to_jwk().thumbprint().unwrap_or_default()
    }

    /// Verifies an ES256 signature (`r || s`) over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        if signature.len() != SIGNATURE_LEN {
            return Err(JoseError::BadSignature);
        }
        self.parsed
            .verify_sig(message, signature)
            .map_err(|_| JoseError::BadSignature)
    }
}

impl Jwk {
    /// Reads a JWK out of a JSON value, as a key error when it is not one.
    pub fn deserialize_value(value: &serde_json::Value) -> Result<Jwk, JoseError> {
        Jwk::deserialize(value).map_err(|_| JoseError::InvalidKey {
            reason: "not a JWK",
        })
    }
}

fn point_from_jwk(jwk: &jwk::Jwk) -> Result<Vec<u8>, JoseError> {
    let coordinate = |c: Option<&String>| {
        c.and_then(|c| base64url::decode(c))
            .filter(|b| b.len() == 32)
            .ok_or(JoseError::InvalidKey {
                reason: "x and y must be 32-byte base64url coordinates",
            })
    };
    let (x, y) = (coordinate(jwk.x.as_ref())?, coordinate(jwk.y.as_ref())?);
    let mut point = Vec::with_capacity(POINT_LEN);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(point)
}

fn private_scalar(jwk: &Jwk) -> Result<Vec<u8>, JoseError> {
    jwk.d
        .as_deref()
        .and_then(base64url::decode)
        .filter(|d| d.len() == 32)
        .ok_or(JoseError::InvalidKey {
            reason: "d must be a 32-byte base64url scalar",
        })
}

/// Signs with a P-256 private key held elsewhere, such as in an HSM behind PKCS#11: the
/// private key never enters this process.
pub trait ExternalSigner: Send + Sync {
    /// Signs `message` with ES256 (ECDSA P-256 over SHA-256, RFC 7518 §3.4), returning the
    /// fixed-size `r || s`.
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], JoseError>;
}

/// Where a [`SigningKey`]'s private part lives.
enum Backing {
    /// In this process (aws-lc-rs).
    Software(EcdsaKeyPair),
    /// Behind an [`ExternalSigner`].
    External(std::sync::Arc<dyn ExternalSigner>),
}

/// An ES256 signing key, its private part in this process or behind an [`ExternalSigner`]
/// (every JWS, SD-JWT and status list signing path takes either). Its `Debug` shows only the
/// public thumbprint.
pub struct SigningKey {
    backing: Backing,
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SigningKey")
            .field(&self.public.thumbprint())
            .finish()
    }
}

impl SigningKey {
    /// A fresh key from the system CSPRNG.
    pub fn generate() -> Result<Self, JoseError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| {
            JoseError::InvalidKey {
                reason: "key generation failed",
            }
        })?;
        Self::from_pair(pair)
    }

    /// From a private JWK (`d`, `x`, `y`); the public part must match the private scalar.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JoseError> {
        if jwk.kty != "EC" || jwk.crv.as_deref() != Some("P-256") {
            return Err(JoseError::InvalidKey {
                reason: "only EC P-256 keys are supported",
            });
        }
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &private_scalar(jwk)?,
            &point_from_jwk(jwk)?,
        )
        .map_err(|_| JoseError::InvalidKey {
            reason: "private and public parts do not match",
        })?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: EcdsaKeyPair) -> Result<Self, JoseError> {
        let public = PublicKey::from_sec1(pair.public_key().as_ref())?;
        Ok(Self {
            backing: Backing::Software(pair),
            public,
        })
    }

    /// A key whose private part is held by `signer`; `public` is its public key. The first
    /// signature is checked against `public`, so a signer holding another key fails here.
    pub fn external(
        public: PublicKey,
        signer: std::sync::Arc<dyn ExternalSigner>,
    ) -> Result<Self, JoseError> {
        const PROBE: &[u8] = b"idv-jose external signer key check";
        let signature = signer.sign_es256(PROBE)?;
        public
            .verify(PROBE, &signature)
            .map_err(|_| JoseError::InvalidKey {
                reason: "the external signer does not hold the private key of this public key",
            })?;
        Ok(Self {
            backing: Backing::External(signer),
            public,
        })
    }

    /// Whether the private part is held by an [`ExternalSigner`] (it cannot be exported).
    pub fn is_external(&self) -> bool {
        matches!(self.backing, Backing::External(_))
    }

    /// The private JWK, for storage only (`kid` set to the thumbprint). A key held by an
    /// [`ExternalSigner`] has no private part here: its JWK has no `d`, and
    /// [`SigningKey::from_jwk`] refuses it.
    ///
    /// # Security
    /// Contains the private scalar: persist it protected, never log or publish it.
    pub fn to_private_jwk(&self) -> Jwk {
        let d = match &self.backing {
            Backing::Software(pair) => pair
                .private_key()
                .as_be_bytes()
                .map(|b| base64url::encode(b.as_ref()))
                .ok(),
            Backing::External(_) => None,
        };
        Jwk {
            d,
            kid: Some(self.kid()),
            ..self.public.to_jwk()
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key's `kid`: its RFC 7638 thumbprint.
    pub fn kid(&self) -> String {
        self.public.thumbprint()
    }

    /// Signs `message` with ES256, returning `r || s`.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], JoseError> {
        let pair = match &self.backing {
            Backing::Software(pair) => pair,
            Backing::External(signer) => return signer.sign_es256(message),
        };
        let sig = pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
            .map_err(|_| JoseError::InvalidKey {
                reason: "signing failed",
            })?;
        sig.as_ref().try_into().map_err(|_| JoseError::InvalidKey {
            reason: "signing produced a malformed signature",
        })
    }
}

/// A P-256 key-agreement private key for receiving `ECDH-ES` JWEs (one per OpenID4VP request).
pub struct DecryptionKey {
    private: agreement::PrivateKey,
    public: PublicKey,
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DecryptionKey")
            .field(&self.public.thumbprint())
            .finish()
    }
}

impl DecryptionKey {
    /// A fresh key from the system CSPRNG.
    pub fn generate() -> Result<Self, JoseError> {
        let private = agreement::PrivateKey::generate(&agreement::ECDH_P256).map_err(|_| {
            JoseError::InvalidKey {
                reason: "key generation failed",
            }
        })?;
        Self::from_private(private)
    }

    /// From a private JWK as produced by [`DecryptionKey::to_private_jwk`].
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JoseError> {
        if jwk.kty != "EC" || jwk.crv.as_deref() != Some("P-256") {
            return Err(JoseError::InvalidKey {
                reason: "only EC P-256 keys are supported",
            });
        }
        let private =
            agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, &private_scalar(jwk)?)
                .map_err(|_| JoseError::InvalidKey {
                reason: "invalid private scalar",
            })?;
        let key = Self::from_private(private)?;
        if point_from_jwk(jwk)? != key.public.sec1() {
            return Err(JoseError::InvalidKey {
                reason: "private and public parts do not match",
            });
        }
        Ok(key)
    }

    fn from_private(private: agreement::PrivateKey) -> Result<Self, JoseError> {
        let public = private
            .compute_public_key()
            .map_err(|_| JoseError::InvalidKey {
                reason: "cannot derive public key",
            })?;
        let public = PublicKey::from_sec1(public.as_ref())?;
        Ok(Self { private, public })
    }

    /// The private JWK, for storage only (`kid` = thumbprint, `alg` = `ECDH-ES`, `use` = `enc`).
    ///
    /// # Security
    /// Contains the private scalar: persist it protected, never log or publish it.
    pub fn to_private_jwk(&self) -> Jwk {
        let d = AsBigEndian::<aws_lc_rs::encoding::EcPrivateKeyBin<'_>>::as_be_bytes(&self.private)
            .map(|b| base64url::encode(b.as_ref()))
            .ok();
        Jwk {
            d,
            ..self.public_jwk()
        }
    }

    /// The public JWK to publish in `client_metadata.jwks`.
    pub fn public_jwk(&self) -> Jwk {
        Jwk {
            kid: Some(self.public.thumbprint()),
            alg: Some("ECDH-ES".into()),
            use_: Some("enc".into()),
            ..self.public.to_jwk()
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    pub(crate) fn agree<R>(
        &self,
        peer: &PublicKey,
        kdf: impl FnOnce(&[u8]) -> Result<R, JoseError>,
    ) -> Result<R, JoseError> {
        agreement::agree(
            &self.private,
            agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, peer.sec1()),
            JoseError::DecryptionFailed,
            kdf,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_round_trips_through_its_private_jwk() {
        let key = SigningKey::generate().unwrap();
        let restored = SigningKey::from_jwk(&key.to_private_jwk()).unwrap();
        assert_eq!(restored.public_key(), key.public_key());
        let sig = restored.sign(b"hello").unwrap();
        key.public_key().verify(b"hello", &sig).unwrap();
        assert_eq!(
            key.public_key().verify(b"hellO", &sig),
            Err(JoseError::BadSignature)
        );
    }

    /// An external signer for the test: a software key behind the trait.
    struct Delegate(SigningKey);
    impl ExternalSigner for Delegate {
        fn sign_es256(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], JoseError> {
            self.0.sign(message)
        }
    }

    #[test]
    fn an_external_signer_signs_for_its_public_key_and_exports_nothing() {
        let inner = SigningKey::generate().unwrap();
        let public = inner.public_key().clone();
        let key =
            SigningKey::external(public.clone(), std::sync::Arc::new(Delegate(inner))).unwrap();
        assert!(key.is_external());
        assert_eq!(key.kid(), public.thumbprint());
        let sig = key.sign(b"hello").unwrap();
        public.verify(b"hello", &sig).unwrap();
        let exported = key.to_private_jwk();
        assert_eq!(exported.d, None);
        assert!(SigningKey::from_jwk(&exported).is_err());

        let other = SigningKey::generate().unwrap();
        assert!(matches!(
            SigningKey::external(public, std::sync::Arc::new(Delegate(other))),
            Err(JoseError::InvalidKey { .. })
        ));
    }

    #[test]
    fn public_jwk_with_private_part_is_rejected() {
        let key = SigningKey::generate().unwrap();
        assert!(matches!(
            PublicKey::from_jwk(&key.to_private_jwk()),
            Err(JoseError::InvalidKey { .. })
        ));
    }

    #[test]
    fn a_jwk_value_is_read_by_the_same_rules_as_a_jwk() {
        let key = SigningKey::generate().unwrap();
        let public = serde_json::to_value(key.public_key().to_jwk()).unwrap();
        assert_eq!(
            &PublicKey::from_jwk_value(&public).unwrap(),
            key.public_key()
        );
        let with = |member: &str, value: serde_json::Value| {
            let mut jwk = public.clone();
            jwk[member] = value;
            PublicKey::from_jwk_value(&jwk)
        };
        assert!(with("kid", "k-1".into()).is_ok());
        for (member, value) in [
            ("kid", serde_json::json!(7)),
            ("kty", "RSA".into()),
            ("crv", "P-384".into()),
            ("x", base64url::encode([1u8; 31]).into()),
            ("y", base64url::encode([1u8; 33]).into()),
            ("y", "AAAA=".into()),
            ("d", base64url::encode([1u8; 32]).into()),
            ("x", serde_json::Value::Null),
        ] {
            assert!(
                matches!(
                    with(member, value.clone()),
                    Err(JoseError::InvalidKey { .. })
                ),
                "{member}: {value}"
            );
        }
        let private = serde_json::to_value(key.to_private_jwk()).unwrap();
        assert!(PublicKey::from_jwk_value(&private).is_err());
        assert!(PublicKey::from_jwk_value(&serde_json::json!("not an object")).is_err());
    }

    #[test]
    fn point_off_the_curve_is_rejected() {
        let mut jwk = SigningKey::generate().unwrap().public_key().to_jwk();
        jwk.y = Some(base64url::encode([7u8; 32]));
        assert!(PublicKey::from_jwk(&jwk).is_err());
    }

    #[test]
    fn mismatched_private_jwk_is_rejected() {
        let a = SigningKey::generate().unwrap().to_private_jwk();
        let b = SigningKey::generate().unwrap().to_private_jwk();
        let mixed = Jwk { d: b.d, ..a };
        assert!(SigningKey::from_jwk(&mixed).is_err());
    }

    #[test]
    fn decryption_key_round_trips_through_its_private_jwk() {
        let key = DecryptionKey::generate().unwrap();
        let restored = DecryptionKey::from_jwk(&key.to_private_jwk()).unwrap();
        assert_eq!(restored.public_key(), key.public_key());
        assert!(!format!("{restored:?}").contains(key.to_private_jwk().d.as_deref().unwrap()));
    }
}
