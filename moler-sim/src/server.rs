//! Servers: thin loops around [`Session`] on real transports.
//!
//! - [`serve_stdio`]: one session on stdin/stdout (a pty, a login shell, a `socat` pty pair);
//! - [`serve_tty`]: one session on a terminal device given by path (one end of a `socat` pty
//!   pair, a serial port): the device on a serial line;
//! - [`Listener`]: a TCP server, raw or telnet, many sessions at once.
//!
//! The TCP server runs every session as a task of one current-thread tokio runtime on one
//! thread: sessions wait on their socket and their next deadline (a delayed answer, a streamed
//! line), so thousands cost a task each, not a thread each, and the engine stays the only
//! place that knows what the device does.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::telnet::Telnet;
use crate::{Device, Session};

/// Serves one session on this process's stdin and stdout until the device closes it or
/// stdin ends. A terminal on stdin is put in raw mode for the session (the device echoes,
/// and Ctrl-C arrives as a byte), and restored afterwards. A reboot keeps the session: the
/// console goes quiet and shows the device coming back.
pub fn serve_stdio(device: Arc<Device>) -> io::Result<()> {
    let stdin = io::stdin();
    serve(device, stdin.as_fd(), stdin.lock(), io::stdout().lock())
}

/// Serves one session on the terminal at `path` (a serial port, one end of a `socat` pty
/// pair) until the device closes it or the line hangs up (the other end closed). The terminal
/// is put in raw mode for the session and restored afterwards.
///
/// ```no_run
/// // socat pty,raw,echo=0,link=/tmp/x/a pty,raw,echo=0,link=/tmp/x/b   (in another shell)
/// let device = moler_sim::Device::from_file("moler-sim/devices/at_modem.yml").unwrap();
/// moler_sim::serve_tty(device.into(), "/tmp/x/b").unwrap(); // the modem answers on /tmp/x/a
/// ```
pub fn serve_tty(device: Arc<Device>, path: impl AsRef<std::path::Path>) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let port = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(path)?;
    serve_terminal(device, port.into())
}

/// [`serve_tty`] on a terminal already open: a serial port, or the master side of a
/// pseudo-terminal whose slave side is the line the client opens (`rustix::pty::openpt`).
pub fn serve_terminal(device: Arc<Device>, terminal: std::os::fd::OwnedFd) -> io::Result<()> {
    let port = std::fs::File::from(terminal);
    let (input, output) = (port.try_clone()?, port.try_clone()?);
    match serve(device, port.as_fd(), input, output) {
        // A hang-up: the other end of the line went away, which ends the session.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) => Ok(()),
        r => r,
    }
}

/// One session on `input` and `output`, the terminal `tty` in raw mode meanwhile (see
/// [`serve_stdio`]).
fn serve(
    device: Arc<Device>,
    tty: std::os::fd::BorrowedFd<'_>,
    mut input: impl Read + AsFd,
    mut output: impl Write,
) -> io::Result<()> {
    let raw = RawMode::enter(tty);
    let mut session = Session::new(device, Instant::now()).with_wall_clock(SystemTime::now());
    let mut buf = [0u8; 4096];
    let result = (|| loop {
        let out = session.take_output();
        if !out.is_empty() {
            output.write_all(&out)?;
            output.flush()?;
        }
        if session.is_closed() {
            return Ok(());
        }
        let now = Instant::now();
        let timeout = session.poll_timeout().map(|t| t.saturating_duration_since(now));
        if readable(&input, timeout)? {
            let n = match input.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let out = session.feed(&buf[..n], Instant::now());
            output.write_all(&out)?;
        } else {
            let out = session.handle_timeout(Instant::now());
            output.write_all(&out)?;
        }
        output.flush()?;
    })();
    drop(raw);
    result
}

/// Waits until `fd` is readable (true) or `timeout` passes (false).
fn readable(fd: &impl AsFd, timeout: Option<Duration>) -> io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(fd, PollFlags::IN)];
    let ts = timeout
        .map(|t| Timespec { tv_sec: t.as_secs() as i64, tv_nsec: i64::from(t.subsec_nanos()) });
    loop {
        match poll(&mut fds, ts.as_ref()) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// A terminal's settings, restored when dropped.
struct RawMode<'a> {
    fd: std::os::fd::BorrowedFd<'a>,
    saved: Option<rustix::termios::Termios>,
}

impl<'a> RawMode<'a> {
    fn enter(fd: std::os::fd::BorrowedFd<'a>) -> RawMode<'a> {
        use rustix::termios::{tcgetattr, tcsetattr, OptionalActions};
        let saved = tcgetattr(fd).ok();
        if let Some(t) = &saved {
            let mut raw = t.clone();
            raw.make_raw();
            let _ = tcsetattr(fd, OptionalActions::Now, &raw);
        }
        RawMode { fd, saved }
    }
}

impl Drop for RawMode<'_> {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = rustix::termios::tcsetattr(self.fd, rustix::termios::OptionalActions::Now, t);
        }
    }
}

/// How a [`Listener`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// Bytes as they are.
    #[default]
    Raw,
    /// Telnet: the server offers `WILL ECHO` and `WILL SGA`, refuses other options, strips
    /// commands from the input and doubles `0xFF` in the output.
    Telnet,
}

/// A TCP server of one device: every connection is a session. Dropping it stops it and closes
/// its sessions.
pub struct Listener {
    addr: SocketAddr,
    stop: Arc<Notify>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// The device is rebooting until then (shared by a listener's sessions).
type Down = Arc<Mutex<Option<Instant>>>;

impl Listener {
    /// Listens on `addr` (port 0: a free one) on a thread of its own.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let device = moler_sim::Device::from_yaml(
    ///     "states: {S: {prompt: 'sim> ', commands: [{match: hi, answer: hello}]}}",
    /// ).unwrap();
    /// let l = moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw).unwrap();
    /// let mut c = std::net::TcpStream::connect(l.addr()).unwrap();
    /// c.write_all(b"hi\r").unwrap();
    /// let mut seen = Vec::new();
    /// let mut buf = [0u8; 256];
    /// while !seen.ends_with(b"hello\r\nsim> ") {
    ///     let n = c.read(&mut buf).unwrap();
    ///     seen.extend_from_slice(&buf[..n]);
    /// }
    /// assert_eq!(seen, b"sim> hi\r\nhello\r\nsim> ");
    /// ```
    pub fn bind(addr: &str, device: Arc<Device>, protocol: Protocol) -> io::Result<Listener> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        // Room for many sessions connecting at once (std listens with 128).
        rustix::net::listen(&std_listener, 4096)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let stop = Arc::new(Notify::new());
        let accepted = Arc::new(AtomicUsize::new(0));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop2, accepted2) = (Arc::clone(&stop), Arc::clone(&accepted));
        let thread = std::thread::Builder::new().name("moler-sim".into()).spawn(move || {
            rt.block_on(accept_loop(std_listener, device, protocol, stop2, accepted2));
        })?;
        Ok(Listener { addr, stop, accepted, thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections it accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Serves until the process ends (what `moler sim --listen` does).
    pub fn run_forever(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    std_listener: std::net::TcpListener,
    device: Arc<Device>,
    protocol: Protocol,
    stop: Arc<Notify>,
    accepted: Arc<AtomicUsize>,
) {
    let listener = match TcpListener::from_std(std_listener) {
        Ok(l) => l,
        Err(e) => return eprintln!("moler-sim: {e}"),
    };
    let down: Down = Arc::default();
    loop {
        tokio::select! {
            _ = stop.notified() => return,
            conn = listener.accept() => match conn {
                Ok((stream, _)) => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    let rebooting = down
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .is_some_and(|t| t > Instant::now());
                    if rebooting {
                        // Nothing listens on a device that boots: the connection ends at once.
                        drop(stream);
                        continue;
                    }
                    tokio::spawn(serve_tcp(stream, Arc::clone(&device), protocol, Arc::clone(&down)));
                }
                // Out of descriptors, say: back off a little, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

async fn serve_tcp(mut stream: TcpStream, device: Arc<Device>, protocol: Protocol, down: Down) {
    let _ = stream.set_nodelay(true);
    let mut telnet = (protocol == Protocol::Telnet).then(Telnet::new);
    let mut session = Session::new(device, Instant::now()).with_wall_clock(SystemTime::now());
    let mut out = Vec::new();
    if let Some(t) = &telnet {
        out.extend_from_slice(&t.offer());
    }
    let mut pending = session.take_output();
    let mut buf = [0u8; 4096];
    loop {
        match &telnet {
            Some(_) => Telnet::escape_into(&pending, &mut out),
            None => out.extend_from_slice(&pending),
        }
        if !out.is_empty() && stream.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
        if session.is_closed() {
            let _ = stream.shutdown().await;
            return;
        }
        if let Some(until) = session.down_until() {
            *down.lock().unwrap_or_else(PoisonError::into_inner) = Some(until);
            let _ = stream.shutdown().await;
            return;
        }
        let deadline = session.poll_timeout();
        let read = tokio::select! {
            r = stream.read(&mut buf) => Some(r),
            _ = sleep_until(deadline) => None,
        };
        pending = match read {
            None => session.handle_timeout(Instant::now()),
            Some(Ok(0) | Err(_)) => return,
            Some(Ok(n)) => match &mut telnet {
                Some(t) => {
                    let data = t.input(&buf[..n], &mut out);
                    session.feed(&data, Instant::now())
                }
                None => session.feed(&buf[..n], Instant::now()),
            },
        };
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
