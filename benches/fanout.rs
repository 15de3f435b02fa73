//! Many local shells at once: `--shells S` bash shells, `--commands C` commands started on
//! each at the same moment, all joined; per runner: wall time, CPU time of this process, peak
//! RSS and the most OS threads seen. Each runner is measured in a process of its own (this
//! binary re-runs itself with `--child RUNNER`), so peak RSS and thread counts do not mix.
//!
//! `cargo bench --bench fanout -- --shells 50 --commands 20 [--runners threaded,tokio,smol]`
//!
//! Target: the tokio and smol runners use at most cores + 4 threads, whatever S is. CPU time
//! is this process's (all its threads), not the shells'. The bench's own sampler thread is not
//! counted.

use std::process::Command as Process;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::{Command, Completion, CompletionExt, ConnectionHandle, Runner, RunnerKind};
use moler::{SmolRunner, ThreadRunner, TokioRunner, LOCAL_PROMPT};
use moler_io::terminal::{self, TerminalOptions};

#[path = "support/mod.rs"]
mod common;

const WAIT: Duration = Duration::from_secs(300);

fn main() {
    let shells: usize = common::arg_or("--shells", if common::smoke() { 3 } else { 50 });
    let commands: usize = common::arg_or("--commands", if common::smoke() { 3 } else { 20 });
    if let Some(runner) = common::arg("--child") {
        let kind: RunnerKind = runner.parse().unwrap();
        child(kind, shells, commands);
        return;
    }
    let runners = common::arg("--runners").unwrap_or_else(|| "threaded,tokio,smol".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{shells} local shells x {commands} commands, all started at once; {cores} cores");
    println!(
        "{:<9} {:>10} {:>10} {:>12} {:>13} {:>8}",
        "runner", "wall ms", "CPU ms", "peak RSS MiB", "peak threads", "cmds/s"
    );
    let mut json = Vec::new();
    for name in runners.split(',') {
        let mut cmd = Process::new(std::env::current_exe().unwrap());
        cmd.args(["--child", name, "--shells", &shells.to_string()]);
        cmd.args(["--commands", &commands.to_string()]);
        if !common::smoke() {
            cmd.arg("--bench");
        }
        let out = cmd.output().expect("run the bench's child");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {text}{}", String::from_utf8_lossy(&out.stderr));
        let line = text.lines().find(|l| l.starts_with('{')).expect("the child's JSON line");
        let field = |k: &str| -> f64 {
            let at = line.find(&format!("\"{k}\":")).unwrap() + k.len() + 3;
            let end = line[at..].find([',', '}']).unwrap() + at;
            line[at..end].parse().unwrap()
        };
        let wall = field("wall_ms");
        println!(
            "{name:<9} {wall:>10.0} {:>10.0} {:>12.1} {:>13} {:>8.0}",
            field("cpu_ms"),
            field("peak_rss_kib") / 1024.0,
            field("peak_threads"),
            (shells * commands) as f64 / (wall / 1000.0)
        );
        if name != "threaded" {
            let limit = cores + 4;
            let used = field("peak_threads") as usize;
            let verdict = if used <= limit { "ok" } else { "OVER" };
            println!("          threads {used} vs target <= cores + 4 = {limit}: {verdict}");
        }
        json.push(line.to_owned());
    }
    println!(
        "{{\"bench\":\"fanout\",\"shells\":{shells},\"commands\":{commands},\"runners\":[{}]}}",
        json.join(",")
    );
}

fn child(kind: RunnerKind, shells: usize, commands: usize) {
    let tokio_rt = (kind == RunnerKind::Tokio).then(|| tokio::runtime::Runtime::new().unwrap());
    let runner: Runner = match kind {
        RunnerKind::Thread => ThreadRunner::new().into(),
        RunnerKind::Tokio => {
            TokioRunner::with_handle(tokio_rt.as_ref().unwrap().handle().clone()).into()
        }
        RunnerKind::Smol => SmolRunner::new().into(),
    };
    // A sampler thread catches short-lived threads between the checkpoints below; it counts
    // itself out.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(common::threads() - 1);
                std::thread::sleep(Duration::from_millis(1));
            }
            peak
        })
    };
    let mut peak = common::threads() - 1;
    let (wall0, cpu0) = (Instant::now(), common::cpu());
    let options = TerminalOptions::default();
    let conns: Vec<ConnectionHandle> = (0..shells)
        .map(|s| runner.spawn(&format!("shell{s}"), terminal::open(&options).unwrap()).unwrap())
        .collect();
    let started: Vec<Vec<Completion<Vec<String>>>> = conns
        .iter()
        .enumerate()
        .map(|(s, c)| {
            (0..commands)
                .map(|j| c.start(Command::lines(format!("echo s{s}c{j}"), LOCAL_PROMPT)))
                .collect()
        })
        .collect();
    peak = peak.max(common::threads() - 1);
    let check = |s: usize, j: usize, out: Vec<String>| assert_eq!(out, [format!("s{s}c{j}")]);
    match kind {
        RunnerKind::Thread => {
            for (s, cs) in started.into_iter().enumerate() {
                for (j, c) in cs.into_iter().enumerate() {
                    check(s, j, c.wait(WAIT).unwrap());
                }
                peak = peak.max(common::threads() - 1);
            }
        }
        RunnerKind::Tokio => tokio_rt.as_ref().unwrap().block_on(async {
            for (s, cs) in started.into_iter().enumerate() {
                for (j, c) in cs.into_iter().enumerate() {
                    check(s, j, c.await.unwrap());
                }
                peak = peak.max(common::threads() - 1);
            }
        }),
        RunnerKind::Smol => smol::block_on(async {
            for (s, cs) in started.into_iter().enumerate() {
                for (j, c) in cs.into_iter().enumerate() {
                    check(s, j, c.await.unwrap());
                }
                peak = peak.max(common::threads() - 1);
            }
        }),
    }
    let (wall, cpu_used) = (wall0.elapsed(), common::cpu() - cpu0);
    drop(conns);
    stop.store(true, Ordering::Relaxed);
    let peak = peak.max(sampler.join().unwrap());
    println!(
        "{{\"runner\":\"{kind}\",\"wall_ms\":{:.1},\"cpu_ms\":{:.1},\"peak_rss_kib\":{:.0},\"peak_threads\":{peak}}}",
        wall.as_secs_f64() * 1e3,
        cpu_used.as_secs_f64() * 1e3,
        common::peak_rss_kib()
    );
}
