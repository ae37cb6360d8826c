//! Operator authentication on every `/v1` route.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::Value;

use crate::helpers::{TestApp, error_body, provider_body, relying_party_body};

test_on_both_databases!(
    operator_calls_without_a_token_are_unauthorised_and_change_nothing,
    operator_calls_with_a_wrong_token_are_unauthorised_and_change_nothing,
    public_endpoints_need_no_token,
);

async fn operator_calls_without_a_token_are_unauthorised_and_change_nothing(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let before = app.verified_list().await;
    let calls = [
        app.client
            .post(app.url("/v1/providers"))
            .json(&provider_body("x")),
        app.client.get(app.url("/v1/providers")),
        app.client
            .post(app.url("/v1/relying-parties"))
            .json(&relying_party_body("shop.example")),
        app.client
            .post(app.url("/v1/providers/dvs-000001/withdraw"))
            .body("not even json"),
    ];
    for call in calls {
        let response = call.send().await.unwrap();
        assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");
        let (error, _) = error_body(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error, "invalid_token");
    }
    assert!(app.providers().await.is_empty());
    let rps: Value = app.get("/v1/relying-parties").await.json().await.unwrap();
    assert_eq!(rps["relying_parties"], serde_json::json!([]));
    assert_eq!(app.verified_list().await.sequence(), before.sequence());
}

async fn operator_calls_with_a_wrong_token_are_unauthorised_and_change_nothing(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let before = app.verified_list().await;
    let wrong = format!("{}x", app.token);
    for authorization in [
        format!("Bearer {wrong}"),
        format!("Basic {}", app.token),
        "Bearer".to_owned(),
    ] {
        let response = app
            .client
            .post(app.url("/v1/providers"))
            .header("authorization", authorization.as_str())
            .json(&provider_body("y"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\"",
            "{authorization}"
        );
        let (error, _) = error_body(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error, "invalid_token");
    }
    assert!(app.providers().await.is_empty());
    assert_eq!(app.verified_list().await.sequence(), before.sequence());
}

async fn public_endpoints_need_no_token(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    for path in ["/trust-list", "/.well-known/trust-anchor", "/healthz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}
