//! `verifier`: the verifier service's binary (see `verifier --help`).

use std::process::ExitCode;

use clap::Parser as _;
use verifier::cli::{self, Cli};

/// mimalloc rather than glibc's allocator: fewer CPU cycles per request (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", cli::report(&error));
            ExitCode::FAILURE
        }
    }
}
