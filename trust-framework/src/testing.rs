//! The trust framework's configuration in tests (the `testing` feature): the one fixture its
//! own tests and the federation harness (`idv-federation`) build it from, so a setting every
//! test deployment needs is written once. What only some tests need they set on the result.

use std::net::SocketAddr;

use idv_service_kit::testing::Storage;

use crate::config::TrustFrameworkConfig;

/// The register listening on `listen`, `public_url` its `iss` (and the base of the credential
/// types the trust list points verifiers at), its data in `storage`.
pub fn config(listen: SocketAddr, public_url: &str, storage: &Storage) -> TrustFrameworkConfig {
    let mut config = TrustFrameworkConfig::default();
    config.http.listen = listen;
    config.http.public_url = public_url.to_owned();
    config.database = storage.database();
    config
}
