//! `GET /.well-known/oauth-authorization-server[/path]` → Authorization Server Metadata.
//!
//! RFC 8414 §2 (the subset we use) plus OpenID4VCI 1.0 "Oauth 2.0 Authorization Server
//! Metadata" (`pre-authorized_grant_anonymous_access_supported`), the members of RFC 9396
//! (authorization details), RFC 9126 (PAR) and RFC 9207 (`iss` in responses), and the PAR
//! response.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Well-known path segment inserted between host and path of the issuer identifier.
pub const AUTHORIZATION_SERVER_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// Authorization Server Metadata (subset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The authorization server's issuer identifier.
    pub issuer: String,
    /// URL of the token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// URL of the authorization endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// URL of the pushed authorization request endpoint (RFC 9126).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// URL of the server's JWK Set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Supported grant types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// Supported PKCE methods, e.g. `S256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Supported response types (required by RFC 8414; optional here to parse lenient servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// Whether the pre-authorized grant works without client authentication (default `false`).
    #[serde(
        rename = "pre-authorized_grant_anonymous_access_supported",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_grant_anonymous_access_supported: Option<bool>,
    /// RFC 9396: the `authorization_details` types the server accepts (`openid_credential`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types_supported: Option<Vec<String>>,
    /// RFC 9126 §5: authorization requests must be pushed (absent means `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// RFC 9207 §3: authorization responses carry `iss` (absent means `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// Client authentication methods at the token endpoint (`none` for public clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// The scopes the server knows (OpenID4VCI: one per credential configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
}

/// A pushed authorization request's response (RFC 9126 §2.2), `201 Created`. `Debug` leaves
/// out `request_uri`: it is a bearer handle to the pushed request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedAuthorizationResponse {
    /// The single-use handle the authorization request is then made with
    /// (`urn:ietf:params:oauth:request_uri:…`).
    pub request_uri: String,
    /// Seconds the handle stays valid.
    pub expires_in: i64,
}

impl fmt::Debug for PushedAuthorizationResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushedAuthorizationResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oid4vci::credential_offer::PRE_AUTHORIZED_CODE_GRANT_TYPE;
    use serde_json::json;

    #[test]
    fn authorization_server_metadata_round_trips() {
        let example = json!({
            "issuer": "https://idsp.example",
            "token_endpoint": "https://idsp.example/token",
            "grant_types_supported": [PRE_AUTHORIZED_CODE_GRANT_TYPE, "authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "response_types_supported": ["code"],
            "pre-authorized_grant_anonymous_access_supported": true,
            "authorization_details_types_supported": ["openid_credential"],
            "require_pushed_authorization_requests": true,
            "authorization_response_iss_parameter_supported": true,
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["uk_identity"]
        });
        let metadata: AuthorizationServerMetadata =
            serde_json::from_value(example.clone()).unwrap();
        assert_eq!(
            metadata.pre_authorized_grant_anonymous_access_supported,
            Some(true)
        );
        assert_eq!(metadata.require_pushed_authorization_requests, Some(true));
        assert_eq!(serde_json::to_value(&metadata).unwrap(), example);
    }

    #[test]
    fn par_response_reads_rfc_9126_example() {
        let response: PushedAuthorizationResponse = serde_json::from_value(json!({
            "request_uri": "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c",
            "expires_in": 60
        }))
        .unwrap();
        assert_eq!(response.expires_in, 60);
    }
}
