//! Blocking `Read` and `Write` over any transport, for code that drives bytes by hand.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use rustix::event::{poll, PollFd, PollFlags};

use crate::{Close, FdIo, Interest, Op, Stream, Transport};

/// A transport read and written with blocking calls: a descriptor stream waits in `poll(2)`, a
/// poll-based stream parks the thread until its waker fires.
pub struct BlockingStream {
    stream: Stream,
    closer: Arc<dyn Close>,
    name: String,
    greeting: Option<crate::Greeting>,
    control: Option<Arc<dyn crate::Control>>,
}

impl std::fmt::Debug for BlockingStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingStream").field("name", &self.name).finish_non_exhaustive()
    }
}

impl BlockingStream {
    pub(crate) fn new(t: Transport) -> Self {
        Self {
            stream: t.stream,
            closer: t.closer,
            name: t.name,
            greeting: t.greeting,
            control: t.control,
        }
    }

    /// The transport's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closes the transport (reads then return end of stream).
    pub fn close(&self) {
        self.closer.close();
    }

    /// Back to a transport for a runner (what was read stays read).
    pub fn into_transport(self) -> Transport {
        Transport {
            name: self.name,
            stream: self.stream,
            closer: self.closer,
            greeting: self.greeting,
            control: self.control,
        }
    }

    /// The transport's actions besides bytes (a serial break), if it has any.
    pub fn control(&self) -> Option<Arc<dyn crate::Control>> {
        self.control.clone()
    }

    /// A handle that closes the transport from another thread.
    pub fn closer(&self) -> Arc<dyn Close> {
        Arc::clone(&self.closer)
    }
}

/// Runs `f` until it stops returning `WouldBlock`, waiting in `poll(2)` in between.
fn retry<T>(
    io: &mut dyn FdIo,
    op: Op,
    mut f: impl FnMut(&mut dyn FdIo) -> io::Result<T>,
) -> io::Result<T> {
    loop {
        match f(io) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let (fd, interest) = io.blocked_on(op);
                let flags = match interest {
                    Interest::Readable => PollFlags::IN,
                    Interest::Writable => PollFlags::OUT,
                };
                let mut fds = [PollFd::from_borrowed_fd(fd, flags)];
                match poll(&mut fds, None) {
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `f` until it is ready, parking the thread in between.
fn park_on<T>(mut f: impl FnMut(&mut Context<'_>) -> Poll<T>) -> T {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = f(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

impl Read for BlockingStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.stream {
            Stream::Fd(io) => retry(io.as_mut(), Op::Read, |io| io.read(buf)),
            Stream::Poll(io) => park_on(|cx| io.poll_read(cx, buf)),
        }
    }
}

impl Write for BlockingStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.stream {
            Stream::Fd(io) => retry(io.as_mut(), Op::Write, |io| io.write(buf)),
            Stream::Poll(io) => park_on(|cx| io.poll_write(cx, buf)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::FdStream;

    /// A pipe's stream whose calls are first interrupted by a signal, as a stream that blocks
    /// inside (a user's [`FdIo`]) may be.
    struct Interrupted {
        inner: FdStream,
        interruptions: usize,
    }

    impl Interrupted {
        fn interrupted(&mut self) -> io::Result<()> {
            if self.interruptions == 0 {
                return Ok(());
            }
            self.interruptions -= 1;
            Err(io::ErrorKind::Interrupted.into())
        }
    }

    impl FdIo for Interrupted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupted()?;
            self.inner.read(buf)
        }
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.interrupted()?;
            self.inner.write(buf)
        }
        fn blocked_on(&self, op: Op) -> (std::os::fd::BorrowedFd<'_>, Interest) {
            self.inner.blocked_on(op)
        }
    }

    struct NoClose;

    impl Close for NoClose {
        fn close(&self) {}
    }

    /// An interrupted call is made again, as `std::io` does, not returned as an error.
    #[test]
    fn an_interrupted_call_is_made_again() {
        let (read, write) = rustix::pipe::pipe().unwrap();
        let inner = FdStream::pair(read, write).unwrap();
        let io = Interrupted { inner, interruptions: 3 };
        let mut io = BlockingStream::new(Transport {
            name: "pipe".into(),
            stream: Stream::Fd(Box::new(io)),
            closer: Arc::new(NoClose),
            greeting: None,
            control: None,
        });
        assert_eq!(io.write(b"through").unwrap(), 7);
        let mut buf = [0; 16];
        let n = io.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"through");
    }
}
