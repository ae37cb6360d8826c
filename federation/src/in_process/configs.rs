//! Each service's configuration in a federation started in process: the services' own test
//! configurations (`<service>::testing`, the one place that wires a service to its address, its
//! database and the register), given the federation's addresses and register. A new setting
//! every deployment needs goes in the service's `testing` module; a setting only some tests
//! need goes through the builder's hooks ([`super::FederationBuilder::verifier_config`] and its
//! siblings).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use idv_service_kit::testing::Storage;
use issuer::config::{IssuerConfig, LoginSettings};
use trust_framework::config::TrustFrameworkConfig;
use verifier::config::VerifierConfig;

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

/// The trust framework's. Its public URL is its real address: the trust list points verifiers
/// at the credential types it publishes there.
pub(crate) fn trust_framework(address: &Address, storage: &Storage) -> TrustFrameworkConfig {
    trust_framework::testing::config(address.listen, &address.url, storage)
}

/// The issuer's: with `register`, it checks its own register entry before it offers or
/// issues; with `login`, citizens sign in at its OpenID Provider.
pub(crate) fn issuer(
    address: &Address,
    storage: &Storage,
    register: Option<&Register>,
    login: Option<LoginSettings>,
) -> IssuerConfig {
    let mut config = issuer::testing::config(address.listen, &address.url, storage);
    config.trust = register.map(|register| {
        issuer::testing::trust(
            &register.list_url,
            &register.anchor_file,
            register.refresh_secs,
        )
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
    issuer::testing::login(op_url, client_id, client_secret, wallet_client_id)
}

/// The verifier's, pinning the register's anchor from its file.
pub(crate) fn verifier(
    address: &Address,
    storage: &Storage,
    register: &Register,
) -> VerifierConfig {
    verifier::testing::config(
        address.listen,
        &address.url,
        storage,
        &register.list_url,
        &register.anchor_file,
        register.refresh_secs,
    )
}

/// The anchor file of a federation whose files are in `dir`.
pub(crate) fn anchor_file(dir: &Path) -> PathBuf {
    dir.join("trust-anchor.json")
}
