//! The per-process tenant cache (`checks.tenant_cache_secs`): what the CLI changes from another
//! process reaches a running server within the cache's lifetime and not before, what the
//! server's own `Verifier` changes at once, a new API key works at once, an expired attestation
//! is never used, and a lifetime of 0 reads the database every time.

use std::sync::Arc;

use idv_jose::Clock;
use idv_jose::jws::UnverifiedJws;
use idv_proto::oid4vp::authorization_request::REQUEST_OBJECT_MEDIA_TYPE;
use idv_service_kit::config::ServiceConfig as _;
use idv_service_kit::db::PoolSettings;
use idv_service_kit::startup::Service as _;
use idv_test_support::server::TestServer;
use idv_test_support::{TestDb, test_on_both_databases};
use idv_trust::attestation::ATTESTATION_SKEW;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use verifier::config::VerifierConfig;
use verifier::service::Verifier;
use verifier::startup::{Application, Parts};
use verifier::store::Store;

use crate::helpers::{Federation, TenantCredentials, error_body};
use crate::wallet::verify_request_object;

test_on_both_databases!(
    a_revocation_by_another_process_is_honoured_within_the_cache_lifetime,
    an_attestation_installed_by_another_process_is_used_after_the_cache_lifetime,
    changes_through_the_running_verifier_take_effect_at_once,
    an_expired_attestation_is_never_used_from_the_cache,
    a_cache_lifetime_of_zero_reads_the_database_every_time,
);

/// A `Verifier` on the federation's database, as the CLI opens one.
async fn another_process(config: &VerifierConfig, fed: &Federation) -> Verifier {
    let parts = Parts::with_clock(Arc::clone(&fed.clock) as Arc<dyn Clock>);
    verifier::startup::open_with(config, parts).await.unwrap()
}

fn cache_secs(fed: &Federation) -> i64 {
    i64::try_from(fed.verifier_config.checks.tenant_cache_secs).unwrap()
}

async fn templates_status(fed: &Federation, tenant: &TenantCredentials) -> StatusCode {
    fed.get_as(tenant, "/v1/templates").await.status()
}

/// Creates a check as `tenant` against the verifier at `base`; returns its wallet URL.
async fn create_check_at(fed: &Federation, base: &str, tenant: &TenantCredentials) -> String {
    let response = fed
        .client
        .post(format!("{base}/v1/checks"))
        .bearer_auth(&tenant.api_key)
        .json(&json!({"template": "age_over_18"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    created["wallet_url"].as_str().unwrap().to_owned()
}

/// Fetches the request object as a wallet does, verifies it, and returns the attestation it
/// carries (`jwt` header).
async fn request_attestation(fed: &Federation, wallet_url: &str) -> String {
    let link = url::Url::parse(wallet_url).unwrap();
    let query: std::collections::BTreeMap<String, String> =
        link.query_pairs().into_owned().collect();
    let response = fed
        .client
        .get(&query["request_uri"])
        .header("accept", REQUEST_OBJECT_MEDIA_TYPE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let jwt = response.text().await.unwrap();
    verify_request_object(fed, &jwt, &query["client_id"]);
    UnverifiedJws::parse(&jwt)
        .unwrap()
        .header()
        .get("jwt")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn attestation_claims(jwt: &str) -> Value {
    // Already verified by the wallet's checks in `request_attestation`.
    UnverifiedJws::parse(jwt)
        .unwrap()
        .insecure_claims()
        .unwrap()
}

/// A new attestation of the tenant's key from the trust framework (one second later than the
/// installed one, so that it differs).
async fn renewed_attestation(
    fed: &Federation,
    verifier: &Verifier,
    tenant_id: &str,
    installed: &str,
) -> String {
    fed.clock.advance(1);
    let rp_id = attestation_claims(installed)["rp_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwk = verifier
        .tenants()
        .tenant(tenant_id)
        .await
        .unwrap()
        .request_signing_jwk;
    let jwk = serde_json::to_value(jwk).unwrap();
    let renewed = fed.operator().attest(&rp_id, &jwk).await.unwrap();
    assert_ne!(renewed, installed);
    renewed
}

/// The federation's tenant with a new API key, added through `verifier`.
async fn new_api_key(fed: &Federation, verifier: &Verifier) -> TenantCredentials {
    let api_key = verifier
        .tenants()
        .new_api_key(&fed.tenant.tenant_id)
        .await
        .unwrap();
    TenantCredentials {
        api_key: api_key.expose().to_owned(),
        ..fed.tenant.clone()
    }
}

/// A second server on the federation's database whose `Verifier` the test holds.
struct OwnServer {
    verifier: Verifier,
    base: String,
    server: TestServer,
}

impl OwnServer {
    async fn start(fed: &Federation) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = fed.verifier_config.clone();
        config.http.public_url = base.clone();
        let parts = Parts::with_clock(Arc::clone(&fed.clock) as Arc<dyn Clock>).on(listener);
        let app = Application::build_with(config, parts).await.unwrap();
        let verifier = app.verifier().clone();
        Self {
            verifier,
            base,
            server: TestServer::spawn(|stopped| app.run_until(stopped)),
        }
    }

    async fn templates_status(&self, fed: &Federation, tenant: &TenantCredentials) -> StatusCode {
        fed.client
            .get(format!("{}/v1/templates", self.base))
            .bearer_auth(&tenant.api_key)
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn stop(mut self) {
        self.server.stop().await.unwrap();
    }
}

async fn a_revocation_by_another_process_is_honoured_within_the_cache_lifetime(db: TestDb) {
    let fed = Federation::start(&db).await;
    let ttl = cache_secs(&fed);
    assert_eq!(ttl, 10, "the default");
    assert_eq!(templates_status(&fed, &fed.tenant).await, StatusCode::OK);

    let cli = another_process(&fed.verifier_config, &fed).await;
    assert_eq!(
        cli.tenants()
            .revoke_api_keys(&fed.tenant.tenant_id)
            .await
            .unwrap(),
        1
    );
    // The server still knows the key from its cache…
    assert_eq!(templates_status(&fed, &fed.tenant).await, StatusCode::OK);
    fed.clock.advance(ttl - 1);
    assert_eq!(templates_status(&fed, &fed.tenant).await, StatusCode::OK);
    // …until the cache lifetime has passed since it was looked up.
    fed.clock.advance(1);
    assert_eq!(
        templates_status(&fed, &fed.tenant).await,
        StatusCode::UNAUTHORIZED
    );

    // A key added by the CLI works at once: unknown keys are not remembered.
    let rotated = new_api_key(&fed, &cli).await;
    assert_eq!(templates_status(&fed, &rotated).await, StatusCode::OK);
    // Even one the server was shown, and refused, just before it was stored.
    let chosen = "vk_chosen-by-the-test-0123456789abcdefghijklmno";
    let known_later = TenantCredentials {
        api_key: chosen.into(),
        ..fed.tenant.clone()
    };
    assert_eq!(
        templates_status(&fed, &known_later).await,
        StatusCode::UNAUTHORIZED
    );
    let store = Store::connect(
        fed.verifier_config.database_url().expose(),
        PoolSettings::with_max_connections(1),
    )
    .await
    .unwrap();
    store
        .insert_api_key(
            &fed.tenant.tenant_id,
            &idv_jose::digest::sha256_b64(chosen.as_bytes()),
            fed.clock.now(),
        )
        .await
        .unwrap();
    store.close().await;
    assert_eq!(templates_status(&fed, &known_later).await, StatusCode::OK);
    cli.close().await;
    fed.stop().await;
}

async fn an_attestation_installed_by_another_process_is_used_after_the_cache_lifetime(db: TestDb) {
    let fed = Federation::start(&db).await;
    let ttl = cache_secs(&fed);
    let started = fed.clock.now();
    let wallet_url = create_check_at(&fed, &fed.verifier_address, &fed.tenant).await;
    let installed = request_attestation(&fed, &wallet_url).await;

    let cli = another_process(&fed.verifier_config, &fed).await;
    let renewed = renewed_attestation(&fed, &cli, &fed.tenant.tenant_id, &installed).await;
    cli.tenants()
        .install_attestation(&fed.tenant.tenant_id, &renewed)
        .await
        .unwrap();
    // Within the lifetime of the row read at `started`: still the installed one.
    fed.clock.set(started + ttl - 1);
    let wallet_url = create_check_at(&fed, &fed.verifier_address, &fed.tenant).await;
    assert_eq!(request_attestation(&fed, &wallet_url).await, installed);
    // Then the renewed one, for that same request and for new checks.
    fed.clock.set(started + ttl);
    assert_eq!(request_attestation(&fed, &wallet_url).await, renewed);
    let wallet_url = create_check_at(&fed, &fed.verifier_address, &fed.tenant).await;
    assert_eq!(request_attestation(&fed, &wallet_url).await, renewed);
    cli.close().await;
    fed.stop().await;
}

async fn changes_through_the_running_verifier_take_effect_at_once(db: TestDb) {
    let fed = Federation::start(&db).await;
    assert_eq!(templates_status(&fed, &fed.tenant).await, StatusCode::OK);
    let server = OwnServer::start(&fed).await;
    let wallet_url = create_check_at(&fed, &server.base, &fed.tenant).await;
    let installed = request_attestation(&fed, &wallet_url).await;
    assert_eq!(
        server.templates_status(&fed, &fed.tenant).await,
        StatusCode::OK
    );

    let renewed =
        renewed_attestation(&fed, &server.verifier, &fed.tenant.tenant_id, &installed).await;
    server
        .verifier
        .tenants()
        .install_attestation(&fed.tenant.tenant_id, &renewed)
        .await
        .unwrap();
    assert_eq!(request_attestation(&fed, &wallet_url).await, renewed);
    let wallet_url = create_check_at(&fed, &server.base, &fed.tenant).await;
    assert_eq!(request_attestation(&fed, &wallet_url).await, renewed);

    server
        .verifier
        .tenants()
        .revoke_api_keys(&fed.tenant.tenant_id)
        .await
        .unwrap();
    assert_eq!(
        server.templates_status(&fed, &fed.tenant).await,
        StatusCode::UNAUTHORIZED
    );
    let rotated = new_api_key(&fed, &server.verifier).await;
    assert_eq!(
        server.templates_status(&fed, &rotated).await,
        StatusCode::OK
    );
    // The federation's server is another process for these changes: it still has the old key.
    assert_eq!(templates_status(&fed, &fed.tenant).await, StatusCode::OK);
    server.stop().await;
    fed.stop().await;
}

async fn an_expired_attestation_is_never_used_from_the_cache(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    let wallet_url = create_check_at(&fed, &fed.verifier_address, &fed.tenant).await;
    let installed = request_attestation(&fed, &wallet_url).await;
    let exp = attestation_claims(&installed)["exp"].as_i64().unwrap();

    // The first second the attestation no longer verifies (exp plus the tolerated skew). The
    // row, read again, is unchanged: only the attestation's validity can refuse it.
    fed.clock.set(exp + ATTESTATION_SKEW);
    let (error, cached) = error_body(
        fed.post_check(&fed.tenant, &json!({"template": "age_over_18"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error, "conflict");
    assert!(
        cached.contains("attestation is not usable") && cached.contains("expired"),
        "{cached}"
    );

    // Exactly what the verifier says without a cache.
    fed.verifier_config.checks.tenant_cache_secs = 0;
    fed.restart_verifier().await;
    let (_, uncached) = error_body(
        fed.post_check(&fed.tenant, &json!({"template": "age_over_18"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(cached, uncached);
    fed.stop().await;
}

async fn a_cache_lifetime_of_zero_reads_the_database_every_time(db: TestDb) {
    let mut fed = Federation::start(&db).await;
    fed.verifier_config.checks.tenant_cache_secs = 0;
    fed.restart_verifier().await;
    let wallet_url = create_check_at(&fed, &fed.verifier_address, &fed.tenant).await;
    let installed = request_attestation(&fed, &wallet_url).await;
    assert_eq!(templates_status(&fed, &fed.tenant).await, StatusCode::OK);

    let cli = another_process(&fed.verifier_config, &fed).await;
    let renewed = renewed_attestation(&fed, &cli, &fed.tenant.tenant_id, &installed).await;
    cli.tenants()
        .install_attestation(&fed.tenant.tenant_id, &renewed)
        .await
        .unwrap();
    assert_eq!(request_attestation(&fed, &wallet_url).await, renewed);
    cli.tenants()
        .revoke_api_keys(&fed.tenant.tenant_id)
        .await
        .unwrap();
    assert_eq!(
        templates_status(&fed, &fed.tenant).await,
        StatusCode::UNAUTHORIZED
    );
    cli.close().await;
    fed.stop().await;
}
