//! Each service started in this process: `init` on its store (as its operator would), then
//! served on a listener of 127.0.0.1 until stopped.

use std::sync::Arc;

use idv_jose::{Clock, Jwk, SystemRandom};
use idv_service_kit::Secret;
use idv_service_kit::startup::Service as _;
use idv_test_support::server::TestServer;
use serde_json::Value;
use tokio::net::TcpListener;

use super::configs::Address;
use crate::error::{LaunchError, fail};
use crate::ports::bind_local;

/// Stops `server`, naming `what` if it fails.
pub(crate) async fn stop(server: &mut TestServer, what: &str) -> Result<(), LaunchError> {
    server
        .stop()
        .await
        .map_err(|e| fail(&format!("stopping {what}"), &e))
}

/// A listener on a free port and the address a service configured on it has.
pub(crate) async fn listen() -> Result<(TcpListener, Address), LaunchError> {
    let (listener, listen, url) = bind_local().await?;
    Ok((listener, Address { listen, url }))
}

/// The trust framework, serving.
#[derive(Debug)]
pub struct TrustFrameworkService {
    /// Its base URL (where it listens; its public URL unless a test configured another).
    pub url: String,
    /// Its operator token (from `init`).
    pub token: Secret,
    /// Its anchor public JWK, pinned by the verifier, the issuer and wallets.
    pub anchor: Value,
    pub(crate) server: TestServer,
}

impl TrustFrameworkService {
    /// `trust-framework init`, then `serve`, on one store.
    pub(crate) async fn start(
        config: trust_framework::config::TrustFrameworkConfig,
        listener: TcpListener,
        url: String,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LaunchError> {
        let what = "trust-framework init";
        let store = trust_framework::store::Store::open_configured(&config)
            .await
            .map_err(|e| fail(what, &e))?;
        let initialised =
            trust_framework::register::setup::initialise(&store, clock.as_ref(), &SystemRandom)
                .await;
        let initialised = match initialised {
            Ok(initialised) => initialised,
            Err(e) => {
                store.close().await;
                return Err(fail(what, &e));
            }
        };
        let token = initialised
            .operator_token
            .ok_or_else(|| LaunchError::failed(what, "the register existed"))?;
        let anchor =
            serde_json::to_value(&initialised.anchor).map_err(|e| LaunchError::failed(what, e))?;
        let parts = trust_framework::startup::Parts::with_clock(clock)
            .on(listener)
            .on_store(store);
        let app = trust_framework::startup::Application::build_with(config, parts)
            .await
            .map_err(|e| fail("starting the trust framework", &e))?;
        Ok(Self {
            url,
            token,
            anchor,
            server: TestServer::spawn(|stopped| app.run_until(stopped)),
        })
    }

    /// The signed trust list's URL.
    pub fn list_url(&self) -> String {
        format!("{}/trust-list", self.url)
    }

    /// Stops it (its address then refuses connections).
    pub async fn stop(&mut self) -> Result<(), LaunchError> {
        stop(&mut self.server, "the trust framework").await
    }
}

/// The issuer, serving.
#[derive(Debug)]
pub struct IssuerService {
    /// Its base URL (its Credential Issuer Identifier).
    pub url: String,
    /// Its operator token (from `init`).
    pub token: Secret,
    /// Its signing key's public JWK (from `init`).
    pub signing_key: Jwk,
    /// Its use cases, on the database handle it serves from (operator commands).
    pub issuer: issuer::issuance::Issuer,
    pub(crate) server: TestServer,
}

impl IssuerService {
    /// `issuer init`, then `serve`, on one store.
    pub(crate) async fn start(
        config: issuer::config::IssuerConfig,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LaunchError> {
        let what = "issuer init";
        let url = config.http.public_url.clone();
        let store = issuer::store::Store::open_configured(&config)
            .await
            .map_err(|e| fail(what, &e))?;
        let initialised =
            issuer::issuance::setup::initialise(&store, clock.as_ref(), &SystemRandom).await;
        let initialised = match initialised {
            Ok(initialised) => initialised,
            Err(e) => {
                store.close().await;
                return Err(fail(what, &e));
            }
        };
        let Some(token) = initialised.operator_token else {
            store.close().await;
            return Err(LaunchError::failed(what, "the issuer existed"));
        };
        let parts = issuer::startup::Parts::with_clock(clock)
            .on(listener)
            .on_store(store);
        let app = issuer::startup::Application::build_with(config, parts)
            .await
            .map_err(|e| fail("starting the issuer", &e))?;
        Ok(Self {
            url,
            token,
            signing_key: initialised.signing_key,
            issuer: app.issuer().clone(),
            server: TestServer::spawn(|stopped| app.run_until(stopped)),
        })
    }

    /// Stops it.
    pub async fn stop(&mut self) -> Result<(), LaunchError> {
        stop(&mut self.server, "the issuer").await
    }
}

/// The verifier, serving.
#[derive(Debug)]
pub struct VerifierService {
    /// Its base URL.
    pub url: String,
    /// Its configuration (change it, then [`VerifierService::restart`]).
    pub config: verifier::config::VerifierConfig,
    /// Its use cases, on the database handle it serves from (operator commands).
    pub verifier: verifier::service::Verifier,
    clock: Arc<dyn Clock>,
    server: TestServer,
}

impl VerifierService {
    /// Builds the verifier and serves it.
    pub(crate) async fn start(
        config: verifier::config::VerifierConfig,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LaunchError> {
        let url = config.http.public_url.clone();
        let (verifier, server) = Self::serve(config.clone(), listener, Arc::clone(&clock)).await?;
        Ok(Self {
            url,
            config,
            verifier,
            clock,
            server,
        })
    }

    async fn serve(
        config: verifier::config::VerifierConfig,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> Result<(verifier::service::Verifier, TestServer), LaunchError> {
        let parts = verifier::startup::Parts::with_clock(clock).on(listener);
        let app = verifier::startup::Application::build_with(config, parts)
            .await
            .map_err(|e| fail("starting the verifier", &e))?;
        let verifier = app.verifier().clone();
        Ok((
            verifier,
            TestServer::spawn(|stopped| app.run_until(stopped)),
        ))
    }

    /// The verifier its configuration describes, opened anew (as its command line opens it
    /// beside the running server); close it after use.
    pub async fn open(&self) -> Result<verifier::service::Verifier, LaunchError> {
        let parts = verifier::startup::Parts::with_clock(Arc::clone(&self.clock));
        verifier::startup::open_with(&self.config, parts)
            .await
            .map_err(|e| fail("opening the verifier", &e))
    }

    /// Stops it (in-flight requests finish, background tasks stop, the pool closes) and
    /// starts it again with its current configuration on the same database and port, as a
    /// process restart would.
    pub async fn restart(&mut self) -> Result<(), LaunchError> {
        self.stop().await?;
        let listener = TcpListener::bind(self.config.http.listen)
            .await
            .map_err(LaunchError::io("cannot bind the verifier's port again"))?;
        let (verifier, server) =
            Self::serve(self.config.clone(), listener, Arc::clone(&self.clock)).await?;
        self.verifier = verifier;
        self.server = server;
        Ok(())
    }

    /// Another instance on the same database and configuration (the README's scale-out),
    /// serving on its own port: its URL and its server.
    pub async fn second_instance(&self) -> Result<(String, TestServer), LaunchError> {
        let (listener, address) = listen().await?;
        let (_, server) =
            Self::serve(self.config.clone(), listener, Arc::clone(&self.clock)).await?;
        Ok((address.url, server))
    }

    /// Stops it.
    pub async fn stop(&mut self) -> Result<(), LaunchError> {
        stop(&mut self.server, "the verifier").await
    }
}
