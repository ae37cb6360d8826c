//! The scheme owner's reference to a credential type's published documents, in the signed
//! trust list's `type_metadata` member (keyed by `vct`):
//!
//! ```json
//! "type_metadata": {
//!   "urn:dvs:vct:uk-age:1": {
//!     "uri": "https://trust.example/type-metadata/uk-age-1",
//!     "uri#integrity": "sha256-…",
//!     "schema": {
//!       "uri": "https://trust.example/type-metadata/uk-age-1/schema",
//!       "uri#integrity": "sha256-…"
//!     }
//!   }
//! }
//! ```
//!
//! `uri` is the SD-JWT VC Type Metadata document ("Using a Defined Retrieval Method": our
//! `vct`s are URNs). `schema` is a JSON Schema the type's processed payload must conform to,
//! our ecosystem's validation rule (SD-JWT VC "Verification and Processing": additional
//! validation rules may apply); Type Metadata itself has no schema member since draft -12.
//! Both references carry W3C SRI integrity metadata (SD-JWT VC "Integrity of Referenced
//! Documents"): the list is signed, so the documents are pinned by it and may be cached
//! indefinitely keyed by the integrity value.

use serde::{Deserialize, Serialize};

/// Where a type's Type Metadata (and JSON Schema) are published, and their digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeMetadataReference {
    /// URL of the Type Metadata document (`application/json`).
    pub uri: String,
    /// Integrity metadata (W3C SRI) of the document's octets.
    #[serde(rename = "uri#integrity")]
    pub uri_integrity: String,
    /// The JSON Schema of the type's processed payload, when the type has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<DocumentReference>,
}

/// A referenced document and its integrity metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentReference {
    /// URL of the document.
    pub uri: String,
    /// Integrity metadata (W3C SRI) of the document's octets.
    #[serde(rename = "uri#integrity")]
    pub uri_integrity: String,
}

/// Media type of a JSON Schema document (JSON Schema 2020-12 §14).
pub const JSON_SCHEMA_MEDIA_TYPE: &str = "application/schema+json";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reference_round_trips_and_requires_integrity() {
        let example = json!({
            "uri": "https://trust.example/type-metadata/uk-age-1",
            "uri#integrity": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "schema": {
                "uri": "https://trust.example/type-metadata/uk-age-1/schema",
                "uri#integrity": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
            }
        });
        let reference: TypeMetadataReference = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&reference).unwrap(), example);
        let mut bad = example.clone();
        bad.as_object_mut().unwrap().remove("uri#integrity");
        assert!(serde_json::from_value::<TypeMetadataReference>(bad).is_err());
        let mut bad = example;
        bad["schema"]
            .as_object_mut()
            .unwrap()
            .remove("uri#integrity");
        assert!(serde_json::from_value::<TypeMetadataReference>(bad).is_err());
    }
}
