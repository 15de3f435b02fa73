//! The thread runner: one OS thread per connection, no async runtime.
//!
//! The thread runs the shared [`Driver`] with a tiny executor of its own: when the driver
//! waits, the thread blocks in `poll(2)` on the transport's descriptors, a wake-up socket (for
//! requests from handles) and the driver's next deadline as the timeout.
//!
//! A thread blocked in [`ConnectionHandle::run`] does not just sleep: it drives the connection
//! itself with the same executor until its result is there (the connection's thread steps
//! aside meanwhile), so the reply wakes the thread that wants it, with no hand-off. The
//! connection's thread takes the transport back [`LINGER`] after the last such wait ended: a
//! script running commands one after another wakes it neither before nor after each one.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use moler_core::Connection;
use moler_io::{Interest, Transport};
use rustix::event::{poll, PollFd, PollFlags, Timespec};

use crate::driver::{
    prepare, Driver, DriverRef, Registration, Runtime, Timer, DEFAULT_READ_BUFFER,
};
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

    /// Starts driving a new connection named `name` over `transport`, on a thread of its own.
    ///
    /// ```
    /// use moler_core::Command;
    /// use moler_runners::ThreadRunner;
    /// use std::time::Duration;
    ///
    /// let (transport, device) = moler_io::memory::pair("demo");
    /// let conn = ThreadRunner::new().spawn("demo", transport)?;
    /// device.respond_on_next_write("uname\r\nLinux\r\nhost$ ");
    /// let out = conn.run(Command::lines("uname", r"^host\$ "), Duration::from_secs(5)).unwrap();
    /// assert_eq!(out, ["Linux"]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
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
        let connection_mailbox = Arc::clone(connection.mailbox());
        let (handle, driver) =
            prepare::<ThreadRuntime>(connection, transport, RunnerKind::Thread, self.read_buffer);
        let executor = Executor::new()?;
        let state = Arc::new(AssistState::default());
        let relay = Waker::from(Arc::new(Relay {
            state: Arc::clone(&state),
            home: Arc::clone(&executor.notifier),
        }));
        let assist = Arc::new(ThreadAssist {
            driver: driver.share(),
            state: Arc::clone(&state),
            home: Arc::clone(&executor.notifier),
            relay: relay.clone(),
        });
        // For `ConnectionHandle::run` and `CompletionExt::wait` on the connection's completions.
        connection_mailbox.set_runner_data(assist as Arc<dyn Any + Send + Sync>);
        std::thread::Builder::new()
            .name(name)
            .spawn(move || drive(driver, executor, state, relay))?;
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
    /// Whether this thread's driver turns read the transport (see
    /// [`Runtime::reads_descriptors`]): false only on a connection's thread while it does
    /// not watch the transport. Set by [`drive`] before each of its steps, so after one it
    /// says whether that step read (and so registered the descriptors). A connection's thread
    /// drives nothing else: blocking calls are refused inside the driver.
    static READS: Cell<bool> = const { Cell::new(true) };
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

    fn reads_descriptors() -> bool {
        READS.get()
    }
}

pub(crate) struct ThreadFd(RawFd);

impl Registration for ThreadFd {
    const TRACKS_READINESS: bool = false;

    /// Called right after `op` returned `WouldBlock` (this runtime does not track readiness):
    /// waits, with no second attempt. poll(2) is level-triggered: what came meanwhile ends
    /// the wait at once.
    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        _op: &mut dyn FnMut() -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        self.wait_level(cx, interest);
        Poll::Pending
    }

    fn wait_level(&mut self, _cx: &mut Context<'_>, interest: Interest) -> bool {
        // poll(2) is level-triggered.
        let flags = match interest {
            Interest::Readable => PollFlags::IN,
            Interest::Writable => PollFlags::OUT,
        };
        WAITS.with(|w| w.fds.borrow_mut().push((self.0, flags)));
        true
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

/// Wakes a thread blocked in [`Executor::run`]: a byte on its wake-up socket, unless the
/// thread wakes itself (it then sees the flag before it blocks).
struct Notifier {
    woken: AtomicBool,
    owner: OnceLock<ThreadId>,
    tx: UnixStream,
}

impl Wake for Notifier {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel)
            && self.owner.get() != Some(&std::thread::current().id())
        {
            // A full socket already holds a wake-up; nothing is lost.
            let _ = (&self.tx).write(&[1]);
        }
    }
}

/// A tiny executor: polls a future, and between polls blocks in `poll(2)` on the descriptors
/// and the deadline the future registered (through [`WAITS`]) and on its own wake-up socket.
struct Executor {
    rx: UnixStream,
    notifier: Arc<Notifier>,
    /// The lists each wait fills, kept between calls: no allocation per wait.
    lists: Cell<WaitLists>,
}

/// [`Executor::run`]'s lists: the descriptors the last step registered, and what `poll(2)` is
/// given (empty between calls, so no descriptor outlives its wait here).
#[derive(Default)]
struct WaitLists {
    waits: Vec<(RawFd, PollFlags)>,
    fds: Vec<PollFd<'static>>,
}

impl Executor {
    fn new() -> io::Result<Self> {
        let (rx, tx) = UnixStream::pair()?;
        rx.set_nonblocking(true)?;
        tx.set_nonblocking(true)?;
        let notifier =
            Arc::new(Notifier { woken: AtomicBool::new(false), owner: OnceLock::new(), tx });
        Ok(Self { rx, notifier, lists: Cell::default() })
    }

    /// Polls `step` until it is ready. `None` when `deadline` passed first, or when `poll(2)`
    /// itself failed (out of memory: not worth a busy loop). Before each wait, `watch()` says
    /// whether the transport's descriptors are watched, and an instant to wake up at anyway;
    /// deadlines and wake-ups are always watched.
    fn run<T>(
        &self,
        step: impl FnMut(&mut Context<'_>) -> Poll<T>,
        deadline: Option<Instant>,
        watch: &dyn Fn() -> Watch,
    ) -> Option<T> {
        let mut lists = self.lists.take();
        let out = self.run_with(&mut lists, step, deadline, watch);
        lists.waits.clear();
        lists.fds.clear();
        self.lists.set(lists);
        out
    }

    fn run_with<T>(
        &self,
        lists: &mut WaitLists,
        mut step: impl FnMut(&mut Context<'_>) -> Poll<T>,
        deadline: Option<Instant>,
        watch: &dyn Fn() -> Watch,
    ) -> Option<T> {
        let _ = self.notifier.owner.set(std::thread::current().id());
        let waker = Waker::from(Arc::clone(&self.notifier));
        let mut cx = Context::from_waker(&waker);
        let WaitLists { waits, fds } = lists;
        loop {
            self.notifier.woken.store(false, Ordering::Release);
            if let Poll::Ready(out) = step(&mut cx) {
                return Some(out);
            }
            // The step's registrations, swapped with the emptied list of the last ones.
            waits.clear();
            WAITS.with(|w| std::mem::swap(&mut *w.fds.borrow_mut(), waits));
            let mut next = WAITS.with(|w| w.deadline.take());
            // One clock read per wait: for the deadline and for poll(2)'s timeout.
            let now = Instant::now();
            if let Some(deadline) = deadline {
                if now >= deadline {
                    return None;
                }
                next = Some(next.map_or(deadline, |n| n.min(deadline)));
            }
            if self.notifier.woken.load(Ordering::Acquire) {
                continue;
            }
            // Wait. A wake-up at the time `watch` asked for only asks it again, with no step,
            // unless it now watches the transport: a step first arms this thread's timer for
            // the deadlines the assisting threads took care of. A step first too when the
            // transport is to be watched and the last step did not read it: it registered none
            // of the descriptors, and a wait on none would miss an answer (until a deadline).
            let mut asked = false;
            loop {
                let watch = watch();
                if watch.fds && (asked || watch.unregistered) {
                    break;
                }
                let again = asked;
                asked = true;
                let wake_at = match (next, watch.until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                fds.clear();
                fds.push(PollFd::from_borrowed_fd(borrow(self.rx.as_raw_fd()), PollFlags::IN));
                if watch.fds {
                    for (fd, flags) in waits.iter() {
                        fds.push(PollFd::from_borrowed_fd(borrow(*fd), *flags));
                    }
                }
                let from = if again { Instant::now() } else { now };
                let timeout = wake_at.map(|d| {
                    let left = d.saturating_duration_since(from);
                    Timespec::try_from(left)
                        .unwrap_or(Timespec { tv_sec: i64::MAX / 2, tv_nsec: 0 })
                });
                let ready = match poll(fds, timeout.as_ref()) {
                    Ok(n) => n,
                    Err(rustix::io::Errno::INTR) => 0,
                    Err(_) => return None,
                };
                if fds[0].revents().contains(PollFlags::IN) {
                    let mut sink = [0u8; 64];
                    while matches!((&self.rx).read(&mut sink), Ok(64)) {}
                }
                // (The clock is read last: only when it decides.)
                if ready > 0 || watch.until.is_none() || next.is_some_and(|n| Instant::now() >= n) {
                    break;
                }
            }
        }
    }
}

/// What an [`Executor`] waits for besides deadlines and wake-ups.
struct Watch {
    /// The transport's descriptors.
    fds: bool,
    /// The last step did not read the transport, so it registered none of its descriptors
    /// (see [`Runtime::reads_descriptors`]): with `fds`, a step comes first, which does.
    unregistered: bool,
    /// Wake up at this instant anyway.
    until: Option<Instant>,
}

impl Watch {
    /// The transport's descriptors, registered by the last step.
    const FDS: Watch = Watch { fds: true, unregistered: false, until: None };

    /// Not the transport's descriptors; woken at `until`, if any (deadlines and wake-ups are
    /// always watched).
    fn away(until: Option<Instant>) -> Watch {
        Watch { fds: false, unregistered: false, until }
    }
}

/// How long the connection's thread leaves the transport to the threads waiting in
/// [`ConnectionHandle::run`] after the last of them returned. A script's next command usually
/// comes sooner, and then neither thread wakes the other. Output that arrives meanwhile with
/// no command waiting (an event's line) is read when this ends, or by the next `run`: at most
/// this late, never lost. Each look costs this thread a wake-up, and a wake-up costs more than
/// it seems (on this project's VM, 20-25 µs of CPU): measured with everything on one CPU
/// (`cargo bench --bench roundtrip -- --pin 0`), 2 ms instead of the former 500 µs took the
/// thread runner over local bash from 1.06-1.11 to 1.01-1.05 x the floor (5-8 µs less CPU
/// per command) and over SSH from 1.11-1.13 to 1.05-1.09 x.
pub(crate) const LINGER: Duration = Duration::from_millis(2);

/// Where the connection's thread is, for the threads that assist it ([`AssistState::home`]).
const WATCHING: u8 = 0;
/// Not watching the transport while threads assist; the last to leave wakes it.
const ASIDE: u8 = 1;
/// Not watching the transport, though no thread may assist now: it looks again at a time of
/// its own ([`LINGER`] after the last one left), and takes the transport back if no thread
/// came to assist meanwhile.
const LINGERING: u8 = 2;

/// Runs a connection's driver on its own thread until the connection closes. While threads
/// waiting in [`ConnectionHandle::run`] drive the connection themselves ([`ThreadAssist`]),
/// and for [`LINGER`] after, this thread does not watch the transport (deadlines and
/// requests it still serves).
fn drive(
    driver: Driver<ThreadRuntime>,
    executor: Executor,
    assist: Arc<AssistState>,
    relay: Waker,
) {
    let mut driver = pin!(driver);
    // While lingering: until when, and how many assisting threads had come when it began.
    let linger = Cell::new((Instant::now(), 0usize));
    let watching = || Watch { unregistered: !READS.get(), ..Watch::FDS };
    let start_linger = |now: Instant| {
        let until = now + LINGER;
        linger.set((until, assist.starts.load(Ordering::SeqCst)));
        assist.home.store(LINGERING, Ordering::SeqCst);
        Watch::away(Some(until))
    };
    // Dekker-style with `ThreadAssist::drive` (every access SeqCst): this thread sleeps with
    // no time of its own only after it said ASIDE and then saw a thread assisting, which
    // then sees ASIDE when it leaves, and wakes it.
    let step_aside = |now: Instant| {
        assist.home.store(ASIDE, Ordering::SeqCst);
        if assist.assisted.load(Ordering::SeqCst) > 0 {
            Watch::away(None)
        } else {
            start_linger(now) // the last one left meanwhile
        }
    };
    let watch = || {
        let now = Instant::now();
        let assisted = assist.assisted.load(Ordering::SeqCst);
        match assist.home.load(Ordering::SeqCst) {
            // Woken by a thread that came to assist: leave it the transport.
            WATCHING if assisted > 0 => step_aside(now),
            WATCHING => watching(),
            // Woken by a request while threads assist.
            ASIDE if assisted > 0 => Watch::away(None),
            // Woken by the last assisting thread as it left.
            ASIDE => start_linger(now),
            _ => {
                let (until, starts) = linger.get();
                if now < until {
                    Watch::away(Some(until))
                } else if assist.starts.load(Ordering::SeqCst) != starts {
                    // Commands come one after another: keep out of their way.
                    start_linger(now)
                } else if assisted > 0 {
                    // One long wait: it wakes this thread when it ends.
                    step_aside(now)
                } else {
                    // Quiet: take the transport back.
                    assist.home.store(WATCHING, Ordering::SeqCst);
                    if assist.assisted.load(Ordering::SeqCst) > 0 {
                        // One came meanwhile (it may have seen WATCHING and woken us).
                        step_aside(now)
                    } else {
                        watching()
                    }
                }
            }
        }
    };
    // `None` only when poll(2) failed: dropping the driver then fails its observers. The
    // driver's registrations hold the relay (which wakes this thread when no thread assists).
    let mut relayed = Context::from_waker(&relay);
    let step = |_: &mut Context<'_>| {
        // Reads only while it watches the transport: when it is not the only one there, its
        // turn serves requests and deadlines (a thread that came to assist, or the last one
        // leaving, woke it: the transport is theirs, or is left to them while it lingers).
        let watches = assist.home.load(Ordering::SeqCst) == WATCHING
            && assist.assisted.load(Ordering::SeqCst) == 0;
        READS.set(watches);
        driver.as_mut().poll(&mut relayed)
    };
    let _ = executor.run(step, None, &watch);
}

thread_local! {
    /// The executor a thread uses to drive connections while it waits for a result.
    static WAITER: RefCell<Option<Executor>> = const { RefCell::new(None) };
}

/// Lets a thread that waits for a result drive the connection itself meanwhile (in
/// [`ConnectionHandle::run`], and in `CompletionExt::wait` through the mailbox's runner data). The reply then
/// wakes the waiting thread directly, instead of waking the connection's thread, which would
/// then wake the waiter: one thread hand-off less on every command.
pub(crate) struct ThreadAssist {
    driver: DriverRef<ThreadRuntime>,
    state: Arc<AssistState>,
    /// Wakes the connection's own thread.
    home: Arc<Notifier>,
    /// The waker the connection's registrations hold ([`Relay`]).
    relay: Waker,
}

/// What the connection's thread and the threads that assist it share.
#[derive(Default)]
struct AssistState {
    /// How many threads drive the connection now. The connection's own thread stops watching
    /// the transport when it wakes while there are any, so a reply wakes only the waiter.
    assisted: AtomicUsize,
    /// How many threads came to assist so far.
    starts: AtomicUsize,
    /// Where the connection's thread is: [`WATCHING`] the transport (a thread that comes to
    /// assist wakes it, to step aside), [`ASIDE`] (the last assisting thread to leave wakes
    /// it) or [`LINGERING`] (it wakes by itself).
    home: AtomicU8,
    /// The notifiers of the threads that assist now, for [`Relay`].
    drivers: Mutex<Vec<Arc<Notifier>>>,
    /// [`Relay`] woke them since one of them last began a turn (set under `drivers`' lock):
    /// if they all leave without another, the connection's thread takes that wake-up.
    owed: AtomicBool,
}

impl AssistState {
    fn drivers(&self) -> MutexGuard<'_, Vec<Arc<Notifier>>> {
        self.drivers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The waker the connection's registrations hold on this runner, whichever thread polled them:
/// it wakes every thread that assists now, or the connection's own thread when none does.
///
/// A poll-based stream (the memory transport, `moler-sim`'s in-memory devices) keeps one
/// waker, the last poller's. With the threads' own wakers there, a thread that drove last and
/// then left (its result came) took the next wake-up with it, while another thread waited
/// for an answer nobody read: until the waiting command's deadline (seen by
/// `tests/stress.rs`, a thread runner's connection in memory with two threads in `run`:
/// answers 20 s late in 8 runs of 23). Descriptors are not concerned: every thread that
/// waits watches them itself (`poll(2)` is level-triggered).
struct Relay {
    state: Arc<AssistState>,
    home: Arc<Notifier>,
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let drivers = self.state.drivers();
        if drivers.is_empty() {
            drop(drivers);
            self.home.wake_by_ref();
            return;
        }
        self.state.owed.store(true, Ordering::SeqCst);
        for notifier in drivers.iter() {
            notifier.wake_by_ref();
        }
    }
}

impl ThreadAssist {
    /// The thread runner's assist, in a mailbox's runner data (see
    /// [`moler_core::Mailbox::set_runner_data`]): `None` on another runner.
    pub(crate) fn of(data: Option<&Arc<dyn Any + Send + Sync>>) -> Option<&ThreadAssist> {
        data?.downcast_ref()
    }

    /// Drives the connection on this thread until `done` (polled with this thread's waker)
    /// returns true or `deadline` passes. False when it could not drive at all (the caller then
    /// waits the plain way, and the connection's own thread has been woken to do the work a
    /// request started under `WILL_DRIVE` left).
    pub(crate) fn drive(
        &self,
        done: &mut dyn FnMut(&mut Context<'_>) -> bool,
        deadline: Option<Instant>,
    ) -> bool {
        let driven = WAITER.with(|slot| {
            let Ok(mut slot) = slot.try_borrow_mut() else { return false };
            if slot.is_none() {
                *slot = Executor::new().ok();
            }
            let Some(executor) = slot.as_ref() else { return false };
            self.state.drivers().push(Arc::clone(&executor.notifier));
            self.state.starts.fetch_add(1, Ordering::SeqCst);
            self.state.assisted.fetch_add(1, Ordering::SeqCst);
            // A connection's thread that watches the transport leaves it to us at this
            // wake-up, while the command travels. (Without it, the reply wakes both threads
            // and the connection's thread, first in line, mostly wins: measured 1.34-1.38x
            // the floor instead of 1.12-1.22x.)
            if self.state.home.load(Ordering::SeqCst) == WATCHING {
                self.home.wake_by_ref();
            }
            let step = |cx: &mut Context<'_>| {
                if done(cx) {
                    return Poll::Ready(());
                }
                // What the relay woke us for, this turn reads.
                self.state.owed.store(false, Ordering::SeqCst);
                // A turn unless another thread drives now: then that thread takes one more
                // when its own ends (a missed turn) and wakes this one after it, for a turn of
                // its own (the descriptors a turn registers are watched by the thread that
                // took it). Meanwhile this one waits with its deadline kept, instead of
                // blocking on the lock for as long as the other holds it (an occurrence
                // callback that blocks). A connection that closed: `done` says so.
                let mut relayed = Context::from_waker(&self.relay);
                self.driver.try_poll_turn(&mut relayed, Some(cx.waker()));
                if done(cx) {
                    return Poll::Ready(());
                }
                Poll::Pending
            };
            let _ = executor.run(step, deadline, &|| Watch::FDS);
            let owed = {
                let mut drivers = self.state.drivers();
                drivers.retain(|n| !Arc::ptr_eq(n, &executor.notifier));
                drivers.is_empty() && self.state.owed.swap(false, Ordering::SeqCst)
            };
            if owed {
                // A wake-up came after the last turn of the threads that assisted.
                self.home.wake_by_ref();
            }
            if self.state.assisted.fetch_sub(1, Ordering::SeqCst) == 1
                && self.state.home.load(Ordering::SeqCst) == ASIDE
            {
                self.home.wake_by_ref(); // to linger, then watch the transport again
            }
            true
        });
        if !driven {
            self.home.wake_by_ref(); // it does what the request left to this thread
        }
        driven
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
