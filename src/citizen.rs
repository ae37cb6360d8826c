//! The citizen, holding the wallet simulator (its library, in this process): receiving the
//! credentials of an offer, and answering a verifier's request after seeing who asks and what
//! would leave the wallet.
//!
//! The wallet's data directory is the one the `wallet-sim` command uses too: [`Citizen::open`]
//! writes its `config.toml` (trust list URL and pinned anchor), so
//! `wallet-sim --data-dir <dir> list` shows the same credentials.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use idv_jose::{SystemClock, SystemRandom};
use wallet_sim::Wallet;
use wallet_sim::WalletError;
use wallet_sim::config::{CONFIG_FILE, WalletSettings};
use wallet_sim::issuance::{NoPrompt, ReceiveOptions, ReceiveOutcome};
use wallet_sim::presentation::{Decision, PreparedPresentation, PresentationOutcome};

/// File name of the pinned anchor in the wallet's data directory.
pub const ANCHOR_FILE: &str = "trust-anchor.json";

/// A citizen with a wallet.
#[derive(Debug)]
pub struct Citizen {
    wallet: Wallet,
    data_dir: PathBuf,
}

/// Why the wallet could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CitizenError {
    /// The wallet's files could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The wallet refused or failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
}

impl Citizen {
    /// Opens (creating) the wallet in `data_dir`, trusting the list at `trust_list_url` signed
    /// by the anchor `anchor_jwk` (pinned, as the wallet's user would configure it).
    pub async fn open(
        data_dir: &Path,
        trust_list_url: &str,
        anchor_jwk: &serde_json::Value,
    ) -> Result<Self, CitizenError> {
        let write = |path: PathBuf, text: String| {
            std::fs::write(&path, text).map_err(|source| CitizenError::Write { path, source })
        };
        std::fs::create_dir_all(data_dir).map_err(|source| CitizenError::Write {
            path: data_dir.to_owned(),
            source,
        })?;
        write(data_dir.join(ANCHOR_FILE), format!("{anchor_jwk:#}\n"))?;
        write(
            data_dir.join(CONFIG_FILE),
            format!(
                "[wallet]\ntrust_list_url = \"{trust_list_url}\"\ntrust_anchor = \"{ANCHOR_FILE}\"\n"
            ),
        )?;
        let settings = WalletSettings {
            trust_list_url: Some(trust_list_url.to_owned()),
            trust_anchor: Some(PathBuf::from(ANCHOR_FILE)),
            ..WalletSettings::default()
        };
        let wallet = Wallet::open(
            data_dir,
            settings,
            Arc::new(SystemClock),
            Arc::new(SystemRandom),
        )
        .await?;
        Ok(Self {
            wallet,
            data_dir: data_dir.to_owned(),
        })
    }

    /// The wallet's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The wallet itself.
    pub fn wallet(&self) -> &Wallet {
        &self.wallet
    }

    /// Receives the credentials of `offer_link`, typing `tx_code` when asked.
    pub async fn receive(
        &self,
        offer_link: &str,
        tx_code: Option<&str>,
    ) -> Result<ReceiveOutcome, WalletError> {
        let options = ReceiveOptions {
            tx_code: tx_code.map(str::to_owned),
            copies: None,
        };
        self.wallet
            .issuance()
            .receive(offer_link, &options, &NoPrompt)
            .await
    }

    /// Opens a request link: authenticates who asks and works out what would be shared.
    pub async fn open_request(
        &self,
        wallet_url: &str,
    ) -> Result<PreparedPresentation, WalletError> {
        self.wallet.presentations().prepare(wallet_url).await
    }

    /// Answers a prepared request.
    pub async fn answer(
        &self,
        prepared: PreparedPresentation,
        approve: bool,
    ) -> Result<PresentationOutcome, WalletError> {
        let decision = if approve {
            Decision::Approve
        } else {
            Decision::Decline
        };
        self.wallet
            .presentations()
            .respond(prepared, decision)
            .await
    }

    /// Closes the wallet's database.
    pub async fn close(&self) {
        self.wallet.close().await;
    }
}
