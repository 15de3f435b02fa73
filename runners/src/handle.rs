//! The handle users hold: the same type whichever runner drives the connection.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use moler_core::{Completion, Error, Mailbox, Observer, Result};

use crate::RunnerKind;

/// What a connection's driver and its handles share: the driver's waker, which requests in
/// the mailbox wake.
pub(crate) struct Shared {
    waker: Mutex<Option<Waker>>,
}

impl Shared {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self { waker: Mutex::new(None) })
    }

    /// Stores the driver's current waker (before it looks at the mailbox, so no request is missed).
    pub(crate) fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    pub(crate) fn wake(&self) {
        let slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = &*slot {
            w.wake_by_ref();
        }
    }
}

thread_local! {
    /// True while this thread runs a driver (a connection's loop, or an observer's callback
    /// inside it): a blocking wait there could never be answered.
    pub(crate) static IN_DRIVER: Cell<bool> = const { Cell::new(false) };
}

/// The check installed into `moler_core` before every blocking `wait`.
fn refuse_blocking_in_async() -> Result<()> {
    if IN_DRIVER.with(Cell::get) {
        return Err(Error::WrongUsage(
            "a blocking wait inside an observer callback would stall the connection that must \
             answer it; start the observer and keep its handle, or await it from another task"
                .into(),
        ));
    }
    #[cfg(feature = "tokio")]
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::WrongUsage(
            "a blocking wait inside a tokio runtime would block a worker thread (and can \
             deadlock it): use `.await` on the handle, or wait from a plain thread"
                .into(),
        ));
    }
    #[cfg(feature = "smol")]
    if std::thread::current().name().is_some_and(|n| n.starts_with("smol-")) {
        return Err(Error::WrongUsage(
            "a blocking wait on a smol executor thread would block the executor (and can \
             deadlock it): use `.await` on the handle, or wait from a plain thread"
                .into(),
        ));
    }
    Ok(())
}

/// A runner's way to let a thread blocked in [`ConnectionHandle::run`] drive the connection
/// itself while it waits.
pub(crate) trait Assist: Send + Sync {
    /// Drives the connection on this thread until `done` (polled with this thread's waker)
    /// returns true or `deadline` passes. False when it could not drive at all (the caller then
    /// waits the plain way).
    fn drive(
        &self,
        done: &mut dyn FnMut(&mut Context<'_>) -> bool,
        deadline: Option<Instant>,
    ) -> bool;
}

struct HandleInner {
    mailbox: Arc<Mailbox>,
    name: String,
    transport: String,
    runner: RunnerKind,
    assist: Option<Arc<dyn Assist>>,
}

impl Drop for HandleInner {
    /// The last handle gone closes the connection: running observers fail with
    /// `ConnectionClosed`, the transport is closed and the driver ends.
    fn drop(&mut self) {
        self.mailbox.close();
    }
}

/// A running connection, on any runner. Cheap to clone; the connection closes when the last
/// clone is dropped.
///
/// Its methods never block (but [`ConnectionHandle::run`], which waits) and work from any
/// thread or task, also inside an observer's callback.
#[derive(Clone)]
pub struct ConnectionHandle {
    inner: Arc<HandleInner>,
}

impl std::fmt::Debug for ConnectionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionHandle")
            .field("name", &self.inner.name)
            .field("transport", &self.inner.transport)
            .field("runner", &self.inner.runner)
            .finish()
    }
}

impl ConnectionHandle {
    pub(crate) fn new(
        mailbox: Arc<Mailbox>,
        name: String,
        transport: String,
        runner: RunnerKind,
    ) -> Self {
        moler_core::set_blocking_check(refuse_blocking_in_async);
        Self { inner: Arc::new(HandleInner { mailbox, name, transport, runner, assist: None }) }
    }

    /// Lets blocking waits drive the connection (set once, before the handle is shared).
    pub(crate) fn set_assist(&mut self, assist: Arc<dyn Assist>) {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.assist = Some(assist);
        }
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The transport's name (`terminal:bash`, `memory:demo`, …).
    pub fn transport(&self) -> &str {
        &self.inner.transport
    }

    /// Which runner drives the connection.
    pub fn runner(&self) -> RunnerKind {
        self.inner.runner
    }

    /// Starts an observer in the background; its [`Completion`] can be awaited or waited on.
    pub fn start<O: Observer>(&self, observer: O) -> Completion<O::Output> {
        self.inner.mailbox.start(observer)
    }

    /// Starts an observer and blocks until its result; after `timeout` it is timed out. Refused
    /// with [`Error::WrongUsage`] inside an async runtime: there, `.await` what `start` returns.
    pub fn run<O: Observer>(&self, observer: O, timeout: Duration) -> Result<O::Output> {
        let Some(assist) = &self.inner.assist else {
            return self.start(observer).wait(timeout);
        };
        refuse_blocking_in_async()?;
        let started = Instant::now();
        let deadline = started.checked_add(timeout);
        let mut completion = self.start(observer);
        let mut result = None;
        let driven = assist.drive(
            &mut |cx| match Pin::new(&mut completion).poll(cx) {
                Poll::Ready(r) => {
                    result = Some(r);
                    true
                }
                Poll::Pending => false,
            },
            deadline,
        );
        match result {
            Some(r) => r,
            None if !driven => completion.wait(timeout.saturating_sub(started.elapsed())),
            // The deadline passed: time the observer out, as a plain wait does.
            None => completion.expire(timeout, started),
        }
    }

    /// Closes the connection now: every unfinished observer fails with `ConnectionClosed`.
    pub fn close(&self) {
        self.inner.mailbox.close();
    }

    /// True once the connection closed (by [`ConnectionHandle::close`], by the peer, or because
    /// its runner stopped). The transport is closed right after.
    pub fn is_closed(&self) -> bool {
        self.inner.mailbox.is_closed()
    }
}
