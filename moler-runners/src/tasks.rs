//! Tasks that are not connections: the device layer's state walks run as futures, driven by
//! the runtime the caller is on ([`Runner::spawn_task`]), blocked on from plain threads
//! ([`block_on`], [`block_on_until`]), and hand their few blocking calls (an SSH handshake) to a
//! thread that may block ([`Runner::unblock`]).
//!
//! Without an async runtime, spawned tasks run on one shared thread, `moler-tasks`, started on
//! first use: a state change in the background costs a queued future, not a thread.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

use crate::wait::park_until;
use crate::Runner;

/// A future that may be sent to another thread and run there.
type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Blocks this thread until `future` is ready (polled here, parked between polls). Check
/// [`crate::blocking_allowed`] first where the caller may be an async task.
///
/// ```
/// let answer = moler_runners::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    park_until(|cx| future.as_mut().poll(cx), None).expect("no deadline: ready or parked")
}

/// [`block_on`] until `deadline` at the latest: `None` if the future was not ready by then
/// (it is dropped).
///
/// ```
/// use std::time::{Duration, Instant};
/// let never = std::future::pending::<()>();
/// let soon = Instant::now() + Duration::from_millis(10);
/// assert_eq!(moler_runners::block_on_until(never, Some(soon)), None);
/// ```
pub fn block_on_until<F: Future>(future: F, deadline: Option<Instant>) -> Option<F::Output> {
    let mut future = pin!(future);
    park_until(|cx| future.as_mut().poll(cx), deadline)
}

impl Runner {
    /// Runs `task` in the background on this runner's runtime: a task of its tokio runtime or
    /// smol executor; for the thread runner, on the shared `moler-tasks` thread. Nothing here
    /// blocks: the task must not block either (give blocking calls to [`Runner::unblock`]).
    pub fn spawn_task(&self, task: impl Future<Output = ()> + Send + 'static) {
        match self {
            Runner::Thread(_) => shared().spawn(Box::pin(task)),
            #[cfg(feature = "tokio")]
            Runner::Tokio(r) => {
                r.handle().spawn(task);
            }
            #[cfg(feature = "smol")]
            Runner::Smol(r) => r.spawn_task(task),
        }
    }

    /// Runs the blocking `call` where blocking is allowed (tokio's blocking pool; a thread of
    /// its own otherwise) and gives a future of its result. The call runs even if the future
    /// is dropped.
    pub fn unblock<T: Send + 'static>(
        &self,
        call: impl FnOnce() -> T + Send + 'static,
    ) -> Unblocked<T> {
        match self {
            #[cfg(feature = "tokio")]
            Runner::Tokio(r) => {
                let slot = Arc::new(Slot::default());
                let filled = Arc::clone(&slot);
                drop(r.handle().spawn_blocking(move || filled.fill(call())));
                Unblocked { slot }
            }
            _ => on_thread(call),
        }
    }
}

/// Runs the blocking `call` on a thread of its own (`moler-unblock`) and gives a future of its
/// result, for any runtime or none. The call runs even if the future is dropped.
pub(crate) fn on_thread<T: Send + 'static>(
    call: impl FnOnce() -> T + Send + 'static,
) -> Unblocked<T> {
    let slot = Arc::new(Slot::default());
    let filled = Arc::clone(&slot);
    if let Err(e) =
        thread::Builder::new().name("moler-unblock".into()).spawn(move || filled.fill(call()))
    {
        slot.fail(e);
    }
    Unblocked { slot }
}

/// Where a blocking call's result lands, and the task waiting for it.
struct Slot<T> {
    state: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    result: Option<std::io::Result<T>>,
    waker: Option<Waker>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot { state: Mutex::new(SlotState { result: None, waker: None }) }
    }
}

impl<T> Slot<T> {
    fn set(&self, result: std::io::Result<T>) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.result = Some(result);
        if let Some(w) = st.waker.take() {
            w.wake();
        }
    }

    fn fill(&self, value: T) {
        self.set(Ok(value));
    }

    fn fail(&self, e: std::io::Error) {
        self.set(Err(e));
    }
}

/// The future of [`Runner::unblock`]: the call's result, or the error that kept it from
/// starting (no thread could be made).
#[must_use = "a future does nothing unless awaited"]
pub struct Unblocked<T> {
    slot: Arc<Slot<T>>,
}

impl<T> std::fmt::Debug for Unblocked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unblocked").finish_non_exhaustive()
    }
}

impl<T> Future for Unblocked<T> {
    type Output = std::io::Result<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.slot.state.lock().unwrap_or_else(PoisonError::into_inner);
        match st.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                st.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The shared thread that runs spawned tasks when there is no async runtime.
struct Shared {
    queue: Mutex<VecDeque<Arc<Task>>>,
    /// Sleeping tasks: when to wake each.
    timers: Mutex<Vec<(Instant, Waker)>>,
    thread: Thread,
}

/// One spawned task: its future (taken while it is polled), and whether it is queued.
struct Task {
    future: Mutex<Option<BoxFuture>>,
    queued: std::sync::atomic::AtomicBool,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        use std::sync::atomic::Ordering;
        if !self.queued.swap(true, Ordering::AcqRel) {
            let shared = shared();
            shared.queue.lock().unwrap_or_else(PoisonError::into_inner).push_back(Arc::clone(self));
            shared.thread.unpark();
        }
    }
}

impl Shared {
    fn spawn(&self, future: BoxFuture) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(future)),
            queued: std::sync::atomic::AtomicBool::new(false),
        });
        task.wake_by_ref();
    }
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let thread = thread::Builder::new()
            .name("moler-tasks".into())
            .spawn(run_shared)
            .expect("the moler-tasks thread starts (out of threads?)");
        Shared {
            queue: Mutex::new(VecDeque::new()),
            timers: Mutex::new(Vec::new()),
            thread: thread.thread().clone(),
        }
    })
}

/// The loop of the `moler-tasks` thread: polls each woken task, parks when none is.
fn run_shared() {
    use std::sync::atomic::Ordering;
    loop {
        let next = shared().queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
        let Some(task) = next else {
            // Timers due wake their tasks; otherwise park until the next one (a wake after
            // the queue was found empty unparks at once: the token is kept).
            match wake_due_timers() {
                Some(next) => thread::park_timeout(next.saturating_duration_since(Instant::now())),
                None => thread::park(),
            }
            continue;
        };
        task.queued.store(false, Ordering::Release);
        let waker = Waker::from(Arc::clone(&task));
        let mut cx = Context::from_waker(&waker);
        let mut slot = task.future.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(future) = slot.as_mut() {
            // A task that panics ends alone; the thread goes on with the others.
            let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                future.as_mut().poll(&mut cx)
            }));
            if !matches!(polled, Ok(Poll::Pending)) {
                *slot = None;
            }
        }
    }
}

/// Wakes the shared thread's sleepers that are due; the next deadline of the others.
fn wake_due_timers() -> Option<Instant> {
    let now = Instant::now();
    let mut timers = shared().timers.lock().unwrap_or_else(PoisonError::into_inner);
    let mut due = Vec::new();
    timers.retain(|(at, waker)| {
        if *at <= now {
            due.push(waker.clone());
            false
        } else {
            true
        }
    });
    let next = timers.iter().map(|(at, _)| *at).min();
    drop(timers);
    for w in due {
        w.wake();
    }
    next
}

/// A future ready at a deadline, on the runner's timers ([`Runner::sleep_until`]).
#[must_use = "a future does nothing unless awaited"]
pub struct Sleep {
    at: Instant,
    kind: SleepKind,
}

enum SleepKind {
    Shared,
    #[cfg(feature = "tokio")]
    Tokio(Pin<Box<tokio::time::Sleep>>),
    #[cfg(feature = "smol")]
    Smol(async_io::Timer),
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep").field("at", &self.at).finish_non_exhaustive()
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let at = self.at;
        match &mut self.kind {
            SleepKind::Shared => {
                if Instant::now() >= at {
                    return Poll::Ready(());
                }
                let shared = shared();
                let mut timers = shared.timers.lock().unwrap_or_else(PoisonError::into_inner);
                timers.retain(|(_, w)| !moler_core::wakes_same_task(w, cx.waker()));
                timers.push((at, cx.waker().clone()));
                drop(timers);
                // The shared thread may be parked without a deadline: let it see this one.
                shared.thread.unpark();
                Poll::Pending
            }
            #[cfg(feature = "tokio")]
            SleepKind::Tokio(sleep) => sleep.as_mut().poll(cx),
            #[cfg(feature = "smol")]
            SleepKind::Smol(timer) => Pin::new(timer).poll(cx).map(drop),
        }
    }
}

impl Runner {
    /// A future ready at `at`, on this runner's timers (tokio's, async-io's, or the shared
    /// `moler-tasks` thread's for the thread runner). Await it in a task of this runner.
    pub fn sleep_until(&self, at: Instant) -> Sleep {
        let kind = match self {
            Runner::Thread(_) => SleepKind::Shared,
            #[cfg(feature = "tokio")]
            Runner::Tokio(r) => {
                // Made inside the runtime's context: callable from any thread.
                let _in_runtime = r.handle().enter();
                let at = tokio::time::Instant::from_std(at);
                SleepKind::Tokio(Box::pin(tokio::time::sleep_until(at)))
            }
            #[cfg(feature = "smol")]
            Runner::Smol(_) => SleepKind::Smol(async_io::Timer::at(at)),
        };
        Sleep { at, kind }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tasks_without_a_runtime_share_one_thread() {
        let runner = Runner::Thread(crate::ThreadRunner::new());
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..100 {
            let tx = tx.clone();
            runner.spawn_task(async move {
                let _ = tx.send((i, thread::current().name().map(str::to_owned)));
            });
        }
        let mut got: Vec<_> =
            (0..100).map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap()).collect();
        got.sort_by_key(|(i, _)| *i);
        assert!(got.iter().all(|(_, t)| t.as_deref() == Some("moler-tasks")), "{got:?}");
    }

    #[test]
    fn a_task_waiting_on_a_blocking_call_is_woken_by_its_result() {
        let runner = Runner::Thread(crate::ThreadRunner::new());
        let unblocked = runner.unblock(|| {
            thread::sleep(Duration::from_millis(20));
            7
        });
        let (tx, rx) = std::sync::mpsc::channel();
        runner.spawn_task(async move {
            let _ = tx.send(unblocked.await.unwrap());
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), 7);
    }

    #[test]
    fn block_on_until_gives_up_at_the_deadline_and_block_on_waits() {
        let runner = Runner::Thread(crate::ThreadRunner::new());
        let slow = runner.unblock(|| thread::sleep(Duration::from_millis(50)));
        let soon = Instant::now() + Duration::from_millis(1);
        assert!(block_on_until(std::future::pending::<()>(), Some(soon)).is_none());
        block_on(slow).unwrap();
    }

    /// A thread that cannot be made (the process is out of threads) fails the blocking call's
    /// future with the system's error, at once: it does not wait for a result that never
    /// comes. Made so for real: a thread of this test drops to an unprivileged user (on its
    /// own: Linux's uids are per thread) and the process's thread limit (`RLIMIT_NPROC`) is
    /// put at 0, so the kernel refuses that thread's next one. Root is exempt from the limit;
    /// as another user, the limit holds for the whole process, which only nextest (a process
    /// per test) makes safe for the other tests.
    #[test]
    fn a_thread_that_cannot_be_made_fails_the_call_at_once() {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let root = rustix::process::geteuid().is_root();
        if !root && std::env::var_os("NEXTEST").is_none() {
            // (moler-testkit's rule; that crate builds on this one)
            let why = "needs root, or nextest's process of its own per test";
            assert!(std::env::var("MOLER_NO_SKIP").is_err(), "would be skipped: {why}");
            return eprintln!(
                "\n*** SKIPPED a_thread_that_cannot_be_made_fails_the_call_at_once: {why} ***"
            );
        }
        let runner = Runner::Thread(crate::ThreadRunner::new());
        let limit = getrlimit(Resource::Nproc);
        let refused = thread::scope(|scope| {
            scope
                .spawn(|| {
                    if root {
                        let nobody = rustix::process::Uid::from_raw(65534);
                        rustix::thread::set_thread_res_uid(nobody, nobody, nobody).unwrap();
                    }
                    setrlimit(Resource::Nproc, Rlimit { current: Some(0), ..limit }).unwrap();
                    let call = runner.unblock(|| 42);
                    let got = block_on_until(call, Some(Instant::now() + Duration::from_secs(20)));
                    // (raising the soft limit back needs no privilege)
                    setrlimit(Resource::Nproc, limit).unwrap();
                    got
                })
                .join()
                .unwrap()
        });
        let err = refused.expect("the call's future fails at once, not after 20 s").unwrap_err();
        // (EAGAIN)
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "{err}");
        // Threads are made again, the limit restored.
        assert_eq!(block_on(runner.unblock(|| 42)).unwrap(), 42);
        assert!(format!("{:?}", runner.unblock(|| ())).starts_with("Unblocked"));
    }

    #[test]
    fn a_sleeps_debug_names_it_and_its_deadline() {
        let at = Instant::now();
        let text = format!("{:?}", Runner::Thread(crate::ThreadRunner::new()).sleep_until(at));
        assert!(text.starts_with("Sleep { at: ") && text.contains(&format!("{at:?}")), "{text}");
    }

    #[test]
    fn a_panicking_task_does_not_stop_the_others() {
        let runner = Runner::Thread(crate::ThreadRunner::new());
        runner.spawn_task(async { panic!("a task's own bug") });
        let (tx, rx) = std::sync::mpsc::channel();
        runner.spawn_task(async move {
            let _ = tx.send(());
        });
        rx.recv_timeout(Duration::from_secs(30)).unwrap();
    }
}
