//! [`Wallet`]: the wallet's use-case areas composed on one database, HTTP client, clock,
//! randomness and trust settings, opened once per command from the data directory. Each area
//! is a type owning clones of the [`Handles`] it needs and the [`TrustSource`], and no area
//! depends on another:
//!
//! - [`Holdings`]: what the wallet holds (`list`, `show`, `delete`);
//! - [`Issuance`]: receiving credentials (OpenID4VCI);
//! - [`Presentations`]: presenting them (OpenID4VP).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use idv_fetch::FetchPolicy;
use idv_fetch::http::PlainHttp;
use idv_jose::{Clock, Random};
use idv_service_kit::tls::ClientTls;

use crate::config::{CONFIG_FILE, DATABASE_FILE, WalletSettings, database_url};
use crate::error::WalletError;
use crate::holdings::Holdings;
use crate::http_client::Http;
use crate::issuance::Issuance;
use crate::presentation::Presentations;
use crate::store::Store;
use crate::trust::{TrustSettings, TrustSource};

/// The handles every area works with: the database, the HTTP client, the clock and the
/// randomness. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Handles {
    pub(crate) store: Store,
    pub(crate) http: Http,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
}

impl Handles {
    /// A fresh random identifier of `bytes` bytes, lowercase hex.
    pub(crate) fn new_id(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.random.fill(&mut buf);
        buf.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// An open wallet.
#[derive(Debug)]
pub struct Wallet {
    store: Store,
    trust: TrustSource,
    holdings: Holdings,
    issuance: Issuance,
    presentations: Presentations,
    data_dir: PathBuf,
}

impl Wallet {
    /// Opens (creating when missing) the wallet in `data_dir` with `settings`.
    pub async fn open(
        data_dir: &Path,
        settings: WalletSettings,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self, WalletError> {
        let trust = TrustSettings::from_settings(&settings, data_dir)?;
        let created = !data_dir.exists();
        std::fs::create_dir_all(data_dir).map_err(|e| {
            WalletError::Config(format!(
                "cannot create the data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        if created {
            restrict(data_dir, 0o700)?;
        }
        let store = Store::open(&database_url(data_dir)).await?;
        // The database holds the holder keys: readable by its owner only.
        restrict(&data_dir.join(DATABASE_FILE), 0o600)?;
        let tls = match &settings.ca_file {
            Some(file) => ClientTls::with_ca_file(&data_dir.join(file))
                .map_err(|e| WalletError::Config(e.to_string()))?,
            None => ClientTls::system(),
        };
        let http = Http::with_tls(
            FetchPolicy {
                max_bytes: usize::try_from(settings.max_response_bytes).unwrap_or(usize::MAX),
                timeout: Duration::from_secs(settings.http_timeout_secs),
                plain_http: if settings.plain_http_any_host {
                    PlainHttp::AnyHost
                } else {
                    PlainHttp::Loopback
                },
            },
            &tls,
        )?;
        let handles = Handles {
            store: store.clone(),
            http,
            clock,
            random,
        };
        let trust = TrustSource::new(trust, handles.clone(), data_dir.join(CONFIG_FILE));
        Ok(Self {
            holdings: Holdings::new(handles.clone(), trust.clone()),
            issuance: Issuance::new(handles.clone(), trust.clone(), Arc::new(settings)),
            presentations: Presentations::new(handles, trust.clone()),
            store,
            trust,
            data_dir: data_dir.to_owned(),
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The trust list, fetched when asked for.
    pub fn trust(&self) -> &TrustSource {
        &self.trust
    }

    /// What the wallet holds: list, show, delete.
    pub fn holdings(&self) -> &Holdings {
        &self.holdings
    }

    /// Receiving credentials.
    pub fn issuance(&self) -> &Issuance {
        &self.issuance
    }

    /// Presenting credentials.
    pub fn presentations(&self) -> &Presentations {
        &self.presentations
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// Sets Unix permissions `mode` on `path` (elsewhere the platform's defaults apply).
fn restrict(path: &Path, mode: u32) -> Result<(), WalletError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
            WalletError::Config(format!(
                "cannot restrict the permissions of {}: {e}",
                path.display()
            ))
        })?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(test)]
mod tests {
    use idv_jose::{SystemClock, SystemRandom};

    use super::*;

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_data_directory_and_the_database_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let parent = tempfile::tempdir().unwrap();
        let data_dir = parent.path().join("wallet");
        let wallet = Wallet::open(
            &data_dir,
            WalletSettings::default(),
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
        )
        .await
        .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data_dir), 0o700);
        assert_eq!(mode(&data_dir.join(DATABASE_FILE)), 0o600);
        assert_eq!(wallet.holdings().list().await.unwrap().len(), 0);
        wallet.close().await;
    }
}
