//! SD-JWT VC Type Metadata processing: credentials issued and presented for real, checked
//! against a type's claim metadata (`sd`, `mandatory`, paths) and JSON Schema.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use idv_jose::SigningKey;
use idv_jose::integrity::sha256_integrity;
use idv_jose::random::DeterministicRandom;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::trust::credential_type::{DocumentReference, TypeMetadataReference};
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::type_metadata::{CredentialType, CredentialTypes, Document, TypeMetadataError};
use idv_sdjwt::vc::{self, VerifiedSdJwtVc};
use idv_sdjwt::verify::{UnverifiedSdJwt, VerifyPolicy};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_800_000_000;
const VCT: &str = "urn:example:vct:person:1";

fn metadata() -> Value {
    json!({
        "vct": VCT,
        "name": "Person",
        "display": [{"locale": "en-GB", "name": "Person"}],
        "claims": [
            {"path": ["given_name"], "sd": "always", "mandatory": true, "svg_id": "given_name",
             "display": [{"locale": "en-GB", "label": "Given name"}]},
            {"path": ["nationalities"], "sd": "always"},
            {"path": ["nationalities", null], "sd": "always"},
            {"path": ["age_over_18"], "sd": "always"},
            {"path": ["verification"], "sd": "never", "mandatory": true},
            {"path": ["verification", "level"], "sd": "never", "mandatory": true},
            {"path": ["verification", "time"], "sd": "always", "mandatory": true}
        ]
    })
}

fn schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "iss": {"type": "string"}, "vct": {"const": VCT}, "iat": {"type": "integer"},
            "exp": {"type": "integer"}, "cnf": {"type": "object"}, "vct#integrity": {"type": "string"},
            "given_name": {"type": "string", "minLength": 1},
            "nationalities": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}},
            "age_over_18": {"type": "boolean"},
            "verification": {
                "type": "object", "additionalProperties": false, "required": ["level"],
                "properties": {"level": {"enum": ["low", "medium"]}, "time": {"type": "integer"}}
            }
        },
        "required": ["iss", "vct", "verification"],
        "additionalProperties": false
    })
}

/// The documents as published (octets) and the reference pinning them.
struct Published {
    metadata: Vec<u8>,
    schema: Vec<u8>,
    reference: TypeMetadataReference,
}

fn publish(metadata: &Value, schema: &Value) -> Published {
    let metadata = serde_json::to_vec_pretty(metadata).unwrap();
    let schema = serde_json::to_vec_pretty(schema).unwrap();
    let reference = TypeMetadataReference {
        uri: "https://trust.example/type-metadata/person-1".into(),
        uri_integrity: sha256_integrity(&metadata),
        schema: Some(DocumentReference {
            uri: "https://trust.example/type-metadata/person-1/schema".into(),
            uri_integrity: sha256_integrity(&schema),
        }),
    };
    Published {
        metadata,
        schema,
        reference,
    }
}

fn load(published: &Published) -> Result<CredentialType, TypeMetadataError> {
    CredentialType::load(
        VCT,
        &published.reference,
        &published.metadata,
        Some(&published.schema),
    )
}

fn path(value: Value) -> ClaimsPath {
    serde_json::from_value(value).unwrap()
}

fn claims(overrides: Value) -> Map<String, Value> {
    let mut claims = json!({
        "iss": "https://idsp.example", "vct": VCT, "iat": NOW - 10, "exp": NOW + 3600,
        "given_name": "Ada", "nationalities": ["GB", "IE"], "age_over_18": true,
        "verification": {"level": "medium", "time": NOW - 100}
    });
    for (name, value) in overrides.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims.as_object().unwrap().clone()
}

/// What the type requires to be concealed.
fn conforming_conceal() -> Vec<ClaimsPath> {
    [
        json!(["given_name"]),
        json!(["nationalities"]),
        json!(["nationalities", null]),
        json!(["age_over_18"]),
        json!(["verification", "time"]),
    ]
    .into_iter()
    .map(path)
    .collect()
}

/// Issues `claims` concealing `conceal`, presents `shown` (everything when `None`) and
/// verifies it.
fn present(
    claims: Map<String, Value>,
    conceal: &[ClaimsPath],
    shown: Option<&[Value]>,
) -> VerifiedSdJwtVc {
    let issuer = SigningKey::generate().unwrap();
    let rng = DeterministicRandom::new(3);
    let issued = vc::issue(&issuer, &rng, claims, conceal).unwrap();
    let held =
        HeldSdJwt::receive(&issued, issuer.public_key(), vc::accepted_typ(false), NOW).unwrap();
    let presentation = match shown {
        Some(paths) => held
            .present(&paths.iter().cloned().map(path).collect::<Vec<_>>())
            .unwrap(),
        None => issued,
    };
    let policy = VerifyPolicy {
        typ: vc::accepted_typ(false),
        now: NOW,
        skew: 60,
        key_binding: None,
    };
    UnverifiedSdJwt::parse(&presentation)
        .unwrap()
        .verify(issuer.public_key(), &policy)
        .and_then(VerifiedSdJwtVc::from_verified)
        .unwrap()
}

fn validate(
    claims: Map<String, Value>,
    conceal: &[ClaimsPath],
    shown: Option<&[Value]>,
) -> Result<(), TypeMetadataError> {
    load(&publish(&metadata(), &schema()))
        .unwrap()
        .validate(&present(claims, conceal, shown))
}

#[test]
fn a_conforming_credential_passes_fully_or_partly_disclosed() {
    assert_eq!(
        validate(claims(json!({})), &conforming_conceal(), None),
        Ok(())
    );
    // Undisclosed claims are absent, mandatory or not: absence of a selectively disclosable
    // claim is no evidence.
    let shown = [json!(["age_over_18"])];
    assert_eq!(
        validate(claims(json!({})), &conforming_conceal(), Some(&shown)),
        Ok(())
    );
    let shown = [json!(["nationalities"])];
    assert_eq!(
        validate(claims(json!({})), &conforming_conceal(), Some(&shown)),
        Ok(())
    );
}

#[test]
fn a_claim_that_must_be_selectively_disclosable_but_is_plain_is_refused() {
    let conceal: Vec<_> = conforming_conceal()
        .into_iter()
        .filter(|p| *p != path(json!(["age_over_18"])))
        .collect();
    assert_eq!(
        validate(claims(json!({})), &conceal, None),
        Err(TypeMetadataError::MustBeSelectivelyDisclosable {
            path: path(json!(["age_over_18"]))
        })
    );
    // Array elements are checked one by one, at their presented index.
    let conceal: Vec<_> = conforming_conceal()
        .into_iter()
        .filter(|p| *p != path(json!(["nationalities", null])))
        .collect();
    assert_eq!(
        validate(claims(json!({})), &conceal, None),
        Err(TypeMetadataError::MustBeSelectivelyDisclosable {
            path: path(json!(["nationalities", 0]))
        })
    );
}

#[test]
fn a_claim_that_must_not_be_selectively_disclosable_but_is_is_refused() {
    let mut conceal = conforming_conceal();
    conceal.push(path(json!(["verification"])));
    assert_eq!(
        validate(claims(json!({})), &conceal, None),
        Err(TypeMetadataError::MustNotBeSelectivelyDisclosable {
            path: path(json!(["verification"]))
        })
    );
    let mut conceal = conforming_conceal();
    conceal.push(path(json!(["verification", "level"])));
    assert_eq!(
        validate(claims(json!({})), &conceal, None),
        Err(TypeMetadataError::MustNotBeSelectivelyDisclosable {
            path: path(json!(["verification", "level"]))
        })
    );
}

#[test]
fn a_provably_missing_mandatory_claim_is_refused() {
    let without_level = claims(json!({"verification": {"time": NOW - 100}}));
    // Without a schema (which requires it too), the claim metadata alone finds it.
    let mut published = publish(&metadata(), &schema());
    published.reference.schema = None;
    let credential_type =
        CredentialType::load(VCT, &published.reference, &published.metadata, None).unwrap();
    let credential = present(without_level, &conforming_conceal(), None);
    assert_eq!(
        credential_type.validate(&credential),
        Err(TypeMetadataError::MandatoryClaimMissing {
            path: path(json!(["verification", "level"]))
        })
    );
    let conceal = &conforming_conceal()[..4];
    let credential = present(claims(json!({"verification": null})), conceal, None);
    assert_eq!(
        credential_type.validate(&credential),
        Err(TypeMetadataError::MandatoryClaimMissing {
            path: path(json!(["verification"]))
        })
    );
}

#[test]
fn a_path_that_does_not_apply_is_refused() {
    let conceal: Vec<_> = conforming_conceal()
        .into_iter()
        .filter(|p| *p != path(json!(["nationalities", null])))
        .collect();
    assert_eq!(
        validate(claims(json!({"nationalities": "GB"})), &conceal, None),
        Err(TypeMetadataError::PathNotApplicable {
            path: path(json!(["nationalities", null]))
        })
    );
}

#[test]
fn the_payload_must_conform_to_the_schema() {
    let violation =
        |overrides: Value| match validate(claims(overrides), &conforming_conceal(), None) {
            Err(TypeMetadataError::Schema(violation)) => (violation.at, violation.keyword),
            other => panic!("{other:?}"),
        };
    assert_eq!(
        violation(json!({"nationalities": ["GB", "gb"]})),
        ("/nationalities/1".into(), "pattern")
    );
    assert_eq!(
        violation(json!({"age_over_18": "yes"})),
        ("/age_over_18".into(), "type")
    );
    assert_eq!(
        violation(json!({"shoe_size": 9})),
        ("/shoe_size".into(), "additionalProperties")
    );
    assert_eq!(
        violation(json!({"verification": {"level": "extreme", "time": 1}})),
        ("/verification/level".into(), "enum")
    );
}

#[test]
fn a_vct_integrity_claim_must_match_the_document() {
    let published = publish(&metadata(), &schema());
    let credential_type = load(&published).unwrap();
    let pinned = sha256_integrity(&published.metadata);
    let credential = present(
        claims(json!({"vct#integrity": pinned})),
        &conforming_conceal(),
        None,
    );
    assert_eq!(credential_type.validate(&credential), Ok(()));
    let credential = present(
        claims(json!({"vct#integrity": sha256_integrity(b"another document")})),
        &conforming_conceal(),
        None,
    );
    assert_eq!(
        credential_type.validate(&credential),
        Err(TypeMetadataError::VctIntegrity)
    );
}

#[test]
fn documents_are_checked_before_use() {
    let published = publish(&metadata(), &schema());
    let mut tampered = published.metadata.clone();
    tampered.push(b' ');
    assert!(matches!(
        CredentialType::load(
            VCT,
            &published.reference,
            &tampered,
            Some(&published.schema)
        ),
        Err(TypeMetadataError::Integrity {
            document: Document::TypeMetadata,
            ..
        })
    ));
    assert_eq!(
        CredentialType::load(
            "urn:example:other:1",
            &published.reference,
            &published.metadata,
            Some(&published.schema)
        )
        .unwrap_err(),
        TypeMetadataError::VctMismatch
    );
    assert_eq!(
        CredentialType::load(VCT, &published.reference, &published.metadata, None).unwrap_err(),
        TypeMetadataError::SchemaMismatch
    );
    assert_eq!(
        CredentialType::load(VCT, &published.reference, &published.metadata, Some(b"{}"))
            .unwrap_err(),
        TypeMetadataError::Integrity {
            document: Document::Schema,
            source: idv_jose::integrity::IntegrityError::Mismatch
        }
    );
    let refused = |change: &dyn Fn(&mut Value)| {
        let mut document = metadata();
        change(&mut document);
        load(&publish(&document, &schema())).unwrap_err()
    };
    assert_eq!(
        refused(&|d| d["extends"] = json!("https://example.com/base")),
        TypeMetadataError::Unsupported("extends")
    );
    assert!(matches!(
        refused(&|d| d["claims"][1]["path"] = json!(["nationalities", 0])),
        TypeMetadataError::Unsupported(_)
    ));
    assert!(matches!(
        refused(&|d| d["claims"][1]["svg_id"] = json!("given_name")),
        TypeMetadataError::Unsupported(_)
    ));
    assert!(matches!(
        refused(&|d| d["claims"][1]["svg_id"] = json!("1st")),
        TypeMetadataError::Unsupported(_)
    ));
    assert!(matches!(
        refused(&|d| d["claims"][1]["sd"] = json!("sometimes")),
        TypeMetadataError::Malformed { .. }
    ));
    assert!(matches!(
        load(&publish(
            &metadata(),
            &json!({"type": "object", "oneOf": []})
        ))
        .unwrap_err(),
        TypeMetadataError::InvalidSchema(_)
    ));
}

#[test]
fn held_types_are_found_by_vct_and_reference() {
    let published = publish(&metadata(), &schema());
    let mut types = CredentialTypes::new();
    types.insert(std::sync::Arc::new(load(&published).unwrap()));
    assert!(types.published(VCT, &published.reference).is_some());
    let mut moved = published.reference.clone();
    moved.uri_integrity = sha256_integrity(b"a newer document");
    assert!(types.published(VCT, &moved).is_none());
    assert!(
        types
            .published("urn:example:other:1", &published.reference)
            .is_none()
    );
}
