//! State across restarts, and the end of retention.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::json;

use idv_jose::Clock;
use verifier::store::Store;

use crate::helpers::{DAY, Federation, WebhookReceiver, british_citizen};
use crate::wallet::{fetch_request, present, respond, vp_token};

test_on_both_databases!(
    a_restart_in_the_middle_of_a_check_loses_nothing,
    a_verification_interrupted_by_a_crash_fails_cleanly,
    personal_data_is_purged_when_retention_ends_leaving_the_outcome,
);

async fn a_restart_in_the_middle_of_a_check_loses_nothing(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let created = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;
    let id = created["id"].as_str().unwrap();

    fed.restart_verifier().await;
    let request = fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    let presentation = present(&fed, &credential, &request);
    // Between the request and the response: the nonce, state and per-request decryption
    // key all come back from the database.
    fed.restart_verifier().await;
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(id).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    assert_eq!(check["claims"]["family_name"], "Lovelace");

    fed.restart_verifier().await;
    assert_eq!(fed.check(id).await, check);
    fed.stop().await;
}

async fn a_verification_interrupted_by_a_crash_fails_cleanly(db: TestDb) {
    let fed = Federation::start(&db).await;
    let receiver = WebhookReceiver::start(vec![]).await;
    let created = fed
        .create_check(&json!({"template": "age_over_18", "webhook_url": receiver.url}))
        .await;
    let id = created["id"].as_str().unwrap();
    let request = fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    // An instance consumed the response, then died before recording the outcome.
    let store = Store::connect(db.url(), 1).await.unwrap();
    let row = store
        .load_check(&fed.tenant.tenant_id, id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .mark_presented(&row.check_id, fed.clock.now(), None)
            .await
            .unwrap()
    );
    store.close().await;
    assert_eq!(fed.check(id).await["state"], "presented");

    // The response cannot be replayed meanwhile, and after the timeout the check fails.
    let credential = fed.issue_age("good", &british_citizen());
    let presentation = present(&fed, &credential, &request);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    fed.clock.advance(121);
    receiver.wait_for(1).await;
    let check = fed.check(id).await;
    assert_eq!(check["state"], "failed");
    assert_eq!(check["outcome"], "rejected");
    let (_, body) = receiver.received.lock().unwrap()[0].clone();
    assert!(body.contains("check.failed"), "{body}");
    fed.stop().await;
}

async fn personal_data_is_purged_when_retention_ends_leaving_the_outcome(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let created = fed.create_check(&json!({"template": "age_over_18"})).await;
    let id = created["id"].as_str().unwrap();
    let request = fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    let presentation = present(&fed, &credential, &request);
    respond(&fed, &request, vp_token(&request, presentation)).await;
    let check = fed.check(id).await;
    assert_eq!(check["claims"], json!({"age_over_18": true}));
    let retain_until = check["retain_until"].as_i64().unwrap();
    assert_eq!(retain_until, check["finished_at"].as_i64().unwrap() + DAY);

    fed.clock.set(retain_until);
    let mut purged = check.clone();
    for _ in 0..200 {
        purged = fed.check(id).await;
        if purged.get("purged_at").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(purged["purged_at"], retain_until);
    assert!(purged.get("claims").is_none() && purged.get("evidence").is_none());
    for kept in [
        "outcome",
        "compliant",
        "reasons",
        "provider",
        "trust_list_sequence",
        "status_checked_at",
    ] {
        assert_eq!(purged[kept], check[kept], "{kept}");
    }
    fed.stop().await;
}
