//! `/readyz` and `/metrics` of the verifier: ready only while the database answers and a valid
//! trust list is held; the scrape reads the webhook outbox and names no tenant or check.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DAY, Federation};

test_on_both_databases!(the_verifier_is_ready_only_while_it_holds_a_valid_trust_list);

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
