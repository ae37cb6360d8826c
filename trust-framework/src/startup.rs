//! The startup seam: [`Application::build`] connects the database, opens the register, binds
//! the listener (port 0 picks a free one, see [`Application::port`]) and builds the router;
//! `run_until_stopped` serves until ctrl-c or SIGTERM.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use idv_jose::{Clock, SystemClock, SystemRandom};
use idv_service_kit::config::ConfigError;
use idv_service_kit::http::{BindError, Listener};
use idv_service_kit::metrics::Metrics;
use tokio::net::TcpListener;

use crate::config::TrustFrameworkConfig;
use crate::http::{AppState, Limits, router};
use crate::register::{Register, RegisterError};
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
    /// The register cannot be opened (e.g. not initialised).
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// The listen address cannot be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
}

/// A built, not yet serving, trust-framework service.
#[derive(Debug)]
pub struct Application {
    listener: Listener,
    state: AppState,
}

impl Application {
    /// Builds the service with the system clock.
    pub async fn build(config: TrustFrameworkConfig) -> Result<Self, StartupError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Builds the service with an injected clock (tests use `ManualClock`).
    pub async fn build_with_clock(
        config: TrustFrameworkConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bind(config.http.listen).await?;
        let store = config.connect_store().await?;
        Self::assemble(config, listener, store, clock).await
    }

    /// Builds the service on an already bound `listener` (`http.listen` is not used), so a
    /// test can configure `http.public_url` with the port it got.
    pub async fn build_on(
        config: TrustFrameworkConfig,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bound(listener, config.http.listen)?;
        let store = config.connect_store().await?;
        Self::assemble(config, listener, store, clock).await
    }

    /// Builds the service on a bound listener and a store already open in this process (the
    /// in-process launcher's, which ran `init` on it): one database handle per process.
    pub async fn build_on_store(
        config: TrustFrameworkConfig,
        listener: TcpListener,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bound(listener, config.http.listen)?;
        Self::assemble(config, listener, store, clock).await
    }

    /// Opens the register on `store` and readies serving it on `listener`.
    async fn assemble(
        config: TrustFrameworkConfig,
        listener: Listener,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let settings = config.register_settings()?;
        let limits = Limits::new(&config.limits)
            .map_err(|e| ConfigError::Rejected(format!("limits: {e}")))?;
        let register = Register::open(store, clock, settings).await?;
        let metrics = Metrics::install(&config.metrics);
        crate::register::operations::describe_metrics();
        Ok(Self {
            listener,
            state: AppState {
                register,
                metrics,
                limits,
            },
        })
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
        tracing::info!(http.address = %self.listener.address(), "trust-framework listening");
        let register = self.state.register.clone();
        let metrics = self.state.metrics.clone();
        let served = idv_service_kit::http::serve_with(
            self.listener,
            router(self.state),
            shutdown,
            Arc::new(SystemRandom),
            &metrics,
        )
        .await;
        register.close().await;
        served
    }
}
