//! The real `wallet-sim` binary, run with a data directory of its own and `--json`.

use std::process::Command;
use std::sync::Arc;

use idv_jose::{PublicKey, SystemClock, SystemRandom};
use serde_json::Value;

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) status: i32,
    pub(crate) json: Value,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The JSON of a successful run.
    pub(crate) fn ok(self) -> Value {
        assert_eq!(
            self.status, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.json
    }

    /// The error of a failed run: `(exit status, code, message)`.
    pub(crate) fn err(&self) -> (i32, String, String) {
        assert_ne!(self.status, 0, "expected a failure, got {}", self.stdout);
        (
            self.status,
            self.json["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            self.json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

/// The `wallet-sim` binary with a data directory of its own.
pub(crate) struct Wallet {
    dir: tempfile::TempDir,
}

impl Wallet {
    /// A wallet whose config.toml pins `anchor` and names `list_url`.
    pub(crate) fn new(list_url: &str, anchor: &PublicKey) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("wallet-sim-")
            .tempdir()
            .unwrap();
        std::fs::write(
            dir.path().join("anchor.jwk"),
            serde_json::to_string(&anchor.to_jwk()).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!("[wallet]\ntrust_list_url = \"{list_url}\"\ntrust_anchor = \"anchor.jwk\"\n"),
        )
        .unwrap();
        Self { dir }
    }

    /// A wallet without any trust configuration.
    pub(crate) fn unconfigured() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("wallet-sim-")
                .tempdir()
                .unwrap(),
        }
    }

    /// Runs `wallet-sim --json --data-dir <dir> <args>` off the runtime's thread (the
    /// services it talks to run on it).
    pub(crate) async fn run(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wallet-sim"));
        command
            .env_clear()
            .arg("--json")
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        Run {
            status: output.status.code().unwrap_or(-1),
            json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `wallet-sim --data-dir <dir> <args>` with the default, human output.
    pub(crate) async fn run_human(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wallet-sim"));
        command
            .env_clear()
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args);
        tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap()
    }

    /// Receives the offer `offer` (an issuer operator response) with its transaction code.
    pub(crate) async fn receive(&self, offer: &Value, copies: u32) -> Value {
        self.run(&[
            "receive",
            offer["offer_link"].as_str().unwrap(),
            "--tx-code",
            offer["tx_code"].as_str().unwrap(),
            "--copies",
            &copies.to_string(),
        ])
        .await
        .ok()
    }

    /// Presents to `check` (a created check with its `wallet_url`) with the person's approval.
    pub(crate) async fn approve(&self, check: &Value) -> Value {
        let link = check["wallet_url"].as_str().unwrap();
        self.run(&["present", link, "--approve"]).await.ok()
    }

    /// The data directory.
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Adds `line` to the `[wallet]` section of config.toml.
    pub(crate) fn configure(&self, line: &str) {
        let path = self.dir.path().join("config.toml");
        let mut config = std::fs::read_to_string(&path).unwrap_or_else(|_| "[wallet]\n".into());
        config.push_str(line);
        config.push('\n');
        std::fs::write(path, config).unwrap();
    }

    /// The wallet as a library, opened from its data directory as the binary opens it (close
    /// it before running the binary).
    pub(crate) async fn open(&self) -> wallet_sim::Wallet {
        let config = wallet_sim::config::WalletConfig::load(self.dir.path(), Vec::new()).unwrap();
        wallet_sim::Wallet::open(
            self.dir.path(),
            config.wallet,
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
        )
        .await
        .unwrap()
    }

    /// The wallet's database, opened as the binary opens it.
    pub(crate) async fn store(&self) -> wallet_sim::store::Store {
        wallet_sim::store::Store::open(&wallet_sim::config::database_url(self.dir.path()))
            .await
            .unwrap()
    }
}
