//! The untimed part: the services as child processes of their binaries (so that each one's
//! memory and CPU time are its own), their databases, the register entries, a proofed citizen
//! at the issuer, and the offers and credentials the timed part uses.

use std::process::{Command, Stdio};

use federated_idv::citizen::Citizen;
use federated_idv::employer::Employer;
use federated_idv::enrol;
use federated_idv::provider::{IDENTITY, IssuerOperator};
use idv_federation::child::{Binaries, ProcessEnv, ProcessFederation};
use idv_federation::{Deployment as _, Endpoints, Federation, FederationBuilder};
use idv_jose::{Clock as _, SystemClock};
use idv_service_kit::config::DatabaseSettings;
use idv_service_kit::limits::Rate;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::Failure;
use crate::vci::Offer;

/// The PostgreSQL server used when neither `--postgres-url` nor a variable names one.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The services, each with a database of its own on PostgreSQL.
const SERVICES: [&str; 3] = ["tf", "issuer", "verifier"];
/// Characters of the citizen's portrait in base64: a 3,000-byte JPEG, as in the criterion
/// benchmark's right-to-work presentation.
const PORTRAIT_BASE64_CHARS: usize = 4_000;

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
    /// Creates one fresh database per service (`idv_load_<unix time>_<pid>_<service>`); their
    /// URLs: the trust framework's, the issuer's, the verifier's.
    fn create(server: &str) -> Result<(Self, [String; 3]), Failure> {
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
            urls.push(url.to_string());
        }
        let urls = <[String; 3]>::try_from(urls).map_err(|_| Failure("three databases".into()))?;
        Ok((created, urls))
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

/// The running federation, the employer, and a proofed citizen at the issuer.
pub(crate) struct World {
    /// The employer's tenant API.
    pub(crate) employer: Employer,
    /// The issuer's operator API.
    provider: IssuerOperator,
    /// The citizen's proofed identity record at the issuer.
    identity_id: String,
    endpoints: Endpoints,
    federation: Option<ProcessFederation>,
    databases: Option<PostgresDatabases>,
    dir: TempDir,
}

/// `builder` with the services' rate limits and caps lifted (the load generator is one client
/// on one address doing the work of thousands, which `[limits]` exists to stop) and their
/// pools at the services' own default size rather than a test's. (`--issuer-env` and
/// `--verifier-env` still override them: the environment is read over the file.)
fn unthrottled(builder: FederationBuilder<'static>) -> FederationBuilder<'static> {
    const LIFTED: Rate = Rate::new(100_000_000, 1_000_000);
    let pool = DatabaseSettings::default_sqlite().max_connections;
    builder
        .trust_framework_config(move |c| {
            c.limits.per_ip = LIFTED;
            c.limits.operator_per_ip = LIFTED;
            c.database.max_connections = pool;
        })
        .issuer_config(move |c| {
            c.limits.per_ip = LIFTED;
            c.limits.writes_per_ip = LIFTED;
            c.limits.operator_per_ip = LIFTED;
            c.database.max_connections = pool;
        })
        .verifier_config(move |c| {
            c.limits.per_ip = LIFTED;
            c.limits.authorize_per_ip = LIFTED;
            c.limits.authorize_per_client = LIFTED;
            c.limits.checks_per_tenant = LIFTED;
            c.limits.max_open_checks_per_tenant = 1_000_000;
            c.database.max_connections = pool;
        })
}

impl World {
    /// Starts the services on `backend` with `env` added to their processes' environment,
    /// registers the provider and the employer, and records the citizen's proofed identity at
    /// the issuer.
    pub(crate) async fn start(backend: Backend, env: ProcessEnv) -> Result<Self, Failure> {
        let dir = tempfile::Builder::new().prefix("idv-load-").tempdir()?;
        let mut builder = unthrottled(Federation::builder())
            .data_dir(dir.path().join("services"))
            .issuer_checks_register();
        let databases = match &backend {
            Backend::Sqlite => None,
            Backend::Postgres { server } => {
                let (created, [trust_framework, issuer, verifier]) =
                    PostgresDatabases::create(server)?;
                builder = builder
                    .trust_framework_on(&trust_framework)
                    .issuer_on(&issuer)
                    .verifier_on(&verifier);
                Some(created)
            }
        };
        match Self::start_on(builder, &env).await {
            Ok((federation, employer, provider, identity_id)) => Ok(Self {
                employer,
                provider,
                identity_id,
                endpoints: federation.endpoints().clone(),
                federation: Some(federation),
                databases,
                dir,
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
        builder: FederationBuilder<'static>,
        env: &ProcessEnv,
    ) -> Result<(ProcessFederation, Employer, IssuerOperator, String), Failure> {
        let bins = Binaries::beside_current_exe()?;
        let federation = builder.start_processes(&bins, env).await?;
        let failed = |e: &dyn std::error::Error| {
            Failure(format!(
                "{}\n{}",
                idv_federation::report(e),
                federation.logs()
            ))
        };

        let client = reqwest::Client::new();
        let endpoints = federation.endpoints().clone();
        let operator = endpoints.operator(&client);
        let (_, onboarded) = enrol::enrol_examples(&federation, &operator, &["RTW"], &client)
            .await
            .map_err(|e| failed(&e))?;
        let employer = onboarded.employer;

        let provider = endpoints.provider(&client);
        let identity_id = provider
            .record_identity(&proofed_citizen(SystemClock.now()))
            .await
            .map_err(|e| failed(&e))?;
        Ok((federation, employer, provider, identity_id))
    }

    /// A fresh offer of the identity credential to the citizen (with its transaction code).
    pub(crate) async fn offer(&self) -> Result<Offer, Failure> {
        let offer = self
            .provider
            .offer(&self.identity_id, &[IDENTITY])
            .await
            .map_err(|e| Failure(idv_federation::report(&e)))?;
        Offer::from_link(&offer.offer_link, offer.tx_code.clone()).map_err(Failure)
    }

    /// The citizen with a wallet-sim wallet that received a batch of identity credentials;
    /// and how many copies it holds.
    pub(crate) async fn wallet_sim_citizen(&self) -> Result<(Citizen, usize), Failure> {
        let endpoints = self.endpoints();
        let citizen = Citizen::open(
            &self.dir.path().join("wallet"),
            &endpoints.trust_list_url(),
            &endpoints.anchor,
        )
        .await?;
        let offer = self
            .provider
            .offer(&self.identity_id, &[IDENTITY])
            .await
            .map_err(|e| Failure(idv_federation::report(&e)))?;
        let received = citizen
            .receive(&offer.offer_link, offer.tx_code.as_deref())
            .await?;
        let copies = received.credentials.iter().map(|c| c.copies).sum();
        if copies == 0 {
            return Err(Failure("the wallet received no identity credential".into()));
        }
        Ok((citizen, copies))
    }

    /// Where the services are.
    pub(crate) fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The process ids of the trust framework, the issuer and the verifier.
    pub(crate) fn pids(&mut self) -> Pids {
        let Some(federation) = self.federation.as_mut() else {
            return Pids::default();
        };
        Pids {
            trust_framework: federation.trust_framework().pid(),
            issuer: federation.issuer().pid(),
            verifier: federation.verifier().pid(),
        }
    }

    /// Stops the services and drops the run's databases.
    pub(crate) async fn stop(&mut self) {
        // Dropping the federation kills its processes.
        self.federation = None;
        if let Some(databases) = self.databases.take() {
            databases.drop_all();
        }
    }
}

/// The services' process ids, while they run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pids {
    pub(crate) trust_framework: Option<u32>,
    pub(crate) issuer: Option<u32>,
    pub(crate) verifier: Option<u32>,
}

/// A fictional British citizen with a valid passport and a 3,000-byte portrait, proofed to
/// GPG 45 medium an hour before `now`.
fn proofed_citizen(now: i64) -> Value {
    const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // A fixed pseudo-random stream (xorshift64): incompressible, like JPEG entropy-coded data,
    // after a JPEG header, in whole base64 quanta (the verifier checks it decodes to a JPEG).
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let portrait: String = (0..PORTRAIT_BASE64_CHARS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(BASE64[(state >> 58) as usize])
        })
        .collect();
    let mut citizen = federated_idv::provider::proofed_citizen(now);
    citizen["portrait"] = json!(format!(
        "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD{portrait}"
    ));
    citizen["address"] = json!({
        "street_address": "12 Analytical Row", "locality": "London", "postal_code": "N1 9GU"
    });
    citizen
}
