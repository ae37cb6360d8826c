//! The right-to-work template: compliant, every "not eligible" route, and claims the rules
//! refuse to rely on.

use idv_checks::{OutcomeState, ReasonCode, Step};
use idv_proto::trust::entry::LevelOfConfidence;
use serde_json::json;

use crate::helpers::*;

#[test]
fn a_british_passport_holder_proofed_to_medium_is_compliant() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&person())));

    // Verified and eligible: the employer must still compare the photo with the person.
    assert_eq!(outcome.state, OutcomeState::AwaitingConfirmation);
    assert!(!outcome.compliant && outcome.reasons.is_empty());
    assert_eq!(
        serde_json::Value::Object(outcome.claims.clone()),
        json!({
            "given_name": "Ada",
            "family_name": "Lovelace",
            "birthdate": "1990-12-10",
            "portrait": idv_test_support::citizen::PORTRAIT,
            "nationalities": ["GB"],
            "document": {
                "type": "passport",
                "issuing_country": "GB",
                "date_of_expiry": "2031-01-31"
            },
            "verification": { "assurance_level": "medium", "gpg45_profile": "M1B" }
        })
    );
    let provider = outcome.provider.as_ref().unwrap();
    assert_eq!(provider.register_id, REGISTER_ID);
    assert_eq!(provider.organisation.name, "Example IDSP Ltd");
    assert_eq!(provider.service, "Example Reusable ID");
    assert_eq!(outcome.level_of_confidence, Some(LevelOfConfidence::Medium));
    let list = outcome.trust_list.as_ref().unwrap();
    assert_eq!(
        (list.list_id.as_str(), list.sequence),
        ("uk-dvs-register", 42)
    );
    assert_eq!(outcome.status_checked_at, Some(NOW + 1));
    assert_eq!(outcome.checked_at, NOW);
    assert_eq!(
        (outcome.template.id.as_str(), outcome.template.version),
        ("right_to_work", 2)
    );
    assert!(outcome.presentation_sha256.is_some());
}

#[test]
fn a_dual_nationals_french_passport_is_not_eligible_but_their_british_one_is() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut dual = person();
    dual.nationalities = vec!["GB".into(), "FR".into()];
    dual.document.issuing_country = "FR".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&dual)));
    assert_eq!(outcome.state, OutcomeState::NotEligible);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::DocumentCountryNotEligible]
    );
    // A British citizen cannot use a share code: their route is a manual document check.
    assert!(outcome.reasons[0].message.contains("manual check"));
    assert!(!outcome.reasons[0].message.contains("share code"));
    assert!(outcome.claims.is_empty());

    dual.document.issuing_country = "GB".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&dual)));
    assert_eq!(
        outcome.state,
        OutcomeState::AwaitingConfirmation,
        "{outcome:?}"
    );
    assert_eq!(outcome.claims["document"]["issuing_country"], "GB");
}

#[test]
fn a_british_passport_of_someone_who_is_not_british_is_not_eligible() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut irish = person();
    irish.nationalities = vec!["IE".into()];
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&irish)));
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::DocumentCountryNotEligible]
    );
}

#[test]
fn an_issuer_signed_birthdate_that_is_no_date_or_in_the_future_is_invalid_and_named() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    for bad in [json!("1990-13-45"), json!(19_901_210), json!("2027-01-01")] {
        let held = f.identity_with_claims(|claims| {
            claims.insert("birthdate".into(), bad.clone());
        });
        let outcome = f.check(rtw, &f.vp_token(rtw, &held));
        assert_eq!(outcome.state, OutcomeState::Rejected, "{bad}");
        assert_eq!(
            outcome.codes().collect::<Vec<_>>(),
            [ReasonCode::ClaimInvalid],
            "{bad}"
        );
        assert_eq!(outcome.reasons[0].claim, Some(path(json!(["birthdate"]))));
        assert!(
            outcome.claims.is_empty(),
            "nothing unvalidated is shown as verified"
        );
        let text = serde_json::to_string(&outcome).unwrap();
        assert!(
            !text.contains("1990-13-45") && !text.contains("19901210"),
            "{text}"
        );
    }
    // The same credential with a real date passes: the fixture itself is sound.
    let held = f.identity_with_claims(|_| {});
    assert!(
        f.check(rtw, &f.vp_token(rtw, &held))
            .awaiting_confirmation()
    );
}

#[test]
fn a_level_of_confidence_its_gpg45_profile_contradicts_is_invalid() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity_with_claims(|claims| {
        claims.insert(
            "verification".into(),
            json!({ "assurance_level": "medium", "gpg45_profile": "L1A" }),
        );
    });
    let outcome = f.check(rtw, &f.vp_token(rtw, &held));
    assert_eq!(
        outcome
            .reasons
            .iter()
            .map(|r| r.claim.clone())
            .collect::<Vec<_>>(),
        [Some(path(json!(["verification", "gpg45_profile"])))]
    );
}

#[test]
fn an_irish_citizen_with_an_irish_passport_card_is_compliant() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut irish = person();
    irish.nationalities = vec!["FR".into(), "IE".into()];
    irish.document.document_type = "irish_passport_card".into();
    irish.document.issuing_country = "IE".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&irish)));
    assert!(outcome.awaiting_confirmation(), "{outcome:?}");
}

#[test]
fn claims_the_wallet_discloses_without_being_asked_are_dropped() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let held = f.identity(&person());
    let mut paths = rtw.requested_claims().to_vec();
    for extra in [json!(["address"]), json!(["verification", "time"])] {
        paths.push(path(extra));
    }
    let presentation = f.present_to(&held, &paths, CLIENT_ID, NONCE, NOW);
    let outcome = f.check(rtw, &token(rtw, presentation));

    assert!(outcome.awaiting_confirmation(), "{outcome:?}");
    assert!(!outcome.claims.contains_key("address"));
    assert_eq!(
        outcome.claims["document"],
        json!({ "type": "passport", "issuing_country": "GB", "date_of_expiry": "2031-01-31" })
    );
    assert_eq!(
        outcome.claims["verification"],
        json!({ "assurance_level": "medium", "gpg45_profile": "M1B" })
    );
    for registered in ["iss", "vct", "cnf", "status", "iat", "exp"] {
        assert!(!outcome.claims.contains_key(registered), "{registered}");
    }
    let text = serde_json::to_string(&outcome).unwrap();
    assert!(
        !text.contains("Analytical") && !text.contains("N1 9GU"),
        "{text}"
    );
}

#[test]
fn another_nationality_is_not_eligible_and_points_to_the_share_code_route() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut french = person();
    french.nationalities = vec!["FR".into()];
    french.document.issuing_country = "FR".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&french)));

    assert_eq!(outcome.state, OutcomeState::NotEligible);
    assert!(!outcome.compliant);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [
            ReasonCode::NationalityNotEligible,
            ReasonCode::DocumentCountryNotEligible
        ]
    );
    let reason = &outcome.reasons[0];
    assert_eq!(reason.step, Step::Rule);
    assert!(reason.message.contains("Home Office share code"));
    assert!(outcome.claims.is_empty(), "no personal data is kept");
    assert_eq!(outcome.provider.as_ref().unwrap().register_id, REGISTER_ID);
}

#[test]
fn an_expired_passport_is_not_eligible() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut expired = person();
    expired.document.date_of_expiry = "2025-12-31".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&expired)));

    assert_eq!(outcome.state, OutcomeState::NotEligible);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::DocumentExpired]
    );
    assert!(outcome.reasons[0].message.contains("manual check"));
    assert!(outcome.claims.is_empty());
}

#[test]
fn a_document_other_than_a_passport_is_not_eligible() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut licence = person();
    licence.document.document_type = "driving_licence".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&licence)));
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::DocumentTypeNotEligible]
    );
    assert_eq!(outcome.state, OutcomeState::NotEligible);
}

#[test]
fn an_identity_proofed_to_low_confidence_is_not_eligible() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut low = person();
    low.level_of_confidence = "low".into();
    low.gpg45_profile = "L1A".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&low)));

    assert_eq!(outcome.state, OutcomeState::NotEligible);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::LevelOfConfidenceTooLow]
    );
    assert_eq!(outcome.level_of_confidence, Some(LevelOfConfidence::Low));
}

#[test]
fn a_credential_cannot_claim_more_confidence_than_its_provider_is_certified_for() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut high = person();
    high.level_of_confidence = "very_high".into();
    high.gpg45_profile = "V1A".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&high)));
    assert!(outcome.awaiting_confirmation());
    assert_eq!(outcome.level_of_confidence, Some(LevelOfConfidence::Medium));
}

#[test]
fn every_failed_eligibility_rule_is_reported() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut ineligible = person();
    ineligible.nationalities = vec!["US".into()];
    ineligible.document.date_of_expiry = "2020-01-01".into();
    ineligible.level_of_confidence = "low".into();
    ineligible.gpg45_profile = "L1A".into();
    let outcome = f.check(rtw, &f.vp_token(rtw, &f.identity(&ineligible)));
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [
            ReasonCode::NationalityNotEligible,
            ReasonCode::DocumentCountryNotEligible,
            ReasonCode::DocumentExpired,
            ReasonCode::LevelOfConfidenceTooLow
        ]
    );
}

#[test]
fn a_credential_without_a_portrait_does_not_answer_the_request() {
    let f = Fixture::new();
    let rtw = f.template("right_to_work");
    let mut no_portrait = person();
    no_portrait.portrait = None;
    let held = f.identity(&no_portrait);
    let paths: Vec<_> = rtw
        .requested_claims()
        .iter()
        .filter(|p| **p != path(json!(["portrait"])))
        .cloned()
        .collect();
    let presentation = f.present_to(&held, &paths, CLIENT_ID, NONCE, NOW);
    let failure = f.rejection(rtw, &token(rtw, presentation));
    assert_eq!(failure.code(), ReasonCode::DcqlNotSatisfied);
}

#[test]
fn the_templates_ask_for_what_the_profiles_issue() {
    use idv_profiles::AGE_THRESHOLDS;
    use idv_profiles::type_metadata::PUBLISHED;
    let f = Fixture::new();
    // One age template per age the profile attests, and none for an age it does not.
    let age_templates: Vec<&str> = f
        .templates
        .iter()
        .map(|template| template.id())
        .filter(|id| id.starts_with("age_over_"))
        .collect();
    let attested: Vec<String> = AGE_THRESHOLDS
        .iter()
        .map(|threshold| format!("age_over_{threshold}"))
        .collect();
    assert_eq!(age_templates, attested);
    // Every type a template asks for is published, named by its own Type Metadata document.
    for template in f.templates.iter() {
        let query = serde_json::to_value(template.dcql_query()).unwrap();
        for vct in query["credentials"][0]["meta"]["vct_values"]
            .as_array()
            .unwrap()
        {
            let published = PUBLISHED.iter().find(|published| {
                let document: serde_json::Value = serde_json::from_str(published.metadata).unwrap();
                document["vct"] == *vct
            });
            assert!(
                published.is_some(),
                "{}: {vct} is not published",
                template.id()
            );
        }
    }
    // An age credential as the profile issues it satisfies each age template.
    let age = f.age("2000-05-05");
    for threshold in AGE_THRESHOLDS {
        let template = f.template(&format!("age_over_{threshold}"));
        let presentation = f.present_to(&age, template.requested_claims(), CLIENT_ID, NONCE, NOW);
        let outcome = f.check(template, &token(template, presentation));
        assert_eq!(outcome.state, OutcomeState::Compliant, "{threshold}");
    }
}
