//! Rate limits and the body cap over real HTTP (`[limits]`): a burst of `POST /nonce` from one
//! address is throttled (429 with `Retry-After`, the OAuth error body); `X-Forwarded-For`
//! names the client only when the peer is a trusted proxy; the operator API has its own
//! limit; an over-sized body is 413.

use idv_service_kit::limits::Rate;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, test_config};

test_on_both_databases!(
    a_burst_of_nonce_requests_from_one_address_is_throttled,
    forwarded_for_names_the_client_only_behind_a_trusted_proxy,
    the_operator_api_is_throttled_per_address,
    an_over_sized_body_is_413,
);

/// `n` `POST /nonce`, with `X-Forwarded-For: forwarded_for` if given: (200s, 429s).
async fn nonces(app: &TestApp, n: usize, forwarded_for: Option<&str>) -> (usize, usize) {
    let (mut ok, mut throttled) = (0, 0);
    for _ in 0..n {
        let mut request = app.client.post(app.url("/nonce"));
        if let Some(xff) = forwarded_for {
            request = request.header("x-forwarded-for", xff);
        }
        let response = request.send().await.unwrap();
        match response.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                throttled += 1;
                let retry_after: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=2).contains(&retry_after), "{retry_after}");
                assert_eq!(response.headers()["cache-control"], "no-store");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"], "temporarily_unavailable");
            }
            other => panic!("{other}"),
        }
    }
    (ok, throttled)
}

async fn a_burst_of_nonce_requests_from_one_address_is_throttled(db: TestDb) {
    let mut app = TestApp::spawn(&db).await;
    // The defaults: 60 at once, then two a second.
    let (ok, throttled) = nonces(&app, 300, None).await;
    eprintln!("300 POST /nonce from one address: {ok} 200, {throttled} 429");
    assert!((60..120).contains(&ok), "{ok}");
    assert_eq!(ok + throttled, 300);
    // Reads are on the general, far larger budget.
    let response = app
        .client
        .get(app.url("/.well-known/openid-credential-issuer"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.stop().await;
}

async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy(db: TestDb) {
    let mut config = test_config(&db);
    config.limits.writes_per_ip = Rate::new(60, 5);
    // No trusted proxy: the header is the client's own claim, and is ignored.
    let mut app = TestApp::spawn_with(config.clone()).await;
    assert_eq!(nonces(&app, 5, Some("198.51.100.1")).await, (5, 0));
    assert_eq!(nonces(&app, 3, Some("198.51.100.2")).await, (0, 3));
    app.stop().await;

    // Behind a trusted proxy (the tests' loopback), its rightmost untrusted entry is the
    // client: each client its own bucket, and a forged entry further left changes nothing.
    let db = TestDb::sqlite().await;
    let mut config = test_config(&db);
    config.limits.writes_per_ip = Rate::new(60, 5);
    config.limits.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let mut app = TestApp::spawn_with(config).await;
    assert_eq!(nonces(&app, 6, Some("198.51.100.1")).await, (5, 1));
    assert_eq!(nonces(&app, 5, Some("198.51.100.2")).await, (5, 0));
    assert_eq!(
        nonces(&app, 2, Some("203.0.113.9, 198.51.100.2")).await,
        (0, 2)
    );
    app.stop().await;
}

async fn the_operator_api_is_throttled_per_address(db: TestDb) {
    let mut app = TestApp::spawn(&db).await;
    // The defaults: 120 at once. Unauthenticated attempts count too (before the token check).
    let (mut ok, mut throttled, mut unauthorised) = (0, 0, 0);
    for i in 0..200 {
        let response = if i % 2 == 0 {
            app.get("/v1/credentials").await
        } else {
            app.client
                .get(app.url("/v1/credentials"))
                .bearer_auth("guess")
                .send()
                .await
                .unwrap()
        };
        match response.status() {
            StatusCode::OK => ok += 1,
            StatusCode::UNAUTHORIZED => unauthorised += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(response.headers().contains_key("retry-after"));
                throttled += 1;
            }
            other => panic!("{other}"),
        }
    }
    eprintln!("200 operator requests: {ok} 200, {unauthorised} 401, {throttled} 429");
    assert!(
        (120..200).contains(&(ok + unauthorised)),
        "{ok} {unauthorised}"
    );
    assert_eq!(ok + unauthorised + throttled, 200);
    // The public endpoints have a budget of their own.
    let (ok, _) = nonces(&app, 1, None).await;
    assert_eq!(ok, 1);
    app.stop().await;
}

async fn an_over_sized_body_is_413(db: TestDb) {
    let mut app = TestApp::spawn(&db).await;
    let big = "a".repeat(3 * 1024 * 1024);
    let response = app
        .client
        .post(app.url("/token"))
        .form(&[("grant_type", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // Malformed, not large: 400.
    let response = app
        .client
        .post(app.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=%zz")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}
