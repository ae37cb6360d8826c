//! `POST <response_uri>` (`application/x-www-form-urlencoded`): the Authorization Response in
//! response mode `direct_post` (`vp_token=…&state=…`) or `direct_post.jwt` (`response=<JWE>`),
//! and the verifier's `200 application/json` reply.
//!
//! OpenID4VP 1.0 "Response" ("Response Parameters", "Response Mode direct_post",
//! "Response Mode direct_post.jwt", "Encrypted Responses", "Error Response").

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The VP Token: Credential Query `id` → one or more presentations (for `dc+sd-jwt`, each an
/// SD-JWT+KB string). Holds personal data: `Debug` shows only ids and counts.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VpToken(pub BTreeMap<String, Vec<String>>);

impl VpToken {
    /// Parses the JSON text carried in the `vp_token` form field.
    pub fn from_json_str(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The JSON text to put in the `vp_token` form field.
    pub fn to_json_string(&self) -> String {
        // Strings in a BTreeMap always serialise; the fallback is unreachable in practice.
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for VpToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(id, presentations)| {
                (id, format!("<{} presentation(s)>", presentations.len()))
            }))
            .finish()
    }
}

/// Authorization Response parameters (success or error). `V` is how the VP Token travels: a
/// JSON object ([`VpToken`]) in the payload of the encrypted JWT in `direct_post.jwt` /
/// `dc_api.jwt`, JSON text in the form fields of `direct_post` ([`DirectPostForm`]). `Debug`
/// hides the VP Token.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthorizationResponse<V = VpToken> {
    /// The VP Token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vp_token: Option<V>,
    /// The request's `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Error code, kept as text: wallets may send codes this crate does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Error detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl<V> fmt::Debug for AuthorizationResponse<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationResponse")
            .field("vp_token", &self.vp_token.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish()
    }
}

/// Form fields of a `direct_post` Authorization Response: the VP Token as JSON text (see
/// [`VpToken::from_json_str`]).
pub type DirectPostForm = AuthorizationResponse<String>;

/// Form field of a `direct_post.jwt` Authorization Response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectPostJwtForm {
    /// Compact JWE whose payload is an [`AuthorizationResponse`].
    pub response: String,
}

/// The verifier's JSON reply to a `direct_post`/`direct_post.jwt` POST.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseUriReply {
    /// Where the wallet must send the user agent (carries a fresh `response_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vp_token_maps_query_ids_to_presentation_arrays() {
        let json = r#"{"my_credential":["eyJhbGci...QMA","eyJhbGci...QMB"]}"#;
        let token = VpToken::from_json_str(json).unwrap();
        assert_eq!(token.0["my_credential"].len(), 2);
        assert_eq!(token.to_json_string(), json);
    }

    #[test]
    fn vp_token_entry_that_is_not_an_array_is_rejected() {
        assert!(VpToken::from_json_str(r#"{"my_credential":"eyJhbGci...QMA"}"#).is_err());
        assert!(VpToken::from_json_str(r#"["eyJhbGci...QMA"]"#).is_err());
    }

    #[test]
    fn debug_output_hides_presentations() {
        let token = VpToken::from_json_str(r#"{"pid":["eyJhbGci.secret"]}"#).unwrap();
        let debug = format!("{token:?}");
        assert!(
            debug.contains("pid") && !debug.contains("secret"),
            "{debug}"
        );
        let form = DirectPostForm {
            vp_token: Some(token.to_json_string()),
            ..DirectPostForm::default()
        };
        assert!(!format!("{form:?}").contains("secret"));
        let response = AuthorizationResponse {
            vp_token: Some(token),
            ..AuthorizationResponse::default()
        };
        assert!(!format!("{response:?}").contains("secret"));
    }

    #[test]
    fn encrypted_response_payload_carries_vp_token_as_an_object() {
        let example = json!({ "vp_token": { "rtw": ["eyJhbGci...QMA"] }, "state": "eyJhb6-sVA" });
        let response: AuthorizationResponse = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&response).unwrap(), example);
    }

    #[test]
    fn error_response_round_trips() {
        let example =
            json!({ "error": "access_denied", "error_description": "user declined", "state": "s" });
        let form: DirectPostForm = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(form.error.as_deref(), Some("access_denied"));
        assert_eq!(serde_json::to_value(&form).unwrap(), example);
    }

    #[test]
    fn reply_with_redirect_round_trips() {
        let example = json!({ "redirect_uri": "https://client.example.org/cb#response_code=091535f699ea575c7937fa5f0f454aee" });
        let reply: ResponseUriReply = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&reply).unwrap(), example);
        assert_eq!(
            serde_json::to_string(&ResponseUriReply::default()).unwrap(),
            "{}"
        );
    }
}
