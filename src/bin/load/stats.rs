//! The report: counts, throughput, latency percentiles, CPU time per unit of work of each
//! process, peak memory, and the two ratios to what the service's own cryptography allows.

use std::time::Duration;

use crate::crypto::CryptoTimes;
use crate::drive::Outcome;

/// Cores the bound assumes (this machine's).
pub(crate) const CORES: f64 = 2.0;

/// `VmHWM` (peak resident set) of process `pid`, in KiB, from `/proc/<pid>/status`.
pub(crate) fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix("VmHWM:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// The 1-minute load average, from `/proc/loadavg`.
pub(crate) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The `q` quantile (0..=1) of sorted `values`, nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn ms(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
    )
}

fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// `KiB` as MiB, or `unknown`.
pub(crate) fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "unknown".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

fn load(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| format!("{v:.2}"))
}

/// What the timed part is and what it is judged against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Work {
    /// Complete right-to-work checks; the verifier is the service under test.
    Checks,
    /// Credentials issued; the issuer is the service under test.
    Credentials,
    /// Single requests to the verifier (the floor probes): no cryptography.
    Requests,
}

impl Work {
    fn unit(self) -> &'static str {
        match self {
            Self::Checks => "check",
            Self::Credentials => "credential",
            Self::Requests => "request",
        }
    }

    fn service(self) -> &'static str {
        match self {
            Self::Checks | Self::Requests => "verifier",
            Self::Credentials => "issuer",
        }
    }

    /// The service's own cryptography per unit.
    fn crypto(self, crypto: &CryptoTimes) -> Duration {
        match self {
            Self::Checks => crypto.per_check(),
            Self::Credentials => crypto.per_credential(),
            Self::Requests => Duration::ZERO,
        }
    }
}

/// One timed phase and the CPU time each process used during it.
#[derive(Debug)]
pub(crate) struct Phase {
    /// `closed loop, 16 at once` or `open loop at 300 checks/s`.
    pub(crate) title: String,
    /// What its operations do.
    pub(crate) work: Work,
    pub(crate) outcome: Outcome,
    /// CPU time of the service under test.
    pub(crate) service_cpu: Option<Duration>,
    /// CPU time of the other two services.
    pub(crate) other_services_cpu: Option<Duration>,
    /// CPU time of this process (the load generator: clients and employer).
    pub(crate) client_cpu: Option<Duration>,
    /// Load average when the phase started and ended.
    pub(crate) load_average: (Option<f64>, Option<f64>),
}

/// Prints one phase.
pub(crate) fn print_phase(phase: &Phase, crypto: &CryptoTimes) {
    let (work, outcome) = (phase.work, &phase.outcome);
    let unit = work.unit();
    let mut latencies = outcome.latencies.clone();
    latencies.sort_unstable();
    let failed: usize = outcome.errors.values().sum();
    println!(
        "\n{} (load average {} at the start, {} at the end)",
        phase.title,
        load(phase.load_average.0),
        load(phase.load_average.1)
    );
    println!(
        "  completed          {} {unit}s, {} of {} operations started, in {:.2} s ({failed} failed, {} cut off at --max-seconds, {} shed)",
        outcome.units,
        outcome.succeeded(),
        outcome.started,
        outcome.elapsed.as_secs_f64(),
        outcome.cut_off,
        outcome.shed,
    );
    for (kind, count) in &outcome.errors {
        println!("  error ×{count:<5}     {kind}");
    }
    let throughput = outcome.throughput();
    println!("  throughput         {throughput:.1} {unit}s/s");
    println!(
        "  latency            p50 {}, p95 {}, p99 {}, max {} (per operation{})",
        ms(quantile(&latencies, 0.50)),
        ms(quantile(&latencies, 0.95)),
        ms(quantile(&latencies, 0.99)),
        ms(latencies.last().copied()),
        if outcome.max_start_lag > Duration::ZERO {
            format!(
                ", from its scheduled start; latest start {:.1} ms behind schedule",
                outcome.max_start_lag.as_secs_f64() * 1e3
            )
        } else {
            String::new()
        }
    );
    let per_unit = |cpu: Option<Duration>| {
        cpu.filter(|_| outcome.units > 0)
            .map(|cpu| cpu / u32::try_from(outcome.units).unwrap_or(u32::MAX))
    };
    let show = |cpu: Option<Duration>| {
        per_unit(cpu).map_or("?".to_owned(), |d| format!("{:.0} µs", us(d)))
    };
    let total: Option<Duration> = [
        phase.service_cpu,
        phase.other_services_cpu,
        phase.client_cpu,
    ]
    .into_iter()
    .sum();
    println!(
        "  CPU per {unit:<10} {} {}, other services {}, load generator {}; all together {:.0} % of {CORES} cores",
        work.service(),
        show(phase.service_cpu),
        show(phase.other_services_cpu),
        show(phase.client_cpu),
        total.map_or(0.0, |t| t.as_secs_f64()
            / outcome.elapsed.as_secs_f64().max(1e-9)
            / CORES
            * 100.0),
    );
    let crypto_per_unit = work.crypto(crypto);
    if crypto_per_unit.is_zero() {
        return;
    }
    let bound = CORES / crypto_per_unit.as_secs_f64();
    print!(
        "  ratio to the bound wall clock {:.3} ({throughput:.1} ÷ {bound:.0} {unit}s/s, {CORES} cores ÷ {:.0} µs of {} cryptography per {unit})",
        throughput / bound,
        us(crypto_per_unit),
        work.service(),
    );
    match per_unit(phase.service_cpu) {
        Some(cpu) if cpu > Duration::ZERO => println!(
            "; CPU {:.3} ({:.0} µs of cryptography ÷ {:.0} µs of {} CPU per {unit})",
            crypto_per_unit.as_secs_f64() / cpu.as_secs_f64(),
            us(crypto_per_unit),
            us(cpu),
            work.service()
        ),
        _ => println!(),
    }
}

/// Prints what every phase shares: the cryptography timed in this process, peak memory.
pub(crate) fn print_common(
    crypto: &CryptoTimes,
    verifier_peak_kib: Option<u64>,
    issuer_peak_kib: Option<u64>,
    own_peak_kib: Option<u64>,
) {
    println!(
        "\ncryptography (idv-jose, medians of {}): ES256 sign {:.1} µs, ES256 verify {:.1} µs, ECDH-ES + A128GCM decrypt {:.1} µs",
        crypto.iterations,
        us(crypto.sign),
        us(crypto.verify),
        us(crypto.decrypt)
    );
    println!(
        "  verifier per check {:.0} µs (request object sign + response decrypt + 2 × verify + check record sign); issuer per credential {:.0} µs (proof verify + credential sign)",
        us(crypto.per_check()),
        us(crypto.per_credential())
    );
    println!(
        "peak RSS (VmHWM): verifier {}, issuer {}, load generator {}",
        mib(verifier_peak_kib),
        mib(issuer_peak_kib),
        mib(own_peak_kib)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&values, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(quantile(&values, 0.99), Some(Duration::from_millis(99)));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn this_process_has_a_peak_rss_and_the_machine_a_load_average() {
        assert!(peak_rss_kib(std::process::id()).is_some_and(|k| k > 0));
        assert!(load_average().is_some_and(|l| l >= 0.0));
    }
}
