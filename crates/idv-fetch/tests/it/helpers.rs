//! What the tests share: the times, a stoppable local server, a programmable stage for bodies
//! the operator would never serve (replays, oversize, redirects, hangs, a 304 for a list past
//! its `next_update`), fetchers, the rollback state kept in memory, and trust list clients
//! pinning an [`Operator`]'s anchor.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idv_fetch::trust_list::{RollbackStore, StoreFuture};
use idv_fetch::{FetchError, FetchPolicy, Fetcher, TrustClientError, TrustListClient};
use idv_jose::Clock;
use idv_jose::random::DeterministicRandom;
use idv_trust::TrustError;
use idv_trust::list::{ListPolicy, VerifiedTrustList};
use idv_trust::rollback::TrustListState;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::operator::Operator;

pub(crate) const T0: i64 = 1_780_000_000;
pub(crate) const DAY: i64 = 24 * 60 * 60;
/// The trust list's media type.
pub(crate) const LIST_TYPE: &str = "application/dvs-trust-list+jwt";

/// A local server on a port of its own, serving until stopped or dropped.
pub(crate) struct Server {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `app` on 127.0.0.1; its `http://` address.
    pub(crate) async fn start(app: Router) -> (String, Self) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let server = Self {
            stop: Some(stop),
            task: Some(task),
        };
        (address, server)
    }

    /// Stops listening and waits until its connections (kept-alive ones too) are closed.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The rollback state in memory, as a service's `trust_list_state` table keeps it (clones
/// share it: a "restart" on the same database).
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryStore(Arc<Mutex<BTreeMap<String, TrustListState>>>);

impl MemoryStore {
    /// The state with the highest `sequence`.
    pub(crate) fn held(&self) -> Option<TrustListState> {
        let states = self.0.lock().unwrap();
        states.values().max_by_key(|state| state.sequence).cloned()
    }
}

impl RollbackStore for MemoryStore {
    fn load(&self) -> StoreFuture<'_, Option<TrustListState>> {
        Box::pin(async { Ok(self.held()) })
    }

    fn save_if_newer<'a>(&'a self, state: &'a TrustListState) -> StoreFuture<'a, bool> {
        let mut states = self.0.lock().unwrap();
        let stored = states.get(&state.list_id);
        let newer = stored.is_none_or(|stored| stored.sequence < state.sequence);
        if newer {
            states.insert(state.list_id.clone(), state.clone());
        }
        Box::pin(async move { Ok(newer) })
    }
}

pub(crate) fn fetcher() -> Fetcher {
    Fetcher::new(FetchPolicy::default()).unwrap()
}

/// A fetcher giving up after `millis` milliseconds.
pub(crate) fn fetcher_with_timeout(millis: u64) -> Fetcher {
    Fetcher::new(FetchPolicy {
        timeout: Duration::from_millis(millis),
        ..FetchPolicy::default()
    })
    .unwrap()
}

/// A client for the list at `url`, pinning `operator`'s anchor, on its clock, its state in
/// `store`.
pub(crate) fn client(operator: &Operator, url: String, store: &MemoryStore) -> TrustListClient {
    client_with(operator, url, store, fetcher())
}

/// [`client`] with `fetcher`.
pub(crate) fn client_with(
    operator: &Operator,
    url: String,
    store: &MemoryStore,
    fetcher: Fetcher,
) -> TrustListClient {
    TrustListClient::new(
        url,
        operator.anchors(),
        ListPolicy::default(),
        fetcher,
        Arc::new(store.clone()),
        Arc::clone(&operator.clock) as Arc<dyn Clock>,
        Arc::new(DeterministicRandom::new(17)),
    )
}

/// Checks that from `list`'s `exp` on `client` has no list to decide with.
pub(crate) async fn assert_expired_at_exp(
    operator: &Operator,
    client: &TrustListClient,
    list: &VerifiedTrustList,
) {
    operator.clock.set(list.exp());
    let error = client.current().await.unwrap_err();
    assert!(
        matches!(
            error,
            TrustClientError::Trust(TrustError::ListExpired { .. })
        ),
        "{error}"
    );
}

/// Checks that `fetcher` does not follow the redirect at `url` (a `302`).
pub(crate) async fn assert_redirect_not_followed(fetcher: &Fetcher, url: &str) {
    let error = fetcher.get(url, "*/*").await.unwrap_err();
    assert!(
        matches!(error, FetchError::Status { status: 302, .. }),
        "{error}"
    );
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
    server: Arc<Mutex<Option<Server>>>,
}

impl Stage {
    pub(crate) async fn start() -> (Self, String) {
        let stage = Self::default();
        let (address, server) = Server::start(stage.router()).await;
        *stage.server.lock().unwrap() = Some(server);
        (stage, address)
    }

    /// A stage serving `list` at `/trust-list`, and that URL.
    pub(crate) async fn serving_list(list: String) -> (Self, String) {
        let (stage, address) = Self::start().await;
        stage.set("trust-list", Reply::Body(LIST_TYPE, list));
        (stage, format!("{address}/trust-list"))
    }

    /// Stops listening and closes its connections (kept-alive ones too): from now on
    /// connections are refused.
    pub(crate) async fn close(&self) {
        let server = self.server.lock().unwrap().take();
        if let Some(server) = server {
            server.stop().await;
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
