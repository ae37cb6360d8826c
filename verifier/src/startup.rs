//! The startup seam: [`Application::build`] checks the settings, connects and migrates the
//! database, opens the [`Verifier`] and binds the listener (port 0 picks a free one, see
//! [`Application::port`]). [`Application::run_until`] serves, with three background tasks
//! beside the server: the webhook outbox worker, the retention sweeper and the trust list
//! refresher (every second it starts a refresh if one is due: `next_update`, `trust.refresh_secs`
//! since the last fetch, back-off after failures; the fetch itself runs in its own task). On shutdown the server finishes in-flight requests,
//! the tasks stop after their current pass, and the database pool closes.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use idv_jose::{Clock, Random, SystemClock, SystemRandom};
use idv_service_kit::config::ConfigError;
use idv_service_kit::http::{BindError, Listener};
use idv_service_kit::metrics::Metrics;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::VerifierConfig;
use crate::http::{AppState, router};
use crate::service::{OpenError, Verifier};
use crate::store::StoreError;

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
    /// The verifier could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The listen address cannot be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
}

/// A built, not yet serving, verifier service.
#[derive(Debug)]
pub struct Application {
    listener: Listener,
    verifier: Verifier,
    state: AppState,
}

impl Application {
    /// Builds the service with the system clock and CSPRNG.
    pub async fn build(config: VerifierConfig) -> Result<Self, StartupError> {
        Self::build_with(config, Arc::new(SystemClock), Arc::new(SystemRandom)).await
    }

    /// Builds the service with an injected clock and randomness (tests use `ManualClock`).
    pub async fn build_with(
        config: VerifierConfig,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bind(config.http.listen).await?;
        Self::assemble(config, listener, clock, random).await
    }

    /// Builds the service on a listener bound by the caller (`http.listen` is then unused):
    /// for tests, which must know the port before `http.public_url` is set, and for socket
    /// activation.
    pub async fn build_on(
        config: VerifierConfig,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, StartupError> {
        let listener = Listener::bound(listener, config.http.listen)?;
        Self::assemble(config, listener, clock, random).await
    }

    /// Opens the verifier `config` describes and readies serving it on `listener`.
    async fn assemble(
        config: VerifierConfig,
        listener: Listener,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, StartupError> {
        let verifier = open(&config, clock, random).await?;
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

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.address().port()
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.listener.address()
    }

    /// The use cases (for the CLI and tests working beside the server).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Serves until ctrl-c or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(idv_service_kit::http::shutdown_signal())
            .await
    }

    /// Serves, with the background tasks, until `shutdown` completes; then finishes in-flight
    /// requests, stops the tasks and closes the database pool.
    pub async fn run_until<F>(self, shutdown: F) -> std::io::Result<()>
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
}

/// Opens the verifier a configuration describes (the server's and the CLI's way in).
pub async fn open(
    config: &VerifierConfig,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
) -> Result<Verifier, StartupError> {
    let settings = config.settings()?;
    let store = config.connect_store().await?;
    Ok(Verifier::open(store, clock, random, settings).await?)
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
