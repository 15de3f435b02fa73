//! The async runners' assist: a task that awaits a result drives the connection itself (smol,
//! and tokio on a current-thread runtime).
//!
//! A connection on the smol runner is a task of its own (the "home" task). Without help, an
//! answer wakes the home task, which reads it, finishes the command and wakes the task that
//! awaits it. On smol's global executor that is a hand-off between threads (4.3 context
//! switches per round trip over TCP against the floor's 2.0); on an executor run by the
//! awaiting thread, a second pass of async-io's `block_on` through the reactor (a reactor
//! round, five system calls, more per command). With the assist, a
//! [`moler_core::Completion`] awaited as a future takes turns of the connection itself
//! ([`moler_core::Assist`]), so the answer wakes the awaiting task at once.
//!
//! The reactor's registrations keep one waker each (the last task to poll), so the home task
//! must not take them back while tasks assist: it lingers (sleeps [`LINGER`] at a time) for as
//! long as assisting polls keep coming, and takes the connection back after a [`LINGER`] with
//! none. That is also the bound on how late it notices what nobody awaits (an event's line, a
//! deadline, output after an awaited future was dropped or left unpolled by `select!`): late
//! by about two [`LINGER`]s at most, never lost. A request the mailbox could not serve on the
//! requesting thread, and a close, wake the home task, which serves it at once.
//!
//! On tokio, only on a current-thread runtime. There, without the assist, the connection's task
//! finishes the command and wakes the `block_on` future (where `#[tokio::test]` code awaits),
//! and tokio passes through its driver once more (an `epoll_wait` that finds nothing) before it
//! polls that future: with it, 7,300 instructions of moler's own per round trip over TCP instead
//! of 10,050 (`cargo bench --bench roundtrip -- --transport tcp --pin 0 --instructions`), one
//! system call less. An answer that comes in pieces (bash in a pty, a serial line) wakes the
//! awaiting task once per piece instead of the connection's task: about even for local bash
//! (11,200 against 11,300), 1,800 more for a serial line, whose round trip is ten times
//! longer. On the multi-thread runtime a worker polls the I/O whichever task reads,
//! so the answer crosses threads either way: measured, the assist saved nothing there (a task
//! awaiting in a worker was slower with it), and the runner leaves it off.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use moler_core::Assist;

use crate::driver::{DriverRef, Runtime, Timer};
use crate::handle::IN_DRIVER;
// How long the home task stays away after the last assisting poll it saw: the thread runner's
// linger, for the same reasons.
use crate::thread::LINGER;

/// The home task drives the connection when woken.
const WATCHING: u8 = 0;
/// The home task sleeps until its linger ends (or a request wakes it).
const LINGERING: u8 = 1;

/// What the home task and the assisting futures share.
pub(crate) struct Linger {
    /// Assisting polls so far.
    polls: AtomicUsize,
    /// [`WATCHING`] or [`LINGERING`].
    home: AtomicU8,
    /// The home task's waker.
    waker: Mutex<Option<Waker>>,
}

impl Linger {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            polls: AtomicUsize::new(0),
            home: AtomicU8::new(WATCHING),
            waker: Mutex::new(None),
        })
    }

    fn set_home(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
        if !slot.as_ref().is_some_and(|w| moler_core::wakes_same_task(w, waker)) {
            *slot = Some(waker.clone());
        }
    }

    fn wake_home(&self) {
        if let Some(w) = &*self.waker.lock().unwrap_or_else(PoisonError::into_inner) {
            w.wake_by_ref();
        }
    }

    /// The home task's waker, if it has been polled.
    pub(crate) fn home_waker(&self) -> Option<Waker> {
        self.waker.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// The home task's side: when it may drive, and its linger's timer.
pub(crate) struct Home<R: Runtime> {
    linger: Arc<Linger>,
    timer: R::Timer,
    /// The assisting polls counted at the last look, and when the linger ends.
    seen: usize,
    until: Instant,
}

impl<R: Runtime> Home<R> {
    pub(crate) fn new(linger: Arc<Linger>) -> Self {
        Self { linger, timer: R::timer(), seen: 0, until: Instant::now() }
    }

    /// `Ready` when the home task may drive now; `Pending` (its timer armed) while it lingers.
    /// `requests`: the mailbox holds requests (served at once, lingering or not).
    pub(crate) fn poll_turn(&mut self, cx: &mut Context<'_>, requests: bool) -> Poll<()> {
        self.linger.set_home(cx.waker());
        loop {
            let now = Instant::now();
            let polls = self.linger.polls.load(SeqCst);
            if self.linger.home.load(SeqCst) == WATCHING {
                if polls == self.seen {
                    return Poll::Ready(());
                }
                self.linger_from(now, polls); // assists came: leave them the connection
            } else if now >= self.until {
                if polls != self.seen {
                    self.linger_from(now, polls); // they keep coming
                } else {
                    // Quiet for a whole linger: take the connection back. Dekker-style with
                    // `AsyncAssist::poll` (SeqCst): an assist that counted its poll before
                    // this store is seen just below; one after it sees WATCHING and wakes us.
                    self.linger.home.store(WATCHING, SeqCst);
                    let again = self.linger.polls.load(SeqCst);
                    if again == polls {
                        return Poll::Ready(());
                    }
                    self.linger_from(now, again);
                }
            }
            if requests {
                return Poll::Ready(());
            }
            if self.timer.poll_at(cx, self.until).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn linger_from(&mut self, now: Instant, polls: usize) {
        self.until = now + LINGER;
        self.seen = polls;
        self.linger.home.store(LINGERING, SeqCst);
    }
}

/// The assist a connection's mailbox holds on the smol runner and tokio's current-thread runtime.
pub(crate) struct AsyncAssist<R: Runtime> {
    pub(crate) driver: DriverRef<R>,
    pub(crate) linger: Arc<Linger>,
}

impl<R: Runtime> Assist for AsyncAssist<R> {
    fn poll(&self, cx: &mut Context<'_>) {
        // Inside a turn of this (or another) connection, on this thread: not here.
        if IN_DRIVER.with(Cell::get) {
            return;
        }
        self.linger.polls.fetch_add(1, SeqCst);
        // A home task that drives leaves the connection to us at this wake-up.
        if self.linger.home.load(SeqCst) == WATCHING {
            self.linger.wake_home();
        }
        self.driver.try_poll_turn(cx);
    }

    fn leave(&self) {
        // Requests wake the home task again, not this future's task.
        if let Some(home) = self.linger.home_waker() {
            self.driver.register(&home);
        }
    }
}
