//! `TestApp`: the real issuer on 127.0.0.1 port 0 over a fresh database, with a manual clock
//! and the operator token from `init`; and `Wallet`, a holder written here against the
//! specifications (not against the issuer's code), using only `idv_jose` keys and the SD-JWT
//! core to check what it receives.

pub(crate) mod login;
mod offers;
pub(crate) mod register;
mod wallet;

pub(crate) use offers::person;
pub(crate) use wallet::{Wallet, proof_with};

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use idv_jose::{Clock, ManualClock, SystemRandom};
use idv_service_kit::startup::Service as _;
use idv_service_kit::testing::Storage;
use idv_test_support::TestDb;
use idv_test_support::api::OperatorApi;
use idv_test_support::server::TestServer;
use issuer::config::IssuerConfig;
use issuer::issuance::setup::initialise;
use issuer::startup::{Application, Parts};
use issuer::store::Store;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;

/// The tests' "now": 2026-05-28T20:26:40Z.
pub(crate) const T0: i64 = 1_780_000_000;
/// The Credential Issuer Identifier in tests (requests go to the local port instead).
pub(crate) const PUBLIC_URL: &str = "https://id.example-idsp.co.uk";
pub(crate) const DAY: i64 = 24 * 60 * 60;
pub(crate) const IDENTITY: &str = "uk_identity";
pub(crate) const AGE: &str = "uk_age";

/// Where the service listens: a free port of 127.0.0.1.
const LOCAL: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));

pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) config: IssuerConfig,
    operator: OperatorApi,
    server: TestServer,
}

/// The service's test configuration (`issuer::testing`) on `db`.
pub(crate) fn test_config(db: &TestDb) -> IssuerConfig {
    let storage = Storage::Url(db.url().to_owned());
    let mut config = issuer::testing::config(LOCAL, PUBLIC_URL, &storage);
    config.database.max_connections = 4;
    // Small lists keep token building cheap; still random over 1024 entries.
    config.status.list_size = 1024;
    config
}

impl TestApp {
    /// `init` on a fresh database, then the service.
    pub(crate) async fn spawn(db: &TestDb) -> Self {
        Self::spawn_with(test_config(db)).await
    }

    /// `init` with `config`, then the service, its clock at [`T0`].
    pub(crate) async fn spawn_with(config: IssuerConfig) -> Self {
        let listener = TcpListener::bind(config.http.listen).await.unwrap();
        Self::spawn_with_clock(config, listener, Arc::new(ManualClock::new(T0))).await
    }

    /// `init` with `config`, then the service on `listener` and `clock` (shared with other
    /// services of the test), on the store `init` ran on.
    pub(crate) async fn spawn_with_clock(
        config: IssuerConfig,
        listener: TcpListener,
        clock: Arc<ManualClock>,
    ) -> Self {
        let store = Store::open_configured(&config).await.unwrap();
        let initialised = initialise(&store, clock.as_ref(), &SystemRandom)
            .await
            .unwrap();
        let token = initialised.operator_token.unwrap().expose().to_owned();
        let parts = Parts::with_clock(Arc::clone(&clock) as Arc<dyn Clock>)
            .on(listener)
            .on_store(store);
        Self::start(config, parts, clock, token).await
    }

    /// Another instance of the same service on the same database and clock.
    pub(crate) async fn another_instance(&self) -> Self {
        self.another_instance_with(self.config.clone()).await
    }

    /// Another instance on the same database and clock, with `config` (as after a restart
    /// with changed settings), on the configured address: the same port again after a
    /// restart, a new one for 0.
    pub(crate) async fn another_instance_with(&self, config: IssuerConfig) -> Self {
        let parts = Parts::with_clock(Arc::clone(&self.clock) as Arc<dyn Clock>);
        Self::start(config, parts, Arc::clone(&self.clock), self.token.clone()).await
    }

    async fn start(
        config: IssuerConfig,
        parts: Parts,
        clock: Arc<ManualClock>,
        token: String,
    ) -> Self {
        let app = Application::build_with(config.clone(), parts)
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let client = reqwest::Client::new();
        let operator = OperatorApi::new(client.clone(), &address, &token);
        Self {
            address,
            client,
            token,
            clock,
            config,
            operator,
            server: TestServer::spawn(|stopped| app.run_until(stopped)),
        }
    }

    pub(crate) async fn stop(&mut self) {
        self.server.stop().await.unwrap();
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The Credential Issuer Identifier.
    pub(crate) fn public_url(&self) -> &str {
        self.config.http.public_url.trim_end_matches('/')
    }

    /// A URL the issuer published (under [`PUBLIC_URL`]), reached on the local port.
    pub(crate) fn local(&self, published: &str) -> String {
        let public = self.config.http.public_url.trim_end_matches('/');
        let path = published
            .strip_prefix(public)
            .unwrap_or_else(|| panic!("{published} is not under {public}"));
        let path = url::Url::parse(&format!("http://x{path}"))
            .map(|u| u.path().to_owned())
            .unwrap();
        self.url(&path)
    }

    /// An operator `POST` with a JSON body.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Response {
        self.operator.post(path, body).await
    }

    /// An operator `GET`.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.operator.get(path).await
    }

    /// An unauthenticated `GET` of a public JSON document, its body parsed.
    pub(crate) async fn public_json(&self, path: &str) -> Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub(crate) fn wallet(&self) -> Wallet<'_> {
        Wallet { app: self }
    }
}

/// The `error` and `error_description` of an error response, after checking its status and
/// that it is not cached.
pub(crate) async fn error_body(response: Response, status: StatusCode) -> (String, String) {
    let cache_control = response.headers().get("cache-control").cloned();
    let body = idv_test_support::responses::error_body(response, status).await;
    assert_eq!(cache_control.unwrap(), "no-store");
    body
}

/// Asserts `response` is `status` with OAuth `error` code `code`; returns the description.
pub(crate) async fn expect_error(response: Response, status: StatusCode, code: &str) -> String {
    let (error, description) = error_body(response, status).await;
    assert_eq!(error, code, "{description}");
    description
}
