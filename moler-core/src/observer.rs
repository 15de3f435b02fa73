//! The observer contract: what the connection calls, and what an observer may do in return.

use std::time::{Duration, Instant};

use crate::completion::TimeoutAction;
use crate::error::{Error, Result};
use crate::prefilter::Literals;
use crate::tail::Tail;
use crate::transcript::Outbox;

/// Commands run one at a time per connection (first in, first out); events all run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Sends something and waits for its end; queued behind the running command.
    Command,
    /// Only listens; never queued.
    Event,
}

/// What an observer says after each call.
#[derive(Debug)]
pub enum Step<T> {
    /// Not finished; keep sending data.
    Pending,
    /// Finished with this result. Nothing more is delivered to the observer.
    Done(Result<T>),
    /// Deliver `result` now but keep receiving data through [`Observer::on_linger`] until that
    /// returns `true` or `period` passes; the next command waits meanwhile. A command uses this
    /// after a timeout or a cancel: it sent Ctrl-C and swallows output until its prompt returns,
    /// so the next command does not take the old prompt for its own (and after a break whose
    /// prompt came before the break's Ctrl-C was echoed: that Ctrl-C is still on its way). An
    /// observer that wants to act again before the period ends if nothing ended the linger (a
    /// second Ctrl-C) asks for it with [`Context::wake_in`].
    Linger {
        /// The observer's result, delivered at once.
        result: Result<T>,
        /// The longest time to keep consuming output.
        period: Duration,
    },
}

/// Something that watches a connection's text: a command or an event.
///
/// The connection calls [`Observer::on_start`] once, then [`Observer::on_data`] with every
/// decoded chunk, in order, until the observer returns [`Step::Done`] (or lingers). Time only
/// comes in through [`Context::now`]; an observer never reads the clock itself. The result is
/// delivered exactly once: the connection drops everything after the first `Done`.
///
/// ```
/// use moler_core::{Connection, Context, Observer, Step};
/// use std::time::Instant;
///
/// /// Finishes with the number of bytes seen once it has seen `n` of them.
/// struct CountBytes { n: usize, seen: usize }
///
/// impl Observer for CountBytes {
///     type Output = usize;
///     fn describe(&self) -> String { format!("count {} bytes", self.n) }
///     fn on_data(&mut self, data: &str, _cx: &mut Context<'_>) -> Step<usize> {
///         self.seen += data.len();
///         if self.seen >= self.n { Step::Done(Ok(self.seen)) } else { Step::Pending }
///     }
/// }
///
/// let mut conn = Connection::new("demo");
/// let handle = conn.start(CountBytes { n: 4, seen: 0 }, Instant::now());
/// conn.handle_input(b"ab", Instant::now());
/// assert!(!handle.is_done());
/// conn.handle_input(b"cde", Instant::now());
/// assert_eq!(handle.try_result().unwrap().unwrap(), 5);
/// ```
pub trait Observer: Send + 'static {
    /// The value the observer finishes with.
    type Output: Send + 'static;

    /// A short description for errors and logs, e.g. `command 'ls -l'`.
    fn describe(&self) -> String;

    /// Command or event; decides queueing.
    fn kind(&self) -> Kind {
        Kind::Event
    }

    /// The timeout counted from the observer's start; `None` waits for ever. The observer can
    /// change it later with [`Context::set_timeout`].
    fn timeout(&self) -> Option<Duration> {
        None
    }

    /// Called once when the observer starts (for a command: when its turn comes).
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let _ = cx;
        Step::Pending
    }

    /// Called with every decoded chunk of text that arrives after the start.
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<Self::Output>;

    /// Byte strings of which one occurs in every chunk of text the observer reacts to (the
    /// literals of the regexes it waits for: [`Literals::of_regexes`]), asked once at the
    /// start; `None` (the default) when there are none.
    ///
    /// With several such observers running, the connection searches each chunk once for all of
    /// their literals and tells each one through [`Context::literals_seen`] whether one of its
    /// own ends in the chunk: ten events on one stream then cost one search, not ten. The
    /// observer is still called with every chunk, and must remember itself whether the text it
    /// keeps from earlier chunks (the line it is in the middle of) held one.
    fn literals(&self) -> Option<Literals> {
        None
    }

    /// Called when the timeout passes (or a blocking wait on the handle gave up).
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        Step::Done(Err(cx.timeout_error(self.describe())))
    }

    /// Called when the handle cancels the observer.
    fn on_cancel(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let _ = cx;
        Step::Done(Err(Error::Cancelled { observer: self.describe() }))
    }

    /// Called when the connection closes before the observer finished; the default fails with
    /// the connection's error.
    fn on_close(&mut self, error: Error) -> Result<Self::Output> {
        Err(error)
    }

    /// Data that arrives while lingering (see [`Step::Linger`]); return `true` to stop.
    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        let _ = (data, cx);
        true
    }

    /// Called when the wake-up asked for with [`Context::wake_in`] passes (not lingering).
    fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let _ = cx;
        Step::Pending
    }

    /// Called while lingering when the wake-up asked for with [`Context::wake_in`] passes; it
    /// may send text and ask for another wake-up. Return `true` to stop lingering.
    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        let _ = cx;
        false
    }
}

/// A boxed observer is an observer, so observers chosen at run time (by name, from a config)
/// start like any other: `conn.start(boxed, now)`.
impl<O: Observer + ?Sized> Observer for Box<O> {
    type Output = O::Output;
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn kind(&self) -> Kind {
        (**self).kind()
    }
    fn timeout(&self) -> Option<Duration> {
        (**self).timeout()
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_start(cx)
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_data(data, cx)
    }
    fn literals(&self) -> Option<Literals> {
        (**self).literals()
    }
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_timeout(cx)
    }
    fn on_cancel(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_cancel(cx)
    }
    fn on_close(&mut self, error: Error) -> Result<Self::Output> {
        (**self).on_close(error)
    }
    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        (**self).on_linger(data, cx)
    }
    fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_wake(cx)
    }
    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        (**self).on_linger_wake(cx)
    }
}

/// What an observer can see and do during a call: the time, its start, sending text, its timeout.
#[derive(Debug)]
pub struct Context<'a> {
    pub(crate) now: Instant,
    pub(crate) started: Instant,
    pub(crate) timeout: &'a mut Option<Duration>,
    /// When to call [`Observer::on_wake`] (or [`Observer::on_linger_wake`]).
    pub(crate) wake: &'a mut Option<Instant>,
    pub(crate) outbox: &'a mut Outbox,
    pub(crate) newline: &'a str,
    pub(crate) paused: bool,
    /// What the connection received last, for timeout errors.
    pub(crate) tail: &'a Tail,
    pub(crate) timeout_action: TimeoutAction,
    /// False when the connection found none of the observer's literals in this chunk.
    pub(crate) literals_seen: bool,
    /// The connection's "the last command's prompt did not come back" (see
    /// [`Context::prompt_unconfirmed`]).
    pub(crate) prompt_unconfirmed: &'a mut bool,
    /// Set by [`Context::close_connection`].
    pub(crate) closing: &'a mut Option<std::io::Error>,
}

impl Context<'_> {
    /// The time the data arrived (or the deadline passed), as given to the connection.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// When the observer started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.started)
    }

    /// Queues text to send on the connection.
    pub fn send(&mut self, text: &str) {
        self.outbox.push(text);
    }

    /// Queues text followed by the connection's newline.
    pub fn sendline(&mut self, text: &str) {
        self.send(text);
        self.outbox.push(self.newline);
    }

    /// Queues a secret (a password): sent as it is, but every
    /// [`Transcript`](crate::Transcript) (and so every log) sees [`MASK`](crate::MASK) instead,
    /// also where the device echoes it back.
    pub fn send_secret(&mut self, text: &str) {
        self.outbox.push_secret(text);
    }

    /// The connection's newline for [`Context::sendline`].
    pub fn newline(&self) -> &str {
        self.newline
    }

    /// Calls `f` with this context but `newline` for [`Context::sendline`]: what a wrapper uses
    /// to give the observer it wraps another newline than the connection's (a device gives each
    /// command the newline of the state it was made for).
    ///
    /// ```
    /// use moler_core::{Command, Connection, Context, Observer, Step};
    /// use std::time::Instant;
    ///
    /// struct Crlf<O>(O);
    /// impl<O: Observer> Observer for Crlf<O> {
    ///     type Output = O::Output;
    ///     fn describe(&self) -> String { self.0.describe() }
    ///     fn kind(&self) -> moler_core::Kind { self.0.kind() }
    ///     fn on_start(&mut self, cx: &mut Context<'_>) -> Step<O::Output> {
    ///         cx.with_newline("\r\n", |cx| self.0.on_start(cx))
    ///     }
    ///     fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<O::Output> {
    ///         cx.with_newline("\r\n", |cx| self.0.on_data(data, cx))
    ///     }
    /// }
    ///
    /// let mut conn = Connection::new("demo");
    /// conn.start(Crlf(Command::lines("pwd", "^> $")), Instant::now());
    /// let mut out = Vec::new();
    /// assert_eq!(conn.poll_transmit(&mut out), 5);
    /// assert_eq!(out, b"pwd\r\n");
    /// ```
    pub fn with_newline<R>(&mut self, newline: &str, f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let mut cx = Context {
            now: self.now,
            started: self.started,
            timeout: &mut *self.timeout,
            wake: &mut *self.wake,
            outbox: &mut *self.outbox,
            newline,
            paused: self.paused,
            tail: self.tail,
            timeout_action: self.timeout_action,
            literals_seen: self.literals_seen,
            prompt_unconfirmed: &mut *self.prompt_unconfirmed,
            closing: &mut *self.closing,
        };
        f(&mut cx)
    }

    /// True when a command on this connection timed out (or was cancelled) and its prompt did
    /// not come back within its terminating period: whatever it ran may still be reading what
    /// is typed (a program that ignores Ctrl-C, a shell still printing a backlog). A
    /// [`crate::Command`] that types a line waits for its prompt before typing it, as do the
    /// lines given to [`crate::Command::types`] (an Enter and the keys given to
    /// [`crate::Command::sends`] go at once).
    pub fn prompt_unconfirmed(&self) -> bool {
        *self.prompt_unconfirmed
    }

    /// Says the connection's prompt was seen: lines may be typed again (see
    /// [`Context::prompt_unconfirmed`]).
    pub fn confirm_prompt(&mut self) {
        *self.prompt_unconfirmed = false;
    }

    /// Closes the connection as soon as this call returns, with `reason`, for an observer whose
    /// failure leaves the device in a state nobody knows (a transport's greeting that never
    /// came: whatever was typed next would go to a login prompt, a boot loader, anything).
    /// No other observer sees this data or deadline, no queued command starts (nothing of
    /// it is typed), and every observer still running or queued fails with
    /// [`crate::Error::ConnectionClosed`] carrying `reason`. This observer's own result is
    /// what it returns; the first reason given is kept.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use moler_core::{Command, Connection, Context, Error, Kind, Observer, Step};
    ///
    /// /// Waits for the device's banner; without it, nothing may be typed.
    /// struct Banner;
    /// impl Observer for Banner {
    ///     type Output = ();
    ///     fn describe(&self) -> String { "banner".into() }
    ///     fn kind(&self) -> Kind { Kind::Command }
    ///     fn timeout(&self) -> Option<Duration> { Some(Duration::from_secs(1)) }
    ///     fn on_data(&mut self, data: &str, _: &mut Context<'_>) -> Step<()> {
    ///         if data.contains("ready") { Step::Done(Ok(())) } else { Step::Pending }
    ///     }
    ///     fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<()> {
    ///         let error = cx.timeout_error("banner".into());
    ///         cx.close_connection(std::io::Error::new(std::io::ErrorKind::TimedOut, "no banner"));
    ///         Step::Done(Err(error))
    ///     }
    /// }
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("board");
    /// let banner = conn.start(Banner, t0);
    /// let uname = conn.start(Command::lines("uname", "^# $"), t0); // queued behind it
    /// conn.handle_timeout(t0 + Duration::from_secs(1));
    /// assert!(banner.try_result().unwrap().unwrap_err().is_timeout());
    /// let Some(Err(Error::ConnectionClosed { reason: Some(reason), .. })) = uname.try_result() else {
    ///     panic!("the command behind it fails with the reason")
    /// };
    /// assert_eq!(reason.to_string(), "no banner");
    /// assert_eq!(conn.poll_transmit(&mut Vec::new()), 0, "uname was never typed");
    /// assert!(conn.is_closed());
    /// ```
    pub fn close_connection(&mut self, reason: std::io::Error) {
        self.closing.get_or_insert(reason);
    }

    /// The timeout in force, counted from the start.
    pub fn timeout(&self) -> Option<Duration> {
        *self.timeout
    }

    /// Changes the timeout (still counted from the start); `None` waits for ever.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        *self.timeout = timeout;
    }

    /// Asks for one call, `after` from now, to [`Observer::on_wake`], or to
    /// [`Observer::on_linger_wake`] if the observer lingers by then (see [`Step::Linger`]). One
    /// wake-up at a time: a later call replaces an earlier one. It never comes once the
    /// observer finished, nor at or after the deadline in force (its timeout, the end of its
    /// linger); a timeout or a cancel drops it, so one asked for in the call that returns
    /// [`Step::Linger`] is the linger's own.
    ///
    /// ```
    /// use moler_core::{Connection, Context, Observer, Step};
    /// use std::time::{Duration, Instant};
    ///
    /// /// Times out, then knocks again halfway through its linger.
    /// struct Knock;
    /// impl Observer for Knock {
    ///     type Output = ();
    ///     fn describe(&self) -> String { "knock".into() }
    ///     fn timeout(&self) -> Option<Duration> { Some(Duration::from_secs(1)) }
    ///     fn on_data(&mut self, _: &str, _: &mut Context<'_>) -> Step<()> { Step::Pending }
    ///     fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<()> {
    ///         cx.send("knock");
    ///         cx.wake_in(Duration::from_secs(1));
    ///         Step::Linger { result: Ok(()), period: Duration::from_secs(2) }
    ///     }
    ///     fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
    ///         cx.send("again");
    ///         false
    ///     }
    /// }
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// conn.start(Knock, t0);
    /// conn.handle_timeout(t0 + Duration::from_secs(1));
    /// let mut out = Vec::new();
    /// assert_eq!(conn.poll_transmit(&mut out), 5);
    /// assert_eq!(out, b"knock");
    /// assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    /// conn.handle_timeout(t0 + Duration::from_secs(2));
    /// out.clear();
    /// assert_eq!(conn.poll_transmit(&mut out), 5);
    /// assert_eq!(out, b"again");
    /// assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(3)), "the linger's end");
    /// ```
    pub fn wake_in(&mut self, after: Duration) {
        *self.wake = self.now.checked_add(after);
    }

    /// The wake-up asked for so far ([`Context::wake_in`]), if any: for an observer that wraps
    /// another and shares its slot (it keeps the inner one's time, asks for the earlier of the
    /// two, and passes the wake on only when the inner one's time has come).
    pub fn wake_at(&self) -> Option<Instant> {
        *self.wake
    }

    /// Asks for a wake-up at `at` instead of any asked for so far (`None`: none), the
    /// counterpart of [`Context::wake_at`].
    pub fn wake_in_at(&mut self, at: Option<Instant>) {
        *self.wake = at;
    }

    /// The connection's default [`TimeoutAction`] (see [`crate::Mailbox::set_timeout_action`]).
    pub fn timeout_action(&self) -> TimeoutAction {
        self.timeout_action
    }

    /// In [`Observer::on_data`]: false when the connection searched the stream for the
    /// observer's [`Observer::literals`] and none of them ends in this chunk (a literal that
    /// begins in an earlier chunk and ends in this one counts), so a match needs a literal that
    /// ended earlier; true otherwise (also for an observer without literals).
    pub fn literals_seen(&self) -> bool {
        self.literals_seen
    }

    /// True while the handle has paused the observer (events then ignore data).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The last line the connection received (after its last line end), escapes removed: where
    /// a shell waits for input, its prompt. `None` while received text is held back because it
    /// could begin a secret.
    ///
    /// ```
    /// use moler_core::{Connection, Context, Observer, Step};
    /// use std::time::Instant;
    ///
    /// /// Ends at once with the line the connection's shell waits on.
    /// struct WhereAmI;
    /// impl Observer for WhereAmI {
    ///     type Output = Option<String>;
    ///     fn describe(&self) -> String {
    ///         "where am I".into()
    ///     }
    ///     fn on_start(&mut self, cx: &mut Context<'_>) -> Step<Option<String>> {
    ///         Step::Done(Ok(cx.last_line().map(|line| line.into_owned())))
    ///     }
    ///     fn on_data(&mut self, _: &str, _: &mut Context<'_>) -> Step<Option<String>> {
    ///         Step::Pending
    ///     }
    /// }
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// conn.handle_input(b"Welcome\r\n\x1b[1muser@box:~$\x1b[0m ", t0);
    /// let here = conn.start(WhereAmI, t0);
    /// assert_eq!(here.try_result().unwrap().unwrap().as_deref(), Some("user@box:~$ "));
    /// ```
    pub fn last_line(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.tail.last_line()
    }

    /// The timeout error for `observer` at this moment, quoting the last lines the connection
    /// received (secrets masked, escapes removed).
    ///
    /// ```
    /// use moler_core::{Command, Connection};
    /// use std::time::{Duration, Instant};
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// let ls = conn.start(Command::lines("ls", "^moler_bash# $").timeout(Duration::from_secs(1)), t0);
    /// conn.handle_input(b"ls\r\nuser@box:~$ ", t0);
    /// conn.handle_timeout(t0 + Duration::from_secs(1));
    /// let err = ls.try_result().unwrap().unwrap_err();
    /// assert!(err.to_string().contains(r#"; last received: "ls\r\nuser@box:~$ ""#), "{err}");
    /// ```
    pub fn timeout_error(&self, observer: String) -> Error {
        Error::Timeout {
            observer,
            timeout: self.timeout.unwrap_or(self.elapsed()),
            elapsed: self.elapsed(),
            last_received: Some(self.tail.quote()),
            hint: None,
        }
    }
}
