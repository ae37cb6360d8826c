//! Claims of a key proof JWT (`typ: openid4vci-proof+jwt`) sent in `proofs.jwt`.
//!
//! OpenID4VCI 1.0 Appendix "Proof Types" / "jwt Proof Type".

use serde::{Deserialize, Serialize};

/// JOSE header `typ` of a key proof JWT.
pub const PROOF_JWT_TYP: &str = "openid4vci-proof+jwt";

/// Body of a key proof JWT. The header carries exactly one of `kid`, `jwk`, `x5c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtProofClaims {
    /// The wallet's `client_id`; omitted for anonymous pre-authorized access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The Credential Issuer Identifier.
    pub aud: String,
    /// Issuance time (seconds since the epoch).
    pub iat: i64,
    /// The `c_nonce` from the nonce endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anonymous_proof_claims_round_trip_without_iss() {
        let example = json!({ "aud": "https://idsp.example", "iat": 1701960444, "nonce": "LarRGSbmUPYtRYO6BQ4yn8" });
        let claims: JwtProofClaims = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(claims.iss, None);
        assert_eq!(serde_json::to_value(&claims).unwrap(), example);
    }

    #[test]
    fn proof_without_aud_or_with_fractional_iat_is_rejected() {
        assert!(serde_json::from_value::<JwtProofClaims>(json!({ "iat": 1 })).is_err());
        assert!(
            serde_json::from_value::<JwtProofClaims>(json!({ "aud": "a", "iat": 1.5 })).is_err()
        );
    }
}
