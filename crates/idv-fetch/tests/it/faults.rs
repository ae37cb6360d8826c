//! Faults of the servers fetched from, over real HTTP: an operator or issuer endpoint that
//! accepts and never answers (the stage's `Hang`), and one that refuses connections (closed, or
//! a port nothing listens on). Decisions never wait on them while a usable list is held, and
//! fail closed once none is.

use std::sync::Arc;
use std::time::{Duration, Instant};

use idv_fetch::{StatusClientError, StatusListClient, TrustClientError};
use idv_jose::random::DeterministicRandom;
use idv_jose::{Clock, SigningKey};
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_status_list::codec::{Status, StatusBits, StatusListBuf};
use idv_status_list::token::{issue_token, token_claims};
use idv_status_list::verify::StatusPolicy;
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::TrustError;

use crate::helpers::{
    DAY, Framework, Reply, Stage, client, client_with, fetcher_with_timeout, refused_port, state_db,
};

const LIST_TYPE: &str = "application/dvs-trust-list+jwt";

test_on_both_databases!(
    a_hung_register_never_delays_current_while_the_list_is_valid,
    failed_refreshes_back_off_exponentially_with_jitter,
    with_no_list_held_a_hung_register_fails_closed_within_the_fetch_timeout,
    a_refusing_register_leaves_the_held_list_in_use_until_exp,
    a_kept_list_is_restored_until_exp_and_never_behind_the_persisted_state,
);

/// A stage serving the framework's list, and a client on it.
async fn staged(
    framework: &Framework,
    db: &TestDb,
    timeout_ms: Option<u64>,
) -> (Stage, idv_fetch::TrustListClient) {
    let (stage, address) = Stage::start().await;
    stage.set(
        "trust-list",
        Reply::Body(LIST_TYPE, framework.trust_list().await),
    );
    let url = format!("{address}/trust-list");
    let client = match timeout_ms {
        Some(ms) => client_with(framework, url, state_db(db).await, fetcher_with_timeout(ms)),
        None => client(framework, url, state_db(db).await),
    }
    .with_max_age(60);
    (stage, client)
}

async fn a_hung_register_never_delays_current_while_the_list_is_valid(db: TestDb) {
    let framework = Framework::start().await;
    // The fetcher's own timeout: 10 s.
    let (stage, client) = staged(&framework, &db, None).await;
    let list = client.current().await.unwrap();

    stage.set("trust-list", Reply::Hang);
    framework.clock.advance(61);
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

async fn failed_refreshes_back_off_exponentially_with_jitter(db: TestDb) {
    let framework = Framework::start().await;
    let (stage, client) = staged(&framework, &db, Some(200)).await;
    let list = client.current().await.unwrap();

    stage.set("trust-list", Reply::Hang);
    // Past next_update, 20 minutes of decisions, one a second; each refresh times out (after
    // 200 ms, real).
    framework.clock.set(list.next_update());
    assert!(list.exp() - list.next_update() > 1300);
    let mut attempts_at = Vec::new();
    for second in 0..1200 {
        let before = stage.hits();
        client.current().await.unwrap();
        client.settled().await;
        if stage.hits() > before {
            attempts_at.push(second);
        }
        framework.clock.advance(1);
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

async fn with_no_list_held_a_hung_register_fails_closed_within_the_fetch_timeout(db: TestDb) {
    let framework = Framework::start().await;
    let (stage, address) = Stage::start().await;
    stage.set("trust-list", Reply::Hang);
    let hung = client_with(
        &framework,
        format!("{address}/trust-list"),
        state_db(&db).await,
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
    let other = TestDb::sqlite().await;
    let refused = client(
        &framework,
        format!("http://127.0.0.1:{}/trust-list", refused_port()),
        state_db(&other).await,
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

async fn a_refusing_register_leaves_the_held_list_in_use_until_exp(db: TestDb) {
    let framework = Framework::start().await;
    let (stage, client) = staged(&framework, &db, None).await;
    let list = client.current().await.unwrap();
    stage.close().await;

    framework.clock.set(list.next_update() + 1);
    for _ in 0..3 {
        assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
        client.settled().await;
        framework.clock.advance(600);
    }
    framework.clock.set(list.exp() - 1);
    assert_eq!(client.current().await.unwrap().sequence(), list.sequence());
    client.settled().await;

    framework.clock.set(list.exp());
    let error = client.current().await.unwrap_err();
    assert!(
        matches!(
            error,
            TrustClientError::Trust(TrustError::ListExpired { .. })
        ),
        "{error}"
    );
}

async fn a_kept_list_is_restored_until_exp_and_never_behind_the_persisted_state(db: TestDb) {
    let framework = Framework::start().await;
    let database = state_db(&db).await;
    let first = client(&framework, framework.trust_list_url(), database.clone());
    let list = first.current().await.unwrap();
    let kept = first.held_compact().unwrap();

    // The next process: the register refuses; the kept list serves.
    let unreachable = format!("http://127.0.0.1:{}/trust-list", refused_port());
    let next = client(&framework, unreachable.clone(), database.clone());
    assert!(next.refresh().await.is_err());
    assert_eq!(
        next.restore(&kept).await.unwrap().sequence(),
        list.sequence()
    );
    assert_eq!(next.current().await.unwrap().sequence(), list.sequence());

    // Never after its exp.
    framework.clock.set(list.exp());
    let error = client(&framework, unreachable.clone(), database.clone())
        .restore(&kept)
        .await
        .unwrap_err();
    assert!(matches!(error, TrustClientError::Trust(_)), "{error}");

    // Never behind a newer list accepted since.
    framework.clock.set(list.iat() + 60);
    framework
        .add_issuer(
            "https://idsp.example",
            &SigningKey::generate().unwrap(),
            "https://idsp.example/status/",
        )
        .await;
    let newer = client(&framework, framework.trust_list_url(), database.clone())
        .refresh()
        .await
        .unwrap();
    assert!(newer.sequence() > list.sequence());
    let error = client(&framework, unreachable, database)
        .restore(&kept)
        .await
        .unwrap_err();
    assert!(
        matches!(error, TrustClientError::Trust(TrustError::Rollback { .. })),
        "{error}"
    );
}

const ISS: &str = "https://idsp.example";
const TTL: u64 = 600;

/// A registered issuer publishing its status list on a stage, and a status client with a short
/// fetch timeout (3 s) and bound on refetches (500 ms).
struct StatusSetup {
    framework: Framework,
    stage: Stage,
    uri: String,
    trust: idv_fetch::TrustListClient,
    statuses: StatusListClient,
    _state: TestDb,
}

impl StatusSetup {
    async fn new() -> Self {
        let framework = Framework::start().await;
        let (stage, address) = Stage::start().await;
        let key = SigningKey::generate().unwrap();
        framework
            .add_issuer(ISS, &key, &format!("{address}/status/"))
            .await;
        let state = TestDb::sqlite().await;
        let trust = client(
            &framework,
            framework.trust_list_url(),
            state_db(&state).await,
        );
        let statuses = StatusListClient::new(
            fetcher_with_timeout(3000),
            Arc::clone(&framework.clock) as Arc<dyn Clock>,
            Arc::new(DeterministicRandom::new(3)),
            StatusPolicy::default(),
            16,
        )
        .with_stale_wait(Duration::from_millis(500));
        let uri = format!("{address}/status/1");
        let mut list = StatusListBuf::new(StatusBits::Two, 1024).unwrap();
        list.set(9, Status::Invalid).unwrap();
        let iat = framework.clock.now();
        let claims = token_claims(uri.clone(), iat, Some(iat + DAY), Some(TTL), &list);
        let token = issue_token(&claims, &key, None, None).unwrap();
        stage.set("status/1", Reply::Body("application/statuslist+jwt", token));
        Self {
            framework,
            stage,
            uri,
            trust,
            statuses,
            _state: state,
        }
    }

    async fn status(&self, idx: u64) -> Result<Status, StatusClientError> {
        let list = self.trust.current().await.unwrap();
        let reference = StatusListReference {
            idx,
            uri: self.uri.clone(),
        };
        self.statuses
            .status(&reference, ISS, &list)
            .await
            .map(|check| check.status)
    }
}

#[tokio::test]
async fn a_hung_status_endpoint_costs_at_most_the_bound_within_ttl_then_fails_closed() {
    let setup = StatusSetup::new().await;
    assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
    setup.stage.set("status/1", Reply::Hang);

    // Past the cache period (60 s), within the token's ttl (600 s): the cached list serves,
    // after one refetch abandoned at its bound; during the back-off at once.
    setup.framework.clock.advance(61);
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
    setup.framework.clock.advance(TTL as i64);
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
    let setup = StatusSetup::new().await;
    assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
    setup.stage.close().await;

    setup.framework.clock.advance(TTL as i64 - 1);
    assert_eq!(setup.status(9).await.unwrap(), Status::Invalid);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);

    setup.framework.clock.advance(1);
    let error = setup.status(9).await.unwrap_err();
    assert!(
        matches!(
            error,
            StatusClientError::Fetch(idv_fetch::FetchError::Unreachable { .. })
        ),
        "{error}"
    );
    // After the back-off it is tried again: still refused, still closed.
    setup.framework.clock.advance(120);
    assert!(setup.status(9).await.is_err(), "still refused");
}
