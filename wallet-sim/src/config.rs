//! The wallet's settings and data directory.
//!
//! Layers, later wins (through `idv_service_kit::config`): defaults, `<data-dir>/config.toml`
//! when it exists, `IDV_WALLET__<KEY>` environment variables (only those: the wallet ignores
//! other services' `IDV_*` settings and `DATABASE_URL`), then the command-line options
//! `--trust-list-url` and `--trust-anchor`.
//!
//! ```toml
//! [wallet]
//! trust_list_url = "http://127.0.0.1:8100/trust-list"   # IDV_WALLET__TRUST_LIST_URL
//! trust_anchor = "anchor.jwk"       # a JWK or JWK Set file; relative to the data dir
//! plain_http_any_host = false       # plain http beyond loopback (a lab without TLS only)
//! ca_file = "private-ca.pem"        # extra PEM CA certificates https trusts besides the
//!                                   # system's roots; relative to the data dir
//! http_timeout_secs = 10
//! max_response_bytes = 4194304
//! batch_copies = 5                  # copies per credential when the issuer batches
//! client_id = "wallet-sim"          # the OAuth client identifier in the authorization code flow
//! sign_in_timeout_secs = 300        # how long to wait for the person to sign in at the provider
//! ```
//!
//! The trust list and its anchors come only from here, never from the network. The data
//! directory (`--data-dir`, default `$XDG_DATA_HOME/federated-idv/wallet-sim`, else
//! `$HOME/.local/share/federated-idv/wallet-sim`) holds `wallet.sqlite` with the credentials
//! and their holder keys.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::WalletError;

/// Name of the configuration file in the data directory.
pub const CONFIG_FILE: &str = "config.toml";
/// Name of the database file in the data directory.
pub const DATABASE_FILE: &str = "wallet.sqlite";
/// Prefix of the environment variables read.
pub const ENV_PREFIX: &str = "IDV_WALLET__";

/// All settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletConfig {
    /// The `[wallet]` section.
    #[serde(default)]
    pub wallet: WalletSettings,
}

/// The `[wallet]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WalletSettings {
    /// URL of the signed trust list.
    pub trust_list_url: Option<String>,
    /// File holding the pinned anchor key(s): a public JWK or a JWK Set (relative paths are
    /// taken from the data directory).
    pub trust_anchor: Option<PathBuf>,
    /// Allow plain `http` to hosts other than loopback (never in production).
    pub plain_http_any_host: bool,
    /// A PEM file of CA certificates `https` trusts besides the system's roots (relative paths
    /// are taken from the data directory).
    pub ca_file: Option<PathBuf>,
    /// Timeout of every HTTP exchange, in seconds.
    pub http_timeout_secs: u64,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// Copies requested per credential when the issuer supports batch issuance (capped by
    /// its `batch_size`).
    pub batch_copies: u32,
    /// The OAuth client identifier sent in the authorization code flow (the issuer registers
    /// it with the wallet's loopback redirect URI).
    pub client_id: String,
    /// How long to wait, in seconds, for the browser to come back from the sign-in at the
    /// provider.
    pub sign_in_timeout_secs: u64,
}

impl Default for WalletSettings {
    fn default() -> Self {
        Self {
            trust_list_url: None,
            trust_anchor: None,
            plain_http_any_host: false,
            ca_file: None,
            http_timeout_secs: 10,
            max_response_bytes: 4 * 1024 * 1024,
            batch_copies: 5,
            client_id: "wallet-sim".to_owned(),
            sign_in_timeout_secs: 300,
        }
    }
}

impl WalletConfig {
    /// Loads `<data_dir>/config.toml` (when present) and the `IDV_WALLET__*` variables of `env`.
    pub fn load<I>(data_dir: &Path, env: I) -> Result<Self, WalletError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let file = data_dir.join(CONFIG_FILE);
        let file = file.is_file().then_some(file);
        let env = env
            .into_iter()
            .filter(|(name, _)| name.starts_with(ENV_PREFIX));
        let config: Self = idv_service_kit::config::load_from(file.as_deref(), env)
            .map_err(|e| WalletError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), WalletError> {
        let settings = &self.wallet;
        if !(1..=300).contains(&settings.http_timeout_secs) {
            return Err(WalletError::Config(
                "wallet.http_timeout_secs must be 1 to 300".into(),
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&settings.max_response_bytes) {
            return Err(WalletError::Config(
                "wallet.max_response_bytes must be 1 KiB to 64 MiB".into(),
            ));
        }
        if !(1..=100).contains(&settings.batch_copies) {
            return Err(WalletError::Config(
                "wallet.batch_copies must be 1 to 100".into(),
            ));
        }
        let client_id = &settings.client_id;
        if client_id.is_empty()
            || client_id.len() > 255
            || !client_id.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(WalletError::Config(
                "wallet.client_id must be 1 to 255 printable ASCII characters without spaces"
                    .into(),
            ));
        }
        if !(1..=3600).contains(&settings.sign_in_timeout_secs) {
            return Err(WalletError::Config(
                "wallet.sign_in_timeout_secs must be 1 to 3600".into(),
            ));
        }
        Ok(())
    }
}

/// The default data directory: `$XDG_DATA_HOME/federated-idv/wallet-sim`, else
/// `$HOME/.local/share/federated-idv/wallet-sim`.
pub fn default_data_dir(xdg_data_home: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    // The XDG base directory spec ignores relative values.
    let base = match xdg_data_home.filter(|v| Path::new(v).is_absolute()) {
        Some(xdg) => PathBuf::from(xdg),
        None => Path::new(home.filter(|h| !h.is_empty())?).join(".local/share"),
    };
    Some(base.join("federated-idv").join("wallet-sim"))
}

/// The SQLite URL of the database in `data_dir`.
pub fn database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join(DATABASE_FILE).display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_file_and_wallet_environment_are_layered() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[wallet]\ntrust_list_url = \"http://127.0.0.1:1/trust-list\"\nbatch_copies = 3\n",
        )
        .unwrap();
        let config = WalletConfig::load(
            dir.path(),
            env(&[
                ("IDV_WALLET__BATCH_COPIES", "7"),
                ("IDV_WALLET__TRUST_ANCHOR", "anchor.jwk"),
                // Another service's settings and DATABASE_URL are not the wallet's.
                ("IDV_HTTP__LISTEN", "0.0.0.0:1"),
                ("DATABASE_URL", "postgres://elsewhere/db"),
            ]),
        )
        .unwrap();
        assert_eq!(
            config.wallet.trust_list_url.as_deref(),
            Some("http://127.0.0.1:1/trust-list")
        );
        assert_eq!(config.wallet.batch_copies, 7);
        assert_eq!(
            config.wallet.trust_anchor.as_deref(),
            Some(Path::new("anchor.jwk"))
        );
        assert_eq!(config.wallet.http_timeout_secs, 10);
        assert_eq!(config.wallet.client_id, "wallet-sim");
        assert_eq!(config.wallet.sign_in_timeout_secs, 300);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(WalletConfig::load(dir.path(), env(&[("IDV_WALLET__TRUST_LIST", "x")])).is_err());
        assert!(WalletConfig::load(dir.path(), env(&[("IDV_WALLET__BATCH_COPIES", "0")])).is_err());
        assert!(WalletConfig::load(dir.path(), env(&[("IDV_WALLET__CLIENT_ID", "a b")])).is_err());
        assert!(
            WalletConfig::load(
                dir.path(),
                env(&[("IDV_WALLET__SIGN_IN_TIMEOUT_SECS", "0")])
            )
            .is_err()
        );
    }

    #[test]
    fn data_dir_follows_xdg_then_home() {
        assert_eq!(
            default_data_dir(Some("/xdg"), Some("/home/a")),
            Some(PathBuf::from("/xdg/federated-idv/wallet-sim"))
        );
        assert_eq!(
            default_data_dir(Some("relative"), Some("/home/a")),
            Some(PathBuf::from(
                "/home/a/.local/share/federated-idv/wallet-sim"
            ))
        );
        assert_eq!(default_data_dir(None, None), None);
    }
}
