//! Key proofs: `openid4vci-proof+jwt` (OpenID4VCI 1.0 Appendix "Proof Types", `jwt`).
//!
//! Each proof shows the wallet holds the private key the credential will be bound to. We accept
//! ES256 proofs carrying the holder key as a `jwk` header (the HAIP profile); `kid` and `x5c`
//! need DID resolution or key attestations and are refused with a precise reason.

use idv_jose::jws::UnverifiedJws;
use idv_jose::{PublicKey, jwt};
use idv_proto::oid4vci::proof::{JwtProofClaims, PROOF_JWT_TYP};

use super::IssuanceError;

/// What every proof must satisfy.
#[derive(Debug, Clone, Copy)]
pub struct ProofPolicy<'a> {
    /// The Credential Issuer Identifier; each proof's `aud` must equal it exactly.
    pub credential_issuer: &'a str,
    /// The issuer's clock (Unix seconds).
    pub now: i64,
    /// How old a proof's `iat` may be (seconds).
    pub max_age: i64,
    /// Tolerated clock skew into the future (seconds).
    pub skew: i64,
    /// The most proofs one request may carry (`batch_credential_issuance.batch_size`).
    pub batch_size: usize,
}

/// A verified proof: the holder key to bind, and the `c_nonce` it carries (which the caller
/// must find live and consume exactly once).
#[derive(Debug, Clone)]
pub struct VerifiedProof {
    /// The key the credential will be bound to (`cnf.jwk`).
    pub holder_key: PublicKey,
    /// The `c_nonce` the proof carries.
    pub nonce: String,
}

/// Verifies every proof of a request; all must pass, and no two may prove the same key
/// (batch credentials must be bound to distinct keys for unlinkability).
pub fn verify_proofs(
    proofs: &[String],
    policy: &ProofPolicy<'_>,
) -> Result<Vec<VerifiedProof>, IssuanceError> {
    if proofs.is_empty() {
        return Err(IssuanceError::InvalidRequest {
            reason: "proofs.jwt is empty".into(),
        });
    }
    if proofs.len() > policy.batch_size {
        return Err(IssuanceError::InvalidRequest {
            reason: format!("at most {} proofs are accepted", policy.batch_size),
        });
    }
    let mut verified: Vec<VerifiedProof> = Vec::with_capacity(proofs.len());
    for (index, proof) in proofs.iter().enumerate() {
        let proof = verify_proof(index, proof, policy)?;
        if verified.iter().any(|p| p.holder_key == proof.holder_key) {
            return Err(IssuanceError::InvalidRequest {
                reason: format!("proof {index} repeats the key of an earlier proof"),
            });
        }
        verified.push(proof);
    }
    Ok(verified)
}

fn verify_proof(
    index: usize,
    proof: &str,
    policy: &ProofPolicy<'_>,
) -> Result<VerifiedProof, IssuanceError> {
    let jws = UnverifiedJws::parse(proof).map_err(|e| IssuanceError::jose(index, e))?;
    let header = jws.header();
    if header.get("kid").is_some() || header.get("x5c").is_some() {
        return Err(IssuanceError::proof(
            index,
            "only a jwk header key is supported (no kid, no x5c)",
        ));
    }
    let jwk = header
        .get("jwk")
        .ok_or_else(|| IssuanceError::proof(index, "the jwk header is missing"))?;
    let holder_key = PublicKey::from_jwk_value(jwk).map_err(|e| IssuanceError::jose(index, e))?;
    let verified = jws
        .verify(&holder_key, &[PROOF_JWT_TYP])
        .map_err(|e| IssuanceError::jose(index, e))?;
    let claims: JwtProofClaims = verified
        .claims()
        .map_err(|e| IssuanceError::jose(index, e))?;
    if claims.aud != policy.credential_issuer {
        return Err(IssuanceError::proof(
            index,
            "aud is not this Credential Issuer Identifier",
        ));
    }
    jwt::check_fresh(claims.iat, policy.now, policy.max_age, policy.skew)
        .map_err(|e| IssuanceError::jose(index, e))?;
    // OpenID4VCI 1.0 "Credential Request Errors": a proof without a `c_nonce` is an
    // `invalid_proof`; `invalid_nonce` is for a nonce that is present but not valid.
    let nonce = claims
        .nonce
        .ok_or_else(|| IssuanceError::proof(index, "the nonce claim (c_nonce) is missing"))?;
    Ok(VerifiedProof { holder_key, nonce })
}

#[cfg(test)]
mod tests {
    use idv_jose::SigningKey;
    use idv_jose::jws::{self, Header};
    use serde_json::{Value, json};

    use super::*;

    const ISSUER: &str = "https://idsp.example";
    const NOW: i64 = 1_800_000_000;

    fn policy() -> ProofPolicy<'static> {
        ProofPolicy {
            credential_issuer: ISSUER,
            now: NOW,
            max_age: 300,
            skew: 60,
            batch_size: 10,
        }
    }

    fn proof_with(key: &SigningKey, header: Header, claims: Value) -> String {
        jws::sign_claims(&header, &claims, key).unwrap()
    }

    fn proof(key: &SigningKey) -> String {
        proof_with(
            key,
            Header::es256(PROOF_JWT_TYP).with("jwk", json!(key.public_key().to_jwk())),
            json!({"aud": ISSUER, "iat": NOW, "nonce": "c-nonce-1"}),
        )
    }

    #[test]
    fn a_batch_of_proofs_yields_one_holder_key_each() {
        let keys: Vec<SigningKey> = (0..3).map(|_| SigningKey::generate().unwrap()).collect();
        let proofs: Vec<String> = keys.iter().map(proof).collect();
        let verified = verify_proofs(&proofs, &policy()).unwrap();
        assert_eq!(verified.len(), 3);
        for (v, k) in verified.iter().zip(&keys) {
            assert_eq!(&v.holder_key, k.public_key());
            assert_eq!(v.nonce, "c-nonce-1");
        }
    }

    #[test]
    fn two_proofs_for_one_key_are_refused() {
        let key = SigningKey::generate().unwrap();
        let err = verify_proofs(&[proof(&key), proof(&key)], &policy()).unwrap_err();
        assert!(matches!(err, IssuanceError::InvalidRequest { .. }));
    }

    #[test]
    fn more_proofs_than_the_batch_size_are_refused() {
        let key = SigningKey::generate().unwrap();
        let proofs = vec![proof(&key); 11];
        assert!(matches!(
            verify_proofs(&proofs, &policy()),
            Err(IssuanceError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn proofs_with_wrong_typ_aud_iat_or_key_are_invalid() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let jwk = json!(key.public_key().to_jwk());
        let good_claims = json!({"aud": ISSUER, "iat": NOW, "nonce": "n"});
        let cases = [
            (
                "typ JWT",
                proof_with(
                    &key,
                    Header::es256("JWT").with("jwk", jwk.clone()),
                    good_claims.clone(),
                ),
            ),
            (
                "wrong aud",
                proof_with(
                    &key,
                    Header::es256(PROOF_JWT_TYP).with("jwk", jwk.clone()),
                    json!({"aud": "https://other.example", "iat": NOW, "nonce": "n"}),
                ),
            ),
            (
                "stale iat",
                proof_with(
                    &key,
                    Header::es256(PROOF_JWT_TYP).with("jwk", jwk.clone()),
                    json!({"aud": ISSUER, "iat": NOW - 3600, "nonce": "n"}),
                ),
            ),
            (
                "future iat",
                proof_with(
                    &key,
                    Header::es256(PROOF_JWT_TYP).with("jwk", jwk.clone()),
                    json!({"aud": ISSUER, "iat": NOW + 3600, "nonce": "n"}),
                ),
            ),
            (
                "signed by another key",
                proof_with(
                    &other,
                    Header::es256(PROOF_JWT_TYP).with("jwk", jwk.clone()),
                    good_claims.clone(),
                ),
            ),
            (
                "kid instead of jwk",
                proof_with(
                    &key,
                    Header::es256(PROOF_JWT_TYP).with("kid", "did:example:1#0"),
                    good_claims.clone(),
                ),
            ),
            (
                "private key in header",
                proof_with(
                    &key,
                    Header::es256(PROOF_JWT_TYP).with("jwk", json!(key.to_private_jwk())),
                    good_claims.clone(),
                ),
            ),
            (
                "no key",
                proof_with(&key, Header::es256(PROOF_JWT_TYP), good_claims.clone()),
            ),
        ];
        for (why, proof) in cases {
            assert!(
                matches!(
                    verify_proofs(&[proof], &policy()),
                    Err(IssuanceError::InvalidProof { index: 0, .. }
                        | IssuanceError::UnverifiableProof { index: 0, .. })
                ),
                "{why}"
            );
        }
    }

    #[test]
    fn a_proof_without_nonce_is_an_invalid_proof() {
        let key = SigningKey::generate().unwrap();
        let p = proof_with(
            &key,
            Header::es256(PROOF_JWT_TYP).with("jwk", json!(key.public_key().to_jwk())),
            json!({"aud": ISSUER, "iat": NOW}),
        );
        assert!(matches!(
            verify_proofs(&[p], &policy()).unwrap_err(),
            IssuanceError::InvalidProof { index: 0, .. }
        ));
    }
}
