//! A federation in one process over real HTTP on 127.0.0.1, and the real `wallet-sim` binary
//! run against it with its own data directory and `--json`.
//!
//! - the trust framework (its own SQLite database), with the issuer registered as a certified
//!   IDSP (RTW, AGE) and the employer as a relying party (RTW and AGE purposes);
//! - the issuer service, whose public URL is the address it listens on;
//! - the verifier service with the employer as an attested tenant.
//!
//! The binary reads the system clock, so each service runs on a `ManualClock` set to the real
//! time (the trust framework registers everyone two days earlier, as an operator would have).

use std::process::Command;
use std::sync::Arc;

use idv_jose::{Clock, Jwk, ManualClock, PublicKey, SystemClock, SystemRandom};
use idv_service_kit::Secret;
use idv_test_support::TestDb;
use idv_test_support::oidc_provider::{OidcClient, OidcProvider};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const DAY: i64 = 24 * 60 * 60;
/// The employer's client identifier on the trust list.
pub(crate) const EMPLOYER: &str = "employer.example.co.uk";
pub(crate) const EMPLOYER_NAME: &str = "Example Employer Ltd";
pub(crate) const IDSP_NAME: &str = "Example IDSP Ltd";
pub(crate) const IDENTITY: &str = "uk_identity";
pub(crate) const AGE: &str = "uk_age";
pub(crate) const IDENTITY_VCT: &str = idv_checks::templates::IDENTITY_VCT;
pub(crate) const AGE_VCT: &str = idv_checks::templates::AGE_VCT;

/// One server task stopped by a oneshot.
pub(crate) struct Server {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub(crate) fn spawn<F, Fut>(run: F) -> Self
    where
        F: FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> Fut,
        Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(Box::pin(async {
            let _ = stopped.await;
        })));
        Self {
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    pub(crate) async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// The trust framework's operator API.
pub(crate) struct TrustFramework {
    pub(crate) address: String,
    token: String,
    pub(crate) anchor: PublicKey,
    pub(crate) clock: Arc<ManualClock>,
    client: reqwest::Client,
}

impl TrustFramework {
    pub(crate) fn list_url(&self) -> String {
        format!("{}/trust-list", self.address)
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Value {
        let response = self
            .client
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

    /// Registers a certified IDSP issuing as `iss` with `jwk`, for RTW and AGE.
    pub(crate) async fn register_issuer(&self, iss: &str, jwk: &Jwk) -> String {
        let now = self.clock.now();
        let entry = self
            .post(
                "/v1/providers",
                &json!({
                    "organisation": {"name": IDSP_NAME, "company_number": "01234567"},
                    "service": {"service_id": "svc-01", "name": "Example Reusable ID"},
                    "roles": ["IDSP"],
                    "framework_version": "1.0",
                    "certificate": {
                        "id": "CAB-7-0001",
                        "cab": "Example CAB (UKAS 1234)",
                        "issued": now - 60 * DAY,
                        "expires": now + 3 * 365 * DAY
                    },
                    "max_loc": "high",
                    "issuer": {
                        "iss": [iss],
                        "jwks": {"keys": [jwk.public()]},
                        "status_list_uris_prefix": [format!("{iss}/status-lists/")],
                        "vct": [IDENTITY_VCT, AGE_VCT]
                    }
                }),
            )
            .await;
        let entry_id = entry["entry_id"].as_str().unwrap().to_owned();
        for code in ["RTW", "AGE"] {
            self.post(
                &format!("/v1/providers/{entry_id}/codes"),
                &json!({"code": code}),
            )
            .await;
        }
        entry_id
    }

    /// Registers a relying party with `purposes`; returns its register id.
    pub(crate) async fn register_relying_party(
        &self,
        name: &str,
        client_id: &str,
        purposes: Value,
    ) -> String {
        let rp = self
            .post(
                "/v1/relying-parties",
                &json!({"organisation": {"name": name}, "client_id": client_id, "purposes": purposes}),
            )
            .await;
        rp["rp_id"].as_str().unwrap().to_owned()
    }

    /// A Verifier Attestation for `rp_id`'s request-signing key `jwk`.
    pub(crate) async fn attest(&self, rp_id: &str, jwk: &Jwk) -> String {
        let issued = self
            .post(
                &format!("/v1/relying-parties/{rp_id}/attestations"),
                &json!({"jwk": jwk.public()}),
            )
            .await;
        issued["verifier_attestation"].as_str().unwrap().to_owned()
    }
}

/// The issuer service and its operator API.
pub(crate) struct Issuer {
    pub(crate) address: String,
    token: String,
    pub(crate) clock: Arc<ManualClock>,
    client: reqwest::Client,
}

impl Issuer {
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Value {
        let response = self
            .client
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

    pub(crate) async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}");
        response.json().await.unwrap()
    }

    /// Records a proofed British citizen; returns the identity id.
    pub(crate) async fn record_identity(&self) -> String {
        let body = self.post("/v1/identities", &person(self.clock.now())).await;
        body["identity_id"].as_str().unwrap().to_owned()
    }

    /// Records a proofed British citizen whose account at the provider's OP is `subject`;
    /// returns the identity id.
    pub(crate) async fn record_linked_identity(&self, subject: &str) -> String {
        let mut person = person(self.clock.now());
        person["login_subject"] = json!(subject);
        let body = self.post("/v1/identities", &person).await;
        body["identity_id"].as_str().unwrap().to_owned()
    }

    /// An offer of `ids` to `identity` with the authorization code grant (the citizen signs
    /// in at the provider); the response carries `offer_link`.
    pub(crate) async fn sign_in_offer(&self, identity: &str, ids: &[&str]) -> Value {
        self.post(
            &format!("/v1/identities/{identity}/offers"),
            &json!({"credential_configuration_ids": ids, "grant": "authorization_code"}),
        )
        .await
    }

    /// A fresh offer of `ids` for a new identity: `(offer response, identity id)`, where the
    /// response carries `offer_link` and `tx_code`.
    pub(crate) async fn offer(&self, ids: &[&str]) -> (Value, String) {
        let identity = self.record_identity().await;
        let offer = self
            .post(
                &format!("/v1/identities/{identity}/offers"),
                &json!({"credential_configuration_ids": ids, "tx_code": true}),
            )
            .await;
        (offer, identity)
    }
}

/// A proofed identity as the issuer's operator records it.
pub(crate) fn person(now: i64) -> Value {
    json!({
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birthdate": "1990-12-10",
        "nationalities": ["GB"],
        "document": {"type": "passport", "issuing_country": "GB", "date_of_expiry": "2031-01-31"},
        "portrait": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD",
        "level_of_confidence": "medium",
        "gpg45_profile": "M1B",
        "proofed_at": now - 600
    })
}

/// The verifier service and the employer tenant's API key.
pub(crate) struct Verifier {
    pub(crate) address: String,
    api_key: String,
    client: reqwest::Client,
}

impl Verifier {
    /// `POST /v1/checks`; returns the created check (`id`, `wallet_url`).
    pub(crate) async fn create_check(&self, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/v1/checks", self.address))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// The employer's view of a check.
    pub(crate) async fn check(&self, id: &str) -> Value {
        let response = self
            .client
            .get(format!("{}/v1/checks/{id}", self.address))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json().await.unwrap()
    }
}

pub(crate) struct Federation {
    pub(crate) trust: TrustFramework,
    pub(crate) issuer: Issuer,
    pub(crate) verifier: Verifier,
    pub(crate) issuer_iss: String,
    /// The provider's OpenID Provider, citizens' sign-in (see [`Federation::start_with_sign_in`]).
    pub(crate) op: Option<OidcProvider>,
    servers: Vec<Server>,
    _dbs: Vec<TestDb>,
}

/// The wallet's OAuth client at the issuer (wallet-sim's default `client_id`).
pub(crate) const WALLET_CLIENT_ID: &str = "wallet-sim";

/// The real time, to run the services' clocks on.
pub(crate) fn real_now() -> i64 {
    SystemClock.now()
}

impl Federation {
    pub(crate) async fn start() -> Self {
        Self::start_with(false).await
    }

    /// The federation with the issuer's authorization code flow: citizens sign in at a real
    /// `oidc-provider` OP, and wallet-sim is a registered wallet client with a loopback
    /// redirect URI.
    pub(crate) async fn start_with_sign_in() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(sign_in: bool) -> Self {
        let client = reqwest::Client::new();
        let mut servers = Vec::new();

        // The trust framework, initialised by its operator two days ago.
        let tf_db = TestDb::sqlite().await;
        let tf_clock = Arc::new(ManualClock::new(real_now() - 2 * DAY));
        // Its public URL is its real address: the trust list points verifiers at the credential
        // types it publishes there.
        let tf_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tf_address = format!("http://{}", tf_listener.local_addr().unwrap());
        let mut tf_config = trust_framework::config::TrustFrameworkConfig::default();
        tf_config.http.public_url = tf_address.clone();
        tf_config.database.url = Some(Secret::new(tf_db.url()));
        tf_config.database.max_connections = 2;
        let store = trust_framework::store::Store::connect(
            tf_config.database_url().expose(),
            tf_config.database.pool_settings(),
        )
        .await
        .unwrap();
        let initialised =
            trust_framework::register::setup::initialise(&store, tf_clock.as_ref(), &SystemRandom)
                .await
                .unwrap();
        store.close().await;
        let tf_app = trust_framework::startup::Application::build_on(
            tf_config,
            tf_listener,
            Arc::clone(&tf_clock) as Arc<dyn Clock>,
        )
        .await
        .unwrap();
        let trust = TrustFramework {
            address: tf_address,
            token: initialised.operator_token.unwrap().expose().to_owned(),
            anchor: PublicKey::from_jwk(&initialised.anchor.public()).unwrap(),
            clock: Arc::clone(&tf_clock),
            client: client.clone(),
        };
        servers.push(Server::spawn(|stopped| tf_app.run_until(stopped)));

        // The issuer: its public URL must be where it listens, so its port is chosen first.
        let issuer_db = TestDb::sqlite().await;
        let issuer_clock = Arc::new(ManualClock::new(real_now()));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let issuer_iss = format!("http://127.0.0.1:{port}");
        let mut issuer_config = issuer::config::IssuerConfig::default();
        issuer_config.http.listen = format!("127.0.0.1:{port}").parse().unwrap();
        issuer_config.http.public_url = issuer_iss.clone();
        issuer_config.database.url = Some(Secret::new(issuer_db.url()));
        issuer_config.database.max_connections = 2;
        issuer_config.status.list_size = 1024;
        let op = if sign_in {
            let secret = "issuer-secret-at-the-op-0123456789";
            let op = OidcProvider::start(&[OidcClient::new(
                "credential-issuer",
                secret,
                [format!("{issuer_iss}/login/callback")],
            )])
            .await;
            issuer_config.login = Some(issuer::config::LoginSettings {
                issuer_url: op.issuer_url().to_owned(),
                client_id: "credential-issuer".into(),
                client_secret: Secret::new(secret.to_owned()),
                scopes: vec!["openid".into()],
                request_lifetime_secs: 60,
                sign_in_timeout_secs: 600,
                wallet_clients: vec![issuer::config::WalletClientSettings {
                    client_id: WALLET_CLIENT_ID.into(),
                    redirect_uris: vec!["http://127.0.0.1/callback".into()],
                }],
            });
            Some(op)
        } else {
            None
        };
        let store = issuer::store::Store::connect(
            issuer_config.database_url().expose(),
            issuer_config.database.pool_settings(),
        )
        .await
        .unwrap();
        let issuer_init =
            issuer::issuance::setup::initialise(&store, issuer_clock.as_ref(), &SystemRandom)
                .await
                .unwrap();
        store.close().await;
        let issuer_app = issuer::startup::Application::build_with_clock(
            issuer_config,
            Arc::clone(&issuer_clock) as Arc<dyn Clock>,
        )
        .await
        .unwrap();
        let issuer = Issuer {
            address: issuer_iss.clone(),
            token: issuer_init.operator_token.unwrap().expose().to_owned(),
            clock: issuer_clock,
            client: client.clone(),
        };
        servers.push(Server::spawn(|stopped| issuer_app.run_until(stopped)));

        // Registrations, as the operator did two days ago.
        trust
            .register_issuer(&issuer_iss, &issuer_init.signing_key)
            .await;
        let rtw = idv_checks::templates::Templates::builtin()
            .unwrap()
            .get("right_to_work")
            .unwrap()
            .purpose();
        let rp_id = trust
            .register_relying_party(
                EMPLOYER_NAME,
                EMPLOYER,
                json!([rtw, {"code": "AGE", "claims": [["age_over_16"], ["age_over_18"], ["age_over_21"], ["age_over_25"], ["verification", "assurance_level"]]}]),
            )
            .await;
        tf_clock.set(real_now());

        // The verifier, with the employer as an attested tenant.
        let verifier_db = TestDb::sqlite().await;
        let verifier_clock = Arc::new(ManualClock::new(real_now()));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let verifier_address =
            format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let mut verifier_config = verifier::config::VerifierConfig::default();
        verifier_config.http.public_url = verifier_address.clone();
        verifier_config.database.url = Some(Secret::new(verifier_db.url()));
        verifier_config.database.max_connections = 2;
        verifier_config.trust.list_url = trust.list_url();
        verifier_config.trust.anchors = vec![trust.anchor.to_jwk()];
        let app = verifier::startup::Application::build_on(
            verifier_config,
            listener,
            Arc::clone(&verifier_clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        let created = app
            .verifier()
            .add_tenant(verifier::tenants::NewTenant {
                name: EMPLOYER_NAME.into(),
                client_id: EMPLOYER.into(),
            })
            .await
            .unwrap();
        let attestation = trust
            .attest(&rp_id, &created.tenant.request_signing_jwk)
            .await;
        app.verifier()
            .install_attestation(&created.tenant.tenant_id, &attestation)
            .await
            .unwrap();
        let verifier = Verifier {
            address: verifier_address,
            api_key: created.api_key.expose().to_owned(),
            client: client.clone(),
        };
        servers.push(Server::spawn(|stopped| app.run_until(stopped)));

        Self {
            trust,
            issuer,
            verifier,
            issuer_iss,
            op,
            servers,
            _dbs: vec![tf_db, issuer_db, verifier_db],
        }
    }

    /// A wallet pinned to this federation's trust framework (through its config.toml).
    pub(crate) fn wallet(&self) -> Wallet {
        Wallet::new(&self.trust.list_url(), &self.trust.anchor)
    }

    pub(crate) async fn stop(mut self) {
        for server in self.servers.iter_mut().rev() {
            server.stop().await;
        }
    }
}

/// A port nothing listens on (one just released).
pub(crate) fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) status: i32,
    pub(crate) json: Value,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The JSON of a successful run.
    pub(crate) fn ok(self) -> Value {
        assert_eq!(
            self.status, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.json
    }

    /// The error of a failed run: `(exit status, code, message)`.
    pub(crate) fn err(&self) -> (i32, String, String) {
        assert_ne!(self.status, 0, "expected a failure, got {}", self.stdout);
        (
            self.status,
            self.json["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            self.json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

/// The `wallet-sim` binary with a data directory of its own.
pub(crate) struct Wallet {
    dir: tempfile::TempDir,
}

impl Wallet {
    /// A wallet whose config.toml pins `anchor` and names `list_url`.
    pub(crate) fn new(list_url: &str, anchor: &PublicKey) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("wallet-sim-")
            .tempdir()
            .unwrap();
        std::fs::write(
            dir.path().join("anchor.jwk"),
            serde_json::to_string(&anchor.to_jwk()).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!("[wallet]\ntrust_list_url = \"{list_url}\"\ntrust_anchor = \"anchor.jwk\"\n"),
        )
        .unwrap();
        Self { dir }
    }

    /// A wallet without any trust configuration.
    pub(crate) fn unconfigured() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("wallet-sim-")
                .tempdir()
                .unwrap(),
        }
    }

    /// Runs `wallet-sim --json --data-dir <dir> <args>` off the runtime's thread (the
    /// services it talks to run on it).
    pub(crate) async fn run(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wallet-sim"));
        command
            .env_clear()
            .arg("--json")
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        Run {
            status: output.status.code().unwrap_or(-1),
            json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `wallet-sim --data-dir <dir> <args>` with the default, human output.
    pub(crate) async fn run_human(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wallet-sim"));
        command
            .env_clear()
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args);
        tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap()
    }

    /// Receives the offer `offer` (an issuer operator response) with its transaction code.
    pub(crate) async fn receive(&self, offer: &Value, copies: u32) -> Value {
        self.run(&[
            "receive",
            offer["offer_link"].as_str().unwrap(),
            "--tx-code",
            offer["tx_code"].as_str().unwrap(),
            "--copies",
            &copies.to_string(),
        ])
        .await
        .ok()
    }

    /// The data directory.
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Adds `line` to the `[wallet]` section of config.toml.
    pub(crate) fn configure(&self, line: &str) {
        let path = self.dir.path().join("config.toml");
        let mut config = std::fs::read_to_string(&path).unwrap_or_else(|_| "[wallet]\n".into());
        config.push_str(line);
        config.push('\n');
        std::fs::write(path, config).unwrap();
    }

    /// The wallet as a library, opened from its data directory as the binary opens it (close
    /// it before running the binary).
    pub(crate) async fn open(&self) -> wallet_sim::Wallet {
        let config = wallet_sim::config::WalletConfig::load(self.dir.path(), Vec::new()).unwrap();
        wallet_sim::Wallet::open(
            self.dir.path(),
            config.wallet,
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
        )
        .await
        .unwrap()
    }

    /// The wallet's database, opened as the binary opens it.
    pub(crate) async fn store(&self) -> wallet_sim::store::Store {
        wallet_sim::store::Store::open(&wallet_sim::config::database_url(self.dir.path()))
            .await
            .unwrap()
    }
}
