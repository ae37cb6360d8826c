//! The startup seam: [`Application::build`] (production) and [`Application::build_with`] (the
//! parts tests inject: listener, store, clock, randomness) bind the listener (port 0 picks a
//! free one, see `Service::port`), open the database `issuer init` created (refusing to start
//! on any other, so that run in the wrong directory it creates nothing), open the issuer and
//! build the router; `Service::run_until_stopped` serves until ctrl-c
//! or SIGTERM, with the trust list refresher (with `[trust]`) beside the server.

use std::future::Future;
use std::net::SocketAddr;

use idv_service_kit::config::ConfigError;
use idv_service_kit::http::Listener;
use idv_service_kit::metrics::Metrics;
use idv_service_kit::startup::Service;

use crate::config::IssuerConfig;
use crate::http::{AppState, Limits, router};
use crate::issuance::{Issuer, KeyError, OperatorError};
use crate::store::{Store, StoreError};

/// Why the service could not start: the configuration, the store, the signing key, the listen
/// address.
pub type StartupError = idv_service_kit::startup::StartupError<StoreError, KeyError>;

/// What the service is built from besides its configuration (tests inject theirs).
pub type Parts = idv_service_kit::startup::Parts<Store>;

/// A built, not yet serving, issuer service.
#[derive(Debug)]
pub struct Application {
    listener: Listener,
    state: AppState,
}

impl Application {
    /// Builds the service as `serve` does: `http.listen` bound, the configured database, the
    /// system clock and randomness.
    pub async fn build(config: IssuerConfig) -> Result<Self, StartupError> {
        Self::build_with(config, Parts::default()).await
    }

    /// Builds the service from `parts`: a listener bound beforehand, a store already open in
    /// this process (the harness's, which ran `init` on it), an injected clock and randomness.
    pub async fn build_with(config: IssuerConfig, mut parts: Parts) -> Result<Self, StartupError> {
        let settings = config.issuer_settings()?;
        let limits = Limits::new(&config.limits)
            .map_err(|e| ConfigError::Rejected(format!("limits: {e}")))?;
        let listener = parts.listener(config.http.listen).await?;
        let store = parts
            .store_or(Store::open_initialised(&config))
            .await
            .map_err(StartupError::Store)?;
        let issuer = Issuer::open(store, parts.clock, parts.random, settings)
            .await
            .map_err(StartupError::Open)?;
        match issuer.operator_access().has_operator_token().await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "no operator token exists: run `issuer init` to create one for the operator API"
            ),
            Err(OperatorError::Store(e)) => return Err(StartupError::Store(e)),
            Err(_) => {}
        }
        match &config.trust {
            Some(trust) => tracing::info!(
                trust.list_url = %trust.list_url,
                "offers and issuance need this provider's register entry certified on the trust list"
            ),
            None => tracing::warn!(
                "no [trust] configured: credentials are offered and issued without checking this \
                 provider's register entry on the trust list; production issuers must configure it"
            ),
        }
        let metrics = Metrics::install(&config.metrics);
        crate::issuance::operations::describe_metrics();
        Ok(Self {
            listener,
            state: AppState {
                issuer,
                metrics,
                limits,
            },
        })
    }

    /// The use cases, sharing the service's database handle (for operator commands run in
    /// the same process, [`crate::cli::execute_on`]).
    pub fn issuer(&self) -> &Issuer {
        &self.state.issuer
    }
}

impl Service for Application {
    async fn run_until<F>(self, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tracing::info!(http.address = %self.listener.address(), "issuer listening");
        let issuer = self.state.issuer.clone();
        // The trust list refresher: every second, a refresh starts if one is due (it runs in
        // its own task; no request waits for it while the held list is valid).
        let refresher = {
            let issuer = issuer.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(std::time::Duration::from_secs(1));
                loop {
                    ticks.tick().await;
                    issuer.certification().refresh_trust_list_if_due();
                }
            })
        };
        let metrics = self.state.metrics.clone();
        let served = idv_service_kit::http::serve_with(
            self.listener,
            router(self.state),
            shutdown,
            issuer.random(),
            &metrics,
        )
        .await;
        refresher.abort();
        issuer.close().await;
        served
    }

    fn address(&self) -> SocketAddr {
        self.listener.address()
    }
}
