//! `GET /status-lists/{list_id}` and the operator's status changes: what relying parties see.

use std::collections::BTreeSet;

use idv_jose::SigningKey;
use idv_sdjwt::holder::HeldSdJwt;
use idv_status_list::Status;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{AGE, IDENTITY, TestApp, expect_error, test_config};

test_on_both_databases!(
    revocation_and_suspension_show_in_the_next_status_list,
    revoking_an_identity_revokes_every_copy_of_every_batch,
    a_full_status_list_rolls_over_to_a_new_one
);

/// Issues `count` age credentials under a new offer; returns them as received.
async fn issue_age(app: &TestApp, count: usize) -> Vec<HeldSdJwt> {
    let (_, access_token) = app.access_token(&[AGE]).await;
    receive_batch(app, &access_token, AGE, count).await
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
    let other_batch = issue_age(&app, 1).await;
    let wallet = app.wallet();
    let (first, second) = (&held[0], &held[1]);
    assert_eq!(wallet.status(first).await, Status::Valid);
    let id = credential_id(&app, first).await;
    let sibling = credential_id(&app, second).await;

    // Naming one copy changes its whole batch: the wallet would present the other.
    let response = change(&app, &id, "suspend").await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["credential_id"], id.as_str());
    assert_eq!(answer["status"], "suspended");
    let outcome = &answer["batch"];
    assert_eq!(outcome["action"], "suspend");
    assert_eq!(outcome["status"], "suspended");
    let changed: BTreeSet<&str> = outcome["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["status"], "suspended");
            c["credential_id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(changed, BTreeSet::from([id.as_str(), sibling.as_str()]));
    assert_eq!(outcome["unchanged"], json!([]));
    assert_eq!(wallet.status(first).await, Status::Suspended);
    assert_eq!(wallet.status(second).await, Status::Suspended);
    assert_eq!(
        wallet.status(&other_batch[0]).await,
        Status::Valid,
        "only that batch"
    );
    // Already done: suspending the sibling too changes nothing, and is no error.
    let response = change(&app, &sibling, "suspend").await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["batch"]["changed"], json!([]));
    assert_eq!(answer["batch"]["unchanged"].as_array().unwrap().len(), 2);

    assert_eq!(
        change(&app, &sibling, "reinstate").await.status(),
        StatusCode::OK
    );
    assert_eq!(wallet.status(first).await, Status::Valid);
    assert_eq!(wallet.status(second).await, Status::Valid);

    let response = change(&app, &id, "revoke").await;
    assert_eq!(response.status(), StatusCode::OK);
    let details: Value = response.json().await.unwrap();
    assert_eq!(details["batch"]["changed"].as_array().unwrap().len(), 2);
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
    assert_eq!(wallet.status(second).await, Status::Invalid);
    for action in ["reinstate", "suspend"] {
        let response = change(&app, &id, action).await;
        let description = expect_error(response, StatusCode::CONFLICT, "conflict").await;
        assert!(description.contains("revoked"), "{description}");
    }
    // Revoking each listed copy in turn, as an operator might: the rest is already done.
    assert_eq!(
        change(&app, &sibling, "revoke").await.status(),
        StatusCode::OK
    );

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
    let id = credential_id(&app, &other_batch[0]).await;
    change(&app, &id, "suspend").await;
    assert_ne!(fetch().await, a);
}

/// Issues `count` credentials of `configuration` to `identity_id` under a new offer; returns
/// them as received.
async fn issue_to(
    app: &TestApp,
    identity_id: &str,
    configuration: &str,
    count: usize,
) -> Vec<HeldSdJwt> {
    let created = app.create_offer(identity_id, &[configuration], true).await;
    let access_token = app.redeem(&created).await;
    receive_batch(app, &access_token, configuration, count).await
}

/// Redeems `access_token` for `count` credentials of `configuration`, each bound to its own
/// holder key; returns them as received.
async fn receive_batch(
    app: &TestApp,
    access_token: &str,
    configuration: &str,
    count: usize,
) -> Vec<HeldSdJwt> {
    let wallet = app.wallet();
    let holders: Vec<SigningKey> = (0..count)
        .map(|_| SigningKey::generate().unwrap())
        .collect();
    let nonce = wallet.nonce().await;
    let proofs: Vec<String> = holders.iter().map(|k| wallet.proof(k, &nonce)).collect();
    let response = wallet
        .credential(
            access_token,
            &json!({"credential_configuration_id": configuration, "proofs": {"jwt": proofs}}),
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

async fn change_identity(app: &TestApp, identity_id: &str, action: &str) -> reqwest::Response {
    app.post(
        &format!("/v1/identities/{identity_id}/{action}"),
        &json!({"reason": format!("{action} identity in test")}),
    )
    .await
}

async fn revoking_an_identity_revokes_every_copy_of_every_batch(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let wallet = app.wallet();
    let identity_id = app.record_identity().await;
    let mut held = issue_to(&app, &identity_id, AGE, 3).await;
    held.extend(issue_to(&app, &identity_id, AGE, 2).await);
    held.extend(issue_to(&app, &identity_id, IDENTITY, 2).await);
    let bystander_id = app.record_identity().await;
    let bystander = issue_to(&app, &bystander_id, AGE, 2).await;

    // One batch suspended first: revoking the identity takes suspended copies too.
    let suspended = credential_id(&app, &held[3]).await;
    assert_eq!(
        change(&app, &suspended, "suspend").await.status(),
        StatusCode::OK
    );
    assert_eq!(wallet.status(&held[4]).await, Status::Suspended);

    let response = change_identity(&app, &identity_id, "revoke").await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["status"], "revoked");
    let changed = outcome["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 7, "every copy of every batch");
    assert!(
        changed
            .iter()
            .all(|c| c["identity_id"] == identity_id.as_str() && c["status"] == "revoked")
    );
    // What relying parties see: the served status list tokens.
    for copy in &held {
        assert_eq!(wallet.status(copy).await, Status::Invalid);
    }
    for copy in &bystander {
        assert_eq!(wallet.status(copy).await, Status::Valid, "another identity");
    }
    let details: Value = app
        .get(&format!("/v1/credentials/{suspended}"))
        .await
        .json()
        .await
        .unwrap();
    let last = details["status_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(last["reason"], "revoke identity in test");

    for action in ["suspend", "reinstate"] {
        let response = change_identity(&app, &identity_id, action).await;
        let description = expect_error(response, StatusCode::CONFLICT, "conflict").await;
        assert!(description.contains("revoked"), "{description}");
    }
    let response = change_identity(&app, &identity_id, "revoke").await;
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(
        outcome["changed"],
        json!([]),
        "revoking again changes nothing"
    );
    assert_eq!(outcome["unchanged"].as_array().unwrap().len(), 7);

    // Suspending and reinstating an identity acts on every credential too.
    let response = change_identity(&app, &bystander_id, "suspend").await;
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["changed"].as_array().unwrap().len(), 2);
    for copy in &bystander {
        assert_eq!(wallet.status(copy).await, Status::Suspended);
    }
    let response = change_identity(&app, &bystander_id, "reinstate").await;
    assert_eq!(response.status(), StatusCode::OK);
    for copy in &bystander {
        assert_eq!(wallet.status(copy).await, Status::Valid);
    }

    // An identity without credentials, an unknown one, no reason.
    let fresh = app.record_identity().await;
    let response = change_identity(&app, &fresh, "revoke").await;
    let description = expect_error(response, StatusCode::CONFLICT, "conflict").await;
    assert!(description.contains("no credentials"), "{description}");
    let response = change_identity(&app, "ffffffffffffffffffffffffffffffff", "revoke").await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .post(
            &format!("/v1/identities/{bystander_id}/revoke"),
            &json!({"reason": ""}),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
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
