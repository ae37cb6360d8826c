//! The provider's own certification, checked before it offers or issues a credential.
//!
//! A certified provider may issue a credential only while its entry on the trust framework's
//! register is certified for the credential's scheme: employers may rely on a digital right to
//! work check only through an identity service provider certified with the right-to-work
//! supplementary code (Home Office employer's guide to right to work checks), and verifiers
//! refuse what a provider issued while its certification was suspended, withdrawn or lapsed.
//! With `[trust]` configured, the issuer holds the signed trust list like a verifier does
//! (anchors pinned in configuration, rollback state in its own database, refetched at least
//! every `refresh_secs`) and applies the verifier's issuer rules
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

use super::Issuer;
use super::configurations::Configuration;
use crate::store::Store;

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

/// The trust list client and how often it refetches.
#[derive(Debug)]
pub(super) struct Register {
    client: TrustListClient,
    refresh_secs: i64,
}

impl Register {
    /// A client for `settings`, its rollback state in `store`'s database. Nothing is fetched
    /// until the first check.
    pub(super) fn new(
        settings: &CertificationSettings,
        store: &Store,
        clock: Arc<dyn idv_jose::Clock>,
    ) -> Self {
        Self {
            client: TrustListClient::new(
                settings.list_url.clone(),
                settings.anchors.clone(),
                ListPolicy::default(),
                settings.fetcher.clone(),
                store.database().clone(),
                clock,
            ),
            refresh_secs: settings.refresh_secs,
        }
    }

    /// The trust list client (for readiness and gauges).
    pub(super) fn trust_list(&self) -> &TrustListClient {
        &self.client
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

impl Issuer {
    /// The trust list the provider's certification is judged on now (fetched again first,
    /// conditionally, when no fetch was attempted in the last `refresh_secs`); `None` without
    /// `[trust]`.
    pub(super) async fn certification_list(
        &self,
    ) -> Result<Option<Arc<VerifiedTrustList>>, CertificationUnavailable> {
        let Some(register) = &self.register else {
            return Ok(None);
        };
        match register
            .client
            .refresh_if_older_than(register.refresh_secs)
            .await
        {
            Ok(list) => Ok(Some(list)),
            Err(error) => {
                tracing::warn!(%error, "no usable trust list: nothing is offered or issued");
                Err(CertificationUnavailable(error))
            }
        }
    }

    /// Checks on `list` that the provider's register entry certifies it to issue
    /// `configuration` signed with `key`, now.
    pub(super) fn check_certified(
        &self,
        list: &VerifiedTrustList,
        configuration: Configuration,
        key: &PublicKey,
    ) -> Result<(), NotCertified> {
        let scheme = configuration.scheme();
        let query = IssuerQuery {
            iss: &self.settings.public_url,
            issuer_key: key,
            vct: configuration.vct(),
            scheme,
            required_loc: LevelOfConfidence::Low,
            now: self.clock.now(),
            issued: None,
        };
        match evaluate_issuer(list, &query) {
            Ok(_) => Ok(()),
            Err(cause) => {
                let refused = NotCertified {
                    configuration_id: configuration.id(),
                    scheme,
                    cause,
                };
                tracing::warn!(
                    credential.configuration = configuration.id(),
                    trust_list.sequence = list.sequence(),
                    reason = %refused,
                    "refused: not certified on the trust list"
                );
                Err(refused)
            }
        }
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
