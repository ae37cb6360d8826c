//! The services' binaries in the target directory, built on demand.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::service::tail;
use crate::error::LaunchError;

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
        self.command_clearing(name, std::env::vars_os().map(|(key, _)| key))
    }

    /// [`Self::command`] with `inherited` the names in this process's environment.
    fn command_clearing(
        &self,
        name: &str,
        inherited: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Command {
        let mut command = Command::new(self.path(name));
        for key in inherited {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn inherited_configuration_variables_are_not_passed_on() {
        let inherited = ["IDV_HTTP__LISTEN", "DATABASE_URL", "PATH", "SOFTHSM2_CONF"];
        let command = Binaries::in_dir("/w/target/debug")
            .command_clearing("issuer", inherited.map(std::ffi::OsString::from));
        let removed: Vec<_> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| key.to_string_lossy().into_owned())
            .collect();
        assert_eq!(removed, ["DATABASE_URL", "IDV_HTTP__LISTEN"]);
    }

    #[test]
    fn binaries_of_a_test_executable_are_in_the_profile_directory() {
        let bins = Binaries::beside_current_exe().unwrap();
        assert!(!bins.dir.ends_with("deps"));
        assert!(bins.path("verifier").ends_with("verifier"));
    }
}
