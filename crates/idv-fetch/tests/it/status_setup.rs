//! What the status list tests and the fault tests share: an issuer registered with the
//! operator, publishing its status list on a stage, a trust list client pinning the operator,
//! and a status list client on the operator's clock.

use std::sync::Arc;

use idv_fetch::{StatusCheck, StatusClientError, StatusListClient, TrustListClient};
use idv_jose::{Clock, SigningKey};
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_status_list::codec::{Status, StatusBits, StatusListBuf};
use idv_status_list::token::{issue_token, token_claims};

use crate::helpers::{DAY, MemoryStore, Reply, Stage, client};
use crate::operator::Operator;

/// The issuer's `iss`.
pub(crate) const ISS: &str = "https://idsp.example";
/// The `ttl` of the status list tokens published.
pub(crate) const TTL: u64 = 600;

pub(crate) struct StatusSetup {
    pub(crate) operator: Operator,
    pub(crate) stage: Stage,
    pub(crate) address: String,
    /// The issuer's registered key.
    pub(crate) key: SigningKey,
    pub(crate) trust: TrustListClient,
    pub(crate) statuses: StatusListClient,
}

impl StatusSetup {
    /// Nothing published yet; the status list client as `statuses` makes it with a clock.
    pub(crate) async fn new(statuses: impl FnOnce(Arc<dyn Clock>) -> StatusListClient) -> Self {
        let operator = Operator::start().await;
        let (stage, address) = Stage::start().await;
        let key = SigningKey::generate().unwrap();
        operator.add_issuer(ISS, &key, &format!("{address}/status/"));
        let trust = client(
            &operator,
            operator.trust_list_url(),
            &MemoryStore::default(),
        );
        let statuses = statuses(Arc::clone(&operator.clock) as Arc<dyn Clock>);
        Self {
            operator,
            stage,
            address,
            key,
            trust,
            statuses,
        }
    }

    /// The URI of list 1.
    pub(crate) fn uri(&self) -> String {
        format!("{}/status/1", self.address)
    }

    /// Publishes list 1 with the given (index, status) pairs, signed with `key`.
    pub(crate) fn publish(&self, entries: &[(u64, Status)], key: &SigningKey) {
        self.publish_with_ttl(entries, key, TTL);
    }

    /// Publishes list 1 with a token `ttl`.
    pub(crate) fn publish_with_ttl(&self, entries: &[(u64, Status)], key: &SigningKey, ttl: u64) {
        let mut list = StatusListBuf::new(StatusBits::Two, 1024).unwrap();
        for &(idx, status) in entries {
            list.set(idx, status).unwrap();
        }
        let iat = self.operator.clock.now();
        let claims = token_claims(self.uri(), iat, Some(iat + DAY), Some(ttl), &list);
        let token = issue_token(&claims, key, None, None).unwrap();
        self.stage
            .set("status/1", Reply::Body("application/statuslist+jwt", token));
    }

    /// The status at `idx` of list 1.
    pub(crate) async fn status(&self, idx: u64) -> Result<Status, StatusClientError> {
        self.check(idx).await.map(|check| check.status)
    }

    /// The status check at `idx` of list 1, on the trust list held.
    pub(crate) async fn check(&self, idx: u64) -> Result<StatusCheck, StatusClientError> {
        let list = self.trust.current().await.unwrap();
        let reference = StatusListReference {
            idx,
            uri: self.uri(),
        };
        self.statuses.status(&reference, ISS, &list).await
    }
}
