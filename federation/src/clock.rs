//! Clocks the services of a federation can be started on.

use std::sync::atomic::{AtomicI64, Ordering};

use idv_jose::{Clock, SystemClock};

/// The system clock moved by an adjustable offset: the demo dates the register's first
/// entries back (a provider is certified well before it issues) and then returns to the
/// present.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset: AtomicI64,
}

impl ShiftedClock {
    /// Sets the offset from the system clock, in seconds (negative: the past).
    pub fn set_offset(&self, seconds: i64) {
        self.offset.store(seconds, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> i64 {
        SystemClock.now() + self.offset.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_the_system_time() {
        let clock = ShiftedClock::default();
        clock.set_offset(-86_400);
        let shifted = clock.now();
        let now = SystemClock.now();
        assert!((now - 86_400 - 1..=now - 86_400).contains(&shifted));
    }
}
