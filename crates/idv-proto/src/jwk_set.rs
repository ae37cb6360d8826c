//! JWK Set `{"keys": [...]}` (RFC 7517 §5), as carried in `client_metadata.jwks` and
//! `credential_request_encryption.jwks`. Keys stay raw JSON here; `idv-jose` interprets them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JWK Set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys, each a JWK object.
    pub keys: Vec<Value>,
}
