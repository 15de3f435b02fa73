//! Dispatch throughput: ping-like lines through a `Connection` in 4 KiB chunks with K `Wait4`
//! events whose regexes match only the last line (the same patterns as the Python anchor's
//! `nomatch` mode). Two paths: the core fed directly, and the thread runner reading the memory
//! transport (adds the reader thread, the lock and the transport's copy).
//!
//! `cargo bench --bench dispatch -- --mib 100 --k 1,10 [--chunk 4096]`

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use moler::{CompletionExt, Connection, ThreadRunner, Wait4};

#[path = "support/mod.rs"]
mod common;

const SENTINEL: &str = "MOLER_BENCH_END\n";

/// About `mib` MiB of ping-like lines (deterministic).
fn stream(mib: usize) -> String {
    let target = mib << 20;
    let mut s = String::with_capacity(target + 128);
    let mut x: u64 = 1234;
    let mut i: u64 = 0;
    while s.len() < target {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let ms = (x >> 33) % 2000;
        let _ = writeln!(
            s,
            "64 bytes from 10.{}.{}.{}: icmp_seq={i} ttl=64 time={}.{:03} ms",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255,
            ms / 1000,
            ms % 1000
        );
        i += 1;
    }
    s
}

fn event(j: usize) -> Wait4 {
    Wait4::new([format!("(?:ALARM_{j}: .*raised|MOLER_BENCH_END)")]).unwrap().till_occurs_times(1)
}

fn core_path(data: &[u8], k: usize, chunk: usize) -> f64 {
    let t0 = Instant::now();
    let mut conn = Connection::new("bench");
    let events: Vec<_> = (0..k).map(|j| conn.start(event(j), t0)).collect();
    let t = Instant::now();
    for c in data.chunks(chunk) {
        conn.handle_input(c, t);
    }
    conn.handle_input(SENTINEL.as_bytes(), t);
    let secs = t.elapsed().as_secs_f64();
    for e in events {
        let found = e.try_result().expect("the sentinel ends every event").unwrap();
        assert_eq!(found[0].line, "MOLER_BENCH_END");
    }
    secs
}

fn runner_path(data: &[u8], k: usize, chunk: usize) -> f64 {
    let (io, device) = moler_io::memory::pair("bench");
    device.set_max_read(Some(chunk));
    let conn = ThreadRunner::new().read_buffer(chunk).spawn("bench", io).unwrap();
    let events: Vec<_> = (0..k).map(|j| conn.start(event(j))).collect();
    let t = Instant::now();
    device.inject(data);
    device.inject(SENTINEL);
    for e in events {
        let found = e.wait(Duration::from_secs(600)).unwrap();
        assert_eq!(found[0].line, "MOLER_BENCH_END");
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    let mib: usize = common::arg_or("--mib", if common::smoke() { 1 } else { 100 });
    let chunk: usize = common::arg_or("--chunk", 4096);
    let ks: Vec<usize> = common::arg("--k")
        .unwrap_or_else(|| "1,10".into())
        .split(',')
        .map(|k| k.trim().parse().expect("--k takes numbers like 1,10"))
        .collect();
    let text = stream(mib);
    let data = text.as_bytes();
    let size_mib = data.len() as f64 / (1 << 20) as f64;
    println!("dispatch of {size_mib:.1} MiB of ping-like lines in {chunk}-byte chunks, best of 3");
    println!("{:>4} {:>22} {:>28}", "K", "core MiB/s", "thread runner+memory MiB/s");
    let mut json = Vec::new();
    for &k in &ks {
        let core = (0..3).map(|_| core_path(data, k, chunk)).fold(f64::MAX, f64::min);
        let runner = (0..3).map(|_| runner_path(data, k, chunk)).fold(f64::MAX, f64::min);
        let (c, r) = (size_mib / core, size_mib / runner);
        println!("{k:>4} {c:>22.0} {r:>28.0}");
        json.push(format!("{{\"k\":{k},\"core_mib_s\":{c:.1},\"runner_mib_s\":{r:.1}}}"));
    }
    println!("targets (issue 26): runner >= 2048 MiB/s at K=1, >= 1024 MiB/s at K=10");
    println!(
        "{{\"bench\":\"dispatch\",\"mib\":{size_mib:.1},\"chunk\":{chunk},\"results\":[{}]}}",
        json.join(",")
    );
}
