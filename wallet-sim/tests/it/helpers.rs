//! A federation in one process over real HTTP on 127.0.0.1, started by the federation harness
//! (`idv_federation`), and the real `wallet-sim` binary run against it with its own data
//! directory and `--json` ([`wallet`]).
//!
//! - the trust framework (its own SQLite database), with the issuer registered as a certified
//!   IDSP (RTW, AGE) and the employer as a relying party (RTW and AGE purposes);
//! - the issuer service, whose public URL is the address it listens on;
//! - the verifier service with the employer as an attested tenant.
//!
//! The binary reads the system clock, so each service runs on a `ManualClock` set to the real
//! time (the trust framework registers everyone two days earlier, as an operator would have).

mod clients;
mod wallet;

use std::sync::Arc;

use idv_federation::api::Api;
use idv_federation::in_process::{ISSUER_ORGANISATION, relying_party_entry};
use idv_jose::{Clock, ManualClock, PublicKey, SystemClock};
use idv_test_support::oidc_provider::OidcProvider;

pub(crate) use clients::{Issuer, Verifier};
pub(crate) use idv_test_support::server::TestServer as Server;
pub(crate) use wallet::{Run, Wallet};

const DAY: i64 = 24 * 60 * 60;
/// The employer's client identifier on the trust list.
pub(crate) const EMPLOYER: &str = "employer.example.co.uk";
pub(crate) const EMPLOYER_NAME: &str = "Example Employer Ltd";
pub(crate) const IDSP_NAME: &str = ISSUER_ORGANISATION;
pub(crate) const IDENTITY: &str = "uk_identity";
pub(crate) const AGE: &str = "uk_age";
pub(crate) const IDENTITY_VCT: &str = idv_checks::templates::IDENTITY_VCT;
pub(crate) const AGE_VCT: &str = idv_checks::templates::AGE_VCT;

pub(crate) struct Federation {
    pub(crate) issuer: Issuer,
    pub(crate) verifier: Verifier,
    pub(crate) issuer_iss: String,
    /// The provider's OpenID Provider, citizens' sign-in (see [`Federation::start_with_sign_in`]).
    pub(crate) op: Option<OidcProvider>,
    list_url: String,
    anchor: PublicKey,
    harness: idv_federation::Federation,
}

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
        // The trust framework, initialised by its operator two days ago.
        let tf_clock = Arc::new(ManualClock::new(real_now() - 2 * DAY));
        let issuer_clock = Arc::new(ManualClock::new(real_now()));
        let verifier_clock = Arc::new(ManualClock::new(real_now()));
        let moved = Arc::clone(&tf_clock);
        let mut builder = idv_federation::Federation::builder()
            .trust_framework_clock(Arc::clone(&tf_clock) as _)
            .issuer_clock(Arc::clone(&issuer_clock) as _)
            .issuer_config(|c| c.status.list_size = 1024)
            .issuer_registered()
            .relying_party(
                relying_party_entry(EMPLOYER_NAME, EMPLOYER, &["right_to_work"]).unwrap(),
            )
            // Registrations, as the operator did two days ago.
            .after_registration(move || moved.set(real_now()))
            .verifier_clock(verifier_clock as _)
            .tenant(EMPLOYER_NAME, EMPLOYER);
        if sign_in {
            builder = builder.with_sign_in();
        }
        let mut harness = builder.start().await.unwrap();
        let client = harness.client.clone();
        let started = harness.issuer.as_ref().unwrap();
        let issuer = Issuer {
            address: started.url.clone(),
            api: Api::new(client.clone(), started.url.clone(), started.token.clone()),
            clock: issuer_clock,
        };
        let verifier = Verifier {
            address: harness.verifier.as_ref().unwrap().url.clone(),
            api_key: harness
                .tenant(EMPLOYER)
                .unwrap()
                .api_key
                .expose()
                .to_owned(),
            client,
        };
        Self {
            issuer_iss: issuer.address.clone(),
            issuer,
            verifier,
            op: harness.op.take(),
            list_url: harness.trust_framework.list_url(),
            anchor: PublicKey::from_jwk_value(&harness.trust_framework.anchor).unwrap(),
            harness,
        }
    }

    /// The register operator's API client.
    pub(crate) fn operator(&self) -> idv_federation::operator::TrustFrameworkOperator {
        self.harness.operator()
    }

    /// A wallet pinned to this federation's trust framework (through its config.toml).
    pub(crate) fn wallet(&self) -> Wallet {
        Wallet::new(&self.list_url, &self.anchor)
    }

    pub(crate) async fn stop(self) {
        self.harness.stop().await.unwrap();
    }
}

/// A port nothing listens on (one just released).
pub(crate) fn closed_port() -> u16 {
    idv_federation::free_port().unwrap()
}
