//! The federation's criterion benchmarks (issue #8), one binary so that every figure is
//! measured in the same run as the bound it is divided by. Method and results: BENCHMARKS.md.
//!
//! ```text
//! cargo bench --bench federation                       # everything, then the ratio table
//! cargo bench --bench federation -- 'bound|verify'     # a subset (ratios need the bound)
//! ```
//!
//! - [`bound`]: one ES256 verification per backend, and the least work of a presentation.
//! - [`presentation`]: our full in-process check of a right-to-work presentation, and
//!   idv-sdjwt against sd-jwt-rs 0.7.1 on the conformance corpus.
//! - [`issuance`], [`trust_list`], [`status_list`]: the other costs of the federation.
//! - [`report`]: reads back this run's medians and prints them as ratios to the bound.
//! - [`paired`], [`ratios`]: every figure again as a ratio to the bound measured in
//!   alternation with it, robust to a shared machine.
//! - [`profile`]: one figure in a loop, for instruction counts under callgrind
//!   (`IDV_BENCH_PROFILE=<figure id>[:<calls>]`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark fixtures fail loudly"
)]

mod bound;
mod fixtures;
mod issuance;
mod paired;
mod parts;
mod presentation;
mod profile;
mod ratios;
mod report;
mod status_list;
mod trust_list;

use criterion::Criterion;

use crate::fixtures::{CorpusCase, World};

fn main() {
    if let Some(spec) = std::env::var_os("IDV_BENCH_PROFILE") {
        profile::run(&spec.to_string_lossy());
        return;
    }
    let out = report::output_directory();
    let started = report::mark_start(&out);
    let mut c = Criterion::default().configure_from_args();

    let world = World::build();
    let corpus = CorpusCase::load("sd-jwt-vc-examples/01");
    report::describe(&world, &corpus);
    presentation::negative_corpus();

    bound::es256(&mut c, &world);
    bound::presentations(&mut c, &world, &corpus);
    presentation::rtw(&mut c, &world);
    presentation::corpus(&mut c, &corpus);
    parts::parts(&mut c, &world);
    issuance::issuance(&mut c, &world);
    trust_list::trust_list(&mut c, &world);
    status_list::status_list(&mut c, &world);

    c.final_summary();
    let ratios = ratios::measure(&world, &corpus, &|id| report::measured(&out, id, started));
    report::print(&out, started, &ratios);
}
