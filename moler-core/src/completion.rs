//! The result slot shared by an observer and its handle, and the mailbox through which handles
//! on other threads reach the connection.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::background::ScopeInner;
use crate::error::{Error, Result};
use crate::observer::{Context, Kind, Observer, Step};
use crate::prefilter::Literals;

/// Identifies one started observer on its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObserverId(pub(crate) u64);

impl fmt::Display for ObserverId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

enum SlotState<T> {
    /// Everyone polling for the result: a task, and threads blocked in a runner's wait (one
    /// waker per task or thread: polling again with a waker that wakes the same one keeps one).
    Pending(Wakers),
    Ready(Result<T>),
    Taken,
}

/// The wakers of everyone polling for a result: the first one inline, so the usual single
/// task or thread costs no allocation per observer.
#[derive(Default)]
struct Wakers {
    /// The task that awaits the [`Completion`] as a future: one at a time (awaiting needs the
    /// handle pinned and borrowed mutably), so each poll replaces it, and its turn of the
    /// connection can take it out without having to find it among the others by comparing
    /// wakers (see [`wakes_same_task`]).
    awaiting: Option<Waker>,
    first: Option<Waker>,
    more: Vec<Waker>,
}

/// Whether `a` and `b` wake the same task or thread: [`Waker::will_wake`], or the same data
/// with the same functions. `will_wake` compares the vtables' addresses, and tokio's
/// `block_on` waker and its clones have equal vtables at different addresses, so a list that
/// keeps a waker per task by `will_wake` keeps one more at every poll of a `block_on` future.
///
/// ```
/// use std::task::Waker;
/// let waker = Waker::noop();
/// assert!(moler_core::wakes_same_task(waker, &waker.clone()));
/// ```
pub fn wakes_same_task(a: &Waker, b: &Waker) -> bool {
    a.will_wake(b) || (a.data() == b.data() && a.vtable() == b.vtable())
}

impl Wakers {
    /// Adds `waker`, unless one that wakes the same task or thread is in already.
    fn register(&mut self, waker: &Waker) {
        match &self.first {
            None => self.first = Some(waker.clone()),
            Some(first) if wakes_same_task(first, waker) => {}
            Some(_) => {
                if !self.more.iter().any(|w| wakes_same_task(w, waker)) {
                    self.more.push(waker.clone());
                }
            }
        }
    }

    /// Makes `waker` the awaiting task's (see [`Wakers::awaiting`]).
    fn awaited_by(&mut self, waker: &Waker) {
        match &mut self.awaiting {
            Some(w) if wakes_same_task(w, waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    fn wake_all(self) {
        self.awaiting.into_iter().chain(self.first).chain(self.more).for_each(Waker::wake);
    }
}

pub(crate) struct Shared<T> {
    id: ObserverId,
    name: String,
    /// Where a failure is reported until it is read (see [`crate::FailureScope`]).
    scope: Option<Arc<ScopeInner>>,
    state: Mutex<SlotState<T>>,
    /// [`Completion::on_done`]'s callbacks, taken (under the state's lock) when it finishes.
    callbacks: Mutex<Vec<DoneCallback<T>>>,
    paused: AtomicBool,
}

type DoneCallback<T> = Box<dyn FnOnce(&Result<T>) + Send>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave them inconsistent (plain assignments).
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> Shared<T> {
    /// Stores the result; `false` when one was stored already (the first one wins).
    fn complete(&self, result: Result<T>) -> bool {
        let mut st = lock(&self.state);
        let SlotState::Pending(wakers) = &mut *st else { return false };
        let wakers = std::mem::take(wakers);
        if let (Some(scope), Err(e)) = (&self.scope, &result) {
            scope.failed(self.id, &self.name, e);
        }
        *st = SlotState::Ready(result);
        let callbacks = std::mem::take(&mut *lock(&self.callbacks));
        if let SlotState::Ready(result) = &*st {
            for f in callbacks {
                // A callback's panic is its own: the result and the other callbacks stand.
                drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(result))));
            }
        }
        drop(st);
        wakers.wake_all();
        true
    }

    fn take(&self, st: &mut SlotState<T>) -> Option<Result<T>> {
        match st {
            SlotState::Pending(_) => None,
            SlotState::Taken => Some(Err(Error::ResultTaken { observer: self.name.clone() })),
            SlotState::Ready(_) => match std::mem::replace(st, SlotState::Taken) {
                SlotState::Ready(r) => {
                    if let (Some(scope), Err(_)) = (&self.scope, &r) {
                        scope.read(self.id);
                    }
                    Some(r)
                }
                _ => unreachable!("matched Ready just above"),
            },
        }
    }
}

/// The handle of a started observer: its result as a [`Future`], or without waiting
/// ([`Completion::try_result`]).
///
/// This crate never blocks: the blocking `wait(timeout)` lives in `moler-runners`
/// (`moler_runners::CompletionExt`, in `moler::prelude`), which parks the thread and polls this
/// future with a waker that unparks it.
///
/// The result can be taken once; taking it again gives [`Error::ResultTaken`]. Dropping the
/// handle does not stop the observer (call [`Completion::cancel`] for that).
pub struct Completion<T> {
    shared: Arc<Shared<T>>,
    mailbox: Arc<Mailbox>,
    /// This future drove the connection while awaited ([`Assist`]), and has not said it left.
    assisting: AtomicBool,
}

/// A runner's way for the task that awaits a result to drive the connection itself (see
/// [`Mailbox::set_assist`]): the reply then wakes that task directly, instead of waking the
/// connection's own task, which would then wake it.
#[doc(hidden)]
pub trait Assist: Send + Sync {
    /// One turn of the connection with `cx` (its waker is woken when the connection can make
    /// progress), unless another thread drives it now. `false` when this task cannot drive
    /// the connection here (it is inside a turn of it): it has not assisted.
    fn poll(&self, cx: &mut std::task::Context<'_>) -> bool;
    /// A future that called [`Assist::poll`] finished or was dropped.
    fn leave(&self);
}

impl<T> fmt::Debug for Completion<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completion")
            .field("id", &self.shared.id)
            .field("observer", &self.shared.name)
            .field("done", &!matches!(*lock(&self.shared.state), SlotState::Pending(_)))
            .finish()
    }
}

impl<T: Send + 'static> Completion<T> {
    /// What the runner driving this observer's connection kept for its handles (see
    /// [`Mailbox::set_runner_data`]).
    #[doc(hidden)]
    pub fn runner_data(&self) -> Option<&Arc<dyn std::any::Any + Send + Sync>> {
        self.mailbox.runner_data()
    }

    /// The observer's id on its connection.
    pub fn id(&self) -> ObserverId {
        self.shared.id
    }

    /// The observer's description.
    pub fn describe(&self) -> &str {
        &self.shared.name
    }

    /// True once the observer finished (successfully or not).
    pub fn is_done(&self) -> bool {
        !matches!(*lock(&self.shared.state), SlotState::Pending(_))
    }

    /// The result if the observer finished, without waiting.
    pub fn try_result(&self) -> Option<Result<T>> {
        let mut st = lock(&self.shared.state);
        self.shared.take(&mut st)
    }

    /// The result if the observer finished; otherwise `Pending`, and `cx`'s waker is woken
    /// when it finishes. The same as polling the future, through `&self`: a blocking wait on a
    /// shared handle polls with this. Every task or thread that polls is woken.
    pub fn poll_result(&self, cx: &mut std::task::Context<'_>) -> Poll<Result<T>> {
        self.poll_keeping(cx, Wakers::register)
    }

    /// `Ready` once the observer finished, without taking its result; otherwise `Pending`,
    /// and `cx`'s waker is woken when it finishes (see [`crate::all_done`]).
    pub fn poll_done(&self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut st = lock(&self.shared.state);
        match &mut *st {
            SlotState::Pending(wakers) => {
                wakers.register(cx.waker());
                Poll::Pending
            }
            _ => Poll::Ready(()),
        }
    }

    /// Gives the running (or queued) observer a new timeout, counted from its start (Moler's
    /// `command.timeout = …` while it runs). One already past times it out at once. Does not
    /// wait.
    pub fn set_timeout(&self, timeout: Duration) {
        if !self.is_done() {
            self.mailbox.push(Request::Timeout(self.shared.id, TimeoutChange::Set(timeout)));
        }
    }

    /// Gives the running (or queued) observer `more` time than its timeout (Moler's
    /// `extend_timeout`); one without a timeout keeps none. Does not wait.
    ///
    /// ```
    /// use moler_core::{Command, Connection};
    /// use std::time::{Duration, Instant};
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// let long = conn.start(Command::lines("make", "^\\$ $").timeout(Duration::from_secs(10)), t0);
    /// long.extend_timeout(Duration::from_secs(50));
    /// conn.handle_requests(t0);
    /// assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    /// ```
    pub fn extend_timeout(&self, more: Duration) {
        if !self.is_done() {
            self.mailbox.push(Request::Timeout(self.shared.id, TimeoutChange::Extend(more)));
        }
    }

    /// Calls `f` with the result once the observer finished (at once if it has), on the
    /// connection's thread or task: it must not block, nor use this handle (its result is
    /// being handed over). Several may be added; the result stays in the handle for
    /// `wait`/`.await`. A callback that panics is caught (and ignored). Nothing is called for
    /// a result already taken.
    ///
    /// ```
    /// use moler_core::{Command, Connection};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Instant;
    ///
    /// let mut conn = Connection::new("demo");
    /// let pwd = conn.start(Command::lines("pwd", "^\\$ $"), Instant::now());
    /// let seen = Arc::new(Mutex::new(None));
    /// let put = Arc::clone(&seen);
    /// pwd.on_done(move |r| *put.lock().unwrap() = Some(r.is_ok()));
    /// let _ = conn.poll_transmit(&mut Vec::new());
    /// conn.handle_input(b"pwd\n/root\n$ ", Instant::now());
    /// assert_eq!(*seen.lock().unwrap(), Some(true));
    /// assert_eq!(pwd.try_result().unwrap().unwrap(), ["/root"]);
    /// ```
    pub fn on_done(&self, f: impl FnOnce(&Result<T>) + Send + 'static) {
        let st = lock(&self.shared.state);
        match &*st {
            SlotState::Ready(result) => {
                drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(result))));
            }
            SlotState::Pending(_) => lock(&self.shared.callbacks).push(Box::new(f)),
            SlotState::Taken => {}
        }
        drop(st);
    }

    /// Calls `f` with the value if the observer succeeds (see [`Completion::on_done`]).
    ///
    /// ```
    /// use moler_core::{Command, Connection};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Instant;
    ///
    /// let mut conn = Connection::new("demo");
    /// let ls = conn.start(Command::lines("ls /nope", "^\\$ $"), Instant::now());
    /// let (ok, failed) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(String::new())));
    /// let (o, f) = (Arc::clone(&ok), Arc::clone(&failed));
    /// ls.on_success(move |_lines| *o.lock().unwrap() += 1);
    /// ls.on_failure(move |e| *f.lock().unwrap() = e.to_string());
    /// let _ = conn.poll_transmit(&mut Vec::new());
    /// conn.handle_input(b"ls /nope\nls: cannot access '/nope': No such file or directory\n$ ", Instant::now());
    /// assert_eq!(*ok.lock().unwrap(), 0);
    /// assert!(failed.lock().unwrap().contains("No such file"));
    /// ```
    pub fn on_success(&self, f: impl FnOnce(&T) + Send + 'static) {
        self.on_done(move |r| {
            if let Ok(v) = r {
                f(v);
            }
        });
    }

    /// Calls `f` with the error if the observer fails (see [`Completion::on_done`]).
    pub fn on_failure(&self, f: impl FnOnce(&Error) + Send + 'static) {
        self.on_done(move |r| {
            if let Err(e) = r {
                f(e);
            }
        });
    }

    /// Asks the connection to time the observer out now, as if its timeout were `timeout` (a
    /// command sends Ctrl-C): Moler's `await_done` on expiry. Its timeout error (or its result,
    /// if it finished first) then arrives as any result does. Does not wait. A command whose
    /// result is out and that lingers for its prompt (its own timeout came first) is left to
    /// its linger: the next command still waits for that prompt.
    pub fn expire(&self, timeout: Duration) {
        if !self.is_done() {
            self.mailbox.push(Request::Expire(self.shared.id, timeout));
        }
    }

    /// Gives up on an observer whose connection did not answer a [`Completion::expire`]: the
    /// result if it finished meanwhile, otherwise an [`Error::Timeout`] for `timeout` after
    /// `elapsed` (the caller's clock). The timeout returned here is the result: one arriving
    /// later is dropped (and not reported as unread by a [`crate::FailureScope`]).
    pub fn abandon(&self, timeout: Duration, elapsed: Duration) -> Result<T> {
        let mut st = lock(&self.shared.state);
        if let Some(r) = self.shared.take(&mut st) {
            return r;
        }
        *st = SlotState::Taken;
        Err(Error::Timeout {
            observer: self.shared.name.clone(),
            timeout,
            elapsed,
            // The connection did not answer, so its last lines are out of reach.
            last_received: None,
            hint: None,
        })
    }

    /// Takes back an observer its connection has not taken yet: its start still waits in the
    /// connection's mailbox, so nothing ran the connection since the observer was started and
    /// nothing was sent for it. Its result is then an [`Error::Timeout`] for `timeout` after
    /// `elapsed` whose hint says so, followed by `why` (the runner's words on what did not
    /// run). `None` when the connection took it: time it out the usual way
    /// ([`Completion::expire`]). For a blocking wait whose deadline passed: a start still
    /// queued then would otherwise be taken later, typed and at once interrupted.
    ///
    /// ```
    /// use moler_core::{Command, Connection, Error};
    /// use std::time::{Duration, Instant};
    ///
    /// let mut conn = Connection::new("idle");
    /// let pwd = conn.mailbox().start(Command::lines("pwd", "^\\$ $"));
    /// let gone = pwd.withdraw_unstarted(Duration::ZERO, Duration::ZERO, "nobody runs it");
    /// let Some(Err(Error::Timeout { hint: Some(hint), .. })) = gone else { panic!("{gone:?}") };
    /// assert!(hint.contains("nothing was sent") && hint.ends_with("nobody runs it"), "{hint}");
    /// conn.handle_requests(Instant::now()); // the connection runs at last: nothing to do
    /// let mut sent = Vec::new();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert!(sent.is_empty());
    ///
    /// let ls = conn.mailbox().start(Command::lines("ls", "^\\$ $"));
    /// conn.handle_requests(Instant::now()); // taken: `ls` is typed
    /// assert!(ls.withdraw_unstarted(Duration::ZERO, Duration::ZERO, "").is_none());
    /// ```
    pub fn withdraw_unstarted(
        &self,
        timeout: Duration,
        elapsed: Duration,
        why: &str,
    ) -> Option<Result<T>> {
        let withdrawn = {
            let mut requests = lock(&self.mailbox.requests);
            let id = self.shared.id;
            let queue = &mut requests.queue;
            let at = queue.iter().position(|r| matches!(r, Request::Start(o) if o.id() == id))?;
            // What else was asked of it (a cancel, a new timeout) goes with it.
            let start = queue.remove(at);
            queue.retain(|r| {
                !matches!(r, Request::Cancel(i) | Request::Expire(i, _) | Request::Timeout(i, _)
                    if *i == id)
            });
            start
        };
        drop(withdrawn); // (an observer's drop runs its code: not under the mailbox's lock)
        let mut st = lock(&self.shared.state);
        if let Some(r) = self.shared.take(&mut st) {
            return Some(r);
        }
        *st = SlotState::Taken;
        Some(Err(Error::Timeout {
            observer: self.shared.name.clone(),
            timeout,
            elapsed,
            last_received: None,
            hint: Some(format!(
                "the connection took nothing from its mailbox in that time, so this never \
                 started and nothing was sent for it: {why}"
            )),
        }))
    }

    /// Asks the connection to cancel the observer (a command sends Ctrl-C). The result becomes
    /// [`Error::Cancelled`] unless it finished first (a command lingering after its timeout is
    /// left to its linger, as with [`Completion::expire`]).
    ///
    /// ```
    /// use moler_core::{Command, Connection, Error};
    /// use std::time::Instant;
    ///
    /// let mut conn = Connection::new("demo");
    /// let sleep = conn.start(Command::lines("sleep 60", "^\\$ $"), Instant::now());
    /// sleep.cancel();
    /// conn.handle_requests(Instant::now()); // a runner does this when the mailbox wakes it
    /// let mut sent = Vec::new();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert!(sent.ends_with(b"\x03"), "Ctrl-C after the command line");
    /// assert!(matches!(sleep.try_result(), Some(Err(Error::Cancelled { .. }))));
    /// ```
    pub fn cancel(&self) {
        if !self.is_done() {
            self.mailbox.push(Request::Cancel(self.shared.id));
        }
    }

    /// Pauses an event: data arriving while paused is ignored, by whole lines: after
    /// [`Completion::resume`] matching restarts at the next line start, so a line partly
    /// received while paused is skipped and the first line that starts after it is matched.
    pub fn pause(&self) {
        self.shared.paused.store(true, Ordering::Release);
    }

    /// Resumes a paused event.
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::Release);
    }
}

impl<T: Send + 'static> Future for Completion<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Result<T>> {
        let Some(assist) = self.mailbox.assist.get() else { return self.poll_awaited(cx) };
        // A turn of the connection first (this task's wake-up is mostly its answer arriving,
        // which the turn reads), then one look at the result. A result that came meanwhile is
        // seen by the look; one that comes after it wakes this task.
        //
        // Before the turn, this task's own waker is taken out: a turn that finishes the
        // observer would otherwise wake the very task that runs it and is about to look, and
        // the executor then passes through its reactor once more for nothing after every
        // awaited command (async-io's `block_on`: five system calls, its timer descriptor set
        // and armed, a wait that finds nothing, its notifier re-armed; tokio's: a wait that
        // finds nothing). The look puts the waker back while the result is pending; a result
        // another thread stores in between is seen by the look (both under the slot's lock).
        if let SlotState::Pending(wakers) = &mut *lock(&self.shared.state) {
            wakers.awaiting = None;
        }
        if assist.poll(cx) {
            self.assisting.store(true, Ordering::Release);
        }
        let polled = self.poll_awaited(cx);
        if polled.is_ready() {
            self.leave_assist();
        }
        polled
    }
}

impl<T> Completion<T> {
    /// [`Completion::poll_result`] for the task that awaits this handle as a future (see
    /// [`Wakers::awaiting`]).
    fn poll_awaited(&self, cx: &mut std::task::Context<'_>) -> Poll<Result<T>> {
        self.poll_keeping(cx, Wakers::awaited_by)
    }

    /// The result, or `Pending` with `cx`'s waker kept by `keep`.
    fn poll_keeping(
        &self,
        cx: &mut std::task::Context<'_>,
        keep: fn(&mut Wakers, &Waker),
    ) -> Poll<Result<T>> {
        let mut st = lock(&self.shared.state);
        if let Some(r) = self.shared.take(&mut st) {
            return Poll::Ready(r);
        }
        if let SlotState::Pending(wakers) = &mut *st {
            keep(wakers, cx.waker());
        }
        Poll::Pending
    }

    fn leave_assist(&self) {
        if self.assisting.swap(false, Ordering::AcqRel) {
            if let Some(assist) = self.mailbox.assist.get() {
                assist.leave();
            }
        }
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        self.leave_assist();
    }
}

/// What a command does when its timeout passes (Moler's timeout action, `'c'` or `'z'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
#[repr(u8)]
pub enum TimeoutAction {
    /// Ctrl-C, then the prompt is awaited (a second Ctrl-C halfway through the terminating
    /// period).
    #[default]
    CtrlC = 0,
    /// Ctrl-Z, then the job the shell reports stopped (`[N]+ Stopped`) is killed and waited for
    /// by a line typed at the prompt that follows (`kill %N; while jobs %N …; done`: Moler's
    /// `kill %N; wait %N` returns at once on bash 5.2, "job N is stopped", and the job's end
    /// then shows in the next command's output), then the prompt is awaited: for tools that
    /// ignore Ctrl-C. Without a `Stopped` line halfway through the terminating period (a shell
    /// without job control, a tool that ignores Ctrl-Z too), or without the prompt after the
    /// kill then (a tool that ignores SIGTERM), a Ctrl-C follows.
    CtrlZ = 1,
}

impl TimeoutAction {
    fn from_u8(v: u8) -> Self {
        if v == TimeoutAction::CtrlZ as u8 {
            TimeoutAction::CtrlZ
        } else {
            TimeoutAction::CtrlC
        }
    }
}

/// What handles ask of the connection from other threads.
pub(crate) enum Request {
    Start(Box<dyn Erased>),
    Cancel(ObserverId),
    Expire(ObserverId, Duration),
    /// A new timeout (from the observer's start), or `extend`ed by this much.
    Timeout(ObserverId, TimeoutChange),
    /// Text to send, from outside any observer ([`Mailbox::send`]), with the connection's
    /// newline after it if `true`.
    Send(String, bool),
    Close,
}

/// How [`Completion::set_timeout`] and [`Completion::extend_timeout`] change a timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TimeoutChange {
    Set(Duration),
    Extend(Duration),
}

/// The thread-safe door into one [`crate::Connection`]: handles and runners on any thread put
/// requests here (start an observer, cancel, time out, close) and the connection takes them in
/// [`crate::Connection::handle_requests`]. A runner installs a wake-up with
/// [`Mailbox::set_wake`] so it learns that requests wait.
pub struct Mailbox {
    name: String,
    requests: Mutex<MailboxState>,
    pending: AtomicBool,
    wake: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// What the runner driving the connection keeps here for the connection's handles (see
    /// [`Mailbox::set_runner_data`]).
    runner_data: OnceLock<Arc<dyn std::any::Any + Send + Sync>>,
    /// The runner's [`Assist`], for the futures awaiting this connection's results.
    assist: OnceLock<Arc<dyn Assist>>,
    next_id: AtomicU64,
    /// The connection's [`TimeoutAction`] for commands that do not choose one.
    timeout_action: AtomicU8,
}

struct MailboxState {
    queue: Vec<Request>,
    closed: bool,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox").field("connection", &self.name).finish_non_exhaustive()
    }
}

impl Mailbox {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            requests: Mutex::new(MailboxState { queue: Vec::new(), closed: false }),
            pending: AtomicBool::new(false),
            wake: OnceLock::new(),
            runner_data: OnceLock::new(),
            assist: OnceLock::new(),
            next_id: AtomicU64::new(1),
            timeout_action: AtomicU8::new(TimeoutAction::CtrlC as u8),
        }
    }

    /// What a command does on timeout on this connection unless it chose itself
    /// ([`crate::Command::timeout_action`]); [`TimeoutAction::CtrlC`] unless changed. Moler's
    /// `set_timeout_action(action, all_instances=True)`, per connection: tests running in
    /// parallel in one process do not change each other's.
    pub fn set_timeout_action(&self, action: TimeoutAction) {
        self.timeout_action.store(action as u8, Ordering::Relaxed);
    }

    /// The connection's default [`TimeoutAction`].
    pub fn timeout_action(&self) -> TimeoutAction {
        TimeoutAction::from_u8(self.timeout_action.load(Ordering::Relaxed))
    }

    /// Installs the function called after every request (the first call wins). It must not
    /// block for long: it may run on the thread of an observer's callback.
    pub fn set_wake(&self, wake: impl Fn() + Send + Sync + 'static) {
        let _ = self.wake.set(Box::new(wake));
    }

    /// Keeps `data` for the runner that drives the connection (the first call wins), for what
    /// its [`Completion`]s reach through [`Completion::runner_data`]: the thread runner's way
    /// for a blocked waiter to drive the connection itself.
    #[doc(hidden)]
    pub fn set_runner_data(&self, data: Arc<dyn std::any::Any + Send + Sync>) {
        let _ = self.runner_data.set(data);
    }

    /// Installs the runner's [`Assist`] (the first call wins): a [`Completion`] awaited as a
    /// future drives the connection through it.
    #[doc(hidden)]
    pub fn set_assist(&self, assist: Arc<dyn Assist>) {
        let _ = self.assist.set(assist);
    }

    /// What [`Mailbox::set_runner_data`] kept.
    #[doc(hidden)]
    pub fn runner_data(&self) -> Option<&Arc<dyn std::any::Any + Send + Sync>> {
        self.runner_data.get()
    }

    /// True once the connection closed: requests are refused (a start fails at once).
    pub fn is_closed(&self) -> bool {
        lock(&self.requests).closed
    }

    /// True when requests wait to be taken.
    pub fn has_requests(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Starts `observer` on the connection (at its next [`crate::Connection::handle_requests`]).
    pub fn start<O: Observer>(self: &Arc<Self>, observer: O) -> Completion<O::Output> {
        let (driven, completion) = self.prepare(observer);
        self.push(Request::Start(driven));
        completion
    }

    /// Asks the connection to close: every unfinished observer fails with
    /// [`Error::ConnectionClosed`].
    pub fn close(&self) {
        self.push(Request::Close);
    }

    /// Sends `text` as it is (no newline) at the connection's next
    /// [`crate::Connection::handle_requests`], in order with the other requests: what Moler's
    /// `connection.send()` does from an event's callback (a key that stops a boot loader's
    /// countdown). Logged like any text sent. On a closed connection, nothing is sent.
    pub fn send(&self, text: impl Into<String>) {
        self.push(Request::Send(text.into(), false));
    }

    /// [`Mailbox::send`] with the connection's newline after `text`.
    pub fn sendline(&self, text: impl Into<String>) {
        self.push(Request::Send(text.into(), true));
    }

    /// The observer boxed for the connection, and its handle. Boxed here, where it is made:
    /// a command is about 550 bytes, and each move of it a copy.
    pub(crate) fn prepare<O: Observer>(
        self: &Arc<Self>,
        observer: O,
    ) -> (Box<Driven<O>>, Completion<O::Output>) {
        let shared = Arc::new(Shared {
            id: ObserverId(self.next_id.fetch_add(1, Ordering::Relaxed)),
            name: observer.describe(),
            scope: crate::background::current(),
            state: Mutex::new(SlotState::Pending(Wakers::default())),
            callbacks: Mutex::new(Vec::new()),
            paused: AtomicBool::new(false),
        });
        let completion = Completion {
            shared: Arc::clone(&shared),
            mailbox: Arc::clone(self),
            assisting: AtomicBool::new(false),
        };
        // Allocated first, then written: the command is copied into the box once, not into a
        // temporary first (measured: two copies fewer per start).
        let driven = Box::write(Box::new_uninit(), Driven { observer, shared, lingering: false });
        (driven, completion)
    }

    pub(crate) fn push(&self, request: Request) {
        let mut st = lock(&self.requests);
        if st.closed {
            drop(st);
            if let Request::Start(mut obs) = request {
                obs.close(self.closed_error());
            }
            return;
        }
        st.queue.push(request);
        self.pending.store(true, Ordering::Release);
        drop(st);
        if let Some(wake) = self.wake.get() {
            wake();
        }
    }

    /// Moves the queued requests into `into` (empty), which becomes the queue: the two
    /// vectors trade places, so neither is allocated again.
    pub(crate) fn take_into(&self, into: &mut Vec<Request>) {
        debug_assert!(into.is_empty());
        let mut st = lock(&self.requests);
        self.pending.store(false, Ordering::Release);
        std::mem::swap(&mut st.queue, into);
    }

    /// Refuses further requests; returns what was still queued.
    pub(crate) fn shut(&self) -> Vec<Request> {
        let mut st = lock(&self.requests);
        st.closed = true;
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut st.queue)
    }

    pub(crate) fn closed_error(&self) -> Error {
        Error::ConnectionClosed { connection: self.name.clone(), reason: None }
    }
}

/// What the connection keeps of a started observer, with its type erased.
pub(crate) trait Erased: Send {
    fn id(&self) -> ObserverId;
    fn kind(&self) -> Kind;
    fn timeout(&self) -> Option<Duration>;
    fn literals(&self) -> Option<Literals>;
    fn start(&mut self, cx: &mut Context<'_>) -> Flow;
    fn data(&mut self, data: &str, cx: &mut Context<'_>) -> Flow;
    fn expire(&mut self, cx: &mut Context<'_>) -> Flow;
    fn cancel(&mut self, cx: &mut Context<'_>) -> Flow;
    fn wake(&mut self, cx: &mut Context<'_>) -> Flow;
    fn close(&mut self, error: Error);
    fn fail(&mut self, error: Error);
    fn paused(&self) -> bool;
    fn describe(&self) -> String;
}

/// The state of an observer after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Running,
    Linger(Duration),
    Finished,
}

pub(crate) struct Driven<O: Observer> {
    observer: O,
    shared: Arc<Shared<O::Output>>,
    lingering: bool,
}

impl<O: Observer> Driven<O> {
    fn apply(&mut self, step: Step<O::Output>) -> Flow {
        match step {
            Step::Pending => Flow::Running,
            Step::Done(result) => {
                self.shared.complete(result);
                Flow::Finished
            }
            Step::Linger { result, period } => {
                self.shared.complete(result);
                self.lingering = true;
                Flow::Linger(period)
            }
        }
    }
}

impl<O: Observer> Erased for Driven<O> {
    fn id(&self) -> ObserverId {
        self.shared.id
    }
    fn kind(&self) -> Kind {
        self.observer.kind()
    }
    fn timeout(&self) -> Option<Duration> {
        self.observer.timeout()
    }
    fn literals(&self) -> Option<Literals> {
        self.observer.literals()
    }
    fn start(&mut self, cx: &mut Context<'_>) -> Flow {
        let step = self.observer.on_start(cx);
        self.apply(step)
    }
    fn data(&mut self, data: &str, cx: &mut Context<'_>) -> Flow {
        if self.lingering {
            return if self.observer.on_linger(data, cx) { Flow::Finished } else { Flow::Running };
        }
        let step = self.observer.on_data(data, cx);
        self.apply(step)
    }
    fn expire(&mut self, cx: &mut Context<'_>) -> Flow {
        if self.lingering {
            // The linger's period ran out (requests leave a linger alone: `act_on`).
            return Flow::Finished;
        }
        let step = self.observer.on_timeout(cx);
        self.apply(step)
    }
    fn cancel(&mut self, cx: &mut Context<'_>) -> Flow {
        // (Never while lingering: requests leave a linger alone, `act_on`.)
        let step = self.observer.on_cancel(cx);
        self.apply(step)
    }
    fn wake(&mut self, cx: &mut Context<'_>) -> Flow {
        if !self.lingering {
            let step = self.observer.on_wake(cx);
            return self.apply(step);
        }
        if self.observer.on_linger_wake(cx) {
            Flow::Finished
        } else {
            Flow::Running
        }
    }
    fn close(&mut self, error: Error) {
        if !self.lingering {
            let result = self.observer.on_close(error);
            self.shared.complete(result);
        }
    }
    fn fail(&mut self, error: Error) {
        self.shared.complete(Err(error));
    }
    fn paused(&self) -> bool {
        self.shared.paused.load(Ordering::Acquire)
    }
    fn describe(&self) -> String {
        self.shared.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Wakers;
    use crate::awaiting::tests::Count;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Waker;

    /// A task or thread that polls again is kept once; every one of them is woken, once.
    #[test]
    fn each_waker_is_kept_once_and_all_are_woken_once() {
        let counts: Vec<_> = (0..3).map(|_| Arc::new(Count(AtomicUsize::new(0)))).collect();
        let wakers: Vec<Waker> = counts.iter().map(|c| Waker::from(Arc::clone(c))).collect();
        let mut all = Wakers::default();
        for _ in 0..3 {
            wakers.iter().for_each(|w| all.register(w));
        }
        assert!(all.first.is_some());
        assert_eq!(all.more.len(), 2, "the first inline, the others once each");
        all.wake_all();
        assert!(counts.iter().all(|c| c.0.load(Ordering::SeqCst) == 1));
    }

    /// The awaiting task's waker is one at a time, replaced by each poll, and woken once with
    /// the others.
    #[test]
    fn the_awaiting_task_is_kept_apart_and_once() {
        let counts: Vec<_> = (0..3).map(|_| Arc::new(Count(AtomicUsize::new(0)))).collect();
        let wakers: Vec<Waker> = counts.iter().map(|c| Waker::from(Arc::clone(c))).collect();
        let mut all = Wakers::default();
        all.register(&wakers[0]);
        all.awaited_by(&wakers[1]);
        all.awaited_by(&wakers[1]);
        all.awaited_by(&wakers[2]); // the handle moved to another task
        assert!(all.more.is_empty());
        all.wake_all();
        let woken: Vec<usize> = counts.iter().map(|c| c.0.load(Ordering::SeqCst)).collect();
        assert_eq!(woken, [1, 0, 1], "the registered one and the last awaiting task, once each");
    }
}
