//! The smol runner: one task per connection on a smol executor; descriptors registered with
//! async-io's reactor, deadlines on async-io's timers.

use std::future::Future;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_executor::Executor;
use async_io::{Async, Timer as IoTimer};
use moler_core::Connection;
use moler_io::{Interest, Transport};

use crate::driver::{prepare, Registration, Runtime, Timer, DEFAULT_READ_BUFFER};
use crate::handle::ConnectionHandle;
use crate::RunnerKind;

/// Starts connections as tasks on smol's global executor (`smol::spawn`: `SMOL_THREADS`
/// threads, default 1), or on an executor of your own that you run.
///
/// The handles work from anywhere: `.await` them in async code, `wait` on them from plain
/// threads. With your own executor, the connections make progress while it runs, and while
/// you `.await` one of their results (see below); dropping it fails their unfinished observers
/// with a closed-connection error saying so.
///
/// A result you `.await` is read by your own task: while it awaits, it drives the connection
/// itself, so the answer wakes it directly instead of going through the connection's task
/// (on the global executor, another thread). The connection's task takes over again two
/// milliseconds after the last such await, for what nobody awaits (events, deadlines).
#[derive(Debug, Clone)]
pub struct SmolRunner {
    executor: Option<Arc<Executor<'static>>>,
    read_buffer: usize,
}

impl Default for SmolRunner {
    fn default() -> Self {
        Self { executor: None, read_buffer: DEFAULT_READ_BUFFER }
    }
}

impl SmolRunner {
    /// A runner on smol's global executor (it starts its threads on first use).
    pub fn new() -> Self {
        Self::default()
    }

    /// A runner on `executor`; run it (`executor.run(..)`) for the connections to progress.
    pub fn with_executor(executor: Arc<Executor<'static>>) -> Self {
        Self { executor: Some(executor), ..Self::default() }
    }

    /// The most bytes one read hands to the connection (default 16 KiB).
    pub fn read_buffer(mut self, bytes: usize) -> Self {
        self.read_buffer = bytes.max(1);
        self
    }

    /// Runs `task` on this runner's executor.
    pub(crate) fn spawn_task(&self, task: impl Future<Output = ()> + Send + 'static) {
        match &self.executor {
            Some(ex) => ex.spawn(task).detach(),
            None => smol::spawn(task).detach(),
        }
    }

    /// Starts driving a new connection named `name` over `transport`.
    pub fn spawn(&self, name: &str, transport: Transport) -> io::Result<ConnectionHandle> {
        self.spawn_connection(Connection::new(name), transport)
    }

    /// Starts driving `connection` (already configured, e.g. its newline) over `transport`.
    pub fn spawn_connection(
        &self,
        connection: Connection,
        transport: Transport,
    ) -> io::Result<ConnectionHandle> {
        let (handle, driver) =
            prepare::<SmolRuntime>(connection, transport, RunnerKind::Smol, self.read_buffer);
        let driver = driver.assisted();
        match &self.executor {
            Some(ex) => ex.spawn(driver).detach(),
            None => smol::spawn(driver).detach(),
        }
        Ok(handle)
    }
}

pub(crate) struct SmolRuntime;

impl Runtime for SmolRuntime {
    type Registration = Async<Fd>;
    type Timer = SmolTimer;

    fn register(fd: RawFd, _: Option<Interest>) -> io::Result<Async<Fd>> {
        Async::new_nonblocking(Fd(fd))
    }

    fn timer() -> SmolTimer {
        SmolTimer { timer: IoTimer::never(), armed: None }
    }
}

/// A descriptor of the transport the driver owns (the registration is dropped first).
pub(crate) struct Fd(RawFd);

impl AsFd for Fd {
    #[allow(unsafe_code)]
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor belongs to the transport the driver owns; the driver drops
        // this registration before the transport (field order in `Endpoint`).
        unsafe { BorrowedFd::borrow_raw(self.0) }
    }
}

impl Registration for Async<Fd> {
    const TRACKS_READINESS: bool = true;

    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut dyn FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        // async-io reports an event once, to the first readiness poll after it. The event
        // that woke this driver has been used by the read that came before: a readiness poll
        // right after a read that found nothing reports that old event, and a second one arms
        // the wait (epoll re-checks the descriptor, so what came meanwhile is reported at
        // once). Reading again after the old event read for nothing (five reads per command);
        // waiting for readiness before every read went through the reactor, another thread's
        // hop, for an answer already there (smol's global executor: 4 -> 8 context switches
        // per command).
        loop {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
            for _ in 0..2 {
                let ready = match interest {
                    Interest::Readable => self.poll_readable(cx),
                    Interest::Writable => self.poll_writable(cx),
                };
                match ready {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
    }
}

pub(crate) struct SmolTimer {
    timer: IoTimer,
    armed: Option<Instant>,
}

impl Timer for SmolTimer {
    fn poll_at(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        if at <= Instant::now() {
            return Poll::Ready(());
        }
        if self.armed != Some(at) {
            self.timer.set_at(at);
            self.armed = Some(at);
        }
        // Fired timers are not polled again: `at` has passed by then, answered above.
        std::pin::Pin::new(&mut self.timer).poll(cx).map(|_| ())
    }
}
