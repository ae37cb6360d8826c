//! Faults of the servers fetched from, over real HTTP: an operator or issuer endpoint that
//! accepts and never answers (the stage's `Hang`), and one that refuses connections (closed, or
//! a port nothing listens on). Decisions never wait on them while a usable list is held, and
//! fail closed once none is.

use std::sync::Arc;
use std::time::{Duration, Instant};

use idv_fetch::{StatusClientError, StatusListClient, TrustClientError, TrustListClient};
use idv_jose::SigningKey;
use idv_jose::random::DeterministicRandom;
use idv_status_list::codec::Status;
use idv_status_list::verify::StatusPolicy;
use idv_trust::TrustError;

use crate::helpers::{
    MemoryStore, Reply, Stage, assert_expired_at_exp, client, client_with, fetcher_with_timeout,
    refused_port,
};
use crate::operator::Operator;
use crate::status_setup::{StatusSetup, TTL};

/// A stage serving the operator's list, and a client on it.
async fn staged(operator: &Operator, timeout_ms: Option<u64>) -> (Stage, TrustListClient) {
    let (stage, url) = Stage::serving_list(operator.trust_list()).await;
    let store = MemoryStore::default();
    let client = match timeout_ms {
        Some(ms) => client_with(operator, url, &store, fetcher_with_timeout(ms)),
        None => client(operator, url, &store),
    }
    .with_max_age(60);
    (stage, client)
}

#[tokio::test]
async fn a_hung_register_never_delays_current_while_the_list_is_valid() {
    let operator = Operator::start().await;
    // The fetcher's own timeout: 10 s.
    let (stage, client) = staged(&operator, None).await;
    let list = client.current().await.unwrap();

    stage.set("trust-list", Reply::Hang);
    operator.clock.advance(61);
    let started = Instant::now();
    for _ in 0..50 {
        assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
    }
    let elapsed = started.elapsed();
    // The refresh is hanging meanwhile: one request, held by the register.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(stage.hits(), 2, "one refresh under way, no more");
    assert!(
        elapsed < Duration::from_secs(1),
        "50 decisions took {elapsed:?} while the register hangs (10 s timeout)"
    );
}

#[tokio::test]
async fn failed_refreshes_back_off_exponentially_with_jitter() {
    let operator = Operator::start().await;
    let (stage, client) = staged(&operator, Some(200)).await;
    let list = client.current().await.unwrap();

    stage.set("trust-list", Reply::Hang);
    // Past next_update, 20 minutes of decisions, one a second; each refresh times out (after
    // 200 ms, real).
    operator.clock.set(list.next_update());
    assert!(list.exp() - list.next_update() > 1300);
    let mut attempts_at = Vec::new();
    for second in 0..1200 {
        let before = stage.hits();
        client.current().await.unwrap();
        client.settled().await;
        if stage.hits() > before {
            attempts_at.push(second);
        }
        operator.clock.advance(1);
    }
    // Back-off 5, 10, 20, … 300 s, each jittered into [half, whole]: at least 9 and at most 13
    // attempts in 1200 s (without back-off, one at every decision: 1200).
    assert!(
        (9..=13).contains(&attempts_at.len()),
        "attempts at {attempts_at:?}"
    );
    let gaps: Vec<i64> = attempts_at.windows(2).map(|w| w[1] - w[0]).collect();
    for (n, gap) in gaps.iter().enumerate() {
        let ceiling = idv_fetch::Backoff::TRUST_LIST.ceiling(u32::try_from(n).unwrap() + 1);
        assert!(
            (ceiling / 2..=ceiling + 1).contains(gap),
            "gap {n} is {gap} s: {gaps:?}"
        );
    }
    assert!(
        gaps.iter().enumerate().any(|(n, gap)| {
            *gap != idv_fetch::Backoff::TRUST_LIST.ceiling(u32::try_from(n).unwrap() + 1)
        }),
        "jittered: {gaps:?}"
    );
    assert_eq!(stage.hits(), 1 + attempts_at.len());
}

#[tokio::test]
async fn with_no_list_held_a_hung_register_fails_closed_within_the_fetch_timeout() {
    let operator = Operator::start().await;
    let (stage, address) = Stage::start().await;
    stage.set("trust-list", Reply::Hang);
    let hung = client_with(
        &operator,
        format!("{address}/trust-list"),
        &MemoryStore::default(),
        fetcher_with_timeout(500),
    );
    let started = Instant::now();
    let error = hung.current().await.unwrap_err();
    assert!(
        matches!(error, TrustClientError::Trust(TrustError::NoList)),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // During the back-off: closed at once, no new attempt.
    let error = hung.current().await.unwrap_err();
    assert!(
        matches!(error, TrustClientError::Trust(TrustError::NoList)),
        "{error}"
    );
    assert_eq!(stage.hits(), 1);

    // A port nothing listens on: the same.
    let refused = client(
        &operator,
        format!("http://127.0.0.1:{}/trust-list", refused_port()),
        &MemoryStore::default(),
    );
    let error = refused.refresh().await.unwrap_err();
    assert!(
        matches!(
            error,
            TrustClientError::Fetch(idv_fetch::FetchError::Unreachable { .. })
        ),
        "{error}"
    );
    assert!(refused.current().await.is_err());
}

#[tokio::test]
async fn a_refusing_register_leaves_the_held_list_in_use_until_exp() {
    let operator = Operator::start().await;
    let (stage, client) = staged(&operator, None).await;
    let list = client.current().await.unwrap();
    stage.close().await;

    operator.clock.set(list.next_update() + 1);
    for _ in 0..3 {
        assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
        client.settled().await;
        operator.clock.advance(600);
    }
    operator.clock.set(list.exp() - 1);
    assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
    client.settled().await;

    assert_expired_at_exp(&operator, &client, &list).await;
}

#[tokio::test]
async fn a_kept_list_is_restored_until_exp_and_never_behind_the_persisted_state() {
    let operator = Operator::start().await;
    let store = MemoryStore::default();
    let first = client(&operator, operator.trust_list_url(), &store);
    let list = first.current().await.unwrap();
    let kept = first.held_compact().unwrap();

    // The next process: the register refuses; the kept list serves.
    let unreachable = format!("http://127.0.0.1:{}/trust-list", refused_port());
    let next = client(&operator, unreachable.clone(), &store);
    assert!(next.refresh().await.is_err());
    assert_eq!(
        next.restore(&kept).await.unwrap().sequence(),
        list.sequence()
    );
    assert_eq!(next.current().await.unwrap().sequence(), list.sequence());

    // Never after its exp.
    operator.clock.set(list.exp());
    let error = client(&operator, unreachable.clone(), &store)
        .restore(&kept)
        .await
        .unwrap_err();
    assert!(matches!(error, TrustClientError::Trust(_)), "{error}");

    // Never behind a newer list accepted since.
    operator.clock.set(list.iat() + 60);
    operator.add_issuer(
        "https://idsp.example",
        &SigningKey::generate().unwrap(),
        "https://idsp.example/status/",
    );
    let newer = client(&operator, operator.trust_list_url(), &store)
        .refresh()
        .await
        .unwrap();
    assert!(newer.sequence() > list.sequence());
    let error = client(&operator, unreachable, &store)
        .restore(&kept)
        .await
        .unwrap_err();
    assert!(
        matches!(error, TrustClientError::Trust(TrustError::Rollback { .. })),
        "{error}"
    );
}

/// A status client with a short fetch timeout (3 s) and bound on refetches (500 ms), index 9
/// of the issuer's list invalid.
async fn hanging_status_setup() -> StatusSetup {
    let setup = StatusSetup::new(|clock| {
        StatusListClient::new(
            fetcher_with_timeout(3000),
            clock,
            Arc::new(DeterministicRandom::new(3)),
            StatusPolicy::default(),
            16,
        )
        .with_stale_wait(Duration::from_millis(500))
    })
    .await;
    setup.publish(&[(9, Status::Invalid)], &setup.key);
    setup
}

#[tokio::test]
async fn a_hung_status_endpoint_costs_at_most_the_bound_within_ttl_then_fails_closed() {
    let setup = hanging_status_setup().await;
    assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
    setup.stage.set("status/1", Reply::Hang);

    // Past the cache period (60 s), within the token's ttl (600 s): the cached list serves,
    // after one refetch abandoned at its bound; during the back-off at once.
    setup.operator.clock.advance(61);
    let started = Instant::now();
    assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
    let first = started.elapsed();
    assert!(first < Duration::from_secs(2), "{first:?}");
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
        assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(setup.stage.hits(), 2);

    // Past the ttl: nothing usable. The decision waits for the refetch under way (or a new
    // one), at most the fetcher's timeout, then the status is unavailable; during the
    // back-off, at once.
    setup.operator.clock.advance(TTL as i64);
    let started = Instant::now();
    let error = setup.status(9).await.unwrap_err();
    assert!(
        matches!(
            error,
            StatusClientError::Fetch(_) | StatusClientError::Unavailable
        ),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(6));
    let started = Instant::now();
    let error = setup.status(9).await.unwrap_err();
    assert!(
        matches!(error, StatusClientError::BackingOff { .. }),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(setup.stage.hits() <= 3, "{}", setup.stage.hits());
}

#[tokio::test]
async fn a_refusing_status_endpoint_leaves_the_cached_list_in_use_within_ttl() {
    let setup = hanging_status_setup().await;
    assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
    setup.stage.close().await;

    setup.operator.clock.advance(TTL as i64 - 1);
    assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);

    setup.operator.clock.advance(1);
    let error = setup.status(9).await.unwrap_err();
    assert!(
        matches!(
            error,
            StatusClientError::Fetch(idv_fetch::FetchError::Unreachable { .. })
        ),
        "{error}"
    );
    // After the back-off it is tried again: still refused, still closed.
    setup.operator.clock.advance(120);
    assert!(setup.status(9).await.is_err(), "still refused");
}
