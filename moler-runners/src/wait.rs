//! The blocking edge: waiting on a [`Completion`] or on [`Occurrences`](moler_core::Occurrences) from a plain thread.
//!
//! `moler-core` never blocks and never reads the clock; its handles are futures. Blocking is
//! done here, the way reqwest's blocking client does it: the future is polled with a waker
//! that unparks the waiting thread, which parks (`std::thread::park_timeout`) until then or
//! until its deadline. No lock is held while parked, nothing polls on a timer.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use moler_core::{Completion, Result, Subscription};

use crate::handle::blocking_allowed;
use crate::thread::ThreadAssist;

/// How long a blocking wait waits, after its own timeout passed and it asked the connection to
/// time the observer out, for that timeout result before it reports the timeout itself.
pub(crate) const EXPIRY_GRACE: Duration = Duration::from_secs(5);

/// The blocking wait on a started observer's [`Completion`] (in `moler::prelude`).
///
/// ```
/// use moler_runners::{CompletionExt, Runner};
/// use moler_core::Command;
/// use std::time::Duration;
///
/// let (transport, device) = moler_io::memory::pair("demo");
/// let conn = Runner::choose(None, None).unwrap().spawn("demo", transport).unwrap();
/// device.respond_on_next_write("pwd\r\n/root\r\nmoler_bash# ");
/// let pwd = conn.start(Command::lines("pwd", "^moler_bash# "));
/// assert_eq!(pwd.wait(Duration::from_secs(5)).unwrap(), ["/root"]);
/// ```
pub trait CompletionExt {
    /// What the observer gives.
    type Output;

    /// Blocks until the observer finishes. If `timeout` passes first, the observer is timed out
    /// (a command sends Ctrl-C) and its timeout error is returned, as Moler's `await_done`
    /// does. Refused with [`moler_core::Error::WrongUsage`] where blocking would stall an async
    /// runtime or the connection itself (see [`blocking_allowed`]): `.await` the handle there.
    /// On the thread runner the waiting thread drives the connection meanwhile, as
    /// [`crate::ConnectionHandle::run`] does: the result wakes it with no hand-off.
    fn wait(&self, timeout: Duration) -> Result<Self::Output>;

    /// What [`CompletionExt::wait`] does once `timeout` (counted from `started`) passed: asks
    /// the connection to time the observer out ([`Completion::expire`]) and waits (a few
    /// seconds at most) for that timeout error, or the result if it finished meanwhile; a
    /// connection that does not answer gives a timeout error made here
    /// ([`Completion::abandon`]). For a waiter that drove the connection itself until the
    /// deadline.
    fn expire_blocking(&self, timeout: Duration, started: Instant) -> Result<Self::Output>;
}

impl<T: Send + 'static> CompletionExt for Completion<T> {
    type Output = T;

    fn wait(&self, timeout: Duration) -> Result<T> {
        blocking_allowed()?;
        wait_since(self, timeout, Instant::now())
    }

    fn expire_blocking(&self, timeout: Duration, started: Instant) -> Result<T> {
        expire_within(self, timeout, started, EXPIRY_GRACE)
    }
}

/// [`CompletionExt::wait`] with its `timeout` counted from `started` (blocking checked by the
/// caller). On the thread runner the waiting thread drives the connection itself meanwhile:
/// the reply wakes it directly, with no hand-off.
pub(crate) fn wait_since<T: Send + 'static>(
    completion: &Completion<T>,
    timeout: Duration,
    started: Instant,
) -> Result<T> {
    let deadline = started.checked_add(timeout);
    let mut result = None;
    let driven = ThreadAssist::of(completion.runner_data()).is_some_and(|assist| {
        assist.drive(
            &mut |cx| match completion.poll_result(cx) {
                Poll::Ready(r) => {
                    result = Some(r);
                    true
                }
                Poll::Pending => false,
            },
            deadline,
        )
    });
    match result {
        Some(r) => r,
        // Another runner, or this thread could not drive: it waits the plain way.
        None if !driven => match park_until(|cx| completion.poll_result(cx), deadline) {
            Some(r) => r,
            None => completion.expire_blocking(timeout, started),
        },
        // The deadline passed: time the observer out, as a plain wait does.
        None => completion.expire_blocking(timeout, started),
    }
}

/// [`CompletionExt::expire_blocking`] with the grace as a parameter (tests shorten it).
pub(crate) fn expire_within<T: Send + 'static>(
    completion: &Completion<T>,
    timeout: Duration,
    started: Instant,
    grace: Duration,
) -> Result<T> {
    // Never taken by the connection (nothing ran it): taken back, so it is not typed later
    // and interrupted at once, and the error says why instead of waiting out the grace.
    if let Some(r) = completion.withdraw_unstarted(timeout, started.elapsed(), NOT_RUN) {
        return r;
    }
    completion.expire(timeout);
    let result =
        match park_until(|cx| completion.poll_result(cx), Instant::now().checked_add(grace)) {
            Some(r) => r,
            None => completion.abandon(timeout, started.elapsed()),
        };
    #[cfg(feature = "tokio")]
    if completion.runner_data().is_some_and(|data| data.is::<crate::tokio::CurrentThread>()) {
        return with_hint(result, crate::tokio::CurrentThread::HINT);
    }
    result
}

/// Why a connection never took an observer waited for.
const NOT_RUN: &str = "nothing ran the connection meanwhile (an executor nobody runs, such as \
    a smol `Executor` of your own, or the connection held by code that blocks, such as an \
    occurrence callback)";

/// `result`, a timeout's hint followed by `more`.
#[cfg(feature = "tokio")]
fn with_hint<T>(result: Result<T>, more: &str) -> Result<T> {
    match result {
        Err(moler_core::Error::Timeout { observer, timeout, elapsed, last_received, hint }) => {
            let hint = Some(match hint {
                Some(hint) => format!("{hint}; {more}"),
                None => more.to_owned(),
            });
            Err(moler_core::Error::Timeout { observer, timeout, elapsed, last_received, hint })
        }
        other => other,
    }
}

/// Blocks until every handle finished (commands and events mixed, any connections), at most
/// `timeout`: true if they all did (Moler's `EventAwaiter.wait_for_all`). Results stay in the
/// handles; on a timeout nothing is cancelled ([`moler_core::cancel_all`] does that). Refused
/// with [`moler_core::Error::WrongUsage`] where blocking is not allowed (see
/// [`blocking_allowed`]): `.await` [`moler_core::all_done`] there.
///
/// ```
/// use moler_core::{Awaitable, Command, Wait4};
/// use moler_runners::{wait_for_all, Runner};
/// use std::time::Duration;
///
/// let (transport, device) = moler_io::memory::pair("demo");
/// let conn = Runner::choose(None, None).unwrap().spawn("demo", transport).unwrap();
/// let up = conn.start(Wait4::new(["link up"]).unwrap().till_occurs_times(1));
/// let booted = conn.start(Wait4::new(["booted"]).unwrap().till_occurs_times(1));
/// device.inject("booted\nlink up\n");
/// assert!(wait_for_all(&[&up, &booted], Duration::from_secs(5))?);
/// // Both happened: now the command.
/// device.respond_on_next_write("ip link\r\neth0 UP\r\n$ ");
/// let ip = conn.start(Command::lines("ip link", "^\\$ $"));
/// let never = conn.start(Wait4::new(["never"]).unwrap().till_occurs_times(1));
/// assert_eq!(moler_runners::wait_for_any(&[&never, &ip], Duration::from_secs(5))?, Some(1));
/// assert_eq!(moler_runners::wait_for_any(&[&ip, &never], Duration::from_secs(5))?, Some(0));
/// assert_eq!(moler_runners::wait_for_any(&[&never], Duration::from_millis(10))?, None);
/// assert!(!wait_for_all(&[&never], Duration::from_millis(10))?, "timed out");
/// # Ok::<(), moler_core::Error>(())
/// ```
pub fn wait_for_all(handles: &[&dyn moler_core::Awaitable], timeout: Duration) -> Result<bool> {
    blocking_allowed()?;
    let mut all = std::pin::pin!(moler_core::all_done(handles));
    let deadline = Instant::now().checked_add(timeout);
    Ok(park_until(|cx| std::future::Future::poll(all.as_mut(), cx), deadline).is_some())
}

/// Blocks until one of the handles finished, at most `timeout`: its index (the first in the
/// list when several did), or `None` on timeout (Moler's `EventAwaiter.wait_for_any`).
/// Refused as [`wait_for_all`] is: `.await` [`moler_core::any_done`] there.
pub fn wait_for_any(
    handles: &[&dyn moler_core::Awaitable],
    timeout: Duration,
) -> Result<Option<usize>> {
    blocking_allowed()?;
    let mut any = std::pin::pin!(moler_core::any_done(handles));
    let deadline = Instant::now().checked_add(timeout);
    Ok(park_until(|cx| std::future::Future::poll(any.as_mut(), cx), deadline))
}

/// The blocking side of an event's [`Occurrences`](moler_core::Occurrences), or any [`Subscription`] (in `moler::prelude`).
///
/// ```
/// use moler_runners::{CompletionExt, OccurrencesExt, Runner};
/// use moler_core::Wait4;
/// use std::time::Duration;
///
/// let (transport, device) = moler_io::memory::pair("demo");
/// let conn = Runner::choose(None, None).unwrap().spawn("demo", transport).unwrap();
/// let mut event = Wait4::new([r"^tick (\d+)$"]).unwrap().till_occurs_times(2);
/// let ticks = event.occurrences();
/// let done = conn.start(event);
/// device.inject("tick 1\ntick 2\n");
/// assert_eq!(ticks.next_timeout(Duration::from_secs(5)).unwrap().line, "tick 1");
/// done.wait(Duration::from_secs(5)).unwrap();
/// // The event ended: the iterator gives what is left, then ends.
/// assert_eq!(ticks.blocking_iter().map(|o| o.line).collect::<Vec<_>>(), ["tick 2"]);
/// ```
pub trait OccurrencesExt {
    /// What is published (an [`moler_core::Occurrence`] for an event's occurrences).
    type Item;

    /// The next occurrence (record), waiting at most `timeout`; `None` on timeout or once the
    /// event (publisher) ended and every one was taken.
    fn next_timeout(&self, timeout: Duration) -> Option<Self::Item>;

    /// An iterator that blocks for each next occurrence (record); it ends with the event.
    fn blocking_iter(&self) -> BlockingOccurrences<'_, Self::Item>;
}

/// For every [`Subscription`]: an event's occurrences, a command's published records.
impl<T> OccurrencesExt for Subscription<T> {
    type Item = T;

    fn next_timeout(&self, timeout: Duration) -> Option<T> {
        park_until(|cx| self.poll_next(cx), Instant::now().checked_add(timeout)).flatten()
    }

    fn blocking_iter(&self) -> BlockingOccurrences<'_, T> {
        BlockingOccurrences(self)
    }
}

/// The iterator of [`OccurrencesExt::blocking_iter`]: each `next` parks the thread until an
/// occurrence comes or the event ends.
#[derive(Debug)]
pub struct BlockingOccurrences<'a, T>(&'a Subscription<T>);

impl<T> Iterator for BlockingOccurrences<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        park_until(|cx| self.0.poll_next(cx), None).flatten()
    }
}

/// Wakes a thread parked in [`park_until`].
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's waker: one per thread, so a completion polled by several waits from the
    /// same thread keeps one waker.
    static UNPARKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
}

/// Polls `poll` with a waker that unparks this thread, parking between polls, until it is
/// ready or `deadline` passes (`None`: no deadline). A spurious unpark only costs a poll.
pub(crate) fn park_until<T>(
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
    deadline: Option<Instant>,
) -> Option<T> {
    let waker = UNPARKER.with(Waker::clone);
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = poll(&mut cx) {
            return Some(out);
        }
        match deadline {
            None => thread::park(),
            Some(deadline) => {
                let left = deadline.checked_duration_since(Instant::now())?;
                if left.is_zero() {
                    return None;
                }
                thread::park_timeout(left);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::{Command, Connection, Error, Wait4};
    use std::sync::mpsc;

    const PROMPT: &str = "^moler_bash# ";
    const LONG: Duration = Duration::from_secs(30);

    /// A connection driven by hand on another thread, as a runner would.
    fn on_thread(
        mut conn: Connection,
        script: impl FnOnce(&mut Connection) + Send + 'static,
    ) -> thread::JoinHandle<()> {
        thread::spawn(move || script(&mut conn))
    }

    /// Returns once a request is in `mailbox` (the waiter's, on the test's thread).
    fn until_asked(mailbox: &moler_core::Mailbox) {
        while !mailbox.has_requests() {
            thread::yield_now();
        }
    }

    #[test]
    fn a_result_set_on_another_thread_unparks_the_waiter() {
        let mut conn = Connection::new("t");
        let pwd = conn.start(Command::lines("pwd", PROMPT), Instant::now());
        let (go, ready) = mpsc::channel::<()>();
        let driver = on_thread(conn, move |conn| {
            ready.recv().unwrap();
            thread::sleep(Duration::from_millis(20));
            conn.handle_input(b"pwd\r\n/root\r\nmoler_bash# ", Instant::now());
        });
        go.send(()).unwrap();
        let started = Instant::now();
        assert_eq!(pwd.wait(LONG).unwrap(), ["/root"]);
        assert!(started.elapsed() < LONG / 2, "woken by the result, not by the deadline");
        driver.join().unwrap();
        assert!(matches!(pwd.wait(LONG), Err(Error::ResultTaken { .. })), "taken once");
    }

    /// A future that wakes itself (a yield: woken, then `Pending`), by reference or by value,
    /// is polled again at once, not at the deadline.
    #[test]
    fn a_future_that_wakes_itself_is_polled_again_at_once() {
        let mut polls = 0;
        let started = Instant::now();
        let out = park_until(
            |cx| {
                polls += 1;
                match polls {
                    1 => cx.waker().wake_by_ref(),
                    // A waker of its own, woken by value (as a future that keeps one does).
                    2 => {
                        let kept = cx.waker().clone();
                        kept.wake();
                    }
                    _ => return Poll::Ready(polls),
                }
                Poll::Pending
            },
            Some(started + LONG),
        );
        assert_eq!(out, Some(3));
        assert!(started.elapsed() < LONG / 2, "woken by itself, not by the deadline");
    }

    #[test]
    fn on_timeout_the_connection_times_the_observer_out() {
        let mut conn = Connection::new("t");
        let t0 = Instant::now();
        let sleep = conn.start(Command::lines("sleep 9", PROMPT), t0);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"sleep 9\r\nstill going", t0);
        let mailbox = Arc::clone(conn.mailbox());
        let driver = on_thread(conn, move |conn| {
            until_asked(&mailbox);
            conn.handle_requests(Instant::now());
            let mut sent = Vec::new();
            assert_eq!(conn.poll_transmit(&mut sent), 1);
            assert_eq!(sent, b"\x03", "the command was timed out: Ctrl-C");
        });
        let err = sleep.wait(Duration::from_millis(50)).unwrap_err();
        driver.join().unwrap();
        let Error::Timeout { timeout, last_received, .. } = &err else { panic!("{err}") };
        assert_eq!(*timeout, Duration::from_millis(50));
        assert!(last_received.as_deref().unwrap().contains("still going"), "{err}");
    }

    /// The waiter's deadline and the connection's timer come together. The connection takes
    /// its timer first (Ctrl-C, the linger, the timeout out), then the waiter's expiry, which
    /// crossed that result. The linger goes on: the next command waits for the prompt after
    /// the Ctrl-C's echo, not going out behind it into the tool's last output (a ping read the
    /// statistics of the ping before it so, in a CI run under load).
    #[test]
    fn an_expiry_that_crosses_the_timeout_leaves_the_linger_alone() {
        let mut conn = Connection::new("t");
        let t0 = Instant::now();
        let timeout = Duration::from_millis(50);
        let ping = conn.start(Command::lines("ping host", PROMPT).timeout(timeout), t0);
        let next = conn.start(Command::lines("echo ok", PROMPT), t0);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"ping host\r\n64 bytes from host\r\n", t0);
        let mailbox = Arc::clone(conn.mailbox());
        let driver = on_thread(conn, move |conn| {
            until_asked(&mailbox);
            // The timer (its deadline passed), then the mailbox: the waiter's expiry.
            conn.handle_timeout(t0 + timeout);
            let mut sent = Vec::new();
            let _ = conn.poll_transmit(&mut sent);
            assert_eq!(sent, b"\x03", "nothing behind the Ctrl-C");
            conn.handle_input(b"^C\r\n--- host ping statistics ---\r\nmoler_bash# ", t0);
            sent.clear();
            let _ = conn.poll_transmit(&mut sent);
            assert_eq!(sent, b"echo ok\n", "the prompt after the echo");
            conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t0);
        });
        assert!(ping.wait(timeout).unwrap_err().is_timeout());
        driver.join().unwrap();
        assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    }

    #[test]
    fn a_connection_that_does_not_answer_gives_a_timeout_made_by_the_waiter() {
        let mut conn = Connection::new("t");
        let t0 = Instant::now();
        let sleep = conn.start(Command::lines("sleep 9", PROMPT), t0);
        let timeout = Duration::from_millis(10);
        let err = expire_within(&sleep, timeout, t0, Duration::from_millis(20)).unwrap_err();
        let Error::Timeout { last_received: None, elapsed, .. } = err else { panic!("{err}") };
        assert!(elapsed >= Duration::from_millis(20));
        // The connection's late timeout is not a second result.
        conn.handle_requests(Instant::now());
        assert!(matches!(sleep.try_result(), Some(Err(Error::ResultTaken { .. }))));
    }

    #[test]
    fn dropping_the_connection_fails_waiters_instead_of_hanging_them() {
        let mut conn = Connection::new("t");
        let h = conn.start(Command::lines("a", PROMPT), Instant::now());
        let driver = on_thread(conn, |_| thread::sleep(Duration::from_millis(20)));
        assert!(h.wait(LONG).unwrap_err().is_closed());
        driver.join().unwrap();
    }

    #[test]
    fn two_threads_waiting_on_one_handle_are_both_woken() {
        let mut conn = Connection::new("t");
        let h = conn.start(Command::lines("pwd", PROMPT), Instant::now());
        let started = Instant::now();
        let results = thread::scope(|s| {
            let waiters = [s.spawn(|| h.wait(LONG)), s.spawn(|| h.wait(LONG))];
            thread::sleep(Duration::from_millis(20));
            conn.handle_input(b"pwd\r\n/root\r\nmoler_bash# ", Instant::now());
            waiters.map(|w| w.join().unwrap())
        });
        assert!(started.elapsed() < LONG / 2);
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert_eq!(
            results.iter().filter(|r| matches!(r, Err(Error::ResultTaken { .. }))).count(),
            1
        );
    }

    #[test]
    fn occurrences_block_until_one_comes_and_end_with_the_event() {
        let mut conn = Connection::new("t");
        let mut event = Wait4::new([r"^tick \d$"]).unwrap().till_occurs_times(3);
        let ticks = event.occurrences();
        let _done = conn.start(event, Instant::now());
        assert!(ticks.next_timeout(Duration::from_millis(10)).is_none(), "nothing yet");
        let driver = on_thread(conn, |conn| {
            for i in 1..=3 {
                thread::sleep(Duration::from_millis(5));
                conn.handle_input(format!("tick {i}\n").as_bytes(), Instant::now());
            }
        });
        assert_eq!(ticks.next_timeout(LONG).unwrap().line, "tick 1");
        let rest: Vec<_> = ticks.blocking_iter().map(|o| o.line).collect();
        assert_eq!(rest, ["tick 2", "tick 3"], "the iterator ends with the event");
        driver.join().unwrap();
        assert!(ticks.next_timeout(LONG).is_none(), "ended: no wait");
    }
}
