//! A stream's timed housekeeping (`FdIo::next_tick` and `FdIo::tick`: an SSH session's
//! keepalive), on every runner, over a real TCP socket: ticks come when due on a connection
//! nobody uses, and a tick that fails closes the connection with its error as the reason.

use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_core::Wait4;
use moler_io::tcp::{self, TcpOptions};
use moler_io::{FdIo, Interest, Op};
use moler_runners::CompletionExt;

#[macro_use]
mod support;
use support::{close_reason, device, Rig, WAIT};

on_every_runner!(ticks_come_when_due_and_a_failed_one_closes_the_connection);

/// A plain TCP stream that wants a tick every `EVERY` and fails its `fail_at`th.
struct Ticking {
    inner: Box<dyn FdIo>,
    next: Instant,
    ticks: Arc<AtomicUsize>,
    early: Arc<AtomicUsize>,
    fail_at: usize,
}

const EVERY: Duration = Duration::from_millis(30);

impl FdIo for Ticking {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn blocked_on(&self, op: Op) -> (BorrowedFd<'_>, Interest) {
        self.inner.blocked_on(op)
    }
    fn next_tick(&self) -> Option<Instant> {
        Some(self.next)
    }
    fn tick(&mut self) -> std::io::Result<()> {
        if Instant::now() < self.next {
            self.early.fetch_add(1, Ordering::SeqCst);
        }
        self.next = Instant::now() + EVERY;
        if self.ticks.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            return Err(std::io::Error::other("keepalive refused"));
        }
        Ok(())
    }
}

fn ticks_come_when_due_and_a_failed_one_closes_the_connection(rig: &Rig) {
    let mut transport = tcp::connect("127.0.0.1", device(), &TcpOptions::default()).unwrap();
    let moler_io::Stream::Fd(inner) = transport.stream else { panic!("TCP is a descriptor") };
    let [ticks, early] = [0; 2].map(|_| Arc::new(AtomicUsize::new(0)));
    let next = Instant::now() + EVERY;
    let (counts, early_ones) = (Arc::clone(&ticks), Arc::clone(&early));
    let stream = Ticking { inner, next, ticks: counts, early: early_ones, fail_at: 5 };
    transport.stream = moler_io::Stream::Fd(Box::new(stream));
    let conn = rig.runner.spawn("ticking", transport).unwrap();
    // Nothing else happens on the connection: only the ticks' own deadlines wake it.
    let waiting = conn.start(Wait4::new(["^never$"]).unwrap());
    let started = Instant::now();
    let err = waiting.wait(WAIT).unwrap_err();
    assert_eq!(close_reason(&err).to_string(), "keepalive refused", "{err}");
    assert_eq!(ticks.load(Ordering::SeqCst), 5);
    assert_eq!(early.load(Ordering::SeqCst), 0, "a tick before it was due");
    assert!(started.elapsed() >= EVERY * 4, "five ticks, each when due: {:?}", started.elapsed());
    assert!(conn.is_closed());
}
