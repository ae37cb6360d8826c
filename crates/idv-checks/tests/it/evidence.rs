//! The signed check record: it verifies, carries claims only where the template keeps them,
//! and any change breaks it.

use idv_checks::evidence::{
    CHECK_RECORD_TYP, EvidenceError, RecordContext, presentation_sha256, sign_check_record,
    verify_check_record,
};
use idv_checks::{
    Confirmation, ConfirmationDecision, ConfirmationMethod, OutcomeState, ReasonCode,
};
use idv_jose::SigningKey;
use idv_jose::jws::UnverifiedJws;
use serde_json::json;

use crate::helpers::{token as token_of, *};

fn context(check_id: &str) -> RecordContext<'_> {
    RecordContext {
        issuer: "https://verifier.example",
        check_id,
        tenant: "tenant-employer-1",
        issued_at: NOW + 2,
    }
}

#[test]
fn a_right_to_work_record_verifies_and_carries_the_idvt_output() {
    let f = Fixture::new();
    let verifier = SigningKey::generate().unwrap();
    let rtw = f.template("right_to_work");
    let token = f.vp_token(rtw, &f.identity(&person()));
    // The employer compared the photo with the person by video call before employment.
    let mut outcome = f
        .check(rtw, &token)
        .record_confirmation(Confirmation {
            decision: ConfirmationDecision::Confirmed,
            method: ConfirmationMethod::VideoCall,
            checker_name: "Grace Hopper".into(),
            confirmed_at: NOW + 2,
            start_date: Some("2026-01-05".into()),
        })
        .unwrap();
    let jwt = sign_check_record(&outcome, rtw, &context("chk_1"), &verifier).unwrap();
    outcome.evidence = Some(jwt.clone());

    let header = UnverifiedJws::parse(&jwt).unwrap();
    assert_eq!(header.header().typ(), Some(CHECK_RECORD_TYP));
    assert_eq!(header.header().kid(), Some(verifier.kid().as_str()));

    let record = verify_check_record(&jwt, verifier.public_key()).unwrap();
    assert!(record.binds(&token));
    assert_eq!(record.iss, "https://verifier.example");
    assert_eq!(record.sub, "chk_1");
    assert_eq!(record.tenant, "tenant-employer-1");
    assert_eq!(record.iat, NOW + 2);
    assert_eq!(
        (record.template.id.as_str(), record.template.version),
        ("right_to_work", 2)
    );
    assert_eq!(record.state, OutcomeState::Compliant);
    assert!(record.compliant);
    let confirmation = record.confirmation.as_ref().unwrap();
    assert_eq!(
        (confirmation.method, confirmation.checker_name.as_str()),
        (ConfirmationMethod::VideoCall, "Grace Hopper")
    );
    assert_eq!(
        confirmation.checked_before_start(record.checked_at),
        Some(true)
    );
    assert_eq!(record.provider.unwrap().register_id, REGISTER_ID);
    assert_eq!(record.trust_list.unwrap().sequence, 42);
    assert_eq!(record.status_checked_at, Some(NOW + 1));
    assert_eq!(record.status_list_iat, Some(NOW));
    assert_eq!(record.checked_at, NOW);
    let claims = record.claims.unwrap();
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(
        claims["document"],
        json!({ "type": "passport", "issuing_country": "GB", "date_of_expiry": "2031-01-31" })
    );

    // The hash of what was presented, never the presentation itself.
    let presented = &token.0["identity"][0];
    let expected_hash = idv_jose::digest::sha256_b64(presented.as_bytes());
    assert_eq!(
        record.presentation_sha256.as_deref(),
        Some(expected_hash.as_str())
    );
    let payload =
        String::from_utf8(idv_jose::base64url::decode(jwt.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    assert!(!payload.contains(presented.split('~').next().unwrap()));
    assert!(
        !format!(
            "{record:?}",
            record = verify_check_record(&jwt, verifier.public_key()).unwrap()
        )
        .contains("Ada")
    );
}

#[test]
fn a_tampered_or_foreign_record_does_not_verify() {
    let f = Fixture::new();
    let verifier = SigningKey::generate().unwrap();
    let rtw = f.template("right_to_work");
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&person())));
    let jwt = sign_check_record(&outcome, rtw, &context("chk_2"), &verifier).unwrap();

    // Flip the outcome inside the payload and keep the signature.
    let (header, rest) = jwt.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let text = String::from_utf8(idv_jose::base64url::decode(payload).unwrap()).unwrap();
    let forged_text = text.replace("\"given_name\":\"Ada\"", "\"given_name\":\"Eve\"");
    assert_ne!(forged_text, text);
    let forged = format!(
        "{header}.{}.{signature}",
        idv_jose::base64url::encode(forged_text.as_bytes())
    );
    assert!(matches!(
        verify_check_record(&forged, verifier.public_key()),
        Err(EvidenceError::Invalid(_))
    ));

    let other = SigningKey::generate().unwrap();
    assert!(matches!(
        verify_check_record(&jwt, other.public_key()),
        Err(EvidenceError::Invalid(_))
    ));

    // A token of another type signed by the same key is not a check record.
    let trust_list_typed = idv_jose::jws::sign_claims(
        &idv_jose::jws::Header::es256("dvs-trust-list+jwt"),
        &json!({}),
        &verifier,
    )
    .unwrap();
    assert!(matches!(
        verify_check_record(&trust_list_typed, verifier.public_key()),
        Err(EvidenceError::Invalid(_))
    ));
}

#[test]
fn a_record_binds_exactly_the_presentation_it_was_made_from() {
    let f = Fixture::new();
    let verifier = SigningKey::generate().unwrap();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    let token = f.vp_token(rtw, &held);
    let jwt = sign_check_record(&f.check(rtw, &token), rtw, &context("chk_7"), &verifier).unwrap();
    let record = verify_check_record(&jwt, verifier.public_key()).unwrap();
    assert!(record.binds(&token));

    // The same credential and disclosures presented again (another KB-JWT), one disclosure
    // fewer, or one byte changed: each is another presentation.
    let again = f.present_to(&held, rtw.requested_claims(), CLIENT_ID, NONCE, NOW + 1);
    let presented = token.0["identity"][0].clone();
    // `<issuer JWT>~…~<last disclosure>~<KB-JWT>` without its last disclosure.
    let (before_kb, kb) = presented.rsplit_once('~').unwrap();
    let (before_last, _last) = before_kb.rsplit_once('~').unwrap();
    let fewer = format!("{before_last}~{kb}");
    let flipped = {
        let mut bytes = presented.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    for other in [again, fewer, flipped] {
        assert_ne!(other, presented);
        assert!(!record.binds(&token_of(rtw, other)));
    }
}

#[test]
fn a_presentation_rejected_in_phase_one_is_bound_by_the_same_digest() {
    let f = Fixture::new();
    let verifier = SigningKey::generate().unwrap();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    // Right credential, wrong nonce: refused after the SD-JWT is parsed.
    let wrong_nonce = token_of(
        rtw,
        f.present_to(
            &held,
            rtw.requested_claims(),
            CLIENT_ID,
            "another-nonce",
            NOW,
        ),
    );
    let outcome = f.rejection(rtw, &wrong_nonce).into_outcome();
    assert_eq!(outcome.reasons[0].code, ReasonCode::KeyBindingNonceMismatch);
    assert_eq!(
        outcome.presentation_sha256.as_deref(),
        Some(presentation_sha256(&wrong_nonce).as_str())
    );
    let jwt = sign_check_record(&outcome, rtw, &context("chk_8"), &verifier).unwrap();
    assert!(
        verify_check_record(&jwt, verifier.public_key())
            .unwrap()
            .binds(&wrong_nonce)
    );

    // Not exactly one presentation: the digest of the VP Token's JSON text.
    let mut two = wrong_nonce.clone();
    two.0
        .get_mut("identity")
        .unwrap()
        .push("eyJ.eyJ.sig~".to_owned());
    let outcome = f.rejection(rtw, &two).into_outcome();
    assert_eq!(
        outcome.presentation_sha256.as_deref(),
        Some(idv_jose::digest::sha256_b64(two.to_json_string().as_bytes()).as_str())
    );
}

#[test]
fn an_age_record_keeps_the_answer_but_no_claims() {
    let f = Fixture::new();
    let verifier = SigningKey::generate().unwrap();
    let over18 = f.template("age_over_18");
    let outcome = f.check(over18, &f.vp_token(over18, &f.age("2000-05-05")));
    assert!(outcome.compliant);
    let jwt = sign_check_record(&outcome, over18, &context("chk_3"), &verifier).unwrap();
    let record = verify_check_record(&jwt, verifier.public_key()).unwrap();
    assert!(record.compliant);
    assert_eq!(record.claims, None);
}

#[test]
fn a_rejection_is_recorded_with_its_code_and_no_claims() {
    let f = Fixture::new();
    let verifier = SigningKey::generate().unwrap();
    let rtw = f.template("right_to_work");
    let outcome = f.check_with_status(
        rtw,
        &f.vp_token(rtw, &f.identity(&person())),
        idv_status_list::Status::Invalid,
    );
    let jwt = sign_check_record(&outcome, rtw, &context("chk_4"), &verifier).unwrap();
    let record = verify_check_record(&jwt, verifier.public_key()).unwrap();
    assert_eq!(record.state, OutcomeState::Rejected);
    assert_eq!(record.reasons[0].code, ReasonCode::CredentialRevoked);
    assert_eq!(record.claims, None);

    let expired =
        idv_checks::CheckOutcome::rejected(rtw.reference(), ReasonCode::RequestExpired, NOW);
    let jwt = sign_check_record(&expired, rtw, &context("chk_5"), &verifier).unwrap();
    let record = verify_check_record(&jwt, verifier.public_key()).unwrap();
    assert_eq!(record.reasons[0].code, ReasonCode::RequestExpired);
    assert_eq!(record.presentation_sha256, None);
}

#[test]
fn an_outcome_is_signed_only_with_its_own_template() {
    let f = Fixture::new();
    let verifier = SigningKey::generate().unwrap();
    let outcome = idv_checks::CheckOutcome::rejected(
        f.template("age_over_18").reference(),
        ReasonCode::HolderDeclined,
        NOW,
    );
    assert!(matches!(
        sign_check_record(
            &outcome,
            f.template("right_to_work"),
            &context("chk_6"),
            &verifier
        ),
        Err(EvidenceError::TemplateMismatch { .. })
    ));
}
