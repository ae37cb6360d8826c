//! Authorization Request: the signed Request Object (`typ: oauth-authz-req+jwt`) served at
//! `request_uri`, and the by-reference query the wallet is invoked with
//! (`openid4vp://?client_id=…&request_uri=…[&request_uri_method=post]`).
//!
//! OpenID4VP 1.0 "Authorization Request" ("New Parameters", "Existing Parameters",
//! "Passing Authorization Request Across Devices") and RFC 9101 (JAR).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::oid4vp::dcql::DcqlQuery;
use crate::oid4vp::verifier_metadata::ClientMetadata;

/// JOSE header `typ` of a Request Object; wallets must not process other values.
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// Media type of a Request Object response (`Accept` header of `request_uri_method=post`).
pub const REQUEST_OBJECT_MEDIA_TYPE: &str = "application/oauth-authz-req+jwt";

/// `response_type` value requesting a VP Token in the authorization response.
pub const VP_TOKEN_RESPONSE_TYPE: &str = "vp_token";

/// Static-discovery audience of a Request Object.
pub const SELF_ISSUED_AUDIENCE: &str = "https://self-issued.me/v2";

/// The claims of a Request Object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestObject {
    /// Full client identifier including its prefix, e.g. `x509_hash:…`; absent only in
    /// unsigned Digital Credentials API requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Usually [`VP_TOKEN_RESPONSE_TYPE`].
    pub response_type: String,
    /// How the response is returned.
    pub response_mode: ResponseMode,
    /// Where `direct_post`/`direct_post.jwt` responses are posted; excludes `redirect_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_uri: Option<String>,
    /// Redirect URI for redirect-based response modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Fresh per-request value the key binding JWT must carry; chars `[A-Za-z0-9-._~]`.
    pub nonce: String,
    /// Opaque value echoed in the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The DCQL query; exactly one of this and a DCQL-alias `scope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcql_query: Option<DcqlQuery>,
    /// A scope value aliasing a pre-agreed DCQL query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Verifier metadata passed by value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
    /// Audience: the wallet's issuer or [`SELF_ISSUED_AUDIENCE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Issuer of the Request Object (ignored by wallets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Issuance time (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expiry time (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Echo of the wallet's `wallet_nonce` when fetched with `request_uri_method=post`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_nonce: Option<String>,
    /// How the wallet may fetch the `request_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_uri_method: Option<RequestUriMethod>,
    /// Base64url-encoded JSON transaction data objects (`type`, `credential_ids`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_data: Option<Vec<String>>,
    /// Digital Credentials API: origins allowed to send a signed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_origins: Option<Vec<String>>,
}

/// The `response_mode` values defined by OpenID4VP 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResponseMode {
    /// `fragment`: parameters in the redirect URI fragment.
    #[serde(rename = "fragment")]
    Fragment,
    /// `direct_post`: form POST to `response_uri`.
    #[serde(rename = "direct_post")]
    DirectPost,
    /// `direct_post.jwt`: form POST of an encrypted JWT (`response=`) to `response_uri`.
    #[serde(rename = "direct_post.jwt")]
    DirectPostJwt,
    /// `dc_api`: returned through the Digital Credentials API.
    #[serde(rename = "dc_api")]
    DcApi,
    /// `dc_api.jwt`: encrypted, returned through the Digital Credentials API.
    #[serde(rename = "dc_api.jwt")]
    DcApiJwt,
}

impl ResponseMode {
    /// The exact wire string, e.g. `"direct_post.jwt"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fragment => "fragment",
            Self::DirectPost => "direct_post",
            Self::DirectPostJwt => "direct_post.jwt",
            Self::DcApi => "dc_api",
            Self::DcApiJwt => "dc_api.jwt",
        }
    }
}

impl fmt::Display for ResponseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `request_uri_method` values (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestUriMethod {
    /// The wallet fetches the Request Object with `GET` (the default).
    Get,
    /// The wallet `POST`s its metadata and a `wallet_nonce`.
    Post,
}

/// The query of an authorization request passed by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequestByReference {
    /// Must equal the Request Object's `client_id`, prefix included.
    pub client_id: String,
    /// Where the wallet fetches the Request Object.
    pub request_uri: String,
    /// How to fetch it; absent means `get`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_uri_method: Option<RequestUriMethod>,
}

/// Form body of a `request_uri_method=post` fetch
/// (`application/x-www-form-urlencoded`, `Accept: application/oauth-authz-req+jwt`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestUriPostForm {
    /// Wallet metadata as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_metadata: Option<String>,
    /// Fresh value the Request Object must echo as `wallet_nonce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_nonce: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> serde_json::Value {
        json!({
            "client_id": "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk",
            "response_type": "vp_token",
            "response_mode": "direct_post.jwt",
            "response_uri": "https://verifier.example/response",
            "nonce": "n-0S6_WzA2Mj",
            "state": "eyJhb6-sVA",
            "dcql_query": {
                "credentials": [{
                    "id": "rtw",
                    "format": "dc+sd-jwt",
                    "multiple": false,
                    "meta": { "vct_values": ["https://trust.example.uk/vct/rtw/1"] },
                    "require_cryptographic_holder_binding": true,
                    "claims": [{ "path": ["given_name"] }]
                }]
            },
            "client_metadata": {
                "jwks": { "keys": [{ "kty": "EC", "crv": "P-256", "x": "x", "y": "y", "use": "enc", "alg": "ECDH-ES", "kid": "ac" }] },
                "encrypted_response_enc_values_supported": ["A128GCM", "A256GCM"],
                "vp_formats_supported": { "dc+sd-jwt": { "sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"] } }
            },
            "aud": "https://self-issued.me/v2",
            "iat": 1760000000,
            "exp": 1760000300,
            "wallet_nonce": "qPmxiNFCR3QTm19POc8u",
            "request_uri_method": "post"
        })
    }

    #[test]
    fn request_object_round_trips() {
        let object: RequestObject = serde_json::from_value(example()).unwrap();
        assert_eq!(object.response_mode, ResponseMode::DirectPostJwt);
        assert_eq!(object.request_uri_method, Some(RequestUriMethod::Post));
        assert_eq!(serde_json::to_value(&object).unwrap(), example());
    }

    #[test]
    fn every_response_mode_uses_its_exact_string() {
        for mode in [
            ResponseMode::Fragment,
            ResponseMode::DirectPost,
            ResponseMode::DirectPostJwt,
            ResponseMode::DcApi,
            ResponseMode::DcApiJwt,
        ] {
            let json = serde_json::to_value(mode).unwrap();
            assert_eq!(json, json!(mode.as_str()));
            assert_eq!(serde_json::from_value::<ResponseMode>(json).unwrap(), mode);
        }
    }

    #[test]
    fn unknown_response_mode_is_rejected() {
        for mode in ["query", "form_post", "direct_post.JWT", "DIRECT_POST"] {
            let mut object = example();
            object["response_mode"] = json!(mode);
            assert!(
                serde_json::from_value::<RequestObject>(object).is_err(),
                "{mode}"
            );
        }
    }

    #[test]
    fn request_uri_method_is_case_sensitive() {
        assert!(serde_json::from_value::<RequestUriMethod>(json!("POST")).is_err());
        assert_eq!(
            serde_json::from_value::<RequestUriMethod>(json!("get")).unwrap(),
            RequestUriMethod::Get
        );
    }

    #[test]
    fn by_reference_query_round_trips() {
        let example = json!({
            "client_id": "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk",
            "request_uri": "https://verifier.example/request/567545564",
            "request_uri_method": "post"
        });
        let query: AuthorizationRequestByReference =
            serde_json::from_value(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&query).unwrap(), example);
    }
}
