//! `GET /v1/checks/{id}/evidence`: the evidence package, one self-contained JSON document the
//! employer keeps: the signed check record, the verifier's key that verifies it with its
//! validity (so it verifies offline, years later, after any rotation), and how long the law
//! asks for it to be kept.

use idv_checks::evidence::{CheckRecord, EvidenceKey, EvidenceKeys, verify_check_record_with_keys};
use idv_checks::{Template, TemplateRef};
use idv_proto::trust::entry::SchemeCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Evidence;
use super::EvidenceError;
use crate::checks::{CheckState, CheckView};
use crate::tenants::Tenant;

/// `format` of an evidence package.
pub const PACKAGE_FORMAT: &str = "dvs-evidence-package";
/// `version` of the package format described here.
pub const PACKAGE_VERSION: u32 = 1;
/// Where the verifier publishes every evidence key it has used, under its public URL.
pub const EVIDENCE_KEYS_PATH: &str = "/.well-known/evidence-keys.json";

/// The evidence package of a check. `Debug` shows no personal data.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvidencePackage {
    /// [`PACKAGE_FORMAT`].
    pub format: String,
    /// [`PACKAGE_VERSION`].
    pub version: u32,
    /// The check (`chk_…`): the record's `sub`.
    pub check_id: String,
    /// The template and version the check ran.
    pub template: TemplateRef,
    /// When the check was made (the presentation verified), Unix seconds.
    pub checked_at: i64,
    /// The check record (`dvs-check-record+jwt`), compact: the unalterable evidence.
    pub record: String,
    /// Lowercase hex SHA-256 of `record`'s ASCII text, as printed on the clear copy.
    pub record_sha256: String,
    /// The verifier's key that signed `record`, with its validity, under the verifier's
    /// identifier (`issuer`, the record's `iss`).
    pub keys: EvidenceKeys,
    /// Where the verifier publishes all its evidence keys, to compare `keys` with.
    pub keys_url: String,
    /// How long to keep this evidence.
    pub retention: RetentionAdvice,
    /// When this package was made, Unix seconds.
    pub packaged_at: i64,
}

impl std::fmt::Debug for EvidencePackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidencePackage")
            .field("check_id", &self.check_id)
            .field("template", &self.template)
            .field("record_sha256", &self.record_sha256)
            .finish_non_exhaustive()
    }
}

/// What the keeping period runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetentionStart {
    /// The end of the person's employment (right to work).
    EmploymentEnds,
    /// The end of the tenancy (right to rent).
    TenancyEnds,
}

/// How long the relying party keeps a check's evidence, by the check's scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetentionAdvice {
    /// Whether the law asks for a copy to be kept at all.
    pub required: bool,
    /// What the period runs from, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<RetentionStart>,
    /// Years to keep it after `after`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years_after: Option<u32>,
    /// The advice in plain English.
    pub advice: String,
    /// The guidance it follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl RetentionAdvice {
    /// The advice for checks of `template`.
    pub fn for_template(template: &Template) -> Self {
        let kept = |after, years, advice: &str, source: &str| Self {
            required: true,
            after: Some(after),
            years_after: Some(years),
            advice: advice.to_owned(),
            source: Some(source.to_owned()),
        };
        match template.scheme() {
            SchemeCode::Rtw => kept(
                RetentionStart::EmploymentEnds,
                2,
                "Keep a clear copy of this check, and this evidence, securely and unaltered for \
                 as long as the person works for you and for two years after the employment \
                 ends; then destroy them securely.",
                "Home Office, employer's guide to right to work checks",
            ),
            SchemeCode::Rtr => kept(
                RetentionStart::TenancyEnds,
                1,
                "Keep a clear copy of this check, and this evidence, securely and unaltered for \
                 the duration of the tenancy and for one year after it ends; then destroy them \
                 securely.",
                "Home Office, landlord's guide to right to rent checks",
            ),
            SchemeCode::Age => Self {
                required: false,
                after: None,
                years_after: None,
                advice: "No copy of an age check needs to be kept. Keep it only if your own \
                         policy needs it, and no longer than that."
                    .to_owned(),
                source: None,
            },
            SchemeCode::Dbs => Self {
                required: false,
                after: None,
                years_after: None,
                advice: "No keeping period is set for this check here: follow the guidance of \
                         the scheme you ran it for."
                    .to_owned(),
                source: None,
            },
        }
    }
}

/// Lowercase hex SHA-256 of a record's compact text.
pub(crate) fn record_sha256(record: &str) -> String {
    idv_jose::digest::sha256(record.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A check's released, verified record with what the package and the clear copy add to it.
pub(crate) struct KeptRecord {
    pub(crate) view: CheckView,
    pub(crate) jwt: String,
    pub(crate) record: CheckRecord,
    pub(crate) key: EvidenceKey,
    pub(crate) issuer: String,
}

impl Evidence {
    /// The evidence package of a tenant's check, while the check's personal data is kept.
    pub async fn evidence_package(
        &self,
        tenant: &Tenant,
        check_id: &str,
    ) -> Result<EvidencePackage, EvidenceError> {
        let kept = self.kept_record(tenant, check_id).await?;
        let template = self.template_of_view(&kept.view)?;
        tracing::info!(tenant.id = %tenant.tenant_id, check.id = %check_id, "evidence package made");
        Ok(EvidencePackage {
            format: PACKAGE_FORMAT.to_owned(),
            version: PACKAGE_VERSION,
            check_id: kept.record.sub.clone(),
            template: kept.record.template.clone(),
            checked_at: kept.record.checked_at,
            record_sha256: record_sha256(&kept.jwt),
            record: kept.jwt,
            keys: EvidenceKeys {
                issuer: kept.issuer,
                keys: vec![kept.key],
            },
            keys_url: format!("{}{EVIDENCE_KEYS_PATH}", self.public_url),
            retention: RetentionAdvice::for_template(template),
            packaged_at: self.clock.now(),
        })
    }

    /// A tenant's check with its record, verified against the evidence keys (fail closed). A
    /// check without one is refused: purged, erased, not finished, or (same device) not yet
    /// released by its response code.
    pub(crate) async fn kept_record(
        &self,
        tenant: &Tenant,
        check_id: &str,
    ) -> Result<KeptRecord, EvidenceError> {
        let view = self.checks.check(tenant, check_id, None).await?;
        let Some(jwt) = view.evidence.clone() else {
            return Err(if view.purged_at.is_some() {
                EvidenceError::Purged
            } else if view.response_code_required {
                EvidenceError::NoEvidence {
                    why: "its result is released only with its same-device response code",
                }
            } else {
                EvidenceError::NoEvidence {
                    why: match view.state {
                        CheckState::Created => "it is still waiting for a wallet",
                        CheckState::Expired => "it expired before a wallet answered",
                        CheckState::Erased => "it was erased",
                        CheckState::Completed | CheckState::Failed => "it has no signed record",
                    },
                }
            });
        };
        let keys = self.keys.evidence_keys().await?;
        let (record, key) = verify_check_record_with_keys(&jwt, &keys)
            .map_err(|_| EvidenceError::Corrupt { what: "evidence" })?;
        let key = key.clone();
        Ok(KeptRecord {
            view,
            jwt,
            record,
            key,
            issuer: keys.issuer,
        })
    }

    /// The template (at its version) a viewed check ran.
    pub(crate) fn template_of_view(&self, view: &CheckView) -> Result<&Template, EvidenceError> {
        self.templates
            .get_version(&view.template.id, view.template.version)
            .map_err(EvidenceError::Template)
    }
}
