//! A webhook receiver on 127.0.0.1: answers with the statuses a test chose, or slowly, and
//! records every request.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use idv_test_support::server::TestServer;
use tokio::net::TcpListener;
use verifier::config::VerifierConfig;

/// A webhook receiver answering with `statuses` in turn (then 200), recording every request.
pub(crate) struct WebhookReceiver {
    pub(crate) url: String,
    /// `127.0.0.1:<port>`: what the verifier must allow-list to deliver here.
    pub(crate) host: String,
    pub(crate) received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    _server: TestServer,
}

impl WebhookReceiver {
    pub(crate) async fn start(statuses: Vec<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, statuses, std::time::Duration::ZERO)
    }

    /// A receiver that answers 200 only `delay` after each request arrived (a slow or
    /// hanging host); requests are recorded on arrival.
    pub(crate) async fn start_slow(delay: std::time::Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, Vec::new(), delay)
    }

    /// A receiver on a given loopback port (one that was down before).
    pub(crate) async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        Self::serve(listener, Vec::new(), std::time::Duration::ZERO)
    }

    fn serve(listener: TcpListener, statuses: Vec<u16>, delay: std::time::Duration) -> Self {
        let host = listener.local_addr().unwrap().to_string();
        let url = format!("http://{host}/hooks/idv");
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = ReceiverState {
            received: Arc::clone(&received),
            statuses: Arc::new(Mutex::new(statuses.into_iter().rev().collect())),
            delay,
        };
        let router = axum::Router::new()
            .route("/hooks/idv", post(receive_webhook))
            .with_state(state);
        let server = TestServer::spawn(move |stopped| async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
        });
        Self {
            url,
            host,
            received,
            _server: server,
        }
    }

    /// Allow-lists this receiver (its `host:port` only) in `[webhooks] allow_hosts`.
    pub(crate) fn allow(&self, config: &mut VerifierConfig) {
        config.webhooks.allow_hosts.push(self.host.clone());
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.host.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// The `webhook-id`s received, in order of arrival.
    pub(crate) fn event_ids(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(headers, _)| headers["webhook-id"].to_str().unwrap().to_owned())
            .collect()
    }

    pub(crate) fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Waits until `n` requests have arrived.
    pub(crate) async fn wait_for(&self, n: usize) {
        for _ in 0..300 {
            if self.count() >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {n} webhook request(s), got {}", self.count());
    }
}

#[derive(Clone)]
struct ReceiverState {
    received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    delay: std::time::Duration,
}

async fn receive_webhook(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    state.received.lock().unwrap().push((headers, body));
    tokio::time::sleep(state.delay).await;
    let status = state.statuses.lock().unwrap().pop().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}
