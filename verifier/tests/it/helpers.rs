//! A whole federation in one process, over real HTTP on 127.0.0.1: the real trust framework
//! (its own SQLite database), certified providers whose status lists a tiny axum server
//! publishes, and the verifier under test on the database the test runs on, with one attested
//! tenant. Everything shares one `ManualClock`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use idv_jose::{Clock, ManualClock, PublicKey, SigningKey, SystemRandom};
use idv_service_kit::Secret;
use idv_status_list::codec::{Status, StatusBits, StatusListBuf};
use idv_test_support::TestDb;
use issuer::issuance::credential::{
    Envelope, IdentityDocument, ProofedIdentity, issue_age, issue_identity,
};
use reqwest::{Response, StatusCode as HttpStatus};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use verifier::config::VerifierConfig;
use verifier::startup::Application;
use verifier::tenants::NewTenant;

/// The tests' "now": 2026-05-28, after framework 1.0 came into force.
pub(crate) const T0: i64 = 1_780_000_000;
pub(crate) const DAY: i64 = 24 * 60 * 60;
/// The employer tenant's client identifier registered with the trust framework.
pub(crate) const EMPLOYER: &str = "employer.example.co.uk";
/// The identity and age credential types.
pub(crate) const IDENTITY_VCT: &str = idv_checks::templates::IDENTITY_VCT;
pub(crate) const AGE_VCT: &str = idv_checks::templates::AGE_VCT;

/// One server task stopped by a oneshot.
struct Server {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// Waits until the verifier has accepted a trust list newer than `sequence` (the refresh its
/// background refresher starts, within a second, once one is due); the new sequence.
pub(crate) async fn wait_for_trust_list_after(db: &TestDb, sequence: u64) -> u64 {
    let state = idv_service_kit::Database::connect(db.url()).await.unwrap();
    let mut accepted = sequence;
    for _ in 0..600 {
        accepted = idv_service_kit::db::trust_list_state::load(&state)
            .await
            .unwrap()
            .unwrap()
            .sequence;
        if accepted > sequence {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    state.close().await;
    assert!(accepted > sequence, "no newer trust list was accepted");
    accepted
}

/// Another verifier instance (server and background tasks), serving until stopped.
pub(crate) struct Instance {
    pub(crate) address: String,
    server: Server,
}

impl Instance {
    /// Stops it (its attempts under way finish first).
    pub(crate) async fn stop(mut self) {
        self.server.stop().await;
    }
}

/// A certified (or not) provider: its issuer key, `iss` and status list.
pub(crate) struct Provider {
    pub(crate) name: &'static str,
    pub(crate) iss: String,
    pub(crate) key: SigningKey,
    pub(crate) entry_id: Option<String>,
    status_uri: String,
    statuses: Arc<Mutex<StatusListBuf>>,
    next_index: Mutex<u64>,
}

impl Provider {
    /// A status entry for a new credential.
    pub(crate) fn allocate(&self) -> (u64, Value) {
        let mut next = self.next_index.lock().unwrap();
        let idx = *next;
        *next += 1;
        (
            idx,
            json!({"status_list": {"idx": idx, "uri": self.status_uri}}),
        )
    }

    /// Sets a credential's status (what the issuer's operator does when revoking).
    pub(crate) fn set_status(&self, idx: u64, status: Status) {
        self.statuses.lock().unwrap().set(idx, status).unwrap();
    }
}

/// A credential as issued to the test wallet.
pub(crate) struct IssuedCredential {
    pub(crate) sd_jwt: String,
    pub(crate) holder: SigningKey,
    pub(crate) issuer_key: PublicKey,
    pub(crate) status_idx: u64,
}

/// What a tenant holds.
#[derive(Clone)]
pub(crate) struct TenantCredentials {
    pub(crate) tenant_id: String,
    pub(crate) api_key: String,
    pub(crate) webhook_secret: String,
}

pub(crate) struct Federation {
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) client: reqwest::Client,
    pub(crate) tf_address: String,
    tf_token: String,
    pub(crate) anchor: PublicKey,
    pub(crate) providers: BTreeMap<&'static str, Provider>,
    pub(crate) tenant: TenantCredentials,
    pub(crate) verifier_config: VerifierConfig,
    pub(crate) verifier_address: String,
    verifier_port: u16,
    verifier: Server,
    tf: Server,
    status_server: Server,
    /// Holds the providers' status list answers while closed.
    pub(crate) status_gate: StatusGate,
    _tf_db: TestDb,
}

/// Lets a test hold the status list server's answers, to catch a verification half-way.
#[derive(Clone, Default)]
pub(crate) struct StatusGate {
    lock: Arc<tokio::sync::RwLock<()>>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl StatusGate {
    /// Holds every answer until the guard is dropped.
    pub(crate) async fn close(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.lock.write().await
    }

    /// Waits until `n` status list requests have arrived (answered or held).
    pub(crate) async fn wait_for_requests(&self, n: usize) {
        for _ in 0..300 {
            if self.requests.load(std::sync::atomic::Ordering::SeqCst) >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {n} status list request(s)");
    }
}

/// Who is on the trust list, and how.
#[derive(Clone, Copy)]
enum Registration {
    /// Certified for RTW and AGE.
    Certified,
    /// Certified for AGE only.
    AgeOnly,
    /// Certified, then suspended.
    Suspended,
    /// Not on the list at all.
    Unregistered,
}

const PROVIDERS: [(&str, Registration); 4] = [
    ("good", Registration::Certified),
    ("ageonly", Registration::AgeOnly),
    ("suspended", Registration::Suspended),
    ("rogue", Registration::Unregistered),
];

impl Federation {
    /// The federation with the verifier on `db`.
    pub(crate) async fn start(db: &TestDb) -> Self {
        Self::start_with(db, |_| {}).await
    }

    /// The federation with the verifier on `db`, its configuration changed by `configure`
    /// (e.g. [`WebhookReceiver::allow`]).
    pub(crate) async fn start_with(
        db: &TestDb,
        configure: impl FnOnce(&mut VerifierConfig),
    ) -> Self {
        // Providers are registered (certified) two days before the tests' "now", so that
        // credentials issued today (`iat` rounded down to the day) were issued while certified.
        let clock = Arc::new(ManualClock::new(T0 - 2 * DAY));
        let client = reqwest::Client::new();

        // The trust framework, initialised as its operator would.
        // Its public URL is its real address: the trust list points verifiers at the
        // credential types it publishes there.
        let tf_db = TestDb::sqlite().await;
        let tf_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tf_address = format!("http://{}", tf_listener.local_addr().unwrap());
        let mut tf_config = trust_framework::config::TrustFrameworkConfig::default();
        tf_config.http.public_url = tf_address.clone();
        tf_config.database.url = Some(Secret::new(tf_db.url()));
        tf_config.database.max_connections = 2;
        let tf_store = trust_framework::store::Store::connect(
            tf_config.database_url().expose(),
            tf_config.database.pool_settings(),
        )
        .await
        .unwrap();
        let initialised =
            trust_framework::register::setup::initialise(&tf_store, clock.as_ref(), &SystemRandom)
                .await
                .unwrap();
        tf_store.close().await;
        let tf_token = initialised.operator_token.unwrap().expose().to_owned();
        let anchor = PublicKey::from_jwk(&initialised.anchor.public()).unwrap();
        let tf_app = trust_framework::startup::Application::build_on(
            tf_config,
            tf_listener,
            Arc::clone(&clock) as Arc<dyn Clock>,
        )
        .await
        .unwrap();
        let tf = spawn(|stopped| tf_app.run_until(stopped));

        // The providers' status lists.
        let status_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let status_base = format!("http://{}", status_listener.local_addr().unwrap());
        let mut providers = BTreeMap::new();
        for (name, _) in PROVIDERS {
            providers.insert(
                name,
                Provider {
                    name,
                    iss: format!("https://{name}.idsp.example"),
                    key: SigningKey::generate().unwrap(),
                    entry_id: None,
                    status_uri: format!("{status_base}/{name}/status/1"),
                    statuses: Arc::new(Mutex::new(
                        StatusListBuf::new(StatusBits::Two, 1024).unwrap(),
                    )),
                    next_index: Mutex::new(7),
                },
            );
        }
        let lists: BTreeMap<String, (SigningKey, Arc<Mutex<StatusListBuf>>, String)> = providers
            .values()
            .map(|p| {
                (
                    p.name.to_owned(),
                    (
                        SigningKey::from_jwk(&p.key.to_private_jwk()).unwrap(),
                        Arc::clone(&p.statuses),
                        p.status_uri.clone(),
                    ),
                )
            })
            .collect();
        let status_gate = StatusGate::default();
        let status_state = StatusState {
            gate: status_gate.clone(),
            clock: Arc::clone(&clock),
            lists: Arc::new(lists),
        };
        let status_router = axum::Router::new()
            .route("/{provider}/status/1", get(serve_status_list))
            .with_state(status_state);
        let status_server = spawn(move |stopped| async move {
            axum::serve(status_listener, status_router)
                .with_graceful_shutdown(stopped)
                .await
        });

        let mut federation_providers = providers;
        let tf_client = TfClient {
            client: &client,
            address: &tf_address,
            token: &tf_token,
        };
        for (name, registration) in PROVIDERS {
            let provider = federation_providers.get_mut(name).unwrap();
            provider.entry_id = tf_client
                .register(provider, registration, &status_base)
                .await;
        }
        let rp_id = tf_client.register_relying_party(EMPLOYER).await;
        clock.set(T0);

        // The verifier, on a port known before its public URL is configured.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let verifier_port = listener.local_addr().unwrap().port();
        let verifier_address = format!("http://127.0.0.1:{verifier_port}");
        let mut verifier_config = VerifierConfig::default();
        verifier_config.http.public_url = verifier_address.clone();
        verifier_config.database.url = Some(Secret::new(db.url()));
        verifier_config.database.max_connections = 4;
        verifier_config.trust.list_url = format!("{tf_address}/trust-list");
        verifier_config.trust.anchors = vec![anchor.to_jwk()];
        verifier_config.webhooks.poll_interval_ms = 25;
        verifier_config.webhooks.retry_initial_secs = 5;
        verifier_config.webhooks.retry_max_secs = 60;
        verifier_config.webhooks.max_attempts = 5;
        verifier_config.webhooks.timeout_secs = 5;
        verifier_config.sweeper.interval_ms = 25;
        configure(&mut verifier_config);
        let app = Application::build_on(
            verifier_config.clone(),
            listener,
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();

        // The employer tenant, attested as the operators would do it.
        let created = app
            .verifier()
            .add_tenant(NewTenant {
                name: "Example Employer Ltd".into(),
                client_id: EMPLOYER.into(),
            })
            .await
            .unwrap();
        let attestation = tf_client
            .attest(&rp_id, &created.tenant.request_signing_jwk)
            .await;
        app.verifier()
            .install_attestation(&created.tenant.tenant_id, &attestation)
            .await
            .unwrap();
        let tenant = TenantCredentials {
            tenant_id: created.tenant.tenant_id.clone(),
            api_key: created.api_key.expose().to_owned(),
            webhook_secret: created.webhook_secret.expose().to_owned(),
        };
        let verifier = spawn(|stopped| app.run_until(stopped));

        Self {
            clock,
            client,
            tf_address,
            tf_token,
            anchor,
            providers: federation_providers,
            tenant,
            verifier_config,
            verifier_address,
            verifier_port,
            verifier,
            tf,
            status_server,
            status_gate,
            _tf_db: tf_db,
        }
    }

    /// A second tenant of the same verifier, not attested.
    pub(crate) async fn another_tenant(&self, client_id: &str) -> TenantCredentials {
        let verifier = verifier::startup::open(
            &self.verifier_config,
            Arc::clone(&self.clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        let created = verifier
            .add_tenant(NewTenant {
                name: format!("{client_id} Ltd"),
                client_id: client_id.into(),
            })
            .await
            .unwrap();
        verifier.close().await;
        TenantCredentials {
            tenant_id: created.tenant.tenant_id.clone(),
            api_key: created.api_key.expose().to_owned(),
            webhook_secret: created.webhook_secret.expose().to_owned(),
        }
    }

    /// A second tenant of the same verifier, registered as a relying party at the trust
    /// framework now and attested: the verifier's held trust list may not show it yet.
    pub(crate) async fn newly_registered_tenant(&self, client_id: &str) -> TenantCredentials {
        self.registered_tenant_with_redirect_uris(client_id, None)
            .await
    }

    /// [`Self::newly_registered_tenant`], its attestation listing `redirect_uris` if given.
    pub(crate) async fn registered_tenant_with_redirect_uris(
        &self,
        client_id: &str,
        redirect_uris: Option<&[&str]>,
    ) -> TenantCredentials {
        let verifier = verifier::startup::open(
            &self.verifier_config,
            Arc::clone(&self.clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        let created = verifier
            .add_tenant(NewTenant {
                name: format!("{client_id} Ltd"),
                client_id: client_id.into(),
            })
            .await
            .unwrap();
        let tf_client = TfClient {
            client: &self.client,
            address: &self.tf_address,
            token: &self.tf_token,
        };
        let rp_id = tf_client.register_relying_party(client_id).await;
        let attestation = tf_client
            .attest_with(&rp_id, &created.tenant.request_signing_jwk, redirect_uris)
            .await;
        verifier
            .install_attestation(&created.tenant.tenant_id, &attestation)
            .await
            .unwrap();
        verifier.close().await;
        TenantCredentials {
            tenant_id: created.tenant.tenant_id.clone(),
            api_key: created.api_key.expose().to_owned(),
            webhook_secret: created.webhook_secret.expose().to_owned(),
        }
    }

    /// Stops the verifier (in-flight requests finish, background tasks stop, the pool
    /// closes) and starts it again on the same database and port, as a process restart would.
    pub(crate) async fn restart_verifier(&mut self) {
        self.verifier.stop().await;
        let listener = TcpListener::bind(("127.0.0.1", self.verifier_port))
            .await
            .unwrap();
        let app = Application::build_on(
            self.verifier_config.clone(),
            listener,
            Arc::clone(&self.clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        self.verifier = spawn(|stopped| app.run_until(stopped));
    }

    /// Stops the trust framework (its address then refuses connections).
    pub(crate) async fn stop_trust_framework(&mut self) {
        self.tf.stop().await;
    }

    /// Stops the providers' status list server: from now on its port refuses connections.
    pub(crate) async fn stop_status_server(&mut self) {
        self.status_server.stop().await;
    }

    /// A second verifier instance on the same database and configuration (the README's
    /// scale-out), serving on its own port; its address.
    pub(crate) async fn second_instance(&self) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let app = Application::build_on(
            self.verifier_config.clone(),
            listener,
            Arc::clone(&self.clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        Instance {
            address,
            server: spawn(|stopped| app.run_until(stopped)),
        }
    }

    /// The trust framework's base URL (another service on this machine).
    pub(crate) fn tf_address(&self) -> &str {
        &self.tf_address
    }

    pub(crate) async fn stop(mut self) {
        self.verifier.stop().await;
        self.tf.stop().await;
        self.status_server.stop().await;
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.verifier_address)
    }

    /// A trust framework operator action (`POST` with the operator token).
    pub(crate) async fn tf_post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(format!("{}{path}", self.tf_address))
            .bearer_auth(&self.tf_token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `POST /v1/checks` as the employer.
    pub(crate) async fn create_check(&self, body: &Value) -> Value {
        let response = self.post_check(&self.tenant, body).await;
        assert_eq!(response.status(), HttpStatus::CREATED);
        response.json().await.unwrap()
    }

    /// `POST /v1/checks` as `tenant`.
    pub(crate) async fn post_check(&self, tenant: &TenantCredentials, body: &Value) -> Response {
        self.client
            .post(self.url("/v1/checks"))
            .bearer_auth(&tenant.api_key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `GET path` as the employer.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.get_as(&self.tenant, path).await
    }

    /// `GET path` as `tenant`.
    pub(crate) async fn get_as(&self, tenant: &TenantCredentials, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&tenant.api_key)
            .send()
            .await
            .unwrap()
    }

    /// The verifier's published key for check records (`GET /.well-known/jwks.json`).
    pub(crate) async fn evidence_key(&self) -> idv_jose::PublicKey {
        let jwks: Value = self
            .client
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        idv_jose::PublicKey::from_jwk_value(&jwks["keys"][0]).unwrap()
    }

    /// `POST /v1/checks/{id}/confirmation` as the employer.
    pub(crate) async fn confirm(&self, id: &str, body: &Value) -> Response {
        self.client
            .post(self.url(&format!("/v1/checks/{id}/confirmation")))
            .bearer_auth(&self.tenant.api_key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The employer's view of a check.
    pub(crate) async fn check(&self, id: &str) -> Value {
        let response = self.get(&format!("/v1/checks/{id}")).await;
        assert_eq!(response.status(), HttpStatus::OK);
        response.json().await.unwrap()
    }

    /// An identity credential from `provider` for `person`, bound to a fresh holder key.
    pub(crate) fn issue_identity(
        &self,
        provider: &str,
        person: &ProofedIdentity,
    ) -> IssuedCredential {
        let provider = &self.providers[provider];
        let holder = SigningKey::generate().unwrap();
        let (status_idx, status) = provider.allocate();
        let sd_jwt = issue_identity(
            person,
            &Envelope {
                not_after: None,
                issuer: &provider.iss,
                now: self.clock.now(),
                validity: 365 * DAY,
                holder: holder.public_key(),
                status,
            },
            &provider.key,
            &SystemRandom,
        )
        .unwrap();
        IssuedCredential {
            sd_jwt,
            holder,
            issuer_key: provider.key.public_key().clone(),
            status_idx,
        }
    }

    /// An age credential from `provider` for `person`.
    pub(crate) fn issue_age(&self, provider: &str, person: &ProofedIdentity) -> IssuedCredential {
        let provider = &self.providers[provider];
        let holder = SigningKey::generate().unwrap();
        let (status_idx, status) = provider.allocate();
        let sd_jwt = issue_age(
            person,
            &Envelope {
                not_after: None,
                issuer: &provider.iss,
                now: self.clock.now(),
                validity: 365 * DAY,
                holder: holder.public_key(),
                status,
            },
            &provider.key,
            &SystemRandom,
        )
        .unwrap();
        IssuedCredential {
            sd_jwt,
            holder,
            issuer_key: provider.key.public_key().clone(),
            status_idx,
        }
    }
}

/// A British citizen with a valid passport, proofed to medium.
pub(crate) fn british_citizen() -> ProofedIdentity {
    ProofedIdentity {
        given_name: "Ada".into(),
        family_name: "Lovelace".into(),
        birthdate: "1990-12-10".into(),
        nationalities: vec!["GB".into()],
        document: IdentityDocument {
            document_type: "passport".into(),
            issuing_country: "GB".into(),
            date_of_expiry: "2031-01-31".into(),
        },
        portrait: Some("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD".into()),
        address: Some(
            json!({"locality": "London", "postal_code": "SW1A 1AA"})
                .as_object()
                .unwrap()
                .clone(),
        ),
        level_of_confidence: "medium".into(),
        gpg45_profile: "M1B".into(),
        proofed_at: T0 - 30 * DAY,
    }
}

fn spawn<F, Fut>(run: F) -> Server
where
    F: FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(Box::pin(async {
        let _ = stopped.await;
    })));
    Server {
        shutdown: Some(shutdown),
        task: Some(task),
    }
}

#[derive(Clone)]
struct StatusState {
    clock: Arc<ManualClock>,
    gate: StatusGate,
    #[expect(clippy::type_complexity, reason = "test fixture")]
    lists: Arc<BTreeMap<String, (SigningKey, Arc<Mutex<StatusListBuf>>, String)>>,
}

/// `GET /{provider}/status/1`: the provider's current Status List Token.
async fn serve_status_list(
    State(state): State<StatusState>,
    Path(provider): Path<String>,
) -> axum::response::Response {
    state
        .gate
        .requests
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _open = state.gate.lock.read().await;
    let Some((key, list, uri)) = state.lists.get(&provider) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let now = state.clock.now();
    let claims = {
        let list = list.lock().unwrap();
        idv_status_list::token::token_claims(uri.clone(), now, Some(now + DAY), Some(300), &list)
    };
    let token = idv_status_list::token::issue_token(&claims, key, None, None).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/statuslist+jwt".parse().unwrap(),
    );
    (headers, token).into_response()
}

/// The trust framework's operator API.
struct TfClient<'a> {
    client: &'a reqwest::Client,
    address: &'a str,
    token: &'a str,
}

impl TfClient<'_> {
    async fn post(&self, path: &str, body: &Value) -> Value {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(self.token)
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

    async fn register(
        &self,
        provider: &Provider,
        registration: Registration,
        status_base: &str,
    ) -> Option<String> {
        if let Registration::Unregistered = registration {
            return None;
        }
        let name = provider.name;
        let entry = self
            .post(
                "/v1/providers",
                &json!({
                    "organisation": {"name": format!("{name} IDSP Ltd"), "company_number": "01234567"},
                    "service": {"service_id": "svc-01", "name": format!("{name} Reusable ID")},
                    "roles": ["IDSP"],
                    "framework_version": "1.0",
                    "certificate": {
                        "id": format!("CAB-7-{name}"),
                        "cab": "Example CAB (UKAS 1234)",
                        "issued": T0 - 60 * DAY,
                        "expires": T0 + 3 * 365 * DAY
                    },
                    "max_loc": "high",
                    "issuer": {
                        "iss": [provider.iss],
                        "jwks": {"keys": [provider.key.public_key().to_jwk()]},
                        "status_list_uris_prefix": [format!("{status_base}/{name}/status/")],
                        "vct": [IDENTITY_VCT, AGE_VCT]
                    }
                }),
            )
            .await;
        let entry_id = entry["entry_id"].as_str().unwrap().to_owned();
        let codes: &[&str] = match registration {
            Registration::AgeOnly => &["AGE"],
            _ => &["RTW", "RTR", "AGE"],
        };
        for code in codes {
            self.post(
                &format!("/v1/providers/{entry_id}/codes"),
                &json!({"code": code}),
            )
            .await;
        }
        if let Registration::Suspended = registration {
            self.post(
                &format!("/v1/providers/{entry_id}/suspend"),
                &json!({"reason": "surveillance audit"}),
            )
            .await;
        }
        Some(entry_id)
    }

    async fn register_relying_party(&self, client_id: &str) -> String {
        let templates = idv_checks::templates::Templates::builtin().unwrap();
        let rtw = templates.get("right_to_work").unwrap().purpose();
        let rtr = templates.get("right_to_rent").unwrap().purpose();
        let rp = self
            .post(
                "/v1/relying-parties",
                &json!({
                    "organisation": {"name": "Example Employer Ltd"},
                    "client_id": client_id,
                    "purposes": [
                        rtw,
                        rtr,
                        {"code": "AGE", "claims": [["age_over_16"], ["age_over_18"], ["age_over_21"], ["age_over_25"], ["verification", "assurance_level"]]}
                    ]
                }),
            )
            .await;
        rp["rp_id"].as_str().unwrap().to_owned()
    }

    async fn attest(&self, rp_id: &str, jwk: &idv_jose::Jwk) -> String {
        self.attest_with(rp_id, jwk, None).await
    }

    async fn attest_with(
        &self,
        rp_id: &str,
        jwk: &idv_jose::Jwk,
        redirect_uris: Option<&[&str]>,
    ) -> String {
        let mut body = json!({"jwk": jwk});
        if let Some(uris) = redirect_uris {
            body["redirect_uris"] = json!(uris);
        }
        let issued = self
            .post(&format!("/v1/relying-parties/{rp_id}/attestations"), &body)
            .await;
        issued["verifier_attestation"].as_str().unwrap().to_owned()
    }
}

/// The `error` and `error_description` of an error response, after checking its status.
pub(crate) async fn error_body(response: Response, status: HttpStatus) -> (String, String) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// The reason codes of a check view.
pub(crate) fn reason_codes(check: &Value) -> Vec<String> {
    check["reasons"]
        .as_array()
        .map(|reasons| {
            reasons
                .iter()
                .map(|r| r["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A webhook receiver answering with `statuses` in turn (then 200), recording every request.
pub(crate) struct WebhookReceiver {
    pub(crate) url: String,
    /// `127.0.0.1:<port>`: what the verifier must allow-list to deliver here.
    pub(crate) host: String,
    pub(crate) received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    _server: Server,
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
        let server = spawn(move |stopped| async move {
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
