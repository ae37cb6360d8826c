//! The three services as tasks of this process, built from their libraries with the same
//! settings their binaries read from `IDV_*` variables, each with a SQLite file in the data
//! directory. The operator steps that exist only on the command line run through each
//! service's own command dispatch (`cli::execute_on`), as the binary would run them, but on
//! the running service's database handle: one handle per database and process (see
//! `idv_service_kit::db::sqlite_handles`), `init` included, which runs on the store the
//! service is then built on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use idv_jose::{Clock, SystemClock, SystemRandom};
use idv_service_kit::Secret;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Deployment, Endpoints, LaunchError, TenantAccount, fail, parse_tenant, report};

/// How often the verifier and the issuer refetch the register here
/// (`IDV_TRUST__REFRESH_SECS`), so that a change tried by hand (a suspension) shows in the next
/// check, offer or issuance within seconds.
pub const TRUST_REFRESH_SECS: u64 = 5;

/// The system clock moved by an adjustable offset: the demo dates the register's first
/// entries back (a provider is certified well before it issues) and then returns to the
/// present.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset: AtomicI64,
}

impl ShiftedClock {
    /// Sets the offset from the system clock, in seconds (negative: the past).
    pub fn set_offset(&self, seconds: i64) {
        self.offset.store(seconds, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> i64 {
        SystemClock.now() + self.offset.load(Ordering::SeqCst)
    }
}

/// One service task, stopped through a oneshot.
#[derive(Debug)]
struct Server {
    name: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn spawn<F>(name: &'static str, run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
    where
        F: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let (shutdown, stopped) = oneshot::channel();
        Self {
            name,
            shutdown: Some(shutdown),
            task: Some(tokio::spawn(run(stopped))),
        }
    }

    /// Stops serving: in-flight requests finish, the database pool closes.
    async fn stop(&mut self) -> Result<(), LaunchError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        match task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(LaunchError::failed(format!("stopping {}", self.name), e)),
            Err(e) => Err(LaunchError::failed(format!("stopping {}", self.name), e)),
        }
    }
}

/// Waits for the oneshot (or its sender going away).
async fn stopped(receiver: oneshot::Receiver<()>) {
    let _ = receiver.await;
}

/// The federation in this process.
#[derive(Debug)]
pub struct InProcessFederation {
    endpoints: Endpoints,
    /// The running issuer's use cases, on its database handle (operator commands).
    issuer: issuer::issuance::Issuer,
    /// The running verifier's use cases, on its database handle (operator commands).
    verifier: verifier::service::Verifier,
    data_dir: PathBuf,
    servers: Vec<Server>,
}

/// A listener on a free port of 127.0.0.1, its address and its URL.
async fn bind_local() -> Result<(TcpListener, std::net::SocketAddr, String), LaunchError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(LaunchError::io("cannot bind a port on 127.0.0.1"))?;
    let address = listener
        .local_addr()
        .map_err(LaunchError::io("cannot read the bound port"))?;
    Ok((listener, address, format!("http://{address}")))
}

impl InProcessFederation {
    /// Initialises and starts the trust framework (on `register_clock`), the issuer and the
    /// verifier, with their SQLite files in `data_dir`.
    pub async fn start(
        data_dir: &Path,
        register_clock: Arc<dyn Clock>,
    ) -> Result<Self, LaunchError> {
        std::fs::create_dir_all(data_dir).map_err(LaunchError::io(format!(
            "cannot create {}",
            data_dir.display()
        )))?;
        let mut servers = Vec::new();

        // The trust framework: `trust-framework init`, then `serve`, on one store.
        let (listener, listen, tf_url) = bind_local().await?;
        let mut tf_config = trust_framework::config::TrustFrameworkConfig::default();
        tf_config.http.listen = listen;
        tf_config.http.public_url = tf_url.clone();
        tf_config.database.data_dir = data_dir.to_owned();
        let store = tf_config
            .connect_store()
            .await
            .map_err(|e| fail("trust-framework init", &e))?;
        let initialised = trust_framework::register::setup::initialise(
            &store,
            register_clock.as_ref(),
            &SystemRandom,
        )
        .await;
        let initialised = match initialised {
            Ok(initialised) => initialised,
            Err(e) => {
                store.close().await;
                return Err(fail("trust-framework init", &e));
            }
        };
        let trust_framework_token = initialised
            .operator_token
            .ok_or_else(|| LaunchError::failed("trust-framework init", "the register existed"))?;
        let anchor = serde_json::to_value(&initialised.anchor)
            .map_err(|e| LaunchError::failed("trust-framework init", e))?;
        let anchor_file = data_dir.join("trust-anchor.json");
        std::fs::write(&anchor_file, format!("{anchor:#}\n"))
            .map_err(LaunchError::io("cannot write the anchor file"))?;
        let app = trust_framework::startup::Application::build_on_store(
            tf_config,
            listener,
            store,
            register_clock,
        )
        .await
        .map_err(|e| fail("starting the trust framework", &e))?;
        servers.push(Server::spawn("trust framework", |rx| {
            app.run_until(stopped(rx))
        }));

        // The issuer: `issuer init`, then `serve`, checking its own register entry before it
        // offers or issues, on the list the verifier reads and with the same anchor pinned.
        let (listener, listen, issuer_url) = bind_local().await?;
        let mut issuer_config = issuer::config::IssuerConfig::default();
        issuer_config.http.listen = listen;
        issuer_config.http.public_url = issuer_url.clone();
        issuer_config.database.data_dir = data_dir.to_owned();
        issuer_config.metadata.display_name = "Example Reusable ID".into();
        issuer_config.trust = Some(issuer::config::TrustSettings {
            list_url: format!("{tf_url}/trust-list"),
            anchors_file: Some(anchor_file.clone()),
            anchors: Vec::new(),
            plain_http: "loopback".into(),
            refresh_secs: TRUST_REFRESH_SECS,
        });
        let store = issuer_config
            .connect_store()
            .await
            .map_err(|e| fail("issuer init", &e))?;
        let initialised =
            issuer::issuance::setup::initialise(&store, &SystemClock, &SystemRandom).await;
        let issuer_token = match initialised {
            Ok(initialised) => initialised.operator_token,
            Err(e) => {
                store.close().await;
                return Err(fail("issuer init", &e));
            }
        };
        let Some(issuer_token) = issuer_token else {
            store.close().await;
            return Err(LaunchError::failed("issuer init", "the issuer existed"));
        };
        let app = issuer::startup::Application::build_on_store(
            issuer_config,
            listener,
            store,
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
        )
        .await
        .map_err(|e| fail("starting the issuer", &e))?;
        let issuer = app.issuer().clone();
        servers.push(Server::spawn("issuer", |rx| app.run_until(stopped(rx))));

        // The verifier, pinning the anchor from its file.
        let (listener, listen, verifier_url) = bind_local().await?;
        let mut verifier_config = verifier::config::VerifierConfig::default();
        verifier_config.http.listen = listen;
        verifier_config.http.public_url = verifier_url.clone();
        verifier_config.database.data_dir = data_dir.to_owned();
        verifier_config.trust.list_url = format!("{tf_url}/trust-list");
        verifier_config.trust.anchors_file = Some(anchor_file.clone());
        verifier_config.trust.refresh_secs = TRUST_REFRESH_SECS;
        let app = verifier::startup::Application::build_on(
            verifier_config,
            listener,
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
        )
        .await
        .map_err(|e| fail("starting the verifier", &e))?;
        let verifier = app.verifier().clone();
        servers.push(Server::spawn("verifier", |rx| app.run_until(stopped(rx))));

        Ok(Self {
            endpoints: Endpoints {
                trust_framework: tf_url,
                issuer: issuer_url,
                verifier: verifier_url,
                trust_framework_token,
                issuer_token: Secret::new(issuer_token.expose()),
                anchor,
                anchor_file,
            },
            issuer,
            verifier,
            data_dir: data_dir.to_owned(),
            servers,
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops every service, the verifier first.
    pub async fn stop(mut self) -> Result<(), LaunchError> {
        let mut result = Ok(());
        while let Some(mut server) = self.servers.pop() {
            if let Err(e) = server.stop().await {
                result = Err(e);
            }
        }
        result
    }
}

impl Deployment for InProcessFederation {
    fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    async fn issuer_registration(&self) -> Result<Value, LaunchError> {
        let mut out = Vec::new();
        issuer::cli::execute_on(
            &self.issuer,
            issuer::cli::Command::Registration(issuer::cli::RegistrationArgs {
                entry_template: None,
            }),
            &mut out,
        )
        .await
        .map_err(|e| LaunchError::failed("issuer registration", report(&e)))?;
        serde_json::from_slice(&out).map_err(|e| LaunchError::failed("issuer registration", e))
    }

    async fn add_tenant(&self, name: &str, client_id: &str) -> Result<TenantAccount, LaunchError> {
        let mut out = Vec::new();
        verifier::cli::execute_on(
            &self.verifier,
            verifier::cli::Command::Tenant(verifier::cli::TenantCommand::Add {
                name: name.to_owned(),
                client_id: client_id.to_owned(),
                jwk_out: None,
                json: true,
            }),
            &mut out,
        )
        .await
        .map_err(|e| LaunchError::failed("verifier tenant add", report(&e)))?;
        parse_tenant(&String::from_utf8_lossy(&out))
    }

    async fn install_attestation(
        &self,
        tenant_id: &str,
        attestation: &str,
    ) -> Result<(), LaunchError> {
        let file = self.data_dir.join(format!("{tenant_id}.attestation.jwt"));
        std::fs::write(&file, attestation)
            .map_err(LaunchError::io("cannot write the attestation file"))?;
        let mut out = Vec::new();
        verifier::cli::execute_on(
            &self.verifier,
            verifier::cli::Command::Tenant(verifier::cli::TenantCommand::Attest {
                tenant_id: tenant_id.to_owned(),
                file,
            }),
            &mut out,
        )
        .await
        .map_err(|e| LaunchError::failed("verifier tenant attest", report(&e)))
    }
}

#[cfg(test)]
mod tests {
    use idv_service_kit::db::{SqliteHandles, sqlite_handles};

    use super::*;
    use crate::enrol::{self, ProviderSpec};
    use crate::operator::RelyingPartySpec;

    const FILES: [&str; 3] = ["trust-framework.sqlite", "issuer.sqlite", "verifier.sqlite"];

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn operator_steps_run_on_the_running_services_database_handles() {
        let dir = tempfile::tempdir().unwrap();
        let federation = InProcessFederation::start(dir.path(), Arc::new(SystemClock))
            .await
            .unwrap();
        let client = reqwest::Client::new();
        let operator = federation.endpoints().operator(&client);
        // `issuer registration`, `verifier tenant add` and `verifier tenant attest`, while
        // the three services serve.
        enrol::register_provider(
            &federation,
            &operator,
            &ProviderSpec {
                organisation: "Example Identity Ltd".into(),
                service: "Example Reusable ID".into(),
                max_loc: "medium".into(),
                codes: vec!["RTW".into()],
            },
            SystemClock.now(),
        )
        .await
        .unwrap();
        let employer = enrol::enrol_relying_party(
            &federation,
            &operator,
            &RelyingPartySpec {
                organisation: "Example Employer Ltd".into(),
                client_id: "employer.example.co.uk".into(),
                templates: vec!["right_to_work".into()],
            },
            &client,
        )
        .await
        .unwrap();
        // What the commands wrote, the running verifier serves: the tenant's key works and
        // its attestation lets it create checks.
        employer
            .employer
            .create_check("right_to_work")
            .await
            .unwrap();

        for file in FILES {
            assert_eq!(
                sqlite_handles(&dir.path().join(file)),
                SqliteHandles { opened: 1, open: 1 },
                "{file}: one handle, `init` and the operator's commands included"
            );
        }
        federation.stop().await.unwrap();
        for file in FILES {
            assert_eq!(sqlite_handles(&dir.path().join(file)).open, 0, "{file}");
        }
    }
}
