//! One figure in a loop, for instruction counts: with `IDV_BENCH_PROFILE=<figure id>[:<calls>]`
//! the bench binary builds the world, runs the figure `calls` times (default 1,000) inside
//! [`profiled`] and exits, without criterion. Counted with
//!
//! ```text
//! IDV_BENCH_PROFILE=verify/rtw_check:1000 valgrind --tool=callgrind \
//!     --collect-atstart=no --toggle-collect='*profiled*' target/release/deps/federation-<hash>
//! ```
//!
//! callgrind counts instructions, not seconds: the same binary and input give the same count
//! whatever else the machine runs, so a change is judged by its count per call. The figure ids
//! are those of [`crate::ratios::Prepared::figures`].

use std::time::Instant;

use crate::fixtures::{CorpusCase, World};
use crate::ratios::Prepared;

/// Runs the figure `spec` names (`<id>[:<calls>]`) and prints its wall-clock time per call.
pub(crate) fn run(spec: &str) {
    let (id, calls) = match spec.rsplit_once(':') {
        Some((id, calls)) => (id, calls.parse().expect("IDV_BENCH_PROFILE=<id>[:<calls>]")),
        None => (spec, 1_000),
    };
    let world = World::build();
    let corpus = CorpusCase::load("sd-jwt-vc-examples/01");
    let prepared = Prepared::new(&world, &corpus);
    let figures = prepared.figures();
    let Some((_, _, figure)) = figures.iter().find(|(name, _, _)| *name == id) else {
        let names: Vec<&str> = figures.iter().map(|(name, _, _)| *name).collect();
        panic!("no figure {id:?}; figures: {names:?}");
    };
    let started = Instant::now();
    profiled(figure.as_ref(), calls);
    let per_call = started.elapsed() / u32::try_from(calls.max(1)).unwrap_or(u32::MAX);
    eprintln!("{id}: {calls} calls, {per_call:?} per call");
}

/// The measured loop: callgrind's `--toggle-collect` names it.
#[inline(never)]
fn profiled(figure: &dyn Fn(), calls: u64) {
    for _ in 0..calls {
        figure();
    }
}
