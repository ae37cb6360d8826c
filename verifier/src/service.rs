//! [`Verifier`]: the verifier's use-case areas composed on one store, clock and randomness,
//! shared by the HTTP API, the background tasks and the CLI. Each area is a type owning the
//! state it needs (clones of the store handle, clock and randomness, and its own keys and
//! caches), and areas depend on each other one way only:
//!
//! - at the bottom, [`TrustSources`] (trust list, status lists, credential types),
//!   [`ServiceKeys`] (evidence and ID token keys), [`Tenants`] (with the tenant cache) and
//!   [`Webhooks`] (delivery of the outbox; checks use only its destination rule);
//! - [`Checks`] on those: create, read, confirm and erase a check, its open wallet requests,
//!   and every way a check ends (with its webhook event);
//! - on [`Checks`]: the wallet-facing [`Exchange`], [`Evidence`], [`Retention`] and the
//!   [`OpenIdProvider`] bridge; [`Operations`] reads the store and the trust sources.
//!
//! No axum, no SQL: the store does the SQL, `crate::http` the HTTP.

use std::sync::Arc;

use idv_checks::templates::{Template, TemplateError, Templates};
use idv_fetch::http::FetchError;
use idv_jose::{Clock, Random};

use crate::checks::Checks;
use crate::config::Settings;
use crate::evidence::Evidence;
use crate::exchange::Exchange;
use crate::keys::{KeyError, ServiceKeys};
use crate::oidc::OpenIdProvider;
use crate::operations::Operations;
use crate::retention::Retention;
use crate::store::Store;
use crate::tenants::Tenants;
use crate::trust::TrustSources;
use crate::webhooks::Webhooks;

/// Why the verifier could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The evidence or ID token signing key could not be created or loaded.
    #[error("the verifier's signing keys are unusable")]
    Keys(#[from] KeyError),
    /// A built-in template does not compile.
    #[error(transparent)]
    Templates(#[from] TemplateError),
    /// The trust and status list fetcher could not be built.
    #[error(transparent)]
    Fetcher(#[from] FetchError),
    /// The webhook HTTP client could not be built.
    #[error("the webhook HTTP client could not be built")]
    WebhookClient(#[source] reqwest::Error),
}

/// The verifier's use cases. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Verifier {
    store: Store,
    settings: Arc<Settings>,
    templates: Arc<Templates>,
    pub(crate) random: Arc<dyn Random>,
    trust: TrustSources,
    keys: ServiceKeys,
    tenants: Tenants,
    checks: Checks,
    exchange: Exchange,
    evidence: Evidence,
    webhooks: Webhooks,
    retention: Retention,
    oidc: OpenIdProvider,
    operations: Operations,
}

impl Verifier {
    /// Opens the verifier on `store`: loads (or creates, once) the evidence and ID token
    /// signing keys and prepares the trust list and status list clients. Nothing is fetched yet.
    pub async fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: Settings,
    ) -> Result<Self, OpenError> {
        let settings = Arc::new(settings);
        let keys =
            ServiceKeys::open(store.clone(), Arc::clone(&clock), &settings.public_url).await?;
        let templates = Arc::new(Templates::builtin()?);
        let trust = TrustSources::new(&store, &clock, &random, &settings)?;
        let webhooks = Webhooks::new(store.clone(), Arc::clone(&clock), &settings)
            .map_err(OpenError::WebhookClient)?;
        let tenants = Tenants::new(
            store.clone(),
            Arc::clone(&clock),
            Arc::clone(&random),
            &settings,
        );
        let checks = Checks {
            store: store.clone(),
            clock: Arc::clone(&clock),
            random: Arc::clone(&random),
            settings: Arc::clone(&settings),
            templates: Arc::clone(&templates),
            tenants: tenants.clone(),
            trust: trust.clone(),
            keys: keys.clone(),
            open_requests: Arc::default(),
        };
        let exchange = Exchange::new(checks.clone(), trust.clone());
        let evidence = Evidence::new(checks.clone(), keys.clone());
        let retention = Retention::new(checks.clone());
        let oidc = OpenIdProvider::new(checks.clone(), keys.clone());
        let operations = Operations::new(store.clone(), Arc::clone(&clock), trust.clone());
        Ok(Self {
            store,
            settings,
            templates,
            random,
            trust,
            keys,
            tenants,
            checks,
            exchange,
            evidence,
            webhooks,
            retention,
            oidc,
            operations,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The templates offered.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter()
    }

    /// The trust list, status list and credential type clients.
    pub fn trust(&self) -> &TrustSources {
        &self.trust
    }

    /// The verifier's own signing keys (evidence, ID token).
    pub fn keys(&self) -> &ServiceKeys {
        &self.keys
    }

    /// Tenants: the operator's actions and API key authentication.
    pub fn tenants(&self) -> &Tenants {
        &self.tenants
    }

    /// Checks: create, read, confirm, erase.
    pub fn checks(&self) -> &Checks {
        &self.checks
    }

    /// The wallet-facing OpenID4VP exchange: request objects and responses.
    pub fn exchange(&self) -> &Exchange {
        &self.exchange
    }

    /// What the employer keeps: the evidence package and the clear copy.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// Webhook delivery from the outbox.
    pub fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    /// The sweeper: expiry and the purge of personal data.
    pub fn retention(&self) -> &Retention {
        &self.retention
    }

    /// The OpenID Provider bridge.
    pub fn oidc(&self) -> &OpenIdProvider {
        &self.oidc
    }

    /// Readiness and the gauges read at scrape time.
    pub fn operations(&self) -> &Operations {
        &self.operations
    }

    /// Closes the database pool.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
