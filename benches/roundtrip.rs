//! Round trip of `echo N` on a local bash in a pty: the raw floor (a minimal write-line /
//! read-until-prompt loop, no moler code) against the thread runner's full command path,
//! measured in the same run, interleaved in rounds so machine noise hits both alike.
//!
//! `cargo bench --bench roundtrip -- --n 2000 [--rounds 4]`

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use moler::{Command, ThreadRunner, LOCAL_PROMPT};
use moler_io::terminal::{self, TerminalOptions, PROMPT};

#[path = "support/mod.rs"]
mod common;

fn main() {
    let n: usize = common::arg_or("--n", if common::smoke() { 40 } else { 2000 });
    let rounds: usize = common::arg_or("--rounds", 4).max(1);
    let per_round = n.div_ceil(rounds);
    let options = TerminalOptions::default();

    // (a) the raw floor
    let mut raw = terminal::open(&options).expect("open bash in a pty");
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = Vec::with_capacity(4096);
    let mut raw_rtt = |i: usize| -> Duration {
        let line = format!("echo {i}\n");
        let t = Instant::now();
        raw.writer.write_all(line.as_bytes()).unwrap();
        seen.clear();
        while !seen.ends_with(PROMPT.as_bytes()) {
            let k = raw.reader.read(&mut buf).unwrap();
            assert!(k > 0, "bash ended");
            seen.extend_from_slice(&buf[..k]);
        }
        t.elapsed()
    };

    // (b) the thread runner, full command path (echo recognition, line parsing, prompt)
    let shell = ThreadRunner::new().spawn("bench", terminal::open(&options).unwrap()).unwrap();
    let thread_rtt = |i: usize| -> Duration {
        let t = Instant::now();
        let out = shell
            .run(Command::lines(format!("echo {i}"), LOCAL_PROMPT), Duration::from_secs(10))
            .unwrap();
        let took = t.elapsed();
        assert_eq!(out, [i.to_string()]);
        took
    };

    for i in 0..n.min(100) {
        raw_rtt(i);
        thread_rtt(i);
    }
    let (mut floor, mut thread) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for r in 0..rounds {
        for i in 0..per_round {
            floor.push(raw_rtt(r * per_round + i));
        }
        for i in 0..per_round {
            thread.push(thread_rtt(r * per_round + i));
        }
    }
    let f = common::stats(&mut floor);
    let t = common::stats(&mut thread);
    let ratio = t.median_us / f.median_us;
    println!(
        "round trip of `echo N` on local bash in a pty, n={} per path, {rounds} rounds",
        floor.len()
    );
    println!("{:<28} {:>10} {:>10} {:>10}", "path", "median µs", "p99 µs", "mean µs");
    println!(
        "{:<28} {:>10.1} {:>10.1} {:>10.1}",
        "raw floor (no moler code)", f.median_us, f.p99_us, f.mean_us
    );
    println!(
        "{:<28} {:>10.1} {:>10.1} {:>10.1}",
        "thread runner", t.median_us, t.p99_us, t.mean_us
    );
    println!("thread/floor median ratio: {ratio:.3} (target <= 1.2)");
    println!(
        "{{\"bench\":\"roundtrip\",\"transport\":\"terminal\",\"n\":{},\"floor\":{{\"median_us\":{:.1},\"p99_us\":{:.1}}},\"thread\":{{\"median_us\":{:.1},\"p99_us\":{:.1},\"ratio\":{:.3}}}}}",
        floor.len(), f.median_us, f.p99_us, t.median_us, t.p99_us, ratio
    );
}
