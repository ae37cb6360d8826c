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

use std::sync::Arc;

use idv_jose::{Clock, ManualClock, SystemRandom};
use idv_service_kit::Secret;
use idv_service_kit::db::PoolSettings;
use idv_test_support::TestDb;
use idv_test_support::server::TestServer;
use issuer::config::IssuerConfig;
use issuer::issuance::setup::initialise;
use issuer::startup::Application;
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

pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) config: IssuerConfig,
    server: TestServer,
}

pub(crate) fn test_config(db: &TestDb) -> IssuerConfig {
    let mut config = IssuerConfig::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.http.public_url = PUBLIC_URL.into();
    config.database.url = Some(Secret::new(db.url()));
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

    /// `init` with `config`, then the service.
    pub(crate) async fn spawn_with(config: IssuerConfig) -> Self {
        Self::spawn_at(config, T0).await
    }

    /// `init` with `config`, then the service, its clock at `now`.
    pub(crate) async fn spawn_at(config: IssuerConfig, now: i64) -> Self {
        let listener = TcpListener::bind(config.http.listen).await.unwrap();
        Self::spawn_on(config, listener, now).await
    }

    /// `init` with `config`, then the service on `listener`, its clock at `now`.
    pub(crate) async fn spawn_on(config: IssuerConfig, listener: TcpListener, now: i64) -> Self {
        Self::spawn_with_clock(config, listener, Arc::new(ManualClock::new(now))).await
    }

    /// `init` with `config`, then the service on `listener` and `clock` (shared with other
    /// services of the test).
    pub(crate) async fn spawn_with_clock(
        config: IssuerConfig,
        listener: TcpListener,
        clock: Arc<ManualClock>,
    ) -> Self {
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
        let token = initialised.operator_token.unwrap().expose().to_owned();
        Self::start(config, listener, clock, token).await
    }

    /// Another instance of the same service on the same database and clock.
    pub(crate) async fn another_instance(&self) -> Self {
        self.another_instance_with(self.config.clone()).await
    }

    /// Another instance on the same database and clock, with `config` (as after a restart
    /// with changed settings).
    pub(crate) async fn another_instance_with(&self, config: IssuerConfig) -> Self {
        // On the configured address: the same port again after a restart, a new one for 0.
        let listener = TcpListener::bind(config.http.listen).await.unwrap();
        Self::start(
            config,
            listener,
            Arc::clone(&self.clock),
            self.token.clone(),
        )
        .await
    }

    async fn start(
        config: IssuerConfig,
        listener: TcpListener,
        clock: Arc<ManualClock>,
        token: String,
    ) -> Self {
        let app = Application::build_on(
            config.clone(),
            listener,
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        Self {
            address,
            client: reqwest::Client::new(),
            token,
            clock,
            config,
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

    /// An operator request: `method` on `path`, with the operator's token.
    fn operator_request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// An operator `POST` with a JSON body.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Response {
        let request = self.operator_request(reqwest::Method::POST, path);
        request.json(body).send().await.unwrap()
    }

    /// An operator `GET`.
    pub(crate) async fn get(&self, path: &str) -> Response {
        let request = self.operator_request(reqwest::Method::GET, path);
        request.send().await.unwrap()
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

/// The `error` and `error_description` of an error response, after checking its status.
pub(crate) async fn error_body(response: Response, status: StatusCode) -> (String, String) {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Asserts `response` is `status` with OAuth `error` code `code`; returns the description.
pub(crate) async fn expect_error(response: Response, status: StatusCode, code: &str) -> String {
    let (error, description) = error_body(response, status).await;
    assert_eq!(error, code, "{description}");
    description
}
