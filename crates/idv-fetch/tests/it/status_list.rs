//! Status resolution: prefix rule, issuer key from the trust list, cache within the token's
//! `ttl` and the client's cache period.

use std::sync::Arc;

use idv_fetch::{StatusClientError, StatusListClient};
use idv_jose::{Clock, SigningKey};
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_status_list::codec::Status;
use idv_status_list::verify::StatusPolicy;
use idv_trust::TrustError;

use crate::helpers::{DAY, T0, fetcher};
use crate::status_setup::{ISS, StatusSetup, TTL};

/// A setup whose status list client keeps lists for `cache_secs` at most.
async fn setup_with_cache_secs(cache_secs: i64) -> StatusSetup {
    StatusSetup::new(|clock| {
        StatusListClient::new(
            fetcher(),
            clock,
            Arc::new(idv_jose::SystemRandom),
            StatusPolicy::default(),
            16,
        )
        .with_cache_secs(cache_secs)
    })
    .await
}

/// A setup with the default cache period.
async fn setup() -> StatusSetup {
    setup_with_cache_secs(idv_fetch::status_list::DEFAULT_CACHE_SECS).await
}

#[tokio::test]
async fn statuses_are_read_from_the_issuers_signed_list() {
    let setup = setup().await;
    setup.publish(&[(7, Status::Invalid), (9, Status::Suspended)], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    assert_eq!(setup.status(7).await.unwrap(), Status::Invalid);
    assert_eq!(setup.status(9).await.unwrap(), Status::Suspended);
    // One fetch served all three.
    assert_eq!(setup.stage.hits(), 1);
    assert_eq!(T0, setup.operator.clock.now());
}

#[tokio::test]
async fn a_revocation_is_seen_once_the_ttl_has_passed() {
    let setup = setup_with_cache_secs(DAY).await;
    setup.publish(&[], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    setup.publish(&[(3, Status::Invalid)], &setup.key);
    setup.operator.clock.advance(TTL as i64 - 1);
    assert_eq!(
        setup.status(3).await.unwrap(),
        Status::Valid,
        "cached within ttl"
    );
    setup.operator.clock.advance(1);
    assert_eq!(setup.status(3).await.unwrap(), Status::Invalid);
    assert_eq!(setup.stage.hits(), 2);
}

#[tokio::test]
async fn a_uri_outside_the_issuers_registered_prefix_is_never_fetched() {
    let setup = setup().await;
    let list = setup.trust.current().await.unwrap();
    let reference = StatusListReference {
        idx: 1,
        uri: format!("{}/elsewhere/1", setup.address),
    };
    let error = setup
        .statuses
        .status(&reference, ISS, &list)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StatusClientError::Trust(TrustError::StatusListUriNotAllowed { .. })
        ),
        "{error}"
    );
    assert_eq!(setup.stage.hits(), 0);
}

#[tokio::test]
async fn a_list_signed_by_a_key_the_register_does_not_hold_is_refused() {
    let setup = setup().await;
    setup.publish(&[], &SigningKey::generate().unwrap());
    let error = setup.status(3).await.unwrap_err();
    assert!(
        matches!(
            error,
            StatusClientError::Trust(TrustError::KeyNotRegistered { .. })
        ),
        "{error}"
    );
}

#[tokio::test]
async fn an_index_beyond_the_list_is_an_error_not_valid() {
    let setup = setup().await;
    setup.publish(&[], &setup.key);
    assert!(matches!(
        setup.status(5000).await,
        Err(StatusClientError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_revocation_is_seen_within_the_cache_period_when_the_ttl_is_longer() {
    let setup = setup().await;
    setup.publish(&[], &setup.key);
    let first = setup.check(3).await.unwrap();
    assert_eq!(first.status, Status::Valid);
    // The record can state what the status was read from: the token's `iat`.
    assert_eq!((first.checked_at, first.list_issued_at), (T0, T0));

    setup.operator.clock.advance(10);
    setup.publish(&[(3, Status::Invalid)], &setup.key);
    let cached = setup.check(3).await.unwrap();
    assert_eq!(cached.status, Status::Valid, "cached");
    assert_eq!((cached.checked_at, cached.list_issued_at), (T0 + 10, T0));

    // The default cache period (60 s) ends long before the token's ttl (600 s).
    setup.operator.clock.set(T0 + 60);
    let fresh = setup.check(3).await.unwrap();
    assert_eq!(fresh.status, Status::Invalid);
    assert_eq!(fresh.list_issued_at, T0 + 10);
    assert_eq!(setup.stage.hits(), 2);
}

#[tokio::test]
async fn a_ttl_shorter_than_the_policys_minimum_is_honoured() {
    let setup = setup().await;
    let ttl = 10;
    assert!(ttl < StatusPolicy::default().min_ttl);
    setup.publish_with_ttl(&[], &setup.key, ttl as u64);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    setup.publish_with_ttl(&[(3, Status::Suspended)], &setup.key, ttl as u64);
    setup.operator.clock.advance(ttl - 1);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid, "within ttl");
    setup.operator.clock.advance(1);
    assert_eq!(setup.status(3).await.unwrap(), Status::Suspended);
    assert_eq!(setup.stage.hits(), 2);
}

#[tokio::test]
async fn a_cache_period_of_zero_fetches_for_every_status() {
    let setup = setup_with_cache_secs(0).await;
    setup.publish(&[], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    setup.publish(&[(3, Status::Invalid)], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Invalid);
    assert_eq!(setup.stage.hits(), 2);
}
