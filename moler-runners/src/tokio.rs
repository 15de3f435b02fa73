//! The tokio runner: one task per connection on a tokio runtime; descriptors registered with
//! tokio's reactor (`AsyncFd`), deadlines on tokio's timer.

use std::any::Any;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use moler_core::Connection;
use moler_io::{Interest, Transport};
use tokio::io::unix::AsyncFd;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::time::Sleep;

use crate::driver::{prepare, Registration, Runtime, Timer, DEFAULT_READ_BUFFER};
use crate::handle::ConnectionHandle;
use crate::{Error, RunnerKind};

/// Starts connections as tasks on a tokio runtime (multi-thread or current-thread; the
/// runtime needs its I/O and time drivers: `Builder::enable_all`).
///
/// The handles work from anywhere: `.await` them in async code, `wait` on them from plain
/// threads. A connection lives as long as its handles *and* its runtime: dropping the runtime
/// fails the connection's unfinished observers with a closed-connection error saying so.
///
/// A current-thread runtime runs its tasks only inside its `block_on` (as `#[tokio::test]`
/// does): its connections progress while you await there. To `wait` from plain threads, use a
/// multi-thread runtime. A blocking `wait` on a task of any tokio runtime is refused with
/// `Error::WrongUsage` before anything is sent: `.await` the handle there, or block from a
/// `spawn_blocking` thread, where waiting is allowed (see [`crate::blocking_allowed`]).
///
/// On a multi-thread runtime, code that awaits in `block_on` (the body of `#[tokio::main]`)
/// gets each answer handed from a worker thread to its own: one context switch more per
/// command, which no runner can save (raw I/O awaited there pays it too). Awaited in a task
/// (`tokio::spawn` the script, then await its handle), the answer wakes it on the worker that
/// read it: the `roundtrip` bench measures 1.1-1.6 x the raw floor in `block_on`, 0.3-1.2 x
/// in a task (the README's Performance section says why the range is so wide).
///
/// Many connections on few CPUs: in the `scale` bench (10,000 connections, 10 commands each,
/// 2 CPUs shared with the simulator) a current-thread runtime served the same commands with
/// 1.8-2.9 s of CPU time against 3.3-4.0 s on the multi-thread runtime, which spends the
/// difference handing sockets and wake-ups between its workers' CPUs.
#[derive(Debug, Clone)]
pub struct TokioRunner {
    handle: Handle,
    read_buffer: usize,
}

impl TokioRunner {
    /// A runner on the tokio runtime this is called from; an error outside one.
    ///
    /// ```
    /// use moler_core::Command;
    /// use moler_runners::TokioRunner;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// assert!(std::thread::spawn(TokioRunner::new).join().unwrap().is_err(), "no runtime there");
    /// let (transport, device) = moler_io::memory::pair("demo");
    /// let conn = TokioRunner::new().unwrap().spawn("demo", transport).unwrap();
    /// device.respond_on_next_write("uname\r\nLinux\r\nhost$ ");
    /// let out = conn.start(Command::lines("uname", r"^host\$ ")).await.unwrap();
    /// assert_eq!(out, ["Linux"]);
    /// # });
    /// ```
    pub fn new() -> Result<Self, Error> {
        Handle::try_current()
            .map(Self::with_handle)
            .map_err(|_| Error::NoRuntime { runner: RunnerKind::Tokio })
    }

    /// A runner on moler's own runtime: a tokio multi-thread runtime with one worker thread
    /// (`moler-tokio`), started on first use and shared by every connection on it for the life
    /// of the process. For code with no runtime of its own, as Moler's `asyncio-in-thread`
    /// runs its connections on an asyncio loop in a thread of its own: the handles are
    /// awaited or waited on as with any tokio runner (waiting blocks the calling thread, the
    /// worker reads).
    ///
    /// ```
    /// use std::time::Duration;
    /// use moler_core::Command;
    /// use moler_runners::TokioRunner;
    ///
    /// let (transport, device) = moler_io::memory::pair("demo");
    /// let conn = TokioRunner::background().unwrap().spawn("demo", transport).unwrap();
    /// device.respond_on_next_write("uname\r\nLinux\r\nhost$ ");
    /// let out = conn.run(Command::lines("uname", r"^host\$ "), Duration::from_secs(10));
    /// assert_eq!(out.unwrap(), ["Linux"]);
    /// ```
    ///
    /// An error if the runtime cannot start (the process cannot make its thread or its epoll
    /// descriptor); the next call tries again.
    pub fn background() -> io::Result<Self> {
        static HANDLE: std::sync::Mutex<Option<Handle>> = std::sync::Mutex::new(None);
        let mut started = HANDLE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(handle) = &*started {
            return Ok(Self::with_handle(handle.clone()));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("moler-tokio")
            .enable_all()
            .build()?;
        // Kept for the life of the process: its connections may outlive every caller.
        let handle = Box::leak(Box::new(runtime)).handle().clone();
        *started = Some(handle.clone());
        Ok(Self::with_handle(handle))
    }

    /// A runner on the runtime behind `handle` (it may be called from any thread).
    pub fn with_handle(handle: Handle) -> Self {
        Self { handle, read_buffer: DEFAULT_READ_BUFFER }
    }

    /// The runtime it runs on.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The most bytes one read hands to the connection (default 16 KiB).
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
        let current_thread = self.handle.runtime_flavor() == RuntimeFlavor::CurrentThread;
        if current_thread {
            // For the hint of a blocking wait's timeout on it (see `wait.rs`).
            let data: Arc<dyn Any + Send + Sync> = Arc::new(CurrentThread);
            connection.mailbox().set_runner_data(data);
        }
        let (handle, driver) =
            prepare::<TokioRuntime>(connection, transport, RunnerKind::Tokio, self.read_buffer);
        // On a current-thread runtime the task that awaits a result drives the connection
        // itself (see `assist.rs`): the answer wakes it, not the connection's task, which would
        // then have to wake it (a second pass of the scheduler through the driver). On the
        // multi-thread runtime a worker polls the I/O whichever task reads: measured, the assist
        // saved nothing there.
        if current_thread {
            self.handle.spawn(driver.assisted());
        } else {
            self.handle.spawn(driver);
        }
        Ok(handle)
    }
}

/// The runner data of a connection on a current-thread runtime, which runs it only inside its
/// `block_on`: the timeout of a blocking wait on it says so.
pub(crate) struct CurrentThread;

impl CurrentThread {
    /// What a timeout of a blocking wait on such a connection adds to its hint.
    pub(crate) const HINT: &'static str = "the connection runs on a tokio current-thread \
        runtime, which reads its answers only while a `block_on` of it runs: if none ran \
        meanwhile (none at all, or one blocked, e.g. a `#[tokio::test]` body in a `join`), \
        the answer sat unread. Await the command inside `block_on`, or wait from plain \
        threads on a multi-thread runtime";
}

pub(crate) struct TokioRuntime;

impl Runtime for TokioRuntime {
    type Registration = TokioFd;
    type Timer = TokioTimer;

    #[allow(unsafe_code)]
    fn register(fd: RawFd, interest: Option<Interest>) -> io::Result<TokioFd> {
        use tokio::io::Interest as I;
        let wanted = match interest {
            Some(Interest::Readable) => I::READABLE,
            Some(Interest::Writable) => I::WRITABLE,
            None => I::READABLE | I::WRITABLE,
        };
        // SAFETY: `fd` is an open descriptor of the transport the driver owns; the driver
        // drops this registration before the transport (field order in `Endpoint`), and
        // `Fd::as_raw_fd` always returns it.
        let fd = unsafe { AsyncFd::register_with_interest(Fd(fd), wanted) }?;
        Ok(TokioFd { fd, interest })
    }

    fn timer() -> TokioTimer {
        TokioTimer(None)
    }
}

/// A descriptor of the transport the driver owns (the registration is dropped first).
pub(crate) struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

pub(crate) struct TokioFd {
    fd: AsyncFd<Fd>,
    /// `None`: both kinds.
    interest: Option<Interest>,
}

impl Registration for TokioFd {
    // Asking tokio first made the current-thread runtime slower over TCP (1.13-1.31x the
    // floor, 15-17 µs of CPU per round trip more than the floor, against 1.10-1.11x and
    // 7-9 µs reading first): its I/O driver runs only when the runtime parks, so the
    // readiness it knows often lags an answer already in the socket.
    const TRACKS_READINESS: bool = false;
    // As tokio's own streams (`PollEvented::poll_read`): with epoll, a read that returned less
    // than asked emptied the descriptor (a stream that decodes, telnet, says so itself:
    // `FdIo::drained`). Clearing with the guard the read was made under is
    // exact: readiness that came after the guard was taken is kept (tokio compares ticks).
    const SHORT_READ_CLEARS: bool = true;

    fn covers(&self, interest: Interest) -> bool {
        self.interest.is_none_or(|i| i == interest)
    }

    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut dyn FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        loop {
            let mut guard = ready!(match interest {
                Interest::Readable => self.fd.poll_read_ready(cx),
                Interest::Writable => self.fd.poll_write_ready(cx),
            })?;
            // `try_io` clears the readiness when `op` would block, so the loop then waits.
            if let Ok(r) = guard.try_io(|_| op()) {
                return Poll::Ready(r);
            }
        }
    }

    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        tries: bool,
        op: &mut dyn FnMut() -> io::Result<(usize, bool)>,
    ) -> Poll<io::Result<(usize, bool)>> {
        if !matches!(interest, Interest::Readable) {
            return self.poll_io(cx, interest, op);
        }
        loop {
            let mut guard = match self.fd.poll_read_ready(cx) {
                Poll::Ready(guard) => guard?,
                // Not known ready, maybe not polled for yet: the read is made without a guard
                // (a short one clears nothing), and a `WouldBlock` waits with the waker that is
                // registered already.
                Poll::Pending if tries => {
                    return match op() {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
                        r => Poll::Ready(r),
                    };
                }
                Poll::Pending => return Poll::Pending,
            };
            if let Ok(r) = guard.try_io(|_| op()) {
                if matches!(r, Ok((_, true))) {
                    guard.clear_ready();
                }
                return Poll::Ready(r);
            }
        }
    }
}

pub(crate) struct TokioTimer(Option<Pin<Box<Sleep>>>);

impl Timer for TokioTimer {
    fn poll_at(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        let at = tokio::time::Instant::from_std(at);
        let sleep = match &mut self.0 {
            Some(sleep) => {
                if sleep.deadline() != at {
                    sleep.as_mut().reset(at);
                }
                sleep
            }
            slot => slot.insert(Box::pin(tokio::time::sleep_until(at))),
        };
        sleep.as_mut().poll(cx)
    }
}
