//! Relying parties: Verifier Attestation JWTs and purpose limits (OpenID4VP 1.0
//! `verifier_attestation:` client identifier prefix; our registered purposes, docs/trust-list.md).
//!
//! The trust list operator signs an attestation binding a registered relying party's client
//! identifier to its request-signing key (`cnf.jwk`) and its registered purposes. The wallet
//! verifies it against the pinned anchors ([`verify_verifier_attestation`]), verifies the
//! Request Object with [`VerifiedAttestation::key`], and refuses requests for claims beyond the
//! purpose ([`check_within_purpose`]): a shop registered for AGE cannot ask for a name.

use idv_jose::jws::{self, Header};
use idv_jose::jwt::Validity;
use idv_jose::{PublicKey, SigningKey};
use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_proto::trust::entry::SchemeCode;
use idv_proto::trust::relying_party::{Purpose, RelyingPartyEntry, RelyingPartyStatus};
use idv_proto::trust::verifier_attestation::{
    VERIFIER_ATTESTATION_CLIENT_ID_PREFIX, VERIFIER_ATTESTATION_TYP, VerifierAttestationClaims,
};

use crate::TrustError;
use crate::anchors::TrustAnchors;
use crate::list::{VerifiedTrustList, verify_signed};

/// Largest attestation accepted, in bytes; checked before parsing.
pub const MAX_ATTESTATION_BYTES: usize = 64 * 1024;
/// Clock skew tolerated on an attestation's `iat` and `exp`: one minute.
pub const ATTESTATION_SKEW: i64 = 60;

/// Signs an attestation with the operator's `key` (`typ: verifier-attestation+jwt`, `kid` the
/// key's thumbprint). Refuses claims whose `cnf.jwk` is not a public P-256 key or whose `exp`
/// is not after `iat`.
pub fn issue_verifier_attestation(
    claims: &VerifierAttestationClaims,
    key: &SigningKey,
) -> Result<String, TrustError> {
    PublicKey::from_jwk_value(&claims.cnf.jwk)?;
    if claims.exp <= claims.iat {
        return Err(TrustError::MalformedAttestation {
            reason: "exp must be after iat".into(),
        });
    }
    let header = Header::es256(VERIFIER_ATTESTATION_TYP).with("kid", key.kid());
    Ok(jws::sign_claims(&header, claims, key)?)
}

/// An attestation signed by a pinned anchor and valid now.
#[derive(Debug, Clone)]
pub struct VerifiedAttestation {
    claims: VerifierAttestationClaims,
    key: PublicKey,
    anchor_kid: String,
}

impl VerifiedAttestation {
    /// The verified claims.
    pub fn claims(&self) -> &VerifierAttestationClaims {
        &self.claims
    }

    /// The attested request-signing key (`cnf.jwk`): verify the Request Object with it.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The original client identifier (`sub`).
    pub fn sub(&self) -> &str {
        &self.claims.sub
    }

    /// The full client identifier the request must carry: `verifier_attestation:<sub>`.
    pub fn client_id(&self) -> String {
        format!("{VERIFIER_ATTESTATION_CLIENT_ID_PREFIX}{}", self.claims.sub)
    }

    /// The registered purposes.
    pub fn purposes(&self) -> &[Purpose] {
        &self.claims.purposes
    }

    /// The `kid` of the anchor that signed the attestation.
    pub fn anchor_kid(&self) -> &str {
        &self.anchor_kid
    }

    /// Checks the request's full `client_id` is `verifier_attestation:<sub>`.
    pub fn check_client_id(&self, client_id: &str) -> Result<(), TrustError> {
        let expected = self.client_id();
        if client_id == expected {
            Ok(())
        } else {
            Err(TrustError::ClientIdMismatch {
                expected,
                found: client_id.to_owned(),
            })
        }
    }

    /// Checks a redirect or response URI against the attested `redirect_uris` (exact match);
    /// any URI passes when the attestation lists none.
    pub fn check_redirect_uri(&self, uri: &str) -> Result<(), TrustError> {
        match &self.claims.redirect_uris {
            Some(uris) if !uris.iter().any(|u| u == uri) => {
                Err(TrustError::RedirectUriNotAttested {
                    uri: uri.to_owned(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Verifies an attestation at `now`: size cap, `typ: verifier-attestation+jwt`, ES256, `kid`
/// among the pinned anchors, signature, `exp` (required) not passed, `iat` not in the future,
/// and `cnf.jwk` a public P-256 key.
pub fn verify_verifier_attestation(
    jwt: &str,
    anchors: &TrustAnchors,
    now: i64,
) -> Result<VerifiedAttestation, TrustError> {
    let signed = verify_signed(
        jwt,
        anchors,
        VERIFIER_ATTESTATION_TYP,
        MAX_ATTESTATION_BYTES,
    )?;
    let claims: VerifierAttestationClaims =
        serde_json::from_slice(signed.jws.payload()).map_err(|e| {
            TrustError::MalformedAttestation {
                reason: e.to_string(),
            }
        })?;
    Validity {
        iat: Some(claims.iat),
        nbf: None,
        exp: Some(claims.exp),
    }
    .check(now, ATTESTATION_SKEW)?;
    let key = PublicKey::from_jwk_value(&claims.cnf.jwk)?;
    Ok(VerifiedAttestation {
        claims,
        key,
        anchor_kid: signed.anchor_kid,
    })
}

/// Checks that every `requested` claim lies within a claim registered for `purpose` in
/// `registered` (an attestation's [`VerifiedAttestation::purposes`] or a list entry's
/// `purposes`). A requested path is allowed iff it equals or lies inside a registered path:
/// `["address"]` covers `["address", "locality"]`, and a registered `null` (all elements)
/// covers any index.
///
/// The caller must list every claim a request can reveal: a DCQL credential query without
/// `claims` asks for the whole credential and must be refused before this point.
pub fn check_within_purpose(
    registered: &[Purpose],
    purpose: SchemeCode,
    requested: &[ClaimsPath],
) -> Result<(), TrustError> {
    if !registered.iter().any(|p| p.code == purpose) {
        return Err(TrustError::PurposeNotRegistered { purpose });
    }
    let allowed: Vec<&ClaimsPath> = registered
        .iter()
        .filter(|p| p.code == purpose)
        .flat_map(|p| p.claims.iter())
        .collect();
    match requested
        .iter()
        .find(|claim| !allowed.iter().any(|reg| covers(reg, claim)))
    {
        Some(claim) => Err(TrustError::BeyondRegisteredPurpose {
            purpose,
            claim: claim.clone(),
        }),
        None => Ok(()),
    }
}

/// Whether `registered` equals `requested` or is an ancestor of it.
fn covers(registered: &ClaimsPath, requested: &ClaimsPath) -> bool {
    let (registered, requested) = (registered.elements(), requested.elements());
    registered.len() <= requested.len()
        && registered
            .iter()
            .zip(requested)
            .all(|(reg, req)| match (reg, req) {
                (PathElement::Key(a), PathElement::Key(b)) => a == b,
                (PathElement::Index(a), PathElement::Index(b)) => a == b,
                (PathElement::AllElements, PathElement::AllElements | PathElement::Index(_)) => {
                    true
                }
                _ => false,
            })
}

/// The relying party registered under the original `client_id`, when it is active.
pub fn check_relying_party_listed<'l>(
    list: &'l VerifiedTrustList,
    client_id: &str,
) -> Result<&'l RelyingPartyEntry, TrustError> {
    let rp = list
        .relying_party(client_id)
        .ok_or_else(|| TrustError::UnknownRelyingParty {
            client_id: client_id.to_owned(),
        })?;
    if rp.status != RelyingPartyStatus::Active {
        return Err(TrustError::RelyingPartyNotActive { status: rp.status });
    }
    Ok(rp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(json: &str) -> ClaimsPath {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_registered_path_covers_itself_and_its_descendants_only() {
        assert!(covers(&path(r#"["address"]"#), &path(r#"["address"]"#)));
        assert!(covers(
            &path(r#"["address"]"#),
            &path(r#"["address","locality"]"#)
        ));
        assert!(!covers(
            &path(r#"["address","locality"]"#),
            &path(r#"["address"]"#)
        ));
        assert!(!covers(&path(r#"["address"]"#), &path(r#"["addresses"]"#)));
        assert!(covers(&path(r#"["nat",null]"#), &path(r#"["nat",0]"#)));
        assert!(!covers(&path(r#"["nat",0]"#), &path(r#"["nat",null]"#)));
        assert!(covers(&path(r#"["nat",0]"#), &path(r#"["nat",0]"#)));
    }
}
