//! SD-JWT VC Type Metadata processing (draft-ietf-oauth-sd-jwt-vc "SD-JWT VC Type Metadata"),
//! sans I/O: the caller fetches the documents a trust list pins
//! ([`TypeMetadataReference`]); [`CredentialType::load`] checks their integrity and
//! structure, and [`CredentialType::validate`] checks a verified credential against them.
//!
//! Validation ("Claim Metadata", "Processing Type Metadata") fails, and the credential must be
//! rejected, when:
//! - a claim metadata `path` cannot be processed against the processed payload (a string
//!   component meets a non-object, `null` a non-array);
//! - a claim selected by a path with `sd: always` was not a disclosure, or one with
//!   `sd: never` was ("directly represented as a Disclosure", not through an ancestor);
//! - a `mandatory` claim is provably absent: its parent object is present and the claim is
//!   `sd: never` (a selectively disclosable claim may just not be disclosed, and absence of
//!   one is never taken as evidence);
//! - the credential's `vct#integrity` does not match the document;
//! - the processed payload does not conform to the type's JSON Schema ([`schema`]), our
//!   ecosystem's additional rule (the payload as presented: claims not disclosed are absent,
//!   so the schema can only require claims that are never selectively disclosable).
//!
//! Not supported, so refused when loading (fail closed): `extends` (the extended type would
//! have to be fetched and merged first), and integer components in claim metadata paths
//! (they count array elements as issued, which a presentation does not reveal).

mod pattern;
pub mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use idv_jose::integrity::{self, IntegrityError};
use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_proto::sd_jwt_vc::type_metadata::{SelectiveDisclosure, TypeMetadata};
use idv_proto::trust::credential_type::TypeMetadataReference;
use serde_json::{Map, Value};

use crate::vc::VerifiedSdJwtVc;
use schema::{Schema, SchemaError, SchemaViolation};

/// Which referenced document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The Type Metadata document.
    TypeMetadata,
    /// The JSON Schema.
    Schema,
}

impl std::fmt::Display for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TypeMetadata => "type metadata",
            Self::Schema => "JSON schema",
        })
    }
}

/// Why type metadata could not be loaded, or a credential does not conform to it. Messages
/// name paths and keywords of the public documents, never claim values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeMetadataError {
    /// A document does not match the integrity metadata it is pinned by.
    #[error("the {document} does not match its integrity metadata: {source}")]
    Integrity {
        /// Which document.
        document: Document,
        /// Why.
        #[source]
        source: IntegrityError,
    },
    /// A document is not the JSON expected.
    #[error("the {document} is malformed: {reason}")]
    Malformed {
        /// Which document.
        document: Document,
        /// The parser's reason.
        reason: String,
    },
    /// The reference names a schema but none was given, or the reverse.
    #[error("the JSON schema given does not match the reference")]
    SchemaMismatch,
    /// The document describes another type than the one it is published for.
    #[error("the type metadata describes another vct")]
    VctMismatch,
    /// The document uses a feature we refuse to half-process.
    #[error("unsupported type metadata: {0}")]
    Unsupported(&'static str),
    /// The JSON schema is outside the supported subset.
    #[error(transparent)]
    InvalidSchema(#[from] SchemaError),
    /// The credential's `vct#integrity` is not a string, or does not match the document.
    #[error("the credential's vct#integrity does not match the type metadata")]
    VctIntegrity,
    /// A claim metadata path cannot be processed against the credential.
    #[error("claim metadata path {path} does not apply to the credential")]
    PathNotApplicable {
        /// The path.
        path: ClaimsPath,
    },
    /// A claim that must be selectively disclosable (`sd: always`) is not.
    #[error("the claim at {path} must be selectively disclosable")]
    MustBeSelectivelyDisclosable {
        /// The claim's concrete path (array indices as presented).
        path: ClaimsPath,
    },
    /// A claim that must not be selectively disclosable (`sd: never`) is.
    #[error("the claim at {path} must not be selectively disclosable")]
    MustNotBeSelectivelyDisclosable {
        /// The claim's concrete path (array indices as presented).
        path: ClaimsPath,
    },
    /// A mandatory claim is provably absent.
    #[error("the mandatory claim {path} is missing")]
    MandatoryClaimMissing {
        /// The claim metadata path.
        path: ClaimsPath,
    },
    /// The processed payload does not conform to the type's JSON schema.
    #[error(transparent)]
    Schema(#[from] SchemaViolation),
}

/// A credential type's processed Type Metadata (and JSON Schema), ready to validate
/// credentials.
#[derive(Debug, Clone)]
pub struct CredentialType {
    metadata: TypeMetadata,
    /// The octets the document was published as, for a credential's `vct#integrity`.
    octets: Vec<u8>,
    reference: TypeMetadataReference,
    schema: Option<Schema>,
}

impl CredentialType {
    /// Loads the documents `reference` pins for `vct`: `metadata` and `schema` are the
    /// retrieved octets (`schema` exactly when the reference names one). Checks each against
    /// its integrity metadata before reading it, then the document's structure.
    pub fn load(
        vct: &str,
        reference: &TypeMetadataReference,
        metadata: &[u8],
        schema: Option<&[u8]>,
    ) -> Result<Self, TypeMetadataError> {
        let document = Document::TypeMetadata;
        integrity::check(&reference.uri_integrity, metadata)
            .map_err(|source| TypeMetadataError::Integrity { document, source })?;
        let parsed: TypeMetadata =
            serde_json::from_slice(metadata).map_err(|e| TypeMetadataError::Malformed {
                document,
                reason: e.to_string(),
            })?;
        if parsed.vct != vct {
            return Err(TypeMetadataError::VctMismatch);
        }
        check_structure(&parsed)?;
        let schema = match (&reference.schema, schema) {
            (Some(pinned), Some(octets)) => {
                let document = Document::Schema;
                integrity::check(&pinned.uri_integrity, octets)
                    .map_err(|source| TypeMetadataError::Integrity { document, source })?;
                let value: Value =
                    serde_json::from_slice(octets).map_err(|e| TypeMetadataError::Malformed {
                        document,
                        reason: e.to_string(),
                    })?;
                Some(Schema::compile(&value)?)
            }
            (None, None) => None,
            _ => return Err(TypeMetadataError::SchemaMismatch),
        };
        Ok(Self {
            metadata: parsed,
            octets: metadata.to_vec(),
            reference: reference.clone(),
            schema,
        })
    }

    /// The type (`vct`).
    pub fn vct(&self) -> &str {
        &self.metadata.vct
    }

    /// The Type Metadata document.
    pub fn metadata(&self) -> &TypeMetadata {
        &self.metadata
    }

    /// Whether this was loaded from the documents `reference` pins (same integrity values).
    pub fn is_published_as(&self, reference: &TypeMetadataReference) -> bool {
        self.reference == *reference
    }

    /// Validates a verified credential of this type (see the module doc).
    pub fn validate(&self, credential: &VerifiedSdJwtVc) -> Result<(), TypeMetadataError> {
        if credential.vct() != self.vct() {
            return Err(TypeMetadataError::VctMismatch);
        }
        let sd_jwt = credential.sd_jwt();
        let claims = sd_jwt.claims();
        if let Some(pinned) = claims.get("vct#integrity") {
            let pinned = pinned.as_str().ok_or(TypeMetadataError::VctIntegrity)?;
            integrity::check(pinned, &self.octets).map_err(|_| TypeMetadataError::VctIntegrity)?;
        }
        let disclosed: BTreeSet<&[PathElement]> =
            sd_jwt.disclosed_paths().iter().map(Vec::as_slice).collect();
        for claim in self.metadata.claims.iter().flatten() {
            let path = claim.path.elements();
            let not_applicable = || TypeMetadataError::PathNotApplicable {
                path: claim.path.clone(),
            };
            let selected = select(claims, path).ok_or_else(not_applicable)?;
            let sd = claim.selective_disclosure();
            for (concrete, _) in &selected {
                let is_disclosure = disclosed.contains(concrete.as_slice());
                let concrete = || ClaimsPath::new(concrete.clone()).map_err(|_| not_applicable());
                match sd {
                    SelectiveDisclosure::Always if !is_disclosure => {
                        return Err(TypeMetadataError::MustBeSelectivelyDisclosable {
                            path: concrete()?,
                        });
                    }
                    SelectiveDisclosure::Never if is_disclosure => {
                        return Err(TypeMetadataError::MustNotBeSelectivelyDisclosable {
                            path: concrete()?,
                        });
                    }
                    _ => {}
                }
            }
            if claim.is_mandatory() && sd == SelectiveDisclosure::Never && !is_present(claims, path)
            {
                return Err(TypeMetadataError::MandatoryClaimMissing {
                    path: claim.path.clone(),
                });
            }
        }
        if let Some(schema) = &self.schema {
            schema.validate(claims)?;
        }
        Ok(())
    }
}

/// The credential types a verifier holds, by `vct`.
#[derive(Debug, Clone, Default)]
pub struct CredentialTypes(BTreeMap<String, Arc<CredentialType>>);

impl CredentialTypes {
    /// No types.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a type.
    pub fn insert(&mut self, credential_type: Arc<CredentialType>) {
        self.0
            .insert(credential_type.vct().to_owned(), credential_type);
    }

    /// The type of `vct`, when held.
    pub fn get(&self, vct: &str) -> Option<&Arc<CredentialType>> {
        self.0.get(vct)
    }

    /// The type of `vct` loaded from exactly the documents `reference` pins.
    pub fn published(
        &self,
        vct: &str,
        reference: &TypeMetadataReference,
    ) -> Option<&CredentialType> {
        self.get(vct)
            .map(Arc::as_ref)
            .filter(|t| t.is_published_as(reference))
    }

    /// How many types are held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The "Claim Metadata" structure beyond what parsing enforces, and what we refuse.
fn check_structure(metadata: &TypeMetadata) -> Result<(), TypeMetadataError> {
    let unsupported = TypeMetadataError::Unsupported;
    if metadata.extends.is_some() || metadata.extends_integrity.is_some() {
        return Err(unsupported("extends"));
    }
    let mut svg_ids = BTreeSet::new();
    for claim in metadata.claims.iter().flatten() {
        if claim
            .path
            .elements()
            .iter()
            .any(|e| matches!(e, PathElement::Index(_)))
        {
            return Err(unsupported("an array index in a claim metadata path"));
        }
        if let Some(id) = &claim.svg_id {
            let mut chars = id.chars();
            let valid = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid || !svg_ids.insert(id.as_str()) {
                return Err(unsupported("an svg_id that is malformed or not unique"));
            }
        }
    }
    for display in metadata.display.iter().flatten() {
        let Some(rendering) = &display.rendering else {
            continue;
        };
        let templates = rendering.svg_templates.as_deref().unwrap_or_default();
        let mut uris: Vec<&str> = templates.iter().map(|t| t.template.uri.as_str()).collect();
        if let Some(simple) = &rendering.simple {
            uris.extend(simple.logo.iter().map(|l| l.image.uri.as_str()));
            uris.extend(simple.background_image.iter().map(|b| b.image.uri.as_str()));
        }
        if !uris
            .iter()
            .all(|uri| uri.starts_with("https://") || uri.starts_with("data:"))
        {
            return Err(unsupported(
                "a rendering URI that is neither https nor data",
            ));
        }
        let properties_ok = |t: &&idv_proto::sd_jwt_vc::type_metadata::SvgTemplate| {
            t.properties.as_ref().map_or(templates.len() == 1, |p| {
                p.orientation.is_some() || p.color_scheme.is_some() || p.contrast.is_some()
            })
        };
        if !templates.iter().all(|t| properties_ok(&t)) {
            return Err(unsupported(
                "svg_templates without distinguishing properties",
            ));
        }
    }
    Ok(())
}

/// "Processing of `path`" against the processed payload: the concrete paths selected and
/// their values, or `None` when processing is an error. Integer components were refused
/// when loading.
fn select<'v>(
    claims: &'v Map<String, Value>,
    path: &[PathElement],
) -> Option<Vec<(Vec<PathElement>, &'v Value)>> {
    let (first, rest) = path.split_first()?;
    let PathElement::Key(name) = first else {
        return None; // the root is an object
    };
    let mut selected: Vec<(Vec<PathElement>, &Value)> = claims
        .get(name)
        .map(|value| (vec![first.clone()], value))
        .into_iter()
        .collect();
    for element in rest {
        let mut next = Vec::new();
        for (at, value) in selected {
            match (element, value) {
                (PathElement::Key(name), Value::Object(object)) => {
                    if let Some(child) = object.get(name) {
                        next.push((extend(&at, element.clone()), child));
                    }
                }
                (PathElement::AllElements, Value::Array(array)) => {
                    for (index, child) in array.iter().enumerate() {
                        next.push((extend(&at, PathElement::Index(index as u64)), child));
                    }
                }
                _ => return None,
            }
        }
        selected = next;
    }
    Some(selected)
}

fn extend(path: &[PathElement], element: PathElement) -> Vec<PathElement> {
    let mut extended = Vec::with_capacity(path.len() + 1);
    extended.extend_from_slice(path);
    extended.push(element);
    extended
}

/// Whether every present parent object of the claim at `path` holds it. Only a key at the
/// end can be provably absent; array elements never are.
fn is_present(claims: &Map<String, Value>, path: &[PathElement]) -> bool {
    let Some((PathElement::Key(name), parent)) = path.split_last() else {
        return true;
    };
    if parent.is_empty() {
        return claims.contains_key(name);
    }
    select(claims, parent).is_some_and(|parents| {
        parents
            .iter()
            .all(|(_, value)| value.as_object().is_some_and(|o| o.contains_key(name)))
    })
}
