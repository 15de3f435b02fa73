//! Periodic jobs (Moler's `Scheduler`): a job run every period as a task of the runner
//! ([`Runner::every`]): a tokio or smol task, or a task of the shared `moler-tasks` thread for
//! the thread runner; no thread per job. The job is async, so it can start a command and await
//! it; its errors are kept, and may stop it (`cancel_on_error`).

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::Runner;

/// How a periodic job runs ([`Runner::every`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Every {
    /// The time between two starts.
    pub period: Duration,
    /// Stop at the first error (default: go on, keeping the errors).
    pub cancel_on_error: bool,
    /// Run once at once, before the first period passed (default: after one period).
    pub run_at_start: bool,
}

impl Every {
    /// Every `period`, errors kept, the first run after one period.
    pub fn new(period: Duration) -> Every {
        Every { period, cancel_on_error: false, run_at_start: false }
    }

    /// Stop at the first error.
    pub fn cancel_on_error(mut self, on: bool) -> Every {
        self.cancel_on_error = on;
        self
    }

    /// Run once at once.
    pub fn run_at_start(mut self, on: bool) -> Every {
        self.run_at_start = on;
        self
    }
}

/// A periodic job running ([`Runner::every`]). Dropping it does not stop it:
/// [`Job::cancel`] does.
#[derive(Clone)]
pub struct Job {
    state: Arc<JobState>,
}

struct JobState {
    cancelled: AtomicBool,
    ended: AtomicBool,
    runs: AtomicU64,
    errors: Mutex<Vec<String>>,
    /// The job's task, asleep until its next run; those waiting for its end.
    wakers: Mutex<(Option<Waker>, Vec<Waker>)>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("runs", &self.runs())
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Job {
    /// Stops it: a run under way finishes, no other starts.
    pub fn cancel(&self) {
        self.state.cancelled.store(true, Ordering::Release);
        if let Some(w) = lock(&self.state.wakers).0.take() {
            w.wake();
        }
    }

    /// True until it was cancelled (or stopped at an error) and its last run ended.
    pub fn is_running(&self) -> bool {
        !self.state.ended.load(Ordering::Acquire)
    }

    /// How many runs ended so far (either way).
    pub fn runs(&self) -> u64 {
        self.state.runs.load(Ordering::Acquire)
    }

    /// The errors of its runs so far, in order.
    pub fn errors(&self) -> Vec<String> {
        lock(&self.state.errors).clone()
    }

    /// Ready once it ended.
    pub fn ended(&self) -> impl Future<Output = ()> + Send + 'static {
        let state = Arc::clone(&self.state);
        std::future::poll_fn(move |cx| {
            let mut wakers = lock(&state.wakers);
            if state.ended.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            if !wakers.1.iter().any(|w| moler_core::wakes_same_task(w, cx.waker())) {
                wakers.1.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }

    /// Blocks until it ended, at most `timeout`: true if it did.
    pub fn wait_ended(&self, timeout: Duration) -> bool {
        crate::block_on_until(self.ended(), Instant::now().checked_add(timeout)).is_some()
    }
}

impl Runner {
    /// Runs `job` every `every.period` as a task of this runner until [`Job::cancel`] (or its
    /// first error, with `cancel_on_error`). A run that takes longer than the period delays the
    /// next one (runs never overlap; missed periods are skipped, not made up).
    ///
    /// ```
    /// use moler_runners::{Every, Runner};
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let runner = Runner::choose(None, None).unwrap(); // no runtime: the shared thread
    /// let beats = Arc::new(AtomicU32::new(0));
    /// let counted = Arc::clone(&beats);
    /// let every = Every::new(Duration::from_millis(10)).cancel_on_error(true);
    /// let job = runner.every(every, move || {
    ///     let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
    ///     // A job is async: it may start a command and await it (`conn.start(cmd).await`).
    ///     async move { if n < 3 { Ok(()) } else { Err(format!("beat {n} failed")) } }
    /// });
    /// assert!(job.wait_ended(Duration::from_secs(5)), "stopped at its first error");
    /// assert_eq!((job.runs(), job.errors()), (3, vec!["beat 3 failed".to_owned()]));
    /// ```
    pub fn every<F, Fut, E>(&self, every: Every, mut job: F) -> Job
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let state = Arc::new(JobState {
            cancelled: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            runs: AtomicU64::new(0),
            errors: Mutex::new(Vec::new()),
            wakers: Mutex::new((None, Vec::new())),
        });
        let handle = Job { state: Arc::clone(&state) };
        let runner = self.clone();
        let period = every.period.max(Duration::from_millis(1));
        self.spawn_task(async move {
            let mut next =
                if every.run_at_start { Instant::now() } else { Instant::now() + period };
            loop {
                // Asleep until the next run, or woken by a cancel.
                let mut sleep = std::pin::pin!(runner.sleep_until(next));
                let cancelled = std::future::poll_fn(|cx| {
                    lock(&state.wakers).0 = Some(cx.waker().clone());
                    if state.cancelled.load(Ordering::Acquire) {
                        return Poll::Ready(true);
                    }
                    sleep.as_mut().poll(cx).map(|()| false)
                })
                .await;
                if cancelled {
                    break;
                }
                let result = job().await;
                state.runs.fetch_add(1, Ordering::AcqRel);
                if let Err(e) = result {
                    lock(&state.errors).push(e.to_string());
                    if every.cancel_on_error {
                        break;
                    }
                }
                next += period;
                let now = Instant::now();
                if next <= now {
                    // Late (a long run): skip the missed periods.
                    next = now + period;
                }
            }
            let waiters = {
                let mut wakers = lock(&state.wakers);
                state.ended.store(true, Ordering::Release);
                std::mem::take(&mut wakers.1)
            };
            for w in waiters {
                w.wake();
            }
        });
        handle
    }
}
