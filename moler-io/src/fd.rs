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

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};

    fn is_nonblocking(fd: impl AsFd) -> bool {
        fcntl_getfl(fd).unwrap().contains(OFlags::NONBLOCK)
    }

    /// A descriptor that is already non-blocking (a socket from an async accept) stays so.
    #[test]
    fn set_nonblocking_keeps_a_non_blocking_descriptor_so() {
        let (read, write) = rustix::pipe::pipe().unwrap();
        assert!(!is_nonblocking(&read));
        set_nonblocking(&read).unwrap();
        assert!(is_nonblocking(&read));
        set_nonblocking(&read).unwrap();
        assert!(is_nonblocking(&read), "set twice");
        let stream = FdStream::pair(read, write).unwrap();
        assert!(is_nonblocking(&*stream.read) && is_nonblocking(stream.writer()));
        let shared = FdStream::shared(Arc::clone(&stream.read)).unwrap();
        assert!(is_nonblocking(&*shared.read), "a stream over a non-blocking descriptor");
    }

    /// A pseudo-terminal's master whose slave side is gone: its reads fail with `EIO`.
    fn orphaned_master() -> OwnedFd {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = rustix::fs::open(
            name.as_c_str(),
            OFlags::RDWR | OFlags::NOCTTY,
            rustix::fs::Mode::empty(),
        )
        .unwrap();
        drop(slave);
        master
    }

    /// `EIO` is the end of the stream on a pseudo-terminal's master (the shell went away),
    /// and an error on any other stream, where it means a failing device.
    #[test]
    fn eio_ends_a_pty_and_fails_anything_else() {
        let mut buf = [0; 16];
        let mut pty = FdStream::new(orphaned_master()).unwrap().pty();
        assert_eq!(pty.read(&mut buf).unwrap(), 0, "a pty whose shell is gone ends");
        let mut other = FdStream::new(orphaned_master()).unwrap();
        let e = other.read(&mut buf).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(rustix::io::Errno::IO.raw_os_error()), "{e}");
    }
}
