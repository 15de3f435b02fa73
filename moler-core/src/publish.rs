//! Publishers (Moler's `Publisher`): an observer publishes records while it runs (an event's
//! occurrences, a ping's replies, iperf's per-interval reports) to any number of subscribers:
//! callbacks, queues read without waiting or from async code ([`Subscription`]), and, in
//! `moler-runners`, blocking iterators. A subscriber that panics is dropped (the others and the
//! connection go on); a subscription dropped stops being fed. When the last [`Publisher`]
//! clone goes (the observer ended), every subscription ends.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain pushes and pops under these locks: a panic cannot leave them inconsistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

type Callback<T> = Box<dyn FnMut(&T) + Send>;

/// The sending side: cheap to clone; records go to every subscriber, in order.
///
/// ```
/// use moler_core::Publisher;
///
/// let replies: Publisher<u32> = Publisher::new();
/// let seen = replies.subscribe();
/// let also = replies.subscribe();
/// replies.on_record(|r| assert!(*r < 10));
/// replies.publish(1);
/// replies.publish(2);
/// drop(also); // one subscriber less: nothing else changes
/// assert_eq!(seen.try_iter().collect::<Vec<_>>(), [1, 2]);
/// drop(replies); // the observer ended
/// assert!(seen.is_ended());
/// ```
pub struct Publisher<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    subs: Mutex<Subs<T>>,
    /// Someone subscribed once: until then publishing costs nothing (no lock, no clone).
    listened: std::sync::atomic::AtomicBool,
}

struct Subs<T> {
    queues: Vec<Weak<Feed<T>>>,
    callbacks: Vec<Callback<T>>,
    /// [`Publisher::close`]d: nothing more is published, new subscriptions start ended.
    closed: bool,
}

impl<T> Clone for Publisher<T> {
    fn clone(&self) -> Self {
        Publisher { inner: Arc::clone(&self.inner) }
    }
}

impl<T> std::fmt::Debug for Publisher<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subs = lock(&self.inner.subs);
        f.debug_struct("Publisher")
            .field("queues", &subs.queues.len())
            .field("callbacks", &subs.callbacks.len())
            .finish()
    }
}

impl<T: Clone + Send + 'static> Default for Publisher<T> {
    fn default() -> Self {
        Publisher::new()
    }
}

impl<T: Clone + Send + 'static> Publisher<T> {
    /// A publisher without subscribers yet.
    pub fn new() -> Self {
        Publisher {
            inner: Arc::new(Inner {
                subs: Mutex::new(Subs { queues: Vec::new(), callbacks: Vec::new(), closed: false }),
                listened: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Sends `record` to every subscriber: queues get a clone, callbacks a reference (on the
    /// publisher's thread: the connection's, for an observer). A callback that panics is
    /// dropped.
    pub fn publish(&self, record: T) {
        if !self.is_listened() {
            return;
        }
        let mut subs = lock(&self.inner.subs);
        if subs.closed {
            return;
        }
        subs.queues.retain(|q| match q.upgrade() {
            Some(feed) => {
                feed.push(record.clone());
                true
            }
            None => false,
        });
        subs.callbacks.retain_mut(|f| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&record))).is_ok()
        });
    }

    /// A new queue of the records published from now on.
    pub fn subscribe(&self) -> Subscription<T> {
        let feed = Arc::new(Feed::default());
        self.inner.listened.store(true, std::sync::atomic::Ordering::Release);
        let mut subs = lock(&self.inner.subs);
        if subs.closed {
            feed.end();
        } else {
            subs.queues.push(Arc::downgrade(&feed));
        }
        Subscription { feed }
    }

    /// Ends every subscription (once they have taken what is queued) and drops the callbacks:
    /// the publishing observer is done. Its other clones publish nothing more. An observer
    /// that publishes closes its publisher when it ends; dropping the last clone does too.
    pub fn close(&self) {
        let subs = {
            let mut subs = lock(&self.inner.subs);
            subs.closed = true;
            std::mem::replace(
                &mut *subs,
                Subs { queues: Vec::new(), callbacks: Vec::new(), closed: true },
            )
        };
        for q in subs.queues.iter().filter_map(Weak::upgrade) {
            q.end();
        }
    }

    /// Calls `f` with each record published from now on (keep it short: it runs on the
    /// publisher's thread).
    pub fn on_record(&self, f: impl FnMut(&T) + Send + 'static) {
        lock(&self.inner.subs).callbacks.push(Box::new(f));
        self.inner.listened.store(true, std::sync::atomic::Ordering::Release);
    }

    /// True once anyone subscribed: a publisher may skip making records nobody asked for.
    pub fn is_listened(&self) -> bool {
        self.inner.listened.load(std::sync::atomic::Ordering::Acquire)
    }

    /// How many subscribers (queues and callbacks) are there.
    pub fn subscribers(&self) -> usize {
        let mut subs = lock(&self.inner.subs);
        subs.queues.retain(|q| q.strong_count() > 0);
        subs.queues.len() + subs.callbacks.len()
    }
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        // The last publisher is gone: every queue ends.
        let subs = std::mem::replace(
            &mut *lock(&self.subs),
            Subs { queues: Vec::new(), callbacks: Vec::new(), closed: false },
        );
        for q in subs.queues.iter().filter_map(Weak::upgrade) {
            q.end();
        }
    }
}

/// A queue of published records (see [`Publisher::subscribe`]); it ends when the publisher
/// goes. Nothing here blocks: `moler_runners::OccurrencesExt` blocks on it, and it is a
/// `futures_core::Stream` for async code ([`Subscription::next`] awaits one record).
pub struct Subscription<T> {
    feed: Arc<Feed<T>>,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.feed.state);
        f.debug_struct("Subscription")
            .field("queued", &st.queue.len())
            .field("ended", &st.ended)
            .finish()
    }
}

struct Feed<T> {
    state: Mutex<FeedState<T>>,
}

struct FeedState<T> {
    queue: VecDeque<T>,
    waker: Option<Waker>,
    ended: bool,
}

impl<T> Default for Feed<T> {
    fn default() -> Self {
        Feed { state: Mutex::new(FeedState { queue: VecDeque::new(), waker: None, ended: false }) }
    }
}

impl<T> Feed<T> {
    fn push(&self, record: T) {
        let mut st = lock(&self.state);
        st.queue.push_back(record);
        let waker = st.waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn end(&self) {
        let mut st = lock(&self.state);
        st.ended = true;
        let waker = st.waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Subscription<T> {
    /// The next record if one is there, without waiting.
    pub fn try_next(&self) -> Option<T> {
        lock(&self.feed.state).queue.pop_front()
    }

    /// The records there now; it does not wait for more.
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(|| self.try_next())
    }

    /// The next record: `Ready(Some)` when one is there, `Ready(None)` once the publisher went
    /// and every record was taken, otherwise `Pending` (`cx`'s waker is woken by the next
    /// record or the end). One waiter at a time (the latest waker is kept).
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut st = lock(&self.feed.state);
        if let Some(r) = st.queue.pop_front() {
            return Poll::Ready(Some(r));
        }
        if st.ended {
            return Poll::Ready(None);
        }
        match &st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The next record, awaited (`None` once it ended).
    pub fn next(&self) -> impl std::future::Future<Output = Option<T>> + '_ {
        std::future::poll_fn(move |cx| self.poll_next(cx))
    }

    /// True once the publisher went (records may still wait to be taken).
    pub fn is_ended(&self) -> bool {
        lock(&self.feed.state).ended
    }
}

impl<T> futures_core::Stream for Subscription<T> {
    type Item = T;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Subscription::poll_next(&self, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_callback_is_dropped_and_the_others_go_on() {
        let p: Publisher<u32> = Publisher::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = Arc::clone(&seen);
        p.on_record(|r| assert!(*r != 2, "a subscriber's own bug"));
        p.on_record(move |r| lock(&s2).push(*r));
        let queue = p.subscribe();
        for r in 1..=3 {
            p.publish(r);
        }
        assert_eq!(*lock(&seen), [1, 2, 3]);
        assert_eq!(queue.try_iter().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(p.subscribers(), 2, "the panicking callback is gone");
    }
}
