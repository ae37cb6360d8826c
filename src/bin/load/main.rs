//! `load`: N concurrent complete right-to-work checks over HTTP against a running verifier
//! (`cargo run --release --bin load -- --checks 500 --concurrency 16 --max-seconds 120`).
//!
//! Setup (not timed): the trust framework, the issuer and the verifier start as child
//! processes of their release binaries on 127.0.0.1 (SQLite files, or PostgreSQL databases
//! created for the run and dropped after it), the provider and an employer go on the register,
//! and a citizen's wallet (the wallet-sim library, in this process) receives one batch of
//! identity credentials through the real issuer. The wallet presents its copies again once
//! each has been presented (it warns about linkability; irrelevant to load).
//!
//! Timed, per check: the employer's `POST /v1/checks`; the wallet fetches and authenticates
//! the request object, builds the SD-JWT+KB presentation and posts it encrypted
//! (`direct_post.jwt`); the employer polls `GET /v1/checks/{id}` until the check has ended.
//! Reported: checks completed, errors by kind, throughput, p50/p95/p99 latency, the
//! verifier's peak RSS (`VmHWM`), and the ratio of throughput to what the verifier's own
//! cryptography for one check allows on two cores.

mod crypto;
mod drive;
mod setup;
mod stats;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Which database the services use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DatabaseKind {
    /// A SQLite file per service in a temporary directory.
    Sqlite,
    /// A PostgreSQL database per service, created for the run and dropped after it.
    Postgres,
}

/// Load command for the verifier.
#[derive(Debug, Parser)]
#[command(
    name = "load",
    version,
    about = "Concurrent complete right-to-work checks against a verifier on 127.0.0.1: throughput, latency percentiles, errors, the verifier's peak RSS"
)]
struct Args {
    /// Checks to run in total.
    #[arg(long, default_value_t = 500)]
    checks: usize,
    /// Checks in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Stop starting checks after this many seconds; checks still running then are cut off.
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// The services' database.
    #[arg(long, value_enum, default_value_t = DatabaseKind::Sqlite)]
    database: DatabaseKind,
    /// PostgreSQL server URL used to create the run's databases (default: IDV_TEST_POSTGRES_URL,
    /// then DATABASE_URL, then postgres://postgres@127.0.0.1:5432/postgres).
    #[arg(long, value_name = "URL")]
    postgres_url: Option<String>,
    /// Iterations of each cryptographic primitive for the per-check crypto time.
    #[arg(long, default_value_t = 200)]
    crypto_iterations: usize,
}

/// Why the run stopped.
#[derive(Debug)]
struct Failure(String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(federated_idv::launch::report(&error))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    idv_service_kit::telemetry::init("warn");
    if args.checks == 0 || args.concurrency == 0 || args.max_seconds == 0 {
        eprintln!("load: --checks, --concurrency and --max-seconds must be positive");
        return ExitCode::FAILURE;
    }
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("\nload failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), Failure> {
    let database = match args.database {
        DatabaseKind::Sqlite => setup::Backend::Sqlite,
        DatabaseKind::Postgres => setup::Backend::Postgres {
            server: setup::postgres_server(args.postgres_url.as_deref()),
        },
    };
    println!(
        "load: {} right-to-work checks, {} at once, at most {} s, on {}",
        args.checks,
        args.concurrency,
        args.max_seconds,
        database.name()
    );
    let mut world = setup::World::start(database).await?;
    let pid = world
        .verifier_pid()
        .map_or_else(|| "?".to_owned(), |p| p.to_string());
    println!(
        "setup: verifier at {} (pid {pid}), wallet holds {} copies of the identity credential (presented again in turn)",
        world.verifier_url(),
        world.copies
    );

    let outcome = drive::run(
        &world.employer,
        &world.citizen,
        args.checks,
        args.concurrency,
        Duration::from_secs(args.max_seconds),
    )
    .await;
    let verifier_peak = world.verifier_pid().and_then(stats::peak_rss_kib);
    let own_peak = stats::peak_rss_kib(std::process::id());
    world.stop().await;

    let crypto = crypto::per_check(args.crypto_iterations)?;
    stats::print(&outcome, verifier_peak, own_peak, &crypto);
    if outcome.completed() == 0 {
        return Err(Failure("no check completed".into()));
    }
    Ok(())
}
