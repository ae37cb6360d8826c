//! The three services as child processes, configured through `IDV_*` variables, and the
//! operators' command-line steps run as the operators would run them.

use std::path::{Path, PathBuf};

use idv_service_kit::Secret;

use super::binaries::Binaries;
use super::init_output::{parse_token, parse_trust_framework_init};
use super::service::ChildService;
use crate::deployment::Endpoints;
use crate::error::LaunchError;
use crate::ports::free_port;

/// Attempts at starting a service, each on a newly reserved port (another process may take a
/// reserved port before the service binds it).
const START_ATTEMPTS: usize = 3;
/// Where each service keeps its data.
#[derive(Debug, Clone)]
pub enum Databases {
    /// A SQLite file per service in the data directory (the default configuration).
    Sqlite,
    /// `DATABASE_URL` per service (PostgreSQL, one database each).
    Urls {
        /// The trust framework's.
        trust_framework: Secret,
        /// The issuer's.
        issuer: Secret,
        /// The verifier's.
        verifier: Secret,
    },
}

/// Extra `IDV_*` settings per service.
#[derive(Debug, Clone, Default)]
pub struct ExtraSettings {
    /// For the trust framework.
    pub trust_framework: Vec<(String, String)>,
    /// For the issuer.
    pub issuer: Vec<(String, String)>,
    /// For the verifier.
    pub verifier: Vec<(String, String)>,
}

/// The three services as child processes.
#[derive(Debug)]
pub struct ProcessFederation {
    pub(super) bins: Binaries,
    pub(super) endpoints: Endpoints,
    pub(super) data_dir: PathBuf,
    pub(super) issuer_env: Vec<(String, String)>,
    pub(super) verifier_env: Vec<(String, String)>,
    /// Stopped last (declared last): the services below depend on it.
    services: Vec<ChildService>,
}

const TRUST_FRAMEWORK: usize = 0;
const ISSUER: usize = 1;
const VERIFIER: usize = 2;

fn pair(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_owned(), value.into())
}

impl ProcessFederation {
    /// Initialises and starts the trust framework, the issuer and the verifier, with their
    /// files (databases, anchor, logs) in `data_dir`.
    pub async fn start(
        bins: &Binaries,
        data_dir: &Path,
        databases: &Databases,
        extra: &ExtraSettings,
    ) -> Result<Self, LaunchError> {
        std::fs::create_dir_all(data_dir).map_err(LaunchError::io(format!(
            "cannot create {}",
            data_dir.display()
        )))?;
        let database = |url: Option<&Secret>| match url {
            Some(url) => pair("DATABASE_URL", url.expose()),
            None => pair("IDV_DATABASE__DATA_DIR", data_dir.display().to_string()),
        };
        let (tf_db, issuer_db, verifier_db) = match databases {
            Databases::Sqlite => (database(None), database(None), database(None)),
            Databases::Urls {
                trust_framework,
                issuer,
                verifier,
            } => (
                database(Some(trust_framework)),
                database(Some(issuer)),
                database(Some(verifier)),
            ),
        };

        // The trust framework: init (the anchor to pin, the operator token), then serve.
        let tf_base = with_database(tf_db, &extra.trust_framework);
        let init_env = with_address(&tf_base, free_port()?);
        let init = bins.run("trust-framework", &["init"], &init_env).await?;
        let (anchor, tf_token) = parse_trust_framework_init(&init)?;
        let anchor_file = data_dir.join("trust-anchor.json");
        std::fs::write(&anchor_file, format!("{anchor:#}\n"))
            .map_err(LaunchError::io("cannot write the anchor file"))?;
        let tf = start_on_free_port(bins, "trust-framework", &tf_base, data_dir).await?;

        // The issuer: init (the operator token), then serve, checking its own register entry
        // on the trust list before it offers or issues.
        let mut issuer_base = with_database(issuer_db, &[]);
        issuer_base.push(pair(
            "IDV_TRUST__LIST_URL",
            format!("{}/trust-list", tf.base_url()),
        ));
        issuer_base.push(pair(
            "IDV_TRUST__ANCHORS_FILE",
            anchor_file.display().to_string(),
        ));
        issuer_base.extend(extra.issuer.iter().cloned());
        let init_env = with_address(&issuer_base, free_port()?);
        let init = bins.run("issuer", &["init"], &init_env).await?;
        let issuer_token = parse_token("issuer init", &init)?;
        let issuer = start_on_free_port(bins, "issuer", &issuer_base, data_dir).await?;

        // The verifier, pinning the anchor and reading the list from the trust framework.
        let mut verifier_base = with_database(verifier_db, &[]);
        verifier_base.push(pair(
            "IDV_TRUST__LIST_URL",
            format!("{}/trust-list", tf.base_url()),
        ));
        verifier_base.push(pair(
            "IDV_TRUST__ANCHORS_FILE",
            anchor_file.display().to_string(),
        ));
        verifier_base.extend(extra.verifier.iter().cloned());
        let verifier = start_on_free_port(bins, "verifier", &verifier_base, data_dir).await?;

        let endpoints = Endpoints {
            trust_framework: tf.base_url().to_owned(),
            issuer: issuer.base_url().to_owned(),
            verifier: verifier.base_url().to_owned(),
            trust_framework_token: tf_token,
            issuer_token,
            anchor,
            anchor_file,
        };
        Ok(Self {
            bins: bins.clone(),
            endpoints,
            data_dir: data_dir.to_owned(),
            issuer_env: issuer.env.clone(),
            verifier_env: verifier.env.clone(),
            services: vec![tf, issuer, verifier],
        })
    }

    /// The binaries in use.
    pub fn binaries(&self) -> &Binaries {
        &self.bins
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The verifier's process.
    pub fn verifier(&mut self) -> &mut ChildService {
        &mut self.services[VERIFIER]
    }

    /// Kills the verifier and starts it again on the same port and database.
    pub async fn restart_verifier(&mut self) -> Result<(), LaunchError> {
        let bins = self.bins.clone();
        self.services[VERIFIER].restart(&bins).await
    }

    /// The end of every service's log, for assertion messages.
    pub fn logs(&self) -> String {
        self.services
            .iter()
            .map(|s| format!("--- {} log ---\n{}\n", s.name(), s.log_tail()))
            .collect()
    }

    /// The issuer's and verifier's settings, for running their commands by hand.
    pub fn service_env(&self, name: &str) -> &[(String, String)] {
        match name {
            "issuer" => &self.issuer_env,
            "verifier" => &self.verifier_env,
            _ => &[],
        }
    }

    /// The trust framework's process.
    pub fn trust_framework(&mut self) -> &mut ChildService {
        &mut self.services[TRUST_FRAMEWORK]
    }

    /// The issuer's process.
    pub fn issuer(&mut self) -> &mut ChildService {
        &mut self.services[ISSUER]
    }
}

impl Drop for ProcessFederation {
    fn drop(&mut self) {
        // The verifier first: it may be fetching from the others.
        while let Some(mut service) = self.services.pop() {
            service.kill();
        }
    }
}

fn with_database(database: (String, String), extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = vec![database];
    env.extend(extra.iter().cloned());
    env
}

fn with_address(base: &[(String, String)], port: u16) -> Vec<(String, String)> {
    let mut env = base.to_vec();
    env.push(pair("IDV_HTTP__LISTEN", format!("127.0.0.1:{port}")));
    env.push(pair(
        "IDV_HTTP__PUBLIC_URL",
        format!("http://127.0.0.1:{port}"),
    ));
    env
}

async fn start_on_free_port(
    bins: &Binaries,
    name: &str,
    base: &[(String, String)],
    data_dir: &Path,
) -> Result<ChildService, LaunchError> {
    let mut last = None;
    for attempt in 0..START_ATTEMPTS {
        let port = free_port()?;
        let log = data_dir.join(format!("{name}.log"));
        match ChildService::start(
            bins,
            name,
            format!("http://127.0.0.1:{port}"),
            with_address(base, port),
            log,
        )
        .await
        {
            Ok(service) => return Ok(service),
            // Another process took the port between reservation and bind: try another.
            Err(error) if error.to_string().contains("cannot listen") => {
                last = Some(error);
                tracing_note(name, attempt);
            }
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| LaunchError::failed(name, "could not start")))
}

fn tracing_note(name: &str, attempt: usize) {
    eprintln!("{name}: its reserved port was taken (attempt {attempt}); retrying on another");
}
