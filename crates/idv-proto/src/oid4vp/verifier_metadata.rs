//! Verifier metadata passed as the `client_metadata` request parameter.
//!
//! OpenID4VP 1.0 "Verifier Metadata (Client Metadata)" and Appendix "IETF SD-JWT VC"
//! ("Metadata" for `dc+sd-jwt`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::jwk_set::JwkSet;

/// Credential format identifier of SD-JWT VC.
pub const DC_SD_JWT_FORMAT: &str = "dc+sd-jwt";

/// The `client_metadata` object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientMetadata {
    /// Response encryption keys; each must have a `kid` and must not verify request signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<JwkSet>,
    /// Supported JWE `enc` values for encrypted responses (default `A128GCM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_response_enc_values_supported: Option<Vec<String>>,
    /// Supported credential formats and their algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vp_formats_supported: Option<VpFormatsSupported>,
}

/// `vp_formats_supported`: format identifier → format-specific parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VpFormatsSupported {
    /// Parameters for `dc+sd-jwt`.
    #[serde(rename = "dc+sd-jwt", default, skip_serializing_if = "Option::is_none")]
    pub dc_sd_jwt: Option<SdJwtVcFormat>,
    /// Other formats, unparsed.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `vp_formats_supported["dc+sd-jwt"]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SdJwtVcFormat {
    /// Accepted issuer-signed JWT algorithms.
    #[serde(
        rename = "sd-jwt_alg_values",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sd_jwt_alg_values: Option<Vec<String>>,
    /// Accepted key binding JWT algorithms.
    #[serde(
        rename = "kb-jwt_alg_values",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kb_jwt_alg_values: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sd_jwt_vc_verifier_metadata_round_trips_with_other_formats() {
        let example = json!({
            "encrypted_response_enc_values_supported": ["A128GCM"],
            "vp_formats_supported": {
                "dc+sd-jwt": { "sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"] },
                "mso_mdoc": { "issuerauth_alg_values": [-7] }
            }
        });
        let metadata: ClientMetadata = serde_json::from_value(example.clone()).unwrap();
        let formats = metadata.vp_formats_supported.as_ref().unwrap();
        assert_eq!(
            formats.dc_sd_jwt.as_ref().unwrap().kb_jwt_alg_values,
            Some(vec!["ES256".to_owned()])
        );
        assert!(formats.other.contains_key("mso_mdoc"));
        assert_eq!(serde_json::to_value(&metadata).unwrap(), example);
    }
}
