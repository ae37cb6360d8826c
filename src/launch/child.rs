//! The services as real child processes of their binaries, configured only as their README
//! says a person would: `IDV_*` variables (and `DATABASE_URL`), `init` once, then `serve`.
//!
//! - [`Binaries`] finds `trust-framework`, `issuer`, `verifier` and `wallet-sim` in the target
//!   directory (beside the running test executable) and builds the missing ones once.
//! - [`ChildService`] is one `serve` process: its output goes to a log file, it is ready when
//!   `/healthz` answers, it can be killed and started again on the same port and database, and
//!   it is killed when dropped (also when a test panics).
//! - [`ProcessFederation`] starts the three services and implements [`Deployment`] by running
//!   the operators' commands (`issuer registration`, `verifier tenant add|attest`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use idv_service_kit::Secret;
use serde_json::Value;

use super::{Deployment, Endpoints, LaunchError, TenantAccount, free_port, parse_tenant};

/// How long a service may take to answer `/healthz` after it is spawned.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at starting a service, each on a newly reserved port (another process may take a
/// reserved port before the service binds it).
const START_ATTEMPTS: usize = 3;
/// Lines of a log quoted in errors.
const LOG_TAIL_LINES: usize = 40;

/// Where the federation's binaries are.
#[derive(Debug, Clone)]
pub struct Binaries {
    dir: PathBuf,
}

/// The binaries and the packages that build them.
const PACKAGES: [(&str, &str); 4] = [
    ("trust-framework", "trust-framework"),
    ("issuer", "issuer"),
    ("verifier", "verifier"),
    ("wallet-sim", "wallet-sim"),
];

/// Builds are serialised within a process, so two tests never run cargo at once.
static BUILD: Mutex<()> = Mutex::new(());

impl Binaries {
    /// The directory of the running executable's profile: `target/<profile>/`, whether the
    /// executable is a binary there or a test in `target/<profile>/deps/`.
    pub fn beside_current_exe() -> Result<Self, LaunchError> {
        let exe = std::env::current_exe()
            .map_err(LaunchError::io("cannot locate the running executable"))?;
        let mut dir = exe
            .parent()
            .ok_or_else(|| LaunchError::failed("locating binaries", "no parent directory"))?
            .to_owned();
        if dir.file_name().is_some_and(|name| name == "deps") {
            dir.pop();
        }
        Ok(Self { dir })
    }

    /// Binaries in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The path of binary `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }

    /// Builds every missing binary with `cargo build -p <package> --bin <name>`, in this
    /// target directory and profile. Binaries that exist are used as they are: `cargo test
    /// --workspace` builds them (each service has integration tests), so run that, or
    /// `cargo build --bins`, after changing a service.
    pub fn ensure_built(&self) -> Result<(), LaunchError> {
        let _guard = BUILD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let missing: Vec<(&str, &str)> = PACKAGES
            .into_iter()
            .filter(|(_, bin)| !self.path(bin).is_file())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let output = self
            .build_command(&missing)
            .stdin(Stdio::null())
            .output()
            .map_err(LaunchError::io("cannot run cargo to build the services"))?;
        if !output.status.success() {
            return Err(LaunchError::failed(
                "building the services",
                tail(&String::from_utf8_lossy(&output.stderr)),
            ));
        }
        Ok(())
    }

    /// `cargo build -p <package> --bin <name>…` into this directory's target dir and profile.
    fn build_command(&self, missing: &[(&str, &str)]) -> Command {
        let cargo = std::env::var("CARGO")
            .ok()
            .or_else(|| option_env!("CARGO").map(str::to_owned))
            .unwrap_or_else(|| "cargo".to_owned());
        let mut command = Command::new(cargo);
        command.arg("build");
        for (package, bin) in missing {
            command.args(["-p", package, "--bin", bin]);
        }
        if let Some(target_dir) = self.dir.parent() {
            command.arg("--target-dir").arg(target_dir);
        }
        match self.dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                command.arg("--release");
            }
            Some(profile) => {
                command.args(["--profile", profile]);
            }
        }
        command
    }

    /// A command for binary `name` with a clean configuration: the `IDV_*` variables and
    /// `DATABASE_URL` of this process's environment are not passed on.
    pub fn command(&self, name: &str) -> Command {
        let mut command = Command::new(self.path(name));
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            if key_text.starts_with("IDV_") || key_text == "DATABASE_URL" {
                command.env_remove(&key);
            }
        }
        command.stdin(Stdio::null());
        command
    }

    /// Runs a one-shot command of binary `name` to completion; its standard output, or an
    /// error quoting its standard error.
    pub async fn run(
        &self,
        name: &str,
        args: &[&str],
        env: &[(String, String)],
    ) -> Result<String, LaunchError> {
        let mut command = self.command(name);
        command.args(args).envs(env.iter().map(|(k, v)| (k, v)));
        let what = format!("{name} {}", args.join(" "));
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .map_err(|e| LaunchError::failed(what.clone(), e))?
            .map_err(LaunchError::io(format!("cannot run {what}")))?;
        if !output.status.success() {
            return Err(LaunchError::failed(
                what,
                format!(
                    "{}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// The last lines of `text`.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}

/// One `serve` process of a service.
#[derive(Debug)]
pub struct ChildService {
    name: String,
    base_url: String,
    command: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log_path: PathBuf,
    child: Option<Child>,
}

impl ChildService {
    /// Spawns `bins/name serve` with `env`, logging to `log_path`, and waits until its
    /// `/healthz` at `base_url` answers.
    pub async fn start(
        bins: &Binaries,
        name: &str,
        base_url: String,
        env: Vec<(String, String)>,
        log_path: PathBuf,
    ) -> Result<Self, LaunchError> {
        let mut service = Self {
            name: name.to_owned(),
            base_url,
            command: bins.path(name),
            args: vec!["serve".into()],
            env,
            log_path,
            child: None,
        };
        service.spawn(bins)?;
        service.wait_healthy().await?;
        Ok(service)
    }

    fn spawn(&mut self, bins: &Binaries) -> Result<(), LaunchError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(LaunchError::io(format!(
                "cannot open {}",
                self.log_path.display()
            )))?;
        let log_err = log
            .try_clone()
            .map_err(LaunchError::io("cannot duplicate the log file"))?;
        let mut command = bins.command(&self.name);
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        let child = command.spawn().map_err(LaunchError::io(format!(
            "cannot start {}",
            self.command.display()
        )))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until `/healthz` answers 200; fails early, quoting the log, if the process exits.
    pub async fn wait_healthy(&mut self) -> Result<(), LaunchError> {
        let client = reqwest::Client::new();
        let url = format!("{}/healthz", self.base_url);
        let started = tokio::time::Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(LaunchError::failed(
                    format!("{} serve", self.name),
                    format!("exited with {status}:\n{}", self.log_tail()),
                ));
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(LaunchError::failed(
                    format!("{} serve", self.name),
                    format!(
                        "no answer at {url} after {STARTUP_TIMEOUT:?}:\n{}",
                        self.log_tail()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The service's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process (SIGKILL: no graceful shutdown, as in a crash) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the process and starts it again with the same settings (port, database).
    pub async fn restart(&mut self, bins: &Binaries) -> Result<(), LaunchError> {
        self.kill();
        self.spawn(bins)?;
        self.wait_healthy().await
    }

    /// The service's whole log (its standard output and error), empty when there is none yet.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The end of the service's log.
    pub fn log_tail(&self) -> String {
        std::fs::read_to_string(&self.log_path)
            .map(|text| tail(&text))
            .unwrap_or_else(|e| format!("(no log at {}: {e})", self.log_path.display()))
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ChildService {
    fn drop(&mut self) {
        self.kill();
    }
}

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
    bins: Binaries,
    endpoints: Endpoints,
    data_dir: PathBuf,
    issuer_env: Vec<(String, String)>,
    verifier_env: Vec<(String, String)>,
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

/// The anchor JWK and operator token from `trust-framework init`'s output, read as the
/// operator reads them off the terminal.
fn parse_trust_framework_init(output: &str) -> Result<(Value, Secret), LaunchError> {
    let what = "trust-framework init";
    let start = output
        .find("\n{")
        .map(|i| i + 1)
        .ok_or_else(|| LaunchError::failed(what, "no anchor JWK in the output"))?;
    let end = output[start..]
        .find("\n}")
        .map(|i| start + i + 2)
        .ok_or_else(|| LaunchError::failed(what, "unterminated anchor JWK"))?;
    let anchor: Value = serde_json::from_str(&output[start..end])
        .map_err(|e| LaunchError::failed(what, format!("anchor JWK: {e}")))?;
    Ok((anchor, parse_token(what, output)?))
}

/// The operator token an `init` printed (`Operator API token (shown once, …): <token>`).
fn parse_token(what: &str, output: &str) -> Result<Secret, LaunchError> {
    output
        .lines()
        .find_map(|line| {
            line.strip_prefix("Operator API token")
                .and_then(|rest| rest.rsplit_once(": "))
                .map(|(_, token)| Secret::new(token.trim()))
        })
        .ok_or_else(|| {
            LaunchError::failed(
                what,
                "no operator token in the output (initialised before?)",
            )
        })
}

impl Deployment for ProcessFederation {
    fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    async fn issuer_registration(&self) -> Result<Value, LaunchError> {
        let output = self
            .bins
            .run("issuer", &["registration"], &self.issuer_env)
            .await?;
        serde_json::from_str(&output).map_err(|e| LaunchError::failed("issuer registration", e))
    }

    async fn add_tenant(&self, name: &str, client_id: &str) -> Result<TenantAccount, LaunchError> {
        let output = self
            .bins
            .run(
                "verifier",
                &[
                    "tenant",
                    "add",
                    "--name",
                    name,
                    "--client-id",
                    client_id,
                    "--json",
                ],
                &self.verifier_env,
            )
            .await?;
        parse_tenant(&output)
    }

    async fn install_attestation(
        &self,
        tenant_id: &str,
        attestation: &str,
    ) -> Result<(), LaunchError> {
        let file = self.data_dir.join(format!("{tenant_id}.attestation.jwt"));
        std::fs::write(&file, attestation)
            .map_err(LaunchError::io("cannot write the attestation file"))?;
        let file = file.display().to_string();
        self.bins
            .run(
                "verifier",
                &["tenant", "attest", tenant_id, &file],
                &self.verifier_env,
            )
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_output_yields_the_anchor_and_the_token() {
        let output = "Created the anchor signing key.\n\
            Anchor public JWK (pin it in every verifier's and wallet's configuration):\n\
            {\n  \"kty\": \"EC\",\n  \"crv\": \"P-256\"\n}\n\
            Anchor thumbprint (kid): abc\n\
            Operator API token (shown once, store it now): tok_123\n";
        let (anchor, token) = parse_trust_framework_init(output).unwrap();
        assert_eq!(anchor["kty"], "EC");
        assert_eq!(token.expose(), "tok_123");
        assert!(parse_token("x", "An operator token exists; it is not shown again.").is_err());
    }

    #[test]
    fn missing_binaries_are_built_into_the_same_target_directory_and_profile() {
        let args = |dir: &str| -> Vec<String> {
            Binaries::in_dir(dir)
                .build_command(&[("issuer", "issuer"), ("wallet-sim", "wallet-sim")])
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            args("/w/target/debug").join(" "),
            "build -p issuer --bin issuer -p wallet-sim --bin wallet-sim --target-dir /w/target"
        );
        assert!(args("/w/target/release").ends_with(&["--release".to_owned()]));
        assert!(args("/w/target/ci").ends_with(&["--profile".to_owned(), "ci".to_owned()]));
    }

    #[test]
    fn binaries_of_a_test_executable_are_in_the_profile_directory() {
        let bins = Binaries::beside_current_exe().unwrap();
        assert!(!bins.dir.ends_with("deps"));
        assert!(bins.path("verifier").ends_with("verifier"));
    }
}
