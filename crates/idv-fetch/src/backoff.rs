//! Retry spacing after failed fetches: exponential, capped and jittered, so that a register or
//! status list endpoint that hangs or refuses is asked less and less often, and instances that
//! failed together do not retry together.

use idv_jose::Random;

/// Exponential back-off: the `n`th consecutive failure waits between half and all of
/// `min(cap, base × 2^(n-1))` seconds ("equal jitter"), drawn from the injected [`Random`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Seconds after the first failure (before jitter); at least 1.
    pub base_secs: i64,
    /// Longest wait, in seconds.
    pub cap_secs: i64,
}

impl Backoff {
    /// For the trust list: 5 s after the first failure, then 10, 20, … up to 5 minutes.
    pub const TRUST_LIST: Self = Self {
        base_secs: 5,
        cap_secs: 300,
    };

    /// For status lists: 2 s after the first failure, then 4, 8, … up to a minute.
    pub const STATUS_LIST: Self = Self {
        base_secs: 2,
        cap_secs: 60,
    };

    /// The un-jittered wait after `failures` consecutive failures (0 for none).
    pub fn ceiling(&self, failures: u32) -> i64 {
        if failures == 0 {
            return 0;
        }
        let base = self.base_secs.max(1);
        let cap = self.cap_secs.max(base);
        let doublings = failures.saturating_sub(1).min(32);
        base.saturating_mul(1_i64 << doublings).min(cap)
    }

    /// Seconds to wait after `failures` consecutive failures: in `[ceiling/2, ceiling]`.
    pub fn delay(&self, failures: u32, random: &dyn Random) -> i64 {
        let ceiling = self.ceiling(failures);
        let floor = ceiling / 2;
        let spread = u64::try_from(ceiling - floor).unwrap_or(0);
        floor + i64::try_from(idv_jose::random::below(random, spread + 1)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use idv_jose::random::DeterministicRandom;

    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_stay_within_half_and_whole() {
        let backoff = Backoff::TRUST_LIST;
        assert_eq!(
            (1..=8).map(|n| backoff.ceiling(n)).collect::<Vec<_>>(),
            [5, 10, 20, 40, 80, 160, 300, 300]
        );
        assert_eq!(backoff.ceiling(0), 0);
        assert_eq!(backoff.ceiling(u32::MAX), 300);
        let random = DeterministicRandom::new(7);
        let mut seen = std::collections::BTreeSet::new();
        for n in 1..=40 {
            let ceiling = backoff.ceiling(n);
            let delay = backoff.delay(n, &random);
            assert!((ceiling / 2..=ceiling).contains(&delay), "{n}: {delay}");
            seen.insert(delay);
        }
        assert!(seen.len() > 10, "jittered: {seen:?}");
    }
}
