//! RFC 9396 `authorization_details` entry of type `openid_credential`, used in the
//! authorization request and echoed (with `credential_identifiers`) in the token response.
//!
//! OpenID4VCI 1.0 "Using Authorization Details Parameter" and "Successful Token Response".

use serde::{Deserialize, Serialize};

use crate::oid4vci::issuer_metadata::ClaimsDescription;

/// The `type` value of OpenID4VCI authorization details.
pub const OPENID_CREDENTIAL_TYPE: &str = "openid_credential";

/// One `authorization_details` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationDetail {
    /// The authorization details type, [`OPENID_CREDENTIAL_TYPE`] for credential issuance.
    #[serde(rename = "type")]
    pub detail_type: String,
    /// Key of `credential_configurations_supported` in the issuer metadata.
    pub credential_configuration_id: String,
    /// The Credential Issuer Identifier, when the issuer uses separate authorization servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<String>>,
    /// Claims the wallet asks for (authorization request only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsDescription>>,
    /// Identifiers to use as `credential_identifier` in Credential Requests (token response only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_identifiers: Option<Vec<String>>,
}
