//! Paired measurement of a figure against the bound, robust to a shared machine.
//!
//! Criterion measures each figure in its own time window; on a 2-core machine shared with
//! builds, the load can change between two windows by more than the ratios we care about. Here
//! a figure and the bound run in alternation, in short rounds (order swapped every round), and
//! the ratio is taken within each round, where both saw the same load. The reported ratio is
//! the median over rounds.

use std::time::Instant;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Per-call time (ns) of `run`, from a few calls after a warm-up call.
fn per_call(run: &dyn Fn()) -> f64 {
    run();
    let started = Instant::now();
    let mut calls = 0u32;
    while calls < 3 || started.elapsed().as_micros() < 2_000 {
        run();
        calls += 1;
    }
    started.elapsed().as_nanos() as f64 / f64::from(calls)
}

/// Time of `calls` calls of `run`, per call (ns).
fn timed(run: &dyn Fn(), calls: u64) -> f64 {
    let started = Instant::now();
    for _ in 0..calls {
        run();
    }
    started.elapsed().as_nanos() as f64 / calls as f64
}

/// How many calls make a batch of about a quarter of a millisecond.
fn calls_for(ns: f64) -> u64 {
    ((250_000.0 / ns).ceil() as u64).clamp(1, 1_000_000)
}

/// The median over rounds of `subject`'s per-call time divided by the fastest of `bounds` in
/// the same round, and the median per-call time of `subject`. Each round runs a batch of each
/// (about 0.25 ms, or one call when a call takes longer), alternating which goes first; about
/// a second in all, and at least 11 rounds.
pub(crate) fn to_bound(bounds: &[&dyn Fn()], subject: &dyn Fn()) -> (f64, f64) {
    let bound_calls: Vec<u64> = bounds.iter().map(|b| calls_for(per_call(*b))).collect();
    let subject_ns = per_call(subject);
    let subject_calls = calls_for(subject_ns);
    let round_ns = subject_ns * subject_calls as f64 + 250_000.0 * bounds.len() as f64;
    let rounds = ((1e9 / round_ns) as usize).clamp(11, 1_000);
    let (mut ratios, mut times) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for round in 0..rounds {
        let mut subject_time = 0.0;
        if round % 2 == 1 {
            subject_time = timed(subject, subject_calls);
        }
        let bound = bounds
            .iter()
            .zip(&bound_calls)
            .map(|(b, calls)| timed(*b, *calls))
            .fold(f64::INFINITY, f64::min);
        if round % 2 == 0 {
            subject_time = timed(subject, subject_calls);
        }
        ratios.push(subject_time / bound);
        times.push(subject_time);
    }
    (median(&mut times), median(&mut ratios))
}
