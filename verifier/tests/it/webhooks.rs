//! Signed webhooks from the outbox: retried until acknowledged, then never again.

use idv_test_support::{TestDb, test_on_both_databases};
use serde_json::{Value, json};
use verifier::webhooks::signature;

use crate::helpers::{Federation, WebhookReceiver, british_citizen};
use crate::wallet::{open_check, present, respond, vp_token};

test_on_both_databases!(
    a_webhook_is_retried_until_acknowledged_with_the_same_id_and_valid_signatures,
    an_expired_check_is_announced,
);

async fn a_webhook_is_retried_until_acknowledged_with_the_same_id_and_valid_signatures(db: TestDb) {
    let receiver = WebhookReceiver::start(vec![500, 503]).await;
    let fed = Federation::start_with(&db, |c| receiver.allow(c)).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(
        &fed,
        &json!({
            "template": "age_over_18",
            "webhook_url": receiver.url,
            "reference": "till-3"
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let presentation = present(&fed, &credential, &request);
    respond(&fed, &request, vp_token(&request, presentation)).await;

    // First attempt at once (500), the next after the backoff (503), then 10 s later (200).
    receiver.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(receiver.count(), 1, "not retried before the backoff");
    fed.clock.advance(5);
    receiver.wait_for(2).await;
    fed.clock.advance(9);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(receiver.count(), 2, "the delay doubles");
    fed.clock.advance(1);
    receiver.wait_for(3).await;
    // Acknowledged: no more attempts, however long we wait.
    fed.clock.advance(3600);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(receiver.count(), 3);

    let received = receiver.received.lock().unwrap().clone();
    let first_id = received[0].0["webhook-id"].to_str().unwrap().to_owned();
    assert!(first_id.starts_with("msg_"));
    for (headers, body) in &received {
        assert_eq!(headers["webhook-id"].to_str().unwrap(), first_id);
        assert_eq!(headers["content-type"], "application/json");
        let timestamp: i64 = headers["webhook-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let valid = signature::verify(
            &fed.tenant.webhook_secret,
            &first_id,
            timestamp,
            body,
            headers["webhook-signature"].to_str().unwrap(),
        )
        .unwrap();
        assert!(valid, "bad signature");
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["type"], "check.completed");
        assert_eq!(
            event["data"],
            json!({
                "check_id": id,
                "state": "completed",
                "outcome": "compliant",
                "compliant": true,
                "reasons": [],
                "reference": "till-3"
            })
        );
        assert!(event["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    fed.stop().await;
}

async fn an_expired_check_is_announced(db: TestDb) {
    let receiver = WebhookReceiver::start(vec![]).await;
    let fed = Federation::start_with(&db, |c| receiver.allow(c)).await;
    let created = fed
        .create_check(&json!({"template": "age_over_18", "webhook_url": receiver.url}))
        .await;
    fed.clock.advance(601);
    // The sweeper expires it and the outbox worker announces it.
    receiver.wait_for(1).await;
    let (_, body) = receiver.received.lock().unwrap()[0].clone();
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "check.expired");
    assert_eq!(event["data"]["check_id"], created["id"]);
    assert_eq!(event["data"]["reasons"], json!(["request_expired"]));
    let check = fed.check(created["id"].as_str().unwrap()).await;
    assert_eq!(check["state"], "expired");
    fed.stop().await;
}
