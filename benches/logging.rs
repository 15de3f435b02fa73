//! What the device log costs the thread that drives a connection: the transcript calls one
//! round trip of `echo N` makes (the line sent, the echo with the output, the prompt), timed
//! with the logs on and off, without a transport (so the figure is the logging alone, not
//! hidden in the noise of a shell's round trip).
//!
//! Figures, in µs per round trip (median of batches of `--batch` round trips):
//! - **off**: the same transcript with no logs configured (tracing asks, nobody wants it);
//! - **on**: logs configured (`moler.<device>.log`, as a device's connection writes it);
//! - **on, raw log too**: `RAW_LOG: true` (`moler.<device>.raw.log` as well);
//! - the cost of the log (on − off) as a share of a round trip of `--rtt` µs (the pty
//!   round trip of `cargo bench --bench roundtrip`) and of a 16 µs TCP round trip.
//!
//! After the run the logs are stopped and the device log read back: every round trip must be
//! in it (nothing lost). The last line is the figures as one JSON object.
//!
//! `cargo bench --bench logging -- [--n 200000] [--batch 1000] [--rtt 120]`
//! (target: the log costs ≤ 5 % of a round trip)

use std::time::Instant;

use moler::config::Logger;
use moler_core::Transcript;

#[path = "support/mod.rs"]
mod common;

/// One round trip's transcript calls, as the terminal gives them.
fn round_trip(t: &mut dyn Transcript, i: usize, line: &mut String, out: &mut String) {
    use std::fmt::Write as _;
    line.clear();
    let _ = writeln!(line, "echo {i}");
    t.sent(line);
    out.clear();
    let _ = write!(out, "echo {i}\r\n{i}\r\n");
    t.received(out.as_bytes(), out);
    t.received(b"moler_bash# ", "moler_bash# ");
}

/// Median µs per round trip over batches.
fn run(t: &mut dyn Transcript, n: usize, batch: usize) -> f64 {
    let (mut line, mut out) = (String::new(), String::new());
    let mut samples = Vec::with_capacity(n / batch);
    for b in 0..n / batch {
        let start = Instant::now();
        for i in b * batch..(b + 1) * batch {
            round_trip(t, i, &mut line, &mut out);
        }
        samples.push(start.elapsed() / batch as u32);
    }
    common::stats(&mut samples).median_us
}

fn main() {
    let smoke = common::smoke();
    let n: usize = if smoke { 2_000 } else { common::arg_or("--n", 200_000) };
    let batch: usize = common::arg_or("--batch", 1_000).min(n);
    let rtt: f64 = common::arg_or("--rtt", 120.0);
    let dir = std::env::temp_dir().join(format!("moler-bench-logging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut t = moler::logging::transcript("bench");
    println!("logging: µs per round trip of transcript calls, median of batches of {batch}, n={n}");

    let off = run(&mut *t, n, batch);
    let logger = Logger { path: Some(dir.clone()), ..Default::default() };
    moler::logging::configure(&logger).expect("logs in a temporary folder");
    let on = run(&mut *t, n, batch);
    moler::logging::stop();
    let log = std::fs::read_to_string(dir.join("moler.bench.log")).expect("the device log");
    let sent = log.matches(" >|echo ").count();
    assert_eq!(sent, n, "every round trip's line is in the device log");
    let last = format!(" >|echo {}\n", n - 1);
    assert!(log.contains(&last) && log.ends_with(" <|moler_bash# \n"), "the last round trip");

    let raw_logger = Logger { raw_log: true, ..logger };
    moler::logging::configure(&raw_logger).expect("logs in a temporary folder");
    let raw = run(&mut *t, n, batch);
    moler::logging::stop();
    let raw_log = std::fs::metadata(dir.join("moler.bench.raw.log")).map_or(0, |m| m.len());
    assert!(raw_log > 0, "the raw log was written");
    let _ = std::fs::remove_dir_all(&dir);

    let cost = on - off;
    let share = |base: f64| 100.0 * cost / base;
    println!("{:<28} {off:>8.3} µs", "off (no logs configured)");
    println!("{:<28} {on:>8.3} µs", "on (device log)");
    println!("{:<28} {raw:>8.3} µs", "on, raw log too");
    println!(
        "the device log costs {cost:.3} µs per round trip: {:.1} % of a {rtt} µs round trip, \
         {:.1} % of a 16 µs one (target ≤ 5 %)",
        share(rtt),
        share(16.0)
    );
    println!(
        "{{\"bench\":\"logging\",\"n\":{n},\"off_us\":{off:.3},\"on_us\":{on:.3},\"raw_us\":{raw:.3},\
         \"cost_us\":{cost:.3},\"share_of_rtt_pct\":{:.2},\"share_of_16us_pct\":{:.2}}}",
        share(rtt),
        share(16.0)
    );
}
