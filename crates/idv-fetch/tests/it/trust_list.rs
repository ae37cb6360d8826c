//! The trust list client: accept, persist, refresh (conditionally: 304s), grace, fail closed,
//! rollback after restart.

use std::time::Duration;

use idv_fetch::TrustClientError;
use idv_fetch::trust_list::load_state;
use idv_jose::SigningKey;
use idv_proto::trust::entry::ServiceStatus;
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::TrustError;

use crate::helpers::{DAY, Framework, Relay, Relayed, Reply, Stage, client, state_db};

/// How long a test waits for a refresh it asked for.
const WAIT: Duration = Duration::from_secs(5);

test_on_both_databases!(
    the_operators_list_is_accepted_and_its_state_persisted,
    a_suspension_is_seen_once_the_refresh_due_at_next_update_lands,
    an_older_list_replayed_after_a_restart_is_refused,
    the_held_list_serves_until_exp_then_checks_fail_closed,
    a_list_signed_by_an_unpinned_key_is_refused,
    refetches_are_conditional_and_a_304_keeps_the_held_list,
    a_suspension_is_seen_at_the_first_refetch_after_it,
    a_304_past_next_update_never_extends_the_list_beyond_exp,
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

async fn a_suspension_is_seen_once_the_refresh_due_at_next_update_lands(db: TestDb) {
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
    // The first check after next_update still decides with the held list: the refresh it
    // started runs beside it.
    assert_eq!(
        client.current().await.unwrap().sequence(),
        before.sequence()
    );
    client.settled().await;
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
    client.settled().await;
    let hits = stage.hits();
    assert_eq!(hits, 2);
    // Within the back-off, no new attempt.
    client.current().await.unwrap();
    client.settled().await;
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

async fn refetches_are_conditional_and_a_304_keeps_the_held_list(db: TestDb) {
    let framework = Framework::start().await;
    let (relay, url) = Relay::start(&framework).await;
    let client = client(&framework, url, state_db(&db).await);
    let list = client.refresh_if_older_than(60, WAIT).await.unwrap();
    let etag = format!("\"{}-{}\"", list.list_id(), list.sequence());

    // Within the interval: no request at all.
    framework.clock.advance(59);
    client.refresh_if_older_than(60, WAIT).await.unwrap();
    assert_eq!(relay.log().len(), 1);

    // After it: one conditional request, answered 304 without a body; same list.
    framework.clock.advance(1);
    let again = client.refresh_if_older_than(60, WAIT).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&list, &again), "the held list, kept");
    // An operator-triggered refresh is conditional too.
    let forced = client.refresh().await.unwrap();
    assert_eq!(forced.sequence(), list.sequence());
    let log = relay.log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].if_none_match, None);
    assert_eq!(log[0].status, 200);
    for exchange in &log[1..] {
        assert_eq!(
            exchange,
            &Relayed {
                if_none_match: Some(etag.clone()),
                status: 304,
                body_len: 0,
            }
        );
    }
    assert!(log[0].body_len > 0, "{log:?}");
}

async fn a_suspension_is_seen_at_the_first_refetch_after_it(db: TestDb) {
    let framework = Framework::start().await;
    let key = SigningKey::generate().unwrap();
    let iss = "https://idsp.example";
    let entry_id = framework
        .add_issuer(iss, &key, "https://idsp.example/status/")
        .await;
    let (relay, url) = Relay::start(&framework).await;
    let client = client(&framework, url, state_db(&db).await);
    let before = client.refresh_if_older_than(60, WAIT).await.unwrap();

    framework.suspend(&entry_id).await;
    framework.clock.advance(60);
    let after = client.refresh_if_older_than(60, WAIT).await.unwrap();
    assert!(after.sequence() > before.sequence());
    assert_eq!(
        after.entry_for_issuer(iss).unwrap().status,
        ServiceStatus::Suspended
    );
    // The old tag was sent; the new list came whole, and its tag is sent next.
    let log = relay.log();
    assert_eq!(log[1].status, 200);
    assert!(log[1].if_none_match.is_some());
    framework.clock.advance(60);
    client.refresh_if_older_than(60, WAIT).await.unwrap();
    let last = relay.log().pop().unwrap();
    assert_eq!(last.status, 304);
    assert_eq!(
        last.if_none_match.unwrap(),
        format!("\"{}-{}\"", after.list_id(), after.sequence())
    );
}

async fn a_304_past_next_update_never_extends_the_list_beyond_exp(db: TestDb) {
    let framework = Framework::start().await;
    let (stage, address) = Stage::start().await;
    // A server (or a cache in front of the operator) that keeps confirming the same list.
    stage.set(
        "trust-list",
        Reply::Tagged(
            "application/dvs-trust-list+jwt",
            framework.trust_list().await,
            "\"stale\"",
        ),
    );
    let client = client(
        &framework,
        format!("{address}/trust-list"),
        state_db(&db).await,
    );
    let list = client.current().await.unwrap();
    assert_eq!(stage.hits(), 1);

    // Past next_update a 304 is no news: the held list serves (grace) and the client backs off.
    framework.clock.set(list.next_update());
    let error = client.refresh().await.unwrap_err();
    assert!(
        matches!(error, TrustClientError::NotModifiedPastNextUpdate),
        "{error}"
    );
    assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
    assert_eq!(stage.hits(), 2, "no new attempt within the back-off");

    // And it ends at exp, 304s or not.
    framework.clock.set(list.exp());
    let error = client.current().await.unwrap_err();
    assert!(
        matches!(
            error,
            TrustClientError::Trust(TrustError::ListExpired { .. })
        ),
        "{error}"
    );
    let error = client.refresh_if_older_than(1, WAIT).await.unwrap_err();
    assert!(matches!(error, TrustClientError::Trust(_)), "{error}");
}

async fn state_db_reopen(db: &TestDb) -> idv_service_kit::Database {
    idv_service_kit::Database::connect(db.url()).await.unwrap()
}
