//! Round trip of `echo N`: the raw floor (a minimal write-line / read-until-prompt loop over
//! the same transport, no moler code) against the full command path on each runner (thread,
//! tokio, smol), all measured in the same run, interleaved in rounds so machine noise hits every
//! path alike.
//!
//! `cargo bench --bench roundtrip -- --n 2000 [--rounds 20] [--transport terminal|tcp|ssh|serial|telnet] [--pin CPU] [--paths thread,smol,…] [--instructions] [--syscalls]`
//!
//! `terminal`: a local bash in a pty. `tcp`: the project's device simulator on 127.0.0.1
//! (moler-testkit), which echoes and answers like a terminal. `ssh`: bash over SSH through a
//! real OpenSSH sshd on 127.0.0.1 (moler-testkit's, root only: `scripts/setup-sshd.sh`); its
//! floor is the same blocking loop over the same non-blocking libssh2 session. `serial`: the
//! serial transport on the slave side of a pseudo-terminal whose master side a moler-sim device
//! serves (`moler_sim::serve_terminal`, a thread per line). `telnet`: the telnet transport to
//! moler-sim's telnet listener on 127.0.0.1. Each floor is the same blocking loop over the
//! same transport (the telnet floor through the same codec). Each async runtime has its own
//! floor too, the loop awaited where the runners' `.await` is: on every transport, SSH's
//! session and the telnet codec included (their descriptor waited on through the runtime's
//! reactor for what the stream says it waits for).
//!
//! `--pin CPU` runs the whole bench on that one CPU: every thread, the in-process simulators
//! and the child processes (bash, sshd). On a virtual machine whose idle CPUs halt, a round
//! trip between two CPUs pays the wake-up of a halted one twice (on this project's 2-CPU
//! Firecracker machine, with `guest_halt_poll_ns` 0: the TCP floor is 50-60 µs across CPUs,
//! 15 µs on one). Across CPUs that cost is most of every path's time, and where the scheduler
//! happens to place the threads decides more than the code does (a path can come well under
//! the floor). On one CPU, what is left is the work: the ratios show moler's own cost.
//!
//! A path's **ratio** is paired round by round: its median in a round over the floor's median
//! in the same round, the median of those over the rounds (`÷ own` the same against its
//! runtime's floor). Each round starts one path further along, so no path always runs after
//! the same one. **pooled** is the median of all a path's round trips over the floor's: on this
//! project's VM the floor's median moved from 19 to 27 µs between two runs minutes apart, and a
//! pooled median mixes rounds at different speeds on both sides of the ratio.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::{
    Command, ConnectionHandle, Runner, SmolRunner, ThreadRunner, TokioRunner, LOCAL_PROMPT,
    SSH_PROMPT,
};
use moler_io::serial::{self, SerialOptions};
use moler_io::ssh::{self, SshOptions};
use moler_io::tcp::{self, TcpOptions};
use moler_io::telnet::{self, TelnetOptions};
use moler_io::terminal::{self, TerminalOptions, PROMPT};
use moler_io::{Greeting, Transport};
use moler_testkit::sshd::Sshd;
use moler_testkit::{Simulator, SIM_BANNER, SIM_PROMPT, SIM_PROMPT_RE};

#[path = "support/mod.rs"]
mod common;

/// The device the serial and telnet benches talk to: a banner, a prompt, `echo TEXT`.
const BENCH_DEVICE: &str = r#"
banner: "moler bench device"
states:
  READY:
    prompt: "bench> "
    commands:
      - {regex: 'echo (?P<text>.*)', answer: "{text}"}
"#;
const BENCH_BANNER: &str = "moler bench device";
const BENCH_PROMPT: &str = "bench> ";

/// Blocking reads and writes.
trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A transport's descriptor made blocking, read and written with one system call each (the
/// transport kept alive beside it).
struct BlockingFd {
    file: std::fs::File,
    _transport: Transport,
}

impl BlockingFd {
    fn new(transport: Transport) -> BlockingFd {
        let file = raw_file(&transport);
        // The duplicate shares the open file's flags: the descriptor is blocking for both.
        rustix::io::ioctl_fionbio(&file, false).expect("make the descriptor blocking");
        BlockingFd { file, _transport: transport }
    }
}

impl Read for BlockingFd {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.file.read(buf) {
            // A pty's master reads EIO once the other side is gone: the end.
            Err(e) if e.raw_os_error() == Some(5) => Ok(0),
            r => r,
        }
    }
}

impl Write for BlockingFd {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The raw floor's loop: a line written, then reads until the prompt, over blocking reads
/// and writes.
struct RawLoop {
    io: Box<dyn ReadWrite>,
    buf: Vec<u8>,
    seen: Vec<u8>,
}

impl RawLoop {
    /// Consumes the transport's greeting (its marker, then the first prompt).
    fn new(io: Box<dyn ReadWrite>, greeting: &Greeting) -> RawLoop {
        let mut raw = RawLoop { io, buf: vec![0u8; 64 * 1024], seen: Vec::with_capacity(4096) };
        let ready = format!("{}\r\n{}", greeting.marker, greeting.prompt);
        while !String::from_utf8_lossy(&raw.seen).contains(&ready) {
            raw.read_some();
        }
        raw
    }

    fn read_some(&mut self) {
        let k = self.io.read(&mut self.buf).unwrap();
        assert!(k > 0, "the peer ended");
        self.seen.extend_from_slice(&self.buf[..k]);
    }

    /// One round trip of `echo i`.
    fn rtt(&mut self, i: usize, prompt: &str) -> Duration {
        let line = format!("echo {i}\n");
        let t = Instant::now();
        self.io.write_all(line.as_bytes()).unwrap();
        self.seen.clear();
        while !self.seen.ends_with(prompt.as_bytes()) {
            self.read_some();
        }
        t.elapsed()
    }
}

/// A transport's descriptor, non-blocking, waited on with epoll(7) when a read would block:
/// the raw floor sleeping where the runners sleep. It measures as the blocking floor, so how
/// the floor sleeps is not what lets a runner's median come under it.
struct EpollFd {
    file: std::fs::File,
    epoll: rustix::fd::OwnedFd,
    _transport: Transport,
}

impl EpollFd {
    fn new(transport: Transport) -> EpollFd {
        use rustix::event::epoll;
        let file = raw_file(&transport);
        let poller = epoll::create(epoll::CreateFlags::CLOEXEC).expect("epoll_create");
        let data = epoll::EventData::new_u64(0);
        epoll::add(&poller, &file, data, epoll::EventFlags::IN).expect("epoll_ctl");
        EpollFd { file, epoll: poller, _transport: transport }
    }
}

impl Read for EpollFd {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match (&self.file).read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let mut events = [std::mem::MaybeUninit::uninit(); 1];
                    rustix::event::epoll::wait(&self.epoll, &mut events[..], None)?;
                }
                Err(e) if e.raw_os_error() == Some(5) => return Ok(0),
                r => return r,
            }
        }
    }
}

impl Write for EpollFd {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        loop {
            match (&self.file).write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::yield_now(),
                r => return r,
            }
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A transport's descriptor, duplicated (it shares the open file's flags: still non-blocking).
fn raw_file(transport: &Transport) -> std::fs::File {
    let moler_io::Stream::Fd(stream) = &transport.stream else {
        panic!("{}: not a descriptor", transport.name)
    };
    std::fs::File::from(stream.blocked_on(moler_io::Op::Read).0.try_clone_to_owned().expect("dup"))
}

/// What an async runtime's user writes for a round trip with no moler code: the descriptor
/// registered with the runtime's reactor, written and read when it says so, awaited where the
/// runners' `.await` is (through the transport's stream code over SSH and telnet: [`Streamed`]). Between this and the raw floor is the runtime's own cost (tokio's
/// multi-thread runtime wakes the `block_on` thread from a worker's poll of the descriptor: a
/// thread hand-off no code on top of it can save). It is not the least a runtime can do: tokio
/// wakes a spawned task more cheaply than the `block_on` future, so tokio's runners, whose
/// connection is a task, can come under it on a shell (two reads per answer there).
trait AsyncRaw {
    async fn write_all(&mut self, bytes: &[u8]);
    async fn read(&mut self, buf: &mut [u8]) -> usize;
}

/// tokio: `AsyncFd`, readiness cleared after a short read (as tokio's own streams do).
struct TokioRaw {
    fd: tokio::io::unix::AsyncFd<std::fs::File>,
    _transport: Transport,
}

impl AsyncRaw for TokioRaw {
    async fn write_all(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let mut ready = self.fd.writable().await.expect("writable");
            if let Ok(n) = ready.try_io(|f| (&mut f.get_ref()).write(bytes)) {
                bytes = &bytes[n.expect("write")..];
            }
        }
    }
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        loop {
            let mut ready = self.fd.readable().await.expect("readable");
            if let Ok(n) = ready.try_io(|f| (&mut f.get_ref()).read(buf)) {
                let n = n.expect("read");
                if n < buf.len() {
                    ready.clear_ready();
                }
                return n;
            }
        }
    }
}

/// `file` registered with the current tokio runtime's reactor.
#[allow(unsafe_code)]
fn register_with_tokio(file: std::fs::File) -> tokio::io::unix::AsyncFd<std::fs::File> {
    // SAFETY: the `File` owns its descriptor, which stays open until the `AsyncFd` (its
    // owner) is dropped, and `File::as_raw_fd` always returns it.
    unsafe { tokio::io::unix::AsyncFd::register(file) }
        .unwrap_or_else(|e| panic!("register with tokio: {e}"))
}

/// smol (async-io): try first, wait for readiness on `WouldBlock`.
struct SmolRaw {
    fd: smol::Async<std::fs::File>,
    _transport: Transport,
}

impl AsyncRaw for SmolRaw {
    async fn write_all(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = self.fd.write_with(|f| (&mut &*f).write(bytes)).await.expect("write");
            bytes = &bytes[n..];
        }
    }
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        self.fd.read_with(|f| (&mut &*f).read(buf)).await.expect("read")
    }
}

/// A transport whose bytes go through stream code (the telnet codec, SSH's session) on an
/// async runtime, with no moler code: the stream read and written without blocking, and on
/// `WouldBlock` its descriptor awaited through the runtime's reactor for what the stream says
/// it waits for ([`moler_io::FdIo::blocked_on`]). The async runners' floor over telnet and SSH,
/// as [`TokioRaw`] and [`SmolRaw`] are over plain descriptors.
struct Streamed<F> {
    io: Box<dyn moler_io::FdIo>,
    /// The stream's descriptor (a duplicate) registered with the runtime's reactor.
    fd: F,
    _closer: Arc<dyn moler_io::Close>,
}

impl<F> Streamed<F> {
    /// `transport`'s stream and its descriptor, registered by `register`.
    fn new(transport: Transport, register: impl FnOnce(std::fs::File) -> F) -> Self {
        let file = raw_file(&transport);
        let Transport { stream: moler_io::Stream::Fd(io), closer, .. } = transport else {
            unreachable!("raw_file took a descriptor")
        };
        Streamed { io, fd: register(file), _closer: closer }
    }

    /// After `op` returned `WouldBlock`: whether the stream waits for its descriptor to be
    /// readable (else writable).
    fn waits_readable(&self, op: moler_io::Op) -> bool {
        matches!(self.io.blocked_on(op).1, moler_io::Interest::Readable)
    }
}

/// tokio: each attempt made under a readiness guard (`try_io`: a `WouldBlock` forgets the
/// readiness it was tried under, never a newer one), readiness forgotten too after a read that
/// emptied the descriptor ([`moler_io::FdIo::drained`], as tokio's streams do after a short read).
impl AsyncRaw for Streamed<tokio::io::unix::AsyncFd<std::fs::File>> {
    async fn write_all(&mut self, mut bytes: &[u8]) {
        let mut readable = false;
        while !bytes.is_empty() {
            let Streamed { io, fd, .. } = self;
            let mut ready = if readable { fd.readable().await } else { fd.writable().await };
            match ready.as_mut().expect("ready").try_io(|_| io.write(bytes)) {
                Ok(n) => bytes = &bytes[n.expect("write")..],
                Err(_) => readable = self.waits_readable(moler_io::Op::Write),
            }
        }
    }
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        let mut readable = true;
        loop {
            let Streamed { io, fd, .. } = self;
            let mut ready = if readable { fd.readable().await } else { fd.writable().await };
            let ready = ready.as_mut().expect("ready");
            match ready.try_io(|_| io.read(buf)) {
                Ok(n) => {
                    if io.drained() {
                        ready.clear_ready();
                    }
                    return n.expect("read");
                }
                Err(_) => readable = self.waits_readable(moler_io::Op::Read),
            }
        }
    }
}

/// smol (async-io): try first, wait on `WouldBlock` (as `read_with`, `write_with` do).
impl AsyncRaw for Streamed<smol::Async<std::fs::File>> {
    async fn write_all(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.io.write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.wait(moler_io::Op::Write).await
                }
                Err(e) => panic!("write: {e}"),
            }
        }
    }
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        loop {
            match self.io.read(buf) {
                Ok(n) => return n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.wait(moler_io::Op::Read).await
                }
                Err(e) => panic!("read: {e}"),
            }
        }
    }
}

impl Streamed<smol::Async<std::fs::File>> {
    /// After `op` returned `WouldBlock`: waits for what the stream waits for.
    async fn wait(&self, op: moler_io::Op) {
        if self.waits_readable(op) {
            self.fd.readable().await.expect("readable");
        } else {
            self.fd.writable().await.expect("writable");
        }
    }
}

/// A runtime's floor: over a plain descriptor, or through a transport's stream code.
enum Floor<P, S> {
    Plain(P),
    Streamed(S),
}

impl<P: AsyncRaw, S: AsyncRaw> AsyncRaw for Floor<P, S> {
    async fn write_all(&mut self, bytes: &[u8]) {
        match self {
            Floor::Plain(io) => io.write_all(bytes).await,
            Floor::Streamed(io) => io.write_all(bytes).await,
        }
    }
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        match self {
            Floor::Plain(io) => io.read(buf).await,
            Floor::Streamed(io) => io.read(buf).await,
        }
    }
}

/// Reads until `seen` ends with `end` (or contains it, for the greeting).
async fn read_until(io: &mut impl AsyncRaw, buf: &mut [u8], seen: &mut Vec<u8>, end: &[u8]) {
    seen.clear();
    while !seen.ends_with(end) {
        let k = io.read(buf).await;
        assert!(k > 0, "the peer ended");
        seen.extend_from_slice(&buf[..k]);
    }
}

/// `k` round trips of `echo N` from `from`, over a runtime's raw descriptor.
async fn raw_async(io: &mut impl AsyncRaw, prompt: &str, from: usize, k: usize) -> Vec<Duration> {
    let (mut buf, mut seen) = (vec![0u8; 64 * 1024], Vec::with_capacity(4096));
    let mut took = Vec::with_capacity(k);
    for i in from..from + k {
        let line = format!("echo {i}\n");
        let t = Instant::now();
        io.write_all(line.as_bytes()).await;
        read_until(io, &mut buf, &mut seen, prompt.as_bytes()).await;
        took.push(t.elapsed());
    }
    took
}

/// Consumes a transport's greeting (its marker, then the first prompt) over a raw descriptor.
async fn raw_greeting(io: &mut impl AsyncRaw, greeting: &Greeting) {
    let (mut buf, mut seen) = (vec![0u8; 64 * 1024], Vec::new());
    let ready = format!("{}\r\n{}", greeting.marker, greeting.prompt);
    while !String::from_utf8_lossy(&seen).contains(&ready) {
        let k = io.read(&mut buf).await;
        assert!(k > 0, "the peer ended");
        seen.extend_from_slice(&buf[..k]);
    }
}

fn main() {
    // First: the threads and children started from now on inherit it.
    let pin: Option<usize> =
        common::arg("--pin").map(|c| c.parse().expect("--pin takes a CPU's number"));
    if let Some(cpu) = pin {
        let mut set = rustix::thread::CpuSet::new();
        set.set(cpu);
        rustix::thread::sched_setaffinity(None, &set)
            .unwrap_or_else(|e| panic!("--pin {cpu}: cannot run on that CPU: {e}"));
    }
    let n: usize = common::arg_or("--n", if common::smoke() { 40 } else { 2000 });
    let rounds: usize = common::arg_or("--rounds", 20).max(1);
    let per_round = n.div_ceil(rounds);
    let kind = common::arg("--transport").unwrap_or_else(|| "terminal".into());
    assert!(
        ["terminal", "tcp", "ssh", "serial", "telnet"].contains(&kind.as_str()),
        "--transport terminal|tcp|ssh|serial|telnet"
    );
    let bench_device = Arc::new(moler_sim::Device::from_yaml(BENCH_DEVICE).unwrap());
    let telnet_sim = (kind == "telnet").then(|| {
        moler_sim::Listener::bind(
            "127.0.0.1:0",
            Arc::clone(&bench_device),
            moler_sim::Protocol::Telnet,
        )
        .expect("start the simulator's telnet listener")
    });
    let sim = (kind == "tcp").then(|| Simulator::start().expect("start the device simulator"));
    let sshd = (kind == "ssh").then(|| match Sshd::start() {
        Ok(sshd) => sshd,
        Err(why) => panic!("--transport ssh needs the test sshd: {why}"),
    });
    let ssh_options = sshd.as_ref().map(|sshd| {
        SshOptions::new("127.0.0.1", &sshd.user().name)
            .port(sshd.port())
            .password(&sshd.user().password)
            .known_hosts_file(sshd.dir().join("known_hosts"))
            .with_moler_prompt()
    });
    let (prompt, prompt_re) = match kind.as_str() {
        "tcp" => (SIM_PROMPT, SIM_PROMPT_RE),
        "serial" | "telnet" => (BENCH_PROMPT, "^bench> $"),
        "ssh" => (ssh::PROMPT, SSH_PROMPT),
        _ => (PROMPT, LOCAL_PROMPT),
    };
    let open_transport = || -> Transport {
        if let Some(sim) = &sim {
            let greeting = Greeting {
                marker: SIM_BANNER.into(),
                prompt: SIM_PROMPT.into(),
                timeout: Duration::from_secs(10),
            };
            let options = TcpOptions { greeting: Some(greeting), ..Default::default() };
            return tcp::connect("127.0.0.1", sim.port(), &options)
                .expect("connect to the simulator");
        }
        if let Some(options) = &ssh_options {
            return ssh::connect(options).expect("log in to the test sshd");
        }
        let greeting = Some(Greeting {
            marker: BENCH_BANNER.into(),
            prompt: BENCH_PROMPT.into(),
            timeout: Duration::from_secs(10),
        });
        if let Some(sim) = &telnet_sim {
            let options = TelnetOptions { greeting, ..Default::default() };
            return telnet::connect("127.0.0.1", sim.addr().port(), &options)
                .expect("connect to the simulator's telnet listener");
        }
        if kind == "serial" {
            use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
            let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("a pty");
            grantpt(&master).unwrap();
            unlockpt(&master).unwrap();
            let port = ptsname(&master, Vec::new()).unwrap().into_string().unwrap();
            // The line is open (raw, no echo) before the device speaks on it.
            let options = SerialOptions { greeting, ..SerialOptions::new(port) };
            let transport = serial::open(&options).expect("open the pty as a serial port");
            let device = Arc::clone(&bench_device);
            std::thread::spawn(move || moler_sim::serve_terminal(device, master));
            return transport;
        }
        terminal::open(&TerminalOptions::default()).expect("open bash in a pty")
    };

    // (a) the raw floor: the least work there is. Where the transport is a descriptor (a pty,
    // a socket, a tty) it is made blocking and read and written directly, one system call
    // each; SSH and telnet go through their stream code (encryption, the telnet codec), which
    // any path over them pays too.
    let raw_transport = open_transport();
    let greeting = raw_transport.greeting.clone().expect("every transport here greets");
    let raw: Box<dyn ReadWrite> = match kind.as_str() {
        "terminal" | "tcp" | "serial" => Box::new(BlockingFd::new(raw_transport)),
        _ => Box::new(raw_transport.into_blocking()),
    };
    let mut raw = RawLoop::new(raw, &greeting);
    let mut raw_rtt = |i: usize| raw.rtt(i, prompt);
    // The same loop sleeping in epoll_wait(2) instead of read(2) (plain descriptors).
    let plain_fd = matches!(kind.as_str(), "terminal" | "tcp" | "serial");
    let mut epoll_raw = plain_fd.then(|| {
        let transport = open_transport();
        let greeting = transport.greeting.clone().expect("every transport here greets");
        RawLoop::new(Box::new(EpollFd::new(transport)), &greeting)
    });
    let mut epoll_rtt = |i: usize| epoll_raw.as_mut().map(|raw| raw.rtt(i, prompt));

    // (b) the full command path (echo recognition, line parsing, prompt) on each runner
    let tokio_rt = tokio::runtime::Runtime::new().unwrap();
    let tokio_ct = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let smol_ex = Arc::new(smol::Executor::new());
    let open = |runner: Runner| runner.spawn("bench", open_transport()).unwrap();
    let thread_shell = open(ThreadRunner::new().into());
    let tokio_shell = open(TokioRunner::with_handle(tokio_rt.handle().clone()).into());
    let tokio_ct_shell = open(TokioRunner::with_handle(tokio_ct.handle().clone()).into());
    let smol_shell = open(SmolRunner::new().into());
    let smol_own_shell = open(SmolRunner::with_executor(Arc::clone(&smol_ex)).into());
    // The thread runner again, with everything sent and received written to a device log
    // (moler.bench.log, what a device's connection does), to measure what logging costs.
    let log_dir = std::env::temp_dir().join(format!("moler-bench-logs-{}", std::process::id()));
    let logger = moler::config::Logger { path: Some(log_dir.clone()), ..Default::default() };
    moler::logging::configure(&logger).expect("logs in a temporary folder");
    let logged =
        moler_core::Connection::new("bench").with_transcript(moler::logging::transcript("bench"));
    let logged_shell =
        Runner::from(ThreadRunner::new()).spawn_connection(logged, open_transport()).unwrap();

    // (c) each async runtime's own floor: the descriptor a reactor waits on (terminal, TCP,
    // serial), or the stream code SSH and telnet go through, its descriptor waited on by the
    // reactor: see `AsyncRaw`.
    let plain = matches!(kind.as_str(), "terminal" | "tcp" | "serial");
    let tokio_raw = |rt: &tokio::runtime::Runtime| {
        let transport = open_transport();
        let greeting = transport.greeting.clone().expect("every transport here greets");
        rt.block_on(async {
            let mut io = if plain {
                let fd = register_with_tokio(raw_file(&transport));
                Floor::Plain(TokioRaw { fd, _transport: transport })
            } else {
                Floor::Streamed(Streamed::new(transport, register_with_tokio))
            };
            raw_greeting(&mut io, &greeting).await;
            Some(io)
        })
    };
    let mut tokio_floor_io = tokio_raw(&tokio_rt);
    let mut tokio_task_floor_io = tokio_raw(&tokio_rt);
    let mut tokio_ct_floor_io = tokio_raw(&tokio_ct);
    let mut smol_floor_io = {
        let transport = open_transport();
        let greeting = transport.greeting.clone().expect("every transport here greets");
        let register = |file| smol::Async::new(file).expect("register with async-io");
        let mut io = if plain {
            Floor::Plain(SmolRaw { fd: register(raw_file(&transport)), _transport: transport })
        } else {
            Floor::Streamed(Streamed::new(transport, register))
        };
        smol::block_on(raw_greeting(&mut io, &greeting));
        Some(io)
    };
    // Where the runners' `.await`s are (see below).
    let mut tokio_floor_rtt = |from, k| match &mut tokio_floor_io {
        Some(io) => tokio_rt.block_on(raw_async(io, prompt, from, k)),
        None => Vec::new(),
    };
    // The same loop in a task spawned on the multi-thread runtime: a worker polls the
    // descriptor and runs the task that waits for it, with no hand-off to another thread.
    let mut tokio_task_floor_rtt = |from, k| match tokio_task_floor_io.take() {
        Some(mut io) => {
            let task = tokio_rt.spawn(async move {
                let took = raw_async(&mut io, prompt, from, k).await;
                (io, took)
            });
            let (io, took) = tokio_rt.block_on(task).expect("the floor's task");
            tokio_task_floor_io = Some(io);
            took
        }
        None => Vec::new(),
    };
    let mut tokio_ct_floor_rtt = |from, k| match &mut tokio_ct_floor_io {
        Some(io) => tokio_ct.block_on(raw_async(io, prompt, from, k)),
        None => Vec::new(),
    };
    let mut smol_floor_rtt = |from, k| match &mut smol_floor_io {
        Some(io) => smol::block_on(raw_async(io, prompt, from, k)),
        None => Vec::new(),
    };

    let check = |out: Vec<String>, i: usize| assert_eq!(out, [i.to_string()]);
    // Both own what they use (`prompt_re` is static): a task can take them.
    let cmd = move |i: usize| Command::lines(format!("echo {i}"), prompt_re);
    // Blocking waits from this plain thread.
    let thread_rtt = |shell: &ConnectionHandle, from: usize, k: usize| -> Vec<Duration> {
        (from..from + k)
            .map(|i| {
                let t = Instant::now();
                let out = shell.run(cmd(i), Duration::from_secs(10)).unwrap();
                let took = t.elapsed();
                check(out, i);
                took
            })
            .collect()
    };
    // `.await` inside the runtime, as async users do.
    let awaited = move |shell: &ConnectionHandle, from: usize, k: usize| {
        let shell = shell.clone();
        async move {
            let mut v = Vec::with_capacity(k);
            for i in from..from + k {
                let t = Instant::now();
                let out = shell.start(cmd(i)).await.unwrap();
                v.push(t.elapsed());
                check(out, i);
            }
            v
        }
    };
    // #[tokio::main]: the test code in `block_on`, the connection on a worker.
    let tokio_rtt = |from, k| tokio_rt.block_on(awaited(&tokio_shell, from, k));
    // The test code in a task spawned on the multi-thread runtime (`tokio::spawn`), as
    // scripts that run devices side by side do: the answer wakes it on a worker.
    let tokio_task_rtt = |from: usize, k: usize| {
        let task = tokio_rt.spawn(awaited(&tokio_shell, from, k));
        tokio_rt.block_on(task).expect("the commands' task")
    };
    // #[tokio::test]: a current-thread runtime, everything on the calling thread.
    let tokio_ct_rtt = |from, k| tokio_ct.block_on(awaited(&tokio_ct_shell, from, k));
    // smol's global executor runs the connection, `smol::block_on` the test code.
    let smol_rtt = |from, k| smol::block_on(awaited(&smol_shell, from, k));
    // An executor of your own, run by the thread that awaits.
    let smol_own_rtt = |from, k| smol::block_on(smol_ex.run(awaited(&smol_own_shell, from, k)));

    // `--only PATH` (the instruction count's child runs): that path alone.
    let only = common::arg("--only");
    // `--paths a,b`: those paths and the floor, reported as usual.
    let some = common::arg("--paths");
    let want = |path: &str| match (&only, &some) {
        (Some(o), _) => o == path,
        (None, Some(s)) => path == "floor" || s.split(',').any(|p| p == path),
        (None, None) => true,
    };

    // Every path, in the order each round runs them: its name (for `--only` and the JSON),
    // and its round trips `from..from + k`.
    type Path<'a> = (&'static str, Box<dyn FnMut(usize, usize) -> Vec<Duration> + 'a>);
    let mut paths: Vec<Path<'_>> = vec![
        ("floor", Box::new(|from, k| (from..from + k).map(&mut raw_rtt).collect())),
        ("floor_epoll", Box::new(|from, k| (from..from + k).filter_map(&mut epoll_rtt).collect())),
        ("thread", Box::new(|from, k| thread_rtt(&thread_shell, from, k))),
        ("tokio_floor", Box::new(&mut tokio_floor_rtt)),
        ("tokio_task_floor", Box::new(&mut tokio_task_floor_rtt)),
        ("tokio_current_thread_floor", Box::new(&mut tokio_ct_floor_rtt)),
        ("smol_floor", Box::new(&mut smol_floor_rtt)),
        ("tokio", Box::new(tokio_rtt)),
        ("tokio_task", Box::new(tokio_task_rtt)),
        ("tokio_current_thread", Box::new(tokio_ct_rtt)),
        ("smol", Box::new(smol_rtt)),
        ("smol_own_executor", Box::new(smol_own_rtt)),
        ("thread_logged", Box::new(|from, k| thread_rtt(&logged_shell, from, k))),
    ];
    paths.retain(|(name, _)| want(name));

    // Warm-up (also waits for each shell's first prompt).
    let warm = n.min(100);
    for (_, run) in &mut paths {
        run(0, warm);
    }
    let mut samples = std::collections::HashMap::<&str, Vec<Duration>>::new();
    // Per path: its median in each round (the ratios are taken round by round, see below).
    let mut round_medians = std::collections::HashMap::<&str, Vec<f64>>::new();
    // Per path: CPU ns and context switches of this process's threads, over its round trips.
    let mut sched = std::collections::HashMap::<&str, (u64, u64)>::new();
    for r in 0..rounds {
        let from = r * per_round;
        // Each round starts one path further: no path always follows the same one (a
        // runtime's threads going idle, a connection's thread lingering after its path).
        if r > 0 && !paths.is_empty() {
            paths.rotate_left(1);
        }
        for (name, run) in &mut paths {
            let (ns0, sw0) = common::sched();
            let mut took = run(from, per_round);
            let (ns1, sw1) = common::sched();
            if !took.is_empty() {
                round_medians.entry(name).or_default().push(common::stats(&mut took).median_us);
            }
            samples.entry(name).or_default().extend(took);
            let at = sched.entry(name).or_default();
            at.0 += ns1.saturating_sub(ns0);
            at.1 += sw1.saturating_sub(sw0);
        }
    }
    drop(paths);
    let mut samples_of = |name: &str| samples.remove(name).unwrap_or_default();
    if only.is_some() {
        moler::logging::stop();
        let _ = std::fs::remove_dir_all(&log_dir);
        return;
    }
    moler::logging::stop();
    let log_size = std::fs::metadata(log_dir.join("moler.bench.log")).map_or(0, |m| m.len());
    let _ = std::fs::remove_dir_all(&log_dir);
    let mut floor = samples_of("floor");
    let f = common::stats(&mut floor);
    let over = match kind.as_str() {
        "tcp" => "the TCP device simulator",
        "serial" => "a pty as a serial port (moler-sim on its master side)",
        "telnet" => "telnet to moler-sim's telnet listener",
        "ssh" => "bash over SSH (OpenSSH sshd on 127.0.0.1)",
        _ => "local bash in a pty",
    };
    let pinned = pin.map_or(String::new(), |cpu| format!(", everything on CPU {cpu}"));
    println!(
        "round trip of `echo N` on {over}, n={} per path, {rounds} rounds{pinned}",
        floor.len()
    );
    let trips = floor.len() as f64;
    // CPU µs and context switches per round trip (every thread of this process: the
    // in-process simulators' too, the same for every path).
    let per_trip = |path: &str| {
        let (ns, sw) = sched.get(path).copied().unwrap_or_default();
        (ns as f64 / 1e3 / trips, sw as f64 / trips)
    };
    println!(
        "{:<38} {:>10} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9} {:>9}",
        "path", "median µs", "p99 µs", "mean µs", "ratio", "pooled", "cpu µs", "switches", "÷ own"
    );
    let (cpu, switches) = per_trip("floor");
    println!(
        "{:<38} {:>10.1} {:>10.1} {:>10.1} {:>8} {:>8} {cpu:>9.1} {switches:>9.2} {:>9}",
        "raw floor (no moler code)", f.median_us, f.p99_us, f.mean_us, "1.000", "1.000", "-"
    );
    let mut json = format!(
        "{{\"bench\":\"roundtrip\",\"transport\":\"{kind}\",\"pinned_cpu\":{},\"n\":{},\"floor\":{{\"median_us\":{:.1},\"p99_us\":{:.1},\"cpu_us\":{cpu:.1},\"switches\":{switches:.2}}}",
        pin.map_or("null".into(), |cpu| cpu.to_string()),
        floor.len(),
        f.median_us,
        f.p99_us
    );
    // Each async runtime's own floor (plain descriptors only), then every runner: its ratio to
    // the raw floor, and to its own floor (the raw floor for the thread runner; its runtime's
    // for the others).
    // A path's ratio to a floor: the median over the rounds of its median in the round over
    // the floor's in the same round. Paired round by round, a slow spell of the machine (this
    // VM's floor moves by a third from one run to the next) slows both sides of a ratio.
    let paired = |name: &str, floor: &str| -> Option<f64> {
        let (a, b) = (round_medians.get(name)?, round_medians.get(floor)?);
        let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
        ratios.sort_unstable_by(f64::total_cmp);
        // The same middle as `common::stats` takes (the upper one of an even count).
        (!ratios.is_empty()).then(|| ratios[ratios.len() / 2])
    };
    let mut own = std::collections::HashMap::from([("floor", f.median_us)]);
    for (name, label) in [
        ("floor_epoll", "raw floor, sleeping in epoll_wait"),
        ("tokio_floor", "tokio multi-thread floor (AsyncFd)"),
        ("tokio_task_floor", "tokio multi-thread floor, in a task"),
        ("tokio_current_thread_floor", "tokio current-thread floor (AsyncFd)"),
        ("smol_floor", "smol floor (Async in block_on)"),
    ] {
        let mut samples = samples_of(name);
        if samples.is_empty() {
            continue;
        }
        let s = common::stats(&mut samples);
        own.insert(name, s.median_us);
        let pooled = s.median_us / f.median_us;
        let ratio = paired(name, "floor").unwrap_or(pooled);
        let (cpu, switches) = per_trip(name);
        println!(
            "{label:<38} {:>10.1} {:>10.1} {:>10.1} {ratio:>8.3} {pooled:>8.3} {cpu:>9.1} {switches:>9.2} {:>9}",
            s.median_us, s.p99_us, s.mean_us, "-"
        );
        json.push_str(&format!(
            ",\"{name}\":{{\"median_us\":{:.1},\"p99_us\":{:.1},\"ratio\":{ratio:.3},\"pooled_ratio\":{pooled:.3},\"cpu_us\":{cpu:.1},\"switches\":{switches:.2}}}",
            s.median_us, s.p99_us
        ));
    }
    for (name, label, floor_of) in [
        ("thread", "thread runner (blocking wait)", "floor"),
        ("tokio", "tokio multi-thread (.await)", "tokio_floor"),
        ("tokio_task", "tokio multi-thread, in a task", "tokio_task_floor"),
        ("tokio_current_thread", "tokio current-thread (.await)", "tokio_current_thread_floor"),
        ("smol", "smol global executor (.await)", "smol_floor"),
        ("smol_own_executor", "smol own executor (.await)", "smol_floor"),
        ("thread_logged", "thread runner, device log on", "floor"),
    ] {
        let mut samples = samples_of(name);
        if samples.is_empty() {
            continue;
        }
        let s = common::stats(&mut samples);
        let pooled = s.median_us / f.median_us;
        let ratio = paired(name, "floor").unwrap_or(pooled);
        let (cpu, switches) = per_trip(name);
        let to_own = paired(name, floor_of).or_else(|| own.get(floor_of).map(|o| s.median_us / o));
        let shown = to_own.map_or("-".into(), |r| format!("{r:.3}"));
        println!(
            "{label:<38} {:>10.1} {:>10.1} {:>10.1} {ratio:>8.3} {pooled:>8.3} {cpu:>9.1} {switches:>9.2} {shown:>9}",
            s.median_us, s.p99_us, s.mean_us
        );
        let to_own = to_own.map_or(String::new(), |r| format!(",\"own_floor_ratio\":{r:.3}"));
        json.push_str(&format!(
            ",\"{name}\":{{\"median_us\":{:.1},\"p99_us\":{:.1},\"ratio\":{ratio:.3},\"pooled_ratio\":{pooled:.3}{to_own},\"cpu_us\":{cpu:.1},\"switches\":{switches:.2}}}",
            s.median_us, s.p99_us
        ));
    }
    println!(
        "targets: every runner's median ratio <= 1.1 on terminal, TCP and SSH (issue 26), <= 1.2 \
         on serial and telnet (issue 25); the device log wrote {log_size} bytes"
    );
    if std::env::args().any(|a| a == "--instructions") {
        json.push_str(&instructions(&kind));
    }
    if std::env::args().any(|a| a == "--syscalls") {
        json.push_str(&syscalls(&kind));
    }
    println!("{json}}}");
}

/// The paths through moler's runners, as `--only` names them (what `--instructions` and
/// `--syscalls` count, after the floors).
const RUNNER_PATHS: [&str; 7] = [
    "thread",
    "tokio",
    "tokio_task",
    "tokio_current_thread",
    "smol",
    "smol_own_executor",
    "thread_logged",
];

/// The system calls `--syscalls` counts (the waits, the reads and writes, and what waiting
/// through a reactor costs besides: async-io's timer descriptor, epoll's registrations, futexes;
/// `recvfrom` and `sendto`: libssh2's socket reads and writes).
const SYSCALLS: [&str; 10] = [
    "read",
    "write",
    "ppoll",
    "epoll_wait",
    "epoll_pwait",
    "epoll_ctl",
    "timerfd_settime",
    "futex",
    "recvfrom",
    "sendto",
];

/// With `--syscalls`: each path's system calls per round trip, counted by the kernel
/// (`perf stat` on the `syscalls:sys_enter_*` tracepoints: exact, and steady on a noisy
/// machine, unlike time). Each path runs alone in a child of this bench, twice (`--n 1000` and
/// `--n 5000`, on the CPU of `--pin` if given): the difference of the two counts over the
/// difference of round trips leaves out the setup. The child's own children count too (bash,
/// sshd; the in-process simulators are threads of it): the same for every path, so what a
/// path adds to its floor is its own. Where `perf` or the tracepoints are missing, says so and
/// counts nothing. Returns the figures for the JSON line.
fn syscalls(kind: &str) -> String {
    let exe = std::env::current_exe().expect("the bench's own path");
    let events: Vec<String> = SYSCALLS.iter().map(|s| format!("syscalls:sys_enter_{s}")).collect();
    let pin = common::arg("--pin");
    // The counts of `events` for `path` run with `--n n` (`perf stat -x,`: value,,event,...).
    let count = |path: &str, n: usize| -> Option<Vec<f64>> {
        let mut cmd = std::process::Command::new("perf");
        cmd.args(["stat", "-x,", "-e", &events.join(",")]).arg("--").arg(&exe);
        cmd.args(["--bench", "--rounds", "1", "--transport", kind, "--only", path, "--n"]);
        cmd.arg(n.to_string());
        if let Some(cpu) = &pin {
            cmd.args(["--pin", cpu]);
        }
        let out = cmd.output().ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        let figures = events.iter().map(|event| {
            let line = text.lines().find(|l| l.split(',').nth(2) == Some(event.as_str()))?;
            line.split(',').next()?.parse::<f64>().ok()
        });
        figures.collect()
    };
    let (small, large) = (1000, 5000);
    if count("floor", 10).is_none() {
        println!("syscalls: `perf stat` with the syscalls tracepoints is not available here");
        return String::new();
    }
    println!(
        "system calls per round trip (perf stat, {} extra round trips per path; the child's \
         bash, sshd and simulators included, the same for every path):",
        large - small
    );
    let mut json = String::from(",\"syscalls\":{");
    let floors = ["floor", "tokio_floor", "tokio_current_thread_floor", "smol_floor"];
    for path in floors.into_iter().chain(RUNNER_PATHS) {
        let (Some(a), Some(b)) = (count(path, small), count(path, large)) else {
            println!("  {path:<26} (the child run failed)");
            continue;
        };
        let per: Vec<f64> =
            a.iter().zip(&b).map(|(a, b)| (b - a) / (large - small) as f64).collect();
        let shown: Vec<String> = SYSCALLS
            .iter()
            .zip(&per)
            .filter(|(_, n)| **n >= 0.01)
            .map(|(name, n)| format!("{name} {n:.2}"))
            .collect();
        println!("  {path:<26} {}", shown.join("  "));
        if !json.ends_with('{') {
            json.push(',');
        }
        let fields: Vec<String> =
            SYSCALLS.iter().zip(&per).map(|(name, n)| format!("\"{name}\":{n:.2}")).collect();
        json.push_str(&format!("\"{path}\":{{{}}}", fields.join(",")));
    }
    json.push('}');
    json
}

/// With `--instructions`: each path's instructions per round trip, counted by valgrind's
/// callgrind (steady on a noisy machine, unlike time; `perf stat` counters are often missing
/// in a VM). Each path runs alone in a child of this bench under callgrind, twice (`--n 20` and
/// `--n 220`): the difference of the two totals over the difference of round trips (warm-up
/// included) leaves out the setup. Everything in the process counts (the in-process TCP or
/// telnet simulator too, the same for every path): a path's count less the floor's is what
/// moler's own code costs per round trip.
///
/// With them, the first-level instruction cache misses per round trip in callgrind's model of
/// this CPU's cache (`--cache-sim=yes`: one cache for all the process's threads, taking turns as
/// they run; no kernel code): how much code a round trip runs, not only how many instructions.
/// The floor's whole round trip, simulator included, runs in about 20 KiB of hot code and
/// misses about 30 times; a path whose code and the simulator's no longer fit together in a
/// 32 KiB cache misses hundreds of times, each a stall a real CPU pays too (and more, since
/// there the kernel's code evicts as well). Returns the figures for the JSON line.
fn instructions(kind: &str) -> String {
    let has_valgrind = std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_valgrind {
        println!("instructions: no valgrind on PATH (install it to count instructions)");
        return String::new();
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    let dir = std::env::temp_dir().join(format!("moler-bench-callgrind-{}", std::process::id()));
    // Every thread's instructions, and the bench's own thread's (where the round trips are
    // timed: what a path puts between a command and its answer there, not work it leaves to
    // other threads, such as the log's flusher).
    // The events' counts on a line of callgrind's (`Ir Dr Dw I1mr …`, in that order): the
    // instructions and the first-level instruction cache misses.
    let ir_and_i1 = |counts: &str| -> Option<(u64, u64)> {
        let mut n = counts.split_whitespace().map(|c| c.replace(',', "").parse::<u64>());
        let ir = n.next()?.ok()?;
        let i1 = n.nth(2)?.ok()?;
        Some((ir, i1))
    };
    // (instructions, I1 misses) of the whole process, and its thread 1's instructions.
    let count = |path: &str, n: usize| -> Option<((u64, u64), u64)> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
        let file = dir.join("cg");
        let out = std::process::Command::new("valgrind")
            .args(["--tool=callgrind", "--separate-threads=yes", "--cache-sim=yes"])
            .arg(format!("--callgrind-out-file={}", file.display()))
            .arg(&exe)
            .args(["--bench", "--rounds", "1", "--transport", kind, "--only", path, "--n"])
            .arg(n.to_string())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        // A child that failed (a command that timed out, a panic) counted only part of its
        // round trips: no figure rather than a wrong one.
        if !out.status.success() {
            eprintln!(
                "{path} (--n {n}) under callgrind failed: {}",
                text.lines().rev().take(5).collect::<Vec<_>>().join(" / ")
            );
            return None;
        }
        let line = text.lines().find(|l| l.contains("Collected :"))?;
        let all = ir_and_i1(line.rsplit(':').next()?)?;
        // Thread 1's profile: its `totals:` (or `summary:`) line.
        let main = std::fs::read_to_string(dir.join("cg-01")).ok()?;
        let main = main
            .lines()
            .find_map(|l| l.strip_prefix("totals:").or_else(|| l.strip_prefix("summary:")))?;
        Some((all, ir_and_i1(main)?.0))
    };
    // Round trips a child makes: its warm-up (up to 100) and its `--n`.
    let trips = |n: usize| n.min(100) + n;
    let (small, large) = (20, 220);
    println!(
        "instructions and I1 misses per round trip (callgrind, {} extra round trips per path; \
         I1 misses in its model of this CPU's first-level instruction cache):",
        trips(large) - trips(small)
    );
    let mut json = String::from(",\"instructions\":{");
    let mut floor = None;
    let mut main_json = String::from(",\"instructions_own_thread\":{");
    let mut i1_json = String::from(",\"i1_misses\":{");
    for path in std::iter::once("floor").chain(RUNNER_PATHS) {
        let (Some(a), Some(b)) = (count(path, small), count(path, large)) else {
            println!("  {path:<22} (the child run failed)");
            continue;
        };
        let trips = (trips(large) - trips(small)) as f64;
        let per = b.0 .0.saturating_sub(a.0 .0) as f64 / trips;
        let i1 = b.0 .1.saturating_sub(a.0 .1) as f64 / trips;
        let main = b.1.saturating_sub(a.1) as f64 / trips;
        let over = floor.map_or(String::new(), |f: f64| format!("  moler's own: {:.0}", per - f));
        if path == "floor" {
            floor = Some(per);
        }
        println!(
            "  {path:<22} {per:>10.0}{over:<20}  on the bench's thread: {main:<6.0}  I1 misses: {i1:.0}"
        );
        for (json, figure) in [(&mut json, per), (&mut main_json, main), (&mut i1_json, i1)] {
            if !json.ends_with('{') {
                json.push(',');
            }
            json.push_str(&format!("\"{path}\":{figure:.0}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    json.push('}');
    json.push_str(&main_json);
    json.push('}');
    json.push_str(&i1_json);
    json.push('}');
    json
}
