//! The credential types a trust list pins, fetched from a local server: loaded once per
//! pinned digest, left out (and retried only after `RETRY_AFTER`) when a document is served
//! with another media type or other bytes than the list pins.

use std::sync::Arc;

use idv_fetch::type_metadata::{RETRY_AFTER, TypeMetadataClient};
use idv_jose::integrity::sha256_integrity;
use idv_jose::{Clock, ManualClock, SigningKey};
use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};
use idv_proto::trust::credential_type::{DocumentReference, TypeMetadataReference};
use idv_proto::trust::trust_list::TrustListClaims;
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::{ListPolicy, VerifiedTrustList, sign_trust_list, verify_trust_list};

use crate::helpers::{DAY, Reply, Stage, T0, fetcher};

/// One credential type as a publisher serves it: its path segment, its Type Metadata document
/// and its JSON Schema (draft-ietf-oauth-sd-jwt-vc "SD-JWT VC Type Metadata").
struct Published {
    vct: &'static str,
    name: &'static str,
    metadata: String,
    schema: &'static str,
}

const SCHEMA: &str =
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}"#;

/// The two types the lists pin.
fn published() -> [Published; 2] {
    [(AGE_VCT, "uk-age-1"), (IDENTITY_VCT, "uk-identity-1")].map(|(vct, name)| Published {
        vct,
        name,
        metadata: format!(r#"{{"vct":"{vct}","name":"{name}"}}"#),
        schema: SCHEMA,
    })
}

/// A list signed by a test anchor whose `type_metadata` pins the documents under `base`.
fn list(base: &str) -> VerifiedTrustList {
    let anchor = SigningKey::generate().unwrap();
    let type_metadata = published()
        .into_iter()
        .map(|p| {
            let uri = format!("{base}/type-metadata/{}", p.name);
            let reference = TypeMetadataReference {
                uri_integrity: sha256_integrity(p.metadata.as_bytes()),
                schema: Some(DocumentReference {
                    uri: format!("{uri}/schema"),
                    uri_integrity: sha256_integrity(p.schema.as_bytes()),
                }),
                uri,
            };
            (p.vct.to_owned(), reference)
        })
        .collect();
    let claims = TrustListClaims {
        iss: base.to_owned(),
        iat: T0,
        exp: T0 + DAY,
        next_update: T0 + 3600,
        list_id: "uk-dvs-register".into(),
        sequence: 1,
        framework_versions_valid: Default::default(),
        entries: Vec::new(),
        relying_parties: Vec::new(),
        type_metadata,
    };
    let compact = sign_trust_list(&claims, &anchor).unwrap();
    let anchors = TrustAnchors::from_keys([anchor.public_key().clone()]).unwrap();
    verify_trust_list(&compact, &anchors, T0, &ListPolicy::default()).unwrap()
}

/// Serves every document as pinned.
fn publish(stage: &Stage) {
    for published in published() {
        let name = format!("type-metadata/{}", published.name);
        stage.set(&name, Reply::Body("application/json", published.metadata));
        stage.set(
            &format!("{name}/schema"),
            Reply::Body("application/schema+json", published.schema.into()),
        );
    }
}

fn held(types: &idv_sdjwt::type_metadata::CredentialTypes) -> Vec<&'static str> {
    [AGE_VCT, IDENTITY_VCT]
        .into_iter()
        .filter(|vct| types.get(vct).is_some())
        .collect()
}

#[tokio::test]
async fn pinned_types_are_fetched_once_and_held() {
    let (stage, base) = Stage::start().await;
    publish(&stage);
    let clock = Arc::new(ManualClock::new(T0));
    let client = TypeMetadataClient::new(fetcher(), Arc::clone(&clock) as Arc<dyn Clock>);
    let list = list(&base);
    let types = client.types(&list).await;
    assert_eq!(held(&types), [AGE_VCT, IDENTITY_VCT]);
    assert_eq!(stage.hits(), 4);
    clock.advance(30 * DAY);
    let again = client.types(&list).await;
    assert!(Arc::ptr_eq(&types, &again));
    assert_eq!(stage.hits(), 4, "held by digest, never fetched again");
}

#[tokio::test]
async fn a_document_served_wrongly_leaves_its_type_out_until_retried() {
    let (stage, base) = Stage::start().await;
    publish(&stage);
    let [age, identity] = published();
    // Another media type for the schema, other bytes for the identity type.
    stage.set(
        "type-metadata/uk-age-1/schema",
        Reply::Body("text/html", age.schema.into()),
    );
    stage.set(
        "type-metadata/uk-identity-1",
        Reply::Body("application/json", format!("{} ", identity.metadata)),
    );
    let clock = Arc::new(ManualClock::new(T0));
    let client = TypeMetadataClient::new(fetcher(), Arc::clone(&clock) as Arc<dyn Clock>);
    let list = list(&base);
    assert!(held(&*client.types(&list).await).is_empty());
    let hits = stage.hits();

    // Not asked again before RETRY_AFTER, whatever the publisher does meanwhile.
    publish(&stage);
    clock.advance(RETRY_AFTER - 1);
    assert!(held(&*client.types(&list).await).is_empty());
    assert_eq!(stage.hits(), hits);

    clock.advance(1);
    assert_eq!(held(&*client.types(&list).await), [AGE_VCT, IDENTITY_VCT]);
}
