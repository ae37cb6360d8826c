//! Checks, the employer-facing use cases: create a check from a template, read its state and
//! result, and erase it.
//!
//! A check's life (a compare-and-swap on `state` at every step, see [`crate::store`]):
//!
//! ```text
//! created ──wallet response with the request's state, verified──▶ completed (compliant,
//!    │                                                            awaiting_confirmation or
//!    │                                                            not eligible)
//!    │    └──rejected─────────────────────────────────────────▶ failed
//!    │   completed (awaiting_confirmation) ──confirmation──▶ completed (compliant)
//!    │                                      └──not matched──▶ failed (holder_not_matched)
//!    └──expires_at passes──▶ expired                 any state ──DELETE──▶ erased (tombstone)
//! ```
//!
//! Storing the outcome is the single use of the request and its nonce: of concurrent
//! responses exactly one is stored, the others are refused as replays. A verifier that dies
//! mid-verification stores nothing, so the request stays open for the wallet to answer again
//! until it expires. Every end state queues a webhook event in the same transaction.
//!
//! [`Checks`] owns these use cases and the state they share with the areas built on them (the
//! wallet-facing [`crate::exchange`], [`crate::evidence`], [`crate::retention`] and the
//! OpenID Provider bridge): the templates, this instance's open requests, the tenants, the
//! trust sources and the evidence key. Ending a check (the wallet's outcome, expiry, the
//! relying party's confirmation) is here too ([`events`] writes its webhook event).
//!
//! Same-device checks (`redirect_uri` given) answer the wallet with
//! `redirect_uri#response_code=…`; their result is released only to a caller presenting that
//! code once (`GET /v1/checks/{id}?response_code=…`), which defeats session fixation
//! (OpenID4VP 1.0 "Session Fixation"; HAIP).

mod confirm;
mod create;
mod end;
mod error;
pub mod events;
mod open_requests;
mod record;
mod view;

use std::sync::Arc;

use idv_checks::templates::{Template, TemplateError, Templates};
use idv_jose::{Clock, Random};

pub use confirm::ConfirmationRequest;
pub use create::{CheckRequest, CreatedCheck};
pub use error::{CheckError, RedirectUriError};
pub use record::OutcomeRecord;
pub(crate) use view::released_view;
pub use view::{CheckView, QrFormat};

pub(crate) use open_requests::OpenRequests;

use crate::config::Settings;
use crate::keys::ServiceKeys;
use crate::store::Store;
use crate::store::checks::CheckRow;
use crate::tenants::Tenants;
use crate::trust::TrustSources;

/// The check use cases and the state they own. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Checks {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) templates: Arc<Templates>,
    pub(crate) tenants: Tenants,
    pub(crate) trust: TrustSources,
    pub(crate) keys: ServiceKeys,
    /// The wallet requests this instance created and that are still open.
    pub(crate) open_requests: Arc<OpenRequests>,
}

impl Checks {
    /// The template (at its version) a check runs.
    pub(crate) fn template_of(&self, check: &CheckRow) -> Result<&Template, TemplateError> {
        let version = u32::try_from(check.template_version).unwrap_or(u32::MAX);
        self.templates.get_version(&check.template, version)
    }

    /// Retention of a finished check's personal data for `template`, in seconds: the
    /// template's configured override, else the configured default, else the template's own.
    pub(crate) fn retention_secs(&self, template: &Template) -> i64 {
        let retention = &self.settings.retention;
        retention
            .templates
            .get(template.id())
            .copied()
            .or(retention.default_secs)
            .unwrap_or_else(|| template.default_retention_secs())
    }
}

/// The states of a check, as stored and shown.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Waiting for the wallet (or verifying its response).
    Created,
    /// Verified: compliant, awaiting the relying party's confirmation, or not eligible.
    Completed,
    /// Rejected: the presentation or the exchange failed.
    Failed,
    /// No response before `expires_at`.
    Expired,
    /// Erased on the tenant's request: a tombstone.
    Erased,
}

impl CheckState {
    /// The stored and wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Erased => "erased",
        }
    }

    /// Parses a stored value.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Created,
            Self::Completed,
            Self::Failed,
            Self::Expired,
            Self::Erased,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The wallet-facing URLs of a check's request.
pub(crate) fn request_uri(public_url: &str, request_id: &str) -> String {
    format!("{public_url}/wallet/requests/{request_id}")
}

/// Where the wallet posts its response.
pub(crate) fn response_uri(public_url: &str, request_id: &str) -> String {
    format!("{public_url}/wallet/responses/{request_id}")
}

/// `openid4vp://?client_id=…&request_uri=…` (OpenID4VP 1.0 "Authorization Request" by
/// reference; the custom scheme of "Wallet Invocation").
pub(crate) fn wallet_url(full_client_id: &str, request_uri: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", full_client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("openid4vp://?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_url_carries_the_full_client_id_and_request_uri_encoded() {
        let url = wallet_url(
            "verifier_attestation:employer.example",
            "https://v.example/wallet/requests/abc",
        );
        assert_eq!(
            url,
            "openid4vp://?client_id=verifier_attestation%3Aemployer.example\
             &request_uri=https%3A%2F%2Fv.example%2Fwallet%2Frequests%2Fabc"
        );
    }

    #[test]
    fn states_round_trip() {
        for state in ["created", "completed", "failed", "expired", "erased"] {
            assert_eq!(CheckState::parse(state).unwrap().as_str(), state);
        }
        assert!(CheckState::parse("done").is_none());
        assert!(CheckState::parse("presented").is_none());
    }
}
