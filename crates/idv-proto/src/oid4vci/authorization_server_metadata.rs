//! `GET /.well-known/oauth-authorization-server[/path]` → Authorization Server Metadata.
//!
//! RFC 8414 §2 (the subset we use) plus OpenID4VCI 1.0 "Oauth 2.0 Authorization Server
//! Metadata" (`pre-authorized_grant_anonymous_access_supported`).

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
            "pre-authorized_grant_anonymous_access_supported": true
        });
        let metadata: AuthorizationServerMetadata =
            serde_json::from_value(example.clone()).unwrap();
        assert_eq!(
            metadata.pre_authorized_grant_anonymous_access_supported,
            Some(true)
        );
        assert_eq!(serde_json::to_value(&metadata).unwrap(), example);
    }
}
