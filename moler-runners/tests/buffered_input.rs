//! Input that waits inside a stream rather than in its descriptor (`FdIo::has_buffered_input`:
//! an SSH session, whose write makes libssh2 read the socket into its own buffers), on every
//! runner and every way of waiting: the runner reads it after the write, though the descriptor
//! never becomes readable. Two kinds of stream: one whose `drained` counts what a write pulled
//! in (moler's SSH and telnet sessions do), and one whose `drained` speaks of its last read
//! only, as the trait's doc describes it (a transport of a user's own may). Before this test,
//! only moler-sim's SSH test reached these rules, and only when an answer happened to come
//! during a write (about one run in three).

use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use moler_core::Command;
use moler_io::tcp::{self, TcpOptions};
use moler_io::{FdIo, Interest, Op};
use moler_runners::CompletionExt;

#[macro_use]
mod support;
use support::{Rig, PROMPT};

on_every_runner!(
    an_answer_pulled_in_by_a_write_is_read,
    an_answer_pulled_in_by_a_write_is_read_though_the_stream_says_it_drained
);

fn an_answer_pulled_in_by_a_write_is_read(rig: &Rig) {
    pulls_on_write(rig, true);
}

/// A stream whose `drained` speaks of its last read only: on tokio and smol, the runner once
/// waited on the descriptor's readiness and never read what the write had pulled in (the
/// command timed out, in 2 runs of 3, on one runner or both).
fn an_answer_pulled_in_by_a_write_is_read_though_the_stream_says_it_drained(rig: &Rig) {
    pulls_on_write(rig, false);
}

/// Each command's timeout. A runner that missed an answer held in the stream would find it only
/// when a timer woke the connection (the thread runner: at the command's timeout, which then
/// passes; tokio and smol: never, and the command times out).
const TIMEOUT: Duration = Duration::from_secs(30);
/// How long an answer that is there at once may take on a busy machine: far less than a
/// timeout, far more than the microseconds it takes.
const AT_ONCE: Duration = Duration::from_secs(5);

/// `result`, asserted to be `ok N` and to have come within [`AT_ONCE`] of `since`.
fn answered(what: &str, result: moler_core::Result<Vec<String>>, n: usize, since: Instant) {
    let took = since.elapsed();
    assert_eq!(result.unwrap(), [format!("ok {n}")], "{what}");
    assert!(took < AT_ONCE, "{what}: answered after {took:?}, when a timer woke the connection");
}

/// A stream whose descriptor is a TCP socket the peer never writes to: each line written is
/// answered (echo, `ok N`, the prompt) into the stream's own buffer, during the write, as if
/// the write had read the answer off the socket. Like an SSH session, it says when a read left
/// it drained (else a runner reads once more before it waits, and finds the answer that way).
struct PullsOnWrite {
    /// `drained` is false while input waits in the stream (as moler's SSH session says it).
    counts_buffered: bool,
    /// For its descriptor only: the peer keeps it open and silent.
    inner: Box<dyn FdIo>,
    line: Vec<u8>,
    buffered: Vec<u8>,
    /// What the last read left: nothing in the stream or its descriptor.
    drained: bool,
}

impl FdIo for PullsOnWrite {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.buffered.is_empty() {
            self.drained = true;
            return self.inner.read(buf);
        }
        let n = buf.len().min(self.buffered.len());
        buf[..n].copy_from_slice(&self.buffered[..n]);
        self.buffered.drain(..n);
        self.drained = self.buffered.is_empty();
        Ok(n)
    }
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            if b != b'\n' {
                self.line.push(b);
                continue;
            }
            let line = String::from_utf8(std::mem::take(&mut self.line)).unwrap();
            let n = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            self.buffered.extend(format!("{line}\r\nok {n}\r\nhost$ ").bytes());
        }
        Ok(buf.len())
    }
    fn blocked_on(&self, op: Op) -> (BorrowedFd<'_>, Interest) {
        self.inner.blocked_on(op)
    }
    fn has_buffered_input(&self) -> bool {
        !self.buffered.is_empty()
    }
    /// Of the last read: it left nothing in the stream, and the descriptor (silent) has
    /// nothing either, so the runner waits for the descriptor instead of reading again. With
    /// `counts_buffered`, also of now: what a write pulled in since makes it false.
    fn drained(&self) -> bool {
        self.drained && (!self.counts_buffered || self.buffered.is_empty())
    }
}

/// Commands through a [`PullsOnWrite`] stream: run, waited for on another thread, awaited.
fn pulls_on_write(rig: &Rig, counts_buffered: bool) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut transport = tcp::connect("127.0.0.1", port, &TcpOptions::default()).unwrap();
    let (_silent_peer, _) = listener.accept().unwrap();
    let moler_io::Stream::Fd(inner) = transport.stream else { panic!("TCP is a descriptor") };
    let (line, buffered) = (Vec::new(), Vec::new());
    let stream = PullsOnWrite { counts_buffered, inner, line, buffered, drained: false };
    transport.stream = moler_io::Stream::Fd(Box::new(stream));
    let conn = rig.runner.spawn("pulls-on-write", transport).unwrap();
    let cmd = |n: usize| Command::lines(format!("cmd {n}"), PROMPT).timeout(TIMEOUT);
    for n in 0..10 {
        // Blocking, from the test's thread (on the thread runner, that thread drives).
        let since = Instant::now();
        answered(&format!("run, command {n}"), conn.run(cmd(n), TIMEOUT), n, since);
        // Started here, waited for on another thread (the runner's own driver writes).
        let since = Instant::now();
        let started = conn.start(cmd(100 + n));
        let result = std::thread::spawn(move || started.wait(TIMEOUT)).join().unwrap();
        answered(&format!("waited elsewhere, command {n}"), result, 100 + n, since);
    }
    // Awaited (on tokio and smol, the awaiting task drives through the runner's assist).
    rig.block_on(async {
        for n in 200..210 {
            let since = Instant::now();
            let result = conn.start(cmd(n)).await;
            answered(&format!("awaited, command {n}"), result, n, since);
        }
    });
}
