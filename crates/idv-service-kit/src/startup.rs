//! What every service's startup shares: why it fails ([`StartupError`]) and what it is built from
//! besides its configuration ([`Parts`]). A service has one `Application::build(config)` for
//! production (the system clock and randomness, `http.listen` bound, the configured database
//! opened) and one `Application::build_with(config, parts)` where tests and the federation
//! harness inject their own.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use idv_jose::{Clock, Random, SystemClock, SystemRandom};
use tokio::net::TcpListener;

use crate::config::ConfigError;
use crate::http::{BindError, Listener};

/// Why a service could not start: `S` is its store's error, `D` the error of opening its use
/// cases (its keys, an uninitialised register).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError<S, D> {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database is unreachable, its migrations fail or its stored keys do not open.
    #[error(transparent)]
    Store(S),
    /// The use cases cannot be opened.
    #[error(transparent)]
    Open(D),
    /// The listen address cannot be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
}

/// A built service, not yet serving: every service's `Application`.
pub trait Service: Sized {
    /// The bound address.
    fn address(&self) -> SocketAddr;

    /// Serves until `shutdown` completes, then finishes in-flight requests, stops the
    /// service's background tasks and closes its database pool.
    fn run_until<F>(self, shutdown: F) -> impl Future<Output = std::io::Result<()>> + Send
    where
        F: Future<Output = ()> + Send + 'static;

    /// The bound port (port 0 in `http.listen` picks a free one).
    fn port(&self) -> u16 {
        self.address().port()
    }

    /// Serves until ctrl-c or SIGTERM.
    fn run_until_stopped(self) -> impl Future<Output = std::io::Result<()>> + Send {
        self.run_until(crate::http::shutdown_signal())
    }
}

/// What a service is built from besides its configuration. [`Parts::default`] is production's:
/// `http.listen` bound at build, the configured database opened, the system clock and CSPRNG.
#[derive(Debug)]
pub struct Parts<S> {
    /// A listener bound by the caller (`http.listen` is then only checked against it): tests
    /// that must know the port before the configuration's public URL is set.
    pub listener: Option<TcpListener>,
    /// A store already open in this process (the harness ran `init` on it): one database handle
    /// per process.
    pub store: Option<S>,
    /// The clock (tests use `ManualClock`).
    pub clock: Arc<dyn Clock>,
    /// The randomness.
    pub random: Arc<dyn Random>,
}

impl<S> Default for Parts<S> {
    fn default() -> Self {
        Self {
            listener: None,
            store: None,
            clock: Arc::new(SystemClock),
            random: Arc::new(SystemRandom),
        }
    }
}

impl<S> Parts<S> {
    /// The system's parts with `clock` instead of the system clock.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            ..Self::default()
        }
    }

    /// These parts, serving on `listener`.
    #[must_use]
    pub fn on(mut self, listener: TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// These parts, on a store already open.
    #[must_use]
    pub fn on_store(mut self, store: S) -> Self {
        self.store = Some(store);
        self
    }

    /// The listener: the one given, or `listen` bound now.
    pub async fn listener(&mut self, listen: SocketAddr) -> Result<Listener, BindError> {
        match self.listener.take() {
            Some(listener) => Listener::bound(listener, listen),
            None => Listener::bind(listen).await,
        }
    }

    /// The store: the one given, or the one `open` opens (not polled when a store was given).
    pub async fn store_or<E>(&mut self, open: impl Future<Output = Result<S, E>>) -> Result<S, E> {
        match self.store.take() {
            Some(store) => Ok(store),
            None => open.await,
        }
    }
}
