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
/// (on the global executor, another thread). What nobody awaits (an event's line, a deadline)
/// is the connection's task's, at once.
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
    type Registration = SmolRegistration;
    type Timer = SmolTimer;

    fn register(fd: RawFd, _: Option<Interest>) -> io::Result<SmolRegistration> {
        Ok(SmolRegistration { io: Async::new_nonblocking(Fd(fd))?, woken: [false; 2] })
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

/// A descriptor registered with async-io's reactor.
pub(crate) struct SmolRegistration {
    io: Async<Fd>,
    /// Per interest (read, write): the last readiness poll was `Pending`, so a wake-up may
    /// have left an event to take (see [`SmolRegistration::take_event`]).
    woken: [bool; 2],
}

impl SmolRegistration {
    /// async-io's readiness poll, remembering whether it left a wait armed (`Pending`) or took
    /// the event (`Ready`).
    fn poll_ready(&mut self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>> {
        let ready = match interest {
            Interest::Readable => self.io.poll_readable(cx),
            Interest::Writable => self.io.poll_writable(cx),
        };
        self.woken[slot(interest)] = ready.is_pending();
        ready
    }

    /// After `op` succeeded following a wait: takes the event that ended the wait (async-io
    /// reports it to the first readiness poll after it, and `op` has used it), so the next
    /// `WouldBlock` arms a new wait at once instead of being told of this old event and
    /// trying `op` again for nothing (one read per waited answer). Costs no system call: the
    /// event is there (`Ready`), or it has not been reported yet and the waker stays
    /// registered for it (`Pending`).
    fn take_event(&mut self, cx: &mut Context<'_>, interest: Interest) {
        if self.woken[slot(interest)] {
            let _ = self.poll_ready(cx, interest);
        }
    }
}

/// `interest`'s place in [`SmolRegistration::woken`].
fn slot(interest: Interest) -> usize {
    match interest {
        Interest::Readable => 0,
        Interest::Writable => 1,
    }
}

impl Registration for SmolRegistration {
    const TRACKS_READINESS: bool = true;

    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut dyn FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        // async-io reports an event once, to the first readiness poll after it. The event
        // that woke this driver is taken after the read it allowed (`take_event`), so after a
        // read that finds nothing the first readiness poll arms the wait (epoll re-checks the
        // descriptor, so what came meanwhile is reported at once). Left for that poll, the old
        // event made it `Ready` and cost a read for nothing per waited answer. Polled twice
        // still, for an event left by a wake-up that `take_event` did not see. Waiting for
        // readiness before every read went through the reactor, another thread's hop, for an
        // answer already there (smol's global executor: 4 -> 8 context switches per command).
        loop {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => {
                    self.take_event(cx, interest);
                    return Poll::Ready(r);
                }
            }
            for _ in 0..2 {
                std::task::ready!(self.poll_ready(cx, interest))?;
            }
        }
    }

    /// Not `tries` (the read was tried just now, or the last read emptied the descriptor):
    /// asks the reactor first, and reads only once it reports the descriptor ready, sparing the
    /// read that would find nothing.
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        tries: bool,
        op: &mut dyn FnMut() -> io::Result<(usize, bool)>,
    ) -> Poll<io::Result<(usize, bool)>> {
        if !tries {
            std::task::ready!(self.poll_ready(cx, interest))?;
        }
        self.poll_io(cx, interest, op)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::task::Waker;

    /// The connection's home task and a task that assists drive it in turns with wakers the
    /// reactor takes for the same (`Waker::will_wake`): a registration or timer polled by one
    /// after the other keeps its waker, so nobody is woken for the change (async-io wakes a
    /// waker it replaces, and the relay sends that on to the home task, another thread) and
    /// no timer is moved. (With a waker made from the relay apart, this fails in a release
    /// build, where the two wakers' vtables are emitted in different codegen units.)
    #[test]
    fn the_home_task_and_an_assisting_task_poll_with_one_waker() {
        use crate::assist::tests::{task, woken};
        use crate::assist::{Home, Relay};
        use std::time::Duration;

        let relay = Relay::new();
        let mut home = Home::<SmolRuntime>::new(Arc::clone(&relay));
        let assist = home.assist_waker();
        assert!(home.waker().will_wake(&assist));
        // The home task (its waker counts what the relay sends it: wake-ups while no task
        // assists, as here).
        let (home_task, home_waker) = task();
        assert!(home.poll_turn(&mut Context::from_waker(&home_waker), false).is_ready());

        let (ours, _peer) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut reg = SmolRuntime::register(ours.as_raw_fd(), Some(Interest::Readable)).unwrap();
        let mut timer = SmolRuntime::timer();
        let at = Instant::now() + Duration::from_secs(600);
        let mut buf = [0u8; 8];
        let mut op = || (&ours).read(&mut buf).map(|n| (n, true));
        for waker in [home.waker().clone(), assist.clone(), home.waker().clone(), assist] {
            let mut cx = Context::from_waker(&waker);
            assert!(reg.poll_read(&mut cx, Interest::Readable, false, &mut op).is_pending());
            assert!(timer.poll_at(&mut cx, at).is_pending());
        }
        assert_eq!(woken(&home_task), 0, "woken by the change of waker");
    }

    /// A read that need not try first reads only once the reactor reported the descriptor
    /// ready, and after reading what the wait reported, the next such read waits again with
    /// no read: the event it used was taken, not reported a second time.
    #[test]
    fn a_read_that_need_not_try_reads_only_what_the_reactor_reported() {
        let (ours, mut peer) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut reg = SmolRuntime::register(ours.as_raw_fd(), Some(Interest::Readable)).unwrap();
        let reads = Cell::new(0);
        let mut buf = [0u8; 64];
        let mut op = || {
            reads.set(reads.get() + 1);
            (&ours).read(&mut buf).map(|n| (n, n < 64))
        };
        let mut cx = Context::from_waker(Waker::noop());
        let mut read = |cx: &mut Context<'_>| reg.poll_read(cx, Interest::Readable, false, &mut op);

        assert!(read(&mut cx).is_pending(), "nothing came");
        assert_eq!(reads.get(), 0, "no read before the reactor says so");
        peer.write_all(b"answer").unwrap();
        let (n, _) = async_io::block_on(std::future::poll_fn(&mut read)).unwrap();
        assert_eq!((n, reads.get()), (6, 1), "one read, when the reactor reported the answer");
        assert!(read(&mut cx).is_pending(), "the answer was read whole");
        assert_eq!(reads.get(), 1, "the event that reported the answer is not reported again");

        // A read that tries finds the next answer there, then takes the event that reported it
        // (if the reactor has), so asking again waits with no read.
        peer.write_all(b"again").unwrap();
        let tried = reg.poll_read(&mut cx, Interest::Readable, true, &mut op);
        assert!(matches!(tried, Poll::Ready(Ok((5, _)))), "{tried:?}");
        assert_eq!(reads.get(), 2);
        let mut read = |cx: &mut Context<'_>| reg.poll_read(cx, Interest::Readable, false, &mut op);
        assert!(read(&mut cx).is_pending());
        assert_eq!(reads.get(), 2);

        // A read that tries and waits: when the reactor has reported the answer, it is read,
        // and the event that reported it is taken with it, so asking again without a try
        // waits with no read.
        let tried = reg.poll_read(&mut cx, Interest::Readable, true, &mut op);
        assert!(tried.is_pending());
        assert_eq!(reads.get(), 3, "a read that found nothing");
        peer.write_all(b"late").unwrap();
        // The reactor runs (another wait's) and reports the descriptor ready.
        async_io::block_on(async_io::Timer::after(std::time::Duration::from_millis(20)));
        let tried = reg.poll_read(&mut cx, Interest::Readable, true, &mut op);
        assert!(matches!(tried, Poll::Ready(Ok((4, _)))), "{tried:?}");
        assert_eq!(reads.get(), 4);
        let mut read = |cx: &mut Context<'_>| reg.poll_read(cx, Interest::Readable, false, &mut op);
        assert!(read(&mut cx).is_pending());
        assert_eq!(reads.get(), 4, "the event that reported the answer was taken with it");

        drop(peer);
        let (n, _) = async_io::block_on(std::future::poll_fn(&mut read)).unwrap();
        assert_eq!((n, reads.get()), (0, 5), "the peer's close is reported and read");
    }
}
