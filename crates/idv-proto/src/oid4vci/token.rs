//! `POST /token` (`application/x-www-form-urlencoded`) and its JSON response.
//!
//! RFC 6749 §4.1.3 / §5.1 as extended by OpenID4VCI 1.0 "Token Endpoint"
//! ("Token Request", "Successful Token Response").

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::oid4vci::authorization_details::AuthorizationDetail;

/// Token request form fields. Which fields are required depends on `grant_type`
/// ([`crate::oid4vci::credential_offer::PRE_AUTHORIZED_CODE_GRANT_TYPE`] or
/// [`crate::oid4vci::credential_offer::AUTHORIZATION_CODE_GRANT_TYPE`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// The grant type.
    pub grant_type: String,
    /// Pre-authorized code grant: the code from the offer.
    #[serde(
        rename = "pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<String>,
    /// Pre-authorized code grant: the transaction code, iff the offer had `tx_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
    /// Authorization code grant: the authorization code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Authorization code grant: the redirect URI used in the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Authorization code grant: the PKCE verifier (RFC 7636).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    /// The client identifier, for public clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

fn redacted<T>(value: &Option<T>) -> Option<&'static str> {
    value.as_ref().map(|_| "<redacted>")
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("pre_authorized_code", &redacted(&self.pre_authorized_code))
            .field("tx_code", &redacted(&self.tx_code))
            .field("code", &redacted(&self.code))
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &redacted(&self.code_verifier))
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// Successful token response (JSON).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (a secret: redacted in `Debug`).
    pub access_token: String,
    /// `Bearer` or `DPoP`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Authorization details with the `credential_identifiers` the token may be used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// A nonce for proofs; OpenID4VCI 1.0 serves it from the nonce endpoint instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("authorization_details", &self.authorization_details)
            .field("c_nonce", &self.c_nonce)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oid4vci::authorization_details::OPENID_CREDENTIAL_TYPE;
    use crate::oid4vci::credential_offer::PRE_AUTHORIZED_CODE_GRANT_TYPE;
    use serde_json::json;

    #[test]
    fn pre_authorized_token_request_uses_the_hyphenated_field_name() {
        let request: TokenRequest = serde_json::from_value(json!({
            "grant_type": PRE_AUTHORIZED_CODE_GRANT_TYPE,
            "pre-authorized_code": "SplxlOBeZQQYbYS6WxSbIA",
            "tx_code": "493536"
        }))
        .unwrap();
        assert_eq!(
            request.pre_authorized_code.as_deref(),
            Some("SplxlOBeZQQYbYS6WxSbIA")
        );
        assert_eq!(request.code, None);
        let debug = format!("{request:?}");
        assert!(!debug.contains("SplxlOBeZQQYbYS6WxSbIA") && !debug.contains("493536"));
    }

    #[test]
    fn token_response_with_credential_identifiers_round_trips() {
        let example = json!({
            "access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6Ikp..sHQ",
            "token_type": "Bearer",
            "expires_in": 300,
            "authorization_details": [{
                "type": OPENID_CREDENTIAL_TYPE,
                "credential_configuration_id": "uk_rtw_sdjwt",
                "credential_identifiers": ["rtw-1", "rtw-2"]
            }]
        });
        let response: TokenResponse = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&response).unwrap(), example);
        assert!(!format!("{response:?}").contains("eyJhbGci"));
    }
}
