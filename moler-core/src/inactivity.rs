//! Moler's inactivity timeout: a callback when an observer has seen no data for a period,
//! again after every further period of silence (Moler's `life_status.inactivity_timeout` and
//! `on_inactivity`).

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::observer::{Context, Kind, Observer, Step};

/// What the inactivity callback wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnInactivity {
    /// Go on; the callback comes again after another period of silence.
    KeepWaiting,
    /// Cancel the observer, as its handle's `cancel` does (a command sends Ctrl-C and waits for
    /// its prompt; its result is [`Error::Cancelled`]).
    Cancel,
}

/// An observer with an inactivity callback; made by [`ObserverExt::on_inactivity`].
pub struct Inactivity<O, F> {
    inner: O,
    period: Duration,
    callback: F,
    /// When data last came (or the start, or the last callback).
    quiet_since: Option<Instant>,
    /// The wake-up the wrapped observer asked for: the wrapper shares the one wake-up slot.
    inner_wake: Option<Instant>,
    /// The wrapped observer finished or lingers: no more callbacks.
    over: bool,
}

/// Adds [`ObserverExt::on_inactivity`] to every observer.
pub trait ObserverExt: Observer + Sized {
    /// Calls `callback` when no data has come for `period` (counted from the start, the last
    /// data and the last call), again after each further `period` of silence, until the
    /// observer finishes. The callback may send text through its [`Context`] (a keep-alive, an
    /// Enter) and says whether to go on or cancel. A zero `period` is taken as 1 ms.
    ///
    /// ```
    /// use moler_core::{Command, Connection, ObserverExt, OnInactivity};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::{Duration, Instant};
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let seen = Arc::clone(&calls);
    /// let cmd = Command::lines("iperf -s", "^\\$ $").on_inactivity(Duration::from_secs(1), move |_cx| {
    ///     if seen.fetch_add(1, Ordering::Relaxed) == 1 { OnInactivity::Cancel } else { OnInactivity::KeepWaiting }
    /// });
    /// let done = conn.start(cmd, t0);
    /// conn.handle_input(b"iperf -s\r\nServer listening\r\n", t0 + Duration::from_millis(500));
    /// conn.handle_timeout(t0 + Duration::from_millis(1500)); // silent for 1 s: first call
    /// assert_eq!(calls.load(Ordering::Relaxed), 1);
    /// assert!(!done.is_done());
    /// conn.handle_timeout(t0 + Duration::from_millis(2500)); // again: cancel
    /// assert_eq!(calls.load(Ordering::Relaxed), 2);
    /// assert!(done.try_result().unwrap().unwrap_err().to_string().contains("cancelled"));
    /// ```
    fn on_inactivity<F>(self, period: Duration, callback: F) -> Inactivity<Self, F>
    where
        F: FnMut(&mut Context<'_>) -> OnInactivity + Send + 'static,
    {
        Inactivity {
            inner: self,
            period: period.max(Duration::from_millis(1)),
            callback,
            quiet_since: None,
            inner_wake: None,
            over: false,
        }
    }
}

impl<O: Observer> ObserverExt for O {}

impl<O, F> Inactivity<O, F>
where
    O: Observer,
    F: FnMut(&mut Context<'_>) -> OnInactivity + Send + 'static,
{
    /// Calls the wrapped observer with its own wake-up in the slot, then puts the earlier of
    /// its wake-up and the next inactivity call there.
    fn around<R>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut O, &mut Context<'_>) -> R,
    ) -> R {
        *cx.wake = self.inner_wake;
        let r = f(&mut self.inner, cx);
        self.inner_wake = *cx.wake;
        self.arm(cx);
        r
    }

    fn arm(&self, cx: &mut Context<'_>) {
        let ours = if self.over {
            None
        } else {
            self.quiet_since.and_then(|q| q.checked_add(self.period))
        };
        *cx.wake = match (self.inner_wake, ours) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    fn step(&mut self, step: Step<O::Output>) -> Step<O::Output> {
        if !matches!(step, Step::Pending) {
            self.over = true;
        }
        step
    }
}

impl<O, F> Observer for Inactivity<O, F>
where
    O: Observer,
    F: FnMut(&mut Context<'_>) -> OnInactivity + Send + 'static,
{
    type Output = O::Output;

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn kind(&self) -> Kind {
        self.inner.kind()
    }

    fn timeout(&self) -> Option<Duration> {
        self.inner.timeout()
    }

    fn literals(&self) -> Option<crate::Literals> {
        self.inner.literals()
    }

    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<O::Output> {
        self.quiet_since = Some(cx.now());
        let step = self.around(cx, |o, cx| o.on_start(cx));
        let step = self.step(step);
        self.arm(cx);
        step
    }

    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<O::Output> {
        self.quiet_since = Some(cx.now());
        let step = self.around(cx, |o, cx| o.on_data(data, cx));
        let step = self.step(step);
        self.arm(cx);
        step
    }

    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<O::Output> {
        // As the connection does: a timeout or a cancel drops the wake-up.
        self.over = true;
        self.inner_wake = None;
        self.around(cx, |o, cx| o.on_timeout(cx))
    }

    fn on_cancel(&mut self, cx: &mut Context<'_>) -> Step<O::Output> {
        self.over = true;
        self.inner_wake = None;
        self.around(cx, |o, cx| o.on_cancel(cx))
    }

    fn on_close(&mut self, error: Error) -> Result<O::Output> {
        self.inner.on_close(error)
    }

    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        self.around(cx, |o, cx| o.on_linger(data, cx))
    }

    fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<O::Output> {
        let now = cx.now();
        if self.inner_wake.is_some_and(|w| w <= now) {
            self.inner_wake = None;
            let step = self.around(cx, |o, cx| o.on_wake(cx));
            if !matches!(step, Step::Pending) {
                return self.step(step);
            }
        }
        let due = self.quiet_since.and_then(|q| q.checked_add(self.period));
        if !self.over && due.is_some_and(|d| d <= now) {
            self.quiet_since = Some(now);
            match (self.callback)(cx) {
                OnInactivity::Cancel => return self.on_cancel(cx),
                _ => self.arm(cx),
            }
        } else {
            self.arm(cx);
        }
        Step::Pending
    }

    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        self.inner_wake = None;
        self.around(cx, |o, cx| o.on_linger_wake(cx))
    }
}
