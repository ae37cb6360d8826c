//! `POST /nonce` (unprotected) → `200 {"c_nonce": "…"}` with `Cache-Control: no-store`.
//!
//! OpenID4VCI 1.0 "Nonce Endpoint".

use serde::{Deserialize, Serialize};

/// Nonce endpoint response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// A fresh, unpredictable value to put in the `nonce` claim of key proofs.
    pub c_nonce: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_response_round_trips() {
        let json = r#"{"c_nonce":"wKI4LT17ac15ES9bw8ac4"}"#;
        let response: NonceResponse = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&response).unwrap(), json);
    }
}
