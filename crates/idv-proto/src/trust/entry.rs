//! One certified service on the DVS trust list, and the UK trust framework vocabulary it uses.
//!
//! Our design (docs/trust-list.md), modelling a DVS register entry: organisation, service, roles,
//! framework version, certificate from a conformity assessment body, supplementary codes
//! (DUA Act 2025 s.36 supplementary notes), highest GPG 45 level of confidence, lifecycle
//! status with history, and the binding of the service to SD-JWT VC issuer identifiers and keys.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::jwk_set::JwkSet;

/// One certified service on the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEntry {
    /// Stable register identifier, e.g. `dvs-000123`.
    pub entry_id: String,
    /// The provider.
    pub organisation: Organisation,
    /// The certified service.
    pub service: Service,
    /// Trust framework roles the service is certified for.
    pub roles: Vec<Role>,
    /// Trust framework version of the certificate, e.g. `1.0`; a key of
    /// `framework_versions_valid` when the version is accepted.
    pub framework_version: String,
    /// The conformity assessment body's certificate.
    pub certificate: Certificate,
    /// Supplementary codes (RTW, RTR, DBS, AGE) the service is noted for.
    #[serde(default)]
    pub supplementary_codes: Vec<SupplementaryCode>,
    /// Highest GPG 45 level of confidence the service is certified to reach.
    pub max_loc: LevelOfConfidence,
    /// Current status.
    pub status: ServiceStatus,
    /// When the current status took effect (seconds since the epoch).
    pub status_since: i64,
    /// Past and current status changes, oldest first.
    #[serde(default)]
    pub status_history: Vec<StatusChange>,
    /// Which credentials the service issues and how to verify them.
    pub issuer: IssuerBinding,
}

/// An organisation on the register (a provider or a relying party).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    /// Registered name.
    pub name: String,
    /// Companies House number, when incorporated in the UK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_number: Option<String>,
}

/// The service an entry certifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The provider's identifier of the service.
    pub service_id: String,
    /// Public name of the service.
    pub name: String,
}

/// A trust framework role (UK digital identity and attributes trust framework, "Roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Identity service provider: proves and verifies identity to GPG 45.
    #[serde(rename = "IDSP")]
    Idsp,
    /// Attribute service provider: creates, binds and shares attributes (e.g. `age_over_18`).
    #[serde(rename = "ASP")]
    Asp,
    /// Holder service provider: a wallet.
    #[serde(rename = "HSP")]
    Hsp,
    /// Orchestration service provider: routes between services and relying parties.
    #[serde(rename = "OSP")]
    Osp,
    /// Component service provider (e.g. document or biometric checks).
    #[serde(rename = "COMPONENT")]
    Component,
}

/// A check scheme: a supplementary code, or the purpose a relying party is registered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SchemeCode {
    /// Right to work (Immigration, Asylum and Nationality Act 2006).
    #[serde(rename = "RTW")]
    Rtw,
    /// Right to rent (Immigration Act 2014).
    #[serde(rename = "RTR")]
    Rtr,
    /// Disclosure and Barring Service identity checks.
    #[serde(rename = "DBS")]
    Dbs,
    /// Age assurance (ours: no statutory supplementary code yet).
    #[serde(rename = "AGE")]
    Age,
}

impl SchemeCode {
    /// The wire value, e.g. `RTW`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rtw => "RTW",
            Self::Rtr => "RTR",
            Self::Dbs => "DBS",
            Self::Age => "AGE",
        }
    }
}

impl fmt::Display for SchemeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A supplementary code and its status for this service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementaryCode {
    /// The scheme.
    pub code: SchemeCode,
    /// Whether the service is currently certified against it.
    pub status: CodeStatus,
}

/// Status of a supplementary code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeStatus {
    /// Certified.
    Certified,
    /// Temporarily not certified.
    Suspended,
    /// No longer certified.
    Withdrawn,
}

/// GPG 45 level of confidence; ordered `Low < Medium < High < VeryHigh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LevelOfConfidence {
    /// Low.
    Low,
    /// Medium: RTW, RTR, basic DBS and alcohol age checks.
    Medium,
    /// High: standard and enhanced DBS.
    High,
    /// Very high.
    VeryHigh,
}

impl LevelOfConfidence {
    /// Every level, lowest first.
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::VeryHigh];

    /// The level whose wire value is `name` (`low`, `medium`, `high` or `very_high`).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == name)
    }

    /// The wire value, e.g. `very_high`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::VeryHigh => "very_high",
        }
    }
}

impl fmt::Display for LevelOfConfidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lifecycle status of a service on the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceStatus {
    /// Certified and registered.
    Certified,
    /// Certificate suspended by the conformity assessment body.
    Suspended,
    /// Certificate withdrawn by the conformity assessment body.
    Withdrawn,
    /// Certificate expired.
    Expired,
    /// Removed from the register (DUA Act 2025 s.40–42).
    Removed,
}

impl ServiceStatus {
    /// The wire value, e.g. `suspended`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Certified => "certified",
            Self::Suspended => "suspended",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
            Self::Removed => "removed",
        }
    }
}

impl fmt::Display for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The certificate issued by a UKAS-accredited conformity assessment body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Certificate identifier.
    pub id: String,
    /// The conformity assessment body.
    pub cab: String,
    /// Issue time (seconds since the epoch).
    pub issued: i64,
    /// Expiry time (seconds since the epoch).
    pub expires: i64,
}

/// One status change of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The status from `since` on.
    pub status: ServiceStatus,
    /// When it took effect (seconds since the epoch).
    pub since: i64,
    /// Why, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How a service's credentials are recognised: the `iss` values it may use, its keys, the
/// credential types it may issue and where its status lists live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerBinding {
    /// Allowed SD-JWT VC `iss` values.
    pub iss: Vec<String>,
    /// Issuer signing keys.
    #[serde(default)]
    pub jwks: JwkSet,
    /// SHA-256 pins (base64url) of CA roots for `x5c` chains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x5c_roots_sha256: Vec<String>,
    /// Prefixes every status list URI of this issuer starts with.
    #[serde(default)]
    pub status_list_uris_prefix: Vec<String>,
    /// Credential types (`vct`) the service may issue.
    pub vct: Vec<String>,
}
