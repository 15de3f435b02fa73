//! Wakers for tests of code that keeps wakers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

/// A waker that counts its wake-ups in `count` and, like tokio's `block_on` waker, is not
/// recognized in its clones by [`Waker::will_wake`]: they have an equal vtable at another
/// address. For tests of code that keeps one waker per task (see
/// `moler_core::wakes_same_task`).
///
/// ```
/// use std::sync::{atomic::AtomicUsize, Arc};
/// let count = Arc::new(AtomicUsize::new(0));
/// let waker = moler_testkit::waker_unlike_its_clones(&count);
/// assert!(!waker.will_wake(&waker.clone()));
/// waker.clone().wake();
/// assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
/// ```
#[allow(unsafe_code)] // (a vtable of its own: std's safe `Wake` gives every clone the same one)
pub fn waker_unlike_its_clones(count: &Arc<AtomicUsize>) -> Waker {
    unsafe fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` is an `Arc<AtomicUsize>` made by `into_raw` below; one more reference.
        unsafe { Arc::increment_strong_count(data.cast::<AtomicUsize>()) };
        RawWaker::new(data, &CLONED)
    }
    unsafe fn wake(data: *const ()) {
        // SAFETY: as in `clone`; this waker's reference is consumed.
        let count = unsafe { Arc::from_raw(data.cast::<AtomicUsize>()) };
        count.fetch_add(1, Ordering::SeqCst);
    }
    unsafe fn wake_by_ref(data: *const ()) {
        // SAFETY: as in `clone`; borrowed for the call.
        unsafe { &*data.cast::<AtomicUsize>() }.fetch_add(1, Ordering::SeqCst);
    }
    unsafe fn drop(data: *const ()) {
        // SAFETY: as in `clone`; this waker's reference is released.
        unsafe { Arc::decrement_strong_count(data.cast::<AtomicUsize>()) };
    }
    static ORIGINAL: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop);
    static CLONED: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop);
    let data = Arc::into_raw(Arc::clone(count)).cast::<()>();
    // SAFETY: the vtable's functions treat `data` as the `Arc<AtomicUsize>` it is, each
    // waker owning one reference.
    unsafe { Waker::from_raw(RawWaker::new(data, &ORIGINAL)) }
}
