//! Rate limits and the body cap over real HTTP (`[limits]`): bursts at the public endpoints
//! and at the operator API (unauthenticated attempts included) are throttled per address, each
//! on its own budget, with 429, `Retry-After` and the OAuth error body; an over-sized body is
//! 413.

use idv_service_kit::limits::Rate;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, error_body, provider_body};

test_on_both_databases!(
    bursts_at_the_public_and_operator_endpoints_are_throttled,
    an_over_sized_body_is_413,
);

/// Sends `n` `GET url` at once (with `token` as bearer, if any): (answered, throttled). A 429
/// must carry `Retry-After` and the OAuth error body.
async fn burst(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    n: usize,
) -> (usize, usize) {
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..n {
        let mut request = client.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let body: Value = response.json().await.unwrap_or_default();
            (status, retry_after, body)
        });
    }
    let (mut answered, mut throttled) = (0, 0);
    while let Some(result) = requests.join_next().await {
        let (status, retry_after, body) = result.unwrap();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert!(retry_after.unwrap() >= 1);
            assert_eq!(body["error"], "temporarily_unavailable");
            throttled += 1;
        } else {
            assert!(
                status.is_success() || status == StatusCode::UNAUTHORIZED,
                "{status}"
            );
            answered += 1;
        }
    }
    (answered, throttled)
}

async fn bursts_at_the_public_and_operator_endpoints_are_throttled(db: TestDb) {
    let mut app = TestApp::spawn(&db).await;
    // The operator API: 120 at once per address, guesses at the token included.
    let (answered, throttled) =
        burst(&app.client, &app.url("/v1/providers"), Some("guess"), 200).await;
    eprintln!("200 operator requests: {answered} answered, {throttled} 429");
    assert!((120..200).contains(&answered), "{answered}");
    assert_eq!(answered + throttled, 200);

    // The public endpoints have their own budget (600 at once by default; 50 here, then one
    // a second, so that the burst outruns the refill on a busy machine).
    app.config.limits.per_ip = Rate::new(60, 50);
    let mut app = app.restart().await;
    let (answered, throttled) = burst(&app.client, &app.url("/trust-list"), None, 100).await;
    eprintln!("100 public requests: {answered} answered, {throttled} 429");
    assert!((50..=60).contains(&answered), "{answered}");
    assert_eq!(answered + throttled, 100);
    // Health checks are never limited.
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.stop().await;
}

async fn an_over_sized_body_is_413(db: TestDb) {
    let mut app = TestApp::spawn(&db).await;
    let mut body = provider_body("big");
    body["name"] = Value::String("a".repeat(3 * 1024 * 1024));
    let response = app.post("/v1/providers", &body).await;
    let (error, _) = error_body(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(error, "invalid_request");
    let response = app
        .client
        .post(app.url("/v1/providers"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}
