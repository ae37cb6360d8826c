//! Every rejection of phase one and phase two, each with its stable code.

use idv_checks::verify::{Expected, verify_presentation};
use idv_checks::{OutcomeState, ReasonCode, Step};
use idv_jose::SigningKey;
use idv_proto::oid4vp::authorization_response::VpToken;
use idv_proto::trust::entry::{
    CodeStatus, LevelOfConfidence, Role, SchemeCode, ServiceStatus, StatusChange,
};
use idv_status_list::Status;
use serde_json::json;

use crate::helpers::*;

fn rtw_token(f: &Fixture) -> VpToken {
    let rtw = f.template("right_to_work");
    f.vp_token(rtw, &f.identity(&person()))
}

#[test]
fn a_revoked_credential_is_rejected_and_keeps_no_claims() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let outcome = f.check_with_status(rtw, &rtw_token(&f), Status::Invalid);
    assert_eq!(outcome.state, OutcomeState::Rejected);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::CredentialRevoked]
    );
    assert_eq!(outcome.reasons[0].step, Step::Status);
    assert!(outcome.claims.is_empty());
    assert_eq!(outcome.provider.as_ref().unwrap().register_id, REGISTER_ID);
    assert_eq!(outcome.status_checked_at, Some(NOW + 1));
}

#[test]
fn a_suspended_credential_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let outcome = f.check_with_status(rtw, &rtw_token(&f), Status::Suspended);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::CredentialSuspended]
    );
    assert!(!outcome.compliant && outcome.claims.is_empty());
}

#[test]
fn an_unresolved_or_unknown_status_fails_closed() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let verified = f.verify(rtw, &rtw_token(&f)).unwrap();
    assert_eq!(
        verified
            .conclude(&[], NOW, None)
            .codes()
            .collect::<Vec<_>>(),
        [ReasonCode::StatusUnavailable]
    );
    let verified = f.verify(rtw, &rtw_token(&f)).unwrap();
    let statuses = f.resolve(&verified, Status::ApplicationSpecific(3));
    assert_eq!(
        verified
            .conclude(&statuses, NOW, Some(NOW))
            .codes()
            .collect::<Vec<_>>(),
        [ReasonCode::CredentialStatusUnknown]
    );
}

#[test]
fn the_status_request_points_into_the_issuers_space_with_the_issuers_key() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let verified = f.verify(rtw, &rtw_token(&f)).unwrap();
    let [request] = verified.status_requests() else {
        panic!("one credential, one status")
    };
    assert_eq!(request.reference.uri, STATUS_URI);
    assert_eq!(request.reference.idx, IDX);
    assert_eq!(&request.issuer_key, f.issuer.public_key());
}

#[test]
fn a_status_list_outside_the_issuers_prefix_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity_with_status(
        json!({ "status_list": { "idx": 1, "uri": "https://internal.example/status/1" } }),
    );
    let failure = f.rejection(rtw, &f.vp_token(rtw, &held));
    assert_eq!(failure.code(), ReasonCode::StatusListUriNotAllowed);
}

#[test]
fn a_credential_from_an_issuer_not_on_the_list_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    // Same `iss`, another key: the key is not registered for the entry.
    let rogue = SigningKey::generate().unwrap();
    let held = f.identity_from(&person(), &rogue);
    let failure = f.rejection(rtw, &f.vp_token(rtw, &held));
    assert_eq!(failure.code(), ReasonCode::IssuerNotTrusted);
    assert_eq!(failure.code().step(), Step::Trust);

    // The issuer is not on the list at all.
    let mut claims = f.list_claims();
    claims.entries[0].issuer.iss = vec!["https://other-idsp.example".into()];
    let list = f.trust_list_from(&claims);
    let failure = f
        .verify_with(rtw, &f.vp_token(rtw, &f.identity(&person())), &list)
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::IssuerNotTrusted);
}

#[test]
fn a_suspended_provider_is_rejected_and_named() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut claims = f.list_claims();
    let entry = &mut claims.entries[0];
    entry.status = ServiceStatus::Suspended;
    entry.status_since = NOW - DAY;
    entry.status_history.push(StatusChange {
        status: ServiceStatus::Suspended,
        since: NOW - DAY,
        reason: Some("surveillance audit".into()),
    });
    let failure = f
        .verify_with(rtw, &rtw_token(&f), &f.trust_list_from(&claims))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::ProviderSuspended);
    let outcome = failure.into_outcome();
    assert_eq!(outcome.state, OutcomeState::Rejected);
    assert_eq!(outcome.provider.unwrap().register_id, REGISTER_ID);
    assert_eq!(outcome.trust_list.unwrap().sequence, 42);
    assert!(outcome.claims.is_empty());
}

#[test]
fn a_credential_of_a_day_with_a_suspension_is_rejected_after_the_reinstatement() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    // The credential's `iat` is rounded down to the day (00:00); the check runs at 12:00,
    // after a suspension from 01:00 to 02:00 that day. It may have been issued while the
    // provider was suspended.
    let day = NOW - NOW.rem_euclid(DAY);
    let mut claims = f.list_claims();
    let entry = &mut claims.entries[0];
    for (status, since) in [
        (ServiceStatus::Suspended, day + 3600),
        (ServiceStatus::Certified, day + 2 * 3600),
    ] {
        entry.status_history.push(StatusChange {
            status,
            since,
            reason: None,
        });
    }
    entry.status_since = day + 2 * 3600;
    let failure = f
        .verify_with(rtw, &rtw_token(&f), &f.trust_list_from(&claims))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::ProviderNotCertifiedAtIssuance);

    // A suspension the day before does not touch it.
    let mut claims = f.list_claims();
    let entry = &mut claims.entries[0];
    for (status, since) in [
        (ServiceStatus::Suspended, day - 3600),
        (ServiceStatus::Certified, day - 1800),
    ] {
        entry.status_history.push(StatusChange {
            status,
            since,
            reason: None,
        });
    }
    entry.status_since = day - 1800;
    assert!(
        f.verify_with(rtw, &rtw_token(&f), &f.trust_list_from(&claims))
            .is_ok()
    );
}

#[test]
fn a_withdrawn_provider_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut claims = f.list_claims();
    claims.entries[0].status = ServiceStatus::Withdrawn;
    let failure = f
        .verify_with(rtw, &rtw_token(&f), &f.trust_list_from(&claims))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::ProviderWithdrawn);
}

#[test]
fn a_provider_not_certified_for_right_to_work_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let token = rtw_token(&f);

    let mut age_only = f.list_claims();
    age_only.entries[0]
        .supplementary_codes
        .retain(|code| code.code == SchemeCode::Age);
    let failure = f
        .verify_with(rtw, &token, &f.trust_list_from(&age_only))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::ProviderNotCertifiedForScheme);

    let mut rtw_suspended = f.list_claims();
    for code in &mut rtw_suspended.entries[0].supplementary_codes {
        if code.code == SchemeCode::Rtw {
            code.status = CodeStatus::Suspended;
        }
    }
    let failure = f
        .verify_with(rtw, &token, &f.trust_list_from(&rtw_suspended))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::ProviderNotCertifiedForScheme);

    let mut attribute_provider = f.list_claims();
    attribute_provider.entries[0].roles = vec![Role::Asp];
    let failure = f
        .verify_with(rtw, &token, &f.trust_list_from(&attribute_provider))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::ProviderNotCertifiedForScheme);

    // The same provider still serves age checks.
    let over18 = f.template("age_over_18");
    let age = f.vp_token(over18, &f.age("2000-01-01"));
    assert!(
        f.verify_with(over18, &age, &f.trust_list_from(&age_only))
            .is_ok()
    );
}

#[test]
fn a_provider_certified_below_the_required_level_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut claims = f.list_claims();
    claims.entries[0].max_loc = LevelOfConfidence::Low;
    let failure = f
        .verify_with(rtw, &rtw_token(&f), &f.trust_list_from(&claims))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::ProviderLevelOfConfidenceTooLow);
}

#[test]
fn a_credential_type_the_provider_may_not_issue_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut claims = f.list_claims();
    claims.entries[0].issuer.vct = vec![idv_checks::templates::AGE_VCT.into()];
    let failure = f
        .verify_with(rtw, &rtw_token(&f), &f.trust_list_from(&claims))
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::VctNotAllowed);
}

#[test]
fn a_presentation_for_another_request_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    let presentation = f.present_to(&held, rtw.requested_claims(), CLIENT_ID, "other-nonce", NOW);
    let failure = f.rejection(rtw, &token(rtw, presentation));
    assert_eq!(failure.code(), ReasonCode::KeyBindingNonceMismatch);
    assert_eq!(failure.code().step(), Step::Binding);
}

#[test]
fn a_presentation_for_another_verifier_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    for aud in [
        "verifier_attestation:shop.example.co.uk",
        // The original client id without its prefix is not the full client identifier.
        "hr.employer.example.co.uk",
    ] {
        let presentation = f.present_to(&held, rtw.requested_claims(), aud, NONCE, NOW);
        let failure = f.rejection(rtw, &token(rtw, presentation));
        assert_eq!(
            failure.code(),
            ReasonCode::KeyBindingAudienceMismatch,
            "{aud}"
        );
    }
}

#[test]
fn a_stale_or_future_key_binding_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    for iat in [NOW - 600, NOW + 600] {
        let presentation = f.present_to(&held, rtw.requested_claims(), CLIENT_ID, NONCE, iat);
        let failure = f.rejection(rtw, &token(rtw, presentation));
        assert_eq!(failure.code(), ReasonCode::KeyBindingNotFresh, "{iat}");
    }
}

#[test]
fn a_presentation_without_key_binding_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    let bare = held.present(rtw.requested_claims()).unwrap();
    let failure = f.rejection(rtw, &token(rtw, bare));
    assert_eq!(failure.code(), ReasonCode::KeyBindingMissing);
}

/// Replaces the given-name disclosure by one with the same salt and another value, and binds
/// the result afresh.
fn tamper(presentation: &str, holder: &SigningKey) -> String {
    let (sd_jwt, _kb) = presentation.rsplit_once('~').unwrap();
    let mut parts: Vec<String> = sd_jwt.split('~').map(str::to_owned).collect();
    let position = parts
        .iter()
        .position(|part| {
            idv_jose::base64url::decode(part)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .is_some_and(|text| text.contains("\"given_name\""))
        })
        .unwrap();
    let text = String::from_utf8(idv_jose::base64url::decode(&parts[position]).unwrap()).unwrap();
    let forged = text.replace("\"Ada\"", "\"Eve\"");
    assert_ne!(forged, text);
    parts[position] = idv_jose::base64url::encode(forged.as_bytes());
    let tampered = format!("{}~", parts.join("~"));
    // A fresh, valid key binding over the tampered disclosures: only the digest can tell.
    idv_sdjwt::key_binding::bind(&tampered, holder, CLIENT_ID, NONCE, NOW).unwrap()
}

#[test]
fn a_tampered_disclosure_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    let presentation = f.present_to(&held, rtw.requested_claims(), CLIENT_ID, NONCE, NOW);
    let failure = f.rejection(rtw, &token(rtw, tamper(&presentation, &f.holder)));
    assert_eq!(failure.code(), ReasonCode::DisclosureInvalid);
    assert_eq!(failure.code().step(), Step::Signature);
    let text = format!("{failure} {failure:?}");
    for personal in PERSONAL.iter().chain(&["Eve"]) {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
}

#[test]
fn a_tampered_issuer_signature_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    let presentation = f.present_to(&held, rtw.requested_claims(), CLIENT_ID, NONCE, NOW);
    let (jwt, rest) = presentation.split_once('~').unwrap();
    let (signing_input, signature) = jwt.rsplit_once('.').unwrap();
    let mut signature = idv_jose::base64url::decode(signature).unwrap();
    signature[0] ^= 1;
    let forged = format!(
        "{signing_input}.{}~{rest}",
        idv_jose::base64url::encode(&signature)
    );
    let failure = f.rejection(rtw, &token(rtw, forged));
    assert_eq!(failure.code(), ReasonCode::SignatureInvalid);
}

#[test]
fn a_vp_token_that_does_not_match_the_query_is_rejected_before_any_signature_check() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let presentation = rtw_token(&f).0.into_values().next().unwrap().remove(0);
    for vp_token in [
        VpToken::default(),
        VpToken([("pid".to_owned(), vec![presentation.clone()])].into()),
        VpToken(
            [(
                "identity".to_owned(),
                vec![presentation.clone(), presentation.clone()],
            )]
            .into(),
        ),
        VpToken([("identity".to_owned(), vec![])].into()),
        VpToken(
            [
                ("identity".to_owned(), vec![presentation.clone()]),
                ("extra".to_owned(), vec![presentation.clone()]),
            ]
            .into(),
        ),
    ] {
        assert_eq!(
            f.rejection(rtw, &vp_token).code(),
            ReasonCode::DcqlNotSatisfied,
            "{vp_token:?}"
        );
    }
    let garbage = VpToken([("identity".to_owned(), vec!["not an sd-jwt".to_owned()])].into());
    assert_eq!(
        f.rejection(rtw, &garbage).code(),
        ReasonCode::PresentationMalformed
    );
}

#[test]
fn an_expired_trust_list_fails_closed() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let list = f.trust_list();
    let later = NOW + 2 * DAY;
    let failure = verify_presentation(
        rtw,
        &Expected::new(CLIENT_ID, NONCE, later),
        &rtw_token(&f),
        &list,
    )
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::TrustListUnavailable);
}

#[test]
fn an_expired_credential_is_rejected() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    // A year and a day later the credential has expired; a fresh trust list and presentation.
    let later = NOW + 366 * DAY;
    let mut claims = f.list_claims();
    claims.iat = later - 60;
    claims.exp = later + DAY;
    claims.next_update = later + 3600;
    let presentation = f.present_to(&held, rtw.requested_claims(), CLIENT_ID, NONCE, later);
    let list = f.trust_list_at(&claims, later);
    let failure = verify_presentation(
        rtw,
        &Expected::new(CLIENT_ID, NONCE, later),
        &token(rtw, presentation),
        &list,
    )
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::CredentialExpired);
    assert_eq!(failure.code().step(), Step::Status);
}

#[test]
fn failures_and_verified_presentations_show_no_personal_data() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let verified = f.verify(rtw, &rtw_token(&f)).unwrap();
    let text = format!("{verified:?}");
    for personal in PERSONAL {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let outcome = f.check(rtw, &rtw_token(&f));
    let text = format!("{outcome:?}");
    for personal in PERSONAL {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
}
