//! A real trust-framework on port 0 (initialised, a provider registered), a relay in front of
//! it recording what passes, a programmable local server for bodies the operator would never
//! serve (replays, oversize, redirects, a 304 for a list past its `next_update`), and a
//! database with the `trust_list_state` table.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idv_fetch::{FetchPolicy, Fetcher, TRUST_LIST_STATE_DDL, TrustListClient};
use idv_jose::random::DeterministicRandom;
use idv_jose::{Clock, ManualClock, PublicKey, SigningKey, SystemRandom};
use idv_service_kit::db::PoolSettings;
use idv_service_kit::{Database, Secret};
use idv_test_support::TestDb;
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::ListPolicy;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use trust_framework::config::TrustFrameworkConfig;
use trust_framework::register::setup::initialise;
use trust_framework::startup::Application;
use trust_framework::store::Store;

pub(crate) const T0: i64 = 1_780_000_000;
pub(crate) const DAY: i64 = 24 * 60 * 60;

/// The trust framework, running.
pub(crate) struct Framework {
    pub(crate) address: String,
    pub(crate) token: String,
    pub(crate) anchor: PublicKey,
    pub(crate) clock: Arc<ManualClock>,
    shutdown: Option<oneshot::Sender<()>>,
    _db: TestDb,
}

impl Framework {
    /// The service on its own fresh SQLite database.
    pub(crate) async fn start() -> Self {
        let db = TestDb::sqlite().await;
        let mut config = TrustFrameworkConfig::default();
        config.http.listen = "127.0.0.1:0".parse().unwrap();
        config.http.public_url = "https://trust.sim.ofdia.example".into();
        config.database.url = Some(Secret::new(db.url()));
        config.database.max_connections = 4;
        let clock = Arc::new(ManualClock::new(T0));
        let store = Store::connect(
            config.database_url().expose(),
            PoolSettings::with_max_connections(2),
        )
        .await
        .unwrap();
        let initialised = initialise(&store, clock.as_ref(), &SystemRandom)
            .await
            .unwrap();
        store.close().await;
        let app = Application::build_with_clock(config, Arc::clone(&clock) as Arc<dyn Clock>)
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            address,
            token: initialised.operator_token.unwrap().expose().to_owned(),
            anchor: PublicKey::from_jwk(&initialised.anchor.public()).unwrap(),
            clock,
            shutdown: Some(shutdown),
            _db: db,
        }
    }

    pub(crate) fn trust_list_url(&self) -> String {
        format!("{}/trust-list", self.address)
    }

    pub(crate) fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_keys([self.anchor.clone()]).unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Registers an IDSP issuing as `iss` with `key`, status lists under `status_prefix`.
    pub(crate) async fn add_issuer(
        &self,
        iss: &str,
        key: &SigningKey,
        status_prefix: &str,
    ) -> String {
        let entry = self
            .post(
                "/v1/providers",
                &json!({
                    "organisation": {"name": "Example IDSP Ltd", "company_number": "01234567"},
                    "service": {"service_id": "svc-01", "name": "Example Reusable ID"},
                    "roles": ["IDSP"],
                    "framework_version": "1.0",
                    "certificate": {
                        "id": "CAB-7-0001",
                        "cab": "Example CAB (UKAS 1234)",
                        "issued": T0 - 30 * DAY,
                        "expires": T0 + 3 * 365 * DAY
                    },
                    "max_loc": "medium",
                    "issuer": {
                        "iss": [iss],
                        "jwks": {"keys": [key.public_key().to_jwk()]},
                        "status_list_uris_prefix": [status_prefix],
                        "vct": ["urn:dvs:vct:uk-identity:1"]
                    }
                }),
            )
            .await;
        entry["entry_id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn suspend(&self, entry_id: &str) {
        self.post(
            &format!("/v1/providers/{entry_id}/suspend"),
            &json!({"reason": "test"}),
        )
        .await;
    }

    /// The compact list as served now.
    pub(crate) async fn trust_list(&self) -> String {
        reqwest::get(self.trust_list_url())
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

impl Drop for Framework {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A database with the state table, as a service's migrations would create it.
pub(crate) async fn state_db(db: &TestDb) -> Database {
    let database = Database::connect(db.url()).await.unwrap();
    sqlx::query(TRUST_LIST_STATE_DDL)
        .execute(database.pool())
        .await
        .unwrap();
    database
}

pub(crate) fn fetcher() -> Fetcher {
    Fetcher::new(FetchPolicy::default()).unwrap()
}

pub(crate) fn client(framework: &Framework, url: String, db: Database) -> TrustListClient {
    client_with(framework, url, db, fetcher())
}

/// A fetcher giving up after `millis` milliseconds.
pub(crate) fn fetcher_with_timeout(millis: u64) -> Fetcher {
    Fetcher::new(FetchPolicy {
        timeout: std::time::Duration::from_millis(millis),
        ..FetchPolicy::default()
    })
    .unwrap()
}

pub(crate) fn client_with(
    framework: &Framework,
    url: String,
    db: Database,
    fetcher: Fetcher,
) -> TrustListClient {
    TrustListClient::new(
        url,
        framework.anchors(),
        ListPolicy::default(),
        fetcher,
        db,
        Arc::clone(&framework.clock) as Arc<dyn Clock>,
        Arc::new(DeterministicRandom::new(17)),
    )
}

/// A port nothing listens on: connections to it are refused.
pub(crate) fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// What the programmable server answers at a path.
#[derive(Clone)]
pub(crate) enum Reply {
    Body(&'static str, String),
    /// A body with an `ETag`; `304 Not Modified` to an `If-None-Match` naming it.
    Tagged(&'static str, String, &'static str),
    Redirect(String),
    /// The request is read and never answered.
    Hang,
}

/// A local server answering `/{name}` from a table the test changes, counting requests.
#[derive(Clone, Default)]
pub(crate) struct Stage {
    replies: Arc<Mutex<BTreeMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
    server: Arc<Mutex<Option<Serving>>>,
}

/// A running stage server: its shutdown signal and task.
type Serving = (oneshot::Sender<()>, tokio::task::JoinHandle<()>);

impl Stage {
    pub(crate) async fn start() -> (Self, String) {
        let stage = Self::default();
        let app = stage.router();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        *stage.server.lock().unwrap() = Some((stop, server));
        (stage, address)
    }

    /// Stops listening and closes its connections (kept-alive ones too): from now on
    /// connections are refused.
    pub(crate) async fn close(&self) {
        let server = self.server.lock().unwrap().take();
        if let Some((stop, server)) = server {
            let _ = stop.send(());
            server.await.unwrap();
        }
    }

    /// The routes answering from this stage's table.
    pub(crate) fn router(&self) -> Router {
        Router::new()
            .route("/{*name}", get(serve))
            .with_state(self.clone())
    }

    pub(crate) fn set(&self, name: &str, reply: Reply) {
        self.replies.lock().unwrap().insert(name.to_owned(), reply);
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn serve(
    State(stage): State<Stage>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    stage.hits.fetch_add(1, Ordering::SeqCst);
    let reply = stage.replies.lock().unwrap().get(&name).cloned();
    match reply {
        Some(Reply::Body(content_type, body)) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Some(Reply::Tagged(content_type, body, etag)) => {
            if headers
                .get(header::IF_NONE_MATCH)
                .is_some_and(|tag| tag == etag)
            {
                return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
            }
            (
                [(header::CONTENT_TYPE, content_type), (header::ETAG, etag)],
                body,
            )
                .into_response()
        }
        Some(Reply::Redirect(to)) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        Some(Reply::Hang) => std::future::pending().await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One exchange the relay passed on: the `If-None-Match` sent, the status and body length
/// answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Relayed {
    pub(crate) if_none_match: Option<String>,
    pub(crate) status: u16,
    pub(crate) body_len: usize,
}

/// A relay in front of the trust framework's `GET /trust-list`, recording every exchange.
#[derive(Clone)]
pub(crate) struct Relay {
    upstream: String,
    client: reqwest::Client,
    log: Arc<Mutex<Vec<Relayed>>>,
}

impl Relay {
    /// Relays to `framework`; returns the relay and its trust list URL.
    pub(crate) async fn start(framework: &Framework) -> (Self, String) {
        let relay = Self {
            upstream: framework.trust_list_url(),
            client: reqwest::Client::new(),
            log: Arc::default(),
        };
        let app = Router::new()
            .route("/trust-list", get(relay_trust_list))
            .with_state(relay.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/trust-list",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (relay, url)
    }

    /// The exchanges so far, in order.
    pub(crate) fn log(&self) -> Vec<Relayed> {
        self.log.lock().unwrap().clone()
    }
}

async fn relay_trust_list(State(relay): State<Relay>, headers: HeaderMap) -> Response {
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .map(|v| v.to_str().unwrap().to_owned());
    let mut request = relay.client.get(&relay.upstream);
    if let Some(tag) = &if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    let upstream = request.send().await.unwrap();
    let status = upstream.status();
    let mut answer = HeaderMap::new();
    for name in [header::CONTENT_TYPE, header::ETAG, header::CACHE_CONTROL] {
        if let Some(value) = upstream.headers().get(&name) {
            answer.insert(name, value.clone());
        }
    }
    let body = upstream.bytes().await.unwrap();
    relay.log.lock().unwrap().push(Relayed {
        if_none_match,
        status: status.as_u16(),
        body_len: body.len(),
    });
    (StatusCode::from_u16(status.as_u16()).unwrap(), answer, body).into_response()
}
