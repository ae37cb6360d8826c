//! The untimed part: the services as child processes of their binaries (so the verifier's
//! memory is its own), their databases, the register entries, and a citizen's wallet holding
//! a batch of identity credentials.

use std::process::{Command, Stdio};
use std::sync::Arc;

use federated_idv::citizen::Citizen;
use federated_idv::employer::Employer;
use federated_idv::enrol::{self, ProviderSpec};
use federated_idv::launch::Deployment as _;
use federated_idv::launch::child::{Binaries, Databases, ExtraSettings, ProcessFederation};
use federated_idv::operator::RelyingPartySpec;
use federated_idv::provider::{IDENTITY, proofed_citizen};
use idv_jose::{Clock as _, SystemClock};
use idv_service_kit::Secret;
use tempfile::TempDir;

use crate::Failure;

/// The PostgreSQL server used when neither `--postgres-url` nor a variable names one.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The services, each with a database of its own on PostgreSQL.
const SERVICES: [&str; 3] = ["tf", "issuer", "verifier"];

/// Where the services keep their data.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// SQLite files in the run's directory.
    Sqlite,
    /// Databases created on this server for the run.
    Postgres {
        /// The server's URL (any database on it; `CREATE DATABASE` runs there).
        server: String,
    },
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

/// `--postgres-url`, else `IDV_TEST_POSTGRES_URL`, else `DATABASE_URL`, else the local default.
pub(crate) fn postgres_server(option: Option<&str>) -> String {
    option
        .map(str::to_owned)
        .or_else(|| std::env::var("IDV_TEST_POSTGRES_URL").ok())
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .unwrap_or_else(|| DEFAULT_POSTGRES.to_owned())
}

/// The run's databases on a PostgreSQL server, dropped by [`World::stop`].
#[derive(Debug)]
struct PostgresDatabases {
    server: String,
    names: Vec<String>,
}

impl PostgresDatabases {
    /// Creates one fresh database per service (`idv_load_<unix time>_<pid>_<service>`).
    fn create(server: &str) -> Result<(Self, Databases), Failure> {
        let stem = format!("idv_load_{}_{}", SystemClock.now(), std::process::id());
        let mut created = Self {
            server: server.to_owned(),
            names: Vec::new(),
        };
        let mut urls = Vec::new();
        for service in SERVICES {
            let name = format!("{stem}_{service}");
            psql(server, &format!("CREATE DATABASE {name}"))?;
            created.names.push(name.clone());
            let mut url = reqwest::Url::parse(server)
                .map_err(|e| Failure(format!("the PostgreSQL URL: {e}")))?;
            url.set_path(&name);
            urls.push(Secret::new(url.as_str()));
        }
        let [trust_framework, issuer, verifier] =
            <[Secret; 3]>::try_from(urls).map_err(|_| Failure("three databases".into()))?;
        Ok((
            created,
            Databases::Urls {
                trust_framework,
                issuer,
                verifier,
            },
        ))
    }

    /// Drops the databases (the services must have stopped).
    fn drop_all(&self) {
        for name in &self.names {
            if let Err(Failure(message)) =
                psql(&self.server, &format!("DROP DATABASE IF EXISTS {name}"))
            {
                eprintln!("load: could not drop database {name}: {message}");
            }
        }
    }
}

/// Runs one SQL statement with `psql` against `server`.
fn psql(server: &str, sql: &str) -> Result<(), Failure> {
    let output = Command::new("psql")
        .args([server, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Failure(format!(
                "cannot run psql (needed for --database postgres): {e}"
            ))
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Failure(format!(
            "psql `{sql}`: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// The running federation, the employer and the citizen.
pub(crate) struct World {
    /// The employer's tenant API.
    pub(crate) employer: Employer,
    /// The citizen, whose wallet answers every check.
    pub(crate) citizen: Arc<Citizen>,
    /// Copies of the identity credential in the wallet.
    pub(crate) copies: usize,
    federation: Option<ProcessFederation>,
    databases: Option<PostgresDatabases>,
    _dir: TempDir,
}

impl World {
    /// Starts the services on `backend`, registers the provider and the employer, and issues
    /// the citizen's identity credentials.
    pub(crate) async fn start(backend: Backend) -> Result<Self, Failure> {
        let dir = tempfile::Builder::new().prefix("idv-load-").tempdir()?;
        let (databases, urls) = match &backend {
            Backend::Sqlite => (None, Databases::Sqlite),
            Backend::Postgres { server } => {
                let (created, urls) = PostgresDatabases::create(server)?;
                (Some(created), urls)
            }
        };
        let started = Self::start_on(&dir, urls).await;
        match started {
            Ok((federation, employer, citizen, copies)) => Ok(Self {
                employer,
                citizen: Arc::new(citizen),
                copies,
                federation: Some(federation),
                databases,
                _dir: dir,
            }),
            Err(failure) => {
                if let Some(databases) = databases {
                    databases.drop_all();
                }
                Err(failure)
            }
        }
    }

    async fn start_on(
        dir: &TempDir,
        urls: Databases,
    ) -> Result<(ProcessFederation, Employer, Citizen, usize), Failure> {
        let bins = Binaries::beside_current_exe()?;
        let ensure = bins.clone();
        tokio::task::spawn_blocking(move || ensure.ensure_built())
            .await
            .map_err(|e| Failure(format!("building the services: {e}")))??;
        let federation = ProcessFederation::start(
            &bins,
            &dir.path().join("services"),
            &urls,
            &ExtraSettings::default(),
        )
        .await?;
        let failed = |e: &dyn std::error::Error| {
            Failure(format!(
                "{}\n{}",
                federated_idv::launch::report(e),
                federation.logs()
            ))
        };

        let client = reqwest::Client::new();
        let endpoints = federation.endpoints().clone();
        let operator = endpoints.operator(&client);
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
        .map_err(|e| failed(&e))?;
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
        .map_err(|e| failed(&e))?
        .employer;

        let provider = endpoints.provider(&client);
        let identity_id = provider
            .record_identity(&proofed_citizen(SystemClock.now()))
            .await
            .map_err(|e| failed(&e))?;
        let offer = provider
            .offer(&identity_id, &[IDENTITY])
            .await
            .map_err(|e| failed(&e))?;
        let citizen = Citizen::open(
            &dir.path().join("wallet"),
            &endpoints.trust_list_url(),
            &endpoints.anchor,
        )
        .await?;
        let received = citizen
            .receive(&offer.offer_link, offer.tx_code.as_deref())
            .await
            .map_err(|e| failed(&e))?;
        let copies = received.credentials.iter().map(|c| c.copies).sum();
        if copies == 0 {
            return Err(Failure("the wallet received no identity credential".into()));
        }
        Ok((federation, employer, citizen, copies))
    }

    /// The verifier's base URL.
    pub(crate) fn verifier_url(&self) -> &str {
        self.federation
            .as_ref()
            .map_or("", |f| f.endpoints().verifier.as_str())
    }

    /// The verifier's process id.
    pub(crate) fn verifier_pid(&mut self) -> Option<u32> {
        self.federation.as_mut().and_then(|f| f.verifier().pid())
    }

    /// Closes the wallet, stops the services and drops the run's databases.
    pub(crate) async fn stop(&mut self) {
        self.citizen.close().await;
        // Dropping the federation kills its processes.
        self.federation = None;
        if let Some(databases) = self.databases.take() {
            databases.drop_all();
        }
    }
}
