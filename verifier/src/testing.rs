//! The verifier's configuration in tests (the `testing` feature): the one fixture the
//! federation harness (`idv-federation`) builds it from, so a setting every test deployment
//! needs is written once. What only some tests need they set on the result.

use std::net::SocketAddr;
use std::path::Path;

use idv_service_kit::testing::Storage;

use crate::config::VerifierConfig;

/// The verifier listening on `listen`, reached at `public_url`, its data in `storage`, reading
/// the register's list at `list_url` with its anchor pinned from `anchors_file`, refetched
/// every `refresh_secs` (the verifier's default when `None`).
pub fn config(
    listen: SocketAddr,
    public_url: &str,
    storage: &Storage,
    list_url: &str,
    anchors_file: &Path,
    refresh_secs: Option<u64>,
) -> VerifierConfig {
    let mut config = VerifierConfig::default();
    config.http.listen = listen;
    config.http.public_url = public_url.to_owned();
    config.database = storage.database();
    config.trust.list_url = list_url.to_owned();
    config.trust.anchors_file = Some(anchors_file.to_owned());
    if let Some(refresh_secs) = refresh_secs {
        config.trust.refresh_secs = refresh_secs;
    }
    config
}
