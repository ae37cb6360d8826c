//! A relying party's system at work, over the verifier's tenant API: creating a check from a
//! template, showing its wallet link, reading the result as the employer (or shop) sees it,
//! and fetching what it keeps (the evidence package and the clear copy).

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::{Api, CallError};

/// A tenant of the verifier (`Authorization: Bearer <API key>`).
#[derive(Debug, Clone)]
pub struct Employer {
    api: Api,
}

/// `POST /v1/checks` response.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedCheck {
    /// `chk_…`.
    pub id: String,
    /// `openid4vp://…`: the link to open in the wallet or show as a QR code.
    pub wallet_url: String,
    /// The QR code of `wallet_url` as SVG.
    pub qr_svg_url: String,
    /// When the request expires.
    pub expires_at: i64,
}

/// One reason a check is not compliant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reason {
    /// The stable code, e.g. `provider_suspended`.
    pub code: String,
    /// The step that failed: `request`, `match`, `signature`, `binding`, `status`, `trust`,
    /// `rule`, `confirmation`.
    pub step: String,
    /// A fixed explanation.
    pub message: String,
}

/// The provider a result relied on.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderRef {
    /// The register entry.
    pub register_id: String,
    /// The organisation (`name`, …).
    pub organisation: Value,
    /// The certified service.
    pub service: String,
}

impl ProviderRef {
    /// The organisation's name.
    pub fn organisation_name(&self) -> &str {
        self.organisation["name"].as_str().unwrap_or("?")
    }
}

/// `GET /v1/checks/{id}`: a check as its tenant sees it.
#[derive(Clone, Deserialize)]
pub struct CheckResult {
    /// `chk_…`.
    pub id: String,
    /// `created`, `presented`, `completed`, `failed`, `expired` or `erased`.
    pub state: String,
    /// `compliant`, `not_eligible` or `rejected`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// `outcome == compliant`.
    #[serde(default)]
    pub compliant: Option<bool>,
    /// Why not compliant.
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// The disclosed claims the template asked for (personal data).
    #[serde(default)]
    pub claims: Option<Map<String, Value>>,
    /// The provider relied on.
    #[serde(default)]
    pub provider: Option<ProviderRef>,
    /// The GPG 45 level of confidence relied on.
    #[serde(default)]
    pub level_of_confidence: Option<String>,
    /// The trust list `sequence` the provider was evaluated on.
    #[serde(default)]
    pub trust_list_sequence: Option<u64>,
    /// When the credential's status was checked.
    #[serde(default)]
    pub status_checked_at: Option<i64>,
    /// The employer's photo-match confirmation (decision, method, checker, time).
    #[serde(default)]
    pub confirmation: Option<Value>,
    /// The check record JWT signed by the verifier.
    #[serde(default)]
    pub evidence: Option<String>,
}

impl std::fmt::Debug for CheckResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claims and evidence are personal data: names only.
        f.debug_struct("CheckResult")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("outcome", &self.outcome)
            .field("reasons", &self.reasons)
            .field(
                "claims",
                &self
                    .claims
                    .as_ref()
                    .map(|c| c.keys().cloned().collect::<Vec<_>>()),
            )
            .field("provider", &self.provider.as_ref().map(|p| &p.register_id))
            .field("trust_list_sequence", &self.trust_list_sequence)
            .finish_non_exhaustive()
    }
}

impl CheckResult {
    /// Whether the check has ended (`completed`, `failed`, `expired` or `erased`).
    pub fn is_finished(&self) -> bool {
        self.state != "created"
    }

    /// The reason codes, in order.
    pub fn reason_codes(&self) -> Vec<&str> {
        self.reasons.iter().map(|r| r.code.as_str()).collect()
    }
}

/// Why waiting for a result failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// A call failed.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The check did not finish in time.
    #[error("check {check_id} still `{state}` after {waited:?}")]
    Timeout {
        /// The check.
        check_id: String,
        /// Its last state.
        state: String,
        /// How long was waited.
        waited: Duration,
    },
}

impl Employer {
    /// The tenant API behind `api`.
    pub fn new(api: Api) -> Self {
        Self { api }
    }

    /// The API (its base URL and key).
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// `POST /v1/checks` with `template` (`right_to_work`, `age_over_18`, …).
    pub async fn create_check(&self, template: &str) -> Result<CreatedCheck, CallError> {
        self.api
            .post("/v1/checks", &json!({"template": template}))
            .await
    }

    /// `POST /v1/checks/{id}/confirmation`: the employer compared the photo with the person
    /// (`method`: `in_person` or `video_call`) and found them to be the holder.
    pub async fn confirm(
        &self,
        check_id: &str,
        method: &str,
        checker_name: &str,
    ) -> Result<CheckResult, CallError> {
        self.api
            .post(
                &format!("/v1/checks/{check_id}/confirmation"),
                &json!({"decision": "confirmed", "method": method, "checker_name": checker_name}),
            )
            .await
    }

    /// `GET /v1/checks/{id}/evidence`: the evidence package to keep (JSON, as served).
    pub async fn evidence_package(&self, check_id: &str) -> Result<Vec<u8>, CallError> {
        self.api
            .get_bytes(&format!("/v1/checks/{check_id}/evidence"))
            .await
    }

    /// `GET /v1/checks/{id}/clear-copy`: the clear copy as a printable HTML page.
    pub async fn clear_copy_html(&self, check_id: &str) -> Result<Vec<u8>, CallError> {
        self.api
            .get_bytes(&format!("/v1/checks/{check_id}/clear-copy"))
            .await
    }

    /// `GET /v1/checks/{id}/clear-copy.pdf`: the clear copy as a PDF.
    pub async fn clear_copy_pdf(&self, check_id: &str) -> Result<Vec<u8>, CallError> {
        self.api
            .get_bytes(&format!("/v1/checks/{check_id}/clear-copy.pdf"))
            .await
    }

    /// `GET /v1/checks/{id}`.
    pub async fn check(&self, check_id: &str) -> Result<CheckResult, CallError> {
        self.api.get(&format!("/v1/checks/{check_id}")).await
    }

    /// Polls `GET /v1/checks/{id}` until the check has ended (the verifier answers the wallet
    /// only after verifying, so this is normally immediate), for at most `timeout`.
    pub async fn wait_for_result(
        &self,
        check_id: &str,
        timeout: Duration,
    ) -> Result<CheckResult, WaitError> {
        let started = tokio::time::Instant::now();
        loop {
            let result = self.check(check_id).await?;
            if result.is_finished() {
                return Ok(result);
            }
            if started.elapsed() >= timeout {
                return Err(WaitError::Timeout {
                    check_id: check_id.to_owned(),
                    state: result.state,
                    waited: timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The `openid4vp://` link a page offers the person's wallet (the verifier's hand-off page),
/// its HTML escaping of `&` undone; `None` when the page has no such link.
pub fn wallet_link_on_page(html: &str) -> Option<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.starts_with("openid4vp://"))
        .map(|href| href.replace("&amp;", "&"))
}
