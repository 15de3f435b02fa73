//! Failures nobody read: what a test reports at its end (Moler's `raise_background_exceptions`).

use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::completion::ObserverId;
use crate::error::Error;

/// An observer that failed and whose result has not been read (yet).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Unread {
    /// The observer's id on its connection.
    pub id: ObserverId,
    /// What it is (`command 'ls'`).
    pub observer: String,
    /// How it failed.
    pub error: Error,
}

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.observer, self.id, self.error)
    }
}

#[derive(Debug, Default)]
pub(crate) struct ScopeInner {
    unread: Mutex<Vec<Unread>>,
}

impl ScopeInner {
    /// Records a failure, unless it is what stopping things on purpose gives: a cancel, or a
    /// connection closed cleanly (a device removed at a test's end ends its events that way).
    pub(crate) fn failed(&self, id: ObserverId, observer: &str, error: &Error) {
        let on_purpose =
            matches!(error, Error::Cancelled { .. } | Error::ConnectionClosed { reason: None, .. });
        if !on_purpose {
            let unread = Unread { id, observer: observer.to_owned(), error: error.clone() };
            self.lock().push(unread);
        }
    }

    /// The result of `id` was read.
    pub(crate) fn read(&self, id: ObserverId) {
        self.lock().retain(|u| u.id != id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Unread>> {
        self.unread.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

thread_local! {
    /// The scopes entered on this thread, innermost last.
    static SCOPES: RefCell<Vec<Arc<ScopeInner>>> = const { RefCell::new(Vec::new()) };
}

/// The innermost scope entered on this thread, which observers started here report to.
pub(crate) fn current() -> Option<Arc<ScopeInner>> {
    SCOPES.with(|s| s.borrow().last().cloned())
}

/// Collects the failures of observers started on this thread while it is alive, until their
/// results are read: what is left at the end failed in the background with nobody reading it.
///
/// A test helper builds on it (`moler::testing::BackgroundFailures` fails the test). Observers
/// started on other threads (a `tokio::spawn`ed task on another worker) are not seen; start
/// them from the test's own thread, or [`FailureScope::enter`] one there too.
///
/// ```
/// use moler_core::{Command, Connection, FailureScope};
/// use std::time::Instant;
///
/// let scope = FailureScope::enter();
/// let mut conn = Connection::new("demo");
/// let ls = conn.start(Command::lines("ls /nope", "^\\$ $"), Instant::now());
/// conn.handle_input(b"ls /nope\nls: cannot access '/nope': No such file or directory\n$ ", Instant::now());
/// assert_eq!(scope.unread().len(), 1, "failed, not read");
/// assert!(ls.try_result().unwrap().is_err());
/// assert!(scope.unread().is_empty(), "read now");
/// ```
#[derive(Debug)]
pub struct FailureScope {
    inner: Arc<ScopeInner>,
}

impl FailureScope {
    /// Starts collecting on this thread (scopes nest; the innermost collects).
    pub fn enter() -> FailureScope {
        let inner = Arc::new(ScopeInner::default());
        SCOPES.with(|s| s.borrow_mut().push(Arc::clone(&inner)));
        FailureScope { inner }
    }

    /// The failures not read so far, in the order they happened.
    pub fn unread(&self) -> Vec<Unread> {
        self.inner.lock().clone()
    }

    /// The failures not read so far; they are forgotten here.
    pub fn take_unread(&self) -> Vec<Unread> {
        std::mem::take(&mut *self.inner.lock())
    }
}

impl Drop for FailureScope {
    fn drop(&mut self) {
        SCOPES.with(|s| s.borrow_mut().retain(|scope| !Arc::ptr_eq(scope, &self.inner)));
    }
}
