//! A device's state: the typed name ([`State`]), the cell that holds the current one (shared
//! with the prompt watch that runs in the connection's driver), and the handle of a state
//! change under way ([`StateChange`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{lock, DeviceError};
use crate::logging;

/// A state of a device (`UNIX_LOCAL`, `UNIX_REMOTE_ROOT`…): its class says which it has.
/// Compares with its name: `assert_eq!(device.state(), "UNIX_LOCAL")`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State(&'static str);

impl State {
    /// The state of a device whose connection is closed.
    pub const NOT_CONNECTED: State = State(super::NOT_CONNECTED);
    /// The local shell.
    pub const UNIX_LOCAL: State = State(super::UNIX_LOCAL);
    /// Root on the local machine.
    pub const UNIX_LOCAL_ROOT: State = State(super::UNIX_LOCAL_ROOT);
    /// A jump host between the local machine and the remote one.
    pub const PROXY_PC: State = State(super::PROXY_PC);
    /// The remote shell.
    pub const UNIX_REMOTE: State = State(super::UNIX_REMOTE);
    /// Root on the remote machine.
    pub const UNIX_REMOTE_ROOT: State = State(super::UNIX_REMOTE_ROOT);

    pub(crate) const fn new(name: &'static str) -> State {
        State(name)
    }

    /// Its name.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for State {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::ops::Deref for State {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl PartialEq<str> for State {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for State {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<State> for &str {
    fn eq(&self, other: &State) -> bool {
        *self == other.0
    }
}

impl PartialEq<State> for str {
    fn eq(&self, other: &State) -> bool {
        self == other.0
    }
}

/// The device's current state, shared with the prompt watch that runs in the connection's
/// driver: one atomic word, the connection's generation (so a closed connection's late news is
/// ignored) and the state's index among the class's states. Readers never lock; those waiting
/// for a change leave a waker.
pub(super) struct StateCell {
    /// `generation << 16 | index`.
    now: AtomicU64,
    /// The class's states, by index.
    names: Arc<[&'static str]>,
    waiters: Mutex<Vec<Waker>>,
    /// The device's name, for the log.
    device: String,
    /// The state whose prompt the prompt watch saw last (`generation << 16 | index`, or
    /// [`NO_PENDING`]): taken when a command ends at that prompt, or when nothing followed it
    /// for the watch's quiet time.
    pending: AtomicU64,
}

const NO_PENDING: u64 = u64::MAX;

const INDEX_BITS: u32 = 16;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

impl StateCell {
    /// A cell in the first of `names` (NOT_CONNECTED).
    pub(super) fn new(device: String, names: &[&'static str]) -> StateCell {
        assert!(names.len() <= INDEX_MASK as usize, "a class has fewer than 65,536 states");
        StateCell {
            now: AtomicU64::new(0),
            names: names.into(),
            waiters: Mutex::default(),
            device,
            pending: AtomicU64::new(NO_PENDING),
        }
    }

    /// The prompt watch's news: the last line received matches `state`'s prompt (`None`: it
    /// does not, or more came).
    pub(super) fn set_pending(&self, generation: u64, state: Option<&'static str>) {
        let word = state.map_or(NO_PENDING, |s| generation << INDEX_BITS | self.index(s));
        self.pending.store(word, Ordering::Release);
    }

    /// Moves to the pending state, if any (the shell is waiting at that prompt: a command
    /// ended there, or nothing followed it for the watch's quiet time).
    pub(super) fn apply_pending(&self) {
        let word = self.pending.swap(NO_PENDING, Ordering::AcqRel);
        if word != NO_PENDING {
            self.set_if(word >> INDEX_BITS, self.name(word));
        }
    }

    fn index(&self, state: &str) -> u64 {
        self.names.iter().position(|s| *s == state).expect("a state of the class") as u64
    }

    fn name(&self, word: u64) -> &'static str {
        self.names[(word & INDEX_MASK) as usize]
    }

    /// The current state.
    pub(super) fn get(&self) -> &'static str {
        self.name(self.now.load(Ordering::Acquire))
    }

    /// The current connection's generation.
    pub(super) fn generation(&self) -> u64 {
        self.now.load(Ordering::Acquire) >> INDEX_BITS
    }

    /// Moves to `state` if the connection is still `generation` (news from the prompt watch
    /// or a hop of that connection).
    pub(super) fn set_if(&self, generation: u64, state: &'static str) {
        let index = self.index(state);
        let moved = self.now.fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
            (now >> INDEX_BITS == generation && now & INDEX_MASK != index)
                .then_some(generation << INDEX_BITS | index)
        });
        if let Ok(before) = moved {
            self.changed(self.name(before), state);
        }
    }

    /// The connection of `generation` ended: NOT_CONNECTED (the first state), under a new
    /// generation, so that news still on its way about the old connection (a hop that just
    /// ended) moves nothing.
    pub(super) fn closed_if(&self, generation: u64) {
        let moved = self.now.fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
            (now >> INDEX_BITS == generation).then_some((generation + 1) << INDEX_BITS)
        });
        if let Ok(before) = moved {
            if before & INDEX_MASK != 0 {
                self.changed(self.name(before), self.names[0]);
            }
        }
    }

    /// A new connection (or none), in `state`: returns its generation.
    pub(super) fn renew(&self, state: &'static str) -> u64 {
        let index = self.index(state);
        let before = self
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                Some(((now >> INDEX_BITS) + 1) << INDEX_BITS | index)
            })
            .expect("the update always applies");
        if self.name(before) != state {
            self.changed(self.name(before), state);
        }
        (before >> INDEX_BITS) + 1
    }

    fn changed(&self, from: &str, to: &str) {
        tracing::info!(target: logging::MAIN, device = %self.device, "changed state from {from} to {to}");
        for waker in std::mem::take(&mut *lock(&self.waiters)) {
            waker.wake();
        }
    }

    /// Ready once the device is in `state` (a state of the class).
    pub(super) fn reached(self: &Arc<Self>, state: &'static str) -> Reached {
        Reached { cell: Arc::clone(self), state, leave: false }
    }

    /// Ready once the device is no longer in `state`.
    pub(super) fn left(self: &Arc<Self>, state: &'static str) -> Reached {
        Reached { cell: Arc::clone(self), state, leave: true }
    }
}

/// The future of [`StateCell::reached`] (and of [`StateCell::left`], `leave`).
pub(super) struct Reached {
    cell: Arc<StateCell>,
    state: &'static str,
    leave: bool,
}

impl Reached {
    fn done(&self) -> bool {
        (self.cell.get() == self.state) != self.leave
    }
}

impl Future for Reached {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done() {
            return Poll::Ready(());
        }
        let mut waiters = lock(&self.cell.waiters);
        if !waiters.iter().any(|w| moler_core::wakes_same_task(w, cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        drop(waiters);
        // A change between the first look and the waker's registration is seen here.
        if self.done() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// A state change under way in the background ([`super::Device::goto_state_bg`]): `.await` it,
/// or [`StateChange::wait`] from a plain thread. It runs whether or not anyone waits.
#[must_use = "a state change reports its failure only through this handle"]
pub struct StateChange {
    pub(super) slot: Arc<ChangeSlot>,
    pub(super) device: String,
    pub(super) target: String,
}

/// The result of a state change once it ended, and the task awaiting it.
type Ended = (Option<Result<(), DeviceError>>, Option<Waker>);

/// Where a background state change leaves its result.
#[derive(Default)]
pub(super) struct ChangeSlot {
    result: Mutex<Ended>,
}

impl ChangeSlot {
    pub(super) fn complete(&self, result: Result<(), DeviceError>) {
        let mut st = lock(&self.result);
        st.0 = Some(result);
        if let Some(w) = st.1.take() {
            w.wake();
        }
    }

    fn poll_result(&self, cx: &mut Context<'_>) -> Poll<Result<(), DeviceError>> {
        let mut st = lock(&self.result);
        match st.0.take() {
            Some(r) => Poll::Ready(r),
            None => {
                st.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl std::fmt::Debug for StateChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateChange")
            .field("device", &self.device)
            .field("to", &self.target)
            .finish()
    }
}

impl StateChange {
    /// True once it ended (either way).
    pub fn is_done(&self) -> bool {
        lock(&self.slot.result).0.is_some()
    }

    /// Blocks until the state change ends, at most `timeout` (it goes on after that). Refused
    /// inside an async task (`.await` it there).
    pub fn wait(self, timeout: Duration) -> Result<(), DeviceError> {
        moler_runners::blocking_allowed()?;
        let deadline = Instant::now().checked_add(timeout);
        let slot = &self.slot;
        moler_runners::block_on_until(std::future::poll_fn(|cx| slot.poll_result(cx)), deadline)
            .unwrap_or_else(|| {
                Err(DeviceError::StateTimeout {
                    device: self.device.clone(),
                    state: self.target.clone(),
                    waited: timeout,
                })
            })
    }
}

impl Future for StateChange {
    type Output = Result<(), DeviceError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot.poll_result(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    const NAMES: &[&str] = &["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_REMOTE"];

    /// A waker that counts its wake-ups (one `will_wake` does not recognize in its clones, as
    /// tokio's `block_on`'s), and its count.
    fn counted() -> (Waker, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        (moler_testkit::waker_unlike_its_clones(&count), count)
    }

    fn wakes(count: &AtomicUsize) -> usize {
        count.load(SeqCst)
    }

    #[test]
    fn late_news_of_a_closed_connection_is_ignored() {
        let cell = StateCell::new("d".into(), NAMES);
        let first = cell.renew("UNIX_LOCAL");
        cell.set_if(first, "UNIX_REMOTE");
        assert_eq!(cell.get(), "UNIX_REMOTE");
        let second = cell.renew("NOT_CONNECTED");
        assert_eq!(second, first + 1);
        cell.set_if(first, "UNIX_LOCAL");
        assert_eq!(cell.get(), "NOT_CONNECTED", "the old connection's prompt moves nothing");
        cell.set_if(second, "UNIX_LOCAL");
        assert_eq!(cell.get(), "UNIX_LOCAL");
    }

    #[test]
    fn a_waiter_is_woken_by_the_change_it_waits_for() {
        let cell = Arc::new(StateCell::new("d".into(), NAMES));
        let generation = cell.renew("UNIX_LOCAL");
        let setter = Arc::clone(&cell);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            setter.set_if(generation, "UNIX_REMOTE");
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        assert!(
            moler_runners::block_on_until(cell.reached("UNIX_REMOTE"), Some(deadline)).is_some()
        );
        t.join().unwrap();
    }

    /// A task polled again and again while it waits (a `select!` loop with a ticking timer)
    /// is kept once among the waiters, also where `will_wake` does not recognize its waker
    /// in its clones (tokio's `block_on`).
    #[test]
    fn a_waiter_polled_again_is_kept_once() {
        let cell = Arc::new(StateCell::new("d".into(), NAMES));
        let generation = cell.renew("UNIX_LOCAL");
        let (waker, count) = counted();
        let mut cx = Context::from_waker(&waker);
        let mut reached = std::pin::pin!(cell.reached("UNIX_REMOTE"));
        for _ in 0..100 {
            assert!(reached.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(lock(&cell.waiters).len(), 1, "one waiter for one task");
        cell.set_if(generation, "UNIX_REMOTE");
        assert_eq!(wakes(&count), 1, "woken once");
        assert!(reached.as_mut().poll(&mut cx).is_ready());
    }

    /// The generation read is the current connection's, and news that the device is where it
    /// is already changes nothing: no waiter is woken for it.
    #[test]
    fn the_generation_is_the_connections_and_a_move_to_where_it_is_wakes_nobody() {
        let cell = Arc::new(StateCell::new("d".into(), NAMES));
        let first = cell.renew("UNIX_LOCAL");
        assert_eq!(cell.generation(), first);
        cell.closed_if(first);
        assert_eq!((cell.generation(), cell.get()), (first + 1, "NOT_CONNECTED"));
        let generation = cell.renew("UNIX_LOCAL");
        assert_eq!((cell.generation(), generation), (first + 2, first + 2));

        let (waker, count) = counted();
        let mut cx = Context::from_waker(&waker);
        let mut reached = std::pin::pin!(cell.reached("UNIX_REMOTE"));
        assert!(reached.as_mut().poll(&mut cx).is_pending());
        cell.set_if(generation, "UNIX_LOCAL");
        cell.set_pending(generation, Some("UNIX_LOCAL"));
        cell.apply_pending();
        assert_eq!(wakes(&count), 0, "nothing changed");
        assert_eq!(lock(&cell.waiters).len(), 1, "still waiting");
        cell.set_if(generation, "UNIX_REMOTE");
        assert_eq!(wakes(&count), 1);
    }

    /// A close wakes whoever waits for the device to leave its state, a new connection
    /// whoever waits for the state it opens in; a close or a renewal that leaves the state
    /// as it was wakes nobody.
    #[test]
    fn closes_and_new_connections_wake_exactly_when_the_state_changes() {
        let cell = Arc::new(StateCell::new("d".into(), NAMES));
        let (waker, count) = counted();
        let mut cx = Context::from_waker(&waker);
        let generation = cell.renew("UNIX_LOCAL");

        let mut left = std::pin::pin!(cell.left("UNIX_LOCAL"));
        assert!(left.as_mut().poll(&mut cx).is_pending());
        cell.closed_if(generation);
        assert_eq!(wakes(&count), 1, "the close woke the waiter");
        assert!(left.as_mut().poll(&mut cx).is_ready());

        // Closed again (a second report of the same end): nothing changes, nobody is woken.
        let mut local = std::pin::pin!(cell.reached("UNIX_LOCAL"));
        assert!(local.as_mut().poll(&mut cx).is_pending());
        cell.closed_if(generation + 1);
        cell.renew("NOT_CONNECTED");
        assert_eq!(wakes(&count), 1, "not connected, and still so");
        cell.renew("UNIX_LOCAL");
        assert_eq!(wakes(&count), 2, "the new connection woke the waiter");
        assert!(local.as_mut().poll(&mut cx).is_ready());
    }

    /// A background state change says whether it ended, and what it is; its result is
    /// there for `wait` once it ended.
    #[test]
    fn a_state_change_is_done_once_it_ended_and_says_what_it_is() {
        let change =
            StateChange { slot: Arc::default(), device: "D".into(), target: "UNIX_REMOTE".into() };
        assert!(!change.is_done());
        assert_eq!(format!("{change:?}"), r#"StateChange { device: "D", to: "UNIX_REMOTE" }"#);
        change.slot.complete(Ok(()));
        assert!(change.is_done());
        assert!(change.wait(Duration::ZERO).is_ok());
    }

    #[test]
    fn states_compare_with_their_names() {
        let s = State::UNIX_LOCAL;
        assert_eq!(s, "UNIX_LOCAL");
        assert!("UNIX_LOCAL" == s);
        assert_eq!(s.to_string(), "UNIX_LOCAL");
        assert_eq!(format!("{s:?}"), "UNIX_LOCAL");
        assert!(s.starts_with("UNIX"), "derefs to str");
        // Each way of comparing and reading it, both ways round, equal and not.
        let (name, other): (&str, &str) = ("UNIX_LOCAL", "UNIX_REMOTE");
        assert_eq!(s.as_str(), name);
        assert_eq!(AsRef::<str>::as_ref(&s), name);
        assert!(s == *name && s != *other, "State == str");
        assert!(s == name && s != other, "State == &str");
        assert!(*name == s && *other != s, "str == State");
        assert!(name == s && other != s, "&str == State");
        assert!(State::UNIX_REMOTE != "UNIX_LOCAL" && State::UNIX_REMOTE == "UNIX_REMOTE");
    }
}
