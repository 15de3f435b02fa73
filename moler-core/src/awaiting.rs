//! Waiting on many observers at once (Moler's `EventAwaiter`): commands and events of any
//! output type, on any connections. These are futures; the blocking waits with a timeout are
//! `moler_runners::wait_for_all` and `wait_for_any`. Nothing here polls on a timer: each
//! handle wakes the waiter when it finishes.
//!
//! | Moler | here |
//! |---|---|
//! | `EventAwaiter.wait_for_all(timeout, events)` | `all_done(&handles).await` (in a timeout of your runtime), or `moler_runners::wait_for_all(&handles, timeout)` |
//! | `EventAwaiter.wait_for_any(timeout, events)` | `any_done(&handles).await`, or `moler_runners::wait_for_any(&handles, timeout)` |
//! | `EventAwaiter.separate_done_events(events)` | [`separate_done`] |
//! | `EventAwaiter.cancel_all_events(events)` | [`cancel_all`] |

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Completion;

/// A handle that can be waited on without taking its result: a [`Completion`] of any output
/// type. Lets one list mix commands and events.
pub trait Awaitable: Send + Sync {
    /// What it is (`command 'ls'`).
    fn describe(&self) -> &str;
    /// True once it finished (either way).
    fn is_done(&self) -> bool;
    /// `Ready` once it finished; otherwise registers `cx`'s waker.
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()>;
    /// Asks its connection to cancel it (unless it finished).
    fn cancel(&self);
}

impl<T: Send + 'static> Awaitable for Completion<T> {
    fn describe(&self) -> &str {
        Completion::describe(self)
    }
    fn is_done(&self) -> bool {
        Completion::is_done(self)
    }
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        Completion::poll_done(self, cx)
    }
    fn cancel(&self) {
        Completion::cancel(self)
    }
}

/// Ready once every handle finished. Results stay in the handles.
///
/// ```
/// use moler_core::{all_done, Awaitable, Command, Connection, Wait4};
/// use std::future::Future;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let up = conn.start(Wait4::new(["link up"]).unwrap().till_occurs_times(1), Instant::now());
/// let ls = conn.start(Command::lines("ls", "^\\$ $"), Instant::now());
/// let _ = conn.poll_transmit(&mut Vec::new());
/// conn.handle_input(b"ls\r\nlink up\r\n$ ", Instant::now());
/// let handles: [&dyn Awaitable; 2] = [&up, &ls];
/// let waker = std::task::Waker::noop();
/// let mut all = std::pin::pin!(all_done(&handles));
/// assert!(all.as_mut().poll(&mut std::task::Context::from_waker(waker)).is_ready());
/// assert_eq!(ls.try_result().unwrap().unwrap(), ["link up"]);
/// ```
pub fn all_done<'a>(handles: &'a [&'a dyn Awaitable]) -> AllDone<'a> {
    AllDone { handles }
}

/// Ready with the index of a handle that finished (the first in the list, when several did).
pub fn any_done<'a>(handles: &'a [&'a dyn Awaitable]) -> AnyDone<'a> {
    AnyDone { handles }
}

/// The indexes of the handles that finished and of those that did not, in list order.
pub fn separate_done(handles: &[&dyn Awaitable]) -> (Vec<usize>, Vec<usize>) {
    (0..handles.len()).partition(|&i| handles[i].is_done())
}

/// Cancels every handle that has not finished.
pub fn cancel_all(handles: &[&dyn Awaitable]) {
    for h in handles {
        h.cancel();
    }
}

/// The future of [`all_done`].
#[must_use = "a future does nothing unless awaited"]
pub struct AllDone<'a> {
    handles: &'a [&'a dyn Awaitable],
}

impl Future for AllDone<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Every pending handle registers the waker: whichever finishes next wakes the waiter.
        let mut pending = false;
        for h in self.handles {
            pending |= h.poll_done(cx).is_pending();
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// The future of [`any_done`].
#[must_use = "a future does nothing unless awaited"]
pub struct AnyDone<'a> {
    handles: &'a [&'a dyn Awaitable],
}

impl Future for AnyDone<'_> {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let mut first = None;
        for (i, h) in self.handles.iter().enumerate() {
            if h.poll_done(cx).is_ready() && first.is_none() {
                first = Some(i);
            }
        }
        match first {
            Some(i) => Poll::Ready(i),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    /// A waker that counts its wakes (also used by the completion's tests).
    pub(crate) struct Count(pub(crate) AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}
