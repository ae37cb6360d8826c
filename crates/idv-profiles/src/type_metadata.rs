//! The credential types of this scheme, published by its owner: for each `vct`, an SD-JWT VC
//! Type Metadata document (draft-ietf-oauth-sd-jwt-vc "SD-JWT VC Type Metadata": names,
//! display, and per claim its label, `mandatory` and `sd`) and a JSON Schema (2020-12) of the
//! processed payload, our ecosystem's validation rule.
//!
//! The documents are data, in `crates/idv-profiles/type-metadata/`. The trust framework serves
//! them byte for byte and its signed trust list's `type_metadata` member names their URLs with
//! the SRI digest of those bytes ([`references`]), so verifiers pin the documents from the list.

use std::collections::BTreeMap;

use idv_jose::integrity::sha256_integrity;
use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};
use idv_proto::trust::credential_type::{DocumentReference, TypeMetadataReference};

/// One published credential type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedType {
    /// The type.
    pub vct: &'static str,
    /// Its URL segment under the documents' base URL.
    pub name: &'static str,
    /// The Type Metadata document, exactly as served.
    pub metadata: &'static str,
    /// The JSON Schema, exactly as served.
    pub schema: &'static str,
}

/// Every credential type of the scheme.
pub const PUBLISHED: [PublishedType; 2] = [
    PublishedType {
        vct: IDENTITY_VCT,
        name: "uk-identity-1",
        metadata: include_str!("../type-metadata/uk-identity-1.json"),
        schema: include_str!("../type-metadata/uk-identity-1.schema.json"),
    },
    PublishedType {
        vct: AGE_VCT,
        name: "uk-age-1",
        metadata: include_str!("../type-metadata/uk-age-1.json"),
        schema: include_str!("../type-metadata/uk-age-1.schema.json"),
    },
];

/// The type published under `name`.
pub fn find(name: &str) -> Option<&'static PublishedType> {
    PUBLISHED.iter().find(|t| t.name == name)
}

impl PublishedType {
    /// The reference a trust list carries when the documents are served under `documents_url`
    /// (no trailing slash): the metadata at `{documents_url}/{name}`, the schema at
    /// `{documents_url}/{name}/schema`.
    pub fn reference(&self, documents_url: &str) -> TypeMetadataReference {
        let uri = format!("{documents_url}/{}", self.name);
        TypeMetadataReference {
            uri_integrity: sha256_integrity(self.metadata.as_bytes()),
            schema: Some(DocumentReference {
                uri: format!("{uri}/schema"),
                uri_integrity: sha256_integrity(self.schema.as_bytes()),
            }),
            uri,
        }
    }
}

/// A trust list's `type_metadata` member: every published type by `vct`, its documents served
/// under `documents_url`.
pub fn references(documents_url: &str) -> BTreeMap<String, TypeMetadataReference> {
    PUBLISHED
        .iter()
        .map(|t| (t.vct.to_owned(), t.reference(documents_url)))
        .collect()
}

#[cfg(test)]
mod tests {
    use idv_proto::sd_jwt_vc::type_metadata::{SelectiveDisclosure, TypeMetadata};
    use idv_sdjwt::type_metadata::CredentialType;
    use serde_json::{Value, json};

    use super::*;
    use crate::AGE_THRESHOLDS;

    #[test]
    fn every_document_is_the_wire_type_and_loads_as_a_verifier_would() {
        for published in PUBLISHED {
            let metadata: TypeMetadata = serde_json::from_str(published.metadata).unwrap();
            assert_eq!(metadata.vct, published.vct);
            // Unknown members are ignored when parsing: the document must not rely on any.
            let reserialised = serde_json::to_value(&metadata).unwrap();
            let original: Value = serde_json::from_str(published.metadata).unwrap();
            assert_eq!(reserialised, original, "{}", published.name);
            let reference = published.reference("https://trust.example/type-metadata");
            CredentialType::load(
                published.vct,
                &reference,
                published.metadata.as_bytes(),
                Some(published.schema.as_bytes()),
            )
            .unwrap();
        }
    }

    #[test]
    fn the_age_type_never_lets_the_level_of_confidence_be_withheld() {
        let age = find("uk-age-1").unwrap();
        let metadata: TypeMetadata = serde_json::from_str(age.metadata).unwrap();
        let sd = |path: Value| {
            metadata
                .claims
                .iter()
                .flatten()
                .find(|c| serde_json::to_value(&c.path).unwrap() == path)
                .map(|c| (c.selective_disclosure(), c.is_mandatory()))
        };
        let never = Some((SelectiveDisclosure::Never, true));
        assert_eq!(sd(json!(["verification"])), never);
        assert_eq!(sd(json!(["verification", "assurance_level"])), never);
        for threshold in AGE_THRESHOLDS {
            assert_eq!(
                sd(json!([format!("age_over_{threshold}")])),
                Some((SelectiveDisclosure::Always, true))
            );
        }
    }

    #[test]
    fn references_name_every_type_under_the_documents_url() {
        let references = references("https://trust.example/type-metadata");
        assert_eq!(references.len(), 2);
        let age = &references[AGE_VCT];
        assert_eq!(age.uri, "https://trust.example/type-metadata/uk-age-1");
        assert_eq!(
            age.schema.as_ref().unwrap().uri,
            "https://trust.example/type-metadata/uk-age-1/schema"
        );
        assert!(age.uri_integrity.starts_with("sha256-"));
        assert!(find("uk-identity-1").is_some() && find("uk-identity-2").is_none());
    }
}
