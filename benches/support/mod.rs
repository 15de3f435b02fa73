//! Small helpers shared by the benchmarks (argument parsing, percentiles). Each bench uses a
//! part of them.
#![allow(dead_code)]

use std::time::Duration;

/// The value after `--name` on the command line, if any (cargo bench passes `--bench` too).
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// True under `cargo test` (which does not pass `--bench`): the bench then makes a tiny smoke
/// run, so the test suite keeps it working without paying for a measurement.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// The value after `--name` parsed, or `default`.
pub fn arg_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    arg(name)
        .map(|v| v.parse().unwrap_or_else(|_| panic!("bad value for {name}: {v}")))
        .unwrap_or(default)
}

/// Latency summary in microseconds.
pub struct Stats {
    /// Median.
    pub median_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Mean.
    pub mean_us: f64,
}

/// Sorts `samples` and summarises them.
pub fn stats(samples: &mut [Duration]) -> Stats {
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| us(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    let mean = samples.iter().map(|d| us(*d)).sum::<f64>() / samples.len() as f64;
    Stats { median_us: at(0.5), p99_us: at(0.99), mean_us: mean }
}

/// OS threads of this process now.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// This process's peak resident set size so far, KiB.
pub fn peak_rss_kib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}

/// CPU time used by this process (all its threads) so far, from `/proc/self/stat` (in
/// USER_HZ ticks, 10 ms): the vDSO clock rustix reads crashes under valgrind, and the benches
/// that report CPU time are profiled there.
pub fn cpu() -> Duration {
    /// `USER_HZ`: the unit of the times in `/proc`, 100 on every Linux ABI.
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses; `utime` and
    // `stime` are fields 14 and 15, the 12th and 13th after it.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 =
        after.split_whitespace().skip(11).take(2).filter_map(|f| f.parse::<u64>().ok()).sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// What the scheduler counted for this process's live threads so far: CPU time (ns, from
/// `/proc/self/task/*/schedstat`, exact unlike [`cpu`]) and context switches (voluntary and
/// not, from `status`). Steadier than time on a busy machine: a thread hand-off shows as a
/// switch whatever the load.
pub fn sched() -> (u64, u64) {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return (0, 0) };
    let (mut ns, mut switches) = (0, 0);
    for task in tasks.flatten() {
        let path = task.path();
        let schedstat = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        ns += schedstat.split_whitespace().next().and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        switches += status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.rsplit(':').next()?.trim().parse::<u64>().ok())
            .sum::<u64>();
    }
    (ns, switches)
}
