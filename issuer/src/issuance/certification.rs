//! The provider's own certification, checked before it offers or issues a credential.
//!
//! A certified provider may issue a credential only while its entry on the trust framework's
//! register is certified for the credential's scheme: employers may rely on a digital right to
//! work check only through an identity service provider certified with the right-to-work
//! supplementary code (Home Office employer's guide to right to work checks), and verifiers
//! refuse what a provider issued while its certification was suspended, withdrawn or lapsed.
//! With `[trust]` configured, the issuer holds the signed trust list like a verifier does
//! (anchors pinned in configuration, rollback state in its own database, refetched in the
//! background at least every `refresh_secs`, with back-off after failures: a hung register
//! never delays an offer or issuance while the held list is valid) and applies the verifier's issuer rules
//! ([`idv_trust::evaluate::evaluate_issuer`]) to itself: its own `iss` (the Credential Issuer
//! Identifier), its active signing key, the configuration's `vct` and scheme
//! ([`Configuration::scheme`]), now. The entry must be certified, its certificate valid, its
//! framework version accepted, the role and supplementary code for the scheme certified, the key
//! registered and the `vct` listed. The level of confidence is not judged here (the lowest level
//! is asked for): the identity's level is checked against the configuration
//! ([`Configuration::check_confidence`]) and relying parties judge it per credential.
//!
//! Without a usable list (none fetched yet and the operator unreachable, or the held one past
//! its `exp`) nothing is offered or issued: the check fails closed. Without `[trust]`, nothing
//! is checked; `issuer serve` warns about it at start-up.

use std::sync::Arc;

use idv_fetch::{Fetcher, TrustClientError, TrustListClient};
use idv_jose::PublicKey;
use idv_proto::trust::entry::{LevelOfConfidence, SchemeCode};
use idv_trust::TrustError;
use idv_trust::anchors::TrustAnchors;
use idv_trust::evaluate::{IssuerQuery, evaluate_issuer};
use idv_trust::list::{ListPolicy, VerifiedTrustList};
use thiserror::Error;

use super::IssuerSettings;
use super::configurations::Configuration;
use crate::store::Store;
use idv_jose::Clock;

/// `[trust]`, checked: where the register is and how it is trusted.
#[derive(Debug, Clone)]
pub struct CertificationSettings {
    /// The signed trust list's URL.
    pub list_url: String,
    /// The pinned anchors the list must be signed by.
    pub anchors: TrustAnchors,
    /// Refetch the list when no fetch was attempted for this many seconds (whatever its
    /// `next_update`), so a suspension stops issuance within it.
    pub refresh_secs: i64,
    /// The bounded HTTP client the list is fetched with.
    pub fetcher: Fetcher,
}

/// Seconds a refetch for a refusal on the held list waits after any fetch, so that refused
/// requests cannot hammer the trust framework.
const MISS_REFETCH_SECS: i64 = 5;
/// Longest a request waits for that refetch; then the list held decides.
const MISS_REFETCH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The trust list client, refetching in the background every `refresh_secs`.
#[derive(Debug)]
pub(super) struct Register {
    client: TrustListClient,
}

impl Register {
    /// A client for `settings`, its rollback state in `store`'s database, its back-off
    /// jittered by `random`. Nothing is fetched until the first check.
    pub(super) fn new(
        settings: &CertificationSettings,
        store: &Store,
        clock: Arc<dyn idv_jose::Clock>,
        random: Arc<dyn idv_jose::Random>,
    ) -> Self {
        Self {
            client: TrustListClient::new(
                settings.list_url.clone(),
                settings.anchors.clone(),
                ListPolicy::default(),
                settings.fetcher.clone(),
                Arc::new(store.database().clone()),
                clock,
                random,
            )
            .with_max_age(settings.refresh_secs),
        }
    }
}

/// The provider's register entry does not certify it to issue a configuration now.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "this provider is not certified to issue {configuration_id} (scheme {scheme}): {}",
    describe(.cause)
)]
pub struct NotCertified {
    /// The configuration.
    pub configuration_id: &'static str,
    /// The scheme it is issued under.
    pub scheme: SchemeCode,
    /// The rule the entry fails.
    pub cause: TrustError,
}

/// No usable trust list is held, so the provider's certification cannot be confirmed.
#[derive(Debug, Error)]
#[error("the provider's certification cannot be confirmed: {0}")]
pub struct CertificationUnavailable(#[source] pub TrustClientError);

/// What the register entry lacks, in the operator's words.
fn describe(cause: &TrustError) -> String {
    match cause {
        TrustError::UnknownIssuer { iss } => {
            format!("the trust list has no register entry for {iss}")
        }
        TrustError::KeyNotRegistered { .. } => {
            "the active signing key is not registered in the provider's register entry \
             (register it after a rotation)"
                .into()
        }
        TrustError::ServiceNotCertified { status } => {
            format!("the provider's register entry is {status}")
        }
        TrustError::CertificateExpired { .. } => "the provider's certificate has expired".into(),
        TrustError::CertificateNotYetValid { .. } => {
            "the provider's certificate is not valid yet".into()
        }
        TrustError::RoleMissing { scheme } | TrustError::SchemeNotCertified { scheme } => {
            format!("the provider's register entry is not certified for {scheme}")
        }
        TrustError::FrameworkVersionInvalid { version } => format!(
            "the provider's register entry is under trust framework version {version}, which \
             is no longer accepted"
        ),
        TrustError::VctNotListed { vct } => {
            format!("the provider's register entry does not list the credential type {vct}")
        }
        other => other.to_string(),
    }
}

/// The provider's own certification on the trust list, when `[trust]` is configured: the list
/// held and refreshed, and the verifier's issuer rules applied to this provider.
#[derive(Debug, Clone)]
pub struct Certification {
    pub(super) register: Option<Arc<Register>>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: Arc<IssuerSettings>,
}

impl Certification {
    /// The trust list the provider's certification is judged on now: the held one until its
    /// `exp`, refreshed in the background (conditionally) when no fetch was attempted in the
    /// last `refresh_secs` or after `next_update`, so a hung register never delays an offer or
    /// an issuance while a valid list is held; `None` without `[trust]`.
    pub(super) async fn certification_list(
        &self,
    ) -> Result<Option<Arc<VerifiedTrustList>>, CertificationUnavailable> {
        let Some(register) = &self.register else {
            return Ok(None);
        };
        match register.client.current().await {
            Ok(list) => Ok(Some(list)),
            Err(error) => {
                tracing::warn!(%error, "no usable trust list: nothing is offered or issued");
                Err(CertificationUnavailable(error))
            }
        }
    }

    /// Starts a background refresh of the trust list when one is due (`refresh_secs` since the
    /// last fetch, `next_update`, back-off over), without waiting: the service's periodic pass,
    /// so that the list an offer or issuance is judged on is never older than about
    /// `refresh_secs` while the register answers, however idle the issuer was.
    pub fn refresh_trust_list_if_due(&self) {
        if let Some(register) = &self.register {
            register.client.refresh_if_due();
        }
    }

    /// Sets the gauges of the trust list held (`idv_trust_list_*`), when `[trust]` is
    /// configured.
    pub(super) fn record_gauges(&self) {
        if let Some(register) = &self.register {
            register.client.record_gauges();
        }
    }

    /// The list to judge `configurations` signed with `key` on: `list` (the held one) when it
    /// certifies them all, else the list fetched again, at most every [`MISS_REFETCH_SECS`]
    /// and waiting at most [`MISS_REFETCH_WAIT`], since the held list may predate a
    /// registration, a certification or a reinstatement on the register.
    pub(super) async fn list_for(
        &self,
        list: Arc<VerifiedTrustList>,
        configurations: &[Configuration],
        key: &PublicKey,
    ) -> Result<Arc<VerifiedTrustList>, CertificationUnavailable> {
        let certified = configurations
            .iter()
            .all(|configuration| self.evaluate(&list, *configuration, key).is_ok());
        let Some(register) = self.register.as_ref().filter(|_| !certified) else {
            return Ok(list);
        };
        register
            .client
            .refresh_if_older_than(MISS_REFETCH_SECS, MISS_REFETCH_WAIT)
            .await
            .map_err(CertificationUnavailable)
    }

    /// Checks on `list` that the provider's register entry certifies it to issue
    /// `configuration` signed with `key`, now.
    pub(super) fn check_certified(
        &self,
        list: &VerifiedTrustList,
        configuration: Configuration,
        key: &PublicKey,
    ) -> Result<(), NotCertified> {
        self.evaluate(list, configuration, key).map_err(|cause| {
            let refused = NotCertified {
                configuration_id: configuration.id(),
                scheme: configuration.scheme(),
                cause,
            };
            tracing::warn!(
                credential.configuration = configuration.id(),
                trust_list.sequence = list.sequence(),
                reason = %refused,
                "refused: not certified on the trust list"
            );
            refused
        })
    }

    /// The verifier's issuer rules applied to this provider for `configuration` and `key`.
    fn evaluate(
        &self,
        list: &VerifiedTrustList,
        configuration: Configuration,
        key: &PublicKey,
    ) -> Result<(), TrustError> {
        let query = IssuerQuery {
            iss: &self.settings.public_url,
            issuer_key: key,
            vct: configuration.vct(),
            scheme: configuration.scheme(),
            required_loc: LevelOfConfidence::Low,
            now: self.clock.now(),
            issued: None,
        };
        evaluate_issuer(list, &query).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use idv_proto::trust::entry::ServiceStatus;

    use super::*;

    #[test]
    fn refusals_name_what_the_entry_lacks() {
        let refused = |cause| {
            NotCertified {
                configuration_id: "uk_age",
                scheme: SchemeCode::Age,
                cause,
            }
            .to_string()
        };
        assert_eq!(
            refused(TrustError::ServiceNotCertified {
                status: ServiceStatus::Suspended
            }),
            "this provider is not certified to issue uk_age (scheme AGE): the provider's \
             register entry is suspended"
        );
        assert!(
            refused(TrustError::SchemeNotCertified {
                scheme: SchemeCode::Age
            })
            .ends_with("the provider's register entry is not certified for AGE")
        );
        assert!(
            refused(TrustError::KeyNotRegistered {
                iss: "https://id.example".into()
            })
            .contains("active signing key is not registered")
        );
    }
}
