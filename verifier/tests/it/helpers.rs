//! A whole federation in one process, over real HTTP on 127.0.0.1, started by the federation
//! harness (`idv_federation`): the real trust framework (its own SQLite database), certified
//! providers whose status lists a tiny axum server publishes ([`providers`]), and the verifier
//! under test on the database the test runs on, with one attested tenant. Everything shares
//! one `ManualClock`.

mod providers;
mod requests;
mod tenants;
mod webhooks;

use std::collections::BTreeMap;
use std::sync::Arc;

use idv_federation::in_process::{VerifierService, relying_party_entry};
use idv_jose::{Clock, ManualClock, PublicKey, SystemRandom};
use idv_profiles::ProofedIdentity;
use idv_test_support::TestDb;
use idv_test_support::server::TestServer;
use verifier::cli::{CliError, Command, execute_with};
use verifier::config::VerifierConfig;

pub(crate) use providers::{IssuedCredential, Provider, StatusGate, british_citizen};
pub(crate) use requests::{error_body, reason_codes};
pub(crate) use tenants::TenantCredentials;
pub(crate) use webhooks::WebhookReceiver;

/// The tests' "now": 2026-05-28, after framework 1.0 came into force.
pub(crate) const T0: i64 = 1_780_000_000;
pub(crate) const DAY: i64 = 24 * 60 * 60;
/// The employer tenant's client identifier registered with the trust framework.
pub(crate) const EMPLOYER: &str = "employer.example.co.uk";
const EMPLOYER_NAME: &str = "Example Employer Ltd";
/// The templates relying parties register the purposes of (besides age).
const TEMPLATES: &[&str] = &["right_to_work", "right_to_rent"];
/// The identity and age credential types.
pub(crate) const IDENTITY_VCT: &str = idv_checks::templates::IDENTITY_VCT;
pub(crate) const AGE_VCT: &str = idv_checks::templates::AGE_VCT;

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
    server: TestServer,
}

impl Instance {
    /// Stops it (its attempts under way finish first).
    pub(crate) async fn stop(mut self) {
        self.server.stop().await.unwrap();
    }
}

pub(crate) struct Federation {
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) client: reqwest::Client,
    pub(crate) anchor: PublicKey,
    /// The trust framework's base URL.
    pub(crate) tf_address: String,
    pub(crate) providers: BTreeMap<&'static str, Provider>,
    pub(crate) tenant: TenantCredentials,
    /// The verifier's configuration: changes take effect at [`Federation::restart_verifier`].
    pub(crate) verifier_config: VerifierConfig,
    pub(crate) verifier_address: String,
    /// Holds the providers' status list answers while closed.
    pub(crate) status_gate: StatusGate,
    harness: idv_federation::Federation,
    status_server: TestServer,
}

/// What every verifier test runs with: a pool for concurrent tests, and background work
/// (webhook delivery, the sweeper) fast enough to wait for.
fn test_settings(config: &mut VerifierConfig) {
    config.database.max_connections = 4;
    config.webhooks.poll_interval_ms = 25;
    config.webhooks.retry_initial_secs = 5;
    config.webhooks.retry_max_secs = 60;
    config.webhooks.max_attempts = 5;
    config.webhooks.timeout_secs = 5;
    config.sweeper.interval_ms = 25;
}

impl Federation {
    /// The federation with the verifier on `db`.
    pub(crate) async fn start(db: &TestDb) -> Self {
        Self::start_with(db, |_| {}).await
    }

    /// The federation with the verifier on `db`, its configuration changed by `configure`
    /// (e.g. [`WebhookReceiver::allow`]).
    pub(crate) async fn start_with(
        db: &TestDb,
        configure: impl FnOnce(&mut VerifierConfig) + Send,
    ) -> Self {
        // Providers are registered (certified) two days before the tests' "now", so that
        // credentials issued today (`iat` rounded down to the day) were issued while certified.
        let clock = Arc::new(ManualClock::new(T0 - 2 * DAY));
        let (mut providers, status_base, status_gate, status_server) =
            providers::start(&clock).await;
        let relying_party = relying_party_entry(EMPLOYER_NAME, EMPLOYER, TEMPLATES).unwrap();
        let mut builder = idv_federation::Federation::builder()
            .clock(Arc::clone(&clock) as _)
            .relying_party(relying_party);
        for (name, registration) in providers::PROVIDERS {
            if let Some(entry) = providers[name].registration(registration, &status_base) {
                builder = builder.provider(entry);
            }
        }
        let moved = Arc::clone(&clock);
        let harness = builder
            .after_registration(move || moved.set(T0))
            .verifier_on(db.url())
            .verifier_config(test_settings)
            .verifier_config(configure)
            .tenant(EMPLOYER_NAME, EMPLOYER)
            .start()
            .await
            .unwrap();
        for provider in providers.values_mut() {
            provider.entry_id = harness.provider_entry(provider.name).map(str::to_owned);
        }
        let verifier = harness.verifier.as_ref().unwrap();
        Self {
            clock,
            client: harness.client.clone(),
            anchor: PublicKey::from_jwk_value(&harness.trust_framework.anchor).unwrap(),
            tf_address: harness.trust_framework.url.clone(),
            providers,
            tenant: TenantCredentials::from(harness.tenant(EMPLOYER).unwrap()),
            verifier_config: verifier.config.clone(),
            verifier_address: verifier.url.clone(),
            status_gate,
            harness,
            status_server,
        }
    }

    fn verifier(&self) -> &VerifierService {
        self.harness.verifier.as_ref().unwrap()
    }

    /// Stops the verifier (in-flight requests finish, background tasks stop, the pool
    /// closes) and starts it again, with [`Federation::verifier_config`], on the same
    /// database and port, as a process restart would.
    pub(crate) async fn restart_verifier(&mut self) {
        let verifier = self.harness.verifier.as_mut().unwrap();
        verifier.config = self.verifier_config.clone();
        verifier.restart().await.unwrap();
    }

    /// Runs an operator's command as `verifier <command>` would, on the verifier's database
    /// and configuration and the federation's clock; what it printed.
    pub(crate) async fn run_cli(&self, command: Command) -> Result<String, CliError> {
        let mut out = Vec::new();
        execute_with(
            self.verifier_config.clone(),
            command,
            &mut out,
            Arc::clone(&self.clock) as Arc<dyn Clock>,
            Arc::new(SystemRandom),
        )
        .await?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// Stops the trust framework (its address then refuses connections).
    pub(crate) async fn stop_trust_framework(&mut self) {
        self.harness.trust_framework.stop().await.unwrap();
    }

    /// Stops the providers' status list server: from now on its port refuses connections.
    pub(crate) async fn stop_status_server(&mut self) {
        self.status_server.stop().await.unwrap();
    }

    /// A second verifier instance on the same database and configuration (the README's
    /// scale-out), serving on its own port; its address.
    pub(crate) async fn second_instance(&self) -> Instance {
        let (address, server) = self.verifier().second_instance().await.unwrap();
        Instance { address, server }
    }

    /// The trust framework's base URL (another service on this machine).
    pub(crate) fn tf_address(&self) -> &str {
        &self.tf_address
    }

    pub(crate) async fn stop(mut self) {
        self.harness.stop().await.unwrap();
        self.status_server.stop().await.unwrap();
    }

    /// An identity credential from `provider` for `person`, bound to a fresh holder key.
    pub(crate) fn issue_identity(
        &self,
        provider: &str,
        person: &ProofedIdentity,
    ) -> IssuedCredential {
        self.providers[provider].issue(providers::Kind::Identity, person, self.clock_now())
    }

    /// An age credential from `provider` for `person`.
    pub(crate) fn issue_age(&self, provider: &str, person: &ProofedIdentity) -> IssuedCredential {
        self.providers[provider].issue(providers::Kind::Age, person, self.clock_now())
    }

    fn clock_now(&self) -> i64 {
        self.clock.now()
    }
}
