//! [`OidcError`]: what the OpenID Provider use cases refuse or fail with. Mapped to HTML pages,
//! OAuth error bodies and statuses in one place, `crate::http::error`.

use idv_checks::templates::TemplateError;
use idv_jose::JoseError;
use idv_service_kit::qr::QrError;

use crate::checks::CheckError;
use crate::store::StoreError;
use crate::tenants::TenantError;

/// An OpenID Provider use case's refusal or failure. Refusals an authorization request earns
/// once its client and redirect URI are known are not errors: they go back to the client
/// (`authorize::Authorization::Refused`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The authorization request names no registered client (or names one twice).
    #[error("the client_id is missing or not registered")]
    UnknownClient,
    /// The authorization request's redirect URI is missing, repeated or not registered for the
    /// client: it cannot be sent back there.
    #[error("the redirect_uri is missing or not registered for this client")]
    InvalidRedirectUri,
    /// No such authorization session: unknown, or deleted after it ended.
    #[error("this sign-in is unknown or has expired")]
    UnknownSession,
    /// The session's cookie is missing or is another browser's.
    #[error("this sign-in continues in the browser where it was started")]
    OtherBrowser,
    /// Authorization request: the client already has `[limits]
    /// max_pending_sessions_per_client` sign-ins waiting for the person.
    #[error("too many sign-ins of this service are waiting for a person ({limit})")]
    TooManySessions {
        /// The cap.
        limit: i64,
        /// Seconds until the earliest of them expires.
        retry_after_secs: u64,
    },
    /// Token endpoint: the request is malformed; the message says how.
    #[error("{0}")]
    InvalidRequest(String),
    /// Token endpoint: client authentication failed. `basic` when the client tried HTTP Basic.
    #[error("client authentication failed")]
    InvalidClient {
        /// The client authenticated (or tried to) with `Authorization: Basic`.
        basic: bool,
    },
    /// Token endpoint: the code is unknown, expired, used, another client's, or its
    /// `redirect_uri` or PKCE verifier does not match.
    #[error("{0}")]
    InvalidGrant(&'static str),
    /// Token endpoint: a grant type other than `authorization_code`.
    #[error("only the authorization_code grant type is supported")]
    UnsupportedGrantType,
    /// Userinfo: the access token is unknown, expired or revoked.
    #[error("the access token is unknown, expired or revoked")]
    InvalidToken,
    /// Operator input is invalid; the message names the field.
    #[error("{0}")]
    InvalidInput(String),
    /// No registered client with this id (operator commands).
    #[error("no OpenID Connect client `{client_id}`")]
    NotFound {
        /// The id asked for.
        client_id: String,
    },
    /// The client's tenant is unknown or unusable.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// A stored value does not decode.
    #[error("stored {what} does not decode")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// The session's check could not be read or ended.
    #[error("the sign-in's check failed")]
    Check(#[source] CheckError),
    /// The template the session's check names is not offered (any more).
    #[error("the check's template is unavailable")]
    Template(#[from] TemplateError),
    /// The ID token could not be signed.
    #[error("the ID token could not be signed")]
    Signing(#[source] JoseError),
    /// A value could not be encoded.
    #[error("a value could not be encoded")]
    Encode(#[source] serde_json::Error),
    /// The hand-off page's QR code could not be rendered.
    #[error("the QR code could not be rendered")]
    Qr(#[source] QrError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CheckError> for OidcError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Store(e) => Self::Store(e),
            other => Self::Check(other),
        }
    }
}
