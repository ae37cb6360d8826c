//! The two credential configurations this issuer offers (keys of
//! `credential_configurations_supported`), both `dc+sd-jwt` signed with ES256:
//!
//! - [`IDENTITY_CONFIGURATION_ID`]: the identity credential ([`credential::issue_identity`]);
//! - [`AGE_CONFIGURATION_ID`]: the age credential ([`credential::issue_age`]), meant to be
//!   batch-issued, one credential per presentation.
//!
//! Both accept batches of up to `batch_size` proofs: OpenID4VCI batch issuance applies to every
//! configuration, and distinct keys per credential help unlinkability for identity too.

use idv_jose::{Random, SigningKey};

use super::credential::{self, AGE_VCT, Envelope, IDENTITY_VCT, ProofedIdentity};
use super::{IssuanceError, IssuerSettings};

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

    /// `exp - iat` of its credentials, seconds.
    pub fn validity(self, settings: &IssuerSettings) -> i64 {
        match self {
            Self::Identity => settings.identity_validity_secs,
            Self::Age => settings.age_validity_secs,
        }
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
            Self::Identity => credential::issue_identity(person, envelope, signer, rng),
            Self::Age => credential::issue_age(person, envelope, signer, rng),
        }
    }
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
}
