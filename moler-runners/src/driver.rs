//! The one driver loop, shared by every runner.
//!
//! [`Driver`] is a future that owns a [`Connection`] and its transport and does the loop the
//! design names: read → `handle_input` → write the outbox → sleep until the next deadline, the
//! next read or the next request. It is written once against three small traits
//! ([`Runtime`], [`Registration`], [`Timer`]); the thread, tokio and smol runners only say how
//! to wait for a descriptor, how to sleep until an instant, and where the future runs.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{ready, Context, Poll, Waker};
use std::time::{Duration, Instant};

use moler_core::{Completion, Connection, Kind, Mailbox, Observer, Step};
use moler_io::{Close, FdIo, Greeting, Interest, Op, PollIo, Stream, Transport};

use crate::assist::{AsyncAssist, Home, Relay};
use crate::handle::{ConnectionHandle, Shared, IN_DRIVER, WILL_DRIVE};
use crate::RunnerKind;

/// How a runtime waits for descriptors and time.
pub(crate) trait Runtime: 'static {
    /// One descriptor registered with the runtime's reactor.
    type Registration: Registration;
    /// A resettable sleep.
    type Timer: Timer;
    /// Registers `fd` for `interest` (`None`: both kinds). Called from inside the driver's
    /// poll, so a runtime whose reactor needs its context has it.
    fn register(fd: RawFd, interest: Option<Interest>) -> io::Result<Self::Registration>;
    /// A timer that is not armed yet.
    fn timer() -> Self::Timer;
    /// Whether the turn about to run on this thread reads the transport's descriptors. False
    /// on the thread runner's connection thread while it leaves them to the threads waiting
    /// for a result (it does not watch them then, see `thread.rs`): such a turn still serves
    /// requests and deadlines, and the reading is left to the threads that watch.
    fn reads_descriptors() -> bool {
        true
    }
}

/// A registered descriptor.
pub(crate) trait Registration: Unpin + Send {
    /// False when this registration cannot wait for `interest` (it must be made again for
    /// both kinds).
    fn covers(&self, interest: Interest) -> bool {
        let _ = interest;
        true
    }

    /// Whether [`Registration::poll_io`] may be called with no attempt just before (it then
    /// makes one itself, or knows the descriptor is not ready); otherwise it is only called
    /// right after `op` returned `WouldBlock`.
    const TRACKS_READINESS: bool;

    /// Runs `op` once the descriptor has `interest`, until `op` stops returning `WouldBlock`;
    /// `Pending` (with the waker registered) while it would block.
    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut dyn FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>>;

    /// Whether [`Registration::poll_read`] clears the readiness it read under when a read
    /// emptied the descriptor (a plain descriptor's read returned less than asked, or the
    /// stream said so: [`FdIo::drained`]), as tokio's own streams do. Its readiness then stays
    /// exact, so every read of such a runtime goes through it: a wait after an answer was read
    /// whole needs no read that finds nothing first.
    const SHORT_READ_CLEARS: bool = false;

    /// [`Registration::poll_io`] for a read; `op` says with each count whether that read
    /// emptied the descriptor (see [`Registration::SHORT_READ_CLEARS`]). `tries`: read even
    /// when the runtime does not know the descriptor ready yet (tokio learns readiness only
    /// when it polls its I/O driver, after an answer may have come).
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        tries: bool,
        op: &mut dyn FnMut() -> io::Result<(usize, bool)>,
    ) -> Poll<io::Result<(usize, bool)>> {
        let _ = tries;
        self.poll_io(cx, interest, op)
    }

    /// Waits for `interest` with no attempt first, where the runtime's wait is
    /// level-triggered (it returns at once if the descriptor is ready already): `true` then,
    /// with the waker registered. `false` (the default) where only a `WouldBlock` arms the
    /// wait (tokio, async-io).
    fn wait_level(&mut self, cx: &mut Context<'_>, interest: Interest) -> bool {
        let _ = (cx, interest);
        false
    }
}

/// A sleep that can be moved.
pub(crate) trait Timer: Unpin + Send {
    /// Ready once `at` passed; otherwise arms the timer for `at` with `cx`'s waker.
    fn poll_at(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()>;
}

/// A transport's stream, with the registrations of its descriptors.
enum Endpoint<R: Runtime> {
    /// `regs` come first: they are dropped (deregistered) before `io` closes the descriptors.
    Fd {
        regs: Vec<(RawFd, R::Registration)>,
        io: Box<dyn FdIo>,
    },
    Poll(Box<dyn PollIo>),
}

impl<R: Runtime> Endpoint<R> {
    /// Reads. `drained`: the descriptor is probably empty (see [`State::drained`]), or the
    /// runtime's readiness is exact ([`Registration::SHORT_READ_CLEARS`]): the read goes
    /// through the registration, and where the wait is level-triggered, it waits instead of
    /// trying (and returns at once if something came meanwhile), sparing a read that would
    /// find nothing. `tries`: see [`Registration::poll_read`].
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        drained: bool,
        tries: bool,
    ) -> Poll<io::Result<usize>> {
        match self {
            Endpoint::Poll(io) => io.poll_read(cx, buf),
            Endpoint::Fd { regs, io } => {
                // Input the stream holds (an SSH session's, pulled in by a write) is read at
                // once: no readiness of the descriptor tells of it, and a registration that
                // knows the descriptor empty (tokio's, after a short read; smol's) would wait.
                if io.has_buffered_input() {
                    match io.read(buf) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        r => return Poll::Ready(r),
                    }
                }
                if drained {
                    let reg = registered::<R>(regs, io.as_ref(), Op::Read);
                    if reg.is_some_and(|(reg, interest)| reg.wait_level(cx, interest)) {
                        return Poll::Pending;
                    }
                }
                let read = ReadHints { asked: io.fixed_readiness().then_some(buf.len()), tries };
                poll_fd::<R>(regs, io.as_mut(), cx, Op::Read, drained, read, &mut |io| io.read(buf))
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Endpoint::Poll(io) => io.poll_write(cx, buf),
            Endpoint::Fd { regs, io } => {
                poll_fd::<R>(regs, io.as_mut(), cx, Op::Write, false, ReadHints::NONE, &mut |io| {
                    io.write(buf)
                })
            }
        }
    }

    /// Input held inside the stream (see [`FdIo::has_buffered_input`]).
    fn has_buffered_input(&self) -> bool {
        matches!(self, Endpoint::Fd { io, .. } if io.has_buffered_input())
    }

    fn next_tick(&self) -> Option<Instant> {
        match self {
            Endpoint::Fd { io, .. } => io.next_tick(),
            Endpoint::Poll(_) => None,
        }
    }

    fn tick(&mut self) -> io::Result<()> {
        match self {
            Endpoint::Fd { io, .. } => io.tick(),
            Endpoint::Poll(_) => Ok(()),
        }
    }

    fn goodbye(&mut self) {
        if let Endpoint::Fd { io, .. } = self {
            io.goodbye();
        }
    }
}

/// The registration of the descriptor a plain stream ([`FdIo::fixed_readiness`]), or a
/// stream whose last read emptied its descriptor ([`FdIo::drained`]), waits on for `op`, with
/// that readiness, if it is registered for it already.
fn registered<'a, R: Runtime>(
    regs: &'a mut [(RawFd, R::Registration)],
    io: &dyn FdIo,
    op: Op,
) -> Option<(&'a mut R::Registration, Interest)> {
    let waits_for_fd = io.fixed_readiness() || (matches!(op, Op::Read) && io.drained());
    if !waits_for_fd {
        return None;
    }
    let (fd, interest) = io.blocked_on(op);
    let fd = fd.as_raw_fd();
    regs.iter_mut().find(|(f, r)| *f == fd && r.covers(interest)).map(|(_, r)| (r, interest))
}

/// Tries `op` at once; when it would block, waits through the runtime's registration of the
/// descriptor the stream names (for a plain descriptor registered already, that registration
/// makes the attempt). `read`: how a read goes through the registration (none for a write).
fn poll_fd<R: Runtime>(
    regs: &mut Vec<(RawFd, R::Registration)>,
    io: &mut dyn FdIo,
    cx: &mut Context<'_>,
    op: Op,
    drained: bool,
    read: ReadHints,
    f: &mut dyn FnMut(&mut dyn FdIo) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    // A plain descriptor already registered goes through its registration at once when the
    // runtime tracks readiness (no system call while it is known not to be ready), or when
    // the driver says so (`drained`): always on tokio, whose readiness stays exact
    // (`SHORT_READ_CLEARS`); on the thread runner when it is probably empty, after its
    // registration waited (the thread runner's registration makes no attempt of its own).
    if R::Registration::TRACKS_READINESS || drained {
        if let Some((reg, interest)) = registered::<R>(regs, &*io, op) {
            return through(reg, cx, interest, op, read, io, f);
        }
    }
    match f(io) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        r => return Poll::Ready(r),
    }
    let (fd, interest) = {
        let (fd, interest) = io.blocked_on(op);
        (fd.as_raw_fd(), interest)
    };
    // Registered for the first readiness needed only: a pty or socket registered for
    // writability as well would wake an edge-triggered reactor every time the peer drains it.
    let at = match regs.iter().position(|(f, _)| *f == fd) {
        Some(at) if regs[at].1.covers(interest) => at,
        Some(at) => {
            regs.remove(at);
            regs.push((fd, R::register(fd, None)?));
            regs.len() - 1
        }
        None => {
            regs.push((fd, R::register(fd, Some(interest))?));
            regs.len() - 1
        }
    };
    // `op` was tried just now.
    let read = ReadHints { tries: false, ..read };
    through(&mut regs[at].1, cx, interest, op, read, io, f)
}

/// How a read goes through a registration (see [`Registration::poll_read`]).
#[derive(Clone, Copy)]
struct ReadHints {
    asked: Option<usize>,
    tries: bool,
}

impl ReadHints {
    /// No hint: a write's.
    const NONE: ReadHints = ReadHints { asked: None, tries: false };
}

/// `f` through `reg` (see [`poll_fd`]).
fn through<G: Registration>(
    reg: &mut G,
    cx: &mut Context<'_>,
    interest: Interest,
    op: Op,
    read: ReadHints,
    io: &mut dyn FdIo,
    f: &mut dyn FnMut(&mut dyn FdIo) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    match op {
        Op::Read => {
            let mut op = || {
                let n = f(io)?;
                // Asked only of a registration that clears readiness on it (tokio's).
                let emptied = G::SHORT_READ_CLEARS
                    && n > 0
                    && (read.asked.is_some_and(|asked| n < asked) || io.drained());
                Ok((n, emptied))
            };
            reg.poll_read(cx, interest, read.tries, &mut op).map_ok(|(n, _)| n)
        }
        Op::Write => reg.poll_io(cx, interest, &mut || f(io)),
    }
}

/// Waits for a transport's [`Greeting`]. A command, so the user's commands queue behind it.
struct AwaitGreeting {
    greeting: Greeting,
    seen: String,
}

impl AwaitGreeting {
    /// Where the last `bytes` (or a little less, at a character boundary) of `seen` start.
    fn tail_start(&self, bytes: usize) -> usize {
        let from = self.seen.len().saturating_sub(bytes);
        (from..=self.seen.len()).find(|&i| self.seen.is_char_boundary(i)).unwrap_or(0)
    }

    /// Takes `data`: true once the marker, then the prompt, came last. Keeps only the tail of
    /// a long output (between [`GREETING_KEPT`] and 4 times that), so a device that prints
    /// megabytes before it is ready costs no more memory.
    fn see(&mut self, data: &str) -> bool {
        self.seen.push_str(data);
        if let Some(at) = self.seen.rfind(&self.greeting.marker) {
            if self.seen[at..].ends_with(&self.greeting.prompt) {
                return true;
            }
        }
        if self.seen.len() > 4 * GREETING_KEPT {
            // Keep the tail: the marker and the prompt come last.
            let cut = self.tail_start(2 * GREETING_KEPT);
            self.seen.drain(..cut);
        }
        false
    }

    /// Said when the marker or the prompt looks like a regex (anchored): both are plain text,
    /// and Moler users write prompts as regexes.
    fn regex_hint(&self) -> Option<String> {
        let anchored = |t: &str| t.starts_with('^') || t.ends_with('$');
        (anchored(&self.greeting.marker) || anchored(&self.greeting.prompt)).then(|| {
            "the greeting's marker and prompt (`ready_marker`, `ready_prompt`) are plain text, \
             not regexes: a `^` or `$` in them is looked for as written"
                .to_owned()
        })
    }
}

/// How much of the greeting's output is kept to look for the marker and the prompt (at least).
const GREETING_KEPT: usize = 2048;

impl Observer for AwaitGreeting {
    type Output = ();

    fn describe(&self) -> String {
        format!("greeting ({:?} then the prompt {:?})", self.greeting.marker, self.greeting.prompt)
    }

    fn kind(&self) -> Kind {
        Kind::Command
    }

    fn timeout(&self) -> Option<Duration> {
        Some(self.greeting.timeout)
    }

    fn on_data(&mut self, data: &str, _cx: &mut moler_core::Context<'_>) -> Step<()> {
        if self.see(data) {
            return Step::Done(Ok(()));
        }
        Step::Pending
    }

    fn on_timeout(&mut self, cx: &mut moler_core::Context<'_>) -> Step<()> {
        // The error quotes the last lines received, which is what the greeting saw.
        let mut error = cx.timeout_error(format!("the transport's {}", self.describe()));
        if let moler_core::Error::Timeout { hint, .. } = &mut error {
            *hint = self.regex_hint();
        }
        // The device is not where it should be: the connection closes before the command
        // queued behind the greeting starts (it would be typed into whatever is there: a
        // login or password prompt, a boot loader), and that command fails saying why.
        cx.close_connection(io::Error::new(io::ErrorKind::TimedOut, error.to_string()));
        Step::Done(Err(error))
    }
}

/// The driver of one connection: a future that ends when the connection closes.
///
/// Its state sits behind a mutex that the connection's mailbox may also take: a thread that
/// starts (or cancels) an observer serves its own request when the lock is free, and writes
/// the command itself if the transport takes it without waiting. The driver is only woken
/// when it must act: data it has to write later, a deadline earlier than its timer, a close.
/// That saves a thread hand-off on every command.
pub(crate) struct Driver<R: Runtime> {
    core: Arc<Mutex<State<R>>>,
    shared: Arc<Shared>,
    mailbox: Arc<Mailbox>,
    /// With [`Driver::assisted`]: when this task may drive (see `assist.rs`).
    home: Option<Home<R>>,
}

struct State<R: Runtime> {
    conn: Connection,
    endpoint: Endpoint<R>,
    closer: Arc<dyn Close>,
    timer: R::Timer,
    /// What the timer is armed for. It only moves earlier between firings, so starting a
    /// command whose deadline is later than it needs no wake-up.
    armed: Option<Instant>,
    greeting: Option<Completion<()>>,
    /// The most bytes one read takes (the buffer is the driving thread's, see [`ReadBuffer`]).
    read_buffer: usize,
    /// Bytes the connection sent that the transport did not take yet (`written` of them are
    /// written); the buffer `poll_transmit` fills, reused for the connection's life.
    outbox: Vec<u8>,
    written: usize,
    /// The descriptor is probably empty: the last read returned less than asked (see
    /// [`Endpoint::poll_read`]). Taken by the next read.
    drained: bool,
    /// Bytes went out since the last read: the next read is the first after them.
    sent: bool,
    /// How many first reads after a write in a row found nothing (at most 4). A device that
    /// answers slower than a read comes (a serial line, a shell) is then waited for before the
    /// first read; one that answers within microseconds (a simulator over TCP) is read at
    /// once, where waiting first would sleep and wake (measured: 2.1 -> 3.1 context switches
    /// per round trip over TCP).
    slow_answers: u8,
    /// Counts first reads: one in eight tries first even for a slow device, to notice a change.
    probe: u8,
    done: bool,
}

/// How many reads one poll handles before it yields to other tasks.
const READS_PER_POLL: usize = 32;

/// A read this large makes a turn read the clock again (see `State::turn`).
const CLOCK_AGAIN_AFTER: usize = 4096;

impl<R: Runtime> Driver<R> {
    fn new(mut conn: Connection, transport: Transport, read_buffer: usize) -> Self {
        let shared = Shared::new();
        let greeting = transport.greeting.map(|greeting| {
            conn.start(AwaitGreeting { greeting, seen: String::new() }, Instant::now())
        });
        let endpoint = match transport.stream {
            Stream::Fd(io) => Endpoint::Fd { regs: Vec::new(), io },
            Stream::Poll(io) => Endpoint::Poll(io),
        };
        let mailbox = Arc::clone(conn.mailbox());
        let core = Arc::new(Mutex::new(State {
            conn,
            endpoint,
            closer: transport.closer,
            timer: R::timer(),
            armed: None,
            greeting,
            read_buffer: read_buffer.max(1),
            outbox: Vec::new(),
            written: 0,
            drained: false,
            sent: false,
            slow_answers: 0,
            probe: 0,
            done: false,
        }));
        let weak: Weak<Mutex<State<R>>> = Arc::downgrade(&core);
        let waker = Arc::clone(&shared);
        mailbox.set_wake(move || {
            let served = weak.upgrade().and_then(|core| match core.try_lock() {
                Ok(mut st) => {
                    let served = in_driver(|| st.serve_requests());
                    drop(st);
                    // A turn missed while this thread held the lock: whoever drives takes it.
                    Some(served && !waker.take_missed())
                }
                Err(_) => None, // its holder takes the request (the driver re-checks)
            });
            // Not served, or served with work left: the driver is woken, unless this very
            // thread drives the connection next (its first turn takes the requests).
            if served != Some(true) && !WILL_DRIVE.with(Cell::get) {
                waker.wake();
            }
        });
        Self { core, shared, mailbox, home: None }
    }

    /// Lets the tasks that await this connection's results drive it themselves (see
    /// `assist.rs`): the smol runner's, and the tokio runner's on a current-thread runtime.
    #[cfg_attr(not(any(feature = "smol", feature = "tokio")), allow(dead_code))]
    pub(crate) fn assisted(mut self) -> Self {
        let relay = Relay::new();
        let home = Home::new(Arc::clone(&relay));
        let assist = AsyncAssist { driver: self.share(), waker: home.assist_waker(), relay };
        // Whoever drives is woken through the relay from the start, as after every turn: a
        // thread that served a request while a task missed its turn (the connection's first
        // one included) wakes it. Before any turn had said so, that wake-up went nowhere, and
        // the task, having missed its turn, waited for it with the answer unread.
        self.shared.register(home.waker());
        self.mailbox.set_assist(Arc::new(assist));
        self.home = Some(home);
        self
    }
}

thread_local! {
    /// The read buffer of the thread that drives connections (see [`ReadBuffer`]).
    static READ_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The buffer a driver reads into, lent by the thread that drives it: every read is handed to
/// the connection before the next one, so one buffer per thread serves all the connections it
/// drives (10,000 connections on a runtime of 2 threads need 2 buffers, not 10,000). Given
/// back when dropped; a driver polled inside another's turn on the same thread (or while the
/// thread ends) gets a buffer of its own for that turn.
struct ReadBuffer(Vec<u8>);

impl ReadBuffer {
    /// The thread's buffer, at least `len` bytes long.
    fn take(len: usize) -> Self {
        let mut buf = READ_BUFFER.try_with(Cell::take).unwrap_or_default();
        if buf.len() < len {
            buf.resize(len, 0);
        }
        Self(buf)
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        // The larger buffer stays (a nested turn's is dropped).
        let _ = READ_BUFFER.try_with(|cell| {
            let kept = cell.take();
            cell.set(if kept.len() >= buf.len() { kept } else { buf });
        });
    }
}

/// The read buffer runners use unless told otherwise.
pub(crate) const DEFAULT_READ_BUFFER: usize = 16 * 1024;

/// What every runner does to start a connection: the handle for the user and the driver to
/// run (on a thread, or as a task).
pub(crate) fn prepare<R: Runtime>(
    connection: Connection,
    transport: Transport,
    runner: RunnerKind,
    read_buffer: usize,
) -> (ConnectionHandle, Driver<R>) {
    let handle = ConnectionHandle::new(
        Arc::clone(connection.mailbox()),
        connection.name().to_owned(),
        transport.name.clone(),
        runner,
        transport.control.clone(),
        transport.greeting.clone(),
    );
    (handle, Driver::new(connection, transport, read_buffer))
}

/// Runs `f` marked as driver code (a blocking wait inside it is refused).
fn in_driver<T>(f: impl FnOnce() -> T) -> T {
    let outer = IN_DRIVER.with(|flag| flag.replace(true));
    let out = f();
    IN_DRIVER.with(|flag| flag.set(outer));
    out
}

impl<R: Runtime> State<R> {
    /// Serves requests on the caller's thread; true when the driver need not be woken.
    fn serve_requests(&mut self) -> bool {
        if self.done {
            return true;
        }
        self.conn.handle_requests(Instant::now());
        if self.conn.is_closed() {
            return false;
        }
        if let Err(e) = self.write_now() {
            self.conn.handle_close(Some(e));
            return false;
        }
        let earlier = self
            .conn
            .poll_timeout()
            .is_some_and(|next| self.armed.is_none_or(|armed| next < armed));
        self.outbox.is_empty() && !earlier && !self.endpoint.has_buffered_input()
    }

    /// Appends what the connection sent to the outbox, after what is still unwritten. The
    /// outbox is this connection's one write buffer: cleared, never reallocated, once written.
    fn collect(&mut self) {
        let _appended = self.conn.poll_transmit(&mut self.outbox);
    }

    /// Collects the outbox and writes it through `write` until done or `Pending`.
    fn drain(
        &mut self,
        mut write: impl FnMut(&mut Endpoint<R>, &[u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<()>> {
        self.collect();
        while self.written < self.outbox.len() {
            match ready!(write(&mut self.endpoint, &self.outbox[self.written..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        self.sent |= !self.outbox.is_empty();
        self.outbox.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Writes what the transport takes without waiting, registering no waker (the driver is
    /// woken for the rest).
    fn write_now(&mut self) -> io::Result<()> {
        let written = self.drain(|endpoint, chunk| match endpoint {
            Endpoint::Fd { io, .. } => match io.write(chunk) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
                r => Poll::Ready(r),
            },
            Endpoint::Poll(io) => io.poll_write(&mut Context::from_waker(Waker::noop()), chunk),
        });
        match written {
            Poll::Ready(r) => r,
            Poll::Pending => Ok(()),
        }
    }

    /// Writes the outbox; `Pending` while the transport is full.
    fn flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.drain(|endpoint, chunk| endpoint.poll_write(cx, chunk))
    }

    /// One pass of the loop; `Ready` once the connection closed.
    fn turn(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut reads = 0;
        let mut rechecked = false;
        let mut buf = ReadBuffer::take(self.read_buffer);
        // One clock read per turn, again only where time may have moved on enough to matter:
        // after a timer fired (its deadline must be seen as passed), after a large read
        // (handling it takes a while) and before requests are taken (see there). A small
        // read's lines carry the time the turn began, a few microseconds earlier; a deadline
        // that passed meanwhile fires through the timer.
        let mut now = Instant::now();
        let mut stale = false;
        loop {
            if std::mem::take(&mut stale) {
                now = Instant::now();
            }
            let mut progress = false;
            if self.conn.mailbox().has_requests() {
                // The clock again: a request pushed after this turn began must not start its
                // observer at an earlier time (its timeout would end early: an event started
                // right after a `run` timed out 11 µs before its 200 ms, under load).
                now = Instant::now();
                self.conn.handle_requests(now);
                self.write_early(cx);
            }
            // A poll-based stream is read by whoever is woken for it (its waker says whom);
            // a descriptor only by a thread that watches it. A turn of the thread runner's
            // connection thread, woken as the thread that ran a command left (to linger) while
            // the next command was already on its way, read it early: a read that found
            // nothing, where the thread waiting for the answer waits first (on a machine whose
            // woken threads run late, 52-64 of 64 slow answers read early that way).
            let may_read = matches!(self.endpoint, Endpoint::Poll(_)) || R::reads_descriptors();
            if may_read && !self.conn.is_closed() {
                // Once: after a wait, the next read tries.
                let mut drained = std::mem::take(&mut self.drained);
                let first = std::mem::take(&mut self.sent);
                if first {
                    self.probe = self.probe.wrapping_add(1);
                    drained |= self.slow_answers >= 4 && !self.probe.is_multiple_of(8);
                }
                let tries_first = first && !drained;
                // A runtime whose readiness stays exact is always asked (it reads at once when
                // the driver tries first).
                let waits = drained || R::Registration::SHORT_READ_CLEARS;
                let into = &mut buf.0[..self.read_buffer];
                let read = self.endpoint.poll_read(cx, into, waits, tries_first);
                if tries_first {
                    self.slow_answers = match read {
                        Poll::Pending => (self.slow_answers + 1).min(4),
                        _ => 0,
                    };
                }
                match read {
                    Poll::Ready(Ok(0)) => self.conn.handle_close(None),
                    Poll::Ready(Ok(n)) => {
                        self.drained = n < self.read_buffer;
                        stale = n >= CLOCK_AGAIN_AFTER;
                        // An observer started before this data was read must see it.
                        if self.conn.mailbox().has_requests() {
                            now = Instant::now();
                            self.conn.handle_requests(now);
                            self.write_early(cx);
                        }
                        self.conn.handle_input(&buf.0[..n], now);
                        progress = true;
                        reads += 1;
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {
                        progress = true
                    }
                    Poll::Ready(Err(e)) => self.conn.handle_close(Some(e)),
                    Poll::Pending => {}
                }
            }
            if self.conn.poll_timeout().is_some_and(|at| at <= now) {
                self.conn.handle_timeout(now);
                progress = true;
            }
            if self.endpoint.next_tick().is_some_and(|at| at <= now) {
                if let Err(e) = self.endpoint.tick() {
                    self.conn.handle_close(Some(e));
                }
                progress = true;
            }
            self.check_greeting(cx);
            self.write_early(cx);
            if self.conn.is_closed() {
                return Poll::Ready(());
            }
            if progress {
                if reads >= READS_PER_POLL {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                continue;
            }
            // A write may have pulled input into the stream's own buffers: read again (once per
            // turn, so a stream that misreports cannot spin the loop).
            if !rechecked && self.endpoint.has_buffered_input() {
                rechecked = true;
                continue;
            }
            // Arm the timer: the connection's next deadline (or the stream's tick), or the
            // earlier instant it is already armed for (firing early costs a turn; re-arming
            // later costs a wake-up on every command).
            let next = match (self.conn.poll_timeout(), self.endpoint.next_tick()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let at = match self.armed.filter(|&a| a > now) {
                Some(a) => Some(next.map_or(a, |n| n.min(a))),
                None => next,
            };
            self.armed = at;
            if let Some(at) = at {
                if self.timer.poll_at(cx, at).is_ready() {
                    self.armed = None;
                    stale = true;
                    continue;
                }
            }
            if self.conn.mailbox().has_requests() {
                continue;
            }
            return Poll::Pending;
        }
    }

    /// Sends what newly started observers sent before more input is handled: a command goes
    /// out as soon as it starts.
    fn write_early(&mut self, cx: &mut Context<'_>) {
        if let Poll::Ready(Err(e)) = self.flush(cx) {
            self.conn.handle_close(Some(e));
        }
    }

    /// A greeting that failed closes the connection, with its error as the reason. (A timeout,
    /// its one way to fail while the connection is open, closes it from inside the core
    /// already, before anything queued behind it starts; this is for any other.)
    fn check_greeting(&mut self, cx: &mut Context<'_>) {
        let Some(greeting) = &mut self.greeting else { return };
        let Poll::Ready(result) = Pin::new(greeting).poll(cx) else { return };
        self.greeting = None;
        if let Err(e) = result {
            let kind = if e.is_timeout() { io::ErrorKind::TimedOut } else { io::ErrorKind::Other };
            self.conn.handle_close(Some(io::Error::new(kind, e.to_string())));
        }
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            if !self.conn.is_closed() {
                self.conn.handle_close(Some(io::Error::other(
                    "the runner driving this connection stopped (its runtime shut down)",
                )));
            }
            // Before the closer shuts the descriptor down: after, nothing more goes out.
            self.endpoint.goodbye();
            self.closer.close();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The connection isolates observer panics; a poisoned lock still holds a usable state.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R: Runtime> Driver<R> {
    /// Another way into this driver, for a thread that waits for a result and drives the
    /// connection itself meanwhile (the thread runner's waits).
    pub(crate) fn share(&self) -> DriverRef<R> {
        DriverRef { core: Arc::downgrade(&self.core), shared: Arc::clone(&self.shared) }
    }
}

/// A driver's state without the ownership: it does not keep the transport open once the
/// driver itself is gone.
pub(crate) struct DriverRef<R: Runtime> {
    core: Weak<Mutex<State<R>>>,
    shared: Arc<Shared>,
}

impl<R: Runtime> DriverRef<R> {
    /// One poll of the driver, as [`Driver`]'s own, if nobody drives the connection now (its
    /// holder does the work otherwise: a missed turn); then `waiter`, if given, is woken when
    /// the holder lets the connection go (for a turn of the waiter's own). The caller's waker
    /// becomes the one requests wake.
    pub(crate) fn try_poll_turn(&self, cx: &mut Context<'_>, waiter: Option<&Waker>) {
        let Some(core) = self.core.upgrade() else { return };
        let Some(st) = lock_or_hand_over(&core, &self.shared, waiter) else { return };
        let _ = turns(&core, st, &self.shared, |st| turn_locked(st, &self.shared, cx));
    }
}

/// The driver's lock if it is free; otherwise another thread drives now, and what woke this
/// one may be news for it (the connection's registrations wake whoever assists, see
/// `assist.rs`): it takes another turn when its own ends ([`Shared::miss`], looked at after it
/// lets the lock go), or, if it let the lock go before it could see that, this thread takes it.
/// `waiter`, if given, is woken when the holder lets the lock go ([`Shared::wait_turn`]).
fn lock_or_hand_over<'a, T>(
    core: &'a Mutex<T>,
    shared: &Shared,
    waiter: Option<&Waker>,
) -> Option<MutexGuard<'a, T>> {
    let try_lock = || match core.try_lock() {
        Ok(st) => Some(st),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    try_lock().or_else(|| {
        // Asked for before the miss is said: a holder that sees the miss wakes the waiter.
        if let Some(waiter) = waiter {
            shared.wait_turn(waiter);
        }
        shared.miss();
        try_lock()
    })
}

fn poll_driver<R: Runtime>(
    core: &Mutex<State<R>>,
    shared: &Shared,
    cx: &mut Context<'_>,
) -> Poll<()> {
    turns(core, lock(core), shared, |st| turn_locked(st, shared, cx))
}

/// `turn`s of the driver, the first under `st`, until no thread missed one meanwhile (see
/// [`Shared::miss`]); one missed while another thread holds the lock again is handed to it
/// the same way ([`lock_or_hand_over`]).
fn turns<'a, T>(
    core: &'a Mutex<T>,
    mut st: MutexGuard<'a, T>,
    shared: &Shared,
    mut turn: impl FnMut(&mut T) -> Poll<()>,
) -> Poll<()> {
    loop {
        // What others missed until now, this turn does.
        let _ = shared.take_missed();
        let poll = turn(&mut st);
        drop(st);
        // Threads that want a turn of their own now can take it.
        shared.wake_turn_waiters();
        if poll.is_ready() || !shared.take_missed() {
            return poll;
        }
        match lock_or_hand_over(core, shared, None) {
            Some(again) => st = again,
            None => return poll,
        }
    }
}

/// A turn of the driver whose lock the caller holds.
fn turn_locked<R: Runtime>(st: &mut State<R>, shared: &Shared, cx: &mut Context<'_>) -> Poll<()> {
    // Under the lock: of two threads driving in turn, the one that drove last is woken.
    shared.register(cx.waker());
    if st.done {
        return Poll::Ready(());
    }
    let poll = in_driver(|| st.turn(cx));
    if poll.is_ready() {
        st.finish();
    }
    poll
}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(home) = &mut this.home {
            let now = this.mailbox.has_requests() || this.mailbox.is_closed();
            ready!(home.poll_turn(cx, now));
            // The connection's registrations wake whoever drives it (see `assist.rs`).
            return poll_driver(&this.core, &this.shared, &mut Context::from_waker(home.waker()));
        }
        poll_driver(&this.core, &this.shared, cx)
    }
}

impl<R: Runtime> Drop for Driver<R> {
    /// A driver dropped before its connection closed (its runtime shut down, its task was
    /// dropped): the observers fail with a closed-connection error naming that, and the
    /// transport is closed.
    fn drop(&mut self) {
        lock(&self.core).finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A driver's read buffer goes back to its thread when dropped, and the next driver on that
    /// thread gets the same one, as large as the largest asked for.
    #[test]
    fn the_read_buffer_is_the_threads_and_comes_back() {
        std::thread::spawn(|| {
            let first = ReadBuffer::take(64 << 10);
            let at = first.0.as_ptr();
            drop(first);
            let again = ReadBuffer::take(4096);
            assert_eq!(again.0.len(), 64 << 10, "the larger buffer stays");
            assert_eq!(again.0.as_ptr(), at, "the same buffer");
            // Taken twice at once (a driver polled inside another's turn): a second buffer.
            let nested = ReadBuffer::take(4096);
            assert_eq!(nested.0.len(), 4096);
        })
        .join()
        .unwrap();
    }

    /// A device that prints a megabyte (multi-byte characters included) before its marker and
    /// prompt: the greeting keeps only a bounded tail of it, cut at character boundaries, and
    /// still sees the marker and the prompt that come last.
    #[test]
    fn a_long_greeting_keeps_a_bounded_tail_and_is_still_seen() {
        let greeting = Greeting {
            marker: "READY".into(),
            prompt: "$ ".into(),
            timeout: Duration::from_secs(10),
        };
        let mut waiting = AwaitGreeting { greeting, seen: String::new() };
        let line = "boot: é ü ✓ loading modules\r\n"; // 33 bytes, three of its characters multi-byte
        for _ in 0..(1 << 20) / line.len() {
            assert!(!waiting.see(line), "no marker yet");
            let kept = waiting.seen.len();
            assert!(kept <= 4 * GREETING_KEPT + line.len(), "{kept} bytes kept");
        }
        assert!(waiting.seen.len() >= GREETING_KEPT, "{} bytes kept", waiting.seen.len());
        assert!(waiting.seen.ends_with(line));
        assert!(!waiting.see("READY\r\n"));
        assert!(waiting.see("$ "), "the marker, then the prompt");
    }

    /// A thread that found the connection driven by another while a turn ran (it said so with
    /// `miss`: the wake-up it came with may be for data this turn had already looked for) gets
    /// another turn from the one driving, unless someone else holds the lock by then (whose
    /// turn starts after that look). Before this, such a wake-up was lost: the assisting task
    /// it went to left, and the task driving did not know (a command's answer unread until
    /// its deadline, 1 in 8 `roundtrip` runs under valgrind).
    #[test]
    fn a_turn_missed_while_another_thread_drove_is_taken_by_the_driving_one() {
        let shared = Shared::new();
        let core = Mutex::new(0);
        let poll = turns(&core, lock(&core), &shared, |n| {
            *n += 1;
            if *n == 1 {
                shared.miss(); // another thread came during the first turn
            }
            Poll::Pending
        });
        assert!(poll.is_pending());
        assert_eq!(*lock(&core), 2, "the missed turn was taken");
        assert!(!shared.take_missed(), "and forgotten");

        // A miss from before the lock was taken is the first turn's own: one turn.
        shared.miss();
        let _ = turns(&core, lock(&core), &shared, |n| {
            *n += 1;
            Poll::Pending
        });
        assert_eq!(*lock(&core), 3);

        // The lock held by another thread when a turn is missed: the miss stays for that
        // thread, which looks when it lets the lock go.
        let hold = lock(&core);
        std::thread::scope(|scope| {
            let missed = scope.spawn(|| lock_or_hand_over(&core, &shared, None).is_none());
            assert!(missed.join().unwrap(), "the lock is held");
        });
        assert!(shared.take_missed(), "handed on to the holder");
        drop(hold);
        assert!(lock_or_hand_over(&core, &shared, None).is_some(), "a free lock is taken");
        assert!(!shared.take_missed(), "at once, with nothing to hand on");

        // A closed connection ends the turns.
        shared.miss();
        let poll = turns(&core, lock(&core), &shared, |_| {
            shared.miss();
            Poll::Ready(())
        });
        assert!(poll.is_ready());
    }
}
