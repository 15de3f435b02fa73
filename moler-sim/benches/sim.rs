//! What a simulated device costs: `cargo bench -p moler-sim --bench sim` (a smoke run under
//! `cargo test --benches`).
//!
//! - engine: commands a `Session` answers per second, sans-IO (no socket, no clock);
//! - tcp raw: one client on 127.0.0.1 typing a command and reading up to the prompt, in turn;
//! - tcp moler: the same with moler's `Command::lines` over the tcp transport;
//! - tcp sessions: many clients at once on one listener.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_io::tcp::{self, TcpOptions};
use moler_io::Greeting;
use moler_sim::{Device, Listener, Protocol, Session};

const DEVICE: &str = r#"
banner: simbox ready
states:
  SHELL:
    prompt: "sim$ "
    commands:
      - {match: hostname, answer: simbox}
      - {regex: 'echo (.*)', answer: "{1}"}
      - {match: ls -l, answer: "total 8\ndrwxr-xr-x  2 root root    4096 Sep 25  2014 bin\n-rw-r--r--  1 root root      51 Dec 15 10:48 a.txt\n"}
"#;

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let n = if smoke { 200 } else { 20_000 };
    let device = Arc::new(Device::from_yaml(DEVICE).unwrap());

    let now = Instant::now();
    let mut s = Session::new(Arc::clone(&device), now);
    s.take_output();
    let lines = ["hostname\r", "echo hello world\r", "ls -l\r", "nosuch\r"];
    let started = Instant::now();
    let mut bytes = 0;
    for i in 0..n * 10 {
        bytes += s.feed(lines[i % lines.len()].as_bytes(), now).len();
    }
    let took = started.elapsed();
    println!(
        "engine:       {:>9.0} commands/s ({} commands, {bytes} bytes out, {:.2} µs each)",
        (n * 10) as f64 / took.as_secs_f64(),
        n * 10,
        took.as_secs_f64() * 1e6 / (n * 10) as f64
    );

    let listener = Listener::bind("127.0.0.1:0", Arc::clone(&device), Protocol::Raw).unwrap();
    let mut c = TcpStream::connect(listener.addr()).unwrap();
    c.set_nodelay(true).unwrap();
    read_until(&mut c, b"sim$ ");
    let started = Instant::now();
    for _ in 0..n {
        c.write_all(b"hostname\r").unwrap();
        read_until(&mut c, b"sim$ ");
    }
    let took = started.elapsed();
    println!(
        "tcp raw:      {:>9.0} commands/s ({:.1} µs per round trip, one session)",
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n as f64
    );

    let options = TcpOptions {
        greeting: Some(Greeting {
            marker: "simbox ready".into(),
            prompt: "sim$ ".into(),
            timeout: Duration::from_secs(10),
        }),
        ..Default::default()
    };
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let dev = runner
        .spawn("bench", tcp::connect("127.0.0.1", listener.addr().port(), &options).unwrap())
        .unwrap();
    let started = Instant::now();
    for _ in 0..n {
        let out =
            dev.run(Command::lines("hostname", "^sim\\$ $"), Duration::from_secs(10)).unwrap();
        assert_eq!(out, ["simbox"]);
    }
    let took = started.elapsed();
    println!(
        "tcp moler:    {:>9.0} commands/s ({:.1} µs per Command::lines round trip, thread runner)",
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n as f64
    );

    let sessions = if smoke { 20 } else { 500 };
    let per = if smoke { 10 } else { 100 };
    let addr = listener.addr();
    let started = Instant::now();
    let threads: Vec<_> = (0..sessions)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_nodelay(true).unwrap();
                read_until(&mut c, b"sim$ ");
                for _ in 0..per {
                    c.write_all(b"echo x\r").unwrap();
                    read_until(&mut c, b"sim$ ");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let took = started.elapsed();
    println!(
        "tcp sessions: {:>9.0} commands/s ({sessions} sessions at once, {per} commands each, {:.0} ms; one server thread)",
        (sessions * per) as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e3
    );
}

fn read_until(c: &mut TcpStream, end: &[u8]) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.ends_with(end) {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "closed");
        seen.extend_from_slice(&buf[..n]);
    }
}
