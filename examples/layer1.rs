//! Layer 1, bring your own I/O: a plain `std::net::TcpStream` feeds a sans-IO `Connection` by
//! hand. No runner, no thread of moler's: your loop reads, writes and keeps the time.
//!
//! `cargo run --example layer1` (the "device" is a tiny TCP console started here).
//!
//! The loop is what every runner does (the order the `Connection` docs give):
//! 1. write what `poll_transmit` appends to your buffer (one buffer, reused);
//! 2. wait for bytes until `poll_timeout` (the earliest observer deadline);
//! 3. `handle_input(bytes, now)` or, when the deadline passed, `handle_timeout(now)`.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use moler::commands::unix::Uname;
use moler::commands::UnixCommand;
use moler::{Command, Connection, Wait4};

const PROMPT: &str = "^console> $";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = start_device()?;
    let mut stream = TcpStream::connect(address)?;
    stream.set_nodelay(true)?;

    let mut conn = Connection::new("console");
    let start = Instant::now();
    // An event: every ALARM line, in the background, alongside the commands.
    let alarms = conn.start(Wait4::new([r"^ALARM (?P<code>\d+)$"])?.till_occurs_times(1), start);
    // Commands run one at a time, in order: a typed Moler command and a generic one.
    let uname = conn.start(Uname::new().options("-a").command_with_prompt(PROMPT), start);
    let status = conn.start(Command::lines("status", PROMPT), start);

    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    while !(uname.is_done() && status.is_done() && alarms.is_done()) {
        if conn.poll_transmit(&mut out) > 0 {
            stream.write_all(&out)?;
            out.clear();
        }
        let now = Instant::now();
        match conn.poll_timeout() {
            Some(deadline) if deadline <= now => {
                conn.handle_timeout(now);
                continue;
            }
            Some(deadline) => stream.set_read_timeout(Some(deadline - now))?,
            None => stream.set_read_timeout(None)?,
        }
        match stream.read(&mut buf) {
            Ok(0) => conn.handle_close(None),
            Ok(n) => conn.handle_input(&buf[..n], Instant::now()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                conn.handle_timeout(Instant::now())
            }
            Err(e) => conn.handle_close(Some(e)),
        }
    }

    let uname = uname.try_result().expect("done")?;
    println!("uname -a: {}", uname.result.join(" "));
    println!("status: {:?}", status.try_result().expect("done")?);
    let alarm = &alarms.try_result().expect("done")?[0];
    println!("alarm seen: code {}", alarm.named_groups["code"].as_deref().unwrap_or("?"));
    Ok(())
}

/// A tiny line console on 127.0.0.1: echoes each line, answers `uname -a` and `status`,
/// raises an alarm, and shows its prompt `console> `.
fn start_device() -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else { return };
        let mut out = stream.try_clone().expect("a TCP stream clones");
        let _ = out.write_all(b"console> ");
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            let answer = match line.trim() {
                "uname -a" => "Linux console 6.1.0 #1 SMP x86_64 GNU/Linux\r\n",
                "status" => "link up\r\nALARM 42\r\nfans ok\r\n",
                _ => "",
            };
            let _ = write!(out, "{line}\r\n{answer}console> ");
        }
    });
    Ok(address)
}
