//! The trust framework's register, the real service in this process on its own SQLite
//! database and the test's clock, and an issuer whose `[trust]` pins its anchor and reads its
//! signed trust list: what the issuer checks its own certification on.

use std::sync::Arc;

use idv_jose::{Clock, Jwk, ManualClock};
use idv_service_kit::config::ServiceConfig as _;
use idv_test_support::TestDb;
use issuer::config::{IssuerConfig, TrustSettings};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{DAY, TestApp, test_config};

/// The issuer's `trust.refresh_secs` in these tests: a register change reaches it once the
/// clock has moved this far since its last fetch.
pub(crate) const REFRESH_SECS: u64 = 60;

/// The register operator's service.
pub(crate) struct Register {
    address: String,
    token: String,
    anchor: Jwk,
    clock: Arc<ManualClock>,
    client: reqwest::Client,
    /// The register started by the federation harness.
    harness: idv_federation::Federation,
}

impl Register {
    /// `trust-framework init`, then `serve`, on `clock`.
    pub(crate) async fn start(clock: Arc<ManualClock>) -> Self {
        let harness = idv_federation::Federation::builder()
            .clock(Arc::clone(&clock) as Arc<dyn Clock>)
            .trust_framework_config(|c| {
                c.http.public_url = "https://trust.sim.ofdia.example".into()
            })
            .start()
            .await
            .unwrap();
        let register = &harness.trust_framework;
        Self {
            address: register.url.clone(),
            token: register.token.expose().to_owned(),
            anchor: serde_json::from_value(register.anchor.clone()).unwrap(),
            clock,
            client: harness.client.clone(),
            harness,
        }
    }

    /// The issuer's `[trust]`: this register's list, its anchor pinned inline.
    pub(crate) fn trust_settings(&self) -> TrustSettings {
        TrustSettings {
            list_url: format!("{}/trust-list", self.address),
            anchors_file: None,
            anchors: vec![self.anchor.clone()],
            plain_http: "loopback".into(),
            refresh_secs: REFRESH_SECS,
        }
    }

    /// An operator `POST`, which must succeed.
    async fn post(&self, path: &str, body: &Value) -> Value {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        success(path, response).await
    }

    /// Registers a certified IDSP with the `issuer` member `binding` (what `issuer
    /// registration` printed), certified for the supplementary `codes`; returns its entry id.
    pub(crate) async fn register(&self, binding: &Value, codes: &[&str]) -> String {
        let now = self.clock.now();
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
                        "issued": now - 60 * DAY,
                        "expires": now + 3 * 365 * DAY
                    },
                    "max_loc": "high",
                    "issuer": binding
                }),
            )
            .await;
        let entry_id = entry["entry_id"].as_str().unwrap().to_owned();
        for code in codes {
            self.certify(&entry_id, code).await;
        }
        entry_id
    }

    /// `POST /v1/providers/{entry_id}/codes`: certifies the entry for `code`.
    pub(crate) async fn certify(&self, entry_id: &str, code: &str) {
        self.post(
            &format!("/v1/providers/{entry_id}/codes"),
            &json!({"code": code}),
        )
        .await;
    }

    /// `POST /v1/providers/{entry_id}/{action}` (`suspend`, `reinstate`, `withdraw`).
    pub(crate) async fn change(&self, entry_id: &str, action: &str) {
        let entry = self
            .post(
                &format!("/v1/providers/{entry_id}/{action}"),
                &json!({"reason": "surveillance audit"}),
            )
            .await;
        assert_eq!(entry["entry_id"], entry_id);
    }

    /// `PUT /v1/providers/{entry_id}/issuer`: the entry's new `issuer` member (keys rotated).
    pub(crate) async fn update_issuer(&self, entry_id: &str, binding: &Value) {
        let path = format!("/v1/providers/{entry_id}/issuer");
        let response = self
            .client
            .put(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .json(&json!({"issuer": binding, "reason": "signing key rotated"}))
            .send()
            .await
            .unwrap();
        success(&path, response).await;
    }

    /// The `sequence` of the list the register serves now.
    pub(crate) async fn sequence(&self) -> u64 {
        idv_federation::operator::served_trust_list_claims(&self.client, &self.address)
            .await
            .unwrap()["sequence"]
            .as_u64()
            .unwrap()
    }

    pub(crate) async fn stop(&mut self) {
        self.harness.trust_framework.stop().await.unwrap();
    }
}

async fn success(path: &str, response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// `issuer registration` (the `issuer` member of the register entry), as the provider's
/// operator runs it.
pub(crate) async fn registration(config: &IssuerConfig) -> Value {
    let mut out = Vec::new();
    issuer::cli::execute(
        config.clone(),
        issuer::cli::Command::Registration(issuer::cli::RegistrationArgs {
            entry_template: None,
        }),
        &mut out,
    )
    .await
    .unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// A provider's issuer on `db` and the register, sharing one clock: the issuer's `[trust]`
/// reads the register's list, and its entry is certified for `codes`.
pub(crate) struct CertifiedIssuer {
    pub(crate) app: TestApp,
    pub(crate) register: Register,
    pub(crate) entry_id: String,
}

impl CertifiedIssuer {
    pub(crate) async fn start(db: &TestDb, codes: &[&str]) -> Self {
        let clock = Arc::new(ManualClock::new(super::T0));
        let register = Register::start(Arc::clone(&clock)).await;
        let mut config = test_config(db);
        config.trust = Some(register.trust_settings());
        let listener = TcpListener::bind(config.http.listen).await.unwrap();
        let app = TestApp::spawn_with_clock(config, listener, clock).await;
        let entry_id = register
            .register(&registration(&app.config).await, codes)
            .await;
        Self {
            app,
            register,
            entry_id,
        }
    }

    /// Lets `trust.refresh_secs` pass and waits until the issuer's background refresh has
    /// accepted the register's current list, so its next decision is on it.
    pub(crate) async fn let_the_list_refresh(&self) {
        self.let_refresh_secs_pass();
        let target = self.register.sequence().await;
        let state = idv_service_kit::Database::connect(self.app.config.database_url().expose())
            .await
            .unwrap();
        let mut accepted = 0;
        for _ in 0..600 {
            accepted = idv_service_kit::db::trust_list_state::load(&state)
                .await
                .unwrap()
                .map_or(0, |state| state.sequence);
            if accepted >= target {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        state.close().await;
        assert!(accepted >= target, "the issuer never fetched list {target}");
    }

    /// Lets `trust.refresh_secs` pass.
    pub(crate) fn let_refresh_secs_pass(&self) {
        self.app.clock.advance(i64::try_from(REFRESH_SECS).unwrap());
    }

    pub(crate) async fn stop(mut self) {
        self.app.stop().await;
        self.register.stop().await;
    }
}

/// Asserts an operator offer request was refused with `status` and `code`; returns the
/// description.
pub(crate) async fn refused_offer(
    app: &TestApp,
    identity_id: &str,
    ids: &[&str],
    status: StatusCode,
    code: &str,
) -> String {
    let response = app
        .post(
            &format!("/v1/identities/{identity_id}/offers"),
            &json!({"credential_configuration_ids": ids}),
        )
        .await;
    let status_seen = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status_seen, status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    body["error_description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
