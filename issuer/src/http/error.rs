//! The one place where use-case errors become HTTP responses.
//!
//! Credential endpoint: OpenID4VCI 1.0 "Credential Request Errors" (400 with
//! `invalid_credential_request`, `unknown_credential_configuration`,
//! `unknown_credential_identifier`, `invalid_proof`, `invalid_nonce`,
//! `invalid_encryption_parameters`, `credential_request_denied`) and RFC 6750 §3.1 for the
//! access token (401 `invalid_token`, 403 `insufficient_scope`, each with its
//! `WWW-Authenticate` challenge). Token endpoint: RFC 6749 §5.2 (400 `invalid_request`,
//! `invalid_grant`, `unsupported_grant_type`) and RFC 9396 `invalid_authorization_details`.
//! Token endpoint, authorization code grant: also 401 `invalid_client`. Pushed authorization
//! requests and `/authorize` (RFC 9126 §2.3, RFC 6749 §4.1.2.1): 400 `invalid_request`,
//! `unsupported_response_type`, `invalid_scope`, `invalid_authorization_details`, 401
//! `invalid_client`; once the wallet's redirect URI is trusted, failures go there instead as a
//! 303 with `error` `access_denied` or `server_error` ([`authorization_error`]).
//! Operator API: 400 `invalid_request`, 401, 404 `not_found`, 409 `conflict`, 409
//! `issuer_not_certified` (an offer the provider's register entry does not certify it for), 422
//! `insufficient_level_of_confidence` (an offer the identity's GPG 45 level does not support),
//! 503 `temporarily_unavailable` (`[trust]` configured but no usable trust list). At the
//! credential endpoint both trust refusals are `credential_request_denied`.
//! Server-side failures are an opaque 500 whose cause is logged once.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idv_proto::oauth_error::OAuthErrorCode;
use idv_service_kit::ApiError;

use crate::issuance::{
    AuthorizationError, IssuanceError, KeyError, OperatorError, SignInFailure, TokenError,
};
use crate::store::StoreError;

/// Operator API: the identity was proofed to too low a level of confidence for what was asked.
const INSUFFICIENT_LEVEL_OF_CONFIDENCE: &str = "insufficient_level_of_confidence";
/// Operator API: the provider's register entry does not certify it for what was asked.
const ISSUER_NOT_CERTIFIED: &str = "issuer_not_certified";
/// Operator API: no usable trust list, so the provider's certification cannot be confirmed.
const TEMPORARILY_UNAVAILABLE: &str = "temporarily_unavailable";

fn bad_request(code: OAuthErrorCode, description: impl Into<String>) -> ApiError {
    ApiError::oauth(StatusCode::BAD_REQUEST, code, description)
}

impl From<IssuanceError> for ApiError {
    fn from(error: IssuanceError) -> Self {
        let description = error.to_string();
        match error {
            IssuanceError::InvalidToken { reason } => ApiError::invalid_token(reason),
            IssuanceError::InsufficientScope { .. } => ApiError::oauth(
                StatusCode::FORBIDDEN,
                OAuthErrorCode::InsufficientScope,
                description,
            ),
            IssuanceError::UnknownConfiguration { .. } => {
                bad_request(OAuthErrorCode::UnknownCredentialConfiguration, description)
            }
            IssuanceError::UnknownIdentifier { .. } => {
                bad_request(OAuthErrorCode::UnknownCredentialIdentifier, description)
            }
            IssuanceError::InvalidProof { .. }
            | IssuanceError::UnverifiableProof { .. }
            | IssuanceError::InvalidProofs { .. } => {
                bad_request(OAuthErrorCode::InvalidProof, description)
            }
            IssuanceError::InvalidNonce => bad_request(OAuthErrorCode::InvalidNonce, description),
            IssuanceError::InvalidEncryptionParameters { .. } => {
                bad_request(OAuthErrorCode::InvalidEncryptionParameters, description)
            }
            IssuanceError::InvalidRequest { .. } => {
                bad_request(OAuthErrorCode::InvalidCredentialRequest, description)
            }
            IssuanceError::Denied { .. }
            | IssuanceError::InsufficientConfidence(_)
            | IssuanceError::NotCertified(_)
            | IssuanceError::CertificationUnavailable(_) => {
                bad_request(OAuthErrorCode::CredentialRequestDenied, description)
            }
            IssuanceError::Credential(_)
            | IssuanceError::StatusAllocation
            | IssuanceError::Key(_)
            | IssuanceError::Store(_) => ApiError::internal_error(&error),
        }
    }
}

/// A credential endpoint error as a response: RFC 6750 §3 asks for a `WWW-Authenticate`
/// challenge on `insufficient_scope` too, which [`ApiError`] adds only for 401s.
pub(super) fn credential_error(error: IssuanceError) -> Response {
    let insufficient_scope = matches!(error, IssuanceError::InsufficientScope { .. });
    let api_error = ApiError::from(error);
    metrics::counter!("idv_issuer_credential_errors_total", "error" => api_error.error())
        .increment(1);
    let mut response = api_error.into_response();
    if insufficient_scope {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
        );
    }
    response
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        let description = error.to_string();
        match error {
            TokenError::InvalidRequest(_) => {
                bad_request(OAuthErrorCode::InvalidRequest, description)
            }
            TokenError::InvalidGrant(_) => bad_request(OAuthErrorCode::InvalidGrant, description),
            TokenError::InvalidClient(_) => ApiError::oauth(
                StatusCode::UNAUTHORIZED,
                OAuthErrorCode::InvalidClient,
                description,
            ),
            TokenError::UnsupportedGrantType(_) => {
                bad_request(OAuthErrorCode::UnsupportedGrantType, description)
            }
            TokenError::InvalidAuthorizationDetails(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_authorization_details",
                description,
            ),
            TokenError::Store(_) => ApiError::internal_error(&error),
        }
    }
}

/// A token endpoint error as the response's [`ApiError`], counted in
/// `idv_issuer_token_errors_total` by its `error` code.
pub(super) fn token_error(error: TokenError) -> ApiError {
    let api_error = ApiError::from(error);
    metrics::counter!("idv_issuer_token_errors_total", "error" => api_error.error()).increment(1);
    api_error
}

/// An authorization flow error as a response: the browser back to the wallet (303 with
/// `error`, `error_description`, `state` and `iss`) when its redirect URI is trusted, else an
/// error body.
pub(super) fn authorization_error(error: AuthorizationError) -> Response {
    let description = error.to_string();
    let api_error = match error {
        AuthorizationError::Redirect(redirected) => {
            let code = match redirected.failure {
                SignInFailure::Denied(_) => OAuthErrorCode::AccessDenied,
                SignInFailure::ServerError(_) => OAuthErrorCode::ServerError,
            };
            let location = redirected.to.url(&[
                ("error", code.as_str()),
                ("error_description", &description),
            ]);
            return see_other(&location);
        }
        AuthorizationError::NotConfigured => ApiError::not_found(description),
        AuthorizationError::InvalidClient(_) => ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            OAuthErrorCode::InvalidClient,
            description,
        ),
        AuthorizationError::InvalidRequest(_) => {
            bad_request(OAuthErrorCode::InvalidRequest, description)
        }
        AuthorizationError::UnsupportedResponseType(_) => {
            bad_request(OAuthErrorCode::UnsupportedResponseType, description)
        }
        AuthorizationError::InvalidScope(_) => {
            bad_request(OAuthErrorCode::InvalidScope, description)
        }
        AuthorizationError::InvalidAuthorizationDetails(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_authorization_details",
            description,
        ),
        AuthorizationError::Store(e) => ApiError::internal_error(&e),
    };
    api_error.into_response()
}

impl From<OperatorError> for ApiError {
    fn from(error: OperatorError) -> Self {
        match &error {
            OperatorError::InvalidInput(message) => ApiError::invalid_request(message.clone()),
            OperatorError::NotFound { .. } => ApiError::not_found(error.to_string()),
            OperatorError::IllegalTransition { .. } | OperatorError::Conflict(_) => {
                ApiError::conflict(error.to_string())
            }
            OperatorError::InsufficientConfidence { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                INSUFFICIENT_LEVEL_OF_CONFIDENCE,
                error.to_string(),
            ),
            OperatorError::NotCertified { .. } => ApiError::new(
                StatusCode::CONFLICT,
                ISSUER_NOT_CERTIFIED,
                error.to_string(),
            ),
            OperatorError::CertificationUnavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                TEMPORARILY_UNAVAILABLE,
                error.to_string(),
            ),
            OperatorError::Unauthenticated => ApiError::invalid_token(error.to_string()),
            OperatorError::Qr(_) | OperatorError::Key(_) | OperatorError::Store(_) => {
                ApiError::internal_error(&error)
            }
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(error: KeyError) -> Self {
        ApiError::internal_error(&error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::internal_error(&error)
    }
}

/// A 303 to `location`, never cached.
pub(super) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        // Built from parsed URLs, so always a valid header; never panic on it.
        Err(e) => ApiError::internal_error(&e).into_response(),
    }
}
