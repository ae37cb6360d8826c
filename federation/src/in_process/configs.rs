//! Each service's configuration in a federation started in process: the one place that wires
//! a service to its address, its database and the register. A new service setting a federation
//! needs goes here; a setting only some tests need goes through the builder's hooks
//! ([`super::FederationBuilder::verifier_config`] and its siblings).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use idv_service_kit::Secret;
use idv_service_kit::config::DatabaseSettings;
use issuer::config::{IssuerConfig, LoginSettings, TrustSettings, WalletClientSettings};
use trust_framework::config::TrustFrameworkConfig;
use verifier::config::VerifierConfig;

/// Pool size of a test database (several services and tests share the machine and the
/// PostgreSQL server).
const TEST_POOL_SIZE: u32 = 2;

/// The issuer's own default `[trust] refresh_secs` (issuer/src/config.rs), used when the
/// federation does not set one.
const ISSUER_TRUST_REFRESH_SECS: u64 = 60;

/// Where a service keeps its data.
#[derive(Debug, Clone)]
pub enum Storage {
    /// Its default SQLite file in this folder (as `init` and `serve` would create it).
    DataDir(PathBuf),
    /// A test database (`TestDb::url`), on a small pool.
    Url(String),
}

/// Where a service listens and what it calls itself.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) listen: SocketAddr,
    pub(crate) url: String,
}

/// Where the register is, for the services that read it.
#[derive(Debug, Clone)]
pub(crate) struct Register {
    pub(crate) list_url: String,
    pub(crate) anchor_file: PathBuf,
    /// `[trust] refresh_secs`, when not the service's default.
    pub(crate) refresh_secs: Option<u64>,
}

fn database(settings: &mut DatabaseSettings, storage: &Storage) {
    match storage {
        Storage::DataDir(dir) => dir.clone_into(&mut settings.data_dir),
        Storage::Url(url) => {
            settings.url = Some(Secret::new(url));
            settings.max_connections = TEST_POOL_SIZE;
        }
    }
}

/// The trust framework's.
pub(crate) fn trust_framework(address: &Address, storage: &Storage) -> TrustFrameworkConfig {
    let mut config = TrustFrameworkConfig::default();
    config.http.listen = address.listen;
    // Its public URL is its real address: the trust list points verifiers at the credential
    // types it publishes there.
    config.http.public_url = address.url.clone();
    database(&mut config.database, storage);
    config
}

/// The issuer's: with `register`, it checks its own register entry before it offers or
/// issues; with `login`, citizens sign in at its OpenID Provider.
pub(crate) fn issuer(
    address: &Address,
    storage: &Storage,
    register: Option<&Register>,
    login: Option<LoginSettings>,
) -> IssuerConfig {
    let mut config = IssuerConfig::default();
    config.http.listen = address.listen;
    config.http.public_url = address.url.clone();
    database(&mut config.database, storage);
    config.trust = register.map(|register| TrustSettings {
        list_url: register.list_url.clone(),
        anchors_file: Some(register.anchor_file.clone()),
        anchors: Vec::new(),
        plain_http: "loopback".into(),
        refresh_secs: register.refresh_secs.unwrap_or(ISSUER_TRUST_REFRESH_SECS),
    });
    config.login = login;
    config
}

/// The issuer's sign-in at `op_url` as client `client_id`, with the wallet simulator
/// (`wallet_client_id`) registered with a loopback redirect URI.
pub fn issuer_login(
    op_url: &str,
    client_id: &str,
    client_secret: &str,
    wallet_client_id: &str,
) -> LoginSettings {
    LoginSettings {
        issuer_url: op_url.to_owned(),
        client_id: client_id.to_owned(),
        client_secret: Secret::new(client_secret),
        scopes: vec!["openid".into()],
        request_lifetime_secs: 60,
        sign_in_timeout_secs: 600,
        wallet_clients: vec![WalletClientSettings {
            client_id: wallet_client_id.to_owned(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
        }],
    }
}

/// The verifier's, pinning the register's anchor from its file.
pub(crate) fn verifier(
    address: &Address,
    storage: &Storage,
    register: &Register,
) -> VerifierConfig {
    let mut config = VerifierConfig::default();
    config.http.listen = address.listen;
    config.http.public_url = address.url.clone();
    database(&mut config.database, storage);
    config.trust.list_url = register.list_url.clone();
    config.trust.anchors_file = Some(register.anchor_file.clone());
    if let Some(refresh_secs) = register.refresh_secs {
        config.trust.refresh_secs = refresh_secs;
    }
    config
}

/// The anchor file of a federation whose files are in `dir`.
pub(crate) fn anchor_file(dir: &Path) -> PathBuf {
    dir.join("trust-anchor.json")
}
