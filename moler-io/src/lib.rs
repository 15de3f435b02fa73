//! # moler-io: transports
//!
//! A transport carries the bytes of one connection. This crate opens them and hands them over
//! as a [`Transport`]: a non-blocking [`Stream`], a [`Close`] handle that ends the link, and an
//! optional [`Greeting`] (what the peer prints once it is ready). Every transport works on every
//! runner of `moler-runners`: the thread runner waits for its file descriptors with `poll(2)`,
//! the tokio and smol runners register the same descriptors with their reactors. No transport
//! needs a reader thread.
//!
//! | io_type | constructor | stream |
//! |---|---|---|
//! | `memory` | [`memory::pair`] | [`Stream::Poll`]: in-process duplex for tests (inject, answer the next write, echo, close) |
//! | `terminal` | [`terminal::open`] | [`Stream::Fd`]: a local `bash` in a pseudo-terminal, prompt `moler_bash# ` |
//! | `tcp` | [`tcp::connect`] | [`Stream::Fd`]: a TCP client (connect timeout, no Nagle delay) |
//! | `process` | [`process::spawn`] | [`Stream::Fd`]: a child's stdin and stdout (stderr merged by default) |
//! | `sshshell` | `ssh::connect` (feature `ssh`) | [`Stream::Fd`]: a remote shell in a pty over a non-blocking libssh2 session |
//! | `sshshell` (`client: openssh`, or a build without `ssh`) | [`openssh::connect`] | [`Stream::Fd`]: the OpenSSH client in a pseudo-terminal, logged in by the transport |
//! | `telnet` | [`telnet::connect`] | [`Stream::Fd`]: a telnet client (option negotiation, `IAC` escaping, `CR NUL`) over TCP |
//! | `serial` | [`serial::open`] | [`Stream::Fd`]: a local tty (`/dev/ttyUSB0`, a pty) in raw mode with baud rate, data bits, parity, stop bits, flow control; [`Control::send_break`] |
//! | `rfc2217` | [`rfc2217::connect`] | [`Stream::Fd`]: a serial port behind a console server (RFC 2217 over telnet: `ser2net`), the same settings and break |
//!
//! A raw TCP console server port (ser2net's `tcp` accepter, a terminal server's raw port) is
//! just `tcp`: bytes go through unchanged and the port's settings are the server's.
//!
//! Opening fails with an [`Error`] that names the transport and the step and keeps the cause as
//! its source (`connect to 10.0.0.5:23` → `Connection refused (os error 111)`); its
//! [`kind`](Error::kind) is the [`io::ErrorKind`] to match on, and `?` turns it into an
//! `io::Error` of that kind that keeps it.
//!
//! Code that wants plain blocking reads and writes (a hand-written loop, a benchmark's floor)
//! turns a transport into a [`blocking::BlockingStream`]:
//!
//! ```
//! use std::io::{Read, Write};
//! let (transport, device) = moler_io::memory::pair("demo");
//! device.set_echo(true);
//! let mut io = transport.into_blocking();
//! io.write_all(b"hello").unwrap();
//! let mut buf = [0; 16];
//! let n = io.read(&mut buf).unwrap();
//! assert_eq!(&buf[..n], b"hello");
//! io.close();
//! assert_eq!(io.read(&mut buf).unwrap(), 0, "end of stream after close");
//! ```

use std::fmt;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub mod blocking;
mod error;
pub mod fd;
pub mod memory;
pub mod openssh;
pub mod process;
mod reap;
pub mod rfc2217;
pub mod serial;
#[cfg(feature = "ssh")]
pub mod ssh;
pub mod tcp;
pub mod telnet;
pub mod terminal;
#[cfg(test)]
mod test_support;

pub use error::Error;

/// Ends every transport's child when the program gets SIGINT (Ctrl-C), SIGTERM or SIGHUP, as
/// at its normal end, and then lets the signal end the program (its exit status says which).
///
/// A program that returns from `main` or calls `std::process::exit` ends its transports'
/// children by itself: a process connection's program gets SIGTERM and its `term_grace`, then
/// SIGKILL; a local shell is hung up and its session swept (its `nohup` jobs included). A
/// program a signal kills runs none of that: Ctrl-C reaches the programs of process
/// connections, which share its process group, but not one that ignores it, nor a local
/// shell's `nohup` job, and a SIGTERM from a CI job's timeout reaches none of them. Call this
/// once, early in a test script, to have them ended then too; later calls do nothing. A signal
/// the program was started with ignored (`nohup`'s SIGHUP) stays ignored.
///
/// Opt-in, as a library's signal handling must be: with it, those signals end the program
/// (after the children's graces, at most), even where another handler (tokio's `ctrl_c`, the
/// program's own) is installed too; do not call it if the program handles them to go on.
/// The program's threads run on while its children end (a command whose shell hangs up fails
/// meanwhile); one that ends the program then waits, and the exit status is the signal's.
/// A second signal (Ctrl-C pressed again) ends the program at once, without waiting for the
/// children's graces: a process connection's program still in its grace is then killed by the
/// kernel as the program dies. SIGKILL cannot be handled; it, an abort or a crash end a
/// process connection's program the same way (SIGKILL, with no grace), and hang up a local
/// shell, whose `nohup` jobs are then left running.
///
/// ```no_run
/// fn main() -> std::io::Result<()> {
///     moler_io::end_children_on_signals()?;
///     // … the test script …
///     Ok(())
/// }
/// ```
pub fn end_children_on_signals() -> std::io::Result<()> {
    reap::end_children_on_signals()
}

/// The signal that is ending the program ([`end_children_on_signals`]), once it came: the
/// children are being ended and the signal will end the program. What fails meanwhile (a
/// command whose shell was hung up) fails because of it, and need not be reported.
pub fn ending_on_signal() -> Option<i32> {
    reap::ending_on_signal()
}

/// Ends a transport: further reads return end of stream (or an error), further writes fail.
/// Idempotent, callable from any thread, never blocks for long.
pub trait Close: Send + Sync {
    /// Closes the link.
    fn close(&self);
}

/// Actions on a transport besides bytes, callable from any thread while a runner drives it
/// (a [`Transport`]'s [`control`](Transport::control); a running connection hands it out as
/// `ConnectionHandle::control`). The serial transports have one; others have none.
pub trait Control: Send + Sync {
    /// Sends a break: the line held at zero for longer than a character (0.25 to 0.5 s on a
    /// local port, as `tcsendbreak(fd, 0)`; 250 ms between BREAK on and off over RFC 2217). A
    /// console server takes it as the SysRq or ROMMON break.
    fn send_break(&self) -> io::Result<()>;

    /// The line settings in force: read back from the port, or as the RFC 2217 server last
    /// acknowledged them. `None` when the transport has none.
    fn serial_settings(&self) -> Option<serial::SerialSettings> {
        None
    }
}

/// A readiness to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// The descriptor has data (or end of stream) to read.
    Readable,
    /// The descriptor accepts writes.
    Writable,
}

/// Which operation returned `WouldBlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// [`FdIo::read`].
    Read,
    /// [`FdIo::write`].
    Write,
}

/// A stream of non-blocking operations whose readiness comes from file descriptors: a pty
/// master, a socket, a pair of pipes, an SSH session's socket.
///
/// `read` and `write` never block: they return `WouldBlock` and the runner then waits for
/// [`FdIo::blocked_on`] before calling again. `read` returning `Ok(0)` is the end of the stream.
pub trait FdIo: Send + 'static {
    /// Reads what is there, without blocking.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes what fits, without blocking.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// After `op` returned `WouldBlock`: the descriptor and readiness to wait for. The
    /// descriptor stays open as long as this value lives.
    fn blocked_on(&self, op: Op) -> (BorrowedFd<'_>, Interest);

    /// True when [`FdIo::blocked_on`] is the same whatever came before (a plain descriptor:
    /// `Read` waits for it to be readable, `Write` writable): a runner that knows the
    /// descriptor's readiness may then wait before the first attempt, and spare the system
    /// call that would return `WouldBlock`. False (the default) for streams whose operations
    /// may wait on the other readiness (SSH, telnet's negotiation).
    fn fixed_readiness(&self) -> bool {
        false
    }

    /// Right after a [`FdIo::read`] that returned data: true when that very call emptied the
    /// descriptor (one of its system calls read less than it asked) and left nothing of what it
    /// read inside the stream, so more input needs the descriptor readable again. A runner
    /// whose reactor tracks readiness then forgets it, as for a plain descriptor's short read
    /// (which needs no such signal: the read's own size says it). Right after a read that
    /// returned `WouldBlock`: true when that call found the descriptor empty, so the next read
    /// goes through the descriptor's readiness instead of trying first. False (the default)
    /// when the stream cannot tell; then the runner reads once more before it waits.
    fn drained(&self) -> bool {
        false
    }

    /// True when input waits inside the stream rather than in its descriptor, so waiting for
    /// readability would miss it. An SSH session is such a stream: a write makes libssh2 read
    /// the socket, and what it read waits in its buffers. A runner asks after every write, and
    /// before each read: while this is true it reads at once, whatever [`FdIo::drained`] said
    /// of the last read.
    fn has_buffered_input(&self) -> bool {
        false
    }

    /// When the stream needs [`FdIo::tick`] next (an SSH keepalive), if ever.
    fn next_tick(&self) -> Option<Instant> {
        None
    }

    /// Timed housekeeping, called once [`FdIo::next_tick`] passed. An error closes the
    /// connection with it as the reason.
    fn tick(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// The stream's last words, once, as its connection closes and before the runner shuts its
    /// descriptor down (the transport's closer): what it sends only if the descriptor takes it
    /// at once (an SSH session's disconnect message). Nothing by default.
    fn goodbye(&mut self) {}
}

/// A stream driven by `poll` functions and wakers, with no file descriptor (the memory
/// transport). It works the same on every runner.
pub trait PollIo: Send + 'static {
    /// Reads what is there, or registers `cx`'s waker and returns `Pending`. `Ok(0)` is the end
    /// of the stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// Writes what fits, or registers `cx`'s waker and returns `Pending`.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
}

/// The byte stream of a transport.
pub enum Stream {
    /// Non-blocking operations on file descriptors.
    Fd(Box<dyn FdIo>),
    /// A poll-based stream without descriptors.
    Poll(Box<dyn PollIo>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Fd(_) => "Stream::Fd",
            Stream::Poll(_) => "Stream::Poll",
        })
    }
}

/// What a peer prints once it is ready for the first command. A runner starts an observer for
/// it before anything else (commands queue behind it) and closes the connection, naming what
/// was seen, if it does not come within `timeout`: the commands queued behind it fail with
/// that reason and none of them is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// A text that appears once the peer is set up (e.g. a marker printed by a setup line).
    pub marker: String,
    /// The text the output must end with after the marker (the first prompt).
    pub prompt: String,
    /// How long the peer may take.
    pub timeout: Duration,
}

/// An opened transport, ready to be driven by any runner.
pub struct Transport {
    /// A name for errors and logs (`terminal:bash`, `memory:demo`, …).
    pub name: String,
    /// The bytes.
    pub stream: Stream,
    /// Ends the link from any thread (a runner calls it when the connection closes).
    pub closer: Arc<dyn Close>,
    /// What to wait for before the first command, if anything.
    pub greeting: Option<Greeting>,
    /// Actions besides bytes (a serial break), if the transport has any.
    pub control: Option<Arc<dyn Control>>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("name", &self.name)
            .field("stream", &self.stream)
            .field("greeting", &self.greeting)
            .field("control", &self.control.is_some())
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Blocking `Read` and `Write` over this transport, for code without a runner. The greeting
    /// is not consumed: the first read returns it.
    pub fn into_blocking(self) -> blocking::BlockingStream {
        blocking::BlockingStream::new(self)
    }
}
