//! `issuer`: a certified identity provider's credential issuer (see `issuer --help`).

use std::process::ExitCode;

use clap::Parser as _;
use issuer::cli::{self, Cli};

/// mimalloc rather than glibc's allocator: fewer CPU cycles per request (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    idv_service_kit::cli::run_main(cli::run(Cli::parse()))
}
