//! The three services as child processes, each configured by a TOML file written from the
//! same per-service configuration the in-process federation uses ([`configs`]), adjusted by
//! the builder's hooks; the operators' command-line steps run as the operators would run them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use issuer::config::IssuerConfig;
use serde::Serialize;
use tempfile::TempDir;
use trust_framework::config::TrustFrameworkConfig;
use verifier::config::VerifierConfig;

use super::binaries::Binaries;
use super::init_output::{parse_token, parse_trust_framework_init};
use super::service::ChildService;
use crate::deployment::Endpoints;
use crate::error::LaunchError;
use crate::in_process::FederationBuilder;
use crate::in_process::configs::{self, Address, Register, Storage};
use crate::ports::free_port;

/// Attempts at starting a service, each on a newly reserved port (another process may take a
/// reserved port before the service binds it).
const START_ATTEMPTS: usize = 3;

/// Variables of each service's process environment besides its configuration file: what is
/// not configuration (`SOFTHSM2_CONF`, `TOKIO_WORKER_THREADS`, a PIN's variable), or an
/// operator's own `IDV_*` override given on purpose. The `IDV_*` variables and `DATABASE_URL`
/// this process inherited are never passed on (see [`Binaries::command`]).
#[derive(Debug, Clone, Default)]
pub struct ProcessEnv {
    /// The trust framework's.
    pub trust_framework: Vec<(String, String)>,
    /// The issuer's.
    pub issuer: Vec<(String, String)>,
    /// The verifier's.
    pub verifier: Vec<(String, String)>,
}

/// The three services as child processes.
#[derive(Debug)]
pub struct ProcessFederation {
    pub(super) bins: Binaries,
    pub(super) endpoints: Endpoints,
    pub(super) data_dir: PathBuf,
    trust_framework_config: TrustFrameworkConfig,
    issuer_config: IssuerConfig,
    verifier_config: VerifierConfig,
    /// Killed in [`Drop`], the verifier first: it may be fetching from the others.
    services: Vec<ChildService>,
    /// The data directory when the builder named none; removed after the processes died.
    _temp: Option<TempDir>,
}

const TRUST_FRAMEWORK: usize = 0;
const ISSUER: usize = 1;
const VERIFIER: usize = 2;

/// The builder's settings that exist only in process; refused rather than ignored.
fn refuse_in_process_only(builder: &FederationBuilder<'_>) -> Result<(), LaunchError> {
    let in_process_only = [
        (builder.sign_in, "with_sign_in"),
        (builder.issuer_registered, "issuer_registered"),
        (!builder.providers.is_empty(), "provider"),
        (!builder.relying_parties.is_empty(), "relying_party"),
        (!builder.tenants.is_empty(), "tenant"),
        (builder.after_registration.is_some(), "after_registration"),
    ];
    match in_process_only.iter().find(|(set, _)| *set) {
        Some((_, setting)) => Err(LaunchError::failed(
            "starting the federation as child processes",
            format!(
                "`{setting}` is for the federation in process; register parties through the \
                 operators' steps (`Deployment`) instead"
            ),
        )),
        None => Ok(()),
    }
}

/// Where a service reserved `port` listens and what it calls itself.
fn address(port: u16) -> Address {
    Address {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// Writes `config` as the TOML file `path` (owner-only: it may hold secrets).
pub fn write_config(path: &Path, config: &impl Serialize) -> Result<(), LaunchError> {
    let what = format!("writing {}", path.display());
    let text = toml::to_string(config).map_err(|e| LaunchError::failed(what.clone(), e))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(LaunchError::io(what.clone()))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(LaunchError::io(what))
}

/// `config` changed by the builder's `hooks` for its service.
fn adjusted<C>(mut config: C, hooks: Vec<impl FnOnce(&mut C)>) -> C {
    for hook in hooks {
        hook(&mut config);
    }
    config
}

/// A service about to be started: its name, configuration and process environment. The
/// harness owns its address: `[http] listen` and `public_url` are set to each reserved port.
struct Launch<'a, C> {
    bins: &'a Binaries,
    name: &'static str,
    data_dir: &'a Path,
    config: C,
    /// The configuration's `[http]`.
    http: fn(&mut C) -> &mut idv_service_kit::config::HttpSettings,
    env: &'a [(String, String)],
}

impl<C: Serialize> Launch<'_, C> {
    /// The configuration file, rewritten for `port`.
    fn file_for(&mut self, port: u16) -> Result<PathBuf, LaunchError> {
        let address = address(port);
        let http = (self.http)(&mut self.config);
        http.listen = address.listen;
        http.public_url = address.url;
        let file = self.data_dir.join(format!("{}.toml", self.name));
        write_config(&file, &self.config)?;
        Ok(file)
    }

    /// `<bin> --config <file> init` on a reserved port; what it printed.
    async fn init(&mut self) -> Result<String, LaunchError> {
        let file = self.file_for(free_port()?)?;
        let file = file.display().to_string();
        self.bins
            .run(self.name, &["--config", &file, "init"], self.env)
            .await
    }

    /// `<bin> --config <file> serve`, on another reserved port when one was taken.
    async fn serve(mut self) -> Result<(ChildService, C), LaunchError> {
        let mut last = None;
        for attempt in 0..START_ATTEMPTS {
            let port = free_port()?;
            let file = self.file_for(port)?;
            let log = self.data_dir.join(format!("{}.log", self.name));
            let base_url = address(port).url;
            match ChildService::start(self.bins, self.name, base_url, file, self.env.to_vec(), log)
                .await
            {
                Ok(service) => return Ok((service, self.config)),
                // Another process took the port between reservation and bind: try another.
                Err(error) if error.to_string().contains("cannot listen") => {
                    eprintln!(
                        "{}: its reserved port was taken (attempt {attempt}); retrying on another",
                        self.name
                    );
                    last = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last.unwrap_or_else(|| LaunchError::failed(self.name, "could not start")))
    }
}

/// Starts what `builder` describes as child processes of `bins` (built first if missing, see
/// [`Binaries::ensure_built`]): the trust framework, the issuer and the verifier, always all
/// three, each `init`ialised as its operator would; files (configurations, SQLite databases,
/// anchor, logs) in the builder's data directory.
pub(crate) async fn start(
    builder: FederationBuilder<'_>,
    bins: &Binaries,
    env: &ProcessEnv,
) -> Result<ProcessFederation, LaunchError> {
    refuse_in_process_only(&builder)?;
    let ensure = bins.clone();
    tokio::task::spawn_blocking(move || ensure.ensure_built())
        .await
        .map_err(|e| LaunchError::failed("building the services", e))??;
    let temp = match builder.data_dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("federation-processes-")
                .tempdir()
                .map_err(LaunchError::io("cannot create a temporary folder"))?,
        ),
    };
    let data_dir = temp.as_ref().map_or_else(
        || builder.data_dir.clone().unwrap_or_default(),
        |temp| temp.path().to_owned(),
    );
    std::fs::create_dir_all(&data_dir).map_err(LaunchError::io(format!(
        "cannot create {}",
        data_dir.display()
    )))?;
    let storage =
        |explicit: Option<Storage>| explicit.unwrap_or(Storage::DataDir(data_dir.clone()));

    // The trust framework: init (the anchor to pin, the operator token), then serve.
    let config = configs::trust_framework(&address(0), &storage(builder.trust_framework_db));
    let mut launch = Launch {
        bins,
        name: "trust-framework",
        data_dir: &data_dir,
        config: adjusted(config, builder.trust_framework_hooks),
        http: |c: &mut TrustFrameworkConfig| &mut c.http,
        env: &env.trust_framework,
    };
    let (anchor, trust_framework_token) = parse_trust_framework_init(&launch.init().await?)?;
    let anchor_file = configs::anchor_file(&data_dir);
    std::fs::write(&anchor_file, format!("{anchor:#}\n"))
        .map_err(LaunchError::io("cannot write the anchor file"))?;
    let (tf, trust_framework_config) = launch.serve().await?;
    let register = Register {
        list_url: format!("{}/trust-list", tf.base_url()),
        anchor_file: anchor_file.clone(),
        refresh_secs: builder.trust_refresh_secs,
    };

    // The issuer: init (the operator token), then serve; with `issuer_checks_register`, it
    // checks its own register entry on the trust list before it offers or issues.
    let checks = builder.issuer_checks_register.then_some(&register);
    let config = configs::issuer(
        &address(0),
        &storage(builder.issuer.flatten()),
        checks,
        None,
    );
    let mut launch = Launch {
        bins,
        name: "issuer",
        data_dir: &data_dir,
        config: adjusted(config, builder.issuer_hooks),
        http: |c: &mut IssuerConfig| &mut c.http,
        env: &env.issuer,
    };
    let issuer_token = parse_token("issuer init", &launch.init().await?)?;
    let (issuer, issuer_config) = launch.serve().await?;

    // The verifier, pinning the anchor and reading the list from the trust framework.
    let config = configs::verifier(&address(0), &storage(builder.verifier.flatten()), &register);
    let (verifier, verifier_config) = Launch {
        bins,
        name: "verifier",
        data_dir: &data_dir,
        config: adjusted(config, builder.verifier_hooks),
        http: |c: &mut VerifierConfig| &mut c.http,
        env: &env.verifier,
    }
    .serve()
    .await?;

    let endpoints = Endpoints {
        trust_framework: tf.base_url().to_owned(),
        issuer: issuer.base_url().to_owned(),
        verifier: verifier.base_url().to_owned(),
        trust_framework_token,
        issuer_token,
        anchor,
        anchor_file,
    };
    Ok(ProcessFederation {
        bins: bins.clone(),
        endpoints,
        data_dir,
        trust_framework_config,
        issuer_config,
        verifier_config,
        services: vec![tf, issuer, verifier],
        _temp: temp,
    })
}

impl ProcessFederation {
    /// The binaries in use.
    pub fn binaries(&self) -> &Binaries {
        &self.bins
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The trust framework's process.
    pub fn trust_framework(&mut self) -> &mut ChildService {
        &mut self.services[TRUST_FRAMEWORK]
    }

    /// The issuer's process.
    pub fn issuer(&mut self) -> &mut ChildService {
        &mut self.services[ISSUER]
    }

    /// The verifier's process.
    pub fn verifier(&mut self) -> &mut ChildService {
        &mut self.services[VERIFIER]
    }

    /// The trust framework's configuration, as its file holds it.
    pub fn trust_framework_config(&self) -> &TrustFrameworkConfig {
        &self.trust_framework_config
    }

    /// The issuer's configuration, as its file holds it.
    pub fn issuer_config(&self) -> &IssuerConfig {
        &self.issuer_config
    }

    /// The verifier's configuration, as its file holds it.
    pub fn verifier_config(&self) -> &VerifierConfig {
        &self.verifier_config
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

    /// Runs a one-shot command of service `name` (`trust-framework`, `issuer`, `verifier`)
    /// with its configuration file and process environment, as its operator would beside the
    /// running service: `<bin> --config <file> <args>`; its standard output.
    pub async fn run(&self, name: &str, args: &[&str]) -> Result<String, LaunchError> {
        let service = self
            .services
            .iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| LaunchError::failed(name, "not a service of this federation"))?;
        let file = service.config_file().display().to_string();
        let mut full = vec!["--config", &file];
        full.extend_from_slice(args);
        self.bins.run(name, &full, service.env()).await
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

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use serde::de::DeserializeOwned;

    use super::*;
    use crate::in_process::configs::issuer_login;

    /// `config` written by [`write_config`] and read back as its service reads its file.
    fn round_trip<C: Serialize + DeserializeOwned + Default + PartialEq + Debug>(config: &C) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("service.toml");
        write_config(&file, config).unwrap();
        let read: C =
            idv_service_kit::config::load_from(Some(&file), std::iter::empty::<(&str, &str)>())
                .unwrap();
        assert_eq!(&read, config);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the file may hold secrets");
        }
    }

    #[test]
    fn every_service_reads_back_the_configuration_file_it_is_given() {
        let register = Register {
            list_url: "http://127.0.0.1:9/trust-list".into(),
            anchor_file: "/tmp/anchor.json".into(),
            refresh_secs: Some(1),
        };
        let postgres = Storage::Url("postgres://u:p@127.0.0.1:5432/db".into());
        let sqlite = Storage::DataDir("/tmp/federation".into());
        round_trip(&configs::trust_framework(&address(8100), &sqlite));
        let login = issuer_login("http://127.0.0.1:9", "issuer", "secret", "wallet-sim");
        let mut issuer = configs::issuer(&address(8101), &postgres, Some(&register), Some(login));
        issuer.keys.kek_file = Some("/tmp/issuer.kek".into());
        round_trip(&issuer);
        let mut verifier = configs::verifier(&address(8102), &postgres, &register);
        verifier.log.format = idv_service_kit::telemetry::LogFormat::Json;
        verifier.metrics.bearer_token = Some(idv_service_kit::Secret::new("scrape"));
        round_trip(&verifier);
    }

    #[tokio::test]
    async fn settings_that_exist_only_in_process_are_refused() {
        let bins = Binaries::in_dir("/nonexistent");
        let error = FederationBuilder::default()
            .tenant("Example Employer Ltd", "employer.example.co.uk")
            .start_processes(&bins, &ProcessEnv::default())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("`tenant`"), "{error}");
    }
}
