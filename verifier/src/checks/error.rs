//! [`CheckError`]: what the check use cases can refuse or fail with. Mapped to HTTP statuses
//! in one place, `crate::http::error`.

use idv_checks::templates::TemplateError;
use idv_jose::JoseError;
use idv_keystore::KeyStoreError;
use idv_service_kit::qr::QrError;

use crate::keys::KeyError;
use crate::store::StoreError;
use crate::tenants::TenantError;
use crate::webhooks::destination::WebhookUrlError;

/// Why a same-device `redirect_uri` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectUriError {
    /// Longer than 2048 characters.
    #[error("redirect_uri: too long")]
    TooLong,
    /// Not an absolute URI (or an `https` URI without a host).
    #[error("redirect_uri: not an absolute URI")]
    NotAbsolute,
    /// It has a fragment.
    #[error("redirect_uri: must not have a fragment")]
    Fragment,
    /// It carries a user name or password.
    #[error("redirect_uri: must not carry credentials")]
    Credentials,
    /// Plain `http` other than to an allowed loopback host.
    #[error(
        "redirect_uri: plain http only to a loopback host the operator allows \
         ([checks] redirect_allow_hosts); use https"
    )]
    PlainHttp,
    /// Neither `https`, `http` nor an app's reverse-domain scheme.
    #[error(
        "redirect_uri: scheme `{scheme}` is not allowed: https, or an app's reverse-domain \
         scheme (com.example.app:/cb) that the relying party registered"
    )]
    Scheme {
        /// The scheme, lowercased.
        scheme: String,
    },
    /// Not among the redirect URIs the relying party's attestation lists.
    #[error("redirect_uri: not among the redirect URIs the relying party registered")]
    NotAttested,
    /// An app scheme, but the relying party's attestation lists no redirect URIs.
    #[error(
        "redirect_uri: an app scheme is accepted only when the relying party's attestation \
         lists the URI (register it with the trust framework)"
    )]
    AppSchemeNotRegistered,
}

/// A check use case's refusal or failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The input is malformed; the message names the field.
    #[error("{0}")]
    InvalidInput(String),
    /// The `webhook_url` is refused (not https to a public address, or not allow-listed).
    #[error(transparent)]
    InvalidWebhookUrl(#[from] WebhookUrlError),
    /// The same-device `redirect_uri` is refused.
    #[error(transparent)]
    InvalidRedirectUri(#[from] RedirectUriError),
    /// No template with this id.
    #[error("unknown check template `{template}`")]
    UnknownTemplate {
        /// The id asked for.
        template: String,
    },
    /// No such check for this tenant (another tenant's checks do not exist for it).
    #[error("no check `{check_id}`")]
    NotFound {
        /// The id asked for.
        check_id: String,
    },
    /// The tenant cannot send requests wallets accept now: no valid attestation, or one whose
    /// registered purposes or redirect URIs do not cover the check.
    #[error("{0}")]
    NotAttested(String),
    /// The check is not waiting for a wallet any more (QR code of a finished check).
    #[error("the check is {state}: it no longer waits for a wallet")]
    NotPending {
        /// Its state.
        state: &'static str,
    },
    /// The check's outcome is not `awaiting_confirmation` (another template, not verified,
    /// already confirmed or rejected, or erased).
    #[error("the check ({state}) is not awaiting confirmation")]
    NotAwaitingConfirmation {
        /// Its state.
        state: String,
    },
    /// The check's personal data (the photo to compare with) was purged at the end of its
    /// retention: it can no longer be confirmed.
    #[error("the check's data was purged at the end of its retention: start a new check")]
    ConfirmationDataPurged,
    /// The tenant already has `[limits] max_open_checks_per_tenant` checks waiting for a
    /// wallet.
    #[error(
        "the tenant has {limit} checks waiting for a wallet, the most allowed: wait until \
         some finish or expire, or delete ones no longer needed"
    )]
    TooManyOpenChecks {
        /// The cap.
        limit: i64,
        /// Seconds until the earliest of them expires.
        retry_after_secs: u64,
    },
    /// The same-device response code is wrong or was used already.
    #[error("the response code is not valid for this check, or was used already")]
    InvalidResponseCode,
    /// The tenant's record or key is unusable.
    #[error("the tenant is unusable")]
    Tenant(#[source] TenantError),
    /// The evidence key could not sign or be read.
    #[error("the evidence key failed")]
    Keys(#[source] KeyError),
    /// The template a stored check names is not offered (any more).
    #[error("the check's template is unavailable")]
    Template(#[from] TemplateError),
    /// The request's ECDH-ES key could not be generated.
    #[error("the request's encryption key could not be generated")]
    RequestKey(#[source] JoseError),
    /// The request's ECDH-ES key could not be sealed for storage.
    #[error("the request's encryption key could not be sealed")]
    SealRequestKey(#[source] KeyStoreError),
    /// The QR code could not be rendered.
    #[error("the QR code could not be rendered")]
    Qr(#[source] QrError),
    /// A value to store could not be encoded.
    #[error("a value could not be encoded")]
    Encode(#[source] serde_json::Error),
    /// A stored value does not decode.
    #[error("stored {what} does not decode")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TenantError> for CheckError {
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::Attestation(reason) => Self::NotAttested(format!(
                "the tenant's verifier attestation is not usable: {reason}"
            )),
            TenantError::Store(e) => Self::Store(e),
            other => Self::Tenant(other),
        }
    }
}

impl From<KeyError> for CheckError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::Store(e) => Self::Store(e),
            other => Self::Keys(other),
        }
    }
}
