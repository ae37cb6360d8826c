//! The trust list client: accept, persist, refresh, grace, fail closed, rollback after restart.

use idv_fetch::TrustClientError;
use idv_fetch::trust_list::load_state;
use idv_jose::SigningKey;
use idv_proto::trust::entry::ServiceStatus;
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::TrustError;

use crate::helpers::{DAY, Framework, Reply, Stage, client, state_db};

test_on_both_databases!(
    the_operators_list_is_accepted_and_its_state_persisted,
    a_suspension_is_seen_at_the_first_check_after_next_update,
    an_older_list_replayed_after_a_restart_is_refused,
    the_held_list_serves_until_exp_then_checks_fail_closed,
    a_list_signed_by_an_unpinned_key_is_refused,
);

async fn the_operators_list_is_accepted_and_its_state_persisted(db: TestDb) {
    let framework = Framework::start().await;
    let database = state_db(&db).await;
    let client = client(&framework, framework.trust_list_url(), database.clone());
    let list = client.current().await.unwrap();
    let state = load_state(&database).await.unwrap().unwrap();
    assert_eq!(state.sequence, list.sequence());
    assert_eq!(state.payload_hash, list.payload_hash());
    // Asking again within next_update neither refetches nor changes the state.
    let again = client.current().await.unwrap();
    assert_eq!(again.sequence(), list.sequence());
}

async fn a_suspension_is_seen_at_the_first_check_after_next_update(db: TestDb) {
    let framework = Framework::start().await;
    let key = SigningKey::generate().unwrap();
    let iss = "https://idsp.example";
    let entry_id = framework
        .add_issuer(iss, &key, "https://idsp.example/status/")
        .await;
    let client = client(&framework, framework.trust_list_url(), state_db(&db).await);
    let before = client.current().await.unwrap();
    assert_eq!(
        before.entry_for_issuer(iss).unwrap().status,
        ServiceStatus::Certified
    );

    framework.suspend(&entry_id).await;
    // Until next_update the held list is used.
    assert_eq!(
        client.current().await.unwrap().sequence(),
        before.sequence()
    );
    framework.clock.set(before.next_update());
    let after = client.current().await.unwrap();
    assert!(after.sequence() > before.sequence());
    assert_eq!(
        after.entry_for_issuer(iss).unwrap().status,
        ServiceStatus::Suspended
    );
}

async fn an_older_list_replayed_after_a_restart_is_refused(db: TestDb) {
    let framework = Framework::start().await;
    let older = framework.trust_list().await;
    framework
        .add_issuer(
            "https://idsp.example",
            &SigningKey::generate().unwrap(),
            "https://idsp.example/status/",
        )
        .await;
    let newer = framework.trust_list().await;
    assert_ne!(older, newer);

    let (stage, address) = Stage::start().await;
    let url = format!("{address}/trust-list");
    let database = state_db(&db).await;
    stage.set(
        "trust-list",
        Reply::Body("application/dvs-trust-list+jwt", newer),
    );
    let accepted = client(&framework, url.clone(), database.clone())
        .current()
        .await
        .unwrap();

    // "Restart": a new client on the same database, offered the older, validly signed list.
    stage.set(
        "trust-list",
        Reply::Body("application/dvs-trust-list+jwt", older),
    );
    let restarted = client(&framework, url, database.clone());
    let error = restarted.refresh().await.unwrap_err();
    assert!(
        matches!(error, TrustClientError::Trust(TrustError::Rollback { .. })),
        "{error}"
    );
    // And no check can run on it.
    assert!(matches!(
        restarted.current().await,
        Err(TrustClientError::Trust(TrustError::NoList))
    ));
    assert_eq!(
        load_state(&database).await.unwrap().unwrap().sequence,
        accepted.sequence()
    );
}

async fn the_held_list_serves_until_exp_then_checks_fail_closed(db: TestDb) {
    let framework = Framework::start().await;
    let (stage, address) = Stage::start().await;
    stage.set(
        "trust-list",
        Reply::Body(
            "application/dvs-trust-list+jwt",
            framework.trust_list().await,
        ),
    );
    let client = client(
        &framework,
        format!("{address}/trust-list"),
        state_db(&db).await,
    );
    let list = client.current().await.unwrap();

    // The operator stops serving the list (answers with a redirect, which is never followed).
    stage.set("trust-list", Reply::Redirect("http://127.0.0.1:9/".into()));
    framework.clock.set(list.next_update() + 60);
    assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
    let hits = stage.hits();
    // Within RETRY_AFTER, no new attempt.
    client.current().await.unwrap();
    assert_eq!(stage.hits(), hits);

    framework.clock.set(list.exp());
    let error = client.current().await.unwrap_err();
    assert!(
        matches!(
            error,
            TrustClientError::Trust(TrustError::ListExpired { .. })
        ),
        "{error}"
    );
    assert!(list.exp() - list.iat() <= DAY);
}

async fn a_list_signed_by_an_unpinned_key_is_refused(db: TestDb) {
    let pinned = Framework::start().await;
    let impostor = Framework::start().await;
    let client = client(&pinned, impostor.trust_list_url(), state_db(&db).await);
    let error = client.refresh().await.unwrap_err();
    assert!(matches!(error, TrustClientError::Trust(_)), "{error}");
    assert!(
        load_state(&state_db_reopen(&db).await)
            .await
            .unwrap()
            .is_none()
    );
}

async fn state_db_reopen(db: &TestDb) -> idv_service_kit::Database {
    idv_service_kit::Database::connect(db.url()).await.unwrap()
}
