//! Issuers' status lists, as a verifier (or wallet) resolves a credential's `status` claim:
//! the URI must lie under the issuer's registered status prefix (so a credential cannot aim
//! the verifier at another host), the token is fetched, verified with the issuer's key from
//! the trust list (the token's `kid`, per draft-ietf-oauth-status-list), and cached, never
//! beyond `max_entries` lists.
//!
//! A cached list is **fetched again** after the shortest of the client's cache period
//! ([`DEFAULT_CACHE_SECS`] unless set by [`StatusListClient::with_cache_secs`]) and the
//! token's own `ttl`, so a revocation the issuer publishes reaches this service's decisions
//! within that period. It **may be used** until the token's `ttl` from when it was fetched
//! (draft-ietf-oauth-status-list-20, "Verification and Processing": refresh when `fetched_at +
//! ttl < now`) and never after `exp` (with [`StatusPolicy::max_ttl`], what
//! [`VerifiedStatusList::fresh_until`] says). Between the two, a refetch that fails, or takes
//! longer than a short bound ([`DEFAULT_STALE_WAIT`] from its start), leaves the cached list in
//! use: an issuer endpoint that refuses or hangs costs a decision that bound at most. The
//! refetch runs in its own task to the fetcher's timeout, so a slow answer still refreshes the
//! cache. With no usable list a decision waits for the fetch (at most the fetcher's timeout)
//! and then fails closed.
//!
//! One fetch per list runs at a time; concurrent decisions wait for it (within the same
//! bounds). After a failed fetch the next one waits a [`Backoff`]: meanwhile a cached list
//! serves at once and, with none, the status is unavailable at once.
//!
//! Lookups are counted in `idv_status_list_cache_hits_total` (a cached list served at once) and
//! `idv_status_list_cache_misses_total` (a fetch started or waited for).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use idv_jose::jws::UnverifiedJws;
use idv_jose::{Clock, Random};
use idv_proto::sd_jwt_vc::status::StatusListReference;
use idv_proto::status_list::STATUS_LIST_TOKEN_TYP;
use idv_status_list::StatusListError;
use idv_status_list::codec::Status;
use idv_status_list::verify::{StatusPolicy, VerifiedStatusList, verify_status_list_token};
use idv_trust::TrustError;
use idv_trust::evaluate::{check_status_list_uri, find_issuer_key};
use idv_trust::list::VerifiedTrustList;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::http::{FetchError, Fetcher};

/// Default number of status lists kept in memory.
pub const DEFAULT_MAX_ENTRIES: usize = 1024;

/// Default period after which a fetched status list token is fetched again, in seconds.
pub const DEFAULT_CACHE_SECS: i64 = 60;

/// Longest a decision waits for a refetch while a usable cached list is held.
pub const DEFAULT_STALE_WAIT: Duration = Duration::from_secs(2);

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
    /// No usable list is cached and the last fetch failed: none is tried before `retry_at`.
    #[error("status list unavailable: the last fetch failed, the next is not before {retry_at}")]
    BackingOff {
        /// The earliest next attempt (Unix seconds).
        retry_at: i64,
    },
    /// No usable list is cached and the fetch under way ended without one.
    #[error("status list unavailable: the fetch under way brought none")]
    Unavailable,
}

/// A verified list and how long it serves.
#[derive(Debug, Clone)]
struct Cached {
    list: Arc<VerifiedStatusList>,
    /// The issuer whose key verified it.
    iss: String,
    /// From when (Unix seconds) it is fetched again before use.
    refresh_at: i64,
    /// Until when (exclusive, Unix seconds) it may be used at all.
    until: i64,
}

/// One status list URI: its cached list and its fetches.
#[derive(Debug, Default)]
struct Entry {
    cached: Option<Cached>,
    /// Consecutive failed fetches.
    failures: u32,
    /// No fetch before this time (Unix seconds).
    retry_at: i64,
    /// The fetch under way: its channel closes when it ends.
    in_flight: Option<watch::Receiver<()>>,
    /// Until when a decision holding a usable list waits for the fetch under way.
    stale_deadline: Option<Instant>,
}

/// What a decision does about one list.
enum Plan {
    /// Use this list.
    Use(Arc<VerifiedStatusList>),
    /// Wait for the fetch under way (until the deadline), then use what is cached.
    Wait(watch::Receiver<()>, Instant),
    /// Fetch, falling back to the usable cached list, if any.
    Fetch(Attempt, Option<Arc<VerifiedStatusList>>),
}

/// Resolves statuses, fetching and caching status list tokens. Share it behind an `Arc`.
#[derive(Debug)]
pub struct StatusListClient {
    fetcher: Fetcher,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    policy: StatusPolicy,
    max_entries: usize,
    cache_secs: i64,
    stale_wait: Duration,
    backoff: Backoff,
    entries: Arc<Mutex<BTreeMap<String, Entry>>>,
}

impl StatusListClient {
    /// A client verifying tokens under `policy` and caching at most `max_entries` lists, each
    /// fetched again after [`DEFAULT_CACHE_SECS`] seconds; its back-off jittered by `random`.
    pub fn new(
        fetcher: Fetcher,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        policy: StatusPolicy,
        max_entries: usize,
    ) -> Self {
        Self {
            fetcher,
            clock,
            random,
            policy,
            max_entries: max_entries.max(1),
            cache_secs: DEFAULT_CACHE_SECS,
            stale_wait: DEFAULT_STALE_WAIT,
            backoff: Backoff::STATUS_LIST,
            entries: Arc::default(),
        }
    }

    /// Fetches a cached token again after `secs` seconds (0: before every use), and never uses
    /// it beyond its own `ttl` or `exp`.
    #[must_use]
    pub fn with_cache_secs(mut self, secs: i64) -> Self {
        self.cache_secs = secs.max(0);
        self
    }

    /// Waits at most `wait` for a refetch while a usable cached list is held, instead of
    /// [`DEFAULT_STALE_WAIT`].
    #[must_use]
    pub fn with_stale_wait(mut self, wait: Duration) -> Self {
        self.stale_wait = wait;
        self
    }

    /// Spaces fetches of a list after failures by `backoff` instead of
    /// [`Backoff::STATUS_LIST`].
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The status `reference` points to, for a credential issued by `iss` (already verified
    /// against `trust_list`).
    pub async fn status(
        &self,
        reference: &StatusListReference,
        iss: &str,
        trust_list: &Arc<VerifiedTrustList>,
    ) -> Result<StatusCheck, StatusClientError> {
        check_status_list_uri(trust_list, iss, &reference.uri)?;
        let now = self.clock.now();
        let list = self.list(reference, iss, trust_list, now).await?;
        Ok(StatusCheck {
            status: list.status(reference.idx)?,
            checked_at: now,
            list_issued_at: list.iat(),
        })
    }

    /// The list to read `reference` from at `now` (see the module doc).
    async fn list(
        &self,
        reference: &StatusListReference,
        iss: &str,
        trust_list: &Arc<VerifiedTrustList>,
        now: i64,
    ) -> Result<Arc<VerifiedStatusList>, StatusClientError> {
        let plan = {
            let mut entries = self.entries();
            let entry = entries.entry(reference.uri.clone()).or_default();
            // The usable cached list and when it is due for a refetch.
            let usable = usable(entry, iss, now).map(|c| (Arc::clone(&c.list), c.refresh_at));
            match (usable, &entry.in_flight) {
                (Some((list, refresh_at)), _) if now < refresh_at => Plan::Use(list),
                (usable, Some(in_flight)) => Plan::Wait(
                    in_flight.clone(),
                    match (usable, entry.stale_deadline) {
                        (Some(_), Some(deadline)) => deadline,
                        _ => Instant::now() + self.fetcher.policy().timeout,
                    },
                ),
                (Some((list, _)), None) if now < entry.retry_at => Plan::Use(list),
                (None, None) if now < entry.retry_at => {
                    return Err(StatusClientError::BackingOff {
                        retry_at: entry.retry_at,
                    });
                }
                (usable, None) => {
                    let (done, in_flight) = watch::channel(());
                    entry.in_flight = Some(in_flight);
                    entry.stale_deadline = Some(Instant::now() + self.stale_wait);
                    Plan::Fetch(
                        Attempt {
                            uri: reference.uri.clone(),
                            entries: Arc::clone(&self.entries),
                            clock: Arc::clone(&self.clock),
                            random: Arc::clone(&self.random),
                            backoff: self.backoff,
                            max_entries: self.max_entries,
                            fetched: None,
                            _done: done,
                        },
                        usable.map(|(list, _)| list),
                    )
                }
            }
        };
        let counter = match plan {
            Plan::Use(_) => "idv_status_list_cache_hits_total",
            Plan::Wait(..) | Plan::Fetch(..) => "idv_status_list_cache_misses_total",
        };
        metrics::counter!(counter).increment(1);
        match plan {
            Plan::Use(list) => Ok(list),
            Plan::Wait(mut done, deadline) => {
                let _ = tokio::time::timeout_at(deadline, done.changed()).await;
                let mut entries = self.entries();
                let entry = entries.entry(reference.uri.clone()).or_default();
                usable(entry, iss, self.clock.now())
                    .map(|cached| Arc::clone(&cached.list))
                    .ok_or(StatusClientError::Unavailable)
            }
            Plan::Fetch(mut attempt, fallback) => {
                // The fetch runs in its own task, to its own timeout, and records its outcome
                // there: a decision holding a usable list stops waiting at the bound, and a
                // slow answer still refreshes the cache for the next one.
                let job = FetchJob {
                    fetcher: self.fetcher.clone(),
                    clock: Arc::clone(&self.clock),
                    policy: self.policy,
                    cache_secs: self.cache_secs,
                    reference: reference.clone(),
                    iss: iss.to_owned(),
                    trust_list: Arc::clone(trust_list),
                };
                let (answer, answered) = oneshot::channel();
                tokio::spawn(async move {
                    let result = job.run().await;
                    attempt.fetched = result.as_ref().ok().cloned();
                    drop(attempt);
                    let _ = answer.send(result.map(|cached| cached.list));
                });
                match fallback {
                    None => match answered.await {
                        Ok(result) => result,
                        Err(_) => Err(StatusClientError::Unavailable),
                    },
                    Some(list) => {
                        match tokio::time::timeout(self.stale_wait, answered).await {
                            Ok(Ok(Ok(fresh))) => return Ok(fresh),
                            Ok(Ok(Err(error))) => tracing::warn!(
                                %error,
                                "status list refetch failed; using the cached list within its ttl"
                            ),
                            _ => tracing::warn!(
                                "status list refetch slower than the bound; using the cached list within its ttl"
                            ),
                        }
                        Ok(list)
                    }
                }
            }
        }
    }

    fn entries(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        lock(&self.entries)
    }
}

/// One fetch of a status list, owning what it needs to run in its own task.
struct FetchJob {
    fetcher: Fetcher,
    clock: Arc<dyn Clock>,
    policy: StatusPolicy,
    cache_secs: i64,
    reference: StatusListReference,
    iss: String,
    trust_list: Arc<VerifiedTrustList>,
}

impl FetchJob {
    /// Fetches and verifies the token; what it is cached as.
    async fn run(self) -> Result<Cached, StatusClientError> {
        let reference = &self.reference;
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
        let key = find_issuer_key(&self.trust_list, &self.iss, kid.as_deref())?;
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
        let until = list.fresh_until().min(fetched_at.saturating_add(ttl));
        let refresh_at = until.min(fetched_at.saturating_add(self.cache_secs));
        Ok(Cached {
            list,
            iss: self.iss,
            refresh_at,
            until,
        })
    }
}

/// The entry's cached list if it may serve `iss` at `now`.
fn usable<'a>(entry: &'a Entry, iss: &str, now: i64) -> Option<&'a Cached> {
    entry
        .cached
        .as_ref()
        .filter(|cached| cached.iss == iss && now < cached.until)
}

fn lock(entries: &Mutex<BTreeMap<String, Entry>>) -> MutexGuard<'_, BTreeMap<String, Entry>> {
    // The map stays consistent whatever panicked while holding it.
    entries.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One fetch of a list under way. When dropped (done, failed, or abandoned at its bound) it
/// records the outcome: the fetched list cached, or a failure and the back-off; then it closes
/// its channel, waking whoever waits for it.
struct Attempt {
    uri: String,
    entries: Arc<Mutex<BTreeMap<String, Entry>>>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    backoff: Backoff,
    max_entries: usize,
    /// Set when the fetch brought a list.
    fetched: Option<Cached>,
    _done: watch::Sender<()>,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let now = self.clock.now();
        let mut entries = lock(&self.entries);
        let entry = entries.entry(self.uri.clone()).or_default();
        entry.in_flight = None;
        entry.stale_deadline = None;
        match self.fetched.take() {
            Some(cached) => {
                entry.cached = Some(cached);
                entry.failures = 0;
                entry.retry_at = 0;
            }
            None => {
                entry.failures = entry.failures.saturating_add(1);
                entry.retry_at =
                    now.saturating_add(self.backoff.delay(entry.failures, self.random.as_ref()));
            }
        }
        // Forget what can no longer serve, wait or hold anyone back.
        entries.retain(|_, entry| {
            entry.in_flight.is_some()
                || now < entry.retry_at
                || entry
                    .cached
                    .as_ref()
                    .is_some_and(|cached| now < cached.until)
        });
        while entries.len() > self.max_entries {
            // Full: drop the idle entry that stops serving first (never this one).
            let Some(oldest) = entries
                .iter()
                .filter(|(uri, entry)| entry.in_flight.is_none() && **uri != self.uri)
                .min_by_key(|(_, entry)| entry.cached.as_ref().map_or(i64::MIN, |c| c.until))
                .map(|(uri, _)| uri.clone())
            else {
                break;
            };
            entries.remove(&oldest);
        }
    }
}
