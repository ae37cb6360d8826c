//! A relying party registered on the DVS trust list, with the purposes it may request
//! claims for (our design, docs/trust-list.md).

use serde::{Deserialize, Serialize};

use crate::claims_path::ClaimsPath;
use crate::trust::entry::{Organisation, SchemeCode};

/// A registered relying party (an employer, a landlord, a retailer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingPartyEntry {
    /// Stable register identifier.
    pub rp_id: String,
    /// The organisation.
    pub organisation: Organisation,
    /// The original client identifier, without an OpenID4VP prefix (e.g. a host name).
    pub client_id: String,
    /// Registration status.
    pub status: RelyingPartyStatus,
    /// What the relying party may ask for.
    pub purposes: Vec<Purpose>,
}

/// Registration status of a relying party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelyingPartyStatus {
    /// May request presentations.
    Active,
    /// Temporarily barred.
    Suspended,
    /// No longer registered.
    Removed,
}

impl RelyingPartyStatus {
    /// The wire value, e.g. `active`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Removed => "removed",
        }
    }
}

impl std::fmt::Display for RelyingPartyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered purpose and the claims it may request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    /// The check scheme, e.g. `AGE`.
    pub code: SchemeCode,
    /// Claims this purpose may request; a registered path also covers everything inside it
    /// (`["address"]` covers `["address", "locality"]`).
    pub claims: Vec<ClaimsPath>,
}
