//! A verifier written here with the protocol crates only, for requests the project's verifier
//! would never send (over-asking, bad signatures, stale requests), registered and attested by
//! the real trust framework. It serves request objects at `/requests/{id}` (GET or POST) and
//! records what arrives at `/responses/{id}`, which it can decrypt.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use idv_jose::jwe::{self, ContentEncryption};
use idv_jose::jws::{self, Header};
use idv_jose::{DecryptionKey, SigningKey};
use idv_proto::oid4vp::authorization_request::{REQUEST_OBJECT_TYP, SELF_ISSUED_AUDIENCE};
use idv_proto::trust::verifier_attestation::VERIFIER_ATTESTATION_HEADER;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{Federation, Server, real_now};

type Forms = Arc<Mutex<BTreeMap<String, Vec<BTreeMap<String, String>>>>>;

#[derive(Clone)]
struct RogueState {
    requests: Arc<Mutex<BTreeMap<String, String>>>,
    responses: Forms,
}

pub(crate) struct Rogue {
    pub(crate) address: String,
    pub(crate) client_id: String,
    pub(crate) key: SigningKey,
    pub(crate) attestation: String,
    pub(crate) decryption: DecryptionKey,
    state: RogueState,
    server: Server,
}

impl Rogue {
    /// A relying party `client_id` registered with `purposes`, its request key attested.
    pub(crate) async fn start(federation: &Federation, client_id: &str, purposes: Value) -> Self {
        let operator = federation.operator();
        let entry = json!({
            "organisation": {"name": "Example Off-Licence Ltd"},
            "client_id": client_id,
            "purposes": purposes
        });
        let rp_id = operator.add_relying_party(&entry).await.unwrap();
        let key = SigningKey::generate().unwrap();
        let jwk = serde_json::to_value(key.public_key().to_jwk()).unwrap();
        let attestation = operator.attest(&rp_id, &jwk).await.unwrap();
        let state = RogueState {
            requests: Arc::default(),
            responses: Arc::default(),
        };
        let router = axum::Router::new()
            .route("/requests/{id}", get(serve_request).post(serve_request))
            .route("/responses/{id}", post(record_response))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let server = Server::spawn(move |stopped| async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
        });
        Self {
            address,
            client_id: format!("verifier_attestation:{client_id}"),
            key,
            attestation,
            decryption: DecryptionKey::generate().unwrap(),
            state,
            server,
        }
    }

    /// Request object claims for `id` asking `dcql_query`, answered with `direct_post.jwt`.
    pub(crate) fn claims(&self, id: &str, dcql_query: Value) -> Value {
        let now = real_now();
        json!({
            "client_id": self.client_id,
            "response_type": "vp_token",
            "response_mode": "direct_post.jwt",
            "response_uri": format!("{}/responses/{id}", self.address),
            "nonce": format!("nonce-{id}"),
            "state": format!("state-{id}"),
            "aud": SELF_ISSUED_AUDIENCE,
            "iat": now,
            "exp": now + 300,
            "dcql_query": dcql_query,
            "client_metadata": {
                "jwks": {"keys": [self.decryption.public_jwk()]},
                "encrypted_response_enc_values_supported": ["A128GCM"],
                "vp_formats_supported": {"dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}}
            }
        })
    }

    /// Signs `claims` with `key` under `attestation`.
    pub(crate) fn sign(&self, claims: &Value, key: &SigningKey, attestation: &str) -> String {
        let header =
            Header::es256(REQUEST_OBJECT_TYP).with(VERIFIER_ATTESTATION_HEADER, attestation);
        jws::sign_claims(&header, claims, key).unwrap()
    }

    /// Serves `request_object` as request `id`; returns the wallet link.
    pub(crate) fn publish(&self, id: &str, request_object: String) -> String {
        self.state
            .requests
            .lock()
            .unwrap()
            .insert(id.to_owned(), request_object);
        self.link(&self.client_id, id)
    }

    /// `openid4vp://?client_id=…&request_uri=…` for request `id`.
    pub(crate) fn link(&self, client_id: &str, id: &str) -> String {
        format!(
            "openid4vp://?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", client_id)
                .append_pair("request_uri", &format!("{}/requests/{id}", self.address))
                .finish()
        )
    }

    /// The forms posted to `/responses/{id}`.
    pub(crate) fn responses(&self, id: &str) -> Vec<BTreeMap<String, String>> {
        self.state
            .responses
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// The decrypted payload of a `direct_post.jwt` form.
    pub(crate) fn decrypt(&self, form: &BTreeMap<String, String>) -> Value {
        let decrypted = jwe::decrypt(
            &form["response"],
            &self.decryption,
            &[ContentEncryption::A128Gcm],
        )
        .unwrap();
        serde_json::from_slice(&decrypted.plaintext).unwrap()
    }

    pub(crate) async fn stop(mut self) {
        self.server.stop().await.unwrap();
    }
}

async fn serve_request(State(state): State<RogueState>, Path(id): Path<String>) -> Response {
    match state.requests.lock().unwrap().get(&id) {
        Some(jwt) => (
            [(header::CONTENT_TYPE, "application/oauth-authz-req+jwt")],
            jwt.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn record_response(
    State(state): State<RogueState>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    state
        .responses
        .lock()
        .unwrap()
        .entry(id)
        .or_default()
        .push(form);
    ([(header::CONTENT_TYPE, "application/json")], "{}").into_response()
}
