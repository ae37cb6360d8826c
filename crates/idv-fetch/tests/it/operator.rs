//! The register's operator, in the test: entries kept in memory and a trust list signed with
//! its anchor (`idv_trust::list::sign_trust_list`) when the register changed or the list held
//! reached its `next_update`, as the trust framework does (docs/trust-list.md). It serves the
//! list at `/trust-list` with an `ETag` over `list_id` and `sequence`, answers `304 Not
//! Modified` to an `If-None-Match` naming it (RFC 9110 §13.1.2), and records every exchange.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idv_jose::{Clock, ManualClock, PublicKey, SigningKey};
use idv_proto::trust::entry::{ServiceEntry, ServiceStatus, StatusChange};
use idv_proto::trust::trust_list::{FrameworkValidity, TrustListClaims};
use idv_test_support::register::CertifiedEntry;
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::sign_trust_list;

use crate::helpers::{DAY, LIST_TYPE, Server, T0};

/// `exp - iat` and `next_update - iat` of the lists signed, as the trust framework's defaults.
const VALIDITY: i64 = DAY;
const NEXT_UPDATE: i64 = 60 * 60;

/// One exchange at `/trust-list`: the `If-None-Match` sent, the status and body length
/// answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Exchange {
    pub(crate) if_none_match: Option<String>,
    pub(crate) status: u16,
    pub(crate) body_len: usize,
}

/// The operator, serving. Stops serving when dropped.
pub(crate) struct Operator {
    pub(crate) clock: Arc<ManualClock>,
    register: Arc<Register>,
    address: String,
    _server: Server,
}

/// What the operator keeps: its anchor, the entries, the list last signed, the exchanges.
struct Register {
    anchor: SigningKey,
    clock: Arc<ManualClock>,
    book: Mutex<Book>,
    log: Mutex<Vec<Exchange>>,
}

#[derive(Default)]
struct Book {
    entries: Vec<ServiceEntry>,
    sequence: u64,
    /// The last list's `iat`: a list is never issued before the one it follows.
    iat: i64,
    /// The list last signed (compact) and its `next_update`; `None` after a change.
    signed: Option<(String, i64)>,
}

impl Operator {
    /// An operator with an empty register, its clock at [`T0`].
    pub(crate) async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(T0));
        let register = Arc::new(Register {
            anchor: SigningKey::generate().unwrap(),
            clock: Arc::clone(&clock),
            book: Mutex::default(),
            log: Mutex::default(),
        });
        let app = Router::new()
            .route("/trust-list", get(serve_trust_list))
            .with_state(Arc::clone(&register));
        let (address, server) = Server::start(app).await;
        Self {
            clock,
            register,
            address,
            _server: server,
        }
    }

    pub(crate) fn trust_list_url(&self) -> String {
        format!("{}/trust-list", self.address)
    }

    /// The anchor a relying service pins.
    pub(crate) fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_keys([self.register.anchor.public_key().clone()]).unwrap()
    }

    /// The compact list as served now (not recorded as an exchange).
    pub(crate) fn trust_list(&self) -> String {
        self.register.current().0
    }

    /// The exchanges so far, in order.
    pub(crate) fn log(&self) -> Vec<Exchange> {
        self.register.log.lock().unwrap().clone()
    }

    /// Registers a certified IDSP issuing as `iss` with `key`, status lists under
    /// `status_prefix`; its entry id.
    pub(crate) fn add_issuer(&self, iss: &str, key: &SigningKey, status_prefix: &str) -> String {
        let mut book = self.register.book.lock().unwrap();
        let entry_id = format!("dvs-{:06}", book.entries.len() + 1);
        let entry = issuer_entry(&entry_id, iss, key.public_key(), status_prefix);
        book.entries.push(entry);
        book.signed = None;
        entry_id
    }

    /// Suspends the entry `entry_id` from now.
    pub(crate) fn suspend(&self, entry_id: &str) {
        let now = self.clock.now();
        let mut book = self.register.book.lock().unwrap();
        let entry = book.entries.iter_mut().find(|e| e.entry_id == entry_id);
        let entry = entry.unwrap();
        entry.status = ServiceStatus::Suspended;
        entry.status_since = now;
        entry.status_history.push(StatusChange {
            status: ServiceStatus::Suspended,
            since: now,
            reason: Some("test".into()),
        });
        book.signed = None;
    }
}

impl Register {
    /// The list to serve now, signed anew when due, and its `ETag`.
    fn current(&self) -> (String, String) {
        let now = self.clock.now();
        let mut book = self.book.lock().unwrap();
        let due = book.signed.as_ref().is_none_or(|(_, next)| now >= *next);
        if due {
            book.sequence += 1;
            book.iat = book.iat.max(now);
            let iat = book.iat;
            let claims = TrustListClaims {
                iss: "https://trust.sim.ofdia.example".into(),
                iat,
                exp: iat + VALIDITY,
                next_update: iat + NEXT_UPDATE,
                list_id: "uk-dvs-register".into(),
                sequence: book.sequence,
                framework_versions_valid: [("1.0".to_owned(), FrameworkValidity::default())]
                    .into_iter()
                    .collect(),
                entries: book.entries.clone(),
                relying_parties: Vec::new(),
                type_metadata: Default::default(),
            };
            let compact = sign_trust_list(&claims, &self.anchor).unwrap();
            book.signed = Some((compact, claims.next_update));
        }
        let etag = format!("\"uk-dvs-register-{}\"", book.sequence);
        (book.signed.as_ref().unwrap().0.clone(), etag)
    }
}

async fn serve_trust_list(State(register): State<Arc<Register>>, headers: HeaderMap) -> Response {
    let (compact, etag) = register.current();
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .map(|v| v.to_str().unwrap().to_owned());
    let not_modified = if_none_match.as_deref() == Some(etag.as_str());
    let (status, body) = if not_modified {
        (StatusCode::NOT_MODIFIED, String::new())
    } else {
        (StatusCode::OK, compact)
    };
    register.log.lock().unwrap().push(Exchange {
        if_none_match,
        status: status.as_u16(),
        body_len: body.len(),
    });
    let headers = [(header::CONTENT_TYPE, LIST_TYPE), (header::ETAG, &etag)];
    (status, headers, body).into_response()
}

/// A certified IDSP entry (certified since 30 days before [`T0`]).
fn issuer_entry(entry_id: &str, iss: &str, key: &PublicKey, status_prefix: &str) -> ServiceEntry {
    CertifiedEntry::new(entry_id, iss, key)
        .service_id(format!("svc-{entry_id}"))
        .certificate_id(format!("CAB-7-{entry_id}"))
        .certified(T0 - 30 * DAY, T0 + 3 * 365 * DAY)
        .status_list_prefix(status_prefix)
        .vct(&["urn:dvs:vct:uk-identity:1"])
        .build()
}
