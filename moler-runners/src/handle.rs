//! The handle users hold: the same type whichever runner drives the connection.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

use moler_core::{Completion, Error, Mailbox, Observer, Result};

use crate::thread::ThreadAssist;
use crate::wait::wait_since;
use crate::RunnerKind;

/// What a connection's driver and its handles share: the driver's waker, which requests in
/// the mailbox wake.
pub(crate) struct Shared {
    waker: Mutex<Option<Waker>>,
    /// A thread found the connection driven by another and left: the wake-up that brought it
    /// may be news for the one driving, which takes another turn when it sees this.
    missed: AtomicBool,
    /// Threads that found the connection driven by another and want a turn of their own once
    /// it is free (the thread runner's waiting threads: the descriptors a turn registers are
    /// watched by the thread that took it), woken when the one driving lets it go.
    turn_waiters: Mutex<Vec<Waker>>,
    has_turn_waiters: AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            waker: Mutex::new(None),
            missed: AtomicBool::new(false),
            turn_waiters: Mutex::new(Vec::new()),
            has_turn_waiters: AtomicBool::new(false),
        })
    }

    /// Wakes `waker` when the thread driving the connection now lets it go (see
    /// [`Shared::wake_turn_waiters`]).
    pub(crate) fn wait_turn(&self, waker: &Waker) {
        let mut waiters = self.turn_waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if !waiters.iter().any(|w| moler_core::wakes_same_task(w, waker)) {
            waiters.push(waker.clone());
        }
        self.has_turn_waiters.store(true, Ordering::SeqCst);
    }

    /// Wakes the threads waiting for a turn (the driving one calls this once it let the
    /// driver's lock go).
    pub(crate) fn wake_turn_waiters(&self) {
        if self.has_turn_waiters.swap(false, Ordering::SeqCst) {
            let waiters = std::mem::take(
                &mut *self.turn_waiters.lock().unwrap_or_else(PoisonError::into_inner),
            );
            waiters.into_iter().for_each(Waker::wake);
        }
    }

    /// Says that a turn was missed (see [`Shared::missed`]).
    pub(crate) fn miss(&self) {
        self.missed.store(true, Ordering::SeqCst);
    }

    /// Whether a turn was missed since the last look, and forgets it.
    pub(crate) fn take_missed(&self) -> bool {
        self.missed.swap(false, Ordering::SeqCst)
    }

    /// Stores the driver's current waker (before it looks at the mailbox, so no request is missed).
    pub(crate) fn register(&self, waker: &Waker) {
        keep_waker(&mut self.waker.lock().unwrap_or_else(PoisonError::into_inner), waker);
    }

    pub(crate) fn wake(&self) {
        let slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = &*slot {
            w.wake_by_ref();
        }
    }
}

/// Keeps `waker` in `slot`, unless the one there wakes the same task already (no clone then).
pub(crate) fn keep_waker(slot: &mut Option<Waker>, waker: &Waker) {
    if !slot.as_ref().is_some_and(|w| moler_core::wakes_same_task(w, waker)) {
        *slot = Some(waker.clone());
    }
}

thread_local! {
    /// True while this thread runs a driver (a connection's loop, or an observer's callback
    /// inside it): a blocking wait there could never be answered.
    pub(crate) static IN_DRIVER: Cell<bool> = const { Cell::new(false) };
    /// True while [`ConnectionHandle::run`] starts its observer on a connection that this
    /// thread drives itself right after: what the request leaves to do (serve it, when another
    /// thread held the connection; arm a timer for its deadline; write the rest of a command)
    /// this thread's turns do, without waking the connection's own thread.
    pub(crate) static WILL_DRIVE: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread may block waiting for a connection: `Ok` on a plain thread (also a
/// thread of tokio's blocking pool, as `spawn_blocking` gives), a clear
/// [`Error::WrongUsage`] where blocking would stall the very executor that must make progress.
///
/// Every blocking call of this crate ([`crate::CompletionExt::wait`],
/// [`ConnectionHandle::run`]) and of the device layer asks this *before* it starts or sends
/// anything, so a refused call has no side effect on the device.
///
/// ```
/// // A plain thread may block.
/// assert!(moler_runners::blocking_allowed().is_ok());
/// # #[cfg(feature = "tokio")] {
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// // A task of an async runtime may not ...
/// assert!(rt.block_on(async { moler_runners::blocking_allowed() }).is_err());
/// // ... but a closure given to `spawn_blocking` may.
/// let ok = rt.block_on(async { tokio::task::spawn_blocking(moler_runners::blocking_allowed).await });
/// assert!(ok.unwrap().is_ok());
/// # }
/// ```
pub fn blocking_allowed() -> Result<()> {
    if IN_DRIVER.with(Cell::get) {
        return Err(Error::WrongUsage(
            "a blocking wait inside an observer callback would stall the connection that must \
             answer it; start the observer and keep its handle, or await it from another task"
                .into(),
        ));
    }
    #[cfg(feature = "tokio")]
    if on_tokio_task() {
        return Err(Error::WrongUsage(
            "a blocking wait inside a tokio runtime would block a worker thread (and can \
             deadlock it): use `.await` on the handle, or block from `tokio::task::spawn_blocking` \
             or a plain thread"
                .into(),
        ));
    }
    #[cfg(feature = "smol")]
    if std::thread::current().name().is_some_and(|n| n.starts_with("smol-")) {
        return Err(Error::WrongUsage(
            "a blocking wait on a smol executor thread would block the executor (and can \
             deadlock it): use `.await` on the handle, or wait from a plain thread"
                .into(),
        ));
    }
    Ok(())
}

/// True when this thread is polling a tokio task or a `block_on` future: a worker thread of a
/// runtime, where blocking stalls the runtime (a current-thread runtime for good).
///
/// Tokio offers no "am I on a worker" query, and its blocking-pool threads (`spawn_blocking`)
/// also see the runtime's handle. What differs is the cooperative budget: a worker polls each
/// task (and `block_on` its future) with a finite budget, the blocking pool runs its closures
/// unbudgeted. So take budget units until tokio says none are left (constrained) or far more
/// than a task ever gets (unconstrained), then give every unit back. A task wrapped in
/// `tokio::task::unconstrained` passes as a blocking thread; that is the user's explicit opt-out.
#[cfg(feature = "tokio")]
fn on_tokio_task() -> bool {
    use std::task::{Context as TaskContext, Poll as TaskPoll, Waker as TaskWaker};
    /// More than tokio's budget per poll (128 since tokio 1.0).
    const PROBE: usize = 1024;
    if tokio::runtime::Handle::try_current().is_err() {
        return false;
    }
    let mut cx = TaskContext::from_waker(TaskWaker::noop());
    let mut taken = Vec::new();
    let mut constrained = false;
    while taken.len() < PROBE {
        match tokio::task::coop::poll_proceed(&mut cx) {
            TaskPoll::Ready(unit) => taken.push(unit),
            TaskPoll::Pending => {
                constrained = true;
                break;
            }
        }
    }
    // Each unit, dropped without `made_progress`, restores the budget it saw when taken: the
    // newest first, so the oldest restores the budget as it was before the probe.
    while let Some(unit) = taken.pop() {
        drop(unit);
    }
    constrained
}

struct HandleInner {
    mailbox: Arc<Mailbox>,
    name: String,
    transport: String,
    runner: RunnerKind,
    control: Option<Arc<dyn moler_io::Control>>,
    greeting: Option<moler_io::Greeting>,
}

impl Drop for HandleInner {
    /// The last handle gone closes the connection: running observers fail with
    /// `ConnectionClosed`, the transport is closed and the driver ends.
    fn drop(&mut self) {
        self.mailbox.close();
    }
}

/// A running connection, on any runner. Cheap to clone; the connection closes when the last
/// clone is dropped.
///
/// Its methods never block (but [`ConnectionHandle::run`], which waits) and work from any
/// thread or task, also inside an observer's callback.
#[derive(Clone)]
pub struct ConnectionHandle {
    inner: Arc<HandleInner>,
}

impl std::fmt::Debug for ConnectionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionHandle")
            .field("name", &self.inner.name)
            .field("transport", &self.inner.transport)
            .field("runner", &self.inner.runner)
            .finish()
    }
}

impl ConnectionHandle {
    pub(crate) fn new(
        mailbox: Arc<Mailbox>,
        name: String,
        transport: String,
        runner: RunnerKind,
        control: Option<Arc<dyn moler_io::Control>>,
        greeting: Option<moler_io::Greeting>,
    ) -> Self {
        let inner = HandleInner { mailbox, name, transport, runner, control, greeting };
        Self { inner: Arc::new(inner) }
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The transport's name (`terminal:bash`, `memory:demo`, …).
    pub fn transport(&self) -> &str {
        &self.inner.transport
    }

    /// What the transport waits for before the first command (a terminal's setup marker and
    /// prompt, a device's `ready_prompt`), if anything: once an observer started after it
    /// runs, the connection's last line ([`moler_core::Context::last_line`]) is the prompt
    /// the peer showed when it was ready.
    pub fn greeting(&self) -> Option<&moler_io::Greeting> {
        self.inner.greeting.as_ref()
    }

    /// Which runner drives the connection.
    pub fn runner(&self) -> RunnerKind {
        self.inner.runner
    }

    /// The transport's actions besides bytes (a serial port's break and settings), if it has
    /// any: the `serial` and `rfc2217` transports do.
    pub fn control(&self) -> Option<&Arc<dyn moler_io::Control>> {
        self.inner.control.as_ref()
    }

    /// Sends a break on the line (see [`moler_io::Control::send_break`]). A transport without
    /// one fails with `Unsupported`, naming it. It blocks for the break's length (up to half a
    /// second): in async code, use [`ConnectionHandle::send_break_async`].
    pub fn send_break(&self) -> std::io::Result<()> {
        self.break_control()?.send_break()
    }

    /// [`ConnectionHandle::send_break`] for async code: the break, which blocks for its
    /// length, runs on a thread of its own, and this waits for it without holding up the
    /// executor (its other tasks, the connections it drives).
    ///
    /// ```no_run
    /// # async fn reset(modem: moler_runners::ConnectionHandle) -> std::io::Result<()> {
    /// modem.send_break_async().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_break_async(&self) -> std::io::Result<()> {
        let control = Arc::clone(self.break_control()?);
        crate::tasks::on_thread(move || control.send_break()).await?
    }

    /// The control that sends breaks; `Unsupported`, naming the transport, without one.
    fn break_control(&self) -> std::io::Result<&Arc<dyn moler_io::Control>> {
        self.inner.control.as_ref().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!(
                    "{}: transport {} cannot send a break",
                    self.inner.name, self.inner.transport
                ),
            )
        })
    }

    /// Sends `text` (no newline added) on the connection, from any thread, without waiting:
    /// Moler's `connection.send()`, for an event's callback that answers what it saw (the key
    /// that stops a boot loader's countdown). Text sent by observers and by this go out in the
    /// order the connection takes them; it is logged as sent. A closed connection sends
    /// nothing.
    ///
    /// ```
    /// use moler_core::Wait4;
    /// use moler_runners::{CompletionExt, ThreadRunner};
    /// use std::time::Duration;
    ///
    /// let (transport, device) = moler_io::memory::pair("board");
    /// let conn = ThreadRunner::new().spawn("board", transport).unwrap();
    /// let key = conn.clone();
    /// let countdown = conn.start(
    ///     Wait4::new(["Hit any key"]).unwrap().match_partial_lines(true).till_occurs_times(1)
    ///         .on_occurrence(move |_| key.send(" ")),
    /// );
    /// device.inject("Hit any key to stop autoboot:  3 ");
    /// countdown.wait(Duration::from_secs(5)).unwrap();
    /// let deadline = std::time::Instant::now() + Duration::from_secs(5);
    /// let mut written = Vec::new();
    /// while written.is_empty() && std::time::Instant::now() < deadline {
    ///     std::thread::sleep(Duration::from_millis(5));
    ///     written.extend(device.take_written());
    /// }
    /// assert_eq!(written, b" ");
    /// ```
    pub fn send(&self, text: impl Into<String>) {
        self.inner.mailbox.send(text);
    }

    /// [`ConnectionHandle::send`] with the connection's newline after `text`.
    pub fn sendline(&self, text: impl Into<String>) {
        self.inner.mailbox.sendline(text);
    }

    /// Starts an observer in the background; its [`Completion`] can be awaited or waited on.
    ///
    /// The observer sees the output that arrives from the moment it starts; what came before
    /// (a banner printed while nothing watched) reaches only the connection's log. Output a
    /// script must wait for before its first command belongs in the transport's greeting
    /// (`ready_prompt`/`ready_marker`), which runs first on every connection.
    ///
    /// ```
    /// use moler_core::{Command, Wait4};
    /// use moler_runners::{CompletionExt, ThreadRunner};
    /// use std::time::Duration;
    ///
    /// let (transport, device) = moler_io::memory::pair("demo");
    /// let conn = ThreadRunner::new().spawn("demo", transport).unwrap();
    /// let alarm = conn.start(Wait4::new([r"ALARM (\w+)"]).unwrap().till_occurs_times(1));
    /// device.respond_on_next_write("ls\r\nALARM fan\r\nhost$ ");
    /// conn.run(Command::lines("ls", r"^host\$ "), Duration::from_secs(5)).unwrap();
    /// let seen = alarm.wait(Duration::from_secs(5)).unwrap(); // or `alarm.await` in async code
    /// assert_eq!(seen[0].groups[0].as_deref(), Some("fan"));
    /// ```
    pub fn start<O: Observer>(&self, observer: O) -> Completion<O::Output> {
        self.inner.mailbox.start(observer)
    }

    /// Starts an observer and blocks until its result; after `timeout` it is timed out. Refused
    /// with [`Error::WrongUsage`] inside an async runtime: there, `.await` what `start` returns.
    ///
    /// ```
    /// use moler_core::Command;
    /// use moler_runners::ThreadRunner;
    /// use std::time::Duration;
    ///
    /// let (transport, device) = moler_io::memory::pair("demo");
    /// let conn = ThreadRunner::new().spawn("demo", transport).unwrap();
    /// device.respond_on_next_write("pwd\r\n/root\r\nhost$ ");
    /// assert_eq!(conn.run(Command::lines("pwd", r"^host\$ "), Duration::from_secs(5)).unwrap(), ["/root"]);
    /// // Nothing answers: timed out (Ctrl-C sent), the error says what came last.
    /// let err = conn.run(Command::lines("sleep 9", r"^host\$ "), Duration::from_millis(100)).unwrap_err();
    /// assert!(err.is_timeout(), "{err}");
    /// ```
    pub fn run<O: Observer>(&self, observer: O, timeout: Duration) -> Result<O::Output> {
        // Refused before anything starts: a refused call must not have sent a command.
        blocking_allowed()?;
        let started = Instant::now();
        // On the thread runner this thread drives the connection while it waits (see
        // `CompletionExt::wait`): its turns do what starting leaves to do.
        let drives = ThreadAssist::of(self.inner.mailbox.runner_data()).is_some();
        WILL_DRIVE.with(|flag| flag.set(drives));
        let completion = self.start(observer);
        WILL_DRIVE.with(|flag| flag.set(false));
        wait_since(&completion, timeout, started)
    }

    /// What commands on this connection do on timeout unless they choose themselves
    /// ([`Command::timeout_action`](moler_core::Command::timeout_action)): Ctrl-C by default,
    /// or Ctrl-Z then `kill %N; wait %N` (Moler's `set_timeout_action(.., all_instances=True)`,
    /// here per connection). Takes effect for timeouts from now on.
    ///
    /// ```
    /// use moler_core::TimeoutAction;
    /// use moler_runners::ThreadRunner;
    ///
    /// let (transport, _device) = moler_io::memory::pair("demo");
    /// let conn = ThreadRunner::new().spawn("demo", transport).unwrap();
    /// assert_eq!(conn.timeout_action(), TimeoutAction::CtrlC);
    /// conn.set_timeout_action(TimeoutAction::CtrlZ);
    /// assert_eq!(conn.timeout_action(), TimeoutAction::CtrlZ);
    /// ```
    pub fn set_timeout_action(&self, action: moler_core::TimeoutAction) {
        self.inner.mailbox.set_timeout_action(action);
    }

    /// The connection's default timeout action (see [`ConnectionHandle::set_timeout_action`]).
    pub fn timeout_action(&self) -> moler_core::TimeoutAction {
        self.inner.mailbox.timeout_action()
    }

    /// Closes the connection: every unfinished observer fails with `ConnectionClosed`. A
    /// request, taken by the connection's driver at once; [`ConnectionHandle::is_closed`]
    /// says when it has been.
    pub fn close(&self) {
        self.inner.mailbox.close();
    }

    /// True once the connection closed (by [`ConnectionHandle::close`], by the peer, or because
    /// its runner stopped). The transport is closed right after.
    pub fn is_closed(&self) -> bool {
        self.inner.mailbox.is_closed()
    }
}
