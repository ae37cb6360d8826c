//! `/readyz` and `/metrics` of the verifier: ready only while the database answers and a valid
//! trust list is held; the scrape reads the webhook outbox and names no tenant or check.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DAY, Federation, WebhookReceiver, british_citizen};
use crate::wallet::{fetch_request, present, respond, vp_token};

test_on_both_databases!(
    the_verifier_is_ready_only_while_it_holds_a_valid_trust_list,
    the_webhook_backlog_and_attempts_show_in_the_metrics,
);

/// The value of the sample line `series` (name and labels exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(federation: &Federation) -> String {
    let response = federation.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

async fn the_webhook_backlog_and_attempts_show_in_the_metrics(db: TestDb) {
    let receiver = WebhookReceiver::start(vec![500]).await;
    let federation = Federation::start_with(&db, |c| receiver.allow(c)).await;
    let credential = federation.issue_age("good", &british_citizen());
    let created = federation
        .create_check(&json!({"template": "age_over_18", "webhook_url": receiver.url}))
        .await;
    let request = fetch_request(&federation, created["wallet_url"].as_str().unwrap()).await;
    let presentation = present(&federation, &credential, &request);
    respond(&federation, &request, vp_token(&request, presentation)).await;

    // The first attempt fails (500): the event waits for its retry. The attempt is counted
    // just after its failure is stored, so both are waited for.
    receiver.wait_for(1).await;
    let failed = |text: &str| {
        sample(
            text,
            "idv_verifier_webhook_attempts_total{result=\"failed\"}",
        )
        .is_some_and(|n| n >= 1.0)
    };
    let mut text = scrape(&federation).await;
    for _ in 0..50 {
        if sample(&text, "idv_verifier_webhook_events_retrying") == Some(1.0) && failed(&text) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        text = scrape(&federation).await;
    }
    assert_eq!(
        sample(&text, "idv_verifier_webhook_events{state=\"pending\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "idv_verifier_webhook_events_retrying"),
        Some(1.0)
    );
    assert!(failed(&text), "{text}");

    // The retry is acknowledged: nothing pending any more.
    federation.clock.advance(5);
    receiver.wait_for(2).await;
    for _ in 0..50 {
        text = scrape(&federation).await;
        if sample(&text, "idv_verifier_webhook_events{state=\"pending\"}") == Some(0.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        sample(&text, "idv_verifier_webhook_events{state=\"pending\"}"),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "idv_verifier_webhook_attempts_total{result=\"delivered\"}"
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        !text.contains(created["id"].as_str().unwrap()),
        "no check ids"
    );
    federation.stop().await;
}

async fn the_verifier_is_ready_only_while_it_holds_a_valid_trust_list(db: TestDb) {
    let mut federation = Federation::start(&db).await;
    let ready = federation.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.headers()["cache-control"], "no-store");
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"status": "ready"})
    );

    // The register goes away, and the list held expires (a day's validity).
    federation.stop_trust_framework().await;
    federation.clock.advance(2 * DAY);
    let not_ready = federation.get("/readyz").await;
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        not_ready.json::<Value>().await.unwrap(),
        json!({"status": "not_ready", "not_ready": ["trust_list"]})
    );
    // Alive all the same.
    assert_eq!(federation.get("/healthz").await.status(), StatusCode::OK);

    // The gauges say why.
    let metrics = federation.get("/metrics").await;
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(
        text.lines().any(|l| l == "idv_trust_list_valid 0"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "idv_verifier_webhook_events{state=\"pending\"} 0"),
        "{text}"
    );
    assert!(!text.contains(&federation.tenant.tenant_id));
    federation.stop().await;
}
