//! The credential types of this scheme, published by its owner: for each `vct`, an SD-JWT VC
//! Type Metadata document (draft-ietf-oauth-sd-jwt-vc "SD-JWT VC Type Metadata": names,
//! display, and per claim its label, `mandatory` and `sd`) and a JSON Schema (2020-12) of the
//! processed payload, our ecosystem's validation rule.
//!
//! The documents are data, in `trust-framework/type-metadata/`, served byte for byte at
//! `GET /type-metadata/{name}` (`application/json`) and `GET /type-metadata/{name}/schema`
//! (`application/schema+json`). The signed trust list's `type_metadata` member names both URLs
//! with the SRI digest of those bytes, so verifiers pin the documents from the list.

use std::collections::BTreeMap;

use idv_jose::integrity::sha256_integrity;
use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};
use idv_proto::trust::credential_type::{DocumentReference, TypeMetadataReference};

/// Path prefix of the published documents.
pub const TYPE_METADATA_PATH: &str = "/type-metadata";

/// One published credential type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedType {
    /// The type.
    pub vct: &'static str,
    /// Its URL segment under [`TYPE_METADATA_PATH`].
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
    /// The reference the trust list carries, under `public_url` (no trailing slash).
    pub fn reference(&self, public_url: &str) -> TypeMetadataReference {
        let uri = format!("{public_url}{TYPE_METADATA_PATH}/{}", self.name);
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

/// The trust list's `type_metadata` member: every published type by `vct`.
pub fn references(public_url: &str) -> BTreeMap<String, TypeMetadataReference> {
    PUBLISHED
        .iter()
        .map(|t| (t.vct.to_owned(), t.reference(public_url)))
        .collect()
}

#[cfg(test)]
mod tests {
    use idv_proto::sd_jwt_vc::type_metadata::{SelectiveDisclosure, TypeMetadata};
    use idv_sdjwt::type_metadata::CredentialType;

    use super::*;

    #[test]
    fn every_document_is_the_wire_type_and_loads_as_a_verifier_would() {
        for published in PUBLISHED {
            let metadata: TypeMetadata = serde_json::from_str(published.metadata).unwrap();
            assert_eq!(metadata.vct, published.vct);
            // Unknown members are ignored when parsing: the document must not rely on any.
            let reserialised = serde_json::to_value(&metadata).unwrap();
            let original: serde_json::Value = serde_json::from_str(published.metadata).unwrap();
            assert_eq!(reserialised, original, "{}", published.name);
            let reference = published.reference("https://trust.example");
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
        let sd = |path: serde_json::Value| {
            metadata
                .claims
                .iter()
                .flatten()
                .find(|c| serde_json::to_value(&c.path).unwrap() == path)
                .map(|c| (c.selective_disclosure(), c.is_mandatory()))
        };
        let never = Some((SelectiveDisclosure::Never, true));
        assert_eq!(sd(serde_json::json!(["verification"])), never);
        assert_eq!(
            sd(serde_json::json!(["verification", "assurance_level"])),
            never
        );
        for threshold in [16, 18, 21, 25] {
            assert_eq!(
                sd(serde_json::json!([format!("age_over_{threshold}")])),
                Some((SelectiveDisclosure::Always, true))
            );
        }
    }

    #[test]
    fn references_name_every_type_under_the_public_url() {
        let references = references("https://trust.example");
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
