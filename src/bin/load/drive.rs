//! The timed part: workers running complete right-to-work checks until the count is reached
//! or the time is up.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use federated_idv::citizen::Citizen;
use federated_idv::employer::{CheckResult, Employer};
use federated_idv::launch::report;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Pause between two polls of a check's result.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// What the run measured.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// End-to-end latency of every compliant check.
    pub(crate) latencies: Vec<Duration>,
    /// Failed checks, by kind (`step: detail`).
    pub(crate) errors: BTreeMap<String, usize>,
    /// Checks in flight when `--max-seconds` ran out.
    pub(crate) cut_off: usize,
    /// Checks started.
    pub(crate) started: usize,
    /// From the first check started to the last one ended.
    pub(crate) elapsed: Duration,
}

impl Outcome {
    /// Checks that completed compliant.
    pub(crate) fn completed(&self) -> usize {
        self.latencies.len()
    }
}

/// Runs up to `checks` checks, `concurrency` at once (each worker a task of its own), starting
/// none after `max`; checks still running at `max` are cut off.
pub(crate) async fn run(
    employer: &Employer,
    citizen: &Arc<Citizen>,
    checks: usize,
    concurrency: usize,
    max: Duration,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + max;
    let next = Arc::new(AtomicUsize::new(0));
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (employer, citizen) = (employer.clone(), citizen.clone());
        let (next, outcome) = (next.clone(), outcome.clone());
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < checks && Instant::now() < deadline {
                let began = Instant::now();
                let result =
                    tokio::time::timeout_at(deadline, one_check(&employer, &citizen)).await;
                let latency = began.elapsed();
                let mut outcome = outcome.lock().await;
                outcome.started += 1;
                match result {
                    Ok(Ok(())) => outcome.latencies.push(latency),
                    Ok(Err(kind)) => *outcome.errors.entry(kind).or_default() += 1,
                    Err(_) => outcome.cut_off += 1,
                }
            }
        });
    }
    let mut panicked = 0;
    while let Some(joined) = workers.join_next().await {
        if joined.is_err() {
            panicked += 1;
        }
    }
    let mut outcome = std::mem::take(&mut *outcome.lock().await);
    if panicked > 0 {
        outcome
            .errors
            .insert("load worker panicked".into(), panicked);
    }
    outcome.elapsed = start.elapsed();
    outcome
}

/// One complete check: created, answered by the wallet, its result read until it ended; a
/// failure is its kind, as counted in the report.
async fn one_check(employer: &Employer, citizen: &Citizen) -> Result<(), String> {
    let failed = |step: &str, error: &dyn std::error::Error| {
        format!("{step}: {}", first_words(&report(error)))
    };
    let created = employer
        .create_check("right_to_work")
        .await
        .map_err(|e| failed("create check", &e))?;
    let prepared = citizen
        .open_request(&created.wallet_url)
        .await
        .map_err(|e| failed("wallet: open request", &e))?;
    citizen
        .answer(prepared, true)
        .await
        .map_err(|e| failed("wallet: respond", &e))?;
    let result = wait(employer, &created.id)
        .await
        .map_err(|e| failed("poll result", &e))?;
    match (result.state.as_str(), result.compliant) {
        ("completed", Some(true)) => Ok(()),
        (state, _) => Err(format!(
            "check {state}: {}",
            result.reason_codes().join(",")
        )),
    }
}

/// Polls the check until it has ended (the caller bounds the time).
async fn wait(
    employer: &Employer,
    check_id: &str,
) -> Result<CheckResult, federated_idv::api::CallError> {
    loop {
        let result = employer.check(check_id).await?;
        if result.is_finished() {
            return Ok(result);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
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
