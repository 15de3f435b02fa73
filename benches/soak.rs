//! Soak: many commands on one long-lived connection, then on one logged device, to show that
//! nothing grows with the number of commands: resident memory (VmRSS after the first 1,000
//! commands and after all of them) and open file descriptors (before the connection is opened
//! and after it is closed).
//!
//! `cargo bench --bench soak -- --commands 100000`
//!
//! 1. a plain connection: a local bash in a pty on the thread runner, `echo N` checked;
//! 2. a device: `Devices` with a `LOGGER` section writing to a temporary folder (the device
//!    log and the raw log on), `Echo` on its UnixLocal device, checked.
//!
//! Goals: at most 5 MB of growth between 1,000 commands and the end, as many descriptors after
//! as before. Without `--commands` (as `cargo test --all-targets` and a bare `cargo bench` run
//! it) a smoke run of a few hundred commands.

use std::path::Path;
use std::time::{Duration, Instant};

use moler::commands::unix::Echo;
use moler::prelude::*;
use moler::{ThreadRunner, LOCAL_PROMPT};

#[path = "support/mod.rs"]
mod common;

/// The growth goal, bytes.
const GOAL: u64 = 5 * 1000 * 1000;
/// Commands after which the first RSS is read: the connection, the runner, the log files and
/// the allocator's arenas have settled by then.
const SETTLED: usize = 1000;

fn main() {
    let n: usize = common::arg_or("--commands", 300);
    let settled = SETTLED.min(n / 2);
    let runner = Runner::from(ThreadRunner::new());

    // What lives for the process (the thread runner's per-thread wake-up pair, the first pty's
    // bookkeeping) is made once before counting, so that "before" and "after" compare only
    // what a connection holds.
    let warm = local_shell_on(&runner, &Default::default()).expect("open bash in a pty");
    for i in 0..10 {
        echo_plain(&warm, i);
    }
    drop(warm);
    // Its driver closes the pty and reaps bash on its own thread, after the drop.
    settle_fds();
    let plain = soak("plain connection (local bash, thread runner)", n, settled, || {
        let shell = local_shell_on(&runner, &Default::default()).expect("open bash in a pty");
        move |i| echo_plain(&shell, i)
    })
    .closed();

    let dir = std::env::temp_dir().join(format!("moler-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let yaml = format!(
        "LOGGER: {{PATH: '{}', RAW_LOG: true}}\n\
         DEVICES:\n  SOAK: {{DEVICE_CLASS: UnixLocal, CONNECTION_DESC: {{io_type: terminal, variant: threaded}}}}\n",
        dir.display()
    );
    let mut devices = None;
    let device = soak("device (UnixLocal, device log and raw log on)", n, settled, || {
        let made = Devices::from_yaml(&yaml).expect("the soak device's config");
        let device = made.get("SOAK").expect("make the soak device");
        devices = Some(made);
        move |i| {
            let text = i.to_string();
            let out = device.run(Echo::new().text(&text)).expect("echo on the device");
            assert_eq!(out.result, [text], "command {i}");
        }
    });
    // The device's logs: removing it closes its files, stopping the logs closes moler.log.
    let (device_log, raw_log) = (size(&dir, "moler.SOAK.log"), size(&dir, "moler.SOAK.raw.log"));
    if let Some(devices) = devices.take() {
        devices.remove_all();
    }
    moler::logging::stop();
    let device = device.closed();
    let _ = std::fs::remove_dir_all(&dir);

    println!("soak: {n} commands on each of:");
    for (name, s) in [(&plain.name, &plain), (&device.name, &device)] {
        println!("  {name}");
        println!(
            "    RSS after {settled} commands: {:>8.1} MiB, after {n}: {:.1} MiB, growth {:+.3} MB (goal < 5 MB) {}",
            s.rss_settled as f64 / 1048576.0,
            s.rss_end as f64 / 1048576.0,
            s.growth() as f64 / 1e6,
            verdict(s.growth() < GOAL as i64)
        );
        println!(
            "    open fds: {} before, {} while running, {} after (goal: equal) {}",
            s.fds_before,
            s.fds_running,
            s.fds_after,
            verdict(s.fds_before == s.fds_after)
        );
        println!(
            "    {:.0} commands/s ({:.1} s)",
            n as f64 / s.took.as_secs_f64(),
            s.took.as_secs_f64()
        );
    }
    println!("  the device log grew to {device_log} bytes, its raw log to {raw_log} bytes");
    let phase = |s: &Soak| {
        format!(
            "{{\"rss_settled_bytes\":{},\"rss_end_bytes\":{},\"growth\":{},\"fds_before\":{},\"fds_running\":{},\"fds_after\":{},\"commands_per_s\":{:.0}}}",
            s.rss_settled,
            s.rss_end,
            s.growth(),
            s.fds_before,
            s.fds_running,
            s.fds_after,
            n as f64 / s.took.as_secs_f64()
        )
    };
    println!(
        "{{\"bench\":\"soak\",\"commands\":{n},\"settled_after\":{settled},\"growth_unit\":\"bytes\",\"growth\":{},\"fds_before\":{},\"fds_after\":{},\"plain\":{},\"device\":{},\"device_log_bytes\":{device_log},\"raw_log_bytes\":{raw_log}}}",
        plain.growth().max(device.growth()),
        plain.fds_before,
        device.fds_after,
        phase(&plain),
        phase(&device),
    );
}

/// What one phase measured.
struct Soak {
    name: String,
    rss_settled: u64,
    rss_end: u64,
    fds_before: usize,
    fds_running: usize,
    fds_after: usize,
    took: Duration,
}

impl Soak {
    /// Bytes of RSS gained between the settled point and the end (negative if it shrank).
    fn growth(&self) -> i64 {
        self.rss_end as i64 - self.rss_settled as i64
    }

    /// Reads the descriptors once what the phase opened is closed: a closed connection's
    /// driver ends and reaps its shell on its own thread, so this waits for it a little.
    fn closed(mut self) -> Soak {
        let until = Instant::now() + Duration::from_secs(5);
        while fds() != self.fds_before && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.fds_after = fds();
        self
    }
}

/// Runs `n` commands through what `open` returns (it is dropped at the end, closing it).
fn soak<F: FnMut(usize)>(name: &str, n: usize, settled: usize, open: impl FnOnce() -> F) -> Soak {
    let fds_before = settle_fds();
    let mut run = open();
    let t = Instant::now();
    for i in 0..settled {
        run(i);
    }
    let rss_settled = rss();
    for i in settled..n {
        run(i);
    }
    let took = t.elapsed();
    let rss_end = rss();
    let fds_running = fds();
    drop(run);
    Soak {
        name: name.into(),
        rss_settled,
        rss_end,
        fds_before,
        fds_running,
        fds_after: fds_running,
        took,
    }
}

fn echo_plain(shell: &ConnectionHandle, i: usize) {
    let out = shell
        .run(Command::lines(format!("echo {i}"), LOCAL_PROMPT), Duration::from_secs(30))
        .expect("echo on the plain connection");
    assert_eq!(out, [i.to_string()], "command {i}");
}

/// Resident set size now (VmRSS), bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// The number of open descriptors once it has not changed for 300 ms (at most 5 s): what was
/// closed a moment ago may still be closing on another thread.
fn settle_fds() -> usize {
    let until = Instant::now() + Duration::from_secs(5);
    let (mut last, mut since) = (fds(), Instant::now());
    while since.elapsed() < Duration::from_millis(300) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
        let now = fds();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    last
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn size(dir: &Path, name: &str) -> u64 {
    std::fs::metadata(dir.join(name)).map_or(0, |m| m.len())
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "OVER THE GOAL"
    }
}
