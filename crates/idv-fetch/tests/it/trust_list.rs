//! The trust list client: accept, persist, refresh (conditionally: 304s), grace, fail closed,
//! rollback after restart.

use std::time::Duration;

use idv_fetch::TrustClientError;
use idv_jose::SigningKey;
use idv_proto::trust::entry::ServiceStatus;
use idv_trust::TrustError;

use crate::helpers::{DAY, LIST_TYPE, MemoryStore, Reply, Stage, assert_expired_at_exp, client};
use crate::operator::{Exchange, Operator};

/// How long a test waits for a refresh it asked for.
const WAIT: Duration = Duration::from_secs(5);

const ISS: &str = "https://idsp.example";

/// An operator with one issuer registered; its entry id.
async fn with_issuer() -> (Operator, String) {
    let operator = Operator::start().await;
    let key = SigningKey::generate().unwrap();
    let entry_id = operator.add_issuer(ISS, &key, "https://idsp.example/status/");
    (operator, entry_id)
}

#[tokio::test]
async fn the_operators_list_is_accepted_and_its_state_persisted() {
    let operator = Operator::start().await;
    let store = MemoryStore::default();
    let client = client(&operator, operator.trust_list_url(), &store);
    let list = client.current().await.unwrap();
    let state = store.held().unwrap();
    assert_eq!(state.sequence, list.sequence());
    assert_eq!(state.payload_hash, list.payload_hash());
    // Asking again within next_update neither refetches nor changes the state.
    let again = client.current().await.unwrap();
    assert_eq!(again.sequence(), list.sequence());
    assert_eq!(operator.log().len(), 1);
    assert_eq!(store.held(), Some(state));
}

#[tokio::test]
async fn a_suspension_is_seen_once_the_refresh_due_at_next_update_lands() {
    let (operator, entry_id) = with_issuer().await;
    let client = client(
        &operator,
        operator.trust_list_url(),
        &MemoryStore::default(),
    );
    let before = client.current().await.unwrap();
    assert_eq!(
        before.entry_for_issuer(ISS).unwrap().status,
        ServiceStatus::Certified
    );

    operator.suspend(&entry_id);
    // Until next_update the held list is used.
    assert_eq!(
        client.current().await.unwrap().sequence(),
        before.sequence()
    );
    operator.clock.set(before.next_update());
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
        after.entry_for_issuer(ISS).unwrap().status,
        ServiceStatus::Suspended
    );
}

#[tokio::test]
async fn an_older_list_replayed_after_a_restart_is_refused() {
    let operator = Operator::start().await;
    let older = operator.trust_list();
    operator.add_issuer(
        ISS,
        &SigningKey::generate().unwrap(),
        "https://idsp.example/status/",
    );
    let newer = operator.trust_list();
    assert_ne!(older, newer);

    let (stage, url) = Stage::serving_list(newer).await;
    let store = MemoryStore::default();
    let accepted = client(&operator, url.clone(), &store)
        .current()
        .await
        .unwrap();

    // "Restart": a new client on the same database, offered the older, validly signed list.
    stage.set("trust-list", Reply::Body(LIST_TYPE, older));
    let restarted = client(&operator, url, &store);
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
    assert_eq!(store.held().unwrap().sequence, accepted.sequence());
}

#[tokio::test]
async fn the_held_list_serves_until_exp_then_checks_fail_closed() {
    let operator = Operator::start().await;
    let (stage, url) = Stage::serving_list(operator.trust_list()).await;
    let client = client(&operator, url, &MemoryStore::default());
    let list = client.current().await.unwrap();

    // The operator stops serving the list (answers with a redirect, which is never followed).
    stage.set("trust-list", Reply::Redirect("http://127.0.0.1:9/".into()));
    operator.clock.set(list.next_update() + 60);
    assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
    client.settled().await;
    let hits = stage.hits();
    assert_eq!(hits, 2);
    // Within the back-off, no new attempt.
    client.current().await.unwrap();
    client.settled().await;
    assert_eq!(stage.hits(), hits);

    assert_expired_at_exp(&operator, &client, &list).await;
    assert!(list.exp() - list.iat() <= DAY);
}

#[tokio::test]
async fn a_list_signed_by_an_unpinned_key_is_refused() {
    let pinned = Operator::start().await;
    let impostor = Operator::start().await;
    let store = MemoryStore::default();
    let client = client(&pinned, impostor.trust_list_url(), &store);
    let error = client.refresh().await.unwrap_err();
    assert!(matches!(error, TrustClientError::Trust(_)), "{error}");
    assert!(store.held().is_none());
}

#[tokio::test]
async fn refetches_are_conditional_and_a_304_keeps_the_held_list() {
    let operator = Operator::start().await;
    let client = client(
        &operator,
        operator.trust_list_url(),
        &MemoryStore::default(),
    );
    let list = client.refresh_if_older_than(60, WAIT).await.unwrap();
    let etag = format!("\"{}-{}\"", list.list_id(), list.sequence());

    // Within the interval: no request at all.
    operator.clock.advance(59);
    client.refresh_if_older_than(60, WAIT).await.unwrap();
    assert_eq!(operator.log().len(), 1);

    // After it: one conditional request, answered 304 without a body; same list.
    operator.clock.advance(1);
    let again = client.refresh_if_older_than(60, WAIT).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&list, &again), "the held list, kept");
    // An operator-triggered refresh is conditional too.
    let forced = client.refresh().await.unwrap();
    assert_eq!(forced.sequence(), list.sequence());
    let log = operator.log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].if_none_match, None);
    assert_eq!(log[0].status, 200);
    for exchange in &log[1..] {
        assert_eq!(
            exchange,
            &Exchange {
                if_none_match: Some(etag.clone()),
                status: 304,
                body_len: 0,
            }
        );
    }
    assert!(log[0].body_len > 0, "{log:?}");
}

#[tokio::test]
async fn a_suspension_is_seen_at_the_first_refetch_after_it() {
    let (operator, entry_id) = with_issuer().await;
    let client = client(
        &operator,
        operator.trust_list_url(),
        &MemoryStore::default(),
    );
    let before = client.refresh_if_older_than(60, WAIT).await.unwrap();

    operator.suspend(&entry_id);
    operator.clock.advance(60);
    let after = client.refresh_if_older_than(60, WAIT).await.unwrap();
    assert!(after.sequence() > before.sequence());
    assert_eq!(
        after.entry_for_issuer(ISS).unwrap().status,
        ServiceStatus::Suspended
    );
    // The old tag was sent; the new list came whole, and its tag is sent next.
    let log = operator.log();
    assert_eq!(log[1].status, 200);
    assert!(log[1].if_none_match.is_some());
    operator.clock.advance(60);
    client.refresh_if_older_than(60, WAIT).await.unwrap();
    let last = operator.log().pop().unwrap();
    assert_eq!(last.status, 304);
    assert_eq!(
        last.if_none_match.unwrap(),
        format!("\"{}-{}\"", after.list_id(), after.sequence())
    );
}

#[tokio::test]
async fn a_304_past_next_update_never_extends_the_list_beyond_exp() {
    let operator = Operator::start().await;
    let (stage, address) = Stage::start().await;
    // A server (or a cache in front of the operator) that keeps confirming the same list.
    let list = operator.trust_list();
    stage.set("trust-list", Reply::Tagged(LIST_TYPE, list, "\"stale\""));
    let url = format!("{address}/trust-list");
    let client = client(&operator, url, &MemoryStore::default());
    let list = client.current().await.unwrap();
    assert_eq!(stage.hits(), 1);

    // Past next_update a 304 is no news: the held list serves (grace) and the client backs off.
    operator.clock.set(list.next_update());
    let error = client.refresh().await.unwrap_err();
    assert!(
        matches!(error, TrustClientError::NotModifiedPastNextUpdate),
        "{error}"
    );
    assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
    assert_eq!(stage.hits(), 2, "no new attempt within the back-off");

    // And it ends at exp, 304s or not.
    assert_expired_at_exp(&operator, &client, &list).await;
    let error = client.refresh_if_older_than(1, WAIT).await.unwrap_err();
    assert!(matches!(error, TrustClientError::Trust(_)), "{error}");
}
