//! Webhook delivery under faults: a hanging host holds only its own slots, instances sharing
//! the database deliver each event once, a failing host's breaker opens without touching
//! other hosts, a receiver down for an hour gets its event once afterwards, and webhooks go
//! only to public addresses (or the hosts the operator allow-lists).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use idv_jose::Clock as _;
use idv_service_kit::db::PoolSettings;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::TcpListener;
use verifier::store::Store;
use verifier::store::outbox::EventStatus;

use crate::helpers::{Federation, TenantCredentials, WebhookReceiver, error_body};

test_on_both_databases!(
    a_hanging_host_does_not_delay_another_tenants_webhook,
    two_instances_deliver_each_event_once_to_a_slow_receiver,
    a_failing_host_opens_its_breaker_and_other_hosts_are_unaffected,
    a_receiver_down_for_an_hour_gets_the_event_once_afterwards,
    webhooks_to_non_public_addresses_are_refused_at_creation,
    a_name_resolving_to_loopback_is_refused_at_delivery,
);

/// Expiry of a check (`request_lifetime_secs` + 1): the sweeper then announces it.
const EXPIRE: i64 = 601;

/// Creates a check of `tenant` with `webhook_url`; returns its id.
async fn check_with_webhook(fed: &Federation, tenant: &TenantCredentials, url: &str) -> String {
    let response = fed
        .post_check(
            tenant,
            &json!({"template": "age_over_18", "webhook_url": url}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// The outbox rows of a check, read as an operator would.
async fn events(db: &TestDb, tenant: &TenantCredentials, check_id: &str) -> Vec<EventStatus> {
    let store = Store::connect(db.url(), PoolSettings::with_max_connections(1))
        .await
        .unwrap();
    let events = store
        .events_of_check(&tenant.tenant_id, check_id)
        .await
        .unwrap();
    store.close().await;
    events
}

/// Polls until `done` holds (at most 5 s).
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..500 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn a_hanging_host_does_not_delay_another_tenants_webhook(db: TestDb) {
    // The hanging host answers after 10 s (the verifier gives up after its 5 s timeout).
    let hanging = WebhookReceiver::start_slow(Duration::from_secs(10)).await;
    let other = WebhookReceiver::start(Vec::new()).await;
    let fed = Federation::start_with(&db, |c| {
        hanging.allow(c);
        other.allow(c);
    })
    .await;
    let tenant_b = fed.newly_registered_tenant("agency.example.co.uk").await;
    for _ in 0..6 {
        check_with_webhook(&fed, &fed.tenant, &hanging.url).await;
    }
    fed.clock.advance(EXPIRE);
    // Tenant A's six events are under way (four at once: the per-host cap) and hanging.
    hanging.wait_for(4).await;
    check_with_webhook(&fed, &tenant_b, &other.url).await;
    let expired = Instant::now();
    fed.clock.advance(EXPIRE);
    other.wait_for(1).await;
    let delay = expired.elapsed();
    eprintln!("other tenant's webhook delivered {delay:?} after its check expired");
    assert!(
        delay < Duration::from_secs(1),
        "delivered after {delay:?} while another host hangs"
    );
    assert!(hanging.count() <= 6);
    fed.stop().await;
}

async fn two_instances_deliver_each_event_once_to_a_slow_receiver(db: TestDb) {
    // Each answer takes 4 s; the clock runs 12.5 times faster than real time meanwhile, so
    // an attempt (50 s) outlasts its 38 s lease unless the lease is renewed while sending.
    let slow = WebhookReceiver::start_slow(Duration::from_secs(4)).await;
    let fed = Federation::start_with(&db, |c| slow.allow(c)).await;
    let second = fed.another_running_instance().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(check_with_webhook(&fed, &fed.tenant, &slow.url).await);
    }
    let running = Arc::new(AtomicBool::new(true));
    let ticker = tokio::spawn({
        let (clock, running) = (Arc::clone(&fed.clock), Arc::clone(&running));
        async move {
            while running.load(Ordering::SeqCst) {
                clock.advance(1);
                tokio::time::sleep(Duration::from_millis(80)).await;
            }
        }
    });
    fed.clock.advance(EXPIRE);
    for _ in 0..2000 {
        if slow.count() >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Every event is recorded delivered, after one attempt.
    let (db_ref, tenant) = (&db, &fed.tenant);
    for id in &ids {
        eventually("the event recorded as delivered", || async move {
            let events = events(db_ref, tenant, id).await;
            events.len() == 1 && events[0].state == "delivered"
        })
        .await;
        let events = events(&db, &fed.tenant, id).await;
        assert_eq!(events[0].attempts, 1, "{id}");
    }
    // Time goes on: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, Ordering::SeqCst);
    ticker.await.unwrap();
    let mut received = slow.event_ids();
    assert_eq!(received.len(), 12, "each event once: {received:?}");
    received.sort();
    received.dedup();
    assert_eq!(received.len(), 12);
    second.stop().await;
    fed.stop().await;
}

async fn a_failing_host_opens_its_breaker_and_other_hosts_are_unaffected(db: TestDb) {
    let failing = WebhookReceiver::start(vec![503; 100]).await;
    let healthy = WebhookReceiver::start(Vec::new()).await;
    let fed = Federation::start_with(&db, |c| {
        failing.allow(c);
        healthy.allow(c);
        c.webhooks.breaker_failures = 3;
        c.webhooks.breaker_open_secs = 3600;
        c.webhooks.max_attempts = 20;
        c.webhooks.retry_max_secs = 3600;
    })
    .await;
    let (db_ref, tenant) = (&db, &fed.tenant);
    let mut failing_checks = Vec::new();
    for _ in 0..5 {
        failing_checks.push(check_with_webhook(&fed, &fed.tenant, &failing.url).await);
    }
    fed.clock.advance(EXPIRE);
    // Every first attempt ends (some may still have been under way when the breaker opened).
    for id in &failing_checks {
        eventually("a first attempt", || async move {
            events(db_ref, tenant, id)
                .await
                .first()
                .is_some_and(|e| e.attempts >= 1)
        })
        .await;
    }
    let opened_at = fed.clock.now();
    let sent = failing.count();
    assert!((3..=5).contains(&sent), "{sent}");

    // While the breaker is open, retries fall due but nothing is sent to the failing host;
    // another host's webhook goes out as usual.
    let healthy_check = check_with_webhook(&fed, &fed.tenant, &healthy.url).await;
    for _ in 0..4 {
        fed.clock.advance(EXPIRE);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    healthy.wait_for(1).await;
    assert_eq!(
        events(&db, &fed.tenant, &healthy_check).await[0].state,
        "delivered"
    );
    assert_eq!(
        failing.count(),
        sent,
        "nothing sent while the breaker is open"
    );
    let deferred = events(&db, &fed.tenant, &failing_checks[0]).await;
    assert_eq!(
        deferred[0].last_error.as_deref(),
        Some("circuit open: the host failed repeatedly"),
        "{deferred:?}"
    );
    assert_eq!(deferred[0].state, "pending");

    // After the open period, one trial; it fails, and the breaker opens again.
    fed.clock.set(opened_at + 3600 + 1);
    for _ in 0..10 {
        fed.clock.advance(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    failing.wait_for(sent + 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(failing.count(), sent + 1, "one trial only");
    fed.stop().await;
}

async fn a_receiver_down_for_an_hour_gets_the_event_once_afterwards(db: TestDb) {
    // A port with nothing listening (yet).
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hooks/idv");
    // The production retry schedule: 10 s doubling up to an hour, 20 attempts.
    let fed = Federation::start_with(&db, |c| {
        c.webhooks.allow_hosts.push(format!("127.0.0.1:{port}"));
        c.webhooks.retry_initial_secs = 10;
        c.webhooks.retry_max_secs = 3600;
        c.webhooks.max_attempts = 20;
    })
    .await;
    let id = check_with_webhook(&fed, &fed.tenant, &url).await;
    fed.clock.advance(EXPIRE);
    let down_since = fed.clock.now();
    // An hour passes, a minute at a time; every attempt finds the receiver down.
    while fed.clock.now() < down_since + 3600 {
        fed.clock.advance(60);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let failed = events(&db, &fed.tenant, &id).await;
    assert_eq!(failed[0].state, "pending", "{failed:?}");
    assert!(failed[0].attempts >= 5, "{failed:?}");

    // The receiver is back: the next retry delivers, once.
    let receiver = WebhookReceiver::start_on(port).await;
    for _ in 0..30 {
        if receiver.count() > 0 {
            break;
        }
        fed.clock.advance(300);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.wait_for(1).await;
    for _ in 0..12 {
        fed.clock.advance(600);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert_eq!(receiver.count(), 1);
    let delivered = events(&db, &fed.tenant, &id).await;
    assert_eq!(delivered[0].state, "delivered", "{delivered:?}");
    // (An attempt may still have been under way when the failures were read.)
    assert!(delivered[0].attempts > failed[0].attempts, "{delivered:?}");
    fed.stop().await;
}

async fn webhooks_to_non_public_addresses_are_refused_at_creation(db: TestDb) {
    let receiver = WebhookReceiver::start(Vec::new()).await;
    let fed = Federation::start_with(&db, |c| receiver.allow(c)).await;
    let port = receiver.port();
    // The trust framework's own operator endpoint, on this machine: never a webhook.
    let operator_endpoint = format!("{}/v1/providers/dvs-000001/withdraw", fed.tf_address());
    for (url, why) in [
        (operator_endpoint.as_str(), "plain http"),
        (
            &*format!("https://127.0.0.1:{}/x", port + 1),
            "loopback 127/8",
        ),
        (&*format!("http://localhost:{port}/hooks/idv"), "plain http"),
        ("https://[::1]/x", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/x", "link-local"),
        ("https://10.1.2.3/x", "RFC 1918"),
        ("https://172.16.0.1/x", "RFC 1918"),
        ("https://192.168.0.1/x", "RFC 1918"),
        ("https://100.64.0.1/x", "CGNAT"),
        ("https://[fd00::1]/x", "unique local"),
        ("https://0.0.0.0/x", "this network"),
        ("https://[::]/x", "unspecified"),
        ("https://224.0.0.251/x", "multicast"),
        ("https://255.255.255.255/x", "broadcast"),
        ("https://203.0.113.7/x", "documentation"),
        ("https://[::ffff:10.0.0.1]/x", "IPv4-mapped"),
        ("https://0x7f000001/x", "loopback"),
    ] {
        let (error, description) = error_body(
            fed.post_check(
                &fed.tenant,
                &json!({"template": "age_over_18", "webhook_url": url}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error, "invalid_webhook_url", "{url}");
        assert!(description.contains(why), "{url}: {description}");
    }
    // The allow-listed receiver (that host and port only) is accepted.
    check_with_webhook(&fed, &fed.tenant, &receiver.url).await;
    fed.stop().await;
}

async fn a_name_resolving_to_loopback_is_refused_at_delivery(db: TestDb) {
    // A listener that counts the connections it is offered.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let acceptor = tokio::spawn({
        let connections = Arc::clone(&connections);
        async move {
            while let Ok((stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        }
    });
    // And a receiver reached by the name `localhost`, which the operator allow-lists.
    let allowed = WebhookReceiver::start(Vec::new()).await;
    let allowed_port = allowed.port();
    let fed = Federation::start_with(&db, |c| {
        c.webhooks
            .allow_hosts
            .push(format!("localhost:{allowed_port}"));
    })
    .await;
    // An https name: accepted at creation (names are judged once resolved).
    let refused =
        check_with_webhook(&fed, &fed.tenant, &format!("https://localhost:{port}/x")).await;
    check_with_webhook(
        &fed,
        &fed.tenant,
        &format!("http://localhost:{allowed_port}/hooks/idv"),
    )
    .await;
    fed.clock.advance(EXPIRE);
    allowed.wait_for(1).await;
    let (db_ref, tenant, refused_ref) = (&db, &fed.tenant, &refused);
    eventually("the refused attempt recorded", || async move {
        events(db_ref, tenant, refused_ref)
            .await
            .first()
            .is_some_and(|e| e.attempts >= 1)
    })
    .await;
    let event = &events(&db, &fed.tenant, &refused).await[0];
    assert_eq!(event.state, "pending");
    let error = event.last_error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("destination refused: the host resolves to no public address"),
        "{error}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 0, "never connected");
    acceptor.abort();
    fed.stop().await;
}
