//! `GET /.well-known/openid-configuration`: the OpenID Provider Metadata (OpenID Connect
//! Discovery 1.0 §3; RFC 8414; RFC 9207 `authorization_response_iss_parameter_supported`).
//! The issuer is the verifier's public URL; scopes are `openid` and the template ids.

use std::collections::BTreeSet;

use idv_proto::claims_path::PathElement;
use serde_json::{Value, json};

use super::OpenIdProvider;
use super::claims::DVS_CHECK_CLAIM;
use super::{AUTHORIZE_PATH, JWKS_PATH, TOKEN_PATH, USERINFO_PATH};

impl OpenIdProvider {
    /// The provider metadata.
    pub fn openid_configuration(&self) -> Value {
        let issuer = &self.settings.public_url;
        let mut scopes = vec!["openid"];
        scopes.extend(self.templates.iter().map(|t| t.id()));
        // The top-level names of every template's claims (their paths' first keys).
        let disclosed: BTreeSet<&str> = self
            .templates
            .iter()
            .flat_map(|t| t.requested_claims())
            .filter_map(|path| match path.elements().first() {
                Some(PathElement::Key(key)) => Some(key.as_str()),
                _ => None,
            })
            .collect();
        let mut claims = vec!["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce"];
        claims.push(DVS_CHECK_CLAIM);
        claims.extend(disclosed);
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
            "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
            "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
            "jwks_uri": format!("{issuer}{JWKS_PATH}"),
            "scopes_supported": scopes,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            // `sub` is one check's id: never shared between clients, nor between sign-ins.
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [idv_jose::jws::ES256],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": claims,
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "ui_locales_supported": ["en"],
        })
    }
}
