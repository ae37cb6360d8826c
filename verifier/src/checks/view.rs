//! `GET /v1/checks/{id}` (the state and result), the QR codes of a waiting check, and
//! `DELETE /v1/checks/{id}` (erasure).

use idv_checks::Confirmation;
use idv_checks::evidence::CheckRecord;
use idv_checks::outcome::{Provider, TrustListRef};
use idv_checks::reason::{OutcomeState, Reason};
use idv_checks::templates::TemplateRef;
use idv_jose::jws::UnverifiedJws;
use idv_proto::trust::entry::LevelOfConfidence;
use idv_service_kit::Secret;
use idv_service_kit::secrets::hash_secret;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use idv_service_kit::db::WalTruncation;

use super::{CheckError, CheckState, Checks, OutcomeRecord, request_uri, wallet_url};
use crate::store::StoreError;
use crate::store::checks::CheckRow;
use crate::tenants::{Tenant, full_client_id};

/// PNG pixels per QR module.
const PNG_SCALE: u32 = 8;

/// A check as its tenant sees it.
#[derive(Clone, PartialEq, Serialize, ToSchema)]
pub struct CheckView {
    /// `chk_…`.
    pub id: String,
    /// The template and version.
    pub template: TemplateRef,
    /// `created`, `completed`, `failed`, `expired` or `erased`.
    pub state: CheckState,
    /// The tenant's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry of the wallet request.
    pub expires_at: i64,
    /// The wallet link, while the check waits for a wallet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet_url: Option<String>,
    /// When the wallet's response arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presented_at: Option<i64>,
    /// When the check ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Same-device check whose result waits for the response code.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub response_code_required: bool,
    /// `compliant`, `awaiting_confirmation` (right to work and rent: the relying party must
    /// compare the photo with the person, `POST /v1/checks/{id}/confirmation`),
    /// `not_eligible` or `rejected`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeState>,
    /// `outcome == compliant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliant: Option<bool>,
    /// Why not compliant: stable codes with the step that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<Reason>>,
    /// The disclosed claims the template requested (compliant checks, until purged).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<Map<String, Value>>,
    /// The provider: register id, organisation, service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The GPG 45 level of confidence relied on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_of_confidence: Option<LevelOfConfidence>,
    /// The trust list `sequence` the provider was evaluated on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_list_sequence: Option<u64>,
    /// The trust list (id and sequence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_list: Option<TrustListRef>,
    /// When the credential's status was resolved (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_checked_at: Option<i64>,
    /// The relying party's confirmation that the person is the holder (who compared, how,
    /// when, the start date), from the signed check record, until purged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// The `iat` of the Status List Token the status was read from (Unix seconds): the status
    /// is as the issuer published it then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_list_iat: Option<i64>,
    /// The check record JWT signed by the verifier (`dvs-check-record+jwt`), until purged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// When personal data (claims, evidence) is purged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_until: Option<i64>,
    /// When personal data was purged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purged_at: Option<i64>,
    /// When the check was erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<i64>,
}

/// The image format of a check's QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrFormat {
    /// `image/svg+xml`.
    Svg,
    /// `image/png`.
    Png,
}

impl QrFormat {
    /// The media type of the image.
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Svg => "image/svg+xml",
            Self::Png => "image/png",
        }
    }
}

impl std::fmt::Debug for CheckView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckView")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl Checks {
    /// A tenant's check. For a finished same-device check the result is shown only once the
    /// response code has been redeemed: pass it as `response_code` (once).
    pub async fn check(
        &self,
        tenant: &Tenant,
        check_id: &str,
        response_code: Option<&Secret>,
    ) -> Result<CheckView, CheckError> {
        let mut row = self.tenant_check(tenant, check_id).await?;
        if let Some(code) = response_code {
            let redeemed = row.response_code_hash.is_some()
                && self
                    .store
                    .redeem_response_code(check_id, &hash_secret(code.expose()))
                    .await?;
            if !redeemed {
                return Err(CheckError::InvalidResponseCode);
            }
            row.response_code_redeemed = true;
            row.response_code_hash = None;
        }
        view(
            Some(&tenant.client_id),
            &row,
            &self.settings.public_url,
            false,
        )
    }

    /// The QR code of a waiting check's wallet link, in `format`.
    pub async fn check_qr(
        &self,
        tenant: &Tenant,
        check_id: &str,
        format: QrFormat,
    ) -> Result<Vec<u8>, CheckError> {
        let link = self.pending_wallet_url(tenant, check_id).await?;
        match format {
            QrFormat::Svg => {
                idv_service_kit::qr::svg(&link, "Scan with your wallet to share your credential")
                    .map(String::into_bytes)
            }
            QrFormat::Png => idv_service_kit::qr::png(&link, PNG_SCALE),
        }
        .map_err(CheckError::Qr)
    }

    /// Erases a tenant's check: its personal data, reference, request keys and pending events
    /// go; a tombstone (id, template, times, `erased`) stays. Idempotent.
    pub async fn erase_check(&self, tenant: &Tenant, check_id: &str) -> Result<(), CheckError> {
        let found = self
            .erase(&tenant.tenant_id, check_id, self.clock.now())
            .await?;
        if !found {
            return Err(CheckError::NotFound {
                check_id: check_id.to_owned(),
            });
        }
        tracing::info!(tenant.id = %tenant.tenant_id, check.id = %check_id, "check erased");
        Ok(())
    }

    /// Erases a check in the store and forgets its open request, so that nothing a wallet
    /// sends now can be used; on SQLite then truncates the write-ahead log, so the erased
    /// values are gone from the database's files too. Returns whether the check exists.
    pub(crate) async fn erase(
        &self,
        tenant_id: &str,
        check_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let found = self.store.erase_check(tenant_id, check_id, now).await?;
        self.open_requests.remove_check(check_id);
        if found {
            self.truncate_log().await;
        }
        Ok(found)
    }

    /// Truncates the database's write-ahead log after personal data was erased or purged
    /// (see `idv_service_kit::db::Database::truncate_wal`). The erasure has committed either
    /// way: a busy or failed truncation is logged, and the next sweep tries again.
    pub(crate) async fn truncate_log(&self) -> Option<WalTruncation> {
        match self.store.database().truncate_wal().await {
            Ok(WalTruncation::Busy) => {
                tracing::warn!(
                    "the database's write-ahead log could not be truncated after an erasure (a \
                     reader held an older snapshot): the next sweep tries again"
                );
                Some(WalTruncation::Busy)
            }
            Ok(done) => Some(done),
            Err(error) => {
                tracing::warn!(
                    error.cause = %idv_service_kit::cli::report(&error),
                    "truncating the database's write-ahead log after an erasure failed: the \
                     next sweep tries again"
                );
                None
            }
        }
    }

    async fn pending_wallet_url(
        &self,
        tenant: &Tenant,
        check_id: &str,
    ) -> Result<String, CheckError> {
        let row = self.tenant_check(tenant, check_id).await?;
        let state = parse_state(&row)?;
        if state != CheckState::Created || row.expires_at <= self.clock.now() {
            let state = if state == CheckState::Created {
                CheckState::Expired
            } else {
                state
            };
            return Err(CheckError::NotPending {
                state: state.as_str(),
            });
        }
        Ok(wallet_url(
            &full_client_id(&tenant.client_id),
            &request_uri(&self.settings.public_url, &row.request_id),
        ))
    }

    pub(super) async fn tenant_check(
        &self,
        tenant: &Tenant,
        check_id: &str,
    ) -> Result<CheckRow, CheckError> {
        self.store
            .load_check(&tenant.tenant_id, check_id)
            .await?
            .ok_or_else(|| CheckError::NotFound {
                check_id: check_id.to_owned(),
            })
    }
}

fn parse_state(row: &CheckRow) -> Result<CheckState, CheckError> {
    CheckState::parse(&row.state).ok_or(CheckError::Corrupt {
        what: "check state",
    })
}

/// The confirmation stated by a check's stored record. The record is this verifier's own,
/// signed when stored: it is read, not verified again.
fn confirmation_of(evidence: Option<&str>) -> Result<Option<Confirmation>, CheckError> {
    let Some(evidence) = evidence else {
        return Ok(None);
    };
    let record: CheckRecord = UnverifiedJws::parse(evidence)
        .and_then(|jws| jws.insecure_claims())
        .map_err(|_| CheckError::Corrupt { what: "evidence" })?;
    Ok(record.confirmation)
}

/// A check as its tenant's API shows it, but with a same-device result released without the
/// response code and without a wallet link: for the OpenID Provider bridge, whose browser
/// binding does that job.
pub(crate) fn released_view(row: &CheckRow, public_url: &str) -> Result<CheckView, CheckError> {
    view(None, row, public_url, true)
}

/// The view; `wallet_url` only for an open check and when the tenant's `client_id` is given.
fn view(
    tenant_client_id: Option<&str>,
    row: &CheckRow,
    public_url: &str,
    released: bool,
) -> Result<CheckView, CheckError> {
    let state = parse_state(row)?;
    let outcome =
        OutcomeRecord::of_row(row).map_err(|_| CheckError::Corrupt { what: "outcome" })?;
    let claims: Option<Map<String, Value>> = row
        .claims
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| CheckError::Corrupt { what: "claims" })?;
    let finished = matches!(state, CheckState::Completed | CheckState::Failed);
    let withheld =
        !released && finished && row.redirect_uri.is_some() && !row.response_code_redeemed;
    let shown = if withheld { None } else { outcome };
    let template_version =
        u32::try_from(row.template_version).map_err(|_| CheckError::Corrupt {
            what: "template version",
        })?;
    Ok(CheckView {
        id: row.check_id.clone(),
        template: TemplateRef {
            id: row.template.clone(),
            version: template_version,
        },
        state,
        reference: row.reference.clone(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        wallet_url: tenant_client_id
            .filter(|_| state == CheckState::Created)
            .map(|client_id| {
                wallet_url(
                    &full_client_id(client_id),
                    &request_uri(public_url, &row.request_id),
                )
            }),
        presented_at: row.presented_at,
        finished_at: row.finished_at,
        response_code_required: withheld,
        compliant: shown.as_ref().map(|o| o.compliant),
        reasons: shown.as_ref().map(|o| o.reasons.clone()),
        provider: shown.as_ref().and_then(|o| o.provider.clone()),
        level_of_confidence: shown.as_ref().and_then(|o| o.level_of_confidence),
        trust_list_sequence: shown
            .as_ref()
            .and_then(|o| o.trust_list.as_ref().map(|l| l.sequence)),
        trust_list: shown.as_ref().and_then(|o| o.trust_list.clone()),
        status_checked_at: shown.as_ref().and_then(|o| o.status_checked_at),
        status_list_iat: shown.as_ref().and_then(|o| o.status_list_iat),
        outcome: shown.as_ref().map(|o| o.state),
        claims: if withheld { None } else { claims },
        confirmation: if withheld {
            None
        } else {
            confirmation_of(row.evidence.as_deref())?
        },
        evidence: if withheld { None } else { row.evidence.clone() },
        retain_until: row.retain_until,
        purged_at: row.purged_at,
        erased_at: row.erased_at,
    })
}
