//! The issuer's configuration in tests (the `testing` feature): the one fixture its own tests
//! and the federation harness (`idv-federation`) build it from, so a setting every test
//! deployment needs is written once. What only some tests need they set on the result.

use std::net::SocketAddr;
use std::path::Path;

use idv_service_kit::Secret;
use idv_service_kit::testing::Storage;

use crate::config::{
    IssuerConfig, LoginSettings, TrustSettings, WalletClientSettings, default_trust_refresh,
};

/// The issuer listening on `listen`, `public_url` its Credential Issuer Identifier, its data in
/// `storage`; no `[trust]`, no `[login]`.
pub fn config(listen: SocketAddr, public_url: &str, storage: &Storage) -> IssuerConfig {
    let mut config = IssuerConfig::default();
    config.http.listen = listen;
    config.http.public_url = public_url.to_owned();
    config.database = storage.database();
    config
}

/// `[trust]`: the register's list at `list_url` (plain http on loopback), its anchor pinned
/// from `anchors_file`, refetched every `refresh_secs` (the issuer's default when `None`).
pub fn trust(list_url: &str, anchors_file: &Path, refresh_secs: Option<u64>) -> TrustSettings {
    TrustSettings {
        list_url: list_url.to_owned(),
        anchors_file: Some(anchors_file.to_owned()),
        anchors: Vec::new(),
        plain_http: "loopback".into(),
        refresh_secs: refresh_secs.unwrap_or_else(default_trust_refresh),
    }
}

/// `[login]`: sign-in at `op_url` as client `client_id`, with the wallet simulator
/// (`wallet_client_id`) registered with a loopback redirect URI.
pub fn login(
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
