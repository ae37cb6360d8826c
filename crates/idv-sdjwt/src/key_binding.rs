//! Key Binding JWT (RFC 9901 §4.3): the holder's signature over one presentation, bound to a
//! verifier (`aud`) and a transaction (`nonce`).

use idv_jose::jws::{self, Header, UnverifiedJws};
use idv_jose::{JoseError, PublicKey, SigningKey};
use serde::{Deserialize, Serialize};

use crate::{SdJwtError, sha256_b64};

/// The `typ` of a Key Binding JWT.
pub const KB_JWT_TYP: &str = "kb+jwt";

/// The claims of a Key Binding JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBindingClaims {
    /// When the holder signed.
    pub iat: i64,
    /// The verifier, as its full client identifier.
    pub aud: String,
    /// The verifier's transaction nonce.
    pub nonce: String,
    /// base64url(SHA-256(`<issuer JWT>~<disclosures>~`)) over exactly what is presented.
    pub sd_hash: String,
}

/// What the verifier requires of the Key Binding JWT.
#[derive(Debug, Clone, Copy)]
pub struct KeyBindingPolicy<'a> {
    /// The expected `aud`: this verifier's full client identifier.
    pub audience: &'a str,
    /// The expected `nonce`: this transaction's.
    pub nonce: &'a str,
    /// How old (seconds) the KB-JWT's `iat` may be.
    pub max_age: i64,
}

/// Appends a Key Binding JWT to `sd_jwt` (which must end in `~`), returning the SD-JWT+KB.
pub fn bind(
    sd_jwt: &str,
    holder: &SigningKey,
    audience: &str,
    nonce: &str,
    iat: i64,
) -> Result<String, SdJwtError> {
    if !sd_jwt.ends_with('~') {
        return Err(SdJwtError::Malformed {
            reason: "an SD-JWT to bind must end in '~'",
        });
    }
    let claims = KeyBindingClaims {
        iat,
        aud: audience.to_owned(),
        nonce: nonce.to_owned(),
        sd_hash: sha256_b64(sd_jwt.as_bytes()),
    };
    let kb = jws::sign_claims(&Header::es256(KB_JWT_TYP), &claims, holder)
        .map_err(SdJwtError::Signing)?;
    Ok(format!("{sd_jwt}{kb}"))
}

/// Verifies a KB-JWT against the holder key and `sd_hash`, base64url(SHA-256) of the
/// presentation up to and including its last `~`, in RFC 9901 §7.3 step 5 order. Returns the
/// KB-JWT's `iat`.
pub(crate) fn verify(
    kb_jwt: &str,
    sd_hash: &str,
    holder: &PublicKey,
    policy: &KeyBindingPolicy<'_>,
    now: i64,
    skew: i64,
) -> Result<i64, SdJwtError> {
    let verified = UnverifiedJws::parse(kb_jwt)
        .and_then(|jws| jws.verify(holder, &[KB_JWT_TYP]))
        .map_err(SdJwtError::KeyBindingJwt)?;
    let claims: serde_json::Map<String, serde_json::Value> =
        verified.claims().map_err(SdJwtError::KeyBindingJwt)?;
    let required = |name: &'static str| {
        claims
            .get(name)
            .ok_or(SdJwtError::KeyBindingJwt(JoseError::MissingClaim {
                claim: name,
            }))
    };
    let iat = idv_jose::jwt::numeric_date(&claims, "iat")
        .map_err(SdJwtError::KeyBindingJwt)?
        .ok_or(SdJwtError::KeyBindingJwt(JoseError::MissingClaim {
            claim: "iat",
        }))?;
    idv_jose::jwt::check_fresh(iat, now, policy.max_age, skew)
        .map_err(SdJwtError::KeyBindingJwt)?;
    if required("aud")?.as_str() != Some(policy.audience) {
        return Err(SdJwtError::KeyBindingAudience);
    }
    if required("nonce")?.as_str() != Some(policy.nonce) {
        return Err(SdJwtError::KeyBindingNonce);
    }
    if required("sd_hash")?.as_str() != Some(sd_hash) {
        return Err(SdJwtError::KeyBindingSdHash);
    }
    // The KB-JWT must be valid as a JWT in every other respect (RFC 9901 §7.3 step 5).
    idv_jose::jwt::Validity::from_claims(&claims)
        .and_then(|v| v.check(now, skew))
        .map_err(SdJwtError::KeyBindingJwt)?;
    Ok(iat)
}
