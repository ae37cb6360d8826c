//! Age templates: only the threshold claim and the level of confidence behind it are ever
//! requested, received or kept.

use idv_checks::{OutcomeState, ReasonCode};
use serde_json::json;

use crate::helpers::*;

#[test]
fn an_age_check_never_asks_for_or_receives_a_name_or_birthdate() {
    let f = Fixture::new();
    let over18 = f.template("age_over_18");
    let query = serde_json::to_value(over18.dcql_query()).unwrap();
    assert_eq!(
        query["credentials"][0]["claims"],
        json!([
            { "path": ["age_over_18"] },
            { "path": ["verification", "assurance_level"] }
        ])
    );
    assert_eq!(
        query["credentials"][0]["meta"]["vct_values"],
        json!([idv_checks::templates::AGE_VCT])
    );

    let held = f.age("2000-05-05");
    let presentation = f.present_to(&held, over18.requested_claims(), CLIENT_ID, NONCE, NOW);
    let outcome = f.check(over18, &token(over18, presentation.clone()));

    assert_eq!(outcome.state, OutcomeState::Compliant);
    assert_eq!(
        serde_json::Value::Object(outcome.claims.clone()),
        json!({ "age_over_18": true, "verification": { "assurance_level": "medium" } })
    );
    assert_eq!(
        outcome.level_of_confidence,
        Some(idv_proto::trust::entry::LevelOfConfidence::Medium)
    );
    let text = serde_json::to_string(&outcome).unwrap();
    for personal in PERSONAL {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    // What travelled from the wallet: the issuer JWT plus one disclosure, no personal claim.
    let disclosures: Vec<&str> = presentation.split('~').skip(1).collect();
    assert_eq!(disclosures.len(), 2, "one disclosure and the KB-JWT");
    let disclosed = idv_jose::base64url::decode(disclosures[0]).unwrap();
    let disclosed = String::from_utf8(disclosed).unwrap();
    assert!(disclosed.contains("age_over_18"), "{disclosed}");
}

#[test]
fn an_age_check_keeps_only_its_threshold_when_the_wallet_discloses_more() {
    let f = Fixture::new();
    let over18 = f.template("age_over_18");
    let held = f.age("2000-05-05");
    let all: Vec<_> = ["age_over_16", "age_over_18", "age_over_21", "age_over_25"]
        .into_iter()
        .map(|claim| path(json!([claim])))
        .collect();
    let outcome = f.check(over18, &f.vp_token_disclosing(over18, &held, &all));
    assert!(outcome.compliant);
    assert_eq!(
        outcome.claims.keys().collect::<Vec<_>>(),
        ["age_over_18", "verification"]
    );
    assert_eq!(
        outcome.claims["verification"],
        json!({ "assurance_level": "medium" })
    );
}

#[test]
fn an_age_resting_on_a_low_confidence_identity_is_not_eligible() {
    let f = Fixture::new();
    let over18 = f.template("age_over_18");
    // Signed by the registered issuer, whose entry is certified to medium: the credential's
    // own level decides.
    let held = f.age_with_claims(
        json!({ "age_over_18": true, "verification": { "assurance_level": "low" } }),
    );
    let outcome = f.check(over18, &f.vp_token(over18, &held));
    assert_eq!(outcome.state, OutcomeState::NotEligible);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::LevelOfConfidenceTooLow]
    );
    assert!(outcome.claims.is_empty());

    let held = f.age_with_claims(
        json!({ "age_over_18": true, "verification": { "assurance_level": "high" } }),
    );
    assert!(f.check(over18, &f.vp_token(over18, &held)).compliant);
}

#[test]
fn an_age_credential_stating_no_level_does_not_answer_the_request() {
    let f = Fixture::new();
    let over18 = f.template("age_over_18");
    let held = f.age_with_claims(json!({ "age_over_18": true }));
    let vp_token = f.vp_token_disclosing(over18, &held, &[path(json!(["age_over_18"]))]);
    assert_eq!(
        f.rejection(over18, &vp_token).code(),
        ReasonCode::DcqlNotSatisfied
    );
}

#[test]
fn a_holder_under_the_threshold_is_not_eligible() {
    let f = Fixture::new();
    let over25 = f.template("age_over_25");
    let held = f.age("2004-01-01");
    let outcome = f.check(over25, &f.vp_token(over25, &held));
    assert_eq!(outcome.state, OutcomeState::NotEligible);
    assert_eq!(
        outcome.codes().collect::<Vec<_>>(),
        [ReasonCode::AgeThresholdNotMet]
    );
    assert!(outcome.claims.is_empty());

    let over16 = f.template("age_over_16");
    assert!(f.check(over16, &f.vp_token(over16, &held)).compliant);
}

#[test]
fn an_identity_credential_does_not_answer_an_age_check() {
    let f = Fixture::new();
    let over18 = f.template("age_over_18");
    let identity = f.identity(&person());
    let vp_token = f.vp_token_disclosing(over18, &identity, &[path(json!(["birthdate"]))]);
    let failure = f.rejection(over18, &vp_token);
    assert_eq!(failure.code(), ReasonCode::DcqlNotSatisfied);
    let outcome = failure.into_outcome();
    assert!(outcome.claims.is_empty());
    assert!(!serde_json::to_string(&outcome).unwrap().contains("1990"));
}

#[test]
fn an_age_credential_without_the_threshold_disclosed_is_rejected() {
    let f = Fixture::new();
    let over18 = f.template("age_over_18");
    let held = f.age("2000-05-05");
    let vp_token = f.vp_token_disclosing(over18, &held, &[path(json!(["age_over_16"]))]);
    assert_eq!(
        f.rejection(over18, &vp_token).code(),
        ReasonCode::DcqlNotSatisfied
    );
}
