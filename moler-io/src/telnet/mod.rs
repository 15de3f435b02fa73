//! The telnet transport: a telnet client over TCP (RFC 854), the bytes of a device's console
//! with the protocol taken out.
//!
//! The protocol is [`codec::Codec`], sans-IO; this module puts it on a non-blocking socket that
//! every runner waits on like any other descriptor (no reader thread). The client agrees to
//! the server's ECHO, SUPPRESS-GO-AHEAD and BINARY, sends its TERMINAL-TYPE and window size
//! (NAWS) when asked, asks for SUPPRESS-GO-AHEAD itself, and refuses everything else with
//! `DONT`/`WONT`, each once ([RFC 1143](codec)). `0xFF` in the data is escaped both ways; a
//! bare `CR` goes out as `CR NUL` and comes in from it (RFC 854), unless BINARY is on.
//!
//! A login dialog is not the transport's business: it carries the bytes, and the device's
//! hops (or a [`Greeting`]) answer `login:` and `Password:` as over any console.
//!
//! ```
//! use std::io::{Read, Write};
//! use moler_io::telnet::{connect, TelnetOptions};
//! use moler_io::telnet::codec::{IAC, DO, WILL, ECHO, SGA};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let port = listener.local_addr()?.port();
//! let server = std::thread::spawn(move || {
//!     let (mut peer, _) = listener.accept().unwrap();
//!     peer.write_all(&[IAC, WILL, ECHO, b'o', b'k', 0xFF, 0xFF, b'>']).unwrap();
//!     let mut asked = [0; 9];
//!     peer.read_exact(&mut asked).unwrap();
//!     asked
//! });
//! let mut io = connect("127.0.0.1", port, &TelnetOptions::default())?.into_blocking();
//! let mut seen = [0; 4];
//! io.read_exact(&mut seen)?;
//! assert_eq!(&seen, b"ok\xFF>");
//! // Offered NAWS, asked for SGA, agreed to ECHO.
//! assert_eq!(server.join().unwrap(), [IAC, 251, 31, IAC, DO, SGA, IAC, DO, ECHO]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod codec;

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::tcp::ShutdownCloser;
use crate::{Error, FdIo, Greeting, Interest, Op, Stream, Transport};
use codec::{Codec, Event, Policy};

/// How to connect.
#[derive(Debug, Clone)]
pub struct TelnetOptions {
    /// How long the TCP connect may take (default 10 s).
    pub connect_timeout: Duration,
    /// The terminal type sent when the server asks (default `vt100`).
    pub terminal_type: String,
    /// The window width sent with NAWS; wide so command echoes do not wrap (default 300).
    pub cols: u16,
    /// The window height sent with NAWS (default 50).
    pub rows: u16,
    /// Ask for BINARY both ways: 8-bit data, no `CR NUL` (default off).
    pub binary: bool,
    /// What the device prints once it is ready (a banner, then its prompt), if commands must
    /// wait for it (default none).
    pub greeting: Option<Greeting>,
}

impl Default for TelnetOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            terminal_type: "vt100".into(),
            cols: 300,
            rows: 50,
            binary: false,
            greeting: None,
        }
    }
}

/// Connects to a telnet server at `host:port` and returns the session as a transport named
/// `telnet:host:port`. Errors name the address ([`Error::Connect`]); on the connection, the
/// server closing reads as the end of the stream, a reset as an error ([`Error::Stream`],
/// kind `ConnectionReset`) naming the transport.
pub fn connect(host: &str, port: u16, options: &TelnetOptions) -> Result<Transport, Error> {
    let mut policy = Policy::client(&options.terminal_type, Some((options.cols, options.rows)));
    if options.binary {
        policy = policy.binary();
    }
    let (io, fd) = TelnetIo::connect(host, port, options.connect_timeout, "telnet", policy, None)?;
    Ok(Transport {
        name: io.name.clone(),
        control: None,
        stream: Stream::Fd(Box::new(io)),
        closer: Arc::new(ShutdownCloser(fd)),
        greeting: options.greeting.clone(),
    })
}

/// What a protocol on top of telnet does with the codec's events (RFC 2217's COM-PORT
/// notifications). An error closes the connection with it as the reason.
pub(crate) trait Handler: Send {
    fn event(&mut self, event: Event, codec: &mut Codec) -> io::Result<()>;
}

/// The protocol state and the bytes waiting to go out, shared between the stream and a
/// control handle that sends commands from another thread (an RFC 2217 break). Everything
/// that goes out passes here, in order.
pub(crate) struct Wire {
    pub(crate) codec: Codec,
    out: Vec<u8>,
    sent: usize,
    pub(crate) handler: Option<Box<dyn Handler>>,
}

impl Wire {
    /// Writes what waits, as far as the socket takes it without blocking.
    pub(crate) fn flush(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.codec.drain_output_into(&mut self.out);
        while self.sent < self.out.len() {
            match rustix::io::write(fd, &self.out[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::AGAIN) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        self.out.clear();
        self.sent = 0;
        Ok(())
    }

    /// True while bytes wait to go out.
    pub(crate) fn pending(&self) -> bool {
        self.sent < self.out.len()
    }

    fn feed(&mut self, raw: &[u8], data: &mut Vec<u8>) -> io::Result<()> {
        self.codec.feed(raw, data);
        if self.codec.has_events() {
            for event in self.codec.take_events() {
                if let Some(handler) = &mut self.handler {
                    handler.event(event, &mut self.codec)?;
                }
            }
        }
        Ok(())
    }
}

/// A telnet session on a non-blocking socket.
pub(crate) struct TelnetIo {
    fd: Arc<OwnedFd>,
    pub(crate) wire: Arc<Mutex<Wire>>,
    /// Data decoded but not handed out yet (`pos` of it handed out).
    data: Vec<u8>,
    pos: usize,
    raw: Box<[u8]>,
    /// The socket read of the current [`FdIo::read`] call returned less than asked, or found
    /// the socket empty (`WouldBlock`).
    short: bool,
    pub(crate) name: String,
}

pub(crate) fn lock(wire: &Mutex<Wire>) -> MutexGuard<'_, Wire> {
    wire.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TelnetIo {
    /// Connects, makes the socket non-blocking and sends the policy's first requests.
    pub(crate) fn connect(
        host: &str,
        port: u16,
        timeout: Duration,
        kind: &str,
        policy: Policy,
        handler: Option<Box<dyn Handler>>,
    ) -> Result<(TelnetIo, Arc<OwnedFd>), Error> {
        let name = format!("{kind}:{}", crate::tcp::address(host, port));
        let socket = crate::tcp::connect_socket(host, port, timeout)?;
        let setup = |step| {
            let transport = name.clone();
            move |source| Error::Setup { transport, step, source }
        };
        socket.set_nodelay(true).map_err(setup("set TCP_NODELAY"))?;
        let fd = Arc::new(OwnedFd::from(socket));
        crate::fd::set_nonblocking(&*fd).map_err(setup("make the socket non-blocking"))?;
        let wire = Wire { codec: Codec::new(policy), out: Vec::new(), sent: 0, handler };
        let io = TelnetIo {
            fd: Arc::clone(&fd),
            wire: Arc::new(Mutex::new(wire)),
            data: Vec::new(),
            pos: 0,
            raw: vec![0; 16 * 1024].into_boxed_slice(),
            short: false,
            name: name.clone(),
        };
        lock(&io.wire).flush(fd.as_fd()).map_err(setup("send the first negotiation"))?;
        Ok((io, fd))
    }

    /// Names a failed operation; `WouldBlock` stays as it is.
    pub(crate) fn named(&self, step: &'static str, e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::WouldBlock {
            return e;
        }
        Error::Stream { transport: self.name.clone(), step, source: e }.into()
    }

    /// Reads the socket once into the decoded data: `Ok(false)` at the end of the stream.
    fn fill(&mut self) -> io::Result<bool> {
        let n = loop {
            match rustix::io::read(&*self.fd, &mut self.raw[..]) {
                Ok(n) => break n,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => {
                    // Empty now: the next read waits for the socket (`FdIo::drained`) instead
                    // of trying it first (tokio current-thread: 2 reads per command -> 1).
                    self.short = e == rustix::io::Errno::WOULDBLOCK;
                    return Err(self.named("read", e.into()));
                }
            }
        };
        if n == 0 {
            return Ok(false);
        }
        self.short = n < self.raw.len();
        if self.pos == self.data.len() {
            self.data.clear();
            self.pos = 0;
        }
        let mut wire = lock(&self.wire);
        let fed = wire.feed(&self.raw[..n], &mut self.data);
        let flushed = wire.flush(self.fd.as_fd());
        drop(wire);
        fed.map_err(|e| self.named("read", e))?;
        flushed.map_err(|e| self.named("answer the negotiation", e))?;
        Ok(true)
    }

    /// Reads and negotiates, blocking up to `deadline`, until `done` says so. For an opening
    /// handshake (RFC 2217's settings); data read meanwhile is kept for the stream.
    pub(crate) fn negotiate_until(
        &mut self,
        deadline: Instant,
        mut done: impl FnMut(&Wire) -> io::Result<bool>,
    ) -> io::Result<()> {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        loop {
            if done(&lock(&self.wire))? {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"));
            }
            let flags = if lock(&self.wire).pending() {
                PollFlags::IN | PollFlags::OUT
            } else {
                PollFlags::IN
            };
            let mut fds = [PollFd::new(&*self.fd, flags)];
            let ts =
                Timespec { tv_sec: left.as_secs() as i64, tv_nsec: i64::from(left.subsec_nanos()) };
            match poll(&mut fds, Some(&ts)) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
            lock(&self.wire).flush(self.fd.as_fd())?;
            match self.fill() {
                Ok(true) => {}
                Ok(false) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl FdIo for TelnetIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Only this call's socket read can say the socket is empty now.
        self.short = false;
        loop {
            if self.pos < self.data.len() {
                let n = buf.len().min(self.data.len() - self.pos);
                buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            {
                let mut wire = lock(&self.wire);
                if wire.pending() {
                    let flushed = wire.flush(self.fd.as_fd());
                    drop(wire);
                    flushed.map_err(|e| self.named("write", e))?;
                }
            }
            // Only commands came in: read on.
            if !self.fill()? {
                return Ok(0);
            }
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut wire = lock(&self.wire);
        let result = wire.flush(self.fd.as_fd()).and_then(|()| {
            if wire.pending() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            // Bounded, so what waits stays small; the rest comes with the next write.
            let take = buf.len().min(16 * 1024);
            let Wire { codec, out, .. } = &mut *wire;
            codec.encode(&buf[..take], out);
            // What the socket does not take now waits and goes first next time.
            wire.flush(self.fd.as_fd())?;
            Ok(take)
        });
        drop(wire);
        result.map_err(|e| self.named("write", e))
    }

    fn blocked_on(&self, op: Op) -> (BorrowedFd<'_>, Interest) {
        let interest = match op {
            // Replies wait to go out: the next read sends them once the socket takes them.
            Op::Read if lock(&self.wire).pending() => Interest::Writable,
            Op::Read => Interest::Readable,
            Op::Write => Interest::Writable,
        };
        (self.fd.as_fd(), interest)
    }

    fn has_buffered_input(&self) -> bool {
        self.pos < self.data.len() || lock(&self.wire).pending()
    }

    fn drained(&self) -> bool {
        self.short && !self.has_buffered_input()
    }
}

/// The `telnet` program (Debian's client, or any on `PATH`) in a pseudo-terminal, connected to
/// `host`:`port`: what a connection with `client: telnet` gets, for a server the native
/// transport should not talk to (a client's own quirks reproduced). The client prints its
/// `Trying …`/`Connected to …`/`Escape character is '^]'.` lines first, as in a shell; the
/// login dialog is the device's hops. Named `telnet-client:host:port`.
pub fn client_in_pty(
    program: &std::path::Path,
    host: &str,
    port: u16,
    options: &TelnetOptions,
) -> Result<Transport, Error> {
    let args = [host.to_owned(), port.to_string()];
    let name = format!("telnet-client:{}", crate::tcp::address(host, port));
    let (master, closer) = crate::openssh::spawn_in_pty(program, &args, options.cols, options.rows)
        .map_err(|(step, source)| Error::Stream { transport: name.clone(), step, source })?;
    let stream = crate::fd::FdStream::new(master)
        .map_err(|source| Error::Stream {
            transport: name.clone(),
            step: "make the pty non-blocking",
            source,
        })?
        .pty();
    Ok(Transport {
        name,
        stream: Stream::Fd(Box::new(stream)),
        closer,
        greeting: options.greeting.clone(),
        control: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// Reads once something came (the socket is non-blocking).
    fn read_some(io: &mut dyn FdIo, buf: &mut [u8]) -> usize {
        let until = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match io.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < until, "nothing came");
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                r => return r.unwrap(),
            }
        }
    }

    /// `drained` is what lets a runner wait for the socket instead of reading it once more:
    /// true only when the read call at hand emptied the socket (or found it empty) and kept
    /// nothing decoded.
    #[test]
    fn drained_only_after_a_read_that_emptied_the_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let transport = connect("127.0.0.1", port, &TelnetOptions::default()).unwrap();
        let Stream::Fd(mut io) = transport.stream else { panic!("a descriptor stream") };
        let (mut server, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];

        // Whole: the socket read was short and everything went out.
        server.write_all(b"hello").unwrap();
        assert_eq!(read_some(io.as_mut(), &mut buf), 5);
        assert!(io.drained());

        // Part of it: the rest waits decoded in the stream.
        server.write_all(b"abcdefgh").unwrap();
        let mut small = [0u8; 3];
        assert_eq!(read_some(io.as_mut(), &mut small), 3);
        assert!(!io.drained(), "5 bytes wait inside the stream");
        // Served from the stream's buffer: no socket read in this call, so it cannot say.
        assert_eq!(read_some(io.as_mut(), &mut small), 3);
        assert!(!io.drained());
        assert_eq!(read_some(io.as_mut(), &mut small), 2);
        assert!(!io.drained(), "no socket read in this call");
        // A read that finds the socket empty says so: the next one waits for the socket.
        let empty = io.read(&mut small).expect_err("nothing left");
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
        assert!(io.drained(), "that call's socket read found it empty");

        // More than one socket read holds: the first read of it was full.
        let big = vec![b'x'; 20 * 1024];
        server.write_all(&big).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50)); // all of it in the socket
        let mut large = vec![0u8; 64 * 1024];
        let first = read_some(io.as_mut(), &mut large);
        assert_eq!(first, 16 * 1024, "one socket read of the stream's 16 KiB");
        assert!(!io.drained(), "that read was full: more may wait in the socket");
        assert_eq!(read_some(io.as_mut(), &mut large), 4 * 1024);
        assert!(io.drained());
    }

    /// A session opened on a listener of the test's, with the server's end of it.
    fn session() -> (TelnetIo, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let policy = Policy::client("vt100", None);
        let timeout = Duration::from_secs(10);
        let (io, _) =
            TelnetIo::connect("127.0.0.1", port, timeout, "telnet", policy, None).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        // What the client asks first (no window size given: no NAWS offered).
        let mut asked = [0u8; 3];
        std::io::Read::read_exact(&mut server, &mut asked).unwrap();
        assert_eq!(asked, [codec::IAC, codec::DO, codec::SGA]);
        (io, server)
    }

    /// An opening handshake (RFC 2217's) reads until its answer came; text the server sends
    /// meanwhile, in as many reads as it comes in, is kept whole for the stream.
    #[test]
    fn text_that_comes_during_a_negotiation_is_kept_whole() {
        use codec::{IAC, SGA, WILL};
        let (mut io, mut server) = session();
        let sender = std::thread::spawn(move || {
            // Apart, so that each is a read of its own.
            for part in [&b"banner, "[..], b"more of it, ", b"and the end\r\n", &[IAC, WILL, SGA]] {
                server.write_all(part).unwrap();
                std::thread::sleep(Duration::from_millis(100));
            }
            server
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        io.negotiate_until(deadline, |wire| Ok(wire.codec.remote_enabled(SGA))).unwrap();
        let _server = sender.join().unwrap();
        let mut buf = [0u8; 256];
        let n = read_some(&mut io, &mut buf);
        assert_eq!(String::from_utf8_lossy(&buf[..n]), "banner, more of it, and the end\r\n");
    }

    /// What the socket does not take waits in the session, in order: a write then says
    /// `WouldBlock` (the caller waits for the socket) instead of piling up more; a read, and a
    /// negotiation, send it as soon as the socket takes it. Nothing is lost or reordered.
    #[test]
    fn output_the_socket_cannot_take_waits_in_order_and_goes_once_it_can() {
        let (mut io, mut server) = session();
        // The server reads nothing for now: fill the socket's buffers, chunk by numbered chunk.
        let chunk = |i: usize| format!("{i:08}").repeat(1024).into_bytes(); // 8 KiB
        let mut written = Vec::new();
        let mut i = 0;
        loop {
            let bytes = chunk(i);
            match io.write(&bytes) {
                Ok(n) => {
                    assert_eq!(n, bytes.len(), "a write under 16 KiB is taken whole");
                    written.extend_from_slice(&bytes);
                    i += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
            assert!(written.len() < 256 << 20, "writes kept being taken: nothing waits");
        }
        assert!(lock(&io.wire).pending(), "part of the last write waits in the session");
        assert!(io.has_buffered_input(), "what waits is the session's to send");
        assert_eq!(io.blocked_on(Op::Read).1, Interest::Writable, "a read waits for the socket");

        // The server reads it all, a while later; the negotiation sends what waits meanwhile.
        let expected = written.len();
        let reader = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let mut got = vec![0u8; expected];
            std::io::Read::read_exact(&mut server, &mut got).unwrap();
            (server, got)
        });
        let started = Instant::now();
        let deadline = started + Duration::from_secs(60);
        io.negotiate_until(deadline, |wire| Ok(!wire.pending())).unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the negotiation waited {:?} to send what waited: it did not wait for the socket to \
             take it",
            started.elapsed()
        );
        let (_server, got) = reader.join().unwrap();
        assert!(got == written, "the data came whole and in order");
        assert!(!io.has_buffered_input());
    }
}
