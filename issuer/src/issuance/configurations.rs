//! The two credential configurations this issuer offers (keys of
//! `credential_configurations_supported`), both `dc+sd-jwt` signed with ES256:
//!
//! - [`IDENTITY_CONFIGURATION_ID`]: the identity credential ([`idv_profiles::issue_identity`]);
//! - [`AGE_CONFIGURATION_ID`]: the age credential ([`idv_profiles::issue_age`]), meant to be
//!   batch-issued, one credential per presentation.
//!
//! Both accept batches of up to `batch_size` proofs: OpenID4VCI batch issuance applies to every
//! configuration, and distinct keys per credential help unlinkability for identity too.
//!
//! An age credential rests on the proofed identity's level of confidence: it is offered and
//! issued only for identities proofed to at least `[age] min_level_of_confidence` (GPG 45
//! medium by default; a low-confidence identity is not enough for an age-restricted sale), see
//! [`Configuration::check_confidence`]. The identity credential carries its level for the
//! relying party to judge.

use idv_jose::{Random, SigningKey};
use idv_profiles::age::age_expiry_cap;
use idv_profiles::{
    AGE_VCT, Envelope, IDENTITY_VCT, LevelOfConfidence, ProofedIdentity, issue_age, issue_identity,
};
use idv_proto::oid4vci::authorization_details::{AuthorizationDetail, OPENID_CREDENTIAL_TYPE};
use idv_proto::trust::entry::SchemeCode;

use super::{InsufficientConfidence, IssuanceError, IssuerSettings};

/// Configuration id (and OAuth `scope`) of the identity credential.
pub const IDENTITY_CONFIGURATION_ID: &str = "uk_identity";
/// Configuration id (and OAuth `scope`) of the age credential.
pub const AGE_CONFIGURATION_ID: &str = "uk_age";

/// A credential configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Configuration {
    /// The identity credential.
    Identity,
    /// The age credential.
    Age,
}

impl Configuration {
    /// Every configuration, in metadata order.
    pub const ALL: [Self; 2] = [Self::Identity, Self::Age];

    /// The configuration with this id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Its id in `credential_configurations_supported` (also its `scope`).
    pub const fn id(self) -> &'static str {
        match self {
            Self::Identity => IDENTITY_CONFIGURATION_ID,
            Self::Age => AGE_CONFIGURATION_ID,
        }
    }

    /// Its `vct`.
    pub const fn vct(self) -> &'static str {
        match self {
            Self::Identity => IDENTITY_VCT,
            Self::Age => AGE_VCT,
        }
    }

    /// The scheme (supplementary code) the provider's register entry must be certified for
    /// to issue it: the identity credential is issued for right to work checks (`RTW`, the
    /// Home Office's digital identity verification route), the age credential for age
    /// assurance (`AGE`).
    pub const fn scheme(self) -> SchemeCode {
        match self {
            Self::Identity => SchemeCode::Rtw,
            Self::Age => SchemeCode::Age,
        }
    }

    /// `exp - iat` of its credentials, seconds.
    pub fn validity(self, settings: &IssuerSettings) -> i64 {
        match self {
            Self::Identity => settings.identity_validity_secs,
            Self::Age => settings.age_validity_secs,
        }
    }

    /// The latest `exp` of a credential of this configuration for `person` issued at `now`:
    /// an age credential never outlives the next birthday that changes one of its values
    /// ([`age_expiry_cap`]).
    pub fn not_after(self, person: &ProofedIdentity, now: i64) -> Option<i64> {
        match self {
            Self::Identity => None,
            Self::Age => age_expiry_cap(person, now),
        }
    }

    /// The lowest level of confidence an identity must have been proofed to for this
    /// configuration (`None`: any level).
    pub fn min_level_of_confidence(self, settings: &IssuerSettings) -> Option<LevelOfConfidence> {
        match self {
            Self::Identity => None,
            Self::Age => Some(settings.age_min_level_of_confidence),
        }
    }

    /// Checks `person` was proofed to the level of confidence this configuration needs; a
    /// record naming no known level never qualifies.
    pub fn check_confidence(
        self,
        person: &ProofedIdentity,
        settings: &IssuerSettings,
    ) -> Result<(), InsufficientConfidence> {
        let Some(required) = self.min_level_of_confidence(settings) else {
            return Ok(());
        };
        let actual = person.confidence();
        if actual.is_some_and(|actual| actual >= required) {
            return Ok(());
        }
        Err(InsufficientConfidence {
            configuration_id: self.id(),
            required,
            actual,
        })
    }

    /// Builds and signs one credential of this configuration.
    pub fn issue(
        self,
        person: &ProofedIdentity,
        envelope: &Envelope<'_>,
        signer: &SigningKey,
        rng: &dyn Random,
    ) -> Result<String, IssuanceError> {
        match self {
            Self::Identity => issue_identity(person, envelope, signer, rng),
            Self::Age => issue_age(person, envelope, signer, rng),
        }
        .map_err(IssuanceError::from)
    }
}

/// The configuration ids RFC 9396 `authorization_details` asks for, deduplicated, in order;
/// `Err` says what is malformed.
pub(crate) fn parse_authorization_details(details: &str) -> Result<Vec<String>, String> {
    let details: Vec<AuthorizationDetail> = serde_json::from_str(details).map_err(|_| {
        "authorization_details must be a JSON array of objects with type and \
         credential_configuration_id"
            .to_owned()
    })?;
    if details.is_empty() {
        return Err("authorization_details must not be empty".into());
    }
    let mut ids: Vec<String> = Vec::with_capacity(details.len());
    for detail in details {
        if detail.detail_type != OPENID_CREDENTIAL_TYPE {
            return Err(format!(
                "authorization_details type `{}` is not supported; use openid_credential",
                detail.detail_type
            ));
        }
        if !ids.contains(&detail.credential_configuration_id) {
            ids.push(detail.credential_configuration_id);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_are_found_by_id() {
        for configuration in Configuration::ALL {
            assert_eq!(
                Configuration::from_id(configuration.id()),
                Some(configuration)
            );
        }
        assert_eq!(Configuration::from_id("uk_passport"), None);
    }

    fn person(level: &str) -> ProofedIdentity {
        serde_json::from_value(serde_json::json!({
            "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10",
            "nationalities": ["GB"],
            "document": {"type": "passport", "issuing_country": "GB", "date_of_expiry": "2031-01-31"},
            "level_of_confidence": level, "gpg45_profile": "M1B", "proofed_at": 1
        }))
        .unwrap()
    }

    #[test]
    fn age_credentials_need_the_minimum_level_of_confidence() {
        let mut settings = crate::config::IssuerConfig::default()
            .issuer_settings()
            .unwrap();
        assert_eq!(
            settings.age_min_level_of_confidence,
            LevelOfConfidence::Medium
        );
        let refused = Configuration::Age
            .check_confidence(&person("low"), &settings)
            .unwrap_err();
        assert_eq!(refused.required, LevelOfConfidence::Medium);
        assert_eq!(refused.actual, Some(LevelOfConfidence::Low));
        for level in ["medium", "high", "very_high"] {
            assert!(
                Configuration::Age
                    .check_confidence(&person(level), &settings)
                    .is_ok(),
                "{level}"
            );
        }
        assert!(
            Configuration::Age
                .check_confidence(&person("extreme"), &settings)
                .is_err(),
            "an unknown level never qualifies"
        );
        assert!(
            Configuration::Identity
                .check_confidence(&person("low"), &settings)
                .is_ok()
        );

        settings.age_min_level_of_confidence = LevelOfConfidence::High;
        assert!(
            Configuration::Age
                .check_confidence(&person("medium"), &settings)
                .is_err()
        );
        assert!(
            Configuration::Age
                .check_confidence(&person("very_high"), &settings)
                .is_ok()
        );
    }
}
