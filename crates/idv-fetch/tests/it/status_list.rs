//! Status resolution: prefix rule, issuer key from the trust list, cache within the token's
//! `ttl` and the client's cache period.

use std::sync::Arc;

use idv_fetch::{StatusCheck, StatusClientError, StatusListClient, TrustListClient};
use idv_jose::{Clock, SigningKey};
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_status_list::codec::{Status, StatusBits, StatusListBuf};
use idv_status_list::token::{issue_token, token_claims};
use idv_status_list::verify::StatusPolicy;
use idv_test_support::TestDb;
use idv_trust::TrustError;

use crate::helpers::{DAY, Framework, Reply, Stage, T0, client, fetcher, state_db};

const ISS: &str = "https://idsp.example";
const TTL: u64 = 600;

struct Setup {
    framework: Framework,
    stage: Stage,
    address: String,
    key: SigningKey,
    trust: TrustListClient,
    statuses: StatusListClient,
    _state: TestDb,
}

impl Setup {
    async fn new() -> Self {
        Self::with_cache_secs(idv_fetch::status_list::DEFAULT_CACHE_SECS).await
    }

    async fn with_cache_secs(cache_secs: i64) -> Self {
        let framework = Framework::start().await;
        let (stage, address) = Stage::start().await;
        let key = SigningKey::generate().unwrap();
        framework
            .add_issuer(ISS, &key, &format!("{address}/status/"))
            .await;
        let state = TestDb::sqlite().await;
        let trust = client(
            &framework,
            framework.trust_list_url(),
            state_db(&state).await,
        );
        let statuses = StatusListClient::new(
            fetcher(),
            Arc::clone(&framework.clock) as Arc<dyn Clock>,
            Arc::new(idv_jose::SystemRandom),
            StatusPolicy::default(),
            16,
        )
        .with_cache_secs(cache_secs);
        Self {
            framework,
            stage,
            address,
            key,
            trust,
            statuses,
            _state: state,
        }
    }

    fn uri(&self) -> String {
        format!("{}/status/1", self.address)
    }

    /// Publishes list 1 with the given (index, status) pairs, signed with `key`.
    fn publish(&self, entries: &[(u64, Status)], key: &SigningKey) {
        self.publish_with_ttl(entries, key, TTL);
    }

    /// Publishes list 1 with a token `ttl`.
    fn publish_with_ttl(&self, entries: &[(u64, Status)], key: &SigningKey, ttl: u64) {
        let mut list = StatusListBuf::new(StatusBits::Two, 1024).unwrap();
        for &(idx, status) in entries {
            list.set(idx, status).unwrap();
        }
        let iat = self.framework.clock.now();
        let claims = token_claims(self.uri(), iat, Some(iat + DAY), Some(ttl), &list);
        let token = issue_token(&claims, key, None, None).unwrap();
        self.stage
            .set("status/1", Reply::Body("application/statuslist+jwt", token));
    }

    async fn status(&self, idx: u64) -> Result<Status, StatusClientError> {
        self.check(idx).await.map(|check| check.status)
    }

    async fn check(&self, idx: u64) -> Result<StatusCheck, StatusClientError> {
        let list = self.trust.current().await.unwrap();
        let reference = StatusListReference {
            idx,
            uri: self.uri(),
        };
        self.statuses.status(&reference, ISS, &list).await
    }
}

#[tokio::test]
async fn statuses_are_read_from_the_issuers_signed_list() {
    let setup = Setup::new().await;
    setup.publish(&[(7, Status::Invalid), (9, Status::Suspended)], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    assert_eq!(setup.status(7).await.unwrap(), Status::Invalid);
    assert_eq!(setup.status(9).await.unwrap(), Status::Suspended);
    // One fetch served all three.
    assert_eq!(setup.stage.hits(), 1);
    assert_eq!(T0, setup.framework.clock.now());
}

#[tokio::test]
async fn a_revocation_is_seen_once_the_ttl_has_passed() {
    let setup = Setup::with_cache_secs(DAY).await;
    setup.publish(&[], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    setup.publish(&[(3, Status::Invalid)], &setup.key);
    setup.framework.clock.advance(TTL as i64 - 1);
    assert_eq!(
        setup.status(3).await.unwrap(),
        Status::Valid,
        "cached within ttl"
    );
    setup.framework.clock.advance(1);
    assert_eq!(setup.status(3).await.unwrap(), Status::Invalid);
    assert_eq!(setup.stage.hits(), 2);
}

#[tokio::test]
async fn a_uri_outside_the_issuers_registered_prefix_is_never_fetched() {
    let setup = Setup::new().await;
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
    let setup = Setup::new().await;
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
    let setup = Setup::new().await;
    setup.publish(&[], &setup.key);
    assert!(matches!(
        setup.status(5000).await,
        Err(StatusClientError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_revocation_is_seen_within_the_cache_period_when_the_ttl_is_longer() {
    let setup = Setup::new().await;
    setup.publish(&[], &setup.key);
    let first = setup.check(3).await.unwrap();
    assert_eq!(first.status, Status::Valid);
    // The record can state what the status was read from: the token's `iat`.
    assert_eq!((first.checked_at, first.list_issued_at), (T0, T0));

    setup.framework.clock.advance(10);
    setup.publish(&[(3, Status::Invalid)], &setup.key);
    let cached = setup.check(3).await.unwrap();
    assert_eq!(cached.status, Status::Valid, "cached");
    assert_eq!((cached.checked_at, cached.list_issued_at), (T0 + 10, T0));

    // The default cache period (60 s) ends long before the token's ttl (600 s).
    setup.framework.clock.set(T0 + 60);
    let fresh = setup.check(3).await.unwrap();
    assert_eq!(fresh.status, Status::Invalid);
    assert_eq!(fresh.list_issued_at, T0 + 10);
    assert_eq!(setup.stage.hits(), 2);
}

#[tokio::test]
async fn a_ttl_shorter_than_the_policys_minimum_is_honoured() {
    let setup = Setup::new().await;
    let ttl = 10;
    assert!(ttl < StatusPolicy::default().min_ttl);
    setup.publish_with_ttl(&[], &setup.key, ttl as u64);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    setup.publish_with_ttl(&[(3, Status::Suspended)], &setup.key, ttl as u64);
    setup.framework.clock.advance(ttl - 1);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid, "within ttl");
    setup.framework.clock.advance(1);
    assert_eq!(setup.status(3).await.unwrap(), Status::Suspended);
    assert_eq!(setup.stage.hits(), 2);
}

#[tokio::test]
async fn a_cache_period_of_zero_fetches_for_every_status() {
    let setup = Setup::with_cache_secs(0).await;
    setup.publish(&[], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Valid);
    setup.publish(&[(3, Status::Invalid)], &setup.key);
    assert_eq!(setup.status(3).await.unwrap(), Status::Invalid);
    assert_eq!(setup.stage.hits(), 2);
}
