//! The startup seam: [`Application::build`] (production) and [`Application::build_with`] (the
//! parts tests inject: listener, store, clock) bind the listener (port 0 picks a free one, see
//! `Service::port`), open the database `trust-framework init` created (refusing to start on any
//! other, so that run in the wrong directory it creates nothing), open the register and build
//! the router;
//! `Service::run_until_stopped` serves until ctrl-c or SIGTERM.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use idv_jose::Random;
use idv_service_kit::config::ConfigError;
use idv_service_kit::http::Listener;
use idv_service_kit::limits::ServiceLimits;
use idv_service_kit::metrics::Metrics;
use idv_service_kit::startup::Service;

use crate::config::TrustFrameworkConfig;
use crate::http::{AppState, router};
use crate::register::{Register, SetupError};
use crate::store::{Store, StoreError};

/// Why the service could not start: the configuration, the store, the register (e.g. not
/// initialised), the listen address.
pub type StartupError = idv_service_kit::startup::StartupError<StoreError, SetupError>;

/// What the service is built from besides its configuration (tests inject theirs).
pub type Parts = idv_service_kit::startup::Parts<Store>;

/// A built, not yet serving, trust-framework service.
#[derive(Debug)]
pub struct Application {
    listener: Listener,
    state: AppState,
    random: Arc<dyn Random>,
}

impl Application {
    /// Builds the service as `serve` does: `http.listen` bound, the configured database, the
    /// system clock and randomness.
    pub async fn build(config: TrustFrameworkConfig) -> Result<Self, StartupError> {
        Self::build_with(config, Parts::default()).await
    }

    /// Builds the service from `parts`: a listener bound beforehand (`http.listen` is then not
    /// bound, so a test can configure `http.public_url` with the port it got), a store already
    /// open in this process (the harness's, which ran `init` on it), an injected clock.
    pub async fn build_with(
        config: TrustFrameworkConfig,
        mut parts: Parts,
    ) -> Result<Self, StartupError> {
        let settings = config.register_settings()?;
        let listener = parts.listener(config.http.listen).await?;
        let store = parts
            .store_or(Store::open_initialised(&config))
            .await
            .map_err(StartupError::Store)?;
        let limits = ServiceLimits::new(
            config.limits.trusted_proxies.clone(),
            config.limits.per_ip,
            config.limits.operator_per_ip,
            config.limits.max_body_bytes,
        )
        .map_err(|e| ConfigError::Rejected(format!("limits: {e}")))?;
        let register = Register::open(store, parts.clock, settings)
            .await
            .map_err(StartupError::Open)?;
        let metrics = Metrics::install(&config.metrics);
        crate::register::operations::describe_metrics();
        Ok(Self {
            listener,
            state: AppState {
                register,
                metrics,
                limits,
            },
            random: parts.random,
        })
    }
}

impl Service for Application {
    async fn run_until<F>(self, shutdown: F) -> std::io::Result<()>
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
            self.random,
            &metrics,
        )
        .await;
        register.close().await;
        served
    }

    fn address(&self) -> SocketAddr {
        self.listener.address()
    }
}
