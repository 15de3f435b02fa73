//! What building an observer costs: a device builds a command for every call and starts events
//! all the time, so building one must cost much less than a round trip to a local shell
//! (~16 µs over TCP).
//!
//! For each observer kind two figures, in µs per build:
//! - **first**: the first build of that kind in this process (regexes compiled, caches filled;
//!   kinds built earlier in the list may have filled some of them already);
//! - **steady**: the median of `--n` builds after it (each build timed alone, the observer
//!   dropped outside the timing).
//!
//! The last line is the figures as one JSON object, for scripts.
//!
//! `cargo bench --bench build -- [--n 2000]` (target: steady ≤ 10 µs for every kind)

use std::time::{Duration, Instant};

use moler::commands::unix::{IpAddr, Ls, Ping};
use moler::commands::{Registry, UnixCommand};
use moler::Wait4;
use serde_json::json;

#[path = "support/mod.rs"]
mod common;

/// Times `build` once alone, then `n` times; returns (first µs, steady median µs, p99 µs).
fn measure<T>(n: usize, mut build: impl FnMut() -> T) -> (f64, f64, f64) {
    let t = Instant::now();
    let first = build();
    let first_us = t.elapsed().as_secs_f64() * 1e6;
    drop(first);
    let mut samples: Vec<Duration> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let built = build();
        samples.push(t.elapsed());
        drop(built);
    }
    let s = common::stats(&mut samples);
    (first_us, s.median_us, s.p99_us)
}

fn main() {
    let n = if common::smoke() { 20 } else { common::arg_or("--n", 2_000) };
    let registry = Registry::default();
    println!("build: µs per observer built, first build then median (p99) of {n}");

    let mut figures: Vec<(String, f64, f64)> = Vec::new();
    let mut row = |name: &str, (first, steady, p99): (f64, f64, f64)| {
        println!("{name:<28} first {first:>9.1} µs   steady {steady:>7.2} µs (p99 {p99:>7.2})");
        figures.push((name.to_owned(), first, steady));
    };

    row(
        "Wait4::new (2 patterns)",
        measure(n, || Wait4::new([r"ALARM (\d+)", r"^moler_bash# $"]).unwrap()),
    );
    let by_name: [(&str, serde_json::Value); 4] = [
        ("ping", json!({"destination": "localhost", "options": "-c 1"})),
        ("ls", json!({"options": "-l"})),
        ("ssh", json!({"host": "10.0.0.1", "login": "user", "password": "pw"})),
        ("ip_addr", json!({})),
    ];
    for (name, params) in &by_name {
        row(
            &format!("Registry::command {name}"),
            measure(n, || registry.command(name, params).unwrap()),
        );
    }
    let events: [(&str, serde_json::Value); 4] = [
        ("wait4", json!({"detect_patterns": [r"ALARM (\d+)", "^moler_bash# $"]})),
        ("wait4prompt", json!({"prompt": "^moler_bash# $"})),
        ("ping_response", json!({})),
        ("last_login", json!({})),
    ];
    for (name, params) in &events {
        row(
            &format!("Registry::event {name}"),
            measure(n, || registry.event(name, params).unwrap()),
        );
    }
    row("Ls::new().command()", measure(n, || Ls::new().command()));
    row("Ping::new(..).command()", measure(n, || Ping::new("localhost").command()));
    row("IpAddr::new().command()", measure(n, || IpAddr::new().command()));

    let worst = figures.iter().map(|f| f.2).fold(0.0, f64::max);
    println!("worst steady {worst:.2} µs (target ≤ 10)");
    let body: Vec<String> = figures
        .iter()
        .map(|(name, first, steady)| {
            format!("\"{name}\": {{\"first_us\": {first:.1}, \"steady_us\": {steady:.2}}}")
        })
        .collect();
    println!("{{\"n\": {n}, \"worst_steady_us\": {worst:.2}, {}}}", body.join(", "));
}
