//! [`RateLimiter`]: one GCRA bucket per key (a client address, a tenant, an OpenID Connect
//! client), from the `governor` crate, and [`Throttled`], its refusal: `429 Too Many Requests`
//! with `Retry-After` (RFC 6585 §4; RFC 9110 §10.2.3).

use std::fmt;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use serde::{Deserialize, Serialize};

use crate::http::ApiError;

/// Every this many checks the limiter forgets the keys whose bucket has refilled, so that its
/// memory is bounded by the keys active within one refill period.
const PRUNE_EVERY: u64 = 1024;

/// A sustained rate with a burst: a bucket of `burst` requests that refills at `per_minute`
/// requests a minute. `{ per_minute = 60, burst = 20 }` lets 20 requests through at once, then
/// one a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Requests a minute, sustained (at least 1).
    pub per_minute: u32,
    /// Requests let through at once after a quiet period (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `per_minute` sustained, `burst` at once.
    pub const fn new(per_minute: u32, burst: u32) -> Self {
        Self { per_minute, burst }
    }

    /// The `governor` quota, or why there is none.
    fn quota(self) -> Result<governor::Quota, InvalidRate> {
        let per_minute = NonZeroU32::new(self.per_minute).ok_or(InvalidRate)?;
        let burst = NonZeroU32::new(self.burst).ok_or(InvalidRate)?;
        Ok(governor::Quota::per_minute(per_minute).allow_burst(burst))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/min (burst {})", self.per_minute, self.burst)
    }
}

/// A [`Rate`] with a zero in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a rate needs per_minute and burst of at least 1")]
pub struct InvalidRate;

/// A refused request: how long until the key's bucket holds one request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    retry_after: Duration,
}

impl Throttled {
    /// The wait as whole seconds for `Retry-After` (RFC 9110 §10.2.3: delay-seconds), rounded
    /// up and at least 1 so that a client honouring it is let through.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        let rounded = if self.retry_after.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs
        };
        rounded.max(1)
    }

    /// The 429 in the services' error format: `temporarily_unavailable` (RFC 6749 §4.1.2.1:
    /// "a temporary overloading") with `Retry-After`.
    pub fn into_api_error(self, what: &str) -> ApiError {
        let secs = self.retry_after_secs();
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            format!("too many requests {what}; retry after {secs} seconds"),
        )
        .with_retry_after(secs)
    }
}

type Keyed<K, C> = governor::RateLimiter<
    K,
    HashMapStateStore<K>,
    C,
    governor::middleware::NoOpMiddleware<<C as Clock>::Instant>,
>;

/// One GCRA bucket per key, all at the same [`Rate`]. Cheap to clone (shared state).
pub struct RateLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    inner: Arc<Keyed<K, C>>,
    checks: Arc<AtomicU64>,
    rate: Rate,
}

impl<K: Hash + Eq + Clone, C: Clock> Clone for RateLimiter<K, C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            checks: Arc::clone(&self.checks),
            rate: self.rate,
        }
    }
}

impl<K: Hash + Eq + Clone, C: Clock> fmt::Debug for RateLimiter<K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter at `rate` on the monotonic clock.
    pub fn new(rate: Rate) -> Result<Self, InvalidRate> {
        Self::with_clock(rate, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock> RateLimiter<K, C> {
    /// A limiter at `rate` on `clock` (tests pass `governor`'s fake clock).
    pub fn with_clock(rate: Rate, clock: C) -> Result<Self, InvalidRate> {
        Ok(Self {
            inner: Arc::new(governor::RateLimiter::hashmap_with_clock(
                rate.quota()?,
                clock,
            )),
            checks: Arc::new(AtomicU64::new(0)),
            rate,
        })
    }

    /// The rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Takes one request from `key`'s bucket, or says how long to wait.
    pub fn check(&self, key: &K) -> Result<(), Throttled> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.inner.retain_recent();
        }
        self.inner.check_key(key).map_err(|not_until| Throttled {
            retry_after: not_until.wait_time_from(self.inner.clock().now()),
        })
    }

    /// How many keys are remembered (those whose bucket is not full).
    pub fn tracked_keys(&self) -> usize {
        self.inner.retain_recent();
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_burst_is_let_through_then_one_request_per_interval() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(Rate::new(60, 3), clock.clone()).unwrap();
        for _ in 0..3 {
            assert!(limiter.check(&"a").is_ok());
        }
        let throttled = limiter.check(&"a").unwrap_err();
        assert_eq!(throttled.retry_after_secs(), 1);
        assert!(
            limiter.check(&"b").is_ok(),
            "another key has its own bucket"
        );
        clock.advance(Duration::from_millis(1000));
        assert!(limiter.check(&"a").is_ok());
        assert!(limiter.check(&"a").is_err());
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let at = |ms| Throttled {
            retry_after: Duration::from_millis(ms),
        };
        assert_eq!(at(0).retry_after_secs(), 1);
        assert_eq!(at(1).retry_after_secs(), 1);
        assert_eq!(at(1000).retry_after_secs(), 1);
        assert_eq!(at(1001).retry_after_secs(), 2);
    }

    #[test]
    fn refilled_buckets_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(Rate::new(60, 2), clock.clone()).unwrap();
        for key in 0..100_u32 {
            limiter.check(&key).unwrap();
        }
        assert_eq!(limiter.tracked_keys(), 100);
        clock.advance(Duration::from_secs(2));
        assert_eq!(limiter.tracked_keys(), 0);
    }

    #[test]
    fn a_zero_rate_is_refused() {
        assert_eq!(
            RateLimiter::<u32>::new(Rate::new(0, 1)).unwrap_err(),
            InvalidRate
        );
        assert!(RateLimiter::<u32>::new(Rate::new(1, 0)).is_err());
    }

    #[test]
    fn throttled_becomes_a_429_with_retry_after() {
        let error = Throttled {
            retry_after: Duration::from_millis(2500),
        }
        .into_api_error("from this address");
        assert_eq!(error.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.error(), "temporarily_unavailable");
        let response = axum::response::IntoResponse::into_response(error);
        assert_eq!(response.headers()["retry-after"], "3");
    }
}
