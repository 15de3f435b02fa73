//! The thread runner: one OS thread per connection, no async runtime.
//!
//! The thread runs the shared [`Driver`] with a tiny executor of its own: when the driver
//! waits, the thread blocks in `poll(2)` on the transport's descriptors, a wake-up socket (for
//! requests from handles) and the driver's next deadline as the timeout.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{self, Read, Write};
use std::os::fd::{BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;
use std::time::Instant;

use moler_core::Connection;
use moler_io::{Interest, Transport};
use rustix::event::{poll, PollFd, PollFlags, Timespec};

use crate::driver::{prepare, Registration, Runtime, Timer, DEFAULT_READ_BUFFER};
use crate::handle::ConnectionHandle;
use crate::RunnerKind;

/// Starts connections on OS threads: one thread per connection, blocked in `poll(2)` while
/// there is nothing to do. Needs no async runtime.
#[derive(Debug, Clone)]
pub struct ThreadRunner {
    read_buffer: usize,
}

impl Default for ThreadRunner {
    fn default() -> Self {
        Self { read_buffer: DEFAULT_READ_BUFFER }
    }
}

impl ThreadRunner {
    /// A runner with a 16 KiB read buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most bytes one read hands to the connection.
    pub fn read_buffer(mut self, bytes: usize) -> Self {
        self.read_buffer = bytes.max(1);
        self
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
        let name = format!("moler:{}", connection.name());
        let (handle, driver) =
            prepare::<ThreadRuntime>(connection, transport, RunnerKind::Thread, self.read_buffer);
        std::thread::Builder::new().name(name).spawn(move || block_on(driver))?;
        Ok(handle)
    }
}

/// What the driver on this thread waits for next.
#[derive(Default)]
struct Waits {
    fds: RefCell<Vec<(RawFd, PollFlags)>>,
    deadline: Cell<Option<Instant>>,
}

thread_local! {
    static WAITS: Waits = Waits::default();
}

pub(crate) struct ThreadRuntime;

impl Runtime for ThreadRuntime {
    type Registration = ThreadFd;
    type Timer = ThreadTimer;

    fn register(fd: RawFd, _: Option<Interest>) -> io::Result<ThreadFd> {
        Ok(ThreadFd(fd))
    }

    fn timer() -> ThreadTimer {
        ThreadTimer
    }
}

pub(crate) struct ThreadFd(RawFd);

impl Registration for ThreadFd {
    fn poll_io<T>(
        &mut self,
        _cx: &mut Context<'_>,
        interest: Interest,
        op: &mut dyn FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let flags = match interest {
                    Interest::Readable => PollFlags::IN,
                    Interest::Writable => PollFlags::OUT,
                };
                WAITS.with(|w| w.fds.borrow_mut().push((self.0, flags)));
                Poll::Pending
            }
            r => Poll::Ready(r),
        }
    }
}

pub(crate) struct ThreadTimer;

impl Timer for ThreadTimer {
    fn poll_at(&mut self, _cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        if at <= Instant::now() {
            return Poll::Ready(());
        }
        WAITS.with(|w| w.deadline.set(Some(w.deadline.get().map_or(at, |d| d.min(at)))));
        Poll::Pending
    }
}

/// Wakes the driver's thread: a byte on its wake-up socket, unless the thread wakes itself
/// (it then sees the flag before it blocks).
struct Notifier {
    woken: AtomicBool,
    owner: ThreadId,
    tx: UnixStream,
}

impl Wake for Notifier {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel) && std::thread::current().id() != self.owner {
            // A full socket already holds a wake-up; nothing is lost.
            let _ = (&self.tx).write(&[1]);
        }
    }
}

/// Runs `future` on this thread, blocking in `poll(2)` while it waits.
fn block_on<F: Future<Output = ()>>(future: F) {
    let (rx, tx) = match UnixStream::pair().and_then(|(rx, tx)| {
        rx.set_nonblocking(true)?;
        tx.set_nonblocking(true)?;
        Ok((rx, tx))
    }) {
        Ok(pair) => pair,
        // Without a wake-up socket the driver cannot run; dropping it fails its observers.
        Err(_) => return,
    };
    let notifier = Arc::new(Notifier {
        woken: AtomicBool::new(false),
        owner: std::thread::current().id(),
        tx,
    });
    let waker = Waker::from(Arc::clone(&notifier));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        notifier.woken.store(false, Ordering::Release);
        if future.as_mut().poll(&mut cx).is_ready() {
            return;
        }
        let waits: Vec<_> = WAITS.with(|w| w.fds.take());
        let deadline = WAITS.with(|w| w.deadline.take());
        if notifier.woken.load(Ordering::Acquire) {
            continue;
        }
        let mut fds = Vec::with_capacity(waits.len() + 1);
        fds.push(PollFd::new(&rx, PollFlags::IN));
        for (fd, flags) in &waits {
            fds.push(PollFd::from_borrowed_fd(borrow(*fd), *flags));
        }
        let timeout = deadline.map(|d| {
            let left = d.saturating_duration_since(Instant::now());
            Timespec::try_from(left).unwrap_or(Timespec { tv_sec: i64::MAX / 2, tv_nsec: 0 })
        });
        match poll(&mut fds, timeout.as_ref()) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            // poll(2) itself failing (out of memory) is not worth a busy loop: give up the
            // connection, whose observers then fail with a closed-connection error.
            Err(_) => return,
        }
        if fds[0].revents().contains(PollFlags::IN) {
            let mut sink = [0u8; 64];
            while matches!((&rx).read(&mut sink), Ok(64)) {}
        }
    }
}

/// A registered descriptor, borrowed for one `poll(2)` call.
#[allow(unsafe_code)]
fn borrow<'a>(fd: RawFd) -> BorrowedFd<'a> {
    // SAFETY: only descriptors of the transport the driver owns are registered, and the
    // driver (which holds the transport) outlives the `poll` call that uses this borrow: the
    // future is still pinned in `block_on`.
    unsafe { BorrowedFd::borrow_raw(fd) }
}
