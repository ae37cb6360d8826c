//! `TestApp`: the real service on 127.0.0.1 port 0 over a fresh database, a manual clock, the
//! operator token and the anchor key pinned from `init`, as a verifier would.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use idv_jose::{Clock, ManualClock, PublicKey, SigningKey, SystemRandom};
use idv_service_kit::startup::Service as _;
use idv_service_kit::testing::Storage;
use idv_test_support::TestDb;
use idv_test_support::api::OperatorApi;
pub(crate) use idv_test_support::responses::error_body;
use idv_test_support::server::TestServer;
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::{ListPolicy, VerifiedTrustList, verify_trust_list};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use trust_framework::config::TrustFrameworkConfig;
use trust_framework::register::setup::initialise;
use trust_framework::startup::{Application, Parts};
use trust_framework::store::Store;

/// The tests' "now": 2026-05-28, after framework 1.0 came into force.
pub(crate) const T0: i64 = 1_780_000_000;
/// The `iss` of lists and attestations in tests.
pub(crate) const PUBLIC_URL: &str = "https://trust.sim.ofdia.example";
pub(crate) const DAY: i64 = 24 * 60 * 60;

/// Where the service listens: a free port of 127.0.0.1.
const LOCAL: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));

pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
    pub(crate) anchor: PublicKey,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) config: TrustFrameworkConfig,
    operator: OperatorApi,
    server: TestServer,
}

/// The service's test configuration (`trust_framework::testing`) on `db`.
pub(crate) fn test_config(db: &TestDb) -> TrustFrameworkConfig {
    let storage = Storage::Url(db.url().to_owned());
    let mut config = trust_framework::testing::config(LOCAL, PUBLIC_URL, &storage);
    config.database.max_connections = 4;
    config
}

impl TestApp {
    /// `init` on a fresh database, then the service on the same store.
    pub(crate) async fn spawn(db: &TestDb) -> Self {
        let config = test_config(db);
        let clock = Arc::new(ManualClock::new(T0));
        let store = Store::open_configured(&config).await.unwrap();
        let initialised = initialise(&store, clock.as_ref(), &SystemRandom)
            .await
            .unwrap();
        let token = initialised.operator_token.unwrap().expose().to_owned();
        let anchor = PublicKey::from_jwk(&initialised.anchor.public()).unwrap();
        let parts = Parts::with_clock(Arc::clone(&clock) as Arc<dyn Clock>).on_store(store);
        Self::start(config, parts, clock, token, anchor).await
    }

    /// Another instance of the same service on the same database and clock.
    pub(crate) async fn another_instance(&self) -> Self {
        let parts = Parts::with_clock(Arc::clone(&self.clock) as Arc<dyn Clock>);
        Self::start(
            self.config.clone(),
            parts,
            Arc::clone(&self.clock),
            self.token.clone(),
            self.anchor.clone(),
        )
        .await
    }

    async fn start(
        config: TrustFrameworkConfig,
        parts: Parts,
        clock: Arc<ManualClock>,
        token: String,
        anchor: PublicKey,
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
            anchor,
            clock,
            config,
            operator,
            server: TestServer::spawn(|stopped| app.run_until(stopped)),
        }
    }

    /// Stops the server (in-flight requests finish, the pool closes) and starts a new one on
    /// the same database, as a process restart would.
    pub(crate) async fn restart(mut self) -> Self {
        self.stop().await;
        self.another_instance().await
    }

    pub(crate) async fn stop(&mut self) {
        self.server.stop().await.unwrap();
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// An operator `POST` with a JSON body.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Response {
        self.operator.post(path, body).await
    }

    /// An operator `GET`.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.operator.get(path).await
    }

    /// Registers a valid provider named `name`; returns its entry id.
    pub(crate) async fn add_provider(&self, name: &str) -> String {
        let response = self.post("/v1/providers", &provider_body(name)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let entry: Value = response.json().await.unwrap();
        entry["entry_id"].as_str().unwrap().to_owned()
    }

    /// Applies `suspend`, `reinstate` or `withdraw`.
    pub(crate) async fn change_status(&self, entry_id: &str, action: &str) -> Response {
        self.post(
            &format!("/v1/providers/{entry_id}/{action}"),
            &json!({"reason": format!("{action} in test")}),
        )
        .await
    }

    /// The operator's view of all providers.
    pub(crate) async fn providers(&self) -> Vec<Value> {
        let body: Value = self.get("/v1/providers").await.json().await.unwrap();
        body["providers"].as_array().unwrap().clone()
    }

    /// The compact list as served.
    pub(crate) async fn trust_list_jws(&self) -> String {
        let response = self
            .client
            .get(self.url("/trust-list"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    /// Fetches `/trust-list` and verifies it as a verifier does: pinned anchor, now.
    pub(crate) async fn verified_list(&self) -> VerifiedTrustList {
        let jws = self.trust_list_jws().await;
        verify_trust_list(
            &jws,
            &self.anchors(),
            self.clock.now(),
            &ListPolicy::default(),
        )
        .unwrap()
    }

    pub(crate) fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_keys([self.anchor.clone()]).unwrap()
    }
}

/// A valid `POST /v1/providers` body with a fresh issuer key; `name` makes the issuer unique.
pub(crate) fn provider_body(name: &str) -> Value {
    let issuer_key = SigningKey::generate().unwrap();
    json!({
        "organisation": {"name": format!("{name} Ltd"), "company_number": "01234567"},
        "service": {"service_id": "svc-01", "name": format!("{name} Reusable ID")},
        "roles": ["IDSP"],
        "framework_version": "1.0",
        "certificate": {
            "id": format!("CAB-7-{name}"),
            "cab": "Example CAB (UKAS 1234)",
            "issued": T0 - 30 * DAY,
            "expires": T0 + 3 * 365 * DAY
        },
        "max_loc": "medium",
        "issuer": {
            "iss": [format!("https://{name}.idsp.example")],
            "jwks": {"keys": [issuer_key.public_key().to_jwk()]},
            "status_list_uris_prefix": [format!("https://{name}.idsp.example/status/")],
            "vct": ["https://trust.sim.ofdia.example/vct/uk-rtw/1"]
        }
    })
}

/// A valid `POST /v1/relying-parties` body.
pub(crate) fn relying_party_body(client_id: &str) -> Value {
    json!({
        "organisation": {"name": "Example Off-Licence Ltd"},
        "client_id": client_id,
        "purposes": [{"code": "AGE", "claims": [["age_over_18"]]}]
    })
}
