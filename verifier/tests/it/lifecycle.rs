//! State across restarts, and the end of retention.

use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::json;

use std::sync::Arc;

use idv_jose::{Clock, SystemRandom};
use idv_proto::oid4vp::authorization_response::AuthorizationResponse;
use idv_service_kit::db::PoolSettings;
use verifier::exchange::ResponseForm;
use verifier::service::Verifier;
use verifier::store::Store;
use verifier::tenants::Tenant;

use crate::helpers::{DAY, EMPLOYER, Federation, WebhookReceiver, british_citizen};
use crate::wallet::{
    WalletRequest, encrypt, fetch_request, open_check, post_form, present, respond, vp_token,
};

test_on_both_databases!(
    a_restart_in_the_middle_of_a_check_loses_nothing,
    a_verification_interrupted_by_a_crash_leaves_the_request_open,
    concurrent_responses_conclude_the_check_once,
    a_check_erased_through_another_instance_is_not_concluded_from_memory,
    personal_data_is_purged_when_retention_ends_leaving_the_outcome,
);

async fn a_restart_in_the_middle_of_a_check_loses_nothing(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    let credential = fed.issue_identity("good", &british_citizen());
    let created = fed
        .create_check(&json!({"template": "right_to_work"}))
        .await;
    let id = created["id"].as_str().unwrap();

    fed.restart_verifier().await;
    let request = fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    let presentation = present(&fed, &credential, &request);
    // Between the request and the response: the nonce, state and per-request decryption
    // key all come back from the database.
    fed.restart_verifier().await;
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(id).await;
    assert_eq!(check["outcome"], "awaiting_confirmation", "{check}");
    assert_eq!(check["claims"]["family_name"], "Lovelace");

    fed.restart_verifier().await;
    assert_eq!(fed.check(id).await, check);
    fed.stop().await;
}

async fn a_verification_interrupted_by_a_crash_leaves_the_request_open(db: TestDb) {
    let receiver = WebhookReceiver::start(vec![]).await;
    let fed = Federation::start_with(&db, |c| receiver.allow(c)).await;
    let (id, request, jwe) = answered_age_check(&fed, &receiver).await;
    let id = id.as_str();
    let form = ResponseForm {
        response: Some(jwe),
        ..ResponseForm::default()
    };
    let request_id = request
        .response_uri()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();

    // Another instance on the same database takes the response and dies half-way through
    // verifying it (waiting for the provider's status list).
    let instance = another_instance(&fed, &db).await;
    let held = fed.status_gate.close().await;
    let dying = tokio::spawn({
        let instance = instance.clone();
        let form = form.clone();
        async move {
            instance
                .exchange()
                .receive_response(&request_id, form)
                .await
        }
    });
    fed.status_gate.wait_for_requests(1).await;
    dying.abort();
    assert!(dying.await.unwrap_err().is_cancelled());
    instance.close().await;
    drop(held);

    // Nothing was consumed: the check is still open and the wallet's answer, sent again,
    // concludes it once, with one event.
    assert_eq!(fed.check(id).await["state"], "created");
    let response = post_form(
        &fed,
        &request,
        &[("response", form.response.as_deref().unwrap())],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let check = fed.check(id).await;
    assert_eq!(check["state"], "completed", "{check}");
    assert_eq!(check["outcome"], "compliant");
    receiver.wait_for(1).await;
    let again = post_form(
        &fed,
        &request,
        &[("response", form.response.as_deref().unwrap())],
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(receiver.count(), 1);
    fed.stop().await;
}

async fn concurrent_responses_conclude_the_check_once(db: TestDb) {
    let receiver = WebhookReceiver::start(vec![]).await;
    let fed = Federation::start_with(&db, |c| receiver.allow(c)).await;
    let (id, request, jwe) = answered_age_check(&fed, &receiver).await;
    let id = id.as_str();

    // Both copies arrive while the first verification waits for the status list.
    let held = fed.status_gate.close().await;
    let first = post_in_background(&fed, &request, &jwe);
    fed.status_gate.wait_for_requests(1).await;
    let second = post_in_background(&fed, &request, &jwe);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    drop(held);
    let mut statuses = [
        first.await.unwrap().status(),
        second.await.unwrap().status(),
    ];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let check = fed.check(id).await;
    assert_eq!(check["state"], "completed", "{check}");
    receiver.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(receiver.count(), 1, "one event for one outcome");
    fed.stop().await;
}

async fn a_check_erased_through_another_instance_is_not_concluded_from_memory(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let created = fed.create_check(&json!({"template": "age_over_18"})).await;
    let id = created["id"].as_str().unwrap();
    // The instance that created the check holds its open request in memory.
    let request = fetch_request(&fed, created["wallet_url"].as_str().unwrap()).await;
    let other = another_instance(&fed, &db).await;
    let tenant = Tenant {
        tenant_id: fed.tenant.tenant_id.clone(),
        client_id: EMPLOYER.into(),
    };
    other.checks().erase_check(&tenant, id).await.unwrap();
    other.close().await;

    let presentation = present(&fed, &credential, &request);
    let response = respond(&fed, &request, vp_token(&request, presentation)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let check = fed.check(id).await;
    assert_eq!(check["state"], "erased", "{check}");
    assert!(check.get("claims").is_none() && check.get("outcome").is_none());
    fed.stop().await;
}

/// An age check with a webhook, its request fetched and the wallet's encrypted answer ready.
/// Posts `jwe` to the request's response URI on a task of its own.
fn post_in_background(
    fed: &Federation,
    request: &WalletRequest,
    jwe: &str,
) -> tokio::task::JoinHandle<reqwest::Response> {
    let (client, uri, jwe) = (
        fed.client.clone(),
        request.response_uri().to_owned(),
        jwe.to_owned(),
    );
    tokio::spawn(async move {
        client
            .post(uri)
            .form(&[("response", jwe)])
            .send()
            .await
            .unwrap()
    })
}

async fn answered_age_check(
    fed: &Federation,
    receiver: &WebhookReceiver,
) -> (String, WalletRequest, String) {
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(
        fed,
        &json!({"template": "age_over_18", "webhook_url": receiver.url}),
    )
    .await;
    let payload = AuthorizationResponse {
        vp_token: Some(vp_token(&request, present(fed, &credential, &request))),
        state: Some(request.state().to_owned()),
        ..AuthorizationResponse::default()
    };
    let jwe = encrypt(&request, &payload);
    (created["id"].as_str().unwrap().to_owned(), request, jwe)
}

/// A second verifier instance on the same database, as another process would be.
async fn another_instance(fed: &Federation, db: &TestDb) -> Verifier {
    Verifier::open(
        Store::connect(db.url(), PoolSettings::with_max_connections(2))
            .await
            .unwrap(),
        Arc::clone(&fed.clock) as Arc<dyn Clock>,
        Arc::new(SystemRandom),
        fed.verifier_config.settings().unwrap(),
    )
    .await
    .unwrap()
}

async fn personal_data_is_purged_when_retention_ends_leaving_the_outcome(db: TestDb) {
    let fed = Federation::start(&db).await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &json!({"template": "age_over_18"})).await;
    let id = created["id"].as_str().unwrap();
    let presentation = present(&fed, &credential, &request);
    respond(&fed, &request, vp_token(&request, presentation)).await;
    let check = fed.check(id).await;
    assert_eq!(
        check["claims"],
        json!({"age_over_18": true, "verification": {"assurance_level": "medium"}})
    );
    let retain_until = check["retain_until"].as_i64().unwrap();
    assert_eq!(retain_until, check["finished_at"].as_i64().unwrap() + DAY);

    fed.clock.set(retain_until);
    let mut purged = check.clone();
    for _ in 0..200 {
        purged = fed.check(id).await;
        if purged.get("purged_at").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(purged["purged_at"], retain_until);
    assert!(purged.get("claims").is_none() && purged.get("evidence").is_none());
    for kept in [
        "outcome",
        "compliant",
        "reasons",
        "provider",
        "trust_list_sequence",
        "status_checked_at",
    ] {
        assert_eq!(purged[kept], check[kept], "{kept}");
    }
    fed.stop().await;
}
