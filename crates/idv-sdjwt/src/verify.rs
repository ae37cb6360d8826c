//! The verifier's side: RFC 9901 §7.1 and §7.3.
//!
//! [`UnverifiedSdJwt::parse`] splits a presentation without trusting anything. The caller
//! reads the unverified issuer (`iss`, `kid`) only to resolve the issuer's key by its own trust
//! rules, then [`UnverifiedSdJwt::verify`] runs every check and yields a [`VerifiedSdJwt`].

use idv_jose::digest::Sha256;
use idv_jose::jws::{Header, UnverifiedJws};
use idv_jose::{JoseError, PublicKey};
use idv_proto::claims_path::PathElement;
use serde_json::{Map, Value};

use crate::disclosure::Decoded;
use crate::key_binding::{self, KeyBindingPolicy};
use crate::process::process;
use crate::{SD_ALG, SdJwtError};

/// The largest presentation we read (a portrait makes identity credentials tens of KiB).
pub const MAX_LENGTH: usize = 512 * 1024;
/// The most disclosures we process in one SD-JWT.
pub const MAX_DISCLOSURES: usize = 256;

/// What the verifier requires, decided before looking at the presentation (RFC 9901 §7.3
/// step 1: whether key binding is required must not depend on what was sent).
#[derive(Debug, Clone, Copy)]
pub struct VerifyPolicy<'a> {
    /// Accepted `typ` values of the issuer-signed JWT.
    pub typ: &'a [&'a str],
    /// The verifier's current time (Unix seconds).
    pub now: i64,
    /// Clock skew tolerated on `exp`, `nbf` and `iat` (seconds).
    pub skew: i64,
    /// `Some` when a Key Binding JWT is required, with what it must say.
    pub key_binding: Option<KeyBindingPolicy<'a>>,
}

/// Default clock skew: one minute.
pub const DEFAULT_SKEW: i64 = 60;
/// Default Key Binding JWT freshness: five minutes.
pub const DEFAULT_KB_MAX_AGE: i64 = 300;

/// A split SD-JWT or SD-JWT+KB whose signatures and digests are not yet checked.
#[derive(Debug)]
pub struct UnverifiedSdJwt<'a> {
    issuer_jwt: UnverifiedJws<'a>,
    claims: Map<String, Value>,
    disclosures: Vec<&'a str>,
    kb_jwt: Option<&'a str>,
    sd_hash_input: &'a str,
}

impl<'a> UnverifiedSdJwt<'a> {
    /// Splits `<JWT>~<D1>~...~<Dn>~[<KB-JWT>]` and decodes the issuer JWT.
    pub fn parse(compact: &'a str) -> Result<Self, SdJwtError> {
        if compact.len() > MAX_LENGTH {
            return Err(SdJwtError::TooLarge { limit: "length" });
        }
        let last_tilde = compact.rfind('~').ok_or(SdJwtError::Malformed {
            reason: "no '~' separator",
        })?;
        let (sd_hash_input, kb) = compact.split_at(last_tilde + 1);
        let mut parts = sd_hash_input[..last_tilde].split('~');
        let jwt = parts.next().unwrap_or_default();
        if jwt.is_empty() {
            return Err(SdJwtError::Malformed {
                reason: "missing issuer-signed JWT",
            });
        }
        let disclosures: Vec<&str> = parts.collect();
        if disclosures.len() > MAX_DISCLOSURES {
            return Err(SdJwtError::TooLarge {
                limit: "disclosures",
            });
        }
        if disclosures.iter().any(|d| d.is_empty()) {
            return Err(SdJwtError::Malformed {
                reason: "empty disclosure",
            });
        }
        let issuer_jwt = UnverifiedJws::parse(jwt).map_err(SdJwtError::IssuerJwt)?;
        let claims = issuer_jwt
            .insecure_claims()
            .map_err(SdJwtError::IssuerJwt)?;
        Ok(Self {
            issuer_jwt,
            claims,
            disclosures,
            kb_jwt: (!kb.is_empty()).then_some(kb),
            sd_hash_input,
        })
    }

    /// The issuer JWT's header, unauthenticated.
    pub fn header(&self) -> &Header {
        self.issuer_jwt.header()
    }

    /// The issuer JWT's payload before any check.
    ///
    /// # Security
    /// Unauthenticated: read it only to pick the issuer key to verify with (`iss`).
    pub fn insecure_claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Runs RFC 9901 §7.1 and §7.3 with `issuer_key`, which the caller resolved from its trust
    /// configuration for this issuer.
    pub fn verify(
        self,
        issuer_key: &PublicKey,
        policy: &VerifyPolicy<'_>,
    ) -> Result<VerifiedSdJwt, SdJwtError> {
        match (policy.key_binding.is_some(), self.kb_jwt.is_some()) {
            (true, false) => return Err(SdJwtError::KeyBindingMissing),
            (false, true) => return Err(SdJwtError::UnexpectedKeyBinding),
            _ => {}
        }
        let verified = self
            .issuer_jwt
            .verify(issuer_key, policy.typ)
            .map_err(SdJwtError::IssuerJwt)?;
        let header = verified.into_header();
        match self.claims.get("_sd_alg") {
            None => {}
            Some(Value::String(alg)) if alg == SD_ALG => {}
            Some(other) => {
                return Err(SdJwtError::UnsupportedSdAlg {
                    alg: other.as_str().unwrap_or("(not a string)").to_owned(),
                });
            }
        }
        let disclosures = self
            .disclosures
            .iter()
            .enumerate()
            .map(|(index, encoded)| Decoded::parse(encoded, index))
            .collect::<Result<Vec<_>, _>>()?;
        let processed = process(self.claims, disclosures)?;
        idv_jose::jwt::Validity::from_claims(&processed.claims)
            .and_then(|v| v.check(policy.now, policy.skew))
            .map_err(SdJwtError::IssuerJwt)?;

        let (key_binding, presentation_sha256) = match (policy.key_binding, self.kb_jwt) {
            (Some(kb_policy), Some(kb_jwt)) => {
                let holder_key = holder_key(&processed.claims)?;
                // One pass over the presentation gives both the `sd_hash` (up to the last `~`)
                // and, carried on over the KB-JWT, the digest of the whole presentation.
                let mut hash = Sha256::new();
                hash.update(self.sd_hash_input.as_bytes());
                let sd_hash = hash.clone().finish_b64();
                hash.update(kb_jwt.as_bytes());
                let iat = key_binding::verify(
                    kb_jwt,
                    &sd_hash,
                    &holder_key,
                    &kb_policy,
                    policy.now,
                    policy.skew,
                )?;
                (
                    Some(VerifiedKeyBinding { iat, holder_key }),
                    Some(hash.finish()),
                )
            }
            _ => (None, None),
        };
        Ok(VerifiedSdJwt {
            header,
            claims: processed.claims,
            disclosed_paths: processed.disclosed_paths,
            key_binding,
            presentation_sha256,
        })
    }
}

/// The holder's key from `cnf.jwk` (RFC 7800) of a processed payload.
pub fn holder_key(claims: &Map<String, Value>) -> Result<PublicKey, SdJwtError> {
    let jwk = claims
        .get("cnf")
        .and_then(|cnf| cnf.get("jwk"))
        .ok_or(SdJwtError::HolderKey(JoseError::MissingClaim {
            claim: "cnf.jwk",
        }))?;
    PublicKey::from_jwk_value(jwk).map_err(SdJwtError::HolderKey)
}

/// A verified Key Binding JWT.
#[derive(Debug, Clone)]
pub struct VerifiedKeyBinding {
    /// When the holder signed the presentation.
    pub iat: i64,
    /// The key that signed it (from `cnf.jwk`).
    pub holder_key: PublicKey,
}

/// An SD-JWT that passed every check: the Processed SD-JWT Payload of RFC 9901 §7.1.
#[derive(Debug, Clone)]
pub struct VerifiedSdJwt {
    header: Header,
    claims: Map<String, Value>,
    disclosed_paths: Vec<Vec<PathElement>>,
    key_binding: Option<VerifiedKeyBinding>,
    presentation_sha256: Option<[u8; 32]>,
}

impl VerifiedSdJwt {
    /// The issuer JWT's verified header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The processed payload: plain claims plus disclosed ones, no `_sd`/`_sd_alg`.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Consumes the result, returning the processed payload.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// Where each presented disclosure was inserted, in presentation order.
    pub fn disclosed_paths(&self) -> &[Vec<PathElement>] {
        &self.disclosed_paths
    }

    /// The verified key binding, when the policy required one.
    pub fn key_binding(&self) -> Option<&VerifiedKeyBinding> {
        self.key_binding.as_ref()
    }

    /// SHA-256 of the whole SD-JWT+KB exactly as presented (`<issuer JWT>~<disclosures>~<KB-JWT>`),
    /// when a Key Binding JWT was verified; `None` otherwise. It comes from the `sd_hash` pass,
    /// carried on over the KB-JWT, so it costs no second pass over the presentation: a record
    /// of the verification can keep it to name exactly what was presented.
    pub fn presentation_sha256(&self) -> Option<[u8; 32]> {
        self.presentation_sha256
    }
}
