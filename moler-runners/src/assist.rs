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
//! The reactor's registrations keep one waker each (the last task to poll), so both give them
//! the same one, [`Relay`]'s: it passes each wake-up on to the task that assisted last, until
//! that one leaves (its result came, or it was dropped), and to the home task otherwise. So
//! what nobody awaits (an event's line, a deadline, output after an awaited future finished)
//! is the home task's at once, and the home task needs no timer while tasks assist. Only a
//! future that was woken and is kept without being polled (as `select!` can leave the branch
//! that lost) could hold the connection: the home task, woken with it, looks again after
//! [`STALL`] and takes the connection back if it has not polled since. A request the mailbox
//! could not serve on the requesting thread, and a close, wake whoever drives.
//!
//! (Before, the home task kept away on a timer while tasks assisted: it slept 2 ms at a time
//! and took the connection back after 2 ms with no assisting poll, so what nobody awaited was
//! up to 4 ms late. That timer was always the reactor's next one, and async-io sets its timer
//! descriptor before every wait: on this project's VM, reprogramming the CPU's timer at each
//! wait cost the awaiting thread 19 µs of CPU per command over local bash on one CPU,
//! `roundtrip --transport terminal --pin 0`, 62.5 against 43 µs.)
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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use moler_core::Assist;

use crate::driver::{DriverRef, Runtime, Timer};
use crate::handle::{keep_waker, IN_DRIVER};

/// How long a task that was woken to drive the connection may stay away before the home
/// task drives it instead (a future polled once and then kept without being polled). Far
/// enough that the home task's timer is never the reactor's next one while commands run one
/// after another: a timer due within the kernel's tick is reprogrammed into the CPU's timer
/// at every wait of the reactor (async-io sets its timer descriptor before each), and on this
/// project's VM that costs 5 µs twice per wait (`roundtrip`, local bash on one CPU: 19 µs of
/// CPU per command with the former 2 ms linger).
pub(crate) const STALL: Duration = Duration::from_millis(50);

/// What the home task and the assisting futures share: whom the connection's wake-ups go to.
///
/// The connection's registrations (its descriptors, its timer, its mailbox) all hold the same
/// waker, this one ([`Relay::waker`]), whoever polled them last; it passes each wake-up on
/// to the task that drives the connection now. A registration keeps one waker, so with the
/// tasks' own wakers in it the last task to poll would have been woken, and the home task had
/// to keep away from the connection while tasks assisted, on a timer.
pub(crate) struct Relay {
    state: Mutex<Routes>,
}

#[derive(Default)]
struct Routes {
    /// Assisting polls so far.
    polls: usize,
    /// The task that assisted last, until it leaves: wake-ups go to it.
    assisting: Option<Waker>,
    /// `assisting` was woken and has not polled since.
    owed: bool,
    /// The home task's timer is armed (it looks whether `assisting` still comes).
    watching: bool,
    /// The home task's waker: wake-ups go to it when no task assists.
    home: Option<Waker>,
}

impl Relay {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self { state: Mutex::new(Routes::default()) })
    }

    fn lock(&self) -> MutexGuard<'_, Routes> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The waker the connection's registrations hold.
    pub(crate) fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    /// A task about to drive the connection (an assisting poll, `waker` its): wake-ups go to it.
    fn assist(&self, waker: &Waker) {
        let mut st = self.lock();
        st.polls += 1;
        st.owed = false;
        keep_waker(&mut st.assisting, waker);
    }

    /// The assisting task left: wake-ups go to the home task again, and so does one that task
    /// was given and did not act on.
    fn leave(&self) {
        let home = {
            let mut st = self.lock();
            st.assisting = None;
            let owed = std::mem::take(&mut st.owed);
            st.home.clone().filter(|_| owed)
        };
        if let Some(home) = home {
            home.wake();
        }
    }
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    /// To the assisting task if there is one (and the home task too when it is not watching,
    /// so that a task that never polls again cannot stall the connection), else to the home task.
    fn wake_by_ref(self: &Arc<Self>) {
        // Woken after the lock is let go: a waker is others' code.
        let (first, home) = {
            let mut st = self.lock();
            match st.assisting.clone() {
                None => (st.home.clone(), None),
                Some(assisting) => {
                    st.owed = true;
                    let look = !std::mem::replace(&mut st.watching, true);
                    (Some(assisting), st.home.clone().filter(|_| look))
                }
            }
        };
        first.into_iter().chain(home).for_each(|w| w.wake());
    }
}

/// The home task's side: when it may drive, and its watch's timer.
pub(crate) struct Home<R: Runtime> {
    relay: Arc<Relay>,
    waker: Waker,
    timer: R::Timer,
    /// The assisting polls counted at the last look, and when to look again.
    seen: usize,
    until: Option<Instant>,
}

impl<R: Runtime> Home<R> {
    pub(crate) fn new(relay: Arc<Relay>) -> Self {
        let waker = relay.waker();
        Self { relay, waker, timer: R::timer(), seen: 0, until: None }
    }

    /// The waker the connection's registrations hold ([`Relay`]).
    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }

    /// The waker an assisting task's turns give the registrations: a clone of the home task's
    /// own, not another made from the relay. Two wakers made apart may carry their vtables at
    /// different addresses (a vtable is emitted in each codegen unit that makes one), and then
    /// `Waker::will_wake` tells a registration that another task polls whenever the home task
    /// and an assisting one take turns: async-io then wakes the waker it replaces (a wake-up
    /// the relay sends on to the home task, on smol's global executor another thread) and
    /// moves the connection's timer; tokio clones the waker again. A clone keeps its
    /// original's vtable.
    pub(crate) fn assist_waker(&self) -> Waker {
        self.waker.clone()
    }

    /// `Ready` when the home task drives now: no task assists, or `requests` (the mailbox
    /// holds requests); `Pending` while a task assists. While it does, the home task looks
    /// every [`STALL`] whether it still polls, and takes the connection back from one that was
    /// woken and has not polled for a whole [`STALL`].
    pub(crate) fn poll_turn(&mut self, cx: &mut Context<'_>, requests: bool) -> Poll<()> {
        loop {
            let now = Instant::now();
            let assisted = {
                let mut st = self.relay.lock();
                keep_waker(&mut st.home, cx.waker());
                if st.polls != self.seen || (st.watching && self.until.is_none()) {
                    // Polls came (or a wake-up went to the assisting task): look again later.
                    self.seen = st.polls;
                    self.until = Some(now + STALL);
                    st.watching = true;
                } else if self.until.is_some_and(|until| now >= until) {
                    // None for a whole STALL: a task woken since is not coming; stop looking.
                    if st.owed {
                        st.assisting = None;
                        st.owed = false;
                    }
                    st.watching = false;
                    self.until = None;
                }
                st.assisting.is_some()
            };
            if let Some(until) = self.until {
                if self.timer.poll_at(cx, until).is_ready() {
                    continue;
                }
            }
            return if requests || !assisted { Poll::Ready(()) } else { Poll::Pending };
        }
    }
}

/// The assist a connection's mailbox holds on the smol runner and tokio's current-thread runtime.
pub(crate) struct AsyncAssist<R: Runtime> {
    pub(crate) driver: DriverRef<R>,
    pub(crate) relay: Arc<Relay>,
    pub(crate) waker: Waker,
}

impl<R: Runtime> Assist for AsyncAssist<R> {
    fn poll(&self, cx: &mut Context<'_>) -> bool {
        // Inside a turn of this (or another) connection, on this thread: not here.
        if IN_DRIVER.with(Cell::get) {
            return false;
        }
        self.relay.assist(cx.waker());
        self.driver.try_poll_turn(&mut Context::from_waker(&self.waker), None);
        true
    }

    fn leave(&self) {
        self.relay.leave();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::thread::ThreadRuntime;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A task's waker that counts its wake-ups.
    pub(crate) struct Task(AtomicUsize);

    impl Wake for Task {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub(crate) fn task() -> (Arc<Task>, Waker) {
        let task = Arc::new(Task(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&task));
        (task, waker)
    }

    pub(crate) fn woken(task: &Task) -> usize {
        task.0.load(Ordering::SeqCst)
    }

    /// A relay, its waker (what the connection's registrations hold), and the home task's
    /// side with its task.
    fn relay() -> (Arc<Relay>, Waker, Home<ThreadRuntime>, Arc<Task>, Waker) {
        let relay = Relay::new();
        let wake = relay.waker();
        let home = Home::<ThreadRuntime>::new(Arc::clone(&relay));
        let (home_task, home_waker) = task();
        (relay, wake, home, home_task, home_waker)
    }

    /// The home task's look: `true` when it drives now.
    fn look(home: &mut Home<ThreadRuntime>, waker: &Waker) -> bool {
        home.poll_turn(&mut Context::from_waker(waker), false).is_ready()
    }

    #[test]
    fn wake_ups_go_to_the_task_that_assists_until_it_leaves_then_home() {
        let (relay, wake, mut home, home_task, home_waker) = relay();
        assert!(look(&mut home, &home_waker), "nobody assists: the home task drives");
        wake.wake_by_ref();
        assert_eq!(woken(&home_task), 1);

        let (a, a_waker) = task();
        relay.assist(&a_waker);
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (1, 2), "the home task is told once");
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (2, 2), "then it watches: not told again");
        assert!(!look(&mut home, &home_waker), "a task assists: the home task keeps away");

        // The assisting task leaves without acting on its last wake-up: that goes home.
        relay.leave();
        assert_eq!((woken(&a), woken(&home_task)), (2, 3));
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (2, 4), "wake-ups go home now");
        assert!(look(&mut home, &home_waker));

        // One that acted on every wake-up (polled since) leaves with nothing owed.
        let (b, b_waker) = task();
        relay.assist(&b_waker);
        wake.wake_by_ref();
        relay.assist(&b_waker);
        relay.leave();
        assert_eq!((woken(&b), woken(&home_task)), (1, 4));
    }

    #[test]
    fn a_task_woken_that_never_polls_again_loses_the_connection_after_a_stall() {
        let (relay, wake, mut home, home_task, home_waker) = relay();
        let (a, a_waker) = task();
        relay.assist(&a_waker);
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (1, 0), "not polled yet: nobody to tell");
        let looked = Instant::now();
        assert!(!look(&mut home, &home_waker), "a task assists");
        std::thread::sleep(STALL / 2);
        let early = looked.elapsed() < STALL; // (a busy machine can sleep longer)
        assert!(!look(&mut home, &home_waker) || !early, "not a whole stall yet");
        std::thread::sleep(STALL);
        assert!(look(&mut home, &home_waker), "woken, and no poll for a whole stall");
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (1, 1), "wake-ups go home");
    }

    /// Each look that finds new polls renews the watch: a task that acts on its wake-ups keeps
    /// the connection however long it assists, and the home task, still watching, is not told
    /// of each wake-up again. Only a whole stall without a poll after a wake-up hands the
    /// connection back.
    #[test]
    fn a_task_that_keeps_polling_keeps_the_connection_past_a_stall() {
        let (relay, wake, mut home, home_task, home_waker) = relay();
        assert!(look(&mut home, &home_waker), "nobody assists: the home task drives");
        let (a, a_waker) = task();
        relay.assist(&a_waker);
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (1, 1), "the home task is told once");
        assert!(!look(&mut home, &home_waker), "a task assists: the home task keeps away");

        // The task polls (acts on its wake-up), then the look comes a whole stall later.
        relay.assist(&a_waker);
        std::thread::sleep(STALL + STALL / 5);
        assert!(!look(&mut home, &home_waker), "it polled since the last look: it keeps it");
        assert!(home.until.is_some(), "the home task still watches");
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (2, 1), "watching: not told again");

        // Woken, and no poll for a whole stall: the connection goes home.
        std::thread::sleep(STALL + STALL / 5);
        assert!(look(&mut home, &home_waker), "woken, and no poll for a whole stall");
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (2, 2), "wake-ups go home");
    }

    #[test]
    fn a_task_that_awaits_quietly_keeps_the_connection() {
        let (relay, wake, mut home, home_task, home_waker) = relay();
        let (a, a_waker) = task();
        relay.assist(&a_waker);
        assert!(!look(&mut home, &home_waker));
        std::thread::sleep(STALL + STALL / 2);
        // Nothing came for it to act on: it keeps the connection, and the home task stops
        // looking (no timer while nothing happens).
        assert!(!look(&mut home, &home_waker));
        assert_eq!(home.until, None);
        wake.wake_by_ref();
        assert_eq!((woken(&a), woken(&home_task)), (1, 1), "the home task looks again");
        assert!(!look(&mut home, &home_waker));
        assert!(home.until.is_some(), "with its timer");
    }
}
