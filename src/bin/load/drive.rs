//! The timed part: operations (a complete check, or the redemption of an offer) run either in
//! a closed loop (`concurrency` workers, each starting its next operation when the last one
//! ends: the peak throughput) or in an open loop (operations started at a fixed rate whatever
//! happens to those in flight: the latency at a given load, measured from each operation's
//! scheduled start so that a stalled server cannot hide its own queueing).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

/// One operation: `Ok(units)` (checks or credentials it completed) or the kind of its failure.
pub(crate) type Operation =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<u64, String>> + Send>> + Send + Sync>;

/// What a loop measured.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Latency of every operation that succeeded.
    pub(crate) latencies: Vec<Duration>,
    /// Units completed by the operations that succeeded.
    pub(crate) units: u64,
    /// Failed operations, by kind.
    pub(crate) errors: BTreeMap<String, usize>,
    /// Operations in flight when the time ran out.
    pub(crate) cut_off: usize,
    /// Operations started.
    pub(crate) started: usize,
    /// From the first operation started to the last one ended.
    pub(crate) elapsed: Duration,
    /// Open loop: operations not started because `max_in_flight` were already running.
    pub(crate) shed: usize,
    /// Open loop: the latest an operation started after its scheduled time.
    pub(crate) max_start_lag: Duration,
}

impl Outcome {
    /// Operations that succeeded.
    pub(crate) fn succeeded(&self) -> usize {
        self.latencies.len()
    }

    /// Units per second over the run.
    pub(crate) fn throughput(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.units as f64 / seconds
        } else {
            0.0
        }
    }

    fn record(&mut self, result: Option<Result<u64, String>>, latency: Duration) {
        self.started += 1;
        match result {
            Some(Ok(units)) => {
                self.latencies.push(latency);
                self.units += units;
            }
            Some(Err(kind)) => *self.errors.entry(first_words(&kind)).or_default() += 1,
            None => self.cut_off += 1,
        }
    }
}

/// Runs up to `total` operations, `concurrency` at once, starting none after `max`; those
/// still running at `max` are cut off.
pub(crate) async fn closed_loop(
    operation: Operation,
    total: usize,
    concurrency: usize,
    max: Duration,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + max;
    let next = Arc::new(AtomicUsize::new(0));
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (operation, next, outcome) = (operation.clone(), next.clone(), outcome.clone());
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total && Instant::now() < deadline {
                let began = Instant::now();
                let result = tokio::time::timeout_at(deadline, operation()).await.ok();
                let latency = began.elapsed();
                outcome.lock().await.record(result, latency);
            }
        });
    }
    finish(workers, outcome, start).await
}

/// Starts `total` operations at `rate` per second (the `i`-th at `i / rate` seconds), none
/// after `max`, at most `max_in_flight` at once (an operation due when that many are running
/// is shed and counted). Latency runs from each operation's scheduled start.
pub(crate) async fn open_loop(
    operation: Operation,
    total: usize,
    rate: f64,
    max: Duration,
    max_in_flight: usize,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + max;
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let in_flight = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut max_start_lag = Duration::ZERO;
    let mut shed = 0;
    for i in 0..total {
        let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
        if scheduled >= deadline {
            break;
        }
        tokio::time::sleep_until(scheduled).await;
        max_start_lag = max_start_lag.max(scheduled.elapsed());
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            shed += 1;
            continue;
        };
        let (operation, outcome) = (operation.clone(), outcome.clone());
        tasks.spawn(async move {
            let result = tokio::time::timeout_at(deadline, operation()).await.ok();
            let latency = scheduled.elapsed();
            drop(permit);
            outcome.lock().await.record(result, latency);
        });
    }
    let mut outcome = finish(tasks, outcome, start).await;
    outcome.shed = shed;
    outcome.max_start_lag = max_start_lag;
    outcome
}

async fn finish(
    mut tasks: tokio::task::JoinSet<()>,
    outcome: Arc<Mutex<Outcome>>,
    start: Instant,
) -> Outcome {
    let mut panicked = 0;
    while let Some(joined) = tasks.join_next().await {
        if joined.is_err() {
            panicked += 1;
        }
    }
    let mut outcome = std::mem::take(&mut *outcome.lock().await);
    if panicked > 0 {
        outcome.errors.insert("load task panicked".into(), panicked);
    }
    outcome.elapsed = start.elapsed();
    outcome
}

/// An error's kind for counting: its text without ids, at most 100 characters.
fn first_words(text: &str) -> String {
    let mut kind: String = text
        .split_whitespace()
        .map(|word| {
            if word.len() > 20 && word.chars().any(|c| c.is_ascii_digit()) {
                "…"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if kind.len() > 100 {
        let mut end = 100;
        while !kind.is_char_boundary(end) {
            end -= 1;
        }
        kind.truncate(end);
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(units: u64, fail_every: usize) -> Operation {
        let calls = Arc::new(AtomicUsize::new(0));
        Arc::new(move || {
            let n = calls.fetch_add(1, Ordering::Relaxed);
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                if fail_every > 0 && n % fail_every == fail_every - 1 {
                    Err(format!(
                        "refused: request 0123456789abcdef0123456789{n} is unknown"
                    ))
                } else {
                    Ok(units)
                }
            })
        })
    }

    #[tokio::test]
    async fn a_closed_loop_runs_exactly_the_count_and_sorts_failures_by_kind() {
        let outcome = closed_loop(counting(10, 4), 20, 3, Duration::from_secs(30)).await;
        assert_eq!(outcome.started, 20);
        assert_eq!(outcome.succeeded(), 15);
        assert_eq!(outcome.units, 150);
        // The ids are masked, so the five failures are one kind.
        assert_eq!(
            outcome.errors,
            BTreeMap::from([("refused: request … is unknown".to_owned(), 5)])
        );
    }

    #[tokio::test]
    async fn an_open_loop_starts_at_the_rate_and_sheds_beyond_its_cap() {
        let outcome = open_loop(counting(1, 0), 40, 400.0, Duration::from_secs(30), 64).await;
        assert_eq!(outcome.started, 40);
        assert_eq!(outcome.units, 40);
        // 40 operations at 400/s take at least 97.5 ms to start.
        assert!(outcome.elapsed >= Duration::from_millis(97), "{outcome:?}");

        let slow: Operation = Arc::new(|| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok(1)
            })
        });
        let outcome = open_loop(slow, 10, 1000.0, Duration::from_secs(30), 4).await;
        assert_eq!((outcome.started, outcome.shed), (4, 6));
    }
}
