//! The credential types a trust list pins, fetched from a local server: loaded once per
//! pinned digest, left out (and retried only after `RETRY_AFTER`) when a document is served
//! with another media type or other bytes than the list pins.

use std::sync::Arc;

use idv_fetch::type_metadata::{RETRY_AFTER, TypeMetadataClient};
use idv_jose::{Clock, JwkSet, ManualClock, SigningKey};
use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};
use idv_proto::trust::trust_list::{TRUST_LIST_TYP, TrustListClaims};
use idv_trust::anchors::TrustAnchors;
use idv_trust::list::{ListPolicy, VerifiedTrustList, verify_trust_list};
use trust_framework::credential_types::{PUBLISHED, references};

use crate::helpers::{DAY, Reply, Stage, T0, fetcher};

/// A list signed by a test anchor whose `type_metadata` points at `base`.
fn list(base: &str) -> VerifiedTrustList {
    let anchor = SigningKey::generate().unwrap();
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
        type_metadata: references(base),
    };
    let header = idv_jose::jws::Header::es256(TRUST_LIST_TYP).with("kid", anchor.kid());
    let compact = idv_jose::jws::sign_claims(&header, &claims, &anchor).unwrap();
    let anchors = TrustAnchors::from_jwks(&JwkSet {
        keys: vec![anchor.public_key().to_jwk()],
    })
    .unwrap();
    verify_trust_list(&compact, &anchors, T0, &ListPolicy::default()).unwrap()
}

/// Serves every published document as the trust framework does.
fn publish(stage: &Stage) {
    for published in PUBLISHED {
        let name = format!("type-metadata/{}", published.name);
        stage.set(
            &name,
            Reply::Body("application/json", published.metadata.into()),
        );
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
    let age = PUBLISHED.iter().find(|p| p.vct == AGE_VCT).unwrap();
    // Another media type for the schema, other bytes for the identity type.
    stage.set(
        "type-metadata/uk-age-1/schema",
        Reply::Body("text/html", age.schema.into()),
    );
    let identity = PUBLISHED.iter().find(|p| p.vct == IDENTITY_VCT).unwrap();
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
