//! The thread runner: plain OS threads and blocking I/O, no async runtime needed.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use moler_core::{Completion, Connection, Mailbox, Observer, Result};
use moler_io::{BlockingIo, Close};

/// Starts connections on OS threads: per connection one thread blocked in `read` and one that
/// sleeps until the connection's next deadline. Writes happen on the thread that produced them
/// (a caller starting a command writes it itself), never while the connection is locked.
#[derive(Debug, Clone)]
pub struct ThreadRunner {
    read_buffer: usize,
}

impl Default for ThreadRunner {
    fn default() -> Self {
        Self { read_buffer: 16 * 1024 }
    }
}

impl ThreadRunner {
    /// A runner with a 16 KiB read buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most bytes one read hands to the connection.
    pub fn read_buffer(mut self, bytes: usize) -> Self {
        self.read_buffer = bytes.max(1);
        self
    }

    /// Starts driving a new connection named `name` over `io`.
    pub fn spawn(&self, name: &str, io: BlockingIo) -> io::Result<ConnectionHandle> {
        self.spawn_connection(Connection::new(name), io)
    }

    /// Starts driving `connection` (already configured, e.g. its newline) over `io`.
    pub fn spawn_connection(
        &self,
        connection: Connection,
        io: BlockingIo,
    ) -> io::Result<ConnectionHandle> {
        let BlockingIo { name: transport, reader, writer, closer } = io;
        let mailbox = Arc::clone(connection.mailbox());
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                conn: connection,
                pending: Vec::new(),
                writer: Some(writer),
            }),
            timer: Mutex::new(Timer { armed: None, stop: false }),
            timer_wake: Condvar::new(),
            mailbox: Arc::clone(&mailbox),
            closer,
            transport,
            closed: AtomicBool::new(false),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        mailbox.set_wake(move || {
            if let Some(inner) = weak.upgrade() {
                if let Ok(st) = inner.state.try_lock() {
                    inner.settle(st);
                }
                // Otherwise the lock's holder takes the requests when it lets go (`settle`).
            }
        });
        let name = inner.lock().conn.name().to_owned();
        let reading = Arc::clone(&inner);
        let size = self.read_buffer;
        std::thread::Builder::new()
            .name(format!("moler-read:{name}"))
            .spawn(move || reading.read_loop(reader, size))?;
        let timing = Arc::clone(&inner);
        std::thread::Builder::new()
            .name(format!("moler-timer:{name}"))
            .spawn(move || timing.timer_loop())?;
        Ok(ConnectionHandle { inner: Arc::new(HandleInner { inner, name }) })
    }
}

/// Every holder of `state` releases it through [`Inner::settle`], which re-checks the mailbox
/// afterwards: a request whose wake-up found the lock taken is then never left behind. That is
/// why the deadline thread sleeps on its own mutex, not on `state`.
struct Inner {
    state: Mutex<State>,
    /// What the deadline thread sleeps on (lock order: `state` before `timer`).
    timer: Mutex<Timer>,
    timer_wake: Condvar,
    mailbox: Arc<Mailbox>,
    closer: Arc<dyn Close>,
    transport: String,
    /// Set once the connection closed and the transport was told.
    closed: AtomicBool,
}

struct State {
    conn: Connection,
    /// Bytes to write, in order, not yet taken by a writer.
    pending: Vec<u8>,
    /// `None` while a thread is writing (it holds the writer outside the lock).
    writer: Option<Box<dyn Write + Send>>,
}

struct Timer {
    /// When the deadline thread wakes next. Never later than the connection's earliest
    /// deadline; it may be earlier (an observer finished), which costs one early wake-up and
    /// saves waking the thread for every command that starts and ends.
    armed: Option<Instant>,
    stop: bool,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The connection isolates observer panics; a poisoned lock still holds a usable state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection, then settles; returns whether the connection is closed.
    fn with_conn(&self, f: impl FnOnce(&mut Connection, Instant)) -> bool {
        let mut st = self.lock();
        f(&mut st.conn, Instant::now());
        let closed = st.conn.is_closed();
        self.settle(st);
        closed
    }

    /// After work on the connection: takes requests, writes output (without holding the lock,
    /// so a slow peer never blocks the reader), re-arms the deadline thread, closes the
    /// transport once the connection closed. Then re-checks the mailbox, since requests that
    /// arrived while the lock was held are this thread's to take.
    fn settle<'a>(&'a self, mut st: MutexGuard<'a, State>) {
        loop {
            st.conn.handle_requests(Instant::now());
            if let Some(out) = st.conn.poll_transmit() {
                st.pending.extend_from_slice(&out);
            }
            if !st.pending.is_empty() {
                if let Some(mut writer) = st.writer.take() {
                    let out = std::mem::take(&mut st.pending);
                    drop(st);
                    let result = writer.write_all(&out).and_then(|()| writer.flush());
                    st = self.lock();
                    st.writer = Some(writer);
                    if let Err(e) = result {
                        st.conn.handle_close(Some(e));
                    }
                    continue; // more may have been queued meanwhile
                }
                // Another thread is writing; it takes these bytes when it comes back.
            }
            let closed = st.conn.is_closed();
            self.arm(st.conn.poll_timeout(), closed);
            drop(st);
            if closed && !self.closed.swap(true, Ordering::AcqRel) {
                self.closer.close();
            }
            if !self.mailbox.has_requests() {
                return;
            }
            match self.state.try_lock() {
                Ok(again) => st = again,
                Err(_) => return, // the new holder settles them
            }
        }
    }

    fn read_loop(self: Arc<Self>, mut reader: Box<dyn Read + Send>, size: usize) {
        let mut buf = vec![0u8; size];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => {
                    self.with_conn(|c, _| c.handle_close(None));
                    return;
                }
                Ok(n) => {
                    if self.with_conn(|c, now| c.handle_input(&buf[..n], now)) {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.with_conn(|c, _| c.handle_close(Some(e)));
                    return;
                }
            }
        }
    }

    fn lock_timer(&self) -> MutexGuard<'_, Timer> {
        self.timer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the deadline thread if `next` comes before what it sleeps until, or to stop it.
    fn arm(&self, next: Option<Instant>, closed: bool) {
        let mut t = self.lock_timer();
        if closed {
            t.stop = true;
        } else if let Some(n) = next.filter(|&n| t.armed.is_none_or(|a| n < a)) {
            t.armed = Some(n);
        } else {
            return;
        }
        drop(t);
        self.timer_wake.notify_one();
    }

    fn timer_loop(self: Arc<Self>) {
        loop {
            let mut t = self.lock_timer();
            loop {
                if t.stop {
                    return;
                }
                let now = Instant::now();
                t = match t.armed {
                    Some(due) if due <= now => break,
                    Some(due) => {
                        let r = self.timer_wake.wait_timeout(t, due - now);
                        r.unwrap_or_else(PoisonError::into_inner).0
                    }
                    None => self.timer_wake.wait(t).unwrap_or_else(PoisonError::into_inner),
                };
            }
            drop(t);
            let mut st = self.lock();
            st.conn.handle_timeout(Instant::now());
            // Re-arm from the connection's real earliest deadline (possibly later than before).
            self.lock_timer().armed = st.conn.poll_timeout();
            self.settle(st);
        }
    }
}

struct HandleInner {
    inner: Arc<Inner>,
    name: String,
}

impl Drop for HandleInner {
    /// The last handle gone closes the connection: running observers fail with
    /// `ConnectionClosed`, the transport is closed and both threads end.
    fn drop(&mut self) {
        self.inner.mailbox.close();
    }
}

/// A running connection. Cheap to clone; the connection closes when the last clone is dropped.
#[derive(Clone)]
pub struct ConnectionHandle {
    inner: Arc<HandleInner>,
}

impl std::fmt::Debug for ConnectionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionHandle")
            .field("name", &self.inner.name)
            .field("transport", &self.inner.inner.transport)
            .finish()
    }
}

impl ConnectionHandle {
    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Starts an observer in the background. Safe from any thread, also from an observer's
    /// callback.
    pub fn start<O: Observer>(&self, observer: O) -> Completion<O::Output> {
        self.inner.inner.mailbox.start(observer)
    }

    /// Starts an observer and waits for its result; after `timeout` it is timed out.
    pub fn run<O: Observer>(&self, observer: O, timeout: Duration) -> Result<O::Output> {
        self.start(observer).wait(timeout)
    }

    /// Closes the connection now: every unfinished observer fails with `ConnectionClosed`.
    pub fn close(&self) {
        self.inner.inner.mailbox.close();
    }

    /// True once the connection closed (by [`ConnectionHandle::close`] or by the peer).
    pub fn is_closed(&self) -> bool {
        self.inner.inner.closed.load(Ordering::Acquire)
    }
}
