//! The startup seam: [`Application::build`] (production) and [`Application::build_with`] (the
//! parts tests inject: listener, store, clock, randomness) bind the listener (port 0 picks a
//! free one, see `Service::port`), check the settings, connect and migrate the database and
//! open the [`Verifier`]. `Service::run_until` serves, with three background tasks beside the
//! server: the webhook outbox worker, the retention sweeper and the trust list refresher (every
//! second it starts a refresh if one is due: `next_update`, `trust.refresh_secs` since the last
//! fetch, back-off after failures; the fetch itself runs in its own task). On shutdown the
//! server finishes in-flight requests, the tasks stop after their current pass, and the
//! database pool closes.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use idv_service_kit::config::ConfigError;
use idv_service_kit::http::Listener;
use idv_service_kit::metrics::Metrics;
use idv_service_kit::startup::Service;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::VerifierConfig;
use crate::http::{AppState, router};
use crate::service::{OpenError, Verifier};
use crate::store::{Store, StoreError};

/// Why the service could not start: the configuration, the store, opening the verifier, the
/// listen address.
pub type StartupError = idv_service_kit::startup::StartupError<StoreError, OpenError>;

/// What the service is built from besides its configuration (tests inject theirs).
pub type Parts = idv_service_kit::startup::Parts<Store>;

/// A built, not yet serving, verifier service.
#[derive(Debug)]
pub struct Application {
    listener: Listener,
    verifier: Verifier,
    state: AppState,
}

impl Application {
    /// Builds the service as `serve` does: `http.listen` bound, the configured database, the
    /// system clock and CSPRNG.
    pub async fn build(config: VerifierConfig) -> Result<Self, StartupError> {
        Self::build_with(config, Parts::default()).await
    }

    /// Builds the service from `parts`: a listener bound by the caller (`http.listen` is then
    /// unused: tests, which must know the port before `http.public_url` is set, and socket
    /// activation), a store already open, an injected clock and randomness.
    pub async fn build_with(
        config: VerifierConfig,
        mut parts: Parts,
    ) -> Result<Self, StartupError> {
        let listener = parts.listener(config.http.listen).await?;
        let verifier = open_with(&config, parts).await?;
        let metrics = Metrics::install(&config.metrics);
        crate::operations::describe_metrics();
        let state = AppState::new(verifier.clone(), metrics)
            .map_err(|e| StartupError::Config(ConfigError::Rejected(format!("limits: {e}"))))?;
        Ok(Self {
            listener,
            verifier,
            state,
        })
    }

    /// The use cases (for the CLI and tests working beside the server).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

impl Service for Application {
    async fn run_until<F>(self, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tracing::info!(http.address = %self.listener.address(), "verifier listening");
        let verifier = self.verifier;
        let (stop, stopped) = watch::channel(false);
        let stop = Arc::new(stop);
        let workers = spawn_background_tasks(&verifier, &stopped);
        let signal = Arc::clone(&stop);
        let random = Arc::clone(&self.state.verifier.random);
        let metrics = self.state.metrics.clone();
        let stopping = async move {
            shutdown.await;
            let _ = signal.send(true);
        };
        let served = idv_service_kit::http::serve_with(
            self.listener,
            router(self.state),
            stopping,
            random,
            &metrics,
        )
        .await;
        let _ = stop.send(true);
        for worker in workers {
            if let Err(error) = worker.await {
                tracing::error!(%error, "background task panicked");
            }
        }
        verifier.close().await;
        served
    }

    fn address(&self) -> SocketAddr {
        self.listener.address()
    }
}

/// Opens the verifier a configuration describes, with the system clock and CSPRNG (the
/// command line's way in).
pub async fn open(config: &VerifierConfig) -> Result<Verifier, StartupError> {
    open_with(config, Parts::default()).await
}

/// Opens the verifier `config` describes on the store and with the clock and randomness of
/// `parts` (its listener is not used).
pub async fn open_with(
    config: &VerifierConfig,
    mut parts: Parts,
) -> Result<Verifier, StartupError> {
    let settings = config.settings()?;
    let store = parts
        .store_or(Store::open_configured(config))
        .await
        .map_err(StartupError::Store)?;
    Verifier::open(store, parts.clock, parts.random, settings)
        .await
        .map_err(StartupError::Open)
}

fn spawn_background_tasks(
    verifier: &Verifier,
    stopped: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let sweep = verifier.settings().sweep_interval;
    let refresh = Duration::from_secs(1);
    let outbox = {
        let webhooks = verifier.webhooks().clone();
        let stopped = stopped.clone();
        tokio::spawn(async move { webhooks.run_delivery(stopped).await })
    };
    let sweeper = {
        let retention = verifier.retention().clone();
        every(sweep, stopped.clone(), move || {
            let retention = retention.clone();
            async move {
                if let Err(error) = retention.sweep().await {
                    tracing::error!(%error, "sweep failed");
                }
            }
        })
    };
    let trust = {
        let trust = verifier.trust().clone();
        every(refresh, stopped.clone(), move || {
            let trust = trust.clone();
            async move { trust.refresh_if_due() }
        })
    };
    vec![outbox, sweeper, trust]
}

/// Runs `pass` every `period` until `stopped` turns true (or its sender is gone).
fn every<P, F>(period: Duration, mut stopped: watch::Receiver<bool>, pass: P) -> JoinHandle<()>
where
    P: Fn() -> F + Send + 'static,
    F: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::select! {
                changed = stopped.changed() => {
                    if changed.is_err() || *stopped.borrow() {
                        break;
                    }
                }
                () = tokio::time::sleep(period) => pass().await,
            }
        }
    })
}
