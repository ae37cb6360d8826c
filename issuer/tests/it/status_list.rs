//! `GET /status-lists/{list_id}` and the operator's status changes: what relying parties see.

use std::collections::BTreeSet;

use idv_jose::SigningKey;
use idv_sdjwt::holder::HeldSdJwt;
use idv_status_list::Status;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{AGE, TestApp, expect_error, test_config};

test_on_both_databases!(
    revocation_and_suspension_show_in_the_next_status_list,
    a_full_status_list_rolls_over_to_a_new_one
);

/// Issues `count` age credentials under a new offer; returns them as received.
async fn issue_age(app: &TestApp, count: usize) -> Vec<HeldSdJwt> {
    let (_, access_token) = app.access_token(&[AGE]).await;
    let wallet = app.wallet();
    let holders: Vec<SigningKey> = (0..count)
        .map(|_| SigningKey::generate().unwrap())
        .collect();
    let nonce = wallet.nonce().await;
    let proofs: Vec<String> = holders.iter().map(|k| wallet.proof(k, &nonce)).collect();
    let response = wallet
        .credential(
            &access_token,
            &json!({"credential_configuration_id": AGE, "proofs": {"jwt": proofs}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let mut held = Vec::new();
    for (credential, holder) in body["credentials"].as_array().unwrap().iter().zip(&holders) {
        held.push(
            wallet
                .receive(credential["credential"].as_str().unwrap(), holder)
                .await,
        );
    }
    held
}

/// The operator's id of a received credential (matched by status index).
async fn credential_id(app: &TestApp, held: &HeldSdJwt) -> String {
    let idx = held.claims()["status"]["status_list"]["idx"]
        .as_u64()
        .unwrap();
    let listed: Value = app.get("/v1/credentials").await.json().await.unwrap();
    listed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status_list"]["idx"] == idx)
        .map(|c| c["credential_id"].as_str().unwrap().to_owned())
        .unwrap()
}

async fn change(app: &TestApp, id: &str, action: &str) -> reqwest::Response {
    app.post(
        &format!("/v1/credentials/{id}/{action}"),
        &json!({"reason": format!("{action} in test")}),
    )
    .await
}

async fn revocation_and_suspension_show_in_the_next_status_list(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let held = issue_age(&app, 2).await;
    let wallet = app.wallet();
    let (first, second) = (&held[0], &held[1]);
    assert_eq!(wallet.status(first).await, Status::Valid);
    let id = credential_id(&app, first).await;

    assert_eq!(change(&app, &id, "suspend").await.status(), StatusCode::OK);
    assert_eq!(wallet.status(first).await, Status::Suspended);
    assert_eq!(
        wallet.status(second).await,
        Status::Valid,
        "only that entry"
    );
    let response = change(&app, &id, "suspend").await;
    expect_error(response, StatusCode::CONFLICT, "conflict").await;

    assert_eq!(
        change(&app, &id, "reinstate").await.status(),
        StatusCode::OK
    );
    assert_eq!(wallet.status(first).await, Status::Valid);

    let response = change(&app, &id, "revoke").await;
    assert_eq!(response.status(), StatusCode::OK);
    let details: Value = response.json().await.unwrap();
    assert_eq!(details["status"], "revoked");
    let history: Vec<(&str, Option<&str>)> = details["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["status"].as_str().unwrap(), h["reason"].as_str()))
        .collect();
    assert_eq!(
        history,
        [
            ("valid", None),
            ("suspended", Some("suspend in test")),
            ("valid", Some("reinstate in test")),
            ("revoked", Some("revoke in test")),
        ]
    );
    assert_eq!(wallet.status(first).await, Status::Invalid);
    for action in ["reinstate", "suspend", "revoke"] {
        let response = change(&app, &id, action).await;
        let description = expect_error(response, StatusCode::CONFLICT, "conflict").await;
        assert!(description.contains("revoked"), "{description}");
    }

    let response = app
        .post(
            &format!("/v1/credentials/{id}/revoke"),
            &json!({"reason": " "}),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = change(&app, "ffffffffffffffffffffffffffffffff", "revoke").await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .client
        .get(app.url("/status-lists/unknown"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    // A cached token is reused only while nothing changed.
    let uri = first.claims()["status"]["status_list"]["uri"]
        .as_str()
        .unwrap();
    let fetch = || async {
        app.client
            .get(app.local(uri))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let (a, b) = (fetch().await, fetch().await);
    assert_eq!(a, b);
    let id = credential_id(&app, second).await;
    change(&app, &id, "suspend").await;
    assert_ne!(fetch().await, a);
}

async fn a_full_status_list_rolls_over_to_a_new_one(db: TestDb) {
    let mut config = test_config(&db);
    config.status.list_size = 16;
    config.credentials.batch_size = 4;
    let app = TestApp::spawn_with(config).await;
    let mut uris = BTreeSet::new();
    let mut entries = BTreeSet::new();
    for _ in 0..3 {
        for held in issue_age(&app, 4).await {
            let reference = &held.claims()["status"]["status_list"];
            let uri = reference["uri"].as_str().unwrap().to_owned();
            let idx = reference["idx"].as_u64().unwrap();
            assert!(idx < 16);
            assert!(entries.insert((uri.clone(), idx)), "index handed out twice");
            uris.insert(uri);
            assert_eq!(app.wallet().status(&held).await, Status::Valid);
        }
    }
    // Capacity is half the list: 8 credentials, then a new list takes over.
    assert_eq!(uris.len(), 2, "{uris:?}");
}
