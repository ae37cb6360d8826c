//! The startup seam: [`Application::build`] connects the database, opens the issuer (creating
//! its signing key on first start), binds the listener (port 0 picks a free one, see
//! [`Application::port`]) and builds the router; `run_until_stopped` serves until ctrl-c or
//! SIGTERM, with the trust list refresher (with `[trust]`) beside the server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use idv_jose::{Clock, Random, SystemClock, SystemRandom};
use idv_service_kit::config::ConfigError;
use idv_service_kit::http::{BindError, Listener};
use idv_service_kit::metrics::Metrics;
use tokio::net::TcpListener;

use crate::config::IssuerConfig;
use crate::http::{AppState, Limits, router};
use crate::issuance::{Issuer, KeyError, OperatorError};
use crate::store::{Store, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database is unreachable or its migrations fail.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The signing key cannot be created or loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The listen address cannot be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
}

/// A built, not yet serving, issuer service.
#[derive(Debug)]
pub struct Application {
    listener: Listener,
    state: AppState,
}

impl Application {
    /// Builds the service with the system clock and randomness.
    pub async fn build(config: IssuerConfig) -> Result<Self, StartupError> {
        Self::build_with(config, Arc::new(SystemClock), Arc::new(SystemRandom)).await
    }

    /// Builds the service with an injected clock (tests use `ManualClock`).
    pub async fn build_with_clock(
        config: IssuerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        Self::build_with(config, clock, Arc::new(SystemRandom)).await
    }

    /// Builds the service with an injected clock and randomness.
    pub async fn build_with(
        config: IssuerConfig,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bind(config.http.listen).await?;
        let store = config.connect_store().await?;
        Self::assemble(config, listener, store, clock, random).await
    }

    /// Builds the service on a listener already bound (tests that must know the port before
    /// the service starts keep it bound meanwhile).
    pub async fn build_on(
        config: IssuerConfig,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bound(listener, config.http.listen)?;
        let store = config.connect_store().await?;
        Self::assemble(config, listener, store, clock, random).await
    }

    /// Builds the service on a bound listener and a store already open in this process (the
    /// in-process launcher's, which ran `init` on it): one database handle per process.
    pub async fn build_on_store(
        config: IssuerConfig,
        listener: TcpListener,
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bound(listener, config.http.listen)?;
        Self::assemble(config, listener, store, clock, random).await
    }

    /// Opens the issuer on `store` and readies serving it on `listener`.
    async fn assemble(
        config: IssuerConfig,
        listener: Listener,
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, StartupError> {
        let settings = config.issuer_settings()?;
        let limits = Limits::new(&config.limits)
            .map_err(|e| ConfigError::Rejected(format!("limits: {e}")))?;
        let issuer = Issuer::open(store, clock, random, settings).await?;
        match issuer.has_operator_token().await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "no operator token exists: run `issuer init` to create one for the operator API"
            ),
            Err(OperatorError::Store(e)) => return Err(e.into()),
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

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.address().port()
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.listener.address()
    }

    /// Serves until ctrl-c or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(idv_service_kit::http::shutdown_signal())
            .await
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the
    /// database pool.
    pub async fn run_until<F>(self, shutdown: F) -> std::io::Result<()>
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
                    issuer.refresh_trust_list_if_due();
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
}
