//! The tenant API: authentication, creation, QR codes, tenant isolation and erasure (the
//! OpenAPI document against the live router is in `openapi.rs`).

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Federation, british_citizen, error_body};
use crate::wallet::{fetch_request, open_check, present, respond, vp_token};

test_on_both_databases!(
    requests_without_a_valid_api_key_are_unauthorised,
    a_check_is_created_with_a_wallet_link_qr_codes_and_expiry,
    bad_check_requests_are_rejected,
    a_tenant_sees_only_its_own_checks,
    a_tenant_without_an_attestation_cannot_create_checks,
    erasure_removes_personal_data_and_closes_the_request,
);

async fn requests_without_a_valid_api_key_are_unauthorised(db: TestDb) {
    let fed = Federation::start(&db).await;
    let response = fed
        .client
        .post(fed.url("/v1/checks"))
        .json(&json!({"template": "age_over_18"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    for key in ["vk_not-a-key", "Bearer"] {
        let response = fed
            .client
            .get(fed.url("/v1/checks/chk_x"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let (error, _) = error_body(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error, "invalid_token");
    }
    let response = fed
        .client
        .get(fed.url("/v1/templates"))
        .header("authorization", format!("Basic {}", fed.tenant.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    fed.stop().await;
}

async fn a_check_is_created_with_a_wallet_link_qr_codes_and_expiry(db: TestDb) {
    let fed = Federation::start(&db).await;
    let response = fed
        .post_check(&fed.tenant, &json!({"template": "right_to_work"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("chk_"));
    assert_eq!(location, format!("/v1/checks/{id}"));
    assert_eq!(created["state"], "created");
    assert_eq!(
        created["template"],
        json!({"id": "right_to_work", "version": 2})
    );
    assert_eq!(
        created["expires_at"].as_i64().unwrap() - created["created_at"].as_i64().unwrap(),
        600
    );
    assert_eq!(
        created["qr_svg_url"],
        fed.url(&format!("/v1/checks/{id}/qr.svg"))
    );

    let svg = fed.get(&format!("/v1/checks/{id}/qr.svg")).await;
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<svg"));
    let png = fed.get(&format!("/v1/checks/{id}/qr.png")).await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));

    let check = fed.check(id).await;
    assert_eq!(check["state"], "created");
    assert_eq!(check["wallet_url"], created["wallet_url"]);
    assert!(check.get("outcome").is_none());

    let templates: Value = fed.get("/v1/templates").await.json().await.unwrap();
    let ids: Vec<&str> = templates["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "right_to_work",
            "right_to_rent",
            "age_over_16",
            "age_over_18",
            "age_over_21",
            "age_over_25"
        ]
    );
    fed.stop().await;
}

async fn bad_check_requests_are_rejected(db: TestDb) {
    let fed = Federation::start(&db).await;
    for body in [
        json!({"template": "right_to_vote"}),
        json!({"template": "age_over_18", "response_mode": "fragment"}),
        json!({"template": "age_over_18", "unknown": 1}),
        json!({}),
    ] {
        let (error, _) = error_body(
            fed.post_check(&fed.tenant, &body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error, "invalid_request", "{body}");
    }
    for (field, value, code) in [
        (
            "webhook_url",
            "ftp://hooks.example/x",
            "invalid_webhook_url",
        ),
        (
            "webhook_url",
            "http://hooks.example/x",
            "invalid_webhook_url",
        ),
        (
            "webhook_url",
            "https://user:pw@hooks.example/x",
            "invalid_webhook_url",
        ),
        (
            "redirect_uri",
            "https://e.example/cb#frag",
            "invalid_redirect_uri",
        ),
    ] {
        let body = json!({"template": "age_over_18", field: value});
        let (error, description) = error_body(
            fed.post_check(&fed.tenant, &body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error, code, "{body}");
        assert!(description.starts_with(field), "{description}");
    }
    // https to a public host (names are judged when resolved, at delivery).
    let body = json!({"template": "age_over_18", "webhook_url": "https://hooks.example/x"});
    let response = fed.post_check(&fed.tenant, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (error, _) = error_body(
        fed.get("/v1/checks/chk_unknown").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error, "not_found");
    fed.stop().await;
}

async fn a_tenant_sees_only_its_own_checks(db: TestDb) {
    let fed = Federation::start(&db).await;
    let other = fed.another_tenant("agency.example.co.uk").await;
    let created = fed.create_check(&json!({"template": "age_over_18"})).await;
    let id = created["id"].as_str().unwrap();
    for path in [
        format!("/v1/checks/{id}"),
        format!("/v1/checks/{id}/qr.svg"),
        format!("/v1/checks/{id}/qr.png"),
    ] {
        let (error, _) = error_body(fed.get_as(&other, &path).await, StatusCode::NOT_FOUND).await;
        assert_eq!(error, "not_found", "{path}");
    }
    let response = fed
        .client
        .delete(fed.url(&format!("/v1/checks/{id}")))
        .bearer_auth(&other.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // The owner still sees it, untouched.
    assert_eq!(fed.check(id).await["state"], "created");
    fed.stop().await;
}

async fn a_tenant_without_an_attestation_cannot_create_checks(db: TestDb) {
    let fed = Federation::start(&db).await;
    let other = fed.another_tenant("agency.example.co.uk").await;
    let (error, description) = error_body(
        fed.post_check(&other, &json!({"template": "age_over_18"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error, "conflict");
    assert!(description.contains("attestation"), "{description}");
    fed.stop().await;
}

async fn erasure_removes_personal_data_and_closes_the_request(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let (created, request) = open_check(
        &fed,
        &json!({"template": "right_to_work", "reference": "cand-7"}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let presentation = present(&fed, &credential, &request);
    respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(fed.check(id).await["claims"]["given_name"], "Ada");

    let delete = || {
        fed.client
            .delete(fed.url(&format!("/v1/checks/{id}")))
            .bearer_auth(&fed.tenant.api_key)
            .send()
    };
    assert_eq!(delete().await.unwrap().status(), StatusCode::NO_CONTENT);
    let check = fed.check(id).await;
    assert_eq!(check["state"], "erased");
    assert!(check["erased_at"].is_i64());
    for gone in [
        "claims",
        "evidence",
        "reference",
        "outcome",
        "reasons",
        "provider",
    ] {
        assert!(check.get(gone).is_none(), "{gone} left: {check}");
    }
    assert!(!check.to_string().contains("\"Ada\""));
    // Idempotent.
    assert_eq!(delete().await.unwrap().status(), StatusCode::NO_CONTENT);

    // A pending check erased before the wallet answers: its request is gone.
    let pending = fed.create_check(&json!({"template": "age_over_18"})).await;
    let pending_id = pending["id"].as_str().unwrap();
    let request = fetch_request(&fed, pending["wallet_url"].as_str().unwrap()).await;
    let response = fed
        .client
        .delete(fed.url(&format!("/v1/checks/{pending_id}")))
        .bearer_auth(&fed.tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let age = fed.issue_age("good", &british_citizen());
    let presentation = present(&fed, &age, &request);
    let (_, description) = error_body(
        respond(&fed, &request, vp_token(&request, presentation)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(description.starts_with("request_unknown:"), "{description}");
    fed.stop().await;
}
