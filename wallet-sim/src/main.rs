//! `wallet-sim`: the citizen's wallet simulator (see `wallet-sim --help`).

use std::process::ExitCode;

use clap::Parser as _;
use wallet_sim::cli::{self, Cli};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Commands print their results; logs (stderr) only say what went wrong.
    idv_service_kit::telemetry::init("warn");
    ExitCode::from(cli::run(cli).await)
}
