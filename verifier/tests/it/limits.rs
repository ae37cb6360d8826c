//! Rate and resource limits over real HTTP (`[limits]`): a burst of authorization requests
//! from one address or for one client is throttled (429 with `Retry-After`, an HTML page), the
//! tenant API's check creation per tenant (one tenant throttled, another not), the caps on
//! open checks and pending sign-ins, authorization requests that create no check until the
//! hand-off page is loaded, and over-sized bodies (413, not the 400 of a malformed one).

use std::sync::Arc;

use idv_jose::Clock;
use idv_service_kit::db::PoolSettings;
use idv_service_kit::limits::Rate;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use verifier::store::Store;

use crate::helpers::{Federation, error_body};
use crate::oidc::rp::{Browser, Registered, RelyingParty, no_redirects, register, see_other};

test_on_both_databases!(
    authorization_requests_create_no_check_until_the_handoff_page_is_loaded,
    a_burst_of_authorization_requests_is_throttled_per_address_and_per_client,
    pending_sign_ins_of_a_client_are_capped,
    check_creation_is_throttled_per_tenant,
    open_checks_of_a_tenant_are_capped,
    over_sized_bodies_are_413_and_malformed_ones_400,
);

const REDIRECT_URI: &str = "https://hr.employer.example.co.uk/oidc/callback";

async fn store(db: &TestDb) -> Store {
    Store::connect(db.url(), PoolSettings::with_max_connections(1))
        .await
        .unwrap()
}

/// The federation's verifier restarted with `change` applied to its `[limits]`.
async fn with_limits(
    fed: &mut Federation,
    change: impl FnOnce(&mut verifier::config::LimitSettings),
) {
    change(&mut fed.verifier_config.limits);
    fed.restart_verifier().await;
}

/// `n` authorization requests (no cookies kept, redirects not followed): their statuses.
async fn authorize_burst(rp: &RelyingParty, n: usize) -> Vec<reqwest::Response> {
    let client = no_redirects();
    let mut responses = Vec::new();
    for _ in 0..n {
        let url = rp.authorize("right_to_work").url;
        responses.push(client.get(url.as_str()).send().await.unwrap());
    }
    responses
}

fn count(responses: &[reqwest::Response], status: StatusCode) -> usize {
    responses.iter().filter(|r| r.status() == status).count()
}

async fn authorization_requests_create_no_check_until_the_handoff_page_is_loaded(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    with_limits(&mut fed, |limits| {
        limits.authorize_per_ip = Rate::new(6000, 1000);
    })
    .await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let store = store(&db).await;
    let now = fed.clock.now();
    let tenant = fed.tenant.tenant_id.clone();

    let responses = authorize_burst(&rp, 50).await;
    assert_eq!(count(&responses, StatusCode::SEE_OTHER), 50);
    // Fifty pending sign-ins, and not one check (no row, no ECDH key, no wallet request).
    let (pending, _) = store
        .pending_oidc_sessions(&registered.client_id, now)
        .await
        .unwrap();
    assert_eq!(pending, 50);
    assert_eq!(store.open_checks(&tenant, now, 0).await.unwrap().0, 0);

    // A person's browser loads its hand-off page: now its check exists, once.
    let mut browser = Browser::new();
    let handoff = see_other(
        &browser
            .get(rp.authorize("right_to_work").url.as_str())
            .await,
    );
    assert_eq!(store.open_checks(&tenant, now, 0).await.unwrap().0, 0);
    for _ in 0..3 {
        let page = browser.get(&handoff).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("openid4vp://"));
    }
    let status = browser.get(&format!("{handoff}/status")).await;
    assert_eq!(status.status(), StatusCode::OK);
    assert_eq!(store.open_checks(&tenant, now, 0).await.unwrap().0, 1);

    // A pending sign-in whose page is never loaded expires without ever having had a check.
    fed.clock
        .advance(fed.verifier_config.checks.request_lifetime_secs + 1);
    let (pending, _) = store
        .pending_oidc_sessions(&registered.client_id, fed.clock.now())
        .await
        .unwrap();
    assert_eq!(pending, 0);
    store.close().await;
    fed.stop().await;
}

async fn a_burst_of_authorization_requests_is_throttled_per_address_and_per_client(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;

    // The defaults: 20 at once from one address, then one every second.
    let responses = authorize_burst(&rp, 50).await;
    let (redirected, throttled) = (
        count(&responses, StatusCode::SEE_OTHER),
        count(&responses, StatusCode::TOO_MANY_REQUESTS),
    );
    eprintln!("50 authorization requests from one address: {redirected} 303, {throttled} 429");
    assert!((20..35).contains(&redirected), "{redirected}");
    assert_eq!(redirected + throttled, 50);
    let refused = responses
        .into_iter()
        .find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .unwrap();
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert!(
        refused.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(refused.text().await.unwrap().contains("Too many sign-ins"));

    // Per client: another client of the same tenant is not held back by the first one.
    with_limits(&mut fed, |limits| {
        limits.authorize_per_ip = Rate::new(6000, 1000);
        limits.authorize_per_client = Rate::new(60, 10);
    })
    .await;
    let other: Registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let other_rp = RelyingParty::discover(&fed, &other).await;
    let responses = authorize_burst(&rp, 25).await;
    let redirected = count(&responses, StatusCode::SEE_OTHER);
    assert!((10..25).contains(&redirected), "{redirected}");
    assert_eq!(
        count(&responses, StatusCode::TOO_MANY_REQUESTS),
        25 - redirected
    );
    let responses = authorize_burst(&other_rp, 5).await;
    assert_eq!(count(&responses, StatusCode::SEE_OTHER), 5);
    fed.stop().await;
}

async fn pending_sign_ins_of_a_client_are_capped(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    with_limits(&mut fed, |limits| {
        limits.max_pending_sessions_per_client = 3;
    })
    .await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let responses = authorize_burst(&rp, 4).await;
    assert_eq!(count(&responses, StatusCode::SEE_OTHER), 3);
    let refused = &responses[3];
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // Retry when the earliest pending sign-in expires.
    let lifetime = fed.verifier_config.checks.request_lifetime_secs;
    assert_eq!(
        refused.headers()["retry-after"],
        lifetime.to_string().as_str()
    );
    // Once they have expired, sign-ins start again.
    fed.clock.advance(lifetime);
    let responses = authorize_burst(&rp, 1).await;
    assert_eq!(count(&responses, StatusCode::SEE_OTHER), 1);
    fed.stop().await;
}

async fn check_creation_is_throttled_per_tenant(db: TestDb) {
    let fed = Arc::new(Federation::start(&db).await);
    let other = fed.newly_registered_tenant("other.example.co.uk").await;
    let body = json!({"template": "right_to_work"});

    // 400 requests at once from one tenant: its bucket holds 100.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..400 {
        let fed = Arc::clone(&fed);
        let body = body.clone();
        requests.spawn(async move {
            let response = fed.post_check(&fed.tenant, &body).await;
            let status = response.status();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap();
            (status, retry_after, body["error"].clone())
        });
    }
    let (mut created, mut throttled) = (0, 0);
    while let Some(result) = requests.join_next().await {
        match result.unwrap() {
            (StatusCode::CREATED, _, _) => created += 1,
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after), error) => {
                assert!(retry_after.parse::<u64>().unwrap() >= 1);
                assert_eq!(error, "temporarily_unavailable");
                throttled += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    eprintln!("400 parallel POST /v1/checks of one tenant: {created} 201, {throttled} 429");
    assert!((100..200).contains(&created), "{created}");
    assert_eq!(created + throttled, 400);

    // Another tenant is not held back; reads of the throttled one are not limited.
    let response = fed.post_check(&other, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = fed.get("/v1/templates").await;
    assert_eq!(response.status(), StatusCode::OK);
    Arc::into_inner(fed).unwrap().stop().await;
}

async fn open_checks_of_a_tenant_are_capped(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    with_limits(&mut fed, |limits| limits.max_open_checks_per_tenant = 3).await;
    let body = json!({"template": "right_to_work"});
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            fed.create_check(&body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let response = fed.post_check(&fed.tenant, &body).await;
    let retry_after = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_owned();
    let (error, description) = error_body(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(error, "temporarily_unavailable");
    assert!(description.contains("3 checks waiting"), "{description}");
    let lifetime = fed.verifier_config.checks.request_lifetime_secs;
    assert_eq!(retry_after, lifetime.to_string());

    // A check deleted (or finished, or expired) makes room.
    let response = fed
        .client
        .delete(fed.url(&format!("/v1/checks/{}", ids[0])))
        .bearer_auth(&fed.tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    fed.create_check(&body).await;
    let response = fed.post_check(&fed.tenant, &body).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    fed.clock.advance(lifetime);
    fed.create_check(&body).await;

    // A sign-in whose check cannot be created for the cap goes back to the client with
    // temporarily_unavailable when its hand-off page is loaded.
    fed.create_check(&body).await;
    fed.create_check(&body).await;
    let registered = register(&fed, REDIRECT_URI, &["right_to_work"]).await;
    let rp = RelyingParty::discover(&fed, &registered).await;
    let mut browser = Browser::new();
    let handoff = see_other(
        &browser
            .get(rp.authorize("right_to_work").url.as_str())
            .await,
    );
    let back = see_other(&browser.get(&handoff).await);
    assert!(back.starts_with(REDIRECT_URI), "{back}");
    assert!(back.contains("error=temporarily_unavailable"), "{back}");
    fed.stop().await;
}

async fn over_sized_bodies_are_413_and_malformed_ones_400(db: TestDb) {
    let fed = Federation::start(&db).await;
    let created = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;
    let request = crate::wallet::fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    let big = "a".repeat(3 * 1024 * 1024);

    // A 3 MiB form post to the response URI.
    let response = fed
        .client
        .post(request.response_uri())
        .form(&[("response", big.as_str())])
        .send()
        .await
        .unwrap();
    let (error, description) = error_body(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("exceeds"), "{description}");
    // A malformed one is still 400.
    let response = fed
        .client
        .post(request.response_uri())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("response=%zz&&=")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // The token endpoint and the tenant API alike.
    let response = fed
        .client
        .post(fed.url("/oidc/token"))
        .form(&[("code", big.as_str())])
        .send()
        .await
        .unwrap();
    let (error, _) = error_body(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(error, "invalid_request");
    let response = fed
        .post_check(
            &fed.tenant,
            &json!({"template": "right_to_work", "reference": big}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    fed.stop().await;
}
