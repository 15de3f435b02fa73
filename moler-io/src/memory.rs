//! The memory transport: an in-process device for tests of the core and the runners.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::{Close, PollIo, Stream, Transport};

#[derive(Default)]
struct State {
    incoming: Incoming,
    written: Vec<u8>,
    responses: VecDeque<Vec<u8>>,
    echo: bool,
    closed: bool,
    max_read: Option<usize>,
    /// The reader waiting for data.
    reader: Option<Waker>,
}

impl State {
    /// The waiting reader's waker, if there is something for it to read (data or the end).
    fn take_reader(&mut self) -> Option<Waker> {
        if self.incoming.is_empty() && !self.closed {
            return None;
        }
        self.reader.take()
    }
}

/// Bytes on their way to the connection, in the pieces they were injected: a piece is copied
/// before the lock is taken and pushed whole, so the reader is never held up by an injection
/// (nor by a buffer that grows by copying everything that waits).
#[derive(Default)]
struct Incoming {
    pieces: VecDeque<Vec<u8>>,
    /// Bytes of the first piece already read.
    read: usize,
    len: usize,
}

impl Incoming {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, piece: Vec<u8>) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.pieces.push_back(piece);
        }
    }

    /// Moves up to `buf.len()` bytes into `buf`; how many.
    fn read_into(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            let Some(front) = self.pieces.front() else { break };
            let take = (buf.len() - n).min(front.len() - self.read);
            buf[n..n + take].copy_from_slice(&front[self.read..self.read + take]);
            n += take;
            self.read += take;
            if self.read == front.len() {
                self.pieces.pop_front();
                self.read = 0;
            }
        }
        self.len -= n;
        n
    }
}

/// The most bytes [`MemoryDevice::inject`] makes readable at once: a large injection becomes
/// readable piece by piece while the rest is being copied, as from a real device.
const INJECT_PIECE: usize = 64 * 1024;

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain data behind the lock: a panic elsewhere cannot leave it half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the state, then wakes the reader if data or the end is there for it.
    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut st = self.lock();
        let out = f(&mut st);
        let waker = st.take_reader();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        out
    }
}

/// The device side of a memory transport: what the connection reads comes from here, and what
/// it writes lands here.
#[derive(Clone)]
pub struct MemoryDevice(Arc<Shared>);

impl std::fmt::Debug for MemoryDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryDevice").finish_non_exhaustive()
    }
}

/// A connected pair: the transport for a runner and the device to play the other end. The
/// stream is poll-based ([`Stream::Poll`]), so it runs on every runner without a thread.
pub fn pair(name: &str) -> (Transport, MemoryDevice) {
    let shared = Arc::new(Shared::default());
    let io = Transport {
        name: format!("memory:{name}"),
        control: None,
        stream: Stream::Poll(Box::new(MemoryStream(Arc::clone(&shared)))),
        closer: Arc::new(MemoryDevice(Arc::clone(&shared))),
        greeting: None,
    };
    (io, MemoryDevice(shared))
}

impl MemoryDevice {
    /// Makes `data` readable by the connection.
    pub fn inject(&self, data: impl AsRef<[u8]>) {
        let data = data.as_ref();
        if data.is_empty() {
            self.0.update(|_| ());
        }
        for piece in data.chunks(INJECT_PIECE) {
            let piece = piece.to_vec();
            self.0.update(|st| st.incoming.push(piece));
        }
    }

    /// Queues `data` to become readable right after the connection's next write (each call
    /// answers one write, in order).
    pub fn respond_on_next_write(&self, data: impl Into<Vec<u8>>) {
        self.0.lock().responses.push_back(data.into());
    }

    /// Echo what the connection writes back to it, as a terminal does (default off).
    pub fn set_echo(&self, on: bool) {
        self.0.lock().echo = on;
    }

    /// Caps how many bytes one read returns (`None`: all that is there).
    pub fn set_max_read(&self, max: Option<usize>) {
        self.0.lock().max_read = max.map(|m| m.max(1));
    }

    /// Everything the connection wrote so far, taken out.
    pub fn take_written(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.lock().written)
    }

    /// Bytes injected but not read yet.
    pub fn unread(&self) -> usize {
        self.0.lock().incoming.len()
    }

    /// Ends the stream: the connection reads what is left, then end of stream.
    pub fn close(&self) {
        self.0.update(|st| st.closed = true);
    }
}

impl Close for MemoryDevice {
    fn close(&self) {
        MemoryDevice::close(self);
    }
}

struct MemoryStream(Arc<Shared>);

impl PollIo for MemoryStream {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut st = self.0.lock();
        if st.incoming.is_empty() && !st.closed {
            match &mut st.reader {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        let n = buf.len().min(st.max_read.unwrap_or(usize::MAX));
        Poll::Ready(Ok(st.incoming.read_into(&mut buf[..n])))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.update(|st| {
            if st.closed {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "memory transport closed"));
            }
            st.written.extend_from_slice(buf);
            if st.echo {
                st.incoming.push(buf.to_vec());
            }
            if let Some(r) = st.responses.pop_front() {
                st.incoming.push(r);
            }
            Ok(buf.len())
        }))
    }
}
