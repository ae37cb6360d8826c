//! One `<bin> --config <file> serve` process of a service: logged to a file, ready when
//! `/healthz` answers, killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use super::binaries::Binaries;
use crate::error::LaunchError;

/// How long a service may take to answer `/healthz` after it is spawned.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of a log quoted in errors.
const LOG_TAIL_LINES: usize = 40;

/// The last lines of `text`.
pub(super) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}

/// One `serve` process of a service.
#[derive(Debug)]
pub struct ChildService {
    name: String,
    base_url: String,
    command: PathBuf,
    config_file: PathBuf,
    env: Vec<(String, String)>,
    log_path: PathBuf,
    child: Option<Child>,
}

impl ChildService {
    /// Spawns `bins/name --config <config_file> serve` with `env` added to its cleared
    /// environment (see [`Binaries::command`]), logging to `log_path`, and waits until its
    /// `/healthz` at `base_url` answers.
    pub async fn start(
        bins: &Binaries,
        name: &str,
        base_url: String,
        config_file: PathBuf,
        env: Vec<(String, String)>,
        log_path: PathBuf,
    ) -> Result<Self, LaunchError> {
        let mut service = Self {
            name: name.to_owned(),
            base_url,
            command: bins.path(name),
            config_file,
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
            .arg("--config")
            .arg(&self.config_file)
            .arg("serve")
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

    /// Its configuration file.
    pub fn config_file(&self) -> &Path {
        &self.config_file
    }

    /// What its process environment has besides its configuration file.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
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
