//! The wallet's trust: the trust list URL and the anchor keys pinned in its configuration
//! (never fetched), the verified list with its rollback state in the wallet's database, and
//! how an issuer is named from the list.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use idv_fetch::{TrustClientError, TrustListClient};
use idv_jose::{Clock, PublicKey, Random};
use idv_proto::trust::entry::{CodeStatus, LevelOfConfidence, SchemeCode};
use idv_trust::anchors::TrustAnchors;
use idv_trust::evaluate::{IssuanceWindow, IssuerQuery, evaluate_issuer, find_issuer_key};
use idv_trust::list::{ListPolicy, VerifiedTrustList};
use serde::Serialize;

use crate::config::WalletSettings;
use crate::error::{Party, WalletError};
use crate::http_client::Http;
use crate::store::Store;
use crate::wallet::Handles;

/// Largest anchor file read.
const MAX_ANCHOR_FILE: u64 = 64 * 1024;

/// Where the trust list is and which keys may sign it.
#[derive(Debug, Clone)]
pub struct TrustSettings {
    /// The trust list URL.
    pub list_url: String,
    /// The pinned anchors.
    pub anchors: TrustAnchors,
    /// Where the list accepted last is kept (the data directory's [`HELD_LIST_FILE`]).
    pub held_list: PathBuf,
}

/// The file in the data directory holding the trust list accepted last (public, signed).
pub const HELD_LIST_FILE: &str = "trust-list.jwt";

impl TrustSettings {
    /// From the settings; `None` when neither the URL nor the anchor is configured.
    pub fn from_settings(
        settings: &WalletSettings,
        data_dir: &Path,
    ) -> Result<Option<Self>, WalletError> {
        match (&settings.trust_list_url, &settings.trust_anchor) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(WalletError::Config(
                "trust_list_url is set but trust_anchor is not: pin the operator's anchor key \
                 (--trust-anchor FILE)"
                    .into(),
            )),
            (None, Some(_)) => Err(WalletError::Config(
                "trust_anchor is set but trust_list_url is not (--trust-list-url URL)".into(),
            )),
            (Some(url), Some(anchor)) => Ok(Some(Self {
                list_url: url.clone(),
                anchors: read_anchors(&data_dir.join(anchor))?,
                held_list: data_dir.join(HELD_LIST_FILE),
            })),
        }
    }
}

/// Reads a file holding one public JWK or a JWK Set (two keys during an anchor rollover).
pub fn read_anchors(path: &Path) -> Result<TrustAnchors, WalletError> {
    let config_error =
        |why: String| WalletError::Config(format!("trust anchor file {}: {why}", path.display()));
    let size = std::fs::metadata(path)
        .map_err(|e| config_error(e.to_string()))?
        .len();
    if size > MAX_ANCHOR_FILE {
        return Err(config_error("too large".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| config_error(e.to_string()))?;
    let jwks = idv_trust::anchors::jwks_from_json(&text)
        .map_err(|e| config_error(format!("not a JWK or JWK Set ({e})")))?;
    TrustAnchors::from_jwks(&jwks).map_err(|e| config_error(e.to_string()))
}

/// The trust list as the wallet reaches it: fetched and verified when asked for, under the
/// configured [`TrustSettings`] (none: no trust list). Cheap to clone.
#[derive(Debug, Clone)]
pub struct TrustSource {
    settings: Option<Arc<TrustSettings>>,
    handles: Handles,
    config_file: PathBuf,
}

impl TrustSource {
    /// `settings` reached through `handles`; `config_file` is named when none is configured.
    pub(crate) fn new(
        settings: Option<TrustSettings>,
        handles: Handles,
        config_file: PathBuf,
    ) -> Self {
        Self {
            settings: settings.map(Arc::new),
            handles,
            config_file,
        }
    }

    /// The trust settings; an error when none are configured.
    pub fn settings(&self) -> Result<&TrustSettings, WalletError> {
        self.settings
            .as_deref()
            .ok_or_else(|| WalletError::TrustNotConfigured {
                config_file: self.config_file.display().to_string(),
            })
    }

    /// The current trust list, or `None` when no trust list is configured.
    pub async fn current(&self) -> Result<Option<Arc<VerifiedTrustList>>, WalletError> {
        if self.settings.is_none() {
            return Ok(None);
        }
        self.require().await.map(Some)
    }

    /// The current trust list; an error when none is configured.
    pub async fn require(&self) -> Result<Arc<VerifiedTrustList>, WalletError> {
        fetch_trust_list(
            self.settings()?,
            &self.handles.http,
            &self.handles.store,
            Arc::clone(&self.handles.clock),
            Arc::clone(&self.handles.random),
        )
        .await
    }
}

/// Fetches and verifies the trust list now: pinned anchors, time window, and no rollback
/// against the last list this wallet accepted (persisted in its database). The list accepted is
/// kept in the data directory; when the trust framework cannot be reached, that list is used
/// instead until its `exp` (verified again, and never older than the persisted state), so a
/// register briefly down does not stop the wallet.
pub async fn fetch_trust_list(
    settings: &TrustSettings,
    http: &Http,
    store: &Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
) -> Result<Arc<VerifiedTrustList>, WalletError> {
    let client = TrustListClient::new(
        settings.list_url.clone(),
        settings.anchors.clone(),
        ListPolicy::default(),
        http.fetcher().clone(),
        Arc::new(store.database().clone()),
        clock,
        random,
    );
    // A wallet command is one short process holding no list yet: fetch now, so that a
    // failure is reported as what it is rather than as "no list held".
    match client.refresh().await {
        Ok(list) => {
            if let Some(compact) = client.held_compact() {
                keep(&settings.held_list, &compact);
            }
            Ok(list)
        }
        Err(TrustClientError::Fetch(fetch)) => {
            let unreachable = || {
                crate::http_client::fetch_error(
                    fetch,
                    Party::TrustFramework,
                    settings.list_url.as_str(),
                )
            };
            let Ok(compact) = std::fs::read_to_string(&settings.held_list) else {
                return Err(unreachable());
            };
            match client.restore(&compact).await {
                Ok(list) => {
                    tracing::warn!(
                        trust_list.sequence = list.sequence(),
                        trust_list.exp = list.exp(),
                        "trust framework unreachable; using the trust list accepted last until its exp"
                    );
                    Ok(list)
                }
                Err(error) => {
                    tracing::warn!(%error, "the trust list kept is no longer usable");
                    Err(unreachable())
                }
            }
        }
        Err(other) => Err(WalletError::TrustList(other)),
    }
}

/// Keeps the accepted list at `path` (written aside, then renamed over the old one); a failure
/// is logged and costs only the fallback.
fn keep(path: &Path, compact: &str) {
    let aside = path.with_extension("jwt.new");
    let kept = std::fs::write(&aside, compact).and_then(|()| std::fs::rename(&aside, path));
    if let Err(error) = kept {
        tracing::warn!(%error, "could not keep the trust list for when the register is unreachable");
    }
}

/// How an issuer appears on the trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuerStanding {
    /// Whether a register entry lists the credential's `iss` and signing key.
    pub on_trust_list: bool,
    /// The provider's registered organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// The certified service's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The register entry id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
    /// The entry's status (`certified`, `suspended`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Schemes the issuer is trusted for now with this credential (every rule of the list).
    pub trusted_for: Vec<SchemeCode>,
    /// Why the issuer is not (fully) trusted, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl IssuerStanding {
    fn unlisted(note: impl Into<String>) -> Self {
        Self {
            on_trust_list: false,
            organisation: None,
            service: None,
            entry_id: None,
            status: None,
            trusted_for: Vec::new(),
            note: Some(note.into()),
        }
    }

    /// One line for people, e.g. `Example IDSP Ltd (Example Reusable ID, dvs-000001, certified)`.
    pub fn describe(&self, iss: Option<&str>) -> String {
        match (
            &self.organisation,
            &self.service,
            &self.entry_id,
            &self.status,
        ) {
            (Some(organisation), Some(service), Some(entry), Some(status)) => {
                format!("{organisation} ({service}, register entry {entry}, {status})")
            }
            _ => format!(
                "{} (not on the trust list)",
                iss.unwrap_or("an issuer without `iss`")
            ),
        }
    }
}

/// The credential's issuer as named by the trust list: its entry, and for which schemes the
/// list trusts it now (each certified supplementary code, through `evaluate_issuer`).
pub fn issuer_standing(
    list: Option<&VerifiedTrustList>,
    iss: Option<&str>,
    key: &PublicKey,
    vct: &str,
    issued_at: Option<i64>,
    now: i64,
) -> IssuerStanding {
    let Some(list) = list else {
        return IssuerStanding::unlisted("no trust list configured");
    };
    let Some(iss) = iss else {
        return IssuerStanding::unlisted("the credential has no `iss`");
    };
    let Some(entry) = list.entry_for_issuer(iss) else {
        return IssuerStanding::unlisted("the issuer is not on the trust list");
    };
    let registered_key = find_issuer_key(list, iss, Some(&key.thumbprint())).is_ok();
    let mut trusted_for: Vec<SchemeCode> = if registered_key {
        entry
            .supplementary_codes
            .iter()
            .filter(|code| code.status == CodeStatus::Certified)
            .map(|code| code.code)
            .filter(|&scheme| {
                evaluate_issuer(
                    list,
                    &IssuerQuery {
                        iss,
                        issuer_key: key,
                        vct,
                        scheme,
                        required_loc: LevelOfConfidence::Low,
                        now,
                        issued: issued_at.map(|iat| IssuanceWindow::from_iat(iat, now)),
                    },
                )
                .is_ok()
            })
            .collect()
    } else {
        Vec::new()
    };
    trusted_for.sort_unstable();
    trusted_for.dedup();
    let note = if !registered_key {
        Some("signed with a key the trust list does not register for this issuer".to_owned())
    } else if trusted_for.is_empty() {
        Some(format!(
            "not trusted for any scheme with this credential now (entry {})",
            entry.status
        ))
    } else {
        None
    };
    IssuerStanding {
        on_trust_list: registered_key,
        organisation: Some(entry.organisation.name.clone()),
        service: Some(entry.service.name.clone()),
        entry_id: Some(entry.entry_id.clone()),
        status: Some(entry.status.as_str().to_owned()),
        trusted_for,
        note,
    }
}

#[cfg(test)]
mod tests {
    use idv_jose::{JwkSet, SigningKey};

    use super::*;

    #[test]
    fn a_credential_issued_on_the_day_its_provider_was_certified_is_trusted() {
        const DAY: i64 = 24 * 60 * 60;
        let now = 1_800_000_000 - 1_800_000_000 % DAY + 15 * 3600;
        let certified = now - 3 * 3600;
        let day_rounded_iat = now - now % DAY;
        let iss = "https://idsp.example";
        let vct = "https://idsp.example/vct/age";
        let issuer = SigningKey::generate().unwrap();
        let entry =
            idv_test_support::register::CertifiedEntry::new("dvs-1", iss, issuer.public_key())
                .certified(certified, now + 365 * DAY)
                .codes(&[SchemeCode::Age])
                .vct(&[vct])
                .build();
        let (anchor, anchors) = idv_test_support::register::pinned_anchor();
        let compact = idv_trust::list::sign_trust_list(
            &idv_test_support::register::list_claims(now, vec![entry]),
            &anchor,
        )
        .unwrap();
        let list =
            idv_trust::list::verify_trust_list(&compact, &anchors, now, &ListPolicy::default())
                .unwrap();

        for iat in [day_rounded_iat, certified, now - 60] {
            let standing = issuer_standing(
                Some(&list),
                Some(iss),
                issuer.public_key(),
                vct,
                Some(iat),
                now,
            );
            assert_eq!(
                standing.trusted_for,
                [SchemeCode::Age],
                "iat {iat}: {standing:?}"
            );
            assert_eq!(standing.note, None, "iat {iat}");
        }
        // Before the day of its certification, it was not certified.
        let earlier = issuer_standing(
            Some(&list),
            Some(iss),
            issuer.public_key(),
            vct,
            Some(day_rounded_iat - DAY),
            now,
        );
        assert!(earlier.trusted_for.is_empty(), "{earlier:?}");
    }

    #[test]
    fn anchors_are_read_from_a_jwk_or_a_jwk_set() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            SigningKey::generate().unwrap(),
            SigningKey::generate().unwrap(),
        );
        let single = dir.path().join("anchor.jwk");
        std::fs::write(
            &single,
            serde_json::to_string(&a.public_key().to_jwk()).unwrap(),
        )
        .unwrap();
        assert_eq!(read_anchors(&single).unwrap().len(), 1);
        let set = dir.path().join("anchors.json");
        let jwks = JwkSet {
            keys: vec![a.public_key().to_jwk(), b.public_key().to_jwk()],
        };
        std::fs::write(&set, serde_json::to_string(&jwks).unwrap()).unwrap();
        assert_eq!(read_anchors(&set).unwrap().len(), 2);
    }

    #[test]
    fn a_private_key_or_garbage_is_not_an_anchor() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private.jwk");
        let key = SigningKey::generate().unwrap();
        std::fs::write(
            &private,
            serde_json::to_string(&key.to_private_jwk()).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            read_anchors(&private),
            Err(WalletError::Config(_))
        ));
        let garbage = dir.path().join("garbage");
        std::fs::write(&garbage, "not json").unwrap();
        assert!(matches!(
            read_anchors(&garbage),
            Err(WalletError::Config(_))
        ));
        assert!(read_anchors(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn trust_needs_both_url_and_anchor() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = WalletSettings::default();
        assert!(
            TrustSettings::from_settings(&settings, dir.path())
                .unwrap()
                .is_none()
        );
        settings.trust_list_url = Some("http://127.0.0.1:1/trust-list".into());
        assert!(TrustSettings::from_settings(&settings, dir.path()).is_err());
    }
}
