//! [`FederationBuilder`]: which services to start, on which databases and clocks, what the
//! register holds before the verifier starts, and the tenants it then has.

use std::path::PathBuf;
use std::sync::Arc;

use idv_jose::{Clock, SystemClock};
use issuer::config::IssuerConfig;
use trust_framework::config::TrustFrameworkConfig;
use verifier::config::VerifierConfig;

use super::configs::Storage;
use super::registrations::{ProviderRegistration, RelyingPartyRegistration};
use super::{Federation, start};
use crate::child::{Binaries, ProcessEnv, ProcessFederation};
use crate::error::LaunchError;

/// A change to a service's configuration.
pub(crate) type Hook<'a, C> = Box<dyn FnOnce(&mut C) + Send + 'a>;

/// Which services a [`Federation`] starts and how (see [`Federation::builder`]).
pub struct FederationBuilder<'a> {
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) trust_framework_db: Option<Storage>,
    pub(crate) trust_framework_clock: Arc<dyn Clock>,
    pub(crate) trust_framework_hooks: Vec<Hook<'a, TrustFrameworkConfig>>,
    pub(crate) issuer: Option<Option<Storage>>,
    pub(crate) issuer_clock: Arc<dyn Clock>,
    pub(crate) issuer_hooks: Vec<Hook<'a, IssuerConfig>>,
    pub(crate) issuer_checks_register: bool,
    pub(crate) issuer_registered: bool,
    pub(crate) sign_in: bool,
    pub(crate) verifier: Option<Option<Storage>>,
    pub(crate) verifier_clock: Arc<dyn Clock>,
    pub(crate) verifier_hooks: Vec<Hook<'a, VerifierConfig>>,
    pub(crate) trust_refresh_secs: Option<u64>,
    pub(crate) providers: Vec<ProviderRegistration>,
    pub(crate) relying_parties: Vec<RelyingPartyRegistration>,
    pub(crate) after_registration: Option<Box<dyn FnOnce() + Send + 'a>>,
    pub(crate) tenants: Vec<(String, String)>,
}

impl std::fmt::Debug for FederationBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederationBuilder")
            .field("data_dir", &self.data_dir)
            .field("issuer", &self.issuer)
            .field("verifier", &self.verifier)
            .field("sign_in", &self.sign_in)
            .finish_non_exhaustive()
    }
}

impl Default for FederationBuilder<'_> {
    fn default() -> Self {
        Self {
            data_dir: None,
            trust_framework_db: None,
            trust_framework_clock: Arc::new(SystemClock),
            trust_framework_hooks: Vec::new(),
            issuer: None,
            issuer_clock: Arc::new(SystemClock),
            issuer_hooks: Vec::new(),
            issuer_checks_register: false,
            issuer_registered: false,
            sign_in: false,
            verifier: None,
            verifier_clock: Arc::new(SystemClock),
            verifier_hooks: Vec::new(),
            trust_refresh_secs: None,
            providers: Vec::new(),
            relying_parties: Vec::new(),
            after_registration: None,
            tenants: Vec::new(),
        }
    }
}

impl<'a> FederationBuilder<'a> {
    /// Keeps every service's SQLite file (and the anchor file) in `dir`; without it, each
    /// service gets a fresh test database and the files a temporary folder.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Runs every service on `clock`.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.trust_framework_clock = Arc::clone(&clock);
        self.issuer_clock = Arc::clone(&clock);
        self.verifier_clock = clock;
        self
    }

    /// Runs the trust framework on `clock`.
    pub fn trust_framework_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.trust_framework_clock = clock;
        self
    }

    /// Runs the trust framework on the database at `url`.
    pub fn trust_framework_on(mut self, url: &str) -> Self {
        self.trust_framework_db = Some(Storage::Url(url.to_owned()));
        self
    }

    /// Changes the trust framework's configuration.
    pub fn trust_framework_config(
        mut self,
        hook: impl FnOnce(&mut TrustFrameworkConfig) + Send + 'a,
    ) -> Self {
        self.trust_framework_hooks.push(Box::new(hook));
        self
    }

    /// Starts the issuer (on a fresh database, or in the data directory).
    pub fn with_issuer(mut self) -> Self {
        self.issuer.get_or_insert(None);
        self
    }

    /// Starts the issuer on the database at `url`.
    pub fn issuer_on(mut self, url: &str) -> Self {
        self.issuer = Some(Some(Storage::Url(url.to_owned())));
        self
    }

    /// Runs the issuer on `clock`.
    pub fn issuer_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.issuer_clock = clock;
        self
    }

    /// Changes the issuer's configuration.
    pub fn issuer_config(mut self, hook: impl FnOnce(&mut IssuerConfig) + Send + 'a) -> Self {
        self.issuer_hooks.push(Box::new(hook));
        self
    }

    /// The issuer checks its own register entry before it offers or issues (`[trust]`).
    pub fn issuer_checks_register(mut self) -> Self {
        self.issuer_checks_register = true;
        self
    }

    /// The register's operator registers the issuer as a certified IDSP (RTW, AGE) before the
    /// verifier starts (see [`super::ISSUER_ORGANISATION`]).
    pub fn issuer_registered(mut self) -> Self {
        self.issuer_registered = true;
        self.with_issuer()
    }

    /// Citizens sign in at the provider's OpenID Provider (a real `oidc-provider`) to be
    /// offered credentials (the authorization code flow); starts the issuer.
    pub fn with_sign_in(mut self) -> Self {
        self.sign_in = true;
        self.with_issuer()
    }

    /// Starts the verifier (on a fresh database, or in the data directory).
    pub fn with_verifier(mut self) -> Self {
        self.verifier.get_or_insert(None);
        self
    }

    /// Starts the verifier on the database at `url`.
    pub fn verifier_on(mut self, url: &str) -> Self {
        self.verifier = Some(Some(Storage::Url(url.to_owned())));
        self
    }

    /// Runs the verifier on `clock`.
    pub fn verifier_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.verifier_clock = clock;
        self
    }

    /// Changes the verifier's configuration.
    pub fn verifier_config(mut self, hook: impl FnOnce(&mut VerifierConfig) + Send + 'a) -> Self {
        self.verifier_hooks.push(Box::new(hook));
        self
    }

    /// How often the issuer and the verifier refetch the register (`[trust] refresh_secs`).
    pub fn trust_refresh_secs(mut self, seconds: u64) -> Self {
        self.trust_refresh_secs = Some(seconds);
        self
    }

    /// Puts `provider` on the register before the verifier starts.
    pub fn provider(mut self, provider: ProviderRegistration) -> Self {
        self.providers.push(provider);
        self
    }

    /// Puts a relying party on the register before the verifier starts.
    pub fn relying_party(mut self, entry: serde_json::Value) -> Self {
        self.relying_parties
            .push(RelyingPartyRegistration { entry });
        self
    }

    /// Runs `then` once the register's entries are made, before the verifier starts (e.g.
    /// to move a clock from the day of registration to the test's present).
    pub fn after_registration(mut self, then: impl FnOnce() + Send + 'a) -> Self {
        self.after_registration = Some(Box::new(then));
        self
    }

    /// Adds a verifier tenant `name` for the relying party registered as `client_id`, its
    /// request-signing key attested by the register (see [`Federation::tenant`]).
    pub fn tenant(mut self, name: &str, client_id: &str) -> Self {
        self.tenants.push((name.to_owned(), client_id.to_owned()));
        self.with_verifier()
    }

    /// Starts the federation.
    pub async fn start(self) -> Result<Federation, LaunchError> {
        start::start(self).await
    }

    /// Starts the trust framework, the issuer and the verifier (always the three) as child
    /// processes of `bins`, each with `env` added to its cleared environment (see
    /// [`ProcessEnv`]): the same configurations and hooks as [`Self::start`], each written as
    /// the service's `--config` file. The processes run on the system's clock; settings that
    /// exist only in process (registrations, tenants, sign-in) are refused.
    pub async fn start_processes(
        self,
        bins: &Binaries,
        env: &ProcessEnv,
    ) -> Result<ProcessFederation, LaunchError> {
        crate::child::federation::start(self, bins, env).await
    }
}
