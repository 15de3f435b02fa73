//! Non-blocking streams over file descriptors.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};

use crate::{FdIo, Interest, Op};

/// A stream over one descriptor used for both directions (a pty master, a socket), or over two
/// (a child's stdout and stdin).
#[derive(Debug)]
pub struct FdStream {
    read: Arc<OwnedFd>,
    write: Option<OwnedFd>,
    pty: bool,
}

impl FdStream {
    /// A stream reading and writing `fd`, which is switched to non-blocking mode.
    pub fn new(fd: OwnedFd) -> io::Result<Self> {
        Self::shared(Arc::new(fd))
    }

    /// [`FdStream::new`] over a descriptor also held elsewhere (a closer that shuts a socket
    /// down), without spending a second descriptor on a `dup`.
    pub fn shared(fd: Arc<OwnedFd>) -> io::Result<Self> {
        set_nonblocking(&*fd)?;
        Ok(Self { read: fd, write: None, pty: false })
    }

    /// A stream reading `read` and writing `write`, both switched to non-blocking mode.
    pub fn pair(read: OwnedFd, write: OwnedFd) -> io::Result<Self> {
        set_nonblocking(&read)?;
        set_nonblocking(&write)?;
        Ok(Self { read: Arc::new(read), write: Some(write), pty: false })
    }

    /// Treats `EIO` on read as the end of the stream: Linux reports so on a pseudo-terminal
    /// master once the last process on the terminal side went away.
    pub fn pty(mut self) -> Self {
        self.pty = true;
        self
    }

    fn writer(&self) -> &OwnedFd {
        self.write.as_ref().unwrap_or(&*self.read)
    }
}

/// Switches `fd` to non-blocking mode.
pub fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    let flags = fcntl_getfl(&fd)?;
    fcntl_setfl(&fd, flags | OFlags::NONBLOCK)?;
    Ok(())
}

impl FdIo for FdStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match rustix::io::read(&*self.read, buf) {
            Ok(n) => Ok(n),
            Err(rustix::io::Errno::IO) if self.pty => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(rustix::io::write(self.writer(), buf)?)
    }

    fn blocked_on(&self, op: Op) -> (BorrowedFd<'_>, Interest) {
        match op {
            Op::Read => (self.read.as_fd(), Interest::Readable),
            Op::Write => (self.writer().as_fd(), Interest::Writable),
        }
    }

    fn fixed_readiness(&self) -> bool {
        true
    }
}
