//! `POST /token`: the pre-authorized code grant and every way it is refused.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{AGE, IDENTITY, TestApp, expect_error};

test_on_both_databases!(
    a_pre_authorized_code_is_single_use,
    tx_code_must_be_sent_exactly_when_the_offer_requires_one,
    wrong_tx_codes_are_limited_and_then_lock_the_offer,
    expired_unknown_and_malformed_grants_are_refused,
    concurrent_redemptions_on_two_instances_yield_one_token
);

async fn a_pre_authorized_code_is_single_use(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let offer = app.offer(&[IDENTITY, AGE]).await;
    let wallet = app.wallet();

    let response = wallet.token(&offer.code, offer.tx_code.as_deref()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert!(body["access_token"].as_str().unwrap().len() >= 43);
    assert!(body.get("authorization_details").is_none());

    let response = wallet.token(&offer.code, offer.tx_code.as_deref()).await;
    let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("already used"), "{description}");
    let response = wallet.fetch_offer_response(&offer.created).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

async fn tx_code_must_be_sent_exactly_when_the_offer_requires_one(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let wallet = app.wallet();
    let offer = app.offer(&[AGE]).await;
    let response = wallet.token(&offer.code, None).await;
    let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(description.contains("tx_code"), "{description}");

    let created = app.create_offer(&offer.identity_id, &[AGE], false).await;
    let fetched = wallet.fetch_offer(&created).await;
    let code = fetched
        .grants
        .unwrap()
        .pre_authorized_code
        .unwrap()
        .pre_authorized_code;
    let response = wallet.token(&code, Some("123456")).await;
    let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(description.contains("no tx_code"), "{description}");
    // Neither refusal spent the codes.
    let response = wallet.token(&code, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = wallet.token(&offer.code, offer.tx_code.as_deref()).await;
    assert_eq!(response.status(), StatusCode::OK);
}

fn wrong(tx_code: &str) -> String {
    tx_code
        .bytes()
        .map(|b| char::from(b'0' + (b - b'0' + 1) % 10))
        .collect()
}

async fn wrong_tx_codes_are_limited_and_then_lock_the_offer(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let wallet = app.wallet();

    // Codes of the wrong length are refused, naming the length, without spending an attempt:
    // more of them than the offer has attempts leave all four wrong guesses below.
    let offer = app.offer(&[AGE]).await;
    let tx_code = offer.tx_code.clone().unwrap();
    let too_long = format!("{tx_code}0");
    for presented in ["", "1", "12345", "1234567", &tx_code[..5], &too_long] {
        let response = wallet.token(&offer.code, Some(presented)).await;
        let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
        assert!(
            description.contains("must be 6 digits long"),
            "{presented:?}: {description}"
        );
    }

    // Four wrong codes, then the right one: redeemed.
    for left in (1..=4).rev() {
        let response = wallet.token(&offer.code, Some(&wrong(&tx_code))).await;
        let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
        assert!(
            description.contains(&format!("{left} attempt(s) left")),
            "{description}"
        );
    }
    let response = wallet.token(&offer.code, Some(&tx_code)).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Five wrong codes lock the offer: the right one no longer works.
    let offer = app.offer(&[AGE]).await;
    let tx_code = offer.tx_code.clone().unwrap();
    for _ in 0..4 {
        let response = wallet.token(&offer.code, Some(&wrong(&tx_code))).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
    let response = wallet.token(&offer.code, Some(&wrong(&tx_code))).await;
    let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("locked"), "{description}");
    let response = wallet.token(&offer.code, Some(&tx_code)).await;
    let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("locked"), "{description}");
    let response = wallet.fetch_offer_response(&offer.created).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

async fn expired_unknown_and_malformed_grants_are_refused(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let wallet = app.wallet();
    let offer = app.offer(&[AGE]).await;

    let response = wallet.token("not-a-code", Some("123456")).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let response = wallet
        .token_form(&[("grant_type", "authorization_code"), ("code", "x")])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let response = wallet
        .token_form(&[(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        )])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = wallet
        .token_form(&[("pre-authorized_code", &offer.code)])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app
        .client
        .post(app.url("/token"))
        .json(&serde_json::json!({"grant_type": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = wallet
        .token_with_details(
            &offer.code,
            offer.tx_code.as_deref().unwrap(),
            r#"[{"type":"openid_credential","credential_configuration_id":"uk_identity"}]"#,
        )
        .await;
    let description = expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_authorization_details",
    )
    .await;
    assert!(description.contains("not offered"), "{description}");

    app.clock.advance(15 * 60);
    let response = wallet.token(&offer.code, offer.tx_code.as_deref()).await;
    let description = expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("expired"), "{description}");
}

async fn concurrent_redemptions_on_two_instances_yield_one_token(db: TestDb) {
    let first = TestApp::spawn(&db).await;
    let mut second = first.another_instance().await;
    let offer = first.offer(&[AGE]).await;
    let tx_code = offer.tx_code.as_deref();
    let (one, two) = (first.wallet(), second.wallet());
    let (a, b, c, d) = tokio::join!(
        one.token(&offer.code, tx_code),
        two.token(&offer.code, tx_code),
        one.token(&offer.code, tx_code),
        two.token(&offer.code, tx_code),
    );
    let statuses = [a.status(), b.status(), c.status(), d.status()];
    let granted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(granted, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST)
    );
    second.stop().await;
}
