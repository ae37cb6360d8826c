//! Issuers' status lists, as a verifier (or wallet) resolves a credential's `status` claim:
//! the URI must lie under the issuer's registered status prefix (so a credential cannot aim
//! the verifier at another host), the token is fetched, verified with the issuer's key from
//! the trust list (the token's `kid`, per draft-ietf-oauth-status-list), and cached — never
//! beyond `max_entries` lists, and each for the shortest of: the token's own `ttl` from when it
//! was fetched (draft-ietf-oauth-status-list-20, "Verification and Processing": refresh when
//! `fetched_at + ttl < now`; never raised to [`StatusPolicy::min_ttl`] here), the client's
//! longest cache period ([`DEFAULT_CACHE_SECS`] unless set by
//! [`StatusListClient::with_cache_secs`]), and until `exp` (with [`StatusPolicy::max_ttl`], what
//! [`VerifiedStatusList::fresh_until`] says). So a revocation the issuer publishes reaches this
//! service's decisions within that period. Lookups are counted in
//! `idv_status_list_cache_hits_total` and `idv_status_list_cache_misses_total` (a miss fetches).

use std::collections::BTreeMap;
use std::sync::Arc;

use idv_jose::Clock;
use idv_jose::jws::UnverifiedJws;
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_proto::status_list::STATUS_LIST_TOKEN_TYP;
use idv_status_list::StatusListError;
use idv_status_list::codec::Status;
use idv_status_list::verify::{StatusPolicy, VerifiedStatusList, verify_status_list_token};
use idv_trust::TrustError;
use idv_trust::evaluate::{check_status_list_uri, find_issuer_key};
use idv_trust::list::VerifiedTrustList;
use tokio::sync::RwLock;

use crate::http::{FetchError, Fetcher};

/// Default number of status lists kept in memory.
pub const DEFAULT_MAX_ENTRIES: usize = 1024;

/// Default longest use of a fetched status list token, in seconds.
pub const DEFAULT_CACHE_SECS: i64 = 60;

/// The status of one credential and when it was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCheck {
    /// The status at the credential's index.
    pub status: Status,
    /// When this service resolved it (unix seconds).
    pub checked_at: i64,
    /// The `iat` of the status list token it was read from.
    pub list_issued_at: i64,
}

/// Why a status could not be established. The verifier must treat every one as "not valid".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatusClientError {
    /// The URI is not under the issuer's registered prefix, or the issuer key is unknown.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The token could not be fetched.
    #[error("status list fetch failed: {0}")]
    Fetch(#[from] FetchError),
    /// The token failed verification or the index is out of range.
    #[error("status list rejected: {0}")]
    Invalid(#[from] StatusListError),
    /// The fetched body is not text.
    #[error("status list token is not UTF-8")]
    NotText,
}

#[derive(Debug)]
struct Cached {
    list: Arc<VerifiedStatusList>,
    /// The issuer whose key verified it.
    iss: String,
    /// Until when (exclusive, Unix seconds) it may be used.
    until: i64,
}

/// Resolves statuses, fetching and caching status list tokens. Share it behind an `Arc`.
#[derive(Debug)]
pub struct StatusListClient {
    fetcher: Fetcher,
    clock: Arc<dyn Clock>,
    policy: StatusPolicy,
    max_entries: usize,
    cache_secs: i64,
    cache: RwLock<BTreeMap<String, Cached>>,
}

impl StatusListClient {
    /// A client verifying tokens under `policy` and caching at most `max_entries` lists, each
    /// for at most [`DEFAULT_CACHE_SECS`] seconds.
    pub fn new(
        fetcher: Fetcher,
        clock: Arc<dyn Clock>,
        policy: StatusPolicy,
        max_entries: usize,
    ) -> Self {
        Self {
            fetcher,
            clock,
            policy,
            max_entries: max_entries.max(1),
            cache_secs: DEFAULT_CACHE_SECS,
            cache: RwLock::new(BTreeMap::new()),
        }
    }

    /// Uses a fetched token for at most `secs` seconds (0: every status is fetched), and still
    /// never beyond its own `ttl` or `exp`.
    #[must_use]
    pub fn with_cache_secs(mut self, secs: i64) -> Self {
        self.cache_secs = secs.max(0);
        self
    }

    /// The status `reference` points to, for a credential issued by `iss` (already verified
    /// against `trust_list`).
    pub async fn status(
        &self,
        reference: &StatusListReference,
        iss: &str,
        trust_list: &VerifiedTrustList,
    ) -> Result<StatusCheck, StatusClientError> {
        check_status_list_uri(trust_list, iss, &reference.uri)?;
        let now = self.clock.now();
        let list = match self.cached(&reference.uri, iss, now).await {
            Some(list) => {
                metrics::counter!("idv_status_list_cache_hits_total").increment(1);
                list
            }
            None => {
                metrics::counter!("idv_status_list_cache_misses_total").increment(1);
                self.fetch(reference, iss, trust_list).await?
            }
        };
        Ok(StatusCheck {
            status: list.status(reference.idx)?,
            checked_at: now,
            list_issued_at: list.iat(),
        })
    }

    async fn cached(&self, uri: &str, iss: &str, now: i64) -> Option<Arc<VerifiedStatusList>> {
        let cache = self.cache.read().await;
        let cached = cache.get(uri)?;
        (cached.iss == iss && now < cached.until).then(|| Arc::clone(&cached.list))
    }

    async fn fetch(
        &self,
        reference: &StatusListReference,
        iss: &str,
        trust_list: &VerifiedTrustList,
    ) -> Result<Arc<VerifiedStatusList>, StatusClientError> {
        let fetched = self
            .fetcher
            .get(
                &reference.uri,
                &format!("application/{STATUS_LIST_TOKEN_TYP}"),
            )
            .await?;
        let token = std::str::from_utf8(&fetched.body).map_err(|_| StatusClientError::NotText)?;
        let token = token.trim();
        let kid = UnverifiedJws::parse(token)
            .map_err(StatusListError::from)?
            .header()
            .kid()
            .map(str::to_owned);
        let key = find_issuer_key(trust_list, iss, kid.as_deref())?;
        let list = Arc::new(verify_status_list_token(
            reference,
            token,
            key,
            self.clock.as_ref(),
            &self.policy,
        )?);
        let fetched_at = self.clock.now();
        let ttl = list
            .ttl()
            .map_or(i64::MAX, |ttl| i64::try_from(ttl).unwrap_or(i64::MAX));
        let until = list
            .fresh_until()
            .min(fetched_at.saturating_add(self.cache_secs))
            .min(fetched_at.saturating_add(ttl));
        let mut cache = self.cache.write().await;
        cache.retain(|_, cached| fetched_at < cached.until);
        if cache.len() >= self.max_entries {
            // Full of fresh lists: drop the one that goes stale first.
            if let Some(oldest) = cache
                .iter()
                .min_by_key(|(_, cached)| cached.until)
                .map(|(uri, _)| uri.clone())
            {
                cache.remove(&oldest);
            }
        }
        cache.insert(
            reference.uri.clone(),
            Cached {
                list: Arc::clone(&list),
                iss: iss.to_owned(),
                until,
            },
        );
        Ok(list)
    }
}
