//! `POST /credential` response: `200` with `credentials`, or `202` with `transaction_id`
//! and `interval` for deferred issuance.
//!
//! OpenID4VCI 1.0 "Credential Response".

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Credential Response (immediate or deferred).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialResponse {
    /// Issued credentials, at most one per proven key; absent when deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<IssuedCredential>>,
    /// Deferred issuance: the identifier to poll the deferred credential endpoint with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Deferred issuance: seconds the wallet should wait before polling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// Identifier for the notification endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
}

/// One entry of `credentials`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCredential {
    /// The credential as issued; for `dc+sd-jwt` the SD-JWT VC string, never re-encoded.
    /// Holds personal data: redacted in `Debug`.
    pub credential: String,
}

impl fmt::Debug for IssuedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCredential")
            .field("credential", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn immediate_response_round_trips() {
        let example = json!({
            "credentials": [{ "credential": "eyJhbGciOiJFUzI1NiJ9.e30.sig~WyJzYWx0IiwiYSIsMV0~" }],
            "notification_id": "3fwe98js"
        });
        let response: CredentialResponse = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&response).unwrap(), example);
        assert!(!format!("{response:?}").contains("eyJhbGci"));
    }

    #[test]
    fn deferred_response_round_trips() {
        let example = json!({ "transaction_id": "8xLOxBtZp8", "interval": 3600 });
        let response: CredentialResponse = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(response.credentials, None);
        assert_eq!(serde_json::to_value(&response).unwrap(), example);
    }
}
