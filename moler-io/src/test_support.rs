//! What moler-io's unit tests share.

use std::time::{Duration, Instant};

/// Whether `done` came true within 20 s (looked at every 10 ms).
pub(crate) fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Waits until `done` comes true; fails with `what` after 20 s.
pub(crate) fn wait_until(what: &str, done: impl FnMut() -> bool) {
    assert!(eventually(done), "{what}");
}
