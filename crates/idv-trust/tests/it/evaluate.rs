//! Issuer evaluation (docs/trust-list.md step 6), one test per rule, and the certification
//! lifecycle across newly signed lists.

use idv_jose::SigningKey;
use idv_proto::trust::entry::{
    CodeStatus, LevelOfConfidence, Role, SchemeCode, ServiceStatus, StatusChange, SupplementaryCode,
};
use idv_proto::trust::trust_list::{FrameworkValidity, TrustListClaims};
use idv_trust::TrustError;
use idv_trust::cache::TrustListCache;
use idv_trust::evaluate::{
    FRAMEWORK_0_3_END, IssuanceWindow, IssuerQuery, check_status_list_uri, evaluate_issuer,
    find_issuer_key, issuer_keys,
};
use idv_trust::list::{ListPolicy, verify_trust_list};
use idv_trust::rollback::TrustListState;

use crate::helpers::{AGE_VCT, CERTIFIED_SINCE, DAY, Fixture, ISS, NOW, entry};

const HOUR: i64 = 3600;

fn evaluate(
    fixture: &Fixture,
    claims: &TrustListClaims,
    query: &IssuerQuery<'_>,
) -> Result<(), TrustError> {
    evaluate_issuer(&fixture.verified(claims), query).map(|_| ())
}

#[test]
fn certified_issuer_is_trusted_and_the_decision_records_the_list() {
    let fixture = Fixture::new();
    let decision =
        evaluate_issuer(&fixture.verified(&fixture.claims()), &fixture.rtw_query()).unwrap();
    assert_eq!(decision.entry_id, "dvs-000123");
    assert_eq!(decision.organisation.name, "Example IDSP Ltd");
    assert_eq!(decision.service_name, "Example Reusable ID");
    assert_eq!(decision.list_id, "uk-dvs-register");
    assert_eq!(decision.sequence, 42);
    assert_eq!(decision.max_loc, LevelOfConfidence::Medium);
}

/// The list the operator publishes at `at` with the entry's current status and history.
fn lifecycle_list(
    fixture: &Fixture,
    sequence: u64,
    at: i64,
    status: ServiceStatus,
    history: &[(ServiceStatus, i64)],
) -> String {
    let mut claims = fixture.claims();
    claims.sequence = sequence;
    claims.iat = at - 60;
    claims.next_update = claims.iat + HOUR;
    claims.exp = claims.iat + DAY;
    let entry = entry(&mut claims);
    entry.status = status;
    entry.status_since = history.last().map_or(CERTIFIED_SINCE, |&(_, since)| since);
    entry.status_history = history
        .iter()
        .map(|&(status, since)| StatusChange {
            status,
            since,
            reason: None,
        })
        .collect();
    fixture.sign(&claims)
}

#[test]
fn certified_then_suspended_then_reinstated_then_withdrawn_is_reflected_list_by_list() {
    use ServiceStatus::{Certified, Suspended, Withdrawn};
    let fixture = Fixture::new();
    let mut cache = TrustListCache::new(fixture.anchors.clone(), ListPolicy::default());
    let mut persisted: Option<TrustListState> = None;
    let mut accept = |cache: &mut TrustListCache, compact: String, now| {
        let candidate = cache.verify(&compact, persisted.as_ref(), now).unwrap();
        persisted = Some(candidate.state().clone());
        cache.install(candidate);
    };
    let issued_before = NOW - DAY;
    let issued_while_suspended = NOW + 90 * 60;
    let query = |now, issued_at| IssuerQuery {
        now,
        issued: Some(IssuanceWindow::from_iat(issued_at, now)),
        ..fixture.rtw_query()
    };
    let mut history = vec![(Certified, CERTIFIED_SINCE)];

    // Certified.
    accept(
        &mut cache,
        lifecycle_list(&fixture, 42, NOW, Certified, &history),
        NOW,
    );
    let list = cache.current(NOW).unwrap();
    assert_eq!(
        evaluate_issuer(&list, &query(NOW, issued_before))
            .unwrap()
            .sequence,
        42
    );

    // Suspended from NOW + 1 h.
    let t1 = NOW + 2 * HOUR;
    history.push((Suspended, NOW + HOUR));
    accept(
        &mut cache,
        lifecycle_list(&fixture, 43, t1, Suspended, &history),
        t1,
    );
    assert_eq!(
        evaluate_issuer(&cache.current(t1).unwrap(), &query(t1, issued_before)),
        Err(TrustError::ServiceNotCertified { status: Suspended })
    );

    // Reinstated from NOW + 3 h: earlier credentials are trusted again, but not one issued
    // during the suspension.
    let t2 = NOW + 4 * HOUR;
    history.push((Certified, NOW + 3 * HOUR));
    accept(
        &mut cache,
        lifecycle_list(&fixture, 44, t2, Certified, &history),
        t2,
    );
    let list = cache.current(t2).unwrap();
    assert_eq!(
        evaluate_issuer(&list, &query(t2, issued_before))
            .unwrap()
            .sequence,
        44
    );
    assert_eq!(
        evaluate_issuer(&list, &query(t2, issued_while_suspended)),
        Err(TrustError::NotCertifiedAtIssuance {
            issued_at: issued_while_suspended
        })
    );
    // A credential whose `iat` is rounded down to the day of the suspension may have been
    // issued during it: the whole day must have been certified, not its end or the instant
    // `iat` names.
    let suspension_day = (NOW + HOUR) - (NOW + HOUR).rem_euclid(DAY);
    assert_eq!(
        evaluate_issuer(&list, &query(t2, suspension_day)),
        Err(TrustError::NotCertifiedAtIssuance {
            issued_at: suspension_day
        })
    );

    // Withdrawn from NOW + 5 h.
    let t3 = NOW + 6 * HOUR;
    history.push((Withdrawn, NOW + 5 * HOUR));
    accept(
        &mut cache,
        lifecycle_list(&fixture, 45, t3, Withdrawn, &history),
        t3,
    );
    assert_eq!(
        evaluate_issuer(&cache.current(t3).unwrap(), &query(t3, issued_before)),
        Err(TrustError::ServiceNotCertified { status: Withdrawn })
    );
}

#[test]
fn issuer_not_on_the_list_is_unknown() {
    let fixture = Fixture::new();
    let query = IssuerQuery {
        iss: "https://id.example-idsp.co.uk.evil.example",
        ..fixture.rtw_query()
    };
    assert!(matches!(
        evaluate(&fixture, &fixture.claims(), &query),
        Err(TrustError::UnknownIssuer { .. })
    ));
}

#[test]
fn credential_signed_with_a_key_not_in_the_entry_is_rejected() {
    let fixture = Fixture::new();
    let other = SigningKey::generate().unwrap();
    let query = IssuerQuery {
        issuer_key: other.public_key(),
        ..fixture.rtw_query()
    };
    assert_eq!(
        evaluate(&fixture, &fixture.claims(), &query),
        Err(TrustError::KeyNotRegistered { iss: ISS.into() })
    );
}

#[test]
fn expired_or_removed_service_is_not_certified() {
    let fixture = Fixture::new();
    for status in [ServiceStatus::Expired, ServiceStatus::Removed] {
        let mut claims = fixture.claims();
        entry(&mut claims).status = status;
        entry(&mut claims).status_since = NOW - HOUR;
        assert_eq!(
            evaluate(&fixture, &claims, &fixture.rtw_query()),
            Err(TrustError::ServiceNotCertified { status })
        );
    }
}

#[test]
fn a_day_rounded_credential_of_the_registration_day_is_trusted_but_not_one_of_a_suspension_day() {
    let fixture = Fixture::new();
    // The day before NOW (a midnight), checked at NOW.
    let day = NOW - DAY;
    let query = IssuerQuery {
        issued: Some(IssuanceWindow::from_iat(day, NOW)),
        ..fixture.rtw_query()
    };
    // First registered (and certified) at 06:00 on the day the credential says.
    let mut claims = fixture.claims();
    entry(&mut claims).status_since = day + 6 * HOUR;
    entry(&mut claims).status_history = vec![StatusChange {
        status: ServiceStatus::Certified,
        since: day + 6 * HOUR,
        reason: None,
    }];
    entry(&mut claims).certificate.issued = day + 6 * HOUR;
    assert!(evaluate(&fixture, &claims, &query).is_ok());
    // Suspended from 07:00 to 08:00 that day: the credential may date from then.
    for (status, since) in [
        (ServiceStatus::Suspended, day + 7 * HOUR),
        (ServiceStatus::Certified, day + 8 * HOUR),
    ] {
        entry(&mut claims).status_history.push(StatusChange {
            status,
            since,
            reason: None,
        });
    }
    entry(&mut claims).status_since = day + 8 * HOUR;
    assert!(matches!(
        evaluate(&fixture, &claims, &query),
        Err(TrustError::NotCertifiedAtIssuance { .. })
    ));
}

#[test]
fn credential_issued_before_certification_is_rejected() {
    let fixture = Fixture::new();
    let query = IssuerQuery {
        issued: Some(IssuanceWindow::from_iat(CERTIFIED_SINCE - 1, NOW)),
        ..fixture.rtw_query()
    };
    assert_eq!(
        evaluate(&fixture, &fixture.claims(), &query),
        Err(TrustError::NotCertifiedAtIssuance {
            issued_at: CERTIFIED_SINCE - 1
        })
    );
}

#[test]
fn expired_certificate_is_rejected_even_when_the_status_still_says_certified() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    entry(&mut claims).certificate.expires = NOW;
    assert_eq!(
        evaluate(&fixture, &claims, &fixture.rtw_query()),
        Err(TrustError::CertificateExpired { expires: NOW })
    );
}

#[test]
fn attribute_provider_cannot_vouch_for_right_to_work_but_can_for_age() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    entry(&mut claims).roles = vec![Role::Asp];
    assert_eq!(
        evaluate(&fixture, &claims, &fixture.rtw_query()),
        Err(TrustError::RoleMissing {
            scheme: SchemeCode::Rtw
        })
    );
    let age = IssuerQuery {
        vct: AGE_VCT,
        scheme: SchemeCode::Age,
        ..fixture.rtw_query()
    };
    assert_eq!(evaluate(&fixture, &claims, &age), Ok(()));
    entry(&mut claims).roles = vec![Role::Hsp];
    assert_eq!(
        evaluate(&fixture, &claims, &age),
        Err(TrustError::RoleMissing {
            scheme: SchemeCode::Age
        })
    );
}

#[test]
fn rtw_credential_from_an_entry_without_a_certified_rtw_code_is_rejected() {
    let fixture = Fixture::new();
    for status in [
        None,
        Some(CodeStatus::Suspended),
        Some(CodeStatus::Withdrawn),
    ] {
        let mut claims = fixture.claims();
        let codes = &mut entry(&mut claims).supplementary_codes;
        codes.retain(|c| c.code != SchemeCode::Rtw);
        if let Some(status) = status {
            codes.push(SupplementaryCode {
                code: SchemeCode::Rtw,
                status,
            });
        }
        assert_eq!(
            evaluate(&fixture, &claims, &fixture.rtw_query()),
            Err(TrustError::SchemeNotCertified {
                scheme: SchemeCode::Rtw
            }),
            "{status:?}"
        );
    }
}

#[test]
fn beta_0_3_certificate_is_rejected_after_31_march_2026_whatever_the_list_says() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    entry(&mut claims).framework_version = "0.3".into();
    assert_eq!(evaluate(&fixture, &claims, &fixture.rtw_query()), Ok(()));

    // A list issued after the cut-off, mistakenly still accepting 0.3 without end.
    let later = FRAMEWORK_0_3_END + DAY;
    claims.iat = later - 60;
    claims.next_update = later + HOUR;
    claims.exp = later + DAY;
    claims
        .framework_versions_valid
        .insert("0.3".into(), FrameworkValidity::default());
    let list = verify_trust_list(
        &fixture.sign(&claims),
        &fixture.anchors,
        later,
        &ListPolicy::default(),
    )
    .unwrap();
    let query = IssuerQuery {
        now: later,
        ..fixture.rtw_query()
    };
    assert_eq!(
        evaluate_issuer(&list, &query),
        Err(TrustError::FrameworkVersionInvalid {
            version: "0.3".into()
        })
    );
}

#[test]
fn framework_version_not_accepted_by_the_list_is_rejected() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    entry(&mut claims).framework_version = "0.2".into();
    assert_eq!(
        evaluate(&fixture, &claims, &fixture.rtw_query()),
        Err(TrustError::FrameworkVersionInvalid {
            version: "0.2".into()
        })
    );
    // 1.0 accepted only from a date still to come.
    let mut claims = fixture.claims();
    claims.framework_versions_valid.insert(
        "1.0".into(),
        FrameworkValidity {
            from: Some(NOW + DAY),
            until: None,
        },
    );
    assert!(matches!(
        evaluate(&fixture, &claims, &fixture.rtw_query()),
        Err(TrustError::FrameworkVersionInvalid { .. })
    ));
}

#[test]
fn enhanced_dbs_check_needs_high_confidence() {
    let fixture = Fixture::new();
    let mut claims = fixture.claims();
    entry(&mut claims)
        .supplementary_codes
        .push(SupplementaryCode {
            code: SchemeCode::Dbs,
            status: CodeStatus::Certified,
        });
    let query = IssuerQuery {
        scheme: SchemeCode::Dbs,
        required_loc: LevelOfConfidence::High,
        ..fixture.rtw_query()
    };
    assert_eq!(
        evaluate(&fixture, &claims, &query),
        Err(TrustError::LevelOfConfidenceTooLow {
            max: LevelOfConfidence::Medium,
            required: LevelOfConfidence::High
        })
    );
    entry(&mut claims).max_loc = LevelOfConfidence::VeryHigh;
    assert_eq!(evaluate(&fixture, &claims, &query), Ok(()));
}

#[test]
fn credential_type_not_listed_for_the_issuer_is_rejected() {
    let fixture = Fixture::new();
    let vct = "https://trust.sim.ofdia.example/vct/uk-dbs/1";
    let query = IssuerQuery {
        vct,
        ..fixture.rtw_query()
    };
    assert_eq!(
        evaluate(&fixture, &fixture.claims(), &query),
        Err(TrustError::VctNotListed { vct: vct.into() })
    );
}

#[test]
fn issuer_key_is_resolved_only_from_the_entry_of_its_iss() {
    let fixture = Fixture::new();
    let list = fixture.verified(&fixture.claims());
    let issuer = fixture.issuer.public_key();
    assert_eq!(
        find_issuer_key(&list, ISS, Some(&fixture.issuer.kid())).unwrap(),
        issuer
    );
    assert_eq!(find_issuer_key(&list, ISS, None).unwrap(), issuer);
    assert_eq!(issuer_keys(&list, ISS).unwrap(), [issuer]);

    let attacker = SigningKey::generate().unwrap();
    assert_eq!(
        find_issuer_key(&list, ISS, Some(&attacker.kid())),
        Err(TrustError::KeyNotRegistered { iss: ISS.into() })
    );
    assert!(matches!(
        find_issuer_key(
            &list,
            "https://attacker.example",
            Some(&fixture.issuer.kid())
        ),
        Err(TrustError::UnknownIssuer { .. })
    ));
}

#[test]
fn issuer_with_two_keys_must_name_one_by_thumbprint_or_declared_kid() {
    let fixture = Fixture::new();
    let second = SigningKey::generate().unwrap();
    let mut claims = fixture.claims();
    let mut jwk = serde_json::to_value(second.public_key().to_jwk()).unwrap();
    jwk["kid"] = "issuer-2026-02".into();
    entry(&mut claims).issuer.jwks.keys.push(jwk);
    let list = fixture.verified(&claims);
    assert_eq!(
        find_issuer_key(&list, ISS, None),
        Err(TrustError::IssuerKeyAmbiguous { iss: ISS.into() })
    );
    assert_eq!(
        find_issuer_key(&list, ISS, Some("issuer-2026-02")).unwrap(),
        second.public_key()
    );
    assert_eq!(
        find_issuer_key(&list, ISS, Some(&second.kid())).unwrap(),
        second.public_key()
    );
    assert_eq!(issuer_keys(&list, ISS).unwrap().len(), 2);
}

#[test]
fn status_list_uri_must_lie_under_the_issuers_prefix() {
    let fixture = Fixture::new();
    let list = fixture.verified(&fixture.claims());
    assert_eq!(
        check_status_list_uri(&list, ISS, &format!("{ISS}/status/7")),
        Ok(())
    );
    for uri in [
        "https://other-idsp.example/status/7".to_owned(),
        format!("{ISS}/status/../admin"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
    ] {
        assert_eq!(
            check_status_list_uri(&list, ISS, &uri),
            Err(TrustError::StatusListUriNotAllowed { uri: uri.clone() })
        );
    }
}
