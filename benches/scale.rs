//! Many connections in one process: `--connections N` TCP connections to the device simulator
//! (run as a separate process: this binary re-runs itself with `--simulator`), each running
//! `--commands C` commands, all at once, on one runner. Reports wall time, CPU time, peak RSS
//! per connection and OS threads.
//!
//! `cargo bench --bench scale -- --connections 10000 --commands 10 [--runner tokio|smol|threaded]
//! [--runtime current|multi] [--await task]`
//!
//! Targets (tokio, 10,000 connections x 10 commands): at most 16 KiB of peak RSS per connection
//! and at least 50,000 commands/s. The open-file limit of this
//! machine is 20,000 per process, hence the simulator in a process of its own.
//!
//! The tokio runner runs on a current-thread runtime unless `--runtime multi` asks for the
//! multi-thread one (two workers here). On this 2-core machine, where the simulator's thread
//! needs a CPU too, the multi-thread runtime took more CPU time for the same commands
//! (2026-12-01: 3.3-4.0 s against 1.8-2.9 s on the current-thread runtime, whose one thread is
//! busy all along) with about the same system calls (reads, writes, `epoll_ctl`) and context
//! switches, plus 26,000 futex calls: the extra time is in the kernel, the same sockets served
//! from two CPUs and threads woken across them. `--await task` awaits the results in a spawned
//! task instead of in `block_on` (no hand-off from a worker to the main thread).

use std::io::{BufRead, BufReader};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use moler::{Command, Completion, CompletionExt, Runner, RunnerKind};
use moler::{SmolRunner, ThreadRunner, TokioRunner};
use moler_io::tcp::{self, TcpOptions};
use moler_io::Greeting;
use moler_testkit::{Simulator, SIM_BANNER, SIM_PROMPT, SIM_PROMPT_RE};

#[path = "support/mod.rs"]
mod common;

fn main() {
    if std::env::args().any(|a| a == "--simulator") {
        simulator();
        return;
    }
    let n: usize = common::arg_or("--connections", if common::smoke() { 50 } else { 10_000 });
    let commands: usize = common::arg_or("--commands", if common::smoke() { 2 } else { 10 });
    let kind: RunnerKind =
        common::arg("--runner").unwrap_or_else(|| "tokio".into()).parse().unwrap();
    // A run right after another finds its 10,000 connections in TIME_WAIT (60 s on Linux), and
    // connects slower: measured 47k -> 41k -> 31k commands/s in three runs in a row.
    let time_wait = time_wait_sockets();
    if time_wait > 1000 {
        println!(
            "note: {time_wait} TCP sockets in TIME_WAIT (a previous run's): connecting is slower \
             until they are gone (60 s)"
        );
    }

    let mut sim = Process::new(std::env::current_exe().unwrap())
        .arg("--simulator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the simulator process");
    let mut first = String::new();
    BufReader::new(sim.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let port: u16 = first.trim().parse().expect("the simulator prints its port");

    let runtime = common::arg("--runtime").unwrap_or_else(|| "current".into());
    assert!(
        runtime == "current" || runtime == "multi",
        "--runtime takes current or multi, not {runtime:?}"
    );
    let in_task = common::arg("--await").is_some_and(|a| a == "task");
    let tokio_rt = if runtime == "current" {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    } else {
        tokio::runtime::Runtime::new().unwrap()
    };
    let runner: Runner = match kind {
        RunnerKind::Thread => ThreadRunner::new().into(),
        RunnerKind::Tokio => TokioRunner::with_handle(tokio_rt.handle().clone()).into(),
        RunnerKind::Smol => SmolRunner::new().into(),
    };
    let options = TcpOptions {
        greeting: Some(Greeting {
            marker: SIM_BANNER.into(),
            prompt: SIM_PROMPT.into(),
            timeout: Duration::from_secs(120),
        }),
        ..Default::default()
    };
    let (rss0, threads0) = (common::peak_rss_kib(), common::threads());
    let (wall0, cpu0) = (Instant::now(), common::cpu());
    let conns: Vec<_> = (0..n)
        .map(|i| {
            let t = tcp::connect("127.0.0.1", port, &options)
                .unwrap_or_else(|e| panic!("connection {i}: {e}"));
            runner.spawn(&format!("c{i}"), t).unwrap()
        })
        .collect();
    let connected = wall0.elapsed();
    let started: Vec<Vec<Completion<Vec<String>>>> = conns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (0..commands)
                .map(|j| c.start(Command::lines(format!("echo {i}.{j}"), SIM_PROMPT_RE)))
                .collect()
        })
        .collect();
    let mut peak_threads = common::threads();
    let check = |i: usize, j: usize, out: Vec<String>| assert_eq!(out, [format!("{i}.{j}")]);
    let wait = Duration::from_secs(600);
    match kind {
        RunnerKind::Tokio => {
            let all = async move {
                for (i, cs) in started.into_iter().enumerate() {
                    for (j, c) in cs.into_iter().enumerate() {
                        check(i, j, c.await.unwrap());
                    }
                }
            };
            if in_task {
                tokio_rt.block_on(tokio_rt.spawn(all)).unwrap();
            } else {
                tokio_rt.block_on(all);
            }
        }
        _ => {
            for (i, cs) in started.into_iter().enumerate() {
                for (j, c) in cs.into_iter().enumerate() {
                    check(i, j, c.wait(wait).unwrap());
                }
                if i % 100 == 0 {
                    peak_threads = peak_threads.max(common::threads());
                }
            }
        }
    }
    peak_threads = peak_threads.max(common::threads());
    let (wall, cpu_used) = (wall0.elapsed(), common::cpu() - cpu0);
    let rss = common::peak_rss_kib();
    let per_conn = (rss - rss0) / n as f64;
    drop(conns);
    drop(sim.stdin.take()); // the simulator ends when its stdin closes
    let _ = sim.wait();
    let total = n * commands;
    let on = match kind {
        RunnerKind::Tokio => format!(
            "the tokio runner ({runtime} runtime, awaited in {})",
            if in_task { "a task" } else { "block_on" }
        ),
        _ => format!("the {kind} runner"),
    };
    println!("{n} TCP connections x {commands} commands on {on} (simulator in its own process)");
    println!("  connect all:      {:>9.0} ms", connected.as_secs_f64() * 1e3);
    println!(
        "  wall (total):     {:>9.0} ms  ({:.0} commands/s; target >= 50000 on tokio)",
        wall.as_secs_f64() * 1e3,
        total as f64 / wall.as_secs_f64()
    );
    println!("  CPU (this proc):  {:>9.0} ms", cpu_used.as_secs_f64() * 1e3);
    println!(
        "  peak RSS:         {:>9.1} MiB, {per_conn:.1} KiB per connection (target <= 16)",
        rss / 1024.0
    );
    println!("  OS threads:       {peak_threads} (before: {threads0})");
    println!(
        "{{\"bench\":\"scale\",\"runner\":\"{kind}\",\"runtime\":\"{}\",\"connections\":{n},\"commands\":{commands},\"connect_ms\":{:.1},\"wall_ms\":{:.1},\"cpu_ms\":{:.1},\"peak_rss_kib\":{rss:.0},\"rss_per_connection_kib\":{per_conn:.1},\"threads\":{peak_threads}}}",
        if kind == RunnerKind::Tokio { runtime.as_str() } else { "" },
        connected.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e3,
        cpu_used.as_secs_f64() * 1e3
    );
}

/// The simulator process: prints its port, serves until its stdin closes.
fn simulator() {
    reserve_descriptor_table();
    let sim = Simulator::start().expect("start the simulator");
    println!("{}", sim.port());
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
    drop(sim);
}

/// Grows this process's table of file descriptors to its open-file limit now, while the
/// process has one thread. Linux doubles the table as descriptors are taken (256, 512, …,
/// 8,192) and, in a process of several threads, each doubling waits for an RCU grace period
/// (`synchronize_rcu`): on this VM 10–30 ms in which the simulator accepts nothing, while the
/// bench keeps connecting. The pause at 2,048 descriptors let the bench fill the listener's
/// queue of 4,096, and Linux dropped a SYN, sent again a second later (1.2 s of "connect all"
/// instead of 0.2 s, in about half of the runs). The table is never shrunk: a descriptor
/// duplicated high and closed again leaves it grown.
fn reserve_descriptor_table() {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let top = limit.map_or(65_536, |l| l.min(1 << 20)).saturating_sub(1) as i32;
    let stdin = std::io::stdin();
    match rustix::io::fcntl_dupfd_cloexec(std::os::fd::AsFd::as_fd(&stdin), top) {
        Ok(high) => drop(high),
        Err(e) => eprintln!("simulator: could not grow the descriptor table to {top}: {e}"),
    }
}

/// TCP sockets of this machine in TIME_WAIT (state 06 in `/proc/net/tcp` and `tcp6`).
fn time_wait_sockets() -> usize {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|t| t.lines().skip(1).filter(|l| l.split_whitespace().nth(3) == Some("06")).count())
        .sum()
}
