//! Waiting on many handles (Moler's EventAwaiter): `all_done` waits for the last, `any_done`
//! for the first, both woken by results (the time passed in reads the clock: here, not in
//! moler-core's own tests).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use moler_core::{
    all_done, any_done, cancel_all, separate_done, Awaitable, Command, Connection, Wait4,
};

/// A waker that counts its wakes.
struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn all_waits_for_the_last_and_any_for_the_first_woken_by_results() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let a = conn.start(Wait4::new(["^a$"]).unwrap().till_occurs_times(1), t);
    let b = conn.start(Wait4::new(["^b$"]).unwrap().till_occurs_times(1), t);
    let c = conn.start(Command::lines("x", "^p$"), t);
    let handles: [&dyn Awaitable; 3] = [&a, &b, &c];
    let count = Arc::new(Count(AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&count));
    let mut cx = Context::from_waker(&waker);
    let mut all = std::pin::pin!(all_done(&handles));
    let mut any = std::pin::pin!(any_done(&handles));
    assert!(all.as_mut().poll(&mut cx).is_pending());
    assert!(any.as_mut().poll(&mut cx).is_pending());
    conn.handle_input(b"b\n", t);
    assert!(count.0.load(Ordering::SeqCst) >= 1, "a finished handle wakes the waiter");
    assert_eq!(any.as_mut().poll(&mut cx), Poll::Ready(1));
    assert!(all.as_mut().poll(&mut cx).is_pending());
    assert_eq!(separate_done(&handles), (vec![1], vec![0, 2]));
    cancel_all(&handles);
    conn.handle_requests(t);
    assert!(all.as_mut().poll(&mut cx).is_ready());
    assert!(a.try_result().unwrap().is_err(), "cancelled");
    assert_eq!(b.try_result().unwrap().unwrap().len(), 1, "results stay in the handles");
}
