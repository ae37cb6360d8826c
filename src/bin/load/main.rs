//! `load`: complete right-to-work checks, or credential issuance, over HTTP against the real
//! services on 127.0.0.1 (`cargo run --release --bin load -- --help`).
//!
//! Setup (not timed): the trust framework, the issuer and the verifier start as child
//! processes of their release binaries (SQLite files, or PostgreSQL databases created for the
//! run and dropped after it), the provider and an employer go on the register, and the
//! provider records a proofed citizen (with a 3,000-byte portrait).
//!
//! **Checks** (the default). Per check: the employer's `POST /v1/checks`; the wallet fetches
//! the request object, presents the credential with a fresh Key Binding JWT and posts it
//! encrypted (`direct_post.jwt`); the employer polls `GET /v1/checks/{id}` until it has ended.
//! The wallet is the light client of [`vp`] (credentials issued to it over OpenID4VCI during
//! setup) or, with `--client wallet-sim`, the full wallet-sim library.
//!
//! **Issuance** (`--issuance`). Offers are created during setup; per operation the light
//! client of [`vci`] redeems one (offer, token, nonce, credential request with `--batch`
//! proofs), and the issuer verifies every proof and signs every credential. One credential of
//! each batch is verified after the run.
//!
//! **Loops.** Closed (default): `--concurrency` operations at once, the peak throughput. Open
//! (`--rate N`): operations started at N units per second, latency from each one's scheduled
//! start. `--rate-of-peak F` runs the closed loop, then the open loop at F × its throughput
//! (the target's p99 at 80 % of the peak).
//!
//! Reported per loop: units completed, errors by kind, throughput, latency percentiles, the
//! CPU time per unit of the service under test, of the other services and of this process
//! (from `/proc/<pid>/stat`), and two ratios to what the service's own cryptography allows
//! (timed here, [`crypto`]): wall clock (throughput ÷ (2 cores ÷ crypto per unit)), and CPU
//! (crypto per unit ÷ the service's CPU per unit: the load generator's CPU accounted for).
//! Then the services' peak RSS.

mod cpu;
mod crypto;
mod drive;
mod setup;
mod stats;
mod vci;
mod vp;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use federated_idv::citizen::Citizen;
use federated_idv::employer::{CheckResult, Employer};
use idv_federation::child::ProcessEnv;
use idv_jose::SigningKey;
use tokio::sync::Mutex;

use crate::drive::{Operation, Outcome};
use crate::setup::{Pids, World};
use crate::stats::{Phase, Work};
use crate::vci::{Issuer, Offer};
use crate::vp::LightWallet;

/// Which database the services use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DatabaseKind {
    /// A SQLite file per service in a temporary directory.
    Sqlite,
    /// A PostgreSQL database per service, created for the run and dropped after it.
    Postgres,
}

/// Which wallet answers the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClientKind {
    /// The light OpenID4VP client: per check one request object fetch, one KB-JWT signature,
    /// one encryption, one post.
    Light,
    /// The wallet-sim library: also authenticates the request and its relying party.
    WalletSim,
}

/// Load command for the verifier and the issuer.
#[derive(Debug, Parser)]
#[command(
    name = "load",
    version,
    about = "Complete right-to-work checks, or credential issuance, against the services on 127.0.0.1: throughput, latency percentiles, errors, CPU per unit of work, peak RSS"
)]
struct Args {
    /// Checks (or, with --issuance, credentials) per loop.
    #[arg(long, default_value_t = 500)]
    checks: usize,
    /// Operations in flight at once in the closed loop.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Stop starting operations after this many seconds per loop; those still running then
    /// are cut off.
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// Open loop only: start checks (or credentials) at this many per second.
    #[arg(long, value_name = "PER_SECOND", conflicts_with = "rate_of_peak")]
    rate: Option<f64>,
    /// Closed loop, then an open loop at this fraction of its throughput (e.g. 0.8).
    #[arg(long, value_name = "FRACTION")]
    rate_of_peak: Option<f64>,
    /// Most operations in flight in the open loop (more are shed and counted).
    #[arg(long, default_value_t = 2048)]
    max_in_flight: usize,
    /// Issue credentials instead of running checks.
    #[arg(long)]
    issuance: bool,
    /// Proofs (credentials) per credential request with --issuance (the issuer's batch_size
    /// is 10).
    #[arg(long, default_value_t = 10)]
    batch: usize,
    /// The wallet answering the checks.
    #[arg(long, value_enum, default_value_t = ClientKind::Light)]
    client: ClientKind,
    /// After the checks, the verifier's floor per request, in closed loops of 10 × --checks
    /// requests each: a bare `GET /healthz`, and `GET /v1/checks/{id}` of an open check (API key
    /// lookup and one check read).
    #[arg(long, conflicts_with = "issuance")]
    floor: bool,
    /// The services' database.
    #[arg(long, value_enum, default_value_t = DatabaseKind::Sqlite)]
    database: DatabaseKind,
    /// PostgreSQL server URL used to create the run's databases (default: IDV_TEST_POSTGRES_URL,
    /// then DATABASE_URL, then postgres://postgres@127.0.0.1:5432/postgres).
    #[arg(long, value_name = "URL")]
    postgres_url: Option<String>,
    /// Iterations of each cryptographic primitive for the per-unit crypto time.
    #[arg(long, default_value_t = 200)]
    crypto_iterations: usize,
    /// A setting for the verifier, as its `IDV_*` variable (repeatable), e.g.
    /// `IDV_DATABASE__MAX_CONNECTIONS=4`, or `TOKIO_WORKER_THREADS=N` (its runtime's threads).
    #[arg(long, value_name = "NAME=VALUE", value_parser = setting)]
    verifier_env: Vec<(String, String)>,
    /// A setting for the issuer, as its `IDV_*` variable or `TOKIO_WORKER_THREADS` (repeatable).
    #[arg(long, value_name = "NAME=VALUE", value_parser = setting)]
    issuer_env: Vec<(String, String)>,
}

/// `NAME=VALUE` with an `IDV_` name or `TOKIO_WORKER_THREADS` (read by `#[tokio::main]`).
fn setting(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if name.starts_with("IDV_") || name == "TOKIO_WORKER_THREADS" => {
            Ok((name.to_owned(), value.to_owned()))
        }
        _ => Err("expected IDV_<NAME>=<VALUE> or TOKIO_WORKER_THREADS=<N>".to_owned()),
    }
}

/// Why the run stopped.
#[derive(Debug)]
struct Failure(String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(idv_federation::report(&error))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    idv_service_kit::telemetry::init("warn");
    let positive = |rate: Option<f64>| rate.is_none_or(|r| r.is_finite() && r > 0.0);
    if args.checks == 0
        || args.concurrency == 0
        || args.max_seconds == 0
        || args.batch == 0
        || !positive(args.rate)
        || !positive(args.rate_of_peak)
    {
        eprintln!(
            "load: --checks, --concurrency, --max-seconds, --batch, --rate and --rate-of-peak must be positive"
        );
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
    let backend = match args.database {
        DatabaseKind::Sqlite => setup::Backend::Sqlite,
        DatabaseKind::Postgres => setup::Backend::Postgres {
            server: setup::postgres_server(args.postgres_url.as_deref()),
        },
    };
    let work = if args.issuance {
        Work::Credentials
    } else {
        Work::Checks
    };
    println!(
        "load: {} {} per loop on {}, at most {} s per loop",
        args.checks,
        if args.issuance {
            format!("credentials ({} per request)", args.batch)
        } else {
            format!("right-to-work checks ({:?} client)", args.client)
        },
        backend.name(),
        args.max_seconds
    );
    let env = ProcessEnv {
        trust_framework: Vec::new(),
        issuer: args.issuer_env.clone(),
        verifier: args.verifier_env.clone(),
    };
    let mut world = World::start(backend, env).await?;
    let result = run_on(&mut world, args, work).await;
    let pids = world.pids();
    let peaks = (
        pids.verifier.and_then(stats::peak_rss_kib),
        pids.issuer.and_then(stats::peak_rss_kib),
        stats::peak_rss_kib(std::process::id()),
    );
    world.stop().await;
    let phases = result?;

    let crypto = crypto::per_check(args.crypto_iterations)?;
    for phase in &phases {
        stats::print_phase(phase, &crypto);
    }
    stats::print_common(&crypto, peaks.0, peaks.1, peaks.2);
    let clean = phases
        .iter()
        .all(|p| p.outcome.errors.is_empty() && p.outcome.cut_off == 0 && p.outcome.shed == 0);
    if !clean {
        return Err(Failure(
            "some operations failed, were cut off or shed".into(),
        ));
    }
    Ok(())
}

/// Prepares the operation and runs the loops.
async fn run_on(world: &mut World, args: &Args, work: Work) -> Result<Vec<Phase>, Failure> {
    let http = reqwest::Client::new();
    let issuer = Issuer::discover(&http, &world.endpoints().issuer)
        .await
        .map_err(Failure)?;
    // Operations per loop, units per operation, the operation, what to check after the run.
    let (operations, per_operation, unit) = if args.issuance {
        (args.checks.div_ceil(args.batch), args.batch, "credentials")
    } else {
        (args.checks, 1, "checks")
    };
    let loops = if args.rate_of_peak.is_some() { 2 } else { 1 };
    let (operation, after): (Operation, Option<Verify>) = if args.issuance {
        let (operation, verify) =
            issuance_operation(world, args, &issuer, operations * loops).await?;
        (operation, Some(verify))
    } else {
        (check_operation(world, args, &http, &issuer).await?, None)
    };
    let pids = world.pids();
    println!(
        "setup: verifier pid {}, issuer pid {}; load average {}",
        pid_text(pids.verifier),
        pid_text(pids.issuer),
        stats::load_average().map_or("?".into(), |l| format!("{l:.2}"))
    );
    let max = Duration::from_secs(args.max_seconds);
    let mut phases = Vec::new();
    if args.rate.is_none() {
        let title = format!("closed loop, {} operations at once", args.concurrency);
        let phase = measure(title, work, pids, async {
            drive::closed_loop(operation.clone(), operations, args.concurrency, max).await
        })
        .await;
        phases.push(phase);
    }
    let rate = match (args.rate, args.rate_of_peak, phases.first()) {
        (Some(rate), _, _) => Some(rate),
        (None, Some(fraction), Some(peak)) => Some(fraction * peak.outcome.throughput()),
        _ => None,
    };
    if let Some(rate) = rate.filter(|r| *r > 0.0) {
        let title = format!("open loop at {rate:.1} {unit}/s");
        let per_second = rate / per_operation as f64;
        let phase = measure(title, work, pids, async {
            drive::open_loop(
                operation.clone(),
                operations,
                per_second,
                max,
                args.max_in_flight,
            )
            .await
        })
        .await;
        phases.push(phase);
    }
    if let Some(verify) = after {
        verify.all(&issuer).await.map_err(Failure)?;
    }
    if args.floor {
        for (title, operation) in floor_operations(world, &http).await? {
            let phase = measure(title, Work::Requests, pids, async {
                drive::closed_loop(
                    operation,
                    args.checks * FLOOR_REQUESTS_PER_CHECK,
                    args.concurrency,
                    max,
                )
                .await
            })
            .await;
            phases.push(phase);
        }
    }
    Ok(phases)
}

/// Requests per floor probe for each check of `--checks` (the probes are quick).
const FLOOR_REQUESTS_PER_CHECK: usize = 10;

/// The floor probes: a bare request, and an authenticated read of a check (one created for it,
/// left open).
async fn floor_operations(
    world: &World,
    http: &reqwest::Client,
) -> Result<Vec<(String, Operation)>, Failure> {
    let employer = world.employer.clone();
    let created = employer.create_check("right_to_work").await?;
    let healthz = format!("{}/healthz", world.endpoints().verifier);
    let http = http.clone();
    let bare: Operation = Arc::new(move || {
        let (http, url) = (http.clone(), healthz.clone());
        Box::pin(async move {
            let _: serde_json::Value = vci::send_json(http.get(&url)).await?;
            Ok(1)
        })
    });
    let read: Operation = Arc::new(move || {
        let (employer, id) = (employer.clone(), created.id.clone());
        Box::pin(async move {
            employer.check(&id).await.map_err(|e| e.to_string())?;
            Ok(1)
        })
    });
    Ok(vec![
        ("floor: GET /healthz".to_owned(), bare),
        ("floor: GET /v1/checks/{id}".to_owned(), read),
    ])
}

/// Runs `timed`, measuring the processes' CPU time and the load average around it.
async fn measure(
    title: String,
    work: Work,
    pids: Pids,
    timed: impl std::future::Future<Output = Outcome>,
) -> Phase {
    let (service, others) = match work {
        Work::Checks | Work::Requests => (pids.verifier, [pids.issuer, pids.trust_framework]),
        Work::Credentials => (pids.issuer, [pids.verifier, pids.trust_framework]),
    };
    let own = Some(std::process::id());
    let meter = cpu::CpuMeter::start(&[service, others[0], others[1], own]);
    let load_before = stats::load_average();
    let outcome = timed.await;
    let used = meter.used();
    let others = match (used[1], used[2]) {
        (Some(a), Some(b)) => Some(a + b),
        _ => None,
    };
    Phase {
        title,
        work,
        outcome,
        service_cpu: used[0],
        other_services_cpu: others,
        client_cpu: used[3],
        load_average: (load_before, stats::load_average()),
    }
}

fn pid_text(pid: Option<u32>) -> String {
    pid.map_or_else(|| "?".to_owned(), |p| p.to_string())
}

/// Credentials the light wallet receives (one batch) and presents in turn.
const LIGHT_WALLET_CREDENTIALS: usize = 10;

/// A complete check with the chosen wallet.
async fn check_operation(
    world: &World,
    args: &Args,
    http: &reqwest::Client,
    issuer: &Issuer,
) -> Result<Operation, Failure> {
    let employer = world.employer.clone();
    let templates = idv_checks::Templates::builtin()?;
    let template = templates.get(idv_checks::templates::RIGHT_TO_WORK)?;
    let wallet: Wallet = match args.client {
        ClientKind::Light => {
            // One batch of credentials issued to the light wallet's own holder keys.
            let holders = (0..LIGHT_WALLET_CREDENTIALS)
                .map(|_| SigningKey::generate())
                .collect::<Result<Vec<_>, _>>()?;
            let credentials = issuer
                .redeem(&world.offer().await?, &holders)
                .await
                .map_err(Failure)?;
            let held = credentials
                .iter()
                .map(|credential| issuer.verify(credential))
                .collect::<Result<Vec<_>, _>>()
                .map_err(Failure)?;
            let wallet = LightWallet::new(
                http.clone(),
                template,
                held.into_iter().zip(holders).collect(),
            )
            .map_err(Failure)?;
            println!(
                "setup: light wallet holds {LIGHT_WALLET_CREDENTIALS} identity credentials issued over OpenID4VCI"
            );
            Wallet::Light(Arc::new(wallet))
        }
        ClientKind::WalletSim => {
            let (citizen, copies) = world.wallet_sim_citizen().await?;
            println!(
                "setup: wallet-sim holds {copies} copies of the identity credential (presented again in turn)"
            );
            Wallet::Full(Arc::new(citizen))
        }
    };
    Ok(Arc::new(move || {
        let (employer, wallet) = (employer.clone(), wallet.clone());
        Box::pin(async move { one_check(&employer, &wallet).await.map(|()| 1) })
    }))
}

/// The wallet answering checks.
#[derive(Clone)]
enum Wallet {
    Light(Arc<LightWallet>),
    Full(Arc<Citizen>),
}

/// Pause between two polls of a check's result.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// One complete check: created, answered by the wallet, its result read until it ended.
async fn one_check(employer: &Employer, wallet: &Wallet) -> Result<(), String> {
    let failed = |step: &str, error: &dyn std::error::Error| {
        format!("{step}: {}", idv_federation::report(error))
    };
    let created = employer
        .create_check("right_to_work")
        .await
        .map_err(|e| failed("create check", &e))?;
    match wallet {
        Wallet::Light(wallet) => wallet
            .answer(&created.wallet_url)
            .await
            .map_err(|e| format!("wallet: {e}"))?,
        Wallet::Full(citizen) => {
            let prepared = citizen
                .open_request(&created.wallet_url)
                .await
                .map_err(|e| failed("wallet: open request", &e))?;
            citizen
                .answer(prepared, true)
                .await
                .map_err(|e| failed("wallet: respond", &e))?;
        }
    }
    let result = wait(employer, &created.id)
        .await
        .map_err(|e| failed("poll result", &e))?;
    // A verified right-to-work presentation awaits the employer's photo match, a human step
    // the load does not time.
    match (result.state.as_str(), result.outcome.as_deref()) {
        ("completed", Some("compliant" | "awaiting_confirmation")) => Ok(()),
        (state, _) => Err(format!(
            "check {state}: {}",
            result.reason_codes().join(",")
        )),
    }
}

/// Polls the check until it has ended (the caller bounds the time). The verifier answers the
/// wallet only after verifying, so the first poll normally finds it ended.
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

/// One credential of each redeemed batch, verified after the run.
struct Verify {
    issued: Arc<Mutex<Vec<String>>>,
}

impl Verify {
    /// Verifies every kept credential as its holder would.
    async fn all(self, issuer: &Issuer) -> Result<(), String> {
        let issued = std::mem::take(&mut *self.issued.lock().await);
        for credential in &issued {
            issuer.verify(credential)?;
        }
        println!(
            "after the run: {} credentials (one of each batch) verified as their holder receives them",
            issued.len()
        );
        Ok(())
    }
}

/// The redemption of one offer for `--batch` credentials; `offers` are created now.
async fn issuance_operation(
    world: &World,
    args: &Args,
    issuer: &Issuer,
    offers: usize,
) -> Result<(Operation, Verify), Failure> {
    let mut created = Vec::with_capacity(offers);
    for _ in 0..offers {
        created.push(world.offer().await?);
    }
    println!("setup: {offers} offers created");
    // The holder keys are reused across requests (distinct within one, as the issuer
    // requires): generating them is the wallet's cost, not the issuer's.
    let holders: Arc<Vec<SigningKey>> = Arc::new(
        (0..args.batch)
            .map(|_| SigningKey::generate())
            .collect::<Result<_, _>>()?,
    );
    let offers: Arc<Mutex<Vec<Offer>>> = Arc::new(Mutex::new(created));
    let issued = Arc::new(Mutex::new(Vec::new()));
    let issuer = Arc::new(issuer.clone());
    let keep = issued.clone();
    let operation: Operation = Arc::new(move || {
        let (issuer, holders, offers, keep) = (
            issuer.clone(),
            holders.clone(),
            offers.clone(),
            keep.clone(),
        );
        Box::pin(async move {
            let offer = offers.lock().await.pop().ok_or("no offer left")?;
            let mut credentials = issuer.redeem(&offer, &holders).await?;
            let units = credentials.len() as u64;
            if let Some(one) = credentials.pop() {
                keep.lock().await.push(one);
            }
            Ok(units)
        })
    });
    Ok((operation, Verify { issued }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

    use super::*;

    /// The load command's own clients against the real services (their debug binaries):
    /// light checks in a closed and an open loop, then issuance with verified credentials.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_light_clients_complete_checks_and_issuance_against_the_real_services() {
        let mut world = World::start(setup::Backend::Sqlite, ProcessEnv::default())
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let issuer = Issuer::discover(&http, &world.endpoints().issuer)
            .await
            .unwrap();
        let max = Duration::from_secs(60);

        let args = Args::parse_from(["load", "--checks", "6"]);
        let check = check_operation(&world, &args, &http, &issuer)
            .await
            .unwrap();
        let closed = drive::closed_loop(check.clone(), 6, 3, max).await;
        assert_eq!(
            (closed.units, closed.cut_off),
            (6, 0),
            "{:?}",
            closed.errors
        );
        assert!(closed.errors.is_empty(), "{:?}", closed.errors);
        let open = drive::open_loop(check, 4, 20.0, max, 16).await;
        assert_eq!((open.units, open.shed), (4, 0), "{:?}", open.errors);

        let args = Args::parse_from(["load", "--issuance", "--checks", "20", "--batch", "10"]);
        let (issue, verify) = issuance_operation(&world, &args, &issuer, 2).await.unwrap();
        let issued = drive::closed_loop(issue.clone(), 2, 2, max).await;
        assert_eq!(issued.units, 20, "{:?}", issued.errors);
        // The offers are used up: a third redemption fails and is counted.
        let extra = drive::closed_loop(issue, 1, 1, max).await;
        assert_eq!(extra.errors.values().sum::<usize>(), 1);
        verify.all(&issuer).await.unwrap();

        let pids = world.pids();
        assert!(pids.verifier.and_then(cpu::cpu_time).is_some());
        world.stop().await;
    }
}
