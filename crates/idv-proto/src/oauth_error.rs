//! OAuth 2.0 error response body `{error, error_description, state}`.
//!
//! Codes from RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, OpenID4VCI 1.0 "Credential Error
//! Response", "Deferred Credential Error Response" and "Notification Error Response", and
//! OpenID4VP 1.0 "Error Response". Every endpoint returns this body on error (JSON, or form
//! fields when a wallet posts an error to a `response_uri`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// An OAuth `error` code, serialised as its exact registered string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// RFC 6749: the request is missing a parameter, repeats one or is otherwise malformed.
    InvalidRequest,
    /// RFC 6749: client authentication failed.
    InvalidClient,
    /// RFC 6749: the grant (code, pre-authorized code, tx_code) is invalid, expired or used.
    InvalidGrant,
    /// RFC 6749: the client may not use this grant type.
    UnauthorizedClient,
    /// RFC 6749: the grant type is not supported.
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1: the response type is not supported.
    UnsupportedResponseType,
    /// RFC 6749: the requested scope is invalid or unknown.
    InvalidScope,
    /// RFC 6749 (and OpenID4VP): the resource owner or the wallet denied the request.
    AccessDenied,
    /// RFC 6749: unexpected server condition.
    ServerError,
    /// RFC 6749: the server is temporarily unable to handle the request.
    TemporarilyUnavailable,
    /// RFC 6750: the access token is missing, expired, revoked or malformed.
    InvalidToken,
    /// RFC 6750: the access token does not carry the required scope.
    InsufficientScope,
    /// OpenID4VCI: the Credential Request is missing a parameter or is malformed.
    InvalidCredentialRequest,
    /// OpenID4VCI: unknown `credential_configuration_id`.
    UnknownCredentialConfiguration,
    /// OpenID4VCI: unknown `credential_identifier`.
    UnknownCredentialIdentifier,
    /// OpenID4VCI: the `proofs` parameter is missing, or a proof is invalid or lacks a `nonce`.
    InvalidProof,
    /// OpenID4VCI: a proof's `c_nonce` is stale, reused or unknown (a missing one is `invalid_proof`).
    InvalidNonce,
    /// OpenID4VCI: the encryption parameters are invalid or unsupported.
    InvalidEncryptionParameters,
    /// OpenID4VCI: the Credential Request was not accepted (unrecoverable).
    CredentialRequestDenied,
    /// OpenID4VCI: the deferred `transaction_id` is unknown or already used.
    InvalidTransactionId,
    /// OpenID4VCI: the `notification_id` is unknown.
    InvalidNotificationId,
    /// OpenID4VCI: the Notification Request is malformed.
    InvalidNotificationRequest,
    /// OpenID4VP: none of the requested credential formats is supported.
    VpFormatsNotSupported,
    /// OpenID4VP: the `request_uri_method` value is not supported.
    InvalidRequestUriMethod,
    /// OpenID4VP: a `transaction_data` entry is unsupported or malformed.
    InvalidTransactionData,
    /// OpenID4VP: the wallet appears unavailable.
    WalletUnavailable,
}

impl OAuthErrorCode {
    /// The registered code string, e.g. `"invalid_grant"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidCredentialRequest => "invalid_credential_request",
            Self::UnknownCredentialConfiguration => "unknown_credential_configuration",
            Self::UnknownCredentialIdentifier => "unknown_credential_identifier",
            Self::InvalidProof => "invalid_proof",
            Self::InvalidNonce => "invalid_nonce",
            Self::InvalidEncryptionParameters => "invalid_encryption_parameters",
            Self::CredentialRequestDenied => "credential_request_denied",
            Self::InvalidTransactionId => "invalid_transaction_id",
            Self::InvalidNotificationId => "invalid_notification_id",
            Self::InvalidNotificationRequest => "invalid_notification_request",
            Self::VpFormatsNotSupported => "vp_formats_not_supported",
            Self::InvalidRequestUriMethod => "invalid_request_uri_method",
            Self::InvalidTransactionData => "invalid_transaction_data",
            Self::WalletUnavailable => "wallet_unavailable",
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The OAuth error body. `error_description` must stay within `%x20-21 / %x23-5B / %x5D-7E`
/// (no `"` or `\`) and must not carry personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorResponse {
    /// The error code.
    pub error: OAuthErrorCode,
    /// Human-readable detail for developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The `state` of the request this error answers, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl OAuthErrorResponse {
    /// An error body with only a code.
    pub fn new(error: OAuthErrorCode) -> Self {
        Self {
            error,
            error_description: None,
            state: None,
        }
    }

    /// Adds an `error_description`.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.error_description = Some(description.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [OAuthErrorCode; 26] = [
        OAuthErrorCode::InvalidRequest,
        OAuthErrorCode::InvalidClient,
        OAuthErrorCode::InvalidGrant,
        OAuthErrorCode::UnauthorizedClient,
        OAuthErrorCode::UnsupportedGrantType,
        OAuthErrorCode::UnsupportedResponseType,
        OAuthErrorCode::InvalidScope,
        OAuthErrorCode::AccessDenied,
        OAuthErrorCode::ServerError,
        OAuthErrorCode::TemporarilyUnavailable,
        OAuthErrorCode::InvalidToken,
        OAuthErrorCode::InsufficientScope,
        OAuthErrorCode::InvalidCredentialRequest,
        OAuthErrorCode::UnknownCredentialConfiguration,
        OAuthErrorCode::UnknownCredentialIdentifier,
        OAuthErrorCode::InvalidProof,
        OAuthErrorCode::InvalidNonce,
        OAuthErrorCode::InvalidEncryptionParameters,
        OAuthErrorCode::CredentialRequestDenied,
        OAuthErrorCode::InvalidTransactionId,
        OAuthErrorCode::InvalidNotificationId,
        OAuthErrorCode::InvalidNotificationRequest,
        OAuthErrorCode::VpFormatsNotSupported,
        OAuthErrorCode::InvalidRequestUriMethod,
        OAuthErrorCode::InvalidTransactionData,
        OAuthErrorCode::WalletUnavailable,
    ];

    #[test]
    fn every_code_serialises_as_its_as_str() {
        for code in ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            assert_eq!(
                serde_json::from_value::<OAuthErrorCode>(json).unwrap(),
                code
            );
        }
    }

    #[test]
    fn absent_description_and_state_are_not_serialised() {
        let body = OAuthErrorResponse::new(OAuthErrorCode::InvalidGrant);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":"invalid_grant"}"#
        );
    }

    #[test]
    fn error_body_round_trips_with_description_and_state() {
        let json = r#"{"error":"invalid_request","error_description":"unsupported client_id_prefix","state":"eyJhb"}"#;
        let body: OAuthErrorResponse = serde_json::from_str(json).unwrap();
        assert_eq!(
            body,
            OAuthErrorResponse {
                error: OAuthErrorCode::InvalidRequest,
                error_description: Some("unsupported client_id_prefix".into()),
                state: Some("eyJhb".into()),
            }
        );
        assert_eq!(serde_json::to_string(&body).unwrap(), json);
    }

    #[test]
    fn unknown_code_is_rejected() {
        assert!(serde_json::from_str::<OAuthErrorCode>(r#""InvalidGrant""#).is_err());
    }
}
