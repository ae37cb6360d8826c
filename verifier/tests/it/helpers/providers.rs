//! Certified (or not) providers as the verifier meets them: their issuer keys, the credentials
//! they issue to the test wallet, and their Token Status Lists, which a tiny axum server
//! publishes (with a gate to hold its answers).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use idv_federation::in_process::{ProviderRegistration, idsp_entry};
use idv_jose::{Clock, ManualClock, PublicKey, SigningKey, SystemRandom};
use idv_profiles::{Envelope, ProofedIdentity, issue_age, issue_identity};
use idv_status_list::codec::{Status, StatusBits, StatusListBuf};
use idv_test_support::server::TestServer;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{DAY, T0};

/// Who is on the trust list, and how.
#[derive(Clone, Copy)]
pub(super) enum Registration {
    /// Certified for RTW, RTR and AGE.
    Certified,
    /// Certified for AGE only.
    AgeOnly,
    /// Certified, then suspended.
    Suspended,
    /// Not on the list at all.
    Unregistered,
}

pub(super) const PROVIDERS: [(&str, Registration); 4] = [
    ("good", Registration::Certified),
    ("ageonly", Registration::AgeOnly),
    ("suspended", Registration::Suspended),
    ("rogue", Registration::Unregistered),
];

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
    fn new(name: &'static str, status_base: &str) -> Self {
        Self {
            name,
            iss: format!("https://{name}.idsp.example"),
            key: SigningKey::generate().unwrap(),
            entry_id: None,
            status_uri: format!("{status_base}/{name}/status/1"),
            statuses: Arc::new(Mutex::new(
                StatusListBuf::new(StatusBits::Two, 1024).unwrap(),
            )),
            next_index: Mutex::new(7),
        }
    }

    /// Its register entry, as the register's operator makes it, or none if unregistered.
    pub(super) fn registration(
        &self,
        registration: Registration,
        status_base: &str,
    ) -> Option<ProviderRegistration> {
        let name = self.name;
        let codes: &[&str] = match registration {
            Registration::Unregistered => return None,
            Registration::AgeOnly => &["AGE"],
            _ => &["RTW", "RTR", "AGE"],
        };
        Some(ProviderRegistration {
            name: name.to_owned(),
            entry: idsp_entry(
                &format!("{name} IDSP Ltd"),
                &format!("{name} Reusable ID"),
                &format!("CAB-7-{name}"),
                &self.iss,
                &serde_json::to_value(self.key.public_key().to_jwk()).unwrap(),
                &format!("{status_base}/{name}/status/"),
                T0,
            ),
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            suspension: matches!(registration, Registration::Suspended)
                .then(|| "surveillance audit".to_owned()),
        })
    }

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

    /// A credential of `kind` for `person`, bound to a fresh holder key, issued at `now`.
    pub(super) fn issue(&self, kind: Kind, person: &ProofedIdentity, now: i64) -> IssuedCredential {
        let holder = SigningKey::generate().unwrap();
        let (status_idx, status) = self.allocate();
        let envelope = Envelope {
            not_after: None,
            issuer: &self.iss,
            now,
            validity: 365 * DAY,
            holder: holder.public_key(),
            status,
        };
        let sd_jwt = match kind {
            Kind::Identity => issue_identity(person, &envelope, &self.key, &SystemRandom),
            Kind::Age => issue_age(person, &envelope, &self.key, &SystemRandom),
        }
        .unwrap();
        IssuedCredential {
            sd_jwt,
            holder,
            issuer_key: self.key.public_key().clone(),
            status_idx,
        }
    }
}

/// Which credential a provider issues.
pub(super) enum Kind {
    Identity,
    Age,
}

/// A credential as issued to the test wallet.
pub(crate) struct IssuedCredential {
    pub(crate) sd_jwt: String,
    pub(crate) holder: SigningKey,
    pub(crate) issuer_key: PublicKey,
    pub(crate) status_idx: u64,
}

/// A British citizen with a valid passport, proofed to medium 30 days before [`T0`].
pub(crate) fn british_citizen() -> ProofedIdentity {
    idv_test_support::citizen::ada_lovelace(T0 - 30 * DAY)
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

/// The providers and the server of their status lists: `(providers, its base URL, gate,
/// server)`.
pub(super) async fn start(
    clock: &Arc<ManualClock>,
) -> (
    BTreeMap<&'static str, Provider>,
    String,
    StatusGate,
    TestServer,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let status_base = format!("http://{}", listener.local_addr().unwrap());
    let providers: BTreeMap<&'static str, Provider> = PROVIDERS
        .iter()
        .map(|(name, _)| (*name, Provider::new(name, &status_base)))
        .collect();
    let lists = providers
        .values()
        .map(|p| {
            let key = SigningKey::from_jwk(&p.key.to_private_jwk()).unwrap();
            let list = (key, Arc::clone(&p.statuses), p.status_uri.clone());
            (p.name.to_owned(), list)
        })
        .collect();
    let gate = StatusGate::default();
    let state = StatusState {
        gate: gate.clone(),
        clock: Arc::clone(clock),
        lists: Arc::new(lists),
    };
    let router = axum::Router::new()
        .route("/{provider}/status/1", get(serve_status_list))
        .with_state(state);
    let server = TestServer::spawn(move |stopped| async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(stopped)
            .await
    });
    (providers, status_base, gate, server)
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
