//! Verifier Attestation JWT claims: the trust list operator attests a registered relying
//! party's key and purposes. The relying party signs its Request Objects with the `cnf` key and
//! carries the attestation in the JOSE header `jwt`, using client identifier
//! `verifier_attestation:<sub>`.
//!
//! OpenID4VP 1.0 "Defined Client Identifier Prefixes" (`verifier_attestation`) and
//! "Verifier Attestation JWT"; `rp_id`, `organisation` and `purposes` are ours
//! (docs/trust-list.md).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::trust::entry::Organisation;
use crate::trust::relying_party::Purpose;

/// JOSE header `typ` of a Verifier Attestation JWT.
pub const VERIFIER_ATTESTATION_TYP: &str = "verifier-attestation+jwt";

/// Client identifier prefix under which a verifier authenticates with an attestation.
pub const VERIFIER_ATTESTATION_CLIENT_ID_PREFIX: &str = "verifier_attestation:";

/// JOSE header parameter of a Request Object that carries the attestation.
pub const VERIFIER_ATTESTATION_HEADER: &str = "jwt";

/// The claims of a Verifier Attestation JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierAttestationClaims {
    /// The attester (the trust list operator).
    pub iss: String,
    /// The original client identifier, without the `verifier_attestation:` prefix.
    pub sub: String,
    /// Issue time (seconds since the epoch).
    pub iat: i64,
    /// Expiry time (seconds since the epoch); required.
    pub exp: i64,
    /// The key the relying party signs Request Objects with.
    pub cnf: Confirmation,
    /// When present, the only redirect URIs the relying party may use (exact match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    /// The relying party's register identifier.
    pub rp_id: String,
    /// The relying party's organisation.
    pub organisation: Organisation,
    /// Registered purposes and the claims each may request.
    pub purposes: Vec<Purpose>,
}

/// The `cnf` claim (RFC 7800) holding the attested public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The public JWK; `idv-jose` interprets it.
    pub jwk: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verifier_attestation_claims_round_trip() {
        let example = json!({
            "iss": "https://trust.sim.ofdia.example",
            "sub": "shop.example.co.uk",
            "iat": 1767225600,
            "exp": 1767312000,
            "cnf": {"jwk": {"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}},
            "redirect_uris": ["https://shop.example.co.uk/cb"],
            "rp_id": "rp-000007",
            "organisation": {"name": "Example Off-Licence Ltd"},
            "purposes": [{"code": "AGE", "claims": [["age_over_18"]]}]
        });
        let claims: VerifierAttestationClaims = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(
            claims.purposes[0].claims[0].to_string(),
            r#"["age_over_18"]"#
        );
        assert_eq!(serde_json::to_value(&claims).unwrap(), example);
    }

    #[test]
    fn attestation_without_exp_or_cnf_is_rejected() {
        let base = json!({
            "iss": "i", "sub": "s", "iat": 1, "exp": 2,
            "cnf": {"jwk": {}}, "rp_id": "r",
            "organisation": {"name": "o"}, "purposes": []
        });
        for missing in ["exp", "cnf"] {
            let mut value = base.clone();
            value.as_object_mut().unwrap().remove(missing);
            assert!(serde_json::from_value::<VerifierAttestationClaims>(value).is_err());
        }
        assert!(serde_json::from_value::<VerifierAttestationClaims>(base).is_ok());
    }
}
