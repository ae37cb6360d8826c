//! `World`: the federation as child processes, with the identity provider certified for RTW
//! and AGE, an employer (right to work) and a shop (age over 18) onboarded, and a citizen's
//! `wallet-sim` data directory; the wallet binary driven with `--json` is in [`crate::wallet_cli`].

use std::time::Duration;

use federated_idv::employer::CheckResult;
use federated_idv::enrol::{self, OnboardedRelyingParty};
use federated_idv::operator::{RelyingPartySpec, TrustFrameworkOperator};
use federated_idv::provider::{AGE, IDENTITY, IssuerOperator, proofed_citizen};
use idv_federation::child::{Binaries, ProcessEnv, ProcessFederation};
use idv_federation::{Deployment as _, Federation, FederationBuilder};
use idv_jose::{Clock as _, SystemClock};
use idv_test_support::TestDb;
use serde_json::Value;
use tempfile::TempDir;

use crate::wallet_cli::{WalletCli, WalletRun};

/// Longest wait for a check to finish after the wallet answered.
pub(crate) const RESULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Where the services keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The running federation and its parties. Fields drop in order: the processes are killed
/// before their databases and files go.
pub(crate) struct World {
    pub(crate) federation: ProcessFederation,
    pub(crate) operator: TrustFrameworkOperator,
    pub(crate) provider: IssuerOperator,
    /// The identity provider's register entry.
    pub(crate) entry_id: String,
    pub(crate) employer: OnboardedRelyingParty,
    pub(crate) shop: OnboardedRelyingParty,
    pub(crate) wallet: WalletCli,
    _databases: Vec<TestDb>,
    _dir: TempDir,
}

impl World {
    /// Starts the federation on `backend` and puts everyone on the register.
    pub(crate) async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |builder| builder, ProcessEnv::default()).await
    }

    /// [`World::start`] with the services' configurations changed by `adjust` (the builder's
    /// hooks, as in process) and `env` added to their processes' environment.
    pub(crate) async fn start_with(
        backend: Backend,
        adjust: impl FnOnce(FederationBuilder<'static>) -> FederationBuilder<'static>,
        env: ProcessEnv,
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("idv-e2e-")
            .tempdir()
            .unwrap();
        // The verifier refetches the trust list at least every second, so a change on the
        // register reaches the next check without waiting for `next_update`; the issuer checks
        // its own register entry before it offers or issues.
        let mut builder = Federation::builder()
            .data_dir(dir.path().join("services"))
            .issuer_checks_register()
            .verifier_config(|c| c.trust.refresh_secs = 1);
        let mut databases = Vec::new();
        if backend == Backend::Postgres {
            for _ in 0..3 {
                databases.push(TestDb::postgres().await);
            }
            builder = builder
                .trust_framework_on(databases[0].url())
                .issuer_on(databases[1].url())
                .verifier_on(databases[2].url());
        }
        let bins = Binaries::beside_current_exe().unwrap();
        let federation = adjust(builder)
            .start_processes(&bins, &env)
            .await
            .unwrap_or_else(|e| panic!("the federation did not start: {e}"));

        let client = reqwest::Client::new();
        let endpoints = federation.endpoints().clone();
        let operator = endpoints.operator(&client);
        let (registered, employer) =
            enrol::enrol_examples(&federation, &operator, &["RTW", "AGE"], &client)
                .await
                .unwrap_or_else(|e| panic!("enrolling the parties: {e}\n{}", federation.logs()));
        let shop = enrol::enrol_relying_party(
            &federation,
            &operator,
            &RelyingPartySpec::example_shop(),
            &client,
        )
        .await
        .unwrap_or_else(|e| panic!("onboarding the shop: {e}\n{}", federation.logs()));
        let wallet = WalletCli {
            bins,
            data_dir: dir.path().join("wallet"),
            trust_list_url: endpoints.trust_list_url(),
            anchor_file: endpoints.anchor_file.clone(),
        };
        Self {
            provider: endpoints.provider(&client),
            operator,
            entry_id: registered.entry_id,
            employer,
            shop,
            wallet,
            federation,
            _databases: databases,
            _dir: dir,
        }
    }

    /// The test database of a service (`0` the trust framework, `1` the issuer, `2` the
    /// verifier); PostgreSQL only.
    pub(crate) fn database(&self, service: usize) -> &TestDb {
        &self._databases[service]
    }

    /// The services' logs, for failure messages.
    pub(crate) fn logs(&self) -> String {
        self.federation.logs()
    }

    /// The provider records the proofed citizen and offers both credentials; the wallet
    /// receives them (`wallet-sim receive <link> --tx-code <code>`). Returns the identity id.
    pub(crate) async fn citizen_with_credentials(&self) -> String {
        let now = SystemClock.now();
        let identity_id = self
            .provider
            .record_identity(&proofed_citizen(now))
            .await
            .unwrap();
        let offer = self
            .provider
            .offer(&identity_id, &[IDENTITY, AGE])
            .await
            .unwrap();
        let tx_code = offer.tx_code.clone().unwrap();
        let received = self
            .wallet
            .run(&["receive", &offer.offer_link, "--tx-code", &tx_code])
            .await;
        let received = received.success(self);
        let credentials = received["credentials"].as_array().unwrap();
        assert_eq!(credentials.len(), 2, "{received:#}");
        for credential in credentials {
            assert_eq!(
                credential["issuer"]["entry_id"], self.entry_id,
                "the wallet found the issuer on the register: {credential:#}"
            );
        }
        identity_id
    }

    /// `relying_party` creates a check of `template`; the citizen answers it with
    /// `wallet-sim present <wallet_url> --approve`; returns the wallet's outcome and the
    /// relying party's result.
    pub(crate) async fn check(
        &self,
        relying_party: &OnboardedRelyingParty,
        template: &str,
    ) -> (WalletRun, CheckResult) {
        let created = relying_party
            .employer
            .create_check(template)
            .await
            .unwrap_or_else(|e| panic!("creating a {template} check: {e}\n{}", self.logs()));
        let presented = self
            .wallet
            .run(&["present", &created.wallet_url, "--approve"])
            .await;
        let result = relying_party
            .employer
            .wait_for_result(&created.id, RESULT_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{e}\nwallet: {presented:?}\n{}", self.logs()));
        (presented, result)
    }
}

/// The claim paths a `wallet-sim present --json` outcome shows as shared.
pub(crate) fn shared_claims(presented: &Value) -> Vec<String> {
    presented["shared"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|credential| {
            credential["disclosed"]["selected"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|claim| claim["path"].to_string())
        })
        .collect()
}
