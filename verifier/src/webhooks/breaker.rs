//! A circuit breaker per webhook host (per instance, in memory): after `threshold` failures in
//! a row (no answer, a timeout, a 5xx or 429) the host is *open* for `open_secs`: its events
//! are not sent but rescheduled (an attempt that counts, recorded as `circuit open`). Then one
//! attempt is let through (*half-open*): success closes the breaker, failure opens it again.
//! A failing host costs no connection slots and no waiting for its own timeouts meanwhile.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// One host's record.
#[derive(Debug, Clone, Copy, Default)]
struct HostState {
    /// Failures in a row.
    failures: u32,
    /// Open until then (Unix seconds); 0 when closed.
    open_until: i64,
    /// The half-open trial is under way.
    trial: bool,
}

/// What the breaker says about a host now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send.
    Closed,
    /// Send: the one trial after the open period.
    Trial,
    /// Do not send before this time (Unix seconds).
    OpenUntil(i64),
}

/// The breakers of every host this instance sends to.
#[derive(Debug)]
pub struct Breakers {
    threshold: u32,
    open_secs: i64,
    hosts: Mutex<BTreeMap<String, HostState>>,
}

impl Breakers {
    /// Breakers opening after `threshold` failures in a row, for `open_secs`.
    pub fn new(threshold: u32, open_secs: i64) -> Self {
        Self {
            threshold,
            open_secs,
            hosts: Mutex::default(),
        }
    }

    /// Whether an attempt to `host` may start at `now` (a trial is taken by the caller).
    pub fn admit(&self, host: &str, now: i64) -> Admission {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(state) = hosts.get_mut(host) else {
            return Admission::Closed;
        };
        if state.open_until == 0 {
            return Admission::Closed;
        }
        if now < state.open_until || state.trial {
            return Admission::OpenUntil(state.open_until.max(now + 1));
        }
        state.trial = true;
        Admission::Trial
    }

    /// Records an attempt's end: `healthy` when the host answered other than 5xx or 429.
    /// Returns true when this opened the breaker.
    pub fn record(&self, host: &str, healthy: bool, now: i64) -> bool {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if healthy {
            hosts.remove(host);
            return false;
        }
        let state = hosts.entry(host.to_owned()).or_default();
        state.failures = state.failures.saturating_add(1);
        let reopen = state.trial || (state.open_until == 0 && state.failures >= self.threshold);
        state.trial = false;
        if reopen {
            state.open_until = now + self.open_secs;
        }
        reopen
    }

    /// Forgets a trial that never ran (the event could not be claimed).
    pub fn release_trial(&self, host: &str) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = hosts.get_mut(host) {
            state.trial = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_then_lets_one_trial_through() {
        let breakers = Breakers::new(3, 60);
        for _ in 0..2 {
            assert!(!breakers.record("a:443", false, 100));
        }
        assert_eq!(breakers.admit("a:443", 100), Admission::Closed);
        assert!(breakers.record("a:443", false, 100));
        assert_eq!(breakers.admit("a:443", 120), Admission::OpenUntil(160));
        assert_eq!(
            breakers.admit("b:443", 120),
            Admission::Closed,
            "other hosts"
        );
        assert_eq!(breakers.admit("a:443", 160), Admission::Trial);
        assert_eq!(breakers.admit("a:443", 160), Admission::OpenUntil(161));
        // The trial fails: open again.
        assert!(breakers.record("a:443", false, 161));
        assert_eq!(breakers.admit("a:443", 170), Admission::OpenUntil(221));
        assert_eq!(breakers.admit("a:443", 221), Admission::Trial);
        breakers.record("a:443", true, 222);
        assert_eq!(breakers.admit("a:443", 222), Admission::Closed);
    }
}
