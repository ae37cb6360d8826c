//! Verifying the trust list itself: docs/trust-list.md steps 1–2 and their attacks.

use idv_jose::jws::{self, Header};
use idv_jose::{JoseError, JwkSet, SigningKey, base64url};
use idv_proto::trust::trust_list::TRUST_LIST_TYP;
use idv_trust::TrustError;
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::{ListPolicy, verify_trust_list};
use serde_json::json;

use crate::helpers::{DAY, Fixture, ISS, NOW, SHOP, entry, sign_list};

fn verify(fixture: &Fixture, compact: &str) -> Result<(), TrustError> {
    verify_trust_list(compact, &fixture.anchors, NOW, &ListPolicy::default()).map(|_| ())
}

#[test]
fn list_signed_by_a_pinned_anchor_is_accepted_and_indexed() {
    let fixture = Fixture::new();
    let compact = fixture.sign(&fixture.claims());
    let list = verify_trust_list(&compact, &fixture.anchors, NOW, &ListPolicy::default()).unwrap();
    assert_eq!(list.sequence(), 42);
    assert_eq!(list.list_id(), "uk-dvs-register");
    assert_eq!(list.anchor_kid(), fixture.anchor.kid());
    assert_eq!(list.entry_for_issuer(ISS).unwrap().entry_id, "dvs-000123");
    assert!(list.entry_for_issuer("https://other.example").is_none());
    assert_eq!(list.relying_party(SHOP).unwrap().rp_id, "rp-000007");

    let payload = base64url::decode(compact.split('.').nth(1).unwrap()).unwrap();
    assert_eq!(list.payload_hash(), idv_jose::digest::sha256_b64(&payload));
}

#[test]
fn unsigned_json_list_is_rejected() {
    let fixture = Fixture::new();
    let json = serde_json::to_string(&fixture.claims()).unwrap();
    assert_eq!(
        verify(&fixture, &json),
        Err(TrustError::Jose(JoseError::Malformed { expected: 3 }))
    );
}

#[test]
fn list_with_alg_none_is_rejected() {
    let fixture = Fixture::new();
    let header = json!({"alg": "none", "typ": TRUST_LIST_TYP, "kid": fixture.anchor.kid()});
    let forged = format!(
        "{}.{}.",
        base64url::encode(header.to_string()),
        base64url::encode(serde_json::to_vec(&fixture.claims()).unwrap())
    );
    assert_eq!(
        verify(&fixture, &forged),
        Err(TrustError::Jose(JoseError::UnsupportedAlgorithm {
            alg: "none".into()
        }))
    );
}

#[test]
fn list_signed_by_a_key_that_is_not_pinned_is_rejected() {
    let fixture = Fixture::new();
    let attacker = SigningKey::generate().unwrap();
    let forged = sign_list(&fixture.claims(), &attacker);
    assert_eq!(
        verify(&fixture, &forged),
        Err(TrustError::UnknownAnchorKey {
            kid: attacker.kid()
        })
    );
}

#[test]
fn list_signed_by_an_unpinned_key_carried_in_a_jwk_header_is_rejected() {
    let fixture = Fixture::new();
    let attacker = SigningKey::generate().unwrap();
    let jwk = serde_json::to_value(attacker.public_key().to_jwk()).unwrap();

    // Its own kid: not an anchor.
    let header = Header::es256(TRUST_LIST_TYP)
        .with("kid", attacker.kid())
        .with("jwk", jwk.clone());
    let forged = jws::sign_claims(&header, &fixture.claims(), &attacker).unwrap();
    assert_eq!(
        verify(&fixture, &forged),
        Err(TrustError::UnknownAnchorKey {
            kid: attacker.kid()
        })
    );

    // The anchor's kid: the embedded key is ignored and the anchor's signature check fails.
    let header = Header::es256(TRUST_LIST_TYP)
        .with("kid", fixture.anchor.kid())
        .with("jwk", jwk);
    let forged = jws::sign_claims(&header, &fixture.claims(), &attacker).unwrap();
    assert_eq!(
        verify(&fixture, &forged),
        Err(TrustError::Jose(JoseError::BadSignature))
    );
}

#[test]
fn list_without_kid_is_rejected() {
    let fixture = Fixture::new();
    let header = Header::es256(TRUST_LIST_TYP);
    let compact = jws::sign_claims(&header, &fixture.claims(), &fixture.anchor).unwrap();
    assert_eq!(verify(&fixture, &compact), Err(TrustError::MissingKid));
}

#[test]
fn list_with_typ_jwt_is_rejected() {
    let fixture = Fixture::new();
    for typ in ["JWT", "statuslist+jwt"] {
        let header = Header::es256(typ).with("kid", fixture.anchor.kid());
        let compact = jws::sign_claims(&header, &fixture.claims(), &fixture.anchor).unwrap();
        assert!(
            matches!(
                verify(&fixture, &compact),
                Err(TrustError::Jose(JoseError::UnexpectedType { .. }))
            ),
            "{typ}"
        );
    }
    let header = Header::es256("application/dvs-trust-list+jwt").with("kid", fixture.anchor.kid());
    let compact = jws::sign_claims(&header, &fixture.claims(), &fixture.anchor).unwrap();
    assert_eq!(verify(&fixture, &compact), Ok(()));
}

#[test]
fn expired_list_is_rejected() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    claims.iat = NOW - 2 * DAY;
    claims.next_update = NOW - DAY;
    claims.exp = NOW;
    assert_eq!(
        verify(&fixture, &fixture.sign(&claims)),
        Err(TrustError::ListExpired { exp: NOW, now: NOW })
    );
}

#[test]
fn list_whose_next_update_is_after_exp_is_rejected() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    claims.next_update = claims.exp + 1;
    assert!(matches!(
        verify(&fixture, &fixture.sign(&claims)),
        Err(TrustError::InvalidValidityWindow { .. })
    ));
}

#[test]
fn list_issued_in_the_future_is_rejected_beyond_the_skew() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    claims.iat = NOW + 61;
    claims.next_update = NOW + 3600;
    assert_eq!(
        verify(&fixture, &fixture.sign(&claims)),
        Err(TrustError::ListIssuedInFuture {
            iat: NOW + 61,
            now: NOW
        })
    );
    claims.iat = NOW + 60;
    assert_eq!(verify(&fixture, &fixture.sign(&claims)), Ok(()));
}

#[test]
fn list_valid_longer_than_the_policy_allows_is_rejected() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    claims.exp = claims.iat + 7 * DAY + 1;
    assert!(matches!(
        verify(&fixture, &fixture.sign(&claims)),
        Err(TrustError::InvalidValidityWindow { .. })
    ));
}

#[test]
fn list_asking_for_refreshes_more_often_than_the_policy_allows_is_rejected() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    claims.next_update = claims.iat + 59;
    assert!(matches!(
        verify(&fixture, &fixture.sign(&claims)),
        Err(TrustError::InvalidValidityWindow { .. })
    ));
}

#[test]
fn oversized_list_is_rejected_before_parsing() {
    let fixture = Fixture::new();
    let oversized = "a".repeat(4 * 1024 * 1024 + 1);
    assert_eq!(
        verify(&fixture, &oversized),
        Err(TrustError::TooLarge {
            size: 4 * 1024 * 1024 + 1,
            max: 4 * 1024 * 1024
        })
    );
    let small_policy = ListPolicy {
        max_bytes: 1024,
        ..ListPolicy::default()
    };
    let compact = fixture.sign(&fixture.claims());
    assert!(matches!(
        verify_trust_list(&compact, &fixture.anchors, NOW, &small_policy),
        Err(TrustError::TooLarge { .. })
    ));
}

#[test]
fn deeply_nested_json_in_a_list_does_not_crash_the_verifier() {
    let fixture = Fixture::new();
    let payload = serde_json::to_string(&fixture.claims()).unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let header = Header::es256(TRUST_LIST_TYP).with("kid", fixture.anchor.kid());
    let sign = |payload: String| jws::sign(&header, payload.as_bytes(), &fixture.anchor).unwrap();

    // Where the value is parsed, serde_json's recursion limit rejects it.
    let in_a_key = payload.replacen(r#""keys":["#, &format!(r#""keys":[{deep},"#), 1);
    assert!(matches!(
        verify(&fixture, &sign(in_a_key)),
        Err(TrustError::MalformedList { .. })
    ));
    // An unknown member is skipped without recursion; the size cap bounds the work.
    let in_an_extension = format!(r#"{},"extension":{deep}}}"#, &payload[..payload.len() - 1]);
    assert_eq!(verify(&fixture, &sign(in_an_extension)), Ok(()));
}

#[test]
fn two_entries_claiming_the_same_iss_are_rejected() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    let mut impostor = claims.entries[0].clone();
    impostor.entry_id = "dvs-000999".into();
    impostor.issuer.iss = vec!["https://other.example".into(), ISS.into()];
    claims.entries.push(impostor);
    assert_eq!(
        verify(&fixture, &fixture.sign(&claims)),
        Err(TrustError::ConflictingEntries { iss: ISS.into() })
    );
}

#[test]
fn two_relying_parties_claiming_the_same_client_id_are_rejected() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    let mut twin = claims.relying_parties[0].clone();
    twin.rp_id = "rp-000999".into();
    claims.relying_parties.push(twin);
    assert_eq!(
        verify(&fixture, &fixture.sign(&claims)),
        Err(TrustError::ConflictingRelyingParties {
            client_id: SHOP.into()
        })
    );
}

#[test]
fn entry_with_a_private_or_malformed_issuer_key_is_rejected() {
    let fixture = Fixture::new();
    for bad in [
        serde_json::to_value(fixture.issuer.to_private_jwk()).unwrap(),
        json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        json!("not a jwk"),
    ] {
        let mut claims = fixture.claims();
        entry(&mut claims).issuer.jwks.keys = vec![bad];
        assert!(matches!(
            verify(&fixture, &fixture.sign(&claims)),
            Err(TrustError::InvalidIssuerKey { .. })
        ));
    }
}

#[test]
fn list_with_an_unknown_role_is_malformed() {
    let fixture = Fixture::new();
    let mut value = serde_json::to_value(fixture.claims()).unwrap();
    value["entries"][0]["roles"] = json!(["IDSP", "WIZARD"]);
    let header = Header::es256(TRUST_LIST_TYP).with("kid", fixture.anchor.kid());
    let compact = jws::sign_claims(&header, &value, &fixture.anchor).unwrap();
    assert!(matches!(
        verify(&fixture, &compact),
        Err(TrustError::MalformedList { .. })
    ));
}

#[test]
fn either_pinned_anchor_verifies_the_list_during_rollover() {
    let fixture = Fixture::new();
    let next = SigningKey::generate().unwrap();
    let anchors = TrustAnchors::from_jwks(&JwkSet {
        keys: vec![
            fixture.anchor.public_key().to_jwk(),
            next.public_key().to_jwk(),
        ],
    })
    .unwrap();
    for key in [&fixture.anchor, &next] {
        let compact = sign_list(&fixture.claims(), key);
        let list = verify_trust_list(&compact, &anchors, NOW, &ListPolicy::default()).unwrap();
        assert_eq!(list.anchor_kid(), key.kid());
    }
}
