//! A SoftHSM2 token of one's own: a configuration file and token directory in a temporary
//! folder, the token initialised by `softhsm2-util` (Debian's `softhsm2`). SoftHSM reads its
//! configuration from `SOFTHSM2_CONF` when the module is initialised, so the processes that use
//! the token get [`SoftHsm::env`] in their environment (a test re-runs itself with it:
//! [`SoftHsm::run_test_in_child`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// Debian's SoftHSM2 PKCS#11 module.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The variable SoftHSM2 reads its configuration file from.
pub const CONF_ENV: &str = "SOFTHSM2_CONF";
/// Set in a child test process that runs with a token (see [`SoftHsm::run_test_in_child`]).
pub const CHILD_ENV: &str = "IDV_TEST_SOFTHSM_CHILD";

/// A token in a temporary folder, removed on drop.
#[derive(Debug)]
pub struct SoftHsm {
    dir: TempDir,
    label: String,
    pin: String,
}

impl SoftHsm {
    /// Creates the folder and configuration and initialises token `label` with a user PIN.
    pub fn new(label: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("idv-softhsm-")
            .tempdir()
            .unwrap_or_else(|e| panic!("temporary folder: {e}"));
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap_or_else(|e| panic!("token folder: {e}"));
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap_or_else(|e| panic!("softhsm2.conf: {e}"));
        let hsm = Self {
            dir,
            label: label.to_owned(),
            pin: "1234-test-pin".to_owned(),
        };
        let output = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label])
            .args(["--so-pin", "5678-test-so-pin", "--pin", &hsm.pin])
            .env(CONF_ENV, hsm.conf())
            .output()
            .unwrap_or_else(|e| panic!("softhsm2-util (apt-get install softhsm2): {e}"));
        assert!(
            output.status.success(),
            "softhsm2-util --init-token: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        hsm
    }

    /// The configuration file (the value of `SOFTHSM2_CONF`).
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The user PIN.
    pub fn pin(&self) -> &str {
        &self.pin
    }

    /// The temporary folder (a PIN file can go there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `SOFTHSM2_CONF` for a process that uses the token.
    pub fn env(&self) -> (String, String) {
        (CONF_ENV.to_owned(), self.conf().display().to_string())
    }

    /// Whether this process is a child started by [`SoftHsm::run_test_in_child`].
    pub fn in_child() -> bool {
        std::env::var_os(CHILD_ENV).is_some()
    }

    /// Runs test `name` of the current test executable again, alone (ignored or not), in a
    /// child process with `SOFTHSM2_CONF` (and `env`) set, and fails unless it passed; the
    /// child's output is printed.
    pub fn run_test_in_child(&self, name: &str, env: &[(String, String)]) {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current exe: {e}"));
        let output = Command::new(exe)
            .args([name, "--exact", "--include-ignored", "--nocapture"])
            .arg("--test-threads=1")
            .env(CONF_ENV, self.conf())
            .env(CHILD_ENV, "1")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap_or_else(|e| panic!("running {name} in a child: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        println!("{stdout}");
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{name} in a child process:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
