//! The citizen's `wallet-sim` binary, driven with `--json` against the [`World`].

use std::path::PathBuf;

use idv_federation::child::Binaries;
use serde_json::Value;

use crate::helpers::World;

/// The `wallet-sim` binary with the citizen's data directory and the pinned trust settings.
pub(crate) struct WalletCli {
    pub(crate) bins: Binaries,
    pub(crate) data_dir: PathBuf,
    pub(crate) trust_list_url: String,
    pub(crate) anchor_file: PathBuf,
}

/// One `wallet-sim --json` run.
#[derive(Debug)]
pub(crate) struct WalletRun {
    pub(crate) status: Option<i32>,
    pub(crate) output: Value,
    pub(crate) stderr: String,
}

impl WalletRun {
    /// The JSON output of a successful run.
    pub(crate) fn success(self, world: &World) -> Value {
        assert_eq!(
            self.status,
            Some(0),
            "wallet-sim failed: {:#}\n{}\n{}",
            self.output,
            self.stderr,
            world.logs()
        );
        self.output
    }
}

impl WalletCli {
    /// The `wallet-sim --data-dir … --trust-list-url … --trust-anchor … --json <args>` command.
    pub(crate) fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = self.bins.command("wallet-sim");
        command
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--trust-list-url", &self.trust_list_url])
            .arg("--trust-anchor")
            .arg(&self.anchor_file)
            .arg("--json")
            .args(args);
        command
    }

    /// Runs [`WalletCli::command`] to its end.
    pub(crate) async fn run(&self, args: &[&str]) -> WalletRun {
        let mut command = self.command(args);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap();
        WalletRun {
            status: output.status.code(),
            output: serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&output.stdout).into_owned())
            }),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
