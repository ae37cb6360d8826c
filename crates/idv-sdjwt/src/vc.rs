//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): the credential profile on top of SD-JWT.
//!
//! Adds explicit typing (`dc+sd-jwt`; legacy `vc+sd-jwt` only when a verifier opts in), a
//! required plain-text `vct`, and claims that must never be selectively disclosable.

use idv_jose::{PublicKey, Random, SigningKey};
use idv_proto::claims_path::{ClaimsPath, PathElement};
use serde_json::{Map, Value, json};

use crate::SdJwtError;
use crate::issue::SdJwtIssuer;
use crate::verify::VerifiedSdJwt;

/// The SD-JWT VC `typ` and media type suffix.
pub const TYP: &str = "dc+sd-jwt";
/// The `typ` used until late 2024; accepted on input only when configured.
pub const LEGACY_TYP: &str = "vc+sd-jwt";

/// Claims that must always be plain text, including their sub-claims
/// ("Registered JWT Claims"; RFC 9901 §9.7).
pub const ALWAYS_PLAIN: &[&str] = &[
    "iss",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "aka_vcts",
];

/// The `typ` values a verifier accepts.
pub fn accepted_typ(allow_legacy: bool) -> &'static [&'static str] {
    if allow_legacy {
        &[TYP, LEGACY_TYP]
    } else {
        &[TYP]
    }
}

/// `{"jwk": <public JWK>}`, the `cnf` claim binding a credential to a holder key.
pub fn cnf(holder: &PublicKey) -> Value {
    json!({ "jwk": holder.to_jwk() })
}

/// Issues an SD-JWT VC: `claims` must hold a string `vct`; `conceal` must not touch any
/// claim of [`ALWAYS_PLAIN`].
pub fn issue(
    key: &SigningKey,
    rng: &dyn Random,
    claims: Map<String, Value>,
    conceal: &[ClaimsPath],
) -> Result<String, SdJwtError> {
    if !claims.get("vct").is_some_and(Value::is_string) {
        return Err(SdJwtError::MissingClaim { claim: "vct" });
    }
    if let Some(claim) = conceal.iter().find_map(|p| protected_root(p.elements())) {
        return Err(SdJwtError::ClaimMustBePlain { claim });
    }
    SdJwtIssuer::new(key, rng, TYP).issue(claims, conceal)
}

fn protected_root(path: &[PathElement]) -> Option<String> {
    match path.first() {
        Some(PathElement::Key(name)) if ALWAYS_PLAIN.contains(&name.as_str()) => Some(name.clone()),
        _ => None,
    }
}

/// An SD-JWT VC that passed the SD-JWT checks and the SD-JWT VC rules.
#[derive(Debug, Clone)]
pub struct VerifiedSdJwtVc {
    sd_jwt: VerifiedSdJwt,
}

impl VerifiedSdJwtVc {
    /// Applies the SD-JWT VC rules to a verified SD-JWT: a string `vct`, `iss` a string when
    /// present, and no claim of [`ALWAYS_PLAIN`] (or anything inside one) disclosed.
    pub fn from_verified(sd_jwt: VerifiedSdJwt) -> Result<Self, SdJwtError> {
        if let Some(claim) = sd_jwt
            .disclosed_paths()
            .iter()
            .find_map(|p| protected_root(p))
        {
            return Err(SdJwtError::ClaimMustBePlain { claim });
        }
        if !sd_jwt.claims().get("vct").is_some_and(Value::is_string) {
            return Err(SdJwtError::MissingClaim { claim: "vct" });
        }
        if sd_jwt
            .claims()
            .get("iss")
            .is_some_and(|iss| !iss.is_string())
        {
            return Err(SdJwtError::MissingClaim { claim: "iss" });
        }
        Ok(Self { sd_jwt })
    }

    /// The credential type.
    pub fn vct(&self) -> &str {
        self.sd_jwt
            .claims()
            .get("vct")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The issuer identifier, when present.
    pub fn iss(&self) -> Option<&str> {
        self.sd_jwt.claims().get("iss").and_then(Value::as_str)
    }

    /// The underlying verified SD-JWT.
    pub fn sd_jwt(&self) -> &VerifiedSdJwt {
        &self.sd_jwt
    }

    /// Consumes the wrapper.
    pub fn into_sd_jwt(self) -> VerifiedSdJwt {
        self.sd_jwt
    }
}
