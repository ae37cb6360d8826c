//! Verifier attestations and registered purposes: a shop registered for age checks cannot
//! ask for a name.

use idv_jose::jws::{self, Header};
use idv_jose::{JoseError, SigningKey};
use idv_proto::trust::entry::{Organisation, SchemeCode};
use idv_proto::trust::relying_party::RelyingPartyStatus;
use idv_proto::trust::verifier_attestation::{
    Confirmation, VERIFIER_ATTESTATION_TYP, VerifierAttestationClaims,
};
use idv_trust::TrustError;
use idv_trust::attestation::{
    VerifiedAttestation, check_relying_party_listed, check_within_purpose,
    issue_verifier_attestation, verify_verifier_attestation,
};
use serde_json::json;

use crate::helpers::{DAY, EMPLOYER, Fixture, NOW, SHOP, path};

/// The shop's attestation claims, copied from its list registration.
fn shop_claims(fixture: &Fixture, request_key: &SigningKey) -> VerifierAttestationClaims {
    let claims = fixture.claims();
    let rp = claims
        .relying_parties
        .iter()
        .find(|rp| rp.client_id == SHOP)
        .unwrap();
    VerifierAttestationClaims {
        iss: claims.iss.clone(),
        sub: SHOP.into(),
        iat: NOW - 60,
        exp: NOW + DAY,
        cnf: Confirmation {
            jwk: serde_json::to_value(request_key.public_key().to_jwk()).unwrap(),
        },
        redirect_uris: Some(vec![format!("https://{SHOP}/callback")]),
        rp_id: rp.rp_id.clone(),
        organisation: Organisation {
            name: rp.organisation.name.clone(),
            company_number: None,
        },
        purposes: rp.purposes.clone(),
    }
}

fn shop_attestation(fixture: &Fixture) -> (SigningKey, VerifiedAttestation) {
    let request_key = SigningKey::generate().unwrap();
    let jwt =
        issue_verifier_attestation(&shop_claims(fixture, &request_key), &fixture.anchor).unwrap();
    let verified = verify_verifier_attestation(&jwt, &fixture.anchors, NOW).unwrap();
    (request_key, verified)
}

#[test]
fn issued_attestation_verifies_and_yields_the_request_signing_key() {
    let fixture = Fixture::new();
    let (request_key, attestation) = shop_attestation(&fixture);
    assert_eq!(attestation.key(), request_key.public_key());
    assert_eq!(attestation.sub(), SHOP);
    assert_eq!(
        attestation.client_id(),
        format!("verifier_attestation:{SHOP}")
    );
    assert_eq!(attestation.anchor_kid(), fixture.anchor.kid());
    assert_eq!(attestation.claims().rp_id, "rp-000007");
    assert_eq!(
        attestation.check_client_id(&format!("verifier_attestation:{SHOP}")),
        Ok(())
    );
    assert!(matches!(
        attestation.check_client_id(SHOP),
        Err(TrustError::ClientIdMismatch { .. })
    ));
    assert_eq!(
        attestation.check_redirect_uri(&format!("https://{SHOP}/callback")),
        Ok(())
    );
    assert!(matches!(
        attestation.check_redirect_uri(&format!("https://{SHOP}/callback/../evil")),
        Err(TrustError::RedirectUriNotAttested { .. })
    ));
}

#[test]
fn attestation_signed_by_a_key_that_is_not_pinned_is_rejected() {
    let fixture = Fixture::new();
    let attacker = SigningKey::generate().unwrap();
    let jwt = issue_verifier_attestation(&shop_claims(&fixture, &attacker), &attacker).unwrap();
    assert_eq!(
        verify_verifier_attestation(&jwt, &fixture.anchors, NOW).err(),
        Some(TrustError::UnknownAnchorKey {
            kid: attacker.kid()
        })
    );
}

#[test]
fn attestation_with_the_wrong_typ_is_rejected() {
    let fixture = Fixture::new();
    let claims = shop_claims(&fixture, &SigningKey::generate().unwrap());
    let header = Header::es256("dvs-trust-list+jwt").with("kid", fixture.anchor.kid());
    let jwt = jws::sign_claims(&header, &claims, &fixture.anchor).unwrap();
    assert!(matches!(
        verify_verifier_attestation(&jwt, &fixture.anchors, NOW),
        Err(TrustError::Jose(JoseError::UnexpectedType { .. }))
    ));
}

#[test]
fn expired_or_future_attestation_is_rejected() {
    let fixture = Fixture::new();
    let claims = shop_claims(&fixture, &SigningKey::generate().unwrap());
    let jwt = issue_verifier_attestation(&claims, &fixture.anchor).unwrap();
    assert!(matches!(
        verify_verifier_attestation(&jwt, &fixture.anchors, claims.exp + 60),
        Err(TrustError::Jose(JoseError::Expired { .. }))
    ));
    assert!(matches!(
        verify_verifier_attestation(&jwt, &fixture.anchors, claims.iat - 61),
        Err(TrustError::Jose(JoseError::IssuedInFuture { .. }))
    ));
}

#[test]
fn attestation_without_exp_is_rejected() {
    let fixture = Fixture::new();
    let mut claims =
        serde_json::to_value(shop_claims(&fixture, &SigningKey::generate().unwrap())).unwrap();
    claims.as_object_mut().unwrap().remove("exp");
    let header = Header::es256(VERIFIER_ATTESTATION_TYP).with("kid", fixture.anchor.kid());
    let jwt = jws::sign_claims(&header, &claims, &fixture.anchor).unwrap();
    assert!(matches!(
        verify_verifier_attestation(&jwt, &fixture.anchors, NOW),
        Err(TrustError::MalformedAttestation { .. })
    ));
}

#[test]
fn attestation_whose_cnf_is_not_a_public_p256_key_is_refused() {
    let fixture = Fixture::new();
    let request_key = SigningKey::generate().unwrap();
    let mut claims = shop_claims(&fixture, &request_key);
    claims.cnf.jwk = serde_json::to_value(request_key.to_private_jwk()).unwrap();
    assert!(matches!(
        issue_verifier_attestation(&claims, &fixture.anchor),
        Err(TrustError::Jose(JoseError::InvalidKey { .. }))
    ));
    claims.cnf.jwk = json!({"kty": "oct", "k": "c2VjcmV0"});
    let header = Header::es256(VERIFIER_ATTESTATION_TYP).with("kid", fixture.anchor.kid());
    let jwt = jws::sign_claims(&header, &claims, &fixture.anchor).unwrap();
    assert!(matches!(
        verify_verifier_attestation(&jwt, &fixture.anchors, NOW),
        Err(TrustError::Jose(JoseError::InvalidKey { .. }))
    ));
}

#[test]
fn age_only_shop_asking_for_given_name_is_refused() {
    let fixture = Fixture::new();
    let (_, attestation) = shop_attestation(&fixture);
    let given_name = path(r#"["given_name"]"#);
    assert_eq!(
        check_within_purpose(
            attestation.purposes(),
            SchemeCode::Age,
            &[path(r#"["age_over_18"]"#), given_name.clone()]
        ),
        Err(TrustError::BeyondRegisteredPurpose {
            purpose: SchemeCode::Age,
            claim: given_name
        })
    );
}

#[test]
fn age_only_shop_asking_for_age_over_18_is_allowed() {
    let fixture = Fixture::new();
    let (_, attestation) = shop_attestation(&fixture);
    assert_eq!(
        check_within_purpose(
            attestation.purposes(),
            SchemeCode::Age,
            &[path(r#"["age_over_18"]"#)]
        ),
        Ok(())
    );
}

#[test]
fn age_only_shop_cannot_run_a_right_to_work_check() {
    let fixture = Fixture::new();
    let (_, attestation) = shop_attestation(&fixture);
    assert_eq!(
        check_within_purpose(
            attestation.purposes(),
            SchemeCode::Rtw,
            &[path(r#"["age_over_18"]"#)]
        ),
        Err(TrustError::PurposeNotRegistered {
            purpose: SchemeCode::Rtw
        })
    );
}

#[test]
fn rtw_employer_asking_for_a_part_of_a_registered_claim_is_allowed() {
    let fixture = Fixture::new();
    let list = fixture.verified(&fixture.claims());
    let employer = check_relying_party_listed(&list, EMPLOYER).unwrap();
    assert_eq!(
        check_within_purpose(
            &employer.purposes,
            SchemeCode::Rtw,
            &[path(r#"["given_name"]"#), path(r#"["address","locality"]"#)]
        ),
        Ok(())
    );
    assert!(matches!(
        check_within_purpose(
            &employer.purposes,
            SchemeCode::Rtw,
            &[path(r#"["nationality"]"#)]
        ),
        Err(TrustError::BeyondRegisteredPurpose { .. })
    ));
}

#[test]
fn relying_party_must_be_listed_and_active() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    assert_eq!(
        check_relying_party_listed(&fixture.verified(&claims), SHOP)
            .unwrap()
            .rp_id,
        "rp-000007"
    );
    assert!(matches!(
        check_relying_party_listed(&fixture.verified(&claims), "unknown.example"),
        Err(TrustError::UnknownRelyingParty { .. })
    ));
    claims.relying_parties[0].status = RelyingPartyStatus::Suspended;
    assert_eq!(
        check_relying_party_listed(&fixture.verified(&claims), SHOP).err(),
        Some(TrustError::RelyingPartyNotActive {
            status: RelyingPartyStatus::Suspended
        })
    );
}
