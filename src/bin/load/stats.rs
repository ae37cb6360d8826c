//! The report: counts, throughput, latency percentiles, peak memory, and the ratio to what
//! the verifier's cryptography allows.

use std::time::Duration;

use crate::crypto::CryptoTimes;
use crate::drive::Outcome;

/// Cores the bound assumes (this machine's).
const CORES: f64 = 2.0;

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

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "unknown".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

/// Prints the report.
pub(crate) fn print(
    outcome: &Outcome,
    verifier_peak_kib: Option<u64>,
    own_peak_kib: Option<u64>,
    crypto: &CryptoTimes,
) {
    let mut latencies = outcome.latencies.clone();
    latencies.sort_unstable();
    let seconds = outcome.elapsed.as_secs_f64();
    let throughput = if seconds > 0.0 {
        outcome.completed() as f64 / seconds
    } else {
        0.0
    };
    let failed: usize = outcome.errors.values().sum();
    println!("\nresults");
    println!(
        "  checks completed   {} of {} started in {seconds:.2} s ({failed} failed, {} cut off at --max-seconds)",
        outcome.completed(),
        outcome.started,
        outcome.cut_off
    );
    for (kind, count) in &outcome.errors {
        println!("  error ×{count:<5}     {kind}");
    }
    println!("  throughput         {throughput:.1} checks/s");
    println!(
        "  latency            p50 {}, p95 {}, p99 {}, max {}",
        ms(quantile(&latencies, 0.50)),
        ms(quantile(&latencies, 0.95)),
        ms(quantile(&latencies, 0.99)),
        ms(latencies.last().copied())
    );
    println!(
        "  verifier peak RSS  {} (VmHWM of its process)",
        mib(verifier_peak_kib)
    );
    println!(
        "  load process peak  {} (wallet and employer clients, VmHWM)",
        mib(own_peak_kib)
    );
    let per_check = crypto.per_check();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "  verifier crypto    {:.0} µs per check = sign {:.0} + ECDH-ES decrypt {:.0} + 2 × verify {:.0} (medians of {})",
        us(per_check),
        us(crypto.sign),
        us(crypto.decrypt),
        us(crypto.verify),
        crypto.iterations
    );
    let bound = CORES / per_check.as_secs_f64();
    println!(
        "  crypto bound       {bound:.0} checks/s ({CORES} cores / crypto per check); throughput / bound = {:.3} (target ≥ 0.5)",
        throughput / bound
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
    fn this_process_has_a_peak_rss() {
        assert!(peak_rss_kib(std::process::id()).is_some_and(|k| k > 0));
    }
}
