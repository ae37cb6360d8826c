//! Faults in production, over real HTTP: a trust framework that accepts connections and never
//! answers (a TCP front that holds them) or refuses them (the front closed); an issuer's status
//! list endpoint that hangs (the status gate held) or refuses (its server stopped); and two
//! verifier instances on one database, a check closed through one while the other holds its
//! request in memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idv_jose::Clock;
use idv_proto::oid4vp::authorization_request::REQUEST_OBJECT_MEDIA_TYPE;
use idv_proto::oid4vp::authorization_response::AuthorizationResponse;
use idv_service_kit::limits::Rate;
use idv_test_support::{TestDb, test_on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{Federation, Instance, IssuedCredential, british_citizen, reason_codes};
use crate::wallet::{
    WalletRequest, assert_refused, encrypt, open_check, present, respond, run_check, vp_token,
};

test_on_both_databases!(
    a_hung_register_delays_no_check_while_the_list_is_valid_then_checks_fail_closed,
    a_hung_or_refusing_status_endpoint_is_bridged_within_ttl_then_fails_closed,
    a_check_erased_through_another_instance_is_no_longer_served,
    a_check_completed_through_another_instance_is_no_longer_served,
);

/// How a front answers new connections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Relayed to the trust framework.
    Forward,
    /// Accepted and never answered.
    Hang,
}

/// A TCP front before the trust framework: relays, or accepts and holds every connection
/// without a byte in answer, counting them; closed, its port refuses connections.
#[derive(Clone)]
struct Front {
    url: String,
    mode: Arc<Mutex<Mode>>,
    hung: Arc<AtomicUsize>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Front {
    async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/trust-list", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let front = Self {
            url,
            mode: Arc::new(Mutex::new(Mode::Forward)),
            hung: Arc::default(),
            connections: Arc::default(),
            acceptor: Arc::default(),
        };
        let accepting = front.clone();
        let acceptor = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mode = *accepting.mode.lock().unwrap();
                let upstream = upstream.clone();
                let hung = Arc::clone(&accepting.hung);
                let connection = tokio::spawn(async move {
                    match mode {
                        Mode::Forward => {
                            let mut outbound = TcpStream::connect(&upstream).await.unwrap();
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                        Mode::Hang => {
                            hung.fetch_add(1, Ordering::SeqCst);
                            // Hold the connection open, read nothing, answer nothing.
                            std::future::pending::<()>().await;
                            drop(inbound);
                        }
                    }
                });
                accepting.connections.lock().unwrap().push(connection);
            }
        });
        *front.acceptor.lock().unwrap() = Some(acceptor);
        front
    }

    /// Cuts every open connection (kept-alive ones too), then answers new ones as `mode`.
    async fn switch(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
        // Let the verifier's connection pool see the closed connections.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    /// Stops listening and cuts every connection: from now on the port refuses.
    async fn close(&self) {
        let acceptor = self.acceptor.lock().unwrap().take();
        if let Some(acceptor) = acceptor {
            acceptor.abort();
            let _ = acceptor.await;
        }
        self.switch(Mode::Hang).await;
    }

    /// Connections accepted and held so far.
    fn hung(&self) -> usize {
        self.hung.load(Ordering::SeqCst)
    }
}

/// The federation with the verifier fetching its trust list through a front.
async fn behind_front(db: &TestDb) -> (Federation, Front) {
    let mut fed = Federation::start(db).await;
    let front = Front::start(&fed.tf_address).await;
    fed.verifier_config.trust.list_url = front.url.clone();
    // Checks run back to back for seconds here: the rate limits are not what is tested.
    let limits = &mut fed.verifier_config.limits;
    limits.per_ip = Rate::new(600_000, 100_000);
    limits.checks_per_tenant = Rate::new(600_000, 100_000);
    fed.restart_verifier().await;
    (fed, front)
}

/// Runs an age check to its end with a new credential; returns the check's view and how long
/// it took (creation, request object, response).
async fn timed_age_check(fed: &Federation) -> (Value, Duration) {
    let credential = fed.issue_age("good", &british_citizen());
    timed_check_with(fed, &credential).await
}

/// [`timed_age_check`] with `credential`.
async fn timed_check_with(fed: &Federation, credential: &IssuedCredential) -> (Value, Duration) {
    let started = Instant::now();
    let (id, response) = run_check(fed, "age_over_18", credential).await;
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::OK);
    (fed.check(&id).await, took)
}

/// The `exp` of the trust list the framework serves now.
async fn trust_list_exp(fed: &Federation) -> i64 {
    idv_federation::operator::served_trust_list_claims(&fed.client, &fed.tf_address)
        .await
        .unwrap()["exp"]
        .as_i64()
        .unwrap()
}

async fn a_hung_register_delays_no_check_while_the_list_is_valid_then_checks_fail_closed(
    db: TestDb,
) {
    let (fed, front) = behind_front(&db).await;
    let (check, _) = timed_age_check(&fed).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    let exp = trust_list_exp(&fed).await;

    // The register hangs; a refresh is due (`trust.refresh_secs` passed).
    front.switch(Mode::Hang).await;
    fed.clock
        .advance(fed.verifier_config.trust.refresh_secs as i64 + 1);
    let window = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut checks = 0;
    // One credential for them all (each new one takes a status list index; the list has 1024).
    let credential = fed.issue_age("good", &british_citizen());
    while window.elapsed() < Duration::from_secs(12) {
        let (check, took) = timed_check_with(&fed, &credential).await;
        assert_eq!(check["outcome"], "compliant", "{check}");
        slowest = slowest.max(took);
        checks += 1;
    }
    println!(
        "hung register: {checks} checks in 12 s, slowest {slowest:?}, {} connections held",
        front.hung()
    );
    assert!(
        slowest < Duration::from_secs(1),
        "slowest check took {slowest:?}"
    );
    // One refresh hung for its 10 s timeout; the next waits for the back-off.
    assert!((1..=2).contains(&front.hung()), "{}", front.hung());

    // Past the held list's exp: nothing to decide with; the check fails closed, within the
    // fetch timeout.
    fed.clock.set(exp);
    let (check, took) = timed_age_check(&fed).await;
    assert_eq!(check["state"], "failed", "{check}");
    assert_eq!(reason_codes(&check), ["trust_list_unavailable"], "{check}");
    assert!(took < Duration::from_secs(12), "{took:?}");

    // Refused instead of hung: the same.
    front.close().await;
    fed.clock.advance(600);
    let (check, took) = timed_age_check(&fed).await;
    assert_eq!(reason_codes(&check), ["trust_list_unavailable"], "{check}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    fed.stop().await;
}

async fn a_hung_or_refusing_status_endpoint_is_bridged_within_ttl_then_fails_closed(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    let (check, _) = timed_age_check(&fed).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    let fetched_at = fed.clock.now();

    // The issuer's endpoint hangs; past the verifier's cache period (60 s), within the
    // token's ttl (300 s) the cached list decides, a refetch costing 2 s at most.
    let gate = fed.status_gate.clone();
    let held = gate.close().await;
    fed.clock.advance(61);
    for _ in 0..5 {
        let (check, took) = timed_age_check(&fed).await;
        assert_eq!(check["outcome"], "compliant", "{check}");
        assert!(took < Duration::from_secs(4), "{took:?}");
        fed.clock.advance(1);
    }
    // Past the ttl: no usable list; status unavailable, within the fetch timeout.
    fed.clock.set(fetched_at + 300);
    let (check, took) = timed_age_check(&fed).await;
    assert_eq!(check["state"], "failed", "{check}");
    assert_eq!(reason_codes(&check), ["status_unavailable"], "{check}");
    assert!(took < Duration::from_secs(12), "{took:?}");
    drop(held);

    // Refusing: a fresh list is cached first, then the server stops.
    fed.clock.advance(120);
    let (check, _) = timed_age_check(&fed).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    let fetched_at = fed.clock.now();
    fed.stop_status_server().await;
    fed.clock.advance(299);
    let (check, _) = timed_age_check(&fed).await;
    assert_eq!(check["outcome"], "compliant", "{check}");
    fed.clock.set(fetched_at + 300);
    let (check, took) = timed_age_check(&fed).await;
    assert_eq!(reason_codes(&check), ["status_unavailable"], "{check}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    fed.stop().await;
}

/// The instance that created the check no longer serves `request`: the request object and a
/// response to it are both refused with a description starting with `reason`.
async fn assert_no_longer_served(
    fed: &Federation,
    request: &WalletRequest,
    presentation: String,
    reason: &str,
) {
    // RFC 9101 §7 / OpenID Connect Core §3.1.2.6: the request URI no longer resolves.
    let response = fed
        .client
        .get(&request.request_uri)
        .header("accept", REQUEST_OBJECT_MEDIA_TYPE)
        .send()
        .await
        .unwrap();
    assert_refused(response, "invalid_request_uri", reason).await;
    let response = respond(fed, request, vp_token(request, presentation)).await;
    assert_refused(response, "invalid_request", reason).await;
}

/// The federation with a second verifier instance, and an age check the first created and
/// whose request the wallet fetched from it: the check's id, the request and a presentation.
async fn check_on_two_instances(
    db: &TestDb,
) -> (Federation, Instance, String, WalletRequest, String) {
    let fed = Federation::start(db).await;
    let other = fed.second_instance().await;
    let credential = fed.issue_age("good", &british_citizen());
    let (created, request) = open_check(&fed, &json!({"template": "age_over_18"})).await;
    let presentation = present(&fed, &credential, &request);
    let id = created["id"].as_str().unwrap().to_owned();
    (fed, other, id, request, presentation)
}

async fn a_check_erased_through_another_instance_is_no_longer_served(db: TestDb) {
    // This instance created the check and holds its request; the wallet fetched it.
    let (fed, other, id, request, presentation) = check_on_two_instances(&db).await;
    let erased = fed
        .client
        .delete(format!("{}/v1/checks/{id}", other.address))
        .bearer_auth(&fed.tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);

    assert_no_longer_served(&fed, &request, presentation, "request_unknown").await;
    assert_eq!(fed.check(&id).await["state"], "erased");
    other.stop().await;
    fed.stop().await;
}

async fn a_check_completed_through_another_instance_is_no_longer_served(db: TestDb) {
    let (fed, other, id, request, presentation) = check_on_two_instances(&db).await;
    // The round-robin proxy sends the wallet's response to the other instance.
    let response_path = url::Url::parse(request.response_uri())
        .unwrap()
        .path()
        .to_owned();
    let payload = AuthorizationResponse {
        vp_token: Some(vp_token(&request, presentation.clone())),
        state: Some(request.state().to_owned()),
        ..AuthorizationResponse::default()
    };
    let answered = fed
        .client
        .post(format!("{}{response_path}", other.address))
        .form(&[("response", encrypt(&request, &payload))])
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    assert_eq!(fed.check(&id).await["outcome"], "compliant");

    // The creating instance: the request is answered; no object, no second response.
    assert_no_longer_served(&fed, &request, presentation, "response_replayed").await;
    other.stop().await;
    fed.stop().await;
}
