//! What the runners' tests share: a runner of each kind for a scenario ([`Rig`],
//! `on_every_runner!`), a device on a real TCP socket, and a stream that counts the reads that
//! found nothing. Each test file uses part of it (`#[macro_use] mod support;`).
#![allow(dead_code, unused_macros)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moler_core::Command;
use moler_io::tcp::{self, TcpOptions};

/// Long enough for a busy machine; no test waits it out.
pub const WAIT: Duration = Duration::from_secs(20);
/// The test device's prompt.
pub const PROMPT: &str = r"^host\$ $";

/// A device on 127.0.0.1: each line `cmd N` is echoed and answered with `ok N` and the
/// prompt; `late N D` too, and then, D ms later, `late N` on a line of its own (unsolicited);
/// `slow N` 2 ms late ([`answer_pieces`]).
pub fn device() -> u16 {
    serve(false)
}

/// [`device`] as a telnet server: what the client sends is read past its option negotiation
/// (answered by nothing: the client does not wait for answers), and a telnet `NOP` goes
/// between an answer's pieces (a read the client decodes to nothing).
pub fn telnet_device() -> u16 {
    serve(true)
}

fn serve(telnet: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        // As a device's console answers: each write at once (Nagle held a `late` line's
        // successor back until the line's acknowledgement, a delayed one: 40 ms).
        socket.set_nodelay(true).unwrap();
        let mut out = socket.try_clone().unwrap();
        let (mut raw, mut line, mut iac) = ([0u8; 4096], Vec::new(), Iac::Data);
        loop {
            let n = match socket.read(&mut raw) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            for &b in &raw[..n] {
                if telnet && !iac.keeps(b) {
                    continue;
                }
                if b != b'\n' {
                    line.push(b);
                    continue;
                }
                let text = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\0']).to_owned();
                line.clear();
                if answer(&text, telnet, &mut out).is_err() {
                    return;
                }
            }
        }
    });
    port
}

/// Where a telnet byte stream is: data, or inside a command (`IAC …`, `IAC SB … IAC SE`).
#[derive(Clone, Copy)]
enum Iac {
    Data,
    /// After `IAC`.
    Command,
    /// After `IAC WILL/WONT/DO/DONT`: the option comes.
    Option,
    /// Inside a subnegotiation, and after an `IAC` there.
    Sub,
    SubEscape,
}

impl Iac {
    /// Whether `b` is data (an escaped `IAC IAC` is one data byte).
    fn keeps(&mut self, b: u8) -> bool {
        let (next, data) = match (*self, b) {
            (Iac::Data, 255) => (Iac::Command, false),
            (Iac::Data, _) => (Iac::Data, true),
            (Iac::Command, 255) => (Iac::Data, true),
            (Iac::Command, 250) => (Iac::Sub, false),
            (Iac::Command, 251..=254) => (Iac::Option, false),
            (Iac::Command | Iac::Option, _) => (Iac::Data, false),
            (Iac::Sub, 255) => (Iac::SubEscape, false),
            (Iac::Sub, _) => (Iac::Sub, false),
            (Iac::SubEscape, 240) => (Iac::Data, false),
            (Iac::SubEscape, _) => (Iac::Sub, false),
        };
        *self = next;
        data
    }
}

/// Answers `line` on `out` as [`device`] does; over telnet, a `NOP` between an answer's pieces.
fn answer(line: &str, telnet: bool, out: &mut impl Write) -> std::io::Result<()> {
    for (i, (delay, piece)) in answer_pieces(line).into_iter().enumerate() {
        std::thread::sleep(delay);
        if telnet && i > 0 {
            out.write_all(&[255, 241])?; // IAC NOP: the client reads it and decodes nothing
        }
        out.write_all(&piece)?;
    }
    Ok(())
}

/// The test device's answer to `line`, in the pieces it sends, each after a delay from the
/// one before: the echo, `ok N` and the prompt (`slow N`: 2 ms late); `late N D`: then the
/// unsolicited `late N`, D ms later; a plain odd `N`: the echo and the rest in two pieces.
pub fn answer_pieces(line: &str) -> Vec<(Duration, Vec<u8>)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let n = words.get(1).unwrap_or(&"");
    let (echo, rest) = (format!("{line}\r\n"), format!("ok {n}\r\nhost$ "));
    let now = Duration::ZERO;
    match words[..] {
        ["slow", ..] => vec![(Duration::from_millis(2), format!("{echo}{rest}").into())],
        ["late", n, ms] => vec![
            (now, format!("{echo}{rest}").into()),
            (Duration::from_millis(ms.parse().unwrap()), format!("\r\nlate {n}\r\n").into()),
        ],
        [_, n] if n.ends_with(['1', '3', '5', '7', '9']) => {
            vec![(now, echo.into()), (now, rest.into())]
        }
        _ => vec![(now, format!("{echo}{rest}").into())],
    }
}

/// A plain descriptor's stream that counts the reads that found nothing right after another
/// that found nothing (no write, no data between them), right after a read that returned
/// less than asked, and right after a write; and the reads made on a connection's own thread
/// (the thread runner's, named `moler:…`).
struct CountingReads {
    inner: Box<dyn moler_io::FdIo>,
    last_blocked: bool,
    last_short: bool,
    last_wrote: bool,
    repeated: Arc<AtomicUsize>,
    after_short: Arc<AtomicUsize>,
    after_write: Arc<AtomicUsize>,
    on_own_thread: Arc<AtomicUsize>,
}

impl moler_io::FdIo for CountingReads {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if std::thread::current().name().is_some_and(|n| n.starts_with("moler:")) {
            self.on_own_thread.fetch_add(1, Ordering::Relaxed);
        }
        let r = self.inner.read(buf);
        let blocked = matches!(&r, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        if blocked && self.last_blocked {
            self.repeated.fetch_add(1, Ordering::Relaxed);
        }
        if blocked && self.last_short {
            self.after_short.fetch_add(1, Ordering::Relaxed);
        }
        if blocked && self.last_wrote {
            self.after_write.fetch_add(1, Ordering::Relaxed);
        }
        self.last_wrote = false;
        self.last_blocked = blocked;
        self.last_short = matches!(&r, Ok(n) if *n > 0 && *n < buf.len());
        r
    }
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.last_blocked = false;
        self.last_short = false;
        self.last_wrote = true;
        self.inner.write(buf)
    }
    fn blocked_on(&self, op: moler_io::Op) -> (BorrowedFd<'_>, moler_io::Interest) {
        self.inner.blocked_on(op)
    }
    fn fixed_readiness(&self) -> bool {
        self.inner.fixed_readiness()
    }
}

/// [`counted_run`] on `runner`.
pub fn counted_run_on(
    runner: moler_runners::Runner,
    word: &str,
    commands: usize,
) -> [Arc<AtomicUsize>; 4] {
    let mut transport = tcp::connect("127.0.0.1", device(), &TcpOptions::default()).unwrap();
    let counts = [0; 4].map(|_| Arc::new(AtomicUsize::new(0)));
    let moler_io::Stream::Fd(inner) = transport.stream else { panic!("TCP is a descriptor") };
    let counting = CountingReads {
        inner,
        last_blocked: false,
        last_short: false,
        last_wrote: false,
        repeated: Arc::clone(&counts[0]),
        after_short: Arc::clone(&counts[1]),
        after_write: Arc::clone(&counts[2]),
        on_own_thread: Arc::clone(&counts[3]),
    };
    transport.stream = moler_io::Stream::Fd(Box::new(counting));
    let conn = runner.spawn("reads", transport).unwrap();
    for i in 1..=commands {
        conn.run(Command::lines(format!("{word} {i}"), PROMPT), WAIT).unwrap();
    }
    counts
}

/// The I/O error `err` names as the reason its connection closed; any other error (or a close
/// without a reason) fails the test, saying what came instead.
pub fn close_reason(err: &moler_core::Error) -> &std::io::Error {
    match err {
        moler_core::Error::ConnectionClosed { reason: Some(reason), .. } => reason,
        other => panic!("expected a closed connection with a reason, got {other}"),
    }
}

/// A command that sends `line` and, when the prompt `moler_bash# ` comes, records where its
/// output was handled (`here()`: the thread's name, the tokio task…) in `seen`.
pub struct Where<T> {
    pub line: String,
    pub seen: Arc<std::sync::Mutex<Vec<T>>>,
    pub here: fn() -> T,
}

impl<T: Send + 'static> moler_core::Observer for Where<T> {
    type Output = ();
    fn describe(&self) -> String {
        format!("where ({})", self.line)
    }
    fn kind(&self) -> moler_core::Kind {
        moler_core::Kind::Command
    }
    fn timeout(&self) -> Option<Duration> {
        Some(WAIT)
    }
    fn on_start(&mut self, cx: &mut moler_core::Context<'_>) -> moler_core::Step<()> {
        cx.sendline(&self.line);
        moler_core::Step::Pending
    }
    fn on_data(&mut self, data: &str, _cx: &mut moler_core::Context<'_>) -> moler_core::Step<()> {
        if data.contains("moler_bash# ") {
            self.seen.lock().unwrap().push((self.here)());
            return moler_core::Step::Done(Ok(()));
        }
        moler_core::Step::Pending
    }
}

/// Awaits `echo i` for each `i` of `range` on `conn`, a memory device answering each as a shell
/// whose prompt is `moler_bash# ` would, and checks each answer.
pub async fn echoes(
    conn: &moler_runners::ConnectionHandle,
    device: &moler_io::memory::MemoryDevice,
    range: std::ops::Range<usize>,
) {
    for i in range {
        device.respond_on_next_write(format!("echo {i}\r\n{i}\r\nmoler_bash# "));
        let out = conn.start(Command::lines(format!("echo {i}"), "^moler_bash# ")).await.unwrap();
        assert_eq!(out, [i.to_string()]);
    }
}

/// An observer whose start holds the connection until `gate` opens: a start runs under the
/// connection's lock, on the thread that starts it when that thread finds the connection free
/// (as a plain thread's blocking `run` does).
pub struct HoldsOnStart {
    pub entered: std::sync::mpsc::Sender<()>,
    pub gate: std::sync::mpsc::Receiver<()>,
}

impl moler_core::Observer for HoldsOnStart {
    type Output = ();

    fn describe(&self) -> String {
        "a start that holds the connection".into()
    }

    fn on_start(&mut self, _cx: &mut moler_core::Context<'_>) -> moler_core::Step<()> {
        let _ = self.entered.send(());
        let _ = self.gate.recv_timeout(std::time::Duration::from_secs(20));
        moler_core::Step::Done(Ok(()))
    }

    fn on_data(&mut self, _: &str, _cx: &mut moler_core::Context<'_>) -> moler_core::Step<()> {
        moler_core::Step::Pending
    }
}

/// A runner and the runtime it needs, alive for one test.
pub struct Rig {
    pub runner: moler_runners::Runner,
    #[cfg(feature = "tokio")]
    _tokio: Option<tokio::runtime::Runtime>,
}

impl Rig {
    pub fn thread() -> Rig {
        Rig {
            runner: moler_runners::ThreadRunner::new().into(),
            #[cfg(feature = "tokio")]
            _tokio: None,
        }
    }

    /// A multi-thread runtime of two workers.
    #[cfg(feature = "tokio")]
    pub fn tokio() -> Rig {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        let rt = rt.unwrap();
        let runner = moler_runners::TokioRunner::with_handle(rt.handle().clone()).into();
        Rig { runner, _tokio: Some(rt) }
    }

    /// Runs `future` to its end: on the tokio runtime of a tokio rig (`block_on`, as
    /// `#[tokio::main]` does), else on the calling thread (`smol::block_on`).
    #[allow(dead_code)]
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        #[cfg(feature = "tokio")]
        if let Some(rt) = &self._tokio {
            return rt.block_on(future);
        }
        smol::block_on(future)
    }

    /// smol's global executor.
    #[cfg(feature = "smol")]
    pub fn smol() -> Rig {
        Rig {
            runner: moler_runners::SmolRunner::new().into(),
            #[cfg(feature = "tokio")]
            _tokio: None,
        }
    }

    /// A connection named `name` over a memory transport, and the device at its other end.
    pub fn pair(
        &self,
        name: &str,
    ) -> (moler_runners::ConnectionHandle, moler_io::memory::MemoryDevice) {
        self.pair_with(name, |_| {})
    }

    /// [`Rig::pair`] with the transport changed by `adjust` first (a greeting, a control).
    pub fn pair_with(
        &self,
        name: &str,
        adjust: impl FnOnce(&mut moler_io::Transport),
    ) -> (moler_runners::ConnectionHandle, moler_io::memory::MemoryDevice) {
        let (mut io, device) = moler_io::memory::pair(name);
        adjust(&mut io);
        (self.runner.spawn(name, io).unwrap(), device)
    }

    /// A connection to a fresh peer on 127.0.0.1 over real TCP, and the peer's socket.
    pub fn connected(&self) -> (moler_runners::ConnectionHandle, std::net::TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let transport = tcp::connect("127.0.0.1", port, &TcpOptions::default()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        (self.runner.spawn("tcp", transport).unwrap(), peer)
    }
}

/// A test of each scenario on each runner compiled in: `on_thread::NAME`, `on_tokio::NAME`,
/// `on_smol::NAME`, each calling `NAME(&Rig)` (the file imports `support::Rig`).
macro_rules! on_every_runner {
    ($($scenario:ident),* $(,)?) => {
        mod on_thread {
            $( #[test] fn $scenario() { super::$scenario(&super::Rig::thread()) } )*
        }
        #[cfg(feature = "tokio")]
        mod on_tokio {
            $( #[test] fn $scenario() { super::$scenario(&super::Rig::tokio()) } )*
        }
        #[cfg(feature = "smol")]
        mod on_smol {
            $( #[test] fn $scenario() { super::$scenario(&super::Rig::smol()) } )*
        }
    };
}
