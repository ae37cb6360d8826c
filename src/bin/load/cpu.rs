//! CPU time of a process, from `/proc/<pid>/stat`: user + system time of all its threads,
//! those that have exited included, in clock ticks (`getconf CLK_TCK`, 100 on Linux).

use std::time::Duration;

/// Ticks per second of `/proc` times (asked once).
fn ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(ask_ticks_per_second)
}

fn ask_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// `utime + stime` of process `pid`; `None` when it cannot be read (not Linux, gone).
pub(crate) fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = parse_stat(&stat)?;
    Some(Duration::from_secs_f64(
        ticks as f64 / ticks_per_second() as f64,
    ))
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// is in parentheses and may hold spaces: fields are counted after its closing parenthesis.
fn parse_stat(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name: state is field 3, so utime (14) is the 12th from here.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// CPU time of a set of processes over a stretch of the run.
#[derive(Debug, Clone)]
pub(crate) struct CpuMeter {
    pids: Vec<Option<u32>>,
    start: Vec<Option<Duration>>,
}

impl CpuMeter {
    /// Starts measuring `pids` now.
    pub(crate) fn start(pids: &[Option<u32>]) -> Self {
        Self {
            pids: pids.to_vec(),
            start: pids.iter().map(|pid| pid.and_then(cpu_time)).collect(),
        }
    }

    /// The CPU time each process used since [`CpuMeter::start`], in the same order.
    pub(crate) fn used(&self) -> Vec<Option<Duration>> {
        self.pids
            .iter()
            .zip(&self.start)
            .map(|(pid, start)| {
                let now = pid.and_then(cpu_time)?;
                Some(now.saturating_sub((*start)?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_times_follow_the_command_name_whatever_it_holds() {
        let line = "4242 (tokio-rt (worker) 1) S 1 4242 4242 0 -1 4194560 9 0 0 0 \
                    150 25 0 0 20 0 3 0 100 1000 10 18446744073709551615";
        assert_eq!(parse_stat(line), Some(175));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_uses_cpu_time() {
        let meter = CpuMeter::start(&[Some(std::process::id())]);
        let started = std::time::Instant::now();
        let mut x = 0u64;
        // Busy until a tick is counted (10 ms of CPU), however loaded the machine is.
        while meter.used()[0] == Some(Duration::ZERO) && started.elapsed().as_secs() < 20 {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        assert!(meter.used()[0].is_some_and(|used| used > Duration::ZERO));
    }
}
