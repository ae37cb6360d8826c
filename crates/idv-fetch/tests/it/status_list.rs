//! Status resolution: prefix rule, issuer key from the trust list, cache within ttl.

use std::sync::Arc;

use idv_fetch::{StatusClientError, StatusListClient, TrustListClient};
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
            StatusPolicy::default(),
            16,
        );
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
        let mut list = StatusListBuf::new(StatusBits::Two, 1024).unwrap();
        for &(idx, status) in entries {
            list.set(idx, status).unwrap();
        }
        let iat = self.framework.clock.now();
        let claims = token_claims(self.uri(), iat, Some(iat + DAY), Some(TTL), &list);
        let token = issue_token(&claims, key, None, None).unwrap();
        self.stage
            .set("status/1", Reply::Body("application/statuslist+jwt", token));
    }

    async fn status(&self, idx: u64) -> Result<Status, StatusClientError> {
        let list = self.trust.current().await.unwrap();
        let reference = StatusListReference {
            idx,
            uri: self.uri(),
        };
        self.statuses
            .status(&reference, ISS, &list)
            .await
            .map(|check| check.status)
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
    let setup = Setup::new().await;
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
