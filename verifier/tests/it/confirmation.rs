//! The employer's statutory-excuse step: a right-to-work or right-to-rent check is compliant
//! only after the employer (or landlord) has compared the photo with the person and said so.

use idv_checks::evidence::verify_check_record;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Federation, WebhookReceiver, british_citizen, error_body, reason_codes};
use crate::wallet::{open_check, present, respond, run_check, vp_token};

test_on_both_databases!(
    a_right_to_work_check_is_compliant_only_after_the_employers_confirmation,
    a_person_who_is_not_the_holder_fails_the_check_and_leaves_no_claims,
    only_british_passports_and_irish_passports_or_cards_of_their_own_citizens_qualify,
    a_right_to_rent_check_takes_the_same_step,
    an_age_check_needs_no_confirmation_and_takes_none,
    webhooks_announce_the_presentation_and_the_confirmation,
);

fn confirmed() -> Value {
    json!({
        "decision": "confirmed",
        "method": "video_call",
        "checker_name": "Grace Hopper",
        "start_date": "2031-01-05"
    })
}

async fn a_right_to_work_check_is_compliant_only_after_the_employers_confirmation(db: TestDb) {
    let fed = Federation::start(&db).await;
    let mut dual = british_citizen();
    dual.nationalities = vec!["GB".into(), "FR".into()];
    let credential = fed.issue_identity("good", &dual);
    let (id, response) = run_check(&fed, "right_to_work", &credential).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Verified and eligible, but not yet a statutory excuse.
    let check = fed.check(&id).await;
    assert_eq!(check["state"], "completed", "{check}");
    assert_eq!(check["outcome"], "awaiting_confirmation");
    assert_eq!(check["compliant"], false);
    assert_eq!(check["claims"]["document"]["issuing_country"], "GB");
    assert!(
        check["claims"]["portrait"].is_string(),
        "the photo to compare"
    );
    assert!(check.get("confirmation").is_none());

    let response = fed.confirm(&id, &confirmed()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check: Value = response.json().await.unwrap();
    assert_eq!(check["outcome"], "compliant", "{check}");
    assert_eq!(check["compliant"], true);
    assert_eq!(check["confirmation"]["method"], "video_call");
    assert_eq!(check["confirmation"]["checker_name"], "Grace Hopper");
    assert_eq!(check["confirmation"]["start_date"], "2031-01-05");
    assert_eq!(fed.check(&id).await["outcome"], "compliant");

    // The record the employer keeps states the confirmation, signed.
    let record = verify_check_record(
        check["evidence"].as_str().unwrap(),
        &fed.evidence_key().await,
    )
    .unwrap();
    assert!(record.compliant);
    let confirmation = record.confirmation.unwrap();
    assert_eq!(confirmation.checker_name, "Grace Hopper");
    assert_eq!(
        confirmation.checked_before_start(record.checked_at),
        Some(true)
    );
    assert_eq!(record.claims.unwrap()["family_name"], "Lovelace");

    // Once only.
    let (error, _) = error_body(fed.confirm(&id, &confirmed()).await, StatusCode::CONFLICT).await;
    assert_eq!(error, "conflict");
    fed.stop().await;
}

async fn a_person_who_is_not_the_holder_fails_the_check_and_leaves_no_claims(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let (id, _) = run_check(&fed, "right_to_work", &credential).await;

    // Malformed confirmations change nothing.
    for bad in [
        json!({"decision": "confirmed", "method": "video_call", "checker_name": " "}),
        json!({"decision": "confirmed", "method": "telepathy", "checker_name": "Grace"}),
        json!({"decision": "confirmed", "method": "in_person", "checker_name": "Grace",
               "start_date": "next monday"}),
        json!({"decision": "maybe", "method": "in_person", "checker_name": "Grace"}),
    ] {
        let response = fed.confirm(&id, &bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(fed.check(&id).await["outcome"], "awaiting_confirmation");

    let response = fed
        .confirm(
            &id,
            &json!({"decision": "not_matched", "method": "in_person", "checker_name": "Grace"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(&id).await;
    assert_eq!(check["state"], "failed", "{check}");
    assert_eq!(check["outcome"], "rejected");
    assert_eq!(reason_codes(&check), ["holder_not_matched"]);
    assert_eq!(check["reasons"][0]["step"], "confirmation");
    assert!(check.get("claims").is_none(), "{check}");
    assert_eq!(check["confirmation"]["decision"], "not_matched");
    fed.stop().await;
}

async fn only_british_passports_and_irish_passports_or_cards_of_their_own_citizens_qualify(
    db: TestDb,
) {
    let fed = Federation::start(&db).await;
    // A British and French citizen proofed with a French passport: a manual check, not IDVT.
    let mut dual = british_citizen();
    dual.nationalities = vec!["GB".into(), "FR".into()];
    dual.document.issuing_country = "FR".into();
    let (id, _) = run_check(&fed, "right_to_work", &fed.issue_identity("good", &dual)).await;
    let check = fed.check(&id).await;
    assert_eq!(check["outcome"], "not_eligible", "{check}");
    assert_eq!(reason_codes(&check), ["document_country_not_eligible"]);
    let advice = check["reasons"][0]["message"].as_str().unwrap();
    assert!(advice.contains("manual check") && !advice.contains("share code"));
    let (error, _) = error_body(fed.confirm(&id, &confirmed()).await, StatusCode::CONFLICT).await;
    assert_eq!(error, "conflict");

    // An Irish citizen with an Irish passport card.
    let mut irish = british_citizen();
    irish.nationalities = vec!["IE".into()];
    irish.document.document_type = "irish_passport_card".into();
    irish.document.issuing_country = "IE".into();
    let (id, _) = run_check(&fed, "right_to_work", &fed.issue_identity("good", &irish)).await;
    assert_eq!(fed.check(&id).await["outcome"], "awaiting_confirmation");
    let check: Value = fed.confirm(&id, &confirmed()).await.json().await.unwrap();
    assert_eq!(check["outcome"], "compliant", "{check}");
    fed.stop().await;
}

async fn a_right_to_rent_check_takes_the_same_step(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let (id, _) = run_check(&fed, "right_to_rent", &credential).await;
    let check = fed.check(&id).await;
    assert_eq!(check["template"]["id"], "right_to_rent");
    assert_eq!(check["outcome"], "awaiting_confirmation", "{check}");
    let check: Value = fed
        .confirm(
            &id,
            &json!({"decision": "confirmed", "method": "in_person", "checker_name": "Letting desk"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["outcome"], "compliant", "{check}");
    fed.stop().await;
}

async fn an_age_check_needs_no_confirmation_and_takes_none(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (id, _) = run_check(&fed, "age_over_18", &credential).await;
    let check = fed.check(&id).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    assert_eq!(check["level_of_confidence"], "medium");
    let (error, _) = error_body(fed.confirm(&id, &confirmed()).await, StatusCode::CONFLICT).await;
    assert_eq!(error, "conflict");
    let response = fed.confirm("chk_nope", &confirmed()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    fed.stop().await;
}

async fn webhooks_announce_the_presentation_and_the_confirmation(db: TestDb) {
    let receiver = WebhookReceiver::start(Vec::new()).await;
    let fed = Federation::start_with(&db, |c| receiver.allow(c)).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let (created, request) = open_check(
        &fed,
        &json!({"template": "right_to_work", "webhook_url": receiver.url}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let presentation = present(&fed, &credential, &request);
    respond(&fed, &request, vp_token(&request, presentation)).await;
    receiver.wait_for(1).await;
    fed.confirm(id, &confirmed()).await;
    receiver.wait_for(2).await;

    let events: Vec<Value> = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "check.completed");
    assert_eq!(events[0]["data"]["outcome"], "awaiting_confirmation");
    assert_eq!(events[0]["data"]["compliant"], false);
    assert_eq!(events[1]["type"], "check.confirmed");
    assert_eq!(events[1]["data"]["outcome"], "compliant");
    assert_eq!(events[1]["data"]["compliant"], true);
    assert!(
        !events[1].to_string().contains("Grace"),
        "no names in events"
    );
    fed.stop().await;
}
