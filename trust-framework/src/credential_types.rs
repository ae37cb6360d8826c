//! The credential types of this scheme ([`idv_profiles::type_metadata`]), as this service
//! publishes them: each type's Type Metadata document at `GET /type-metadata/{name}`
//! (`application/json`) and its JSON Schema at `GET /type-metadata/{name}/schema`
//! (`application/schema+json`), byte for byte. The signed trust list's `type_metadata` member
//! names both URLs with the SRI digest of those bytes ([`references`]).

use std::collections::BTreeMap;

pub use idv_profiles::type_metadata::{PUBLISHED, PublishedType, find};
use idv_proto::trust::credential_type::TypeMetadataReference;

/// Path prefix of the published documents.
pub const TYPE_METADATA_PATH: &str = "/type-metadata";

/// The trust list's `type_metadata` member: every published type by `vct`, under
/// `public_url` (no trailing slash).
pub fn references(public_url: &str) -> BTreeMap<String, TypeMetadataReference> {
    idv_profiles::type_metadata::references(&format!("{public_url}{TYPE_METADATA_PATH}"))
}

#[cfg(test)]
mod tests {
    use idv_proto::sd_jwt_vc::vct::AGE_VCT;

    use super::*;

    #[test]
    fn references_name_every_type_under_the_public_url() {
        let references = references("https://trust.example");
        assert_eq!(references.len(), PUBLISHED.len());
        let age = &references[AGE_VCT];
        assert_eq!(age.uri, "https://trust.example/type-metadata/uk-age-1");
        assert_eq!(
            age.schema.as_ref().unwrap().uri,
            "https://trust.example/type-metadata/uk-age-1/schema"
        );
    }
}
