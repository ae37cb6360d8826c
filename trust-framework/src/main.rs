//! `trust-framework`: the register operator's binary (see `trust-framework --help`).

use std::process::ExitCode;

use clap::Parser as _;
use trust_framework::cli::{self, Cli};

/// mimalloc rather than glibc's allocator: fewer CPU cycles per request (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    idv_service_kit::cli::run_main(cli::run(Cli::parse()))
}
