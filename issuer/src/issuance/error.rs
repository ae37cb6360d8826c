//! What the use cases refuse or fail with, one enum per audience. Each maps to an HTTP status
//! and OAuth error code in one place, `crate::http::error`.
//!
//! - [`IssuanceError`]: the credential endpoint (OpenID4VCI 1.0 "Credential Error Response",
//!   RFC 6750 for the access token).
//! - [`TokenError`]: the token endpoint (RFC 6749 §5.2 as clarified by OpenID4VCI 1.0 "Token
//!   Error Response", RFC 9396 for `authorization_details`).
//! - [`AuthorizationError`]: the authorization code flow's browser-facing and pushed-request
//!   endpoints (RFC 6749 §4.1.2.1, RFC 9126 §2.3, RFC 9396); some are sent to the wallet's
//!   redirect URI instead ([`AuthorizationError::Redirect`]).
//! - [`OperatorError`]: the operator API and the command line.
//! - [`KeyError`]: signing keys (always a server-side failure).

use idv_jose::JoseError;
use idv_profiles::{IssueError, LevelOfConfidence};
use idv_sdjwt::SdJwtError;
use thiserror::Error;

use super::authorization::WalletRedirect;
use super::certification::{CertificationUnavailable, NotCertified};
use crate::store::StoreError;

/// A proofed identity's level of confidence is below what a credential configuration needs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{configuration_id} needs an identity proofed to GPG 45 level of confidence {required} or \
     higher; this identity was proofed to {}",
    actual.map_or("no known level", LevelOfConfidence::as_str)
)]
pub struct InsufficientConfidence {
    /// The configuration.
    pub configuration_id: &'static str,
    /// The lowest level it accepts.
    pub required: LevelOfConfidence,
    /// The identity's level (`None`: the record names no known level).
    pub actual: Option<LevelOfConfidence>,
}

/// Why a Credential Request was refused or failed. Each variant maps to one OpenID4VCI or
/// RFC 6750 error code at the HTTP edge.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IssuanceError {
    /// The access token is unknown or expired (`invalid_token`, 401).
    #[error("{reason}")]
    InvalidToken {
        /// What is wrong, without the token.
        reason: &'static str,
    },
    /// The access token does not cover this credential configuration (`insufficient_scope`,
    /// 403): it was not in the offer, or not in the token request's `authorization_details`.
    #[error("the access token does not authorize credential configuration `{configuration_id}`")]
    InsufficientScope {
        /// The configuration asked for.
        configuration_id: String,
    },
    /// No such credential configuration (`unknown_credential_configuration`).
    #[error("unknown credential configuration `{configuration_id}`")]
    UnknownConfiguration {
        /// The configuration asked for.
        configuration_id: String,
    },
    /// The `credential_identifier` was not issued with this access token
    /// (`unknown_credential_identifier`).
    #[error("{reason}")]
    UnknownIdentifier {
        /// What is wrong.
        reason: String,
    },
    /// A key proof is missing or malformed, has the wrong `typ`/`alg`/`aud`, a bad signature,
    /// no `nonce`, or an `iat` outside the window (`invalid_proof`).
    #[error("invalid proof {index}: {reason}")]
    InvalidProof {
        /// Position of the proof in `proofs.jwt`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A key proof fails JOSE processing: not a JWS, an unusable `jwk`, a bad signature, the
    /// wrong `typ`/`alg`, unreadable claims or an `iat` outside the window (`invalid_proof`).
    #[error("invalid proof {index}: {source}")]
    UnverifiableProof {
        /// Position of the proof in `proofs.jwt`.
        index: usize,
        /// What JOSE processing refused.
        #[source]
        source: JoseError,
    },
    /// The `proofs` parameter is missing or of an unsupported proof type (`invalid_proof`).
    #[error("{reason}")]
    InvalidProofs {
        /// What is wrong.
        reason: String,
    },
    /// A proof's `nonce` is not a live, unused `c_nonce` (`invalid_nonce`).
    #[error("a proof does not carry a valid c_nonce: fetch a new one from the nonce endpoint")]
    InvalidNonce,
    /// Response encryption was asked for; this issuer does not offer it
    /// (`invalid_encryption_parameters`).
    #[error("{reason}")]
    InvalidEncryptionParameters {
        /// What is wrong.
        reason: String,
    },
    /// The request itself is unacceptable: malformed, both or neither identifier, too many
    /// proofs, two proofs for one key (`invalid_credential_request`).
    #[error("invalid credential request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// The request is well-formed but will not be honoured (`credential_request_denied`):
    /// the configuration was already issued under this offer, or the proofing record does not
    /// support the credential.
    #[error("credential request denied: {reason}")]
    Denied {
        /// Why.
        reason: String,
    },
    /// The proofed identity's level of confidence is too low for the configuration
    /// (`credential_request_denied`): the offer was made before the minimum was raised.
    #[error("credential request denied: {0}")]
    InsufficientConfidence(#[from] InsufficientConfidence),
    /// The provider's register entry does not certify it for the configuration's scheme now
    /// (`credential_request_denied`).
    #[error("credential request denied: {0}")]
    NotCertified(#[from] NotCertified),
    /// `[trust]` is configured but no usable trust list is held, so issuance fails closed
    /// (`credential_request_denied`).
    #[error(
        "credential request denied: the issuer cannot confirm its certification on the trust \
         list now; try again later"
    )]
    CertificationUnavailable(#[from] CertificationUnavailable),
    /// Building or signing the credential failed (a server error).
    #[error("credential could not be built")]
    Credential(#[from] SdJwtError),
    /// No status list entry could be allocated (a server error).
    #[error("no status list entry could be allocated")]
    StatusAllocation,
    /// The signing key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<IssueError> for IssuanceError {
    /// A record the profile refuses is an invalid request; one that cannot support the
    /// credential (an age credential without a birthdate) is denied.
    fn from(error: IssueError) -> Self {
        match error {
            IssueError::InvalidRecord(invalid) => Self::InvalidRequest {
                reason: invalid.reason.to_owned(),
            },
            IssueError::ClaimsPath(empty) => Self::InvalidRequest {
                reason: empty.to_string(),
            },
            IssueError::Unsupported { reason } => Self::Denied {
                reason: reason.to_owned(),
            },
            IssueError::Credential(error) => Self::Credential(error),
        }
    }
}

impl IssuanceError {
    pub(crate) fn proof(index: usize, reason: impl Into<String>) -> Self {
        Self::InvalidProof {
            index,
            reason: reason.into(),
        }
    }

    pub(crate) fn jose(index: usize, source: JoseError) -> Self {
        Self::UnverifiableProof { index, source }
    }
}

/// Why a Token Request was refused or failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TokenError {
    /// A parameter is missing, repeated, malformed or not expected: `tx_code` missing when the
    /// offer requires one, or sent when it does not (`invalid_request`).
    #[error("{0}")]
    InvalidRequest(String),
    /// The pre-authorized code is unknown, used, expired or locked, or the `tx_code` is wrong
    /// (`invalid_grant`).
    #[error("{0}")]
    InvalidGrant(String),
    /// The client is unknown (`invalid_client`, 401).
    #[error("{0}")]
    InvalidClient(String),
    /// The grant type is not supported: the pre-authorized code grant always is, the
    /// authorization code grant when `[login]` is configured (`unsupported_grant_type`).
    #[error("grant_type `{0}` is not supported")]
    UnsupportedGrantType(String),
    /// `authorization_details` is malformed or asks for what the offer does not grant
    /// (RFC 9396 `invalid_authorization_details`).
    #[error("{0}")]
    InvalidAuthorizationDetails(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a pushed authorization request, an authorization request or a sign-in callback was
/// refused or failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AuthorizationError {
    /// The issuer has no `[login]` settings: no authorization code flow (`not_found`).
    #[error("this issuer does not run the authorization code flow")]
    NotConfigured,
    /// The wallet's `client_id` is not registered (`invalid_client`, 401).
    #[error("{0}")]
    InvalidClient(String),
    /// A parameter is missing, repeated, malformed or not acceptable; an unknown, used or
    /// expired `request_uri` or sign-in `state` (`invalid_request`).
    #[error("{0}")]
    InvalidRequest(String),
    /// `response_type` is not `code` (`unsupported_response_type`).
    #[error("{0}")]
    UnsupportedResponseType(String),
    /// The scopes name nothing this issuer can issue here (`invalid_scope`).
    #[error("{0}")]
    InvalidScope(String),
    /// `authorization_details` is malformed or asks for what cannot be issued here
    /// (`invalid_authorization_details`).
    #[error("{0}")]
    InvalidAuthorizationDetails(String),
    /// The request was valid but did not succeed: the browser goes back to the wallet with
    /// the error (RFC 6749 §4.1.2.1).
    #[error("{}", .0.failure)]
    Redirect(Box<RedirectedError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An error sent to the wallet's redirect URI.
#[derive(Debug)]
pub struct RedirectedError {
    /// Where the browser goes.
    pub to: WalletRedirect,
    /// What went wrong.
    pub failure: SignInFailure,
}

/// Why a sign-in did not end with an authorization code.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SignInFailure {
    /// The person could not be authorized: sign-in cancelled or refused at the OP, an ID token
    /// that does not verify, no proofed identity linked to the account, an offer for someone
    /// else (`access_denied`).
    #[error("{0}")]
    Denied(String),
    /// The OP is unreachable or misbehaves, or the issuer failed (`server_error`).
    #[error("{0}")]
    ServerError(String),
}

impl AuthorizationError {
    /// Sends the browser back to the wallet at `to` with `failure`.
    pub(crate) fn redirect(to: &WalletRedirect, failure: SignInFailure) -> Self {
        Self::Redirect(Box::new(RedirectedError {
            to: to.clone(),
            failure,
        }))
    }
}

/// Why an operator request (API or command line) was refused or failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// The input is malformed or not acceptable; the message names the field.
    #[error("{0}")]
    InvalidInput(String),
    /// No such record.
    #[error("no {what} `{id}`")]
    NotFound {
        /// `identity`, `offer` or `credential`.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// No credential in scope has a status that allows this change (revoked is final).
    #[error("cannot {action} {scope}: {statuses}")]
    IllegalTransition {
        /// The credentials asked for, e.g. "the batch of credential `…`".
        scope: String,
        /// `revoke`, `suspend` or `reinstate`.
        action: &'static str,
        /// The statuses found.
        statuses: String,
    },
    /// The record changed concurrently; read it again and retry.
    #[error("{0}")]
    Conflict(String),
    /// An offered configuration needs a higher level of confidence than the identity's.
    #[error("credential_configuration_ids[{index}]: {source}")]
    InsufficientConfidence {
        /// Position of the configuration in `credential_configuration_ids`.
        index: usize,
        /// What is missing.
        #[source]
        source: InsufficientConfidence,
    },
    /// The provider's register entry does not certify it for an offered configuration's
    /// scheme now.
    #[error("credential_configuration_ids[{index}]: {source}")]
    NotCertified {
        /// Position of the configuration in `credential_configuration_ids`.
        index: usize,
        /// What the entry lacks.
        #[source]
        source: NotCertified,
    },
    /// `[trust]` is configured but no usable trust list is held: nothing is offered.
    #[error(transparent)]
    CertificationUnavailable(#[from] CertificationUnavailable),
    /// Missing or unknown operator token.
    #[error("unknown operator token")]
    Unauthenticated,
    /// The offer link does not fit in a QR code.
    #[error("the offer link cannot be drawn as a QR code")]
    Qr(#[source] idv_service_kit::qr::QrError),
    /// The signing key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signing keys: creation, loading, signing status lists.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No active signing key exists (run `issuer init`, or start `issuer serve`).
    #[error("no active signing key: run `issuer init` first")]
    NoActiveKey,
    /// A key could not be generated.
    #[error("a signing key could not be generated")]
    Generate(#[source] JoseError),
    /// A stored key does not load.
    #[error("the stored signing key `{kid}` is unusable")]
    Unusable {
        /// Its id.
        kid: String,
        /// Why.
        #[source]
        source: JoseError,
    },
    /// Signing a status list token failed.
    #[error("a status list token could not be signed")]
    StatusList(#[source] idv_status_list::StatusListError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
