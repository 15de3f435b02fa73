//! The memory transport: an in-process device for tests of the core and the runners.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::{BlockingIo, Close};

#[derive(Default)]
struct State {
    incoming: VecDeque<u8>,
    written: Vec<u8>,
    responses: VecDeque<Vec<u8>>,
    echo: bool,
    closed: bool,
    max_read: Option<usize>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    readable: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain data behind the lock: a panic elsewhere cannot leave it half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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

/// A connected pair: the transport for a runner and the device to play the other end.
pub fn pair(name: &str) -> (BlockingIo, MemoryDevice) {
    let shared = Arc::new(Shared::default());
    let io = BlockingIo {
        name: format!("memory:{name}"),
        reader: Box::new(Reader(Arc::clone(&shared))),
        writer: Box::new(Writer(Arc::clone(&shared))),
        closer: Arc::new(MemoryDevice(Arc::clone(&shared))),
    };
    (io, MemoryDevice(shared))
}

impl MemoryDevice {
    /// Makes `data` readable by the connection.
    pub fn inject(&self, data: impl AsRef<[u8]>) {
        let mut st = self.0.lock();
        st.incoming.extend(data.as_ref());
        drop(st);
        self.0.readable.notify_all();
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
        self.0.lock().closed = true;
        self.0.readable.notify_all();
    }
}

impl Close for MemoryDevice {
    fn close(&self) {
        MemoryDevice::close(self);
    }
}

struct Reader(Arc<Shared>);

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut st = self.0.lock();
        while st.incoming.is_empty() && !st.closed {
            st = self.0.readable.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        let n = buf.len().min(st.incoming.len()).min(st.max_read.unwrap_or(usize::MAX));
        let (a, b) = st.incoming.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        st.incoming.drain(..n);
        Ok(n)
    }
}

struct Writer(Arc<Shared>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut st = self.0.lock();
        if st.closed {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "memory transport closed"));
        }
        st.written.extend_from_slice(buf);
        if st.echo {
            st.incoming.extend(buf);
        }
        if let Some(r) = st.responses.pop_front() {
            st.incoming.extend(r);
        }
        drop(st);
        self.0.readable.notify_all();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
