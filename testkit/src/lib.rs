//! # moler-testkit: what the tests and benchmarks talk to
//!
//! [`Simulator`]: a TCP device on 127.0.0.1 that behaves like a terminal. It greets, shows the
//! prompt `sim> `, echoes what it is sent, answers a few commands with canned output, and on
//! request stalls, closes or resets the connection. It runs on its own thread with a
//! current-thread tokio runtime, so it holds thousands of connections cheaply.
//!
//! | command | answer |
//! |---|---|
//! | `echo TEXT` | `TEXT` |
//! | `hello` | `hello from the simulator` |
//! | `count N` | `line 1` … `line N` |
//! | `sleep MS` | nothing, after MS milliseconds |
//! | `stall` | nothing, ever: the device hangs (it keeps reading) |
//! | `close-after MS` | closes the connection (FIN) after MS milliseconds |
//! | `reset-after MS` | resets the connection (RST) after MS milliseconds |
//! | `su` | `Password: `; the next line (not echoed) is the password: `wrong` gives `su: Authentication failure`, any other the root prompt `root@sim# ` after [`SimOptions::hop_after`] |
//! | `exit` | as root: back to the first prompt; otherwise closes the connection at once |
//! | anything else | `sim: WORD: command not found` |
//! | Ctrl-C (`\x03`, anywhere) | `^C`, the line typed so far dropped |
//!
//! Every answer ends with the prompt again. Lines end with `\r\n`, as on a terminal.
//! [`SimOptions`] change the prompt and make the first prompt and the `su` hop slow, as a
//! device that boots or logs in slowly (the devices benchmark makes 1,000 of them).
//!
//! [`sshd::Sshd`]: a real OpenSSH daemon on 127.0.0.1 with its own configuration, for the SSH
//! tests. [`sshd::Sshd::start_sim`] also lets in the simulator's user, whose login shell is a
//! `moler-sim` device file: an ssh hop lands in a simulated device through real OpenSSH.
//!
//! [`FaultProxy`]: a TCP proxy on 127.0.0.1 in front of either, which cuts what it forwards
//! into 1-byte pieces, delays them, or stalls, resets or half-closes the connection after a
//! number of bytes (see [`proxy`]).
//!
//! [`RefusedPort`]: a port on 127.0.0.1 where connections are refused for as long as the test
//! holds it (a port merely found free may be taken by another test before it is used);
//! [`ServerPort`]: a port kept for a server the test starts, where no other listener can
//! appear.
//!
//! [`Rig`] and [`on_every_runner!`]: one scenario as a test on every runner (thread, tokio,
//! smol).
//!
//! [`FeedTester`] (moler-commands', re-exported): a parser fed a captured output whole, line by
//! line and in every chunk size.
//!
//! [`harness::own_test`]: a test binary with a `main` of its own (it runs itself again as a
//! child) seen by `cargo test` and `cargo nextest run` as one test.
//!
//! [`skip`]: the one way a test skips what this machine cannot do, loudly; with
//! `MOLER_NO_SKIP=1` (set by `.ci/run`) every skip is a failure instead.

pub mod harness;
pub mod ports;
pub mod proxy;
pub mod runners;
pub mod sshd;
mod wakers;

pub use moler_commands::{Feed, FeedTester};
pub use ports::{RefusedPort, ServerPort};
pub use proxy::{Fault, FaultProxy, Faults};
pub use runners::Rig;
pub use wakers::waker_unlike_its_clones;

/// The one switch that turns every skip in the suite into a failure: `MOLER_NO_SKIP=1`
/// (`.ci/run` sets it). `MOLER_REQUIRE_SSHD`, its older name, is honoured too.
pub const NO_SKIP: &str = "MOLER_NO_SKIP";

/// True when skips are forbidden ([`NO_SKIP`], or `MOLER_REQUIRE_SSHD`, set and not `0`).
pub fn skips_forbidden() -> bool {
    [NO_SKIP, "MOLER_REQUIRE_SSHD"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// Skips (part of) the current test because `why`, loudly: a `SKIPPED` line straight to the
/// process's stderr (the test harness captures `eprintln!` of passing tests, and a skip must be
/// seen). Where skips are forbidden ([`skips_forbidden`]), a panic instead.
///
/// ```
/// if !std::path::Path::new("/usr/bin/sudo").exists() {
///     moler_testkit::skip("the sudo part", "no sudo here (scripts/setup-sshd.sh installs it)");
/// }
/// ```
#[track_caller]
pub fn skip(what: &str, why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    if skips_forbidden() {
        panic!("{test}: {what} would be skipped ({why}), but {NO_SKIP} forbids skips");
    }
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED {test}: {what}: {why} ***");
}

/// Whether this process runs as root (what the tests of users, namespaces, firewalls and the
/// packages `scripts/test.sh` installs need).
pub fn is_root() -> bool {
    rustix::process::getuid().is_root()
}

/// Whether this process runs as root; if not, [`skip`]s `what` because `why` needs root.
#[track_caller]
pub fn require_root(what: &str, why: &str) -> bool {
    let root = is_root();
    if !root {
        skip(what, &format!("not root ({why})"));
    }
    root
}

/// Whether every one of `tools` is a file in a folder of `PATH`; if not, [`skip`]s the first
/// one missing, saying that `scripts/test.sh` installs it (as root), and returns false.
///
/// ```
/// if moler_testkit::require_tools(&["sh"]) {
///     // … run something that needs `sh`
/// }
/// ```
#[track_caller]
pub fn require_tools(tools: &[&str]) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing =
        tools.iter().find(|tool| !std::env::split_paths(&path).any(|d| d.join(tool).is_file()));
    if let Some(tool) = missing {
        skip(tool, &format!("{tool} is not installed (scripts/test.sh installs it as root)"));
    }
    missing.is_none()
}

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// The simulator's prompt.
pub const SIM_PROMPT: &str = "sim> ";
/// The prompt as a regex for commands.
pub const SIM_PROMPT_RE: &str = "^sim> $";
/// The first line a connection reads.
pub const SIM_BANNER: &str = "moler device simulator";

/// The root prompt `su` leads to.
pub const SIM_ROOT_PROMPT: &str = "root@sim# ";

/// How a [`Simulator`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SimOptions {
    /// The prompt (default [`SIM_PROMPT`]).
    pub prompt: String,
    /// How long a new connection waits, after the banner, before its first prompt (default
    /// none).
    pub first_prompt_after: Duration,
    /// How long `su` takes after its password before the root prompt (default none).
    pub hop_after: Duration,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            prompt: SIM_PROMPT.into(),
            first_prompt_after: Duration::ZERO,
            hop_after: Duration::ZERO,
        }
    }
}

impl SimOptions {
    /// The prompt.
    pub fn prompt(mut self, prompt: &str) -> Self {
        self.prompt = prompt.into();
        self
    }

    /// The delay before the first prompt.
    pub fn first_prompt_after(mut self, delay: Duration) -> Self {
        self.first_prompt_after = delay;
        self
    }

    /// The delay of the `su` hop.
    pub fn hop_after(mut self, delay: Duration) -> Self {
        self.hop_after = delay;
        self
    }
}

/// A running simulator; dropping it stops it and closes its connections.
pub struct Simulator {
    addr: SocketAddr,
    stop: Arc<Notify>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Simulator {
    /// Starts a simulator on a free port of 127.0.0.1.
    pub fn start() -> io::Result<Simulator> {
        Simulator::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts a simulator listening on `addr` (an example's fixed port, say).
    pub fn start_on(addr: SocketAddr) -> io::Result<Simulator> {
        Simulator::start_with(addr, SimOptions::default())
    }

    /// Starts a simulator listening on `addr` that behaves as `options` say.
    pub fn start_with(addr: SocketAddr, options: SimOptions) -> io::Result<Simulator> {
        let options = Arc::new(options);
        let std_listener = std::net::TcpListener::bind(addr)?;
        // A backlog for a thousand devices connecting at once (std listens with 128; Linux
        // takes a second `listen` as a new backlog).
        rustix::net::listen(&std_listener, 4096)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let stop = Arc::new(Notify::new());
        let accepted = Arc::new(AtomicUsize::new(0));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop2, accepted2) = (Arc::clone(&stop), Arc::clone(&accepted));
        let thread = std::thread::Builder::new().name("moler-sim".into()).spawn(move || {
            rt.block_on(async move {
                let listener = match TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => return eprintln!("simulator: {e}"),
                };
                loop {
                    tokio::select! {
                        _ = stop2.notified() => return,
                        conn = listener.accept() => match conn {
                            Ok((stream, _)) => {
                                accepted2.fetch_add(1, Ordering::Relaxed);
                                tokio::spawn(serve(stream, Arc::clone(&options)));
                            }
                            // Out of descriptors, say: back off a little, keep serving.
                            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                        },
                    }
                }
            });
        })?;
        Ok(Simulator { addr, stop, accepted, thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many connections it accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One connection: echo as a terminal does, answer each line, show the prompt.
async fn serve(mut stream: TcpStream, options: Arc<SimOptions>) {
    let _ = stream.set_nodelay(true);
    let mut shell = Shell { options, root: false, password: false };
    // The banner and the first prompt in one write unless a delay parts them (one system call
    // less per connection on both sides: 10,000 connections in the scale bench).
    let mut greeting = format!("{SIM_BANNER}\r\n");
    if !shell.options.first_prompt_after.is_zero() {
        if stream.write_all(greeting.as_bytes()).await.is_err() {
            return;
        }
        greeting.clear();
        tokio::time::sleep(shell.options.first_prompt_after).await;
    }
    greeting.push_str(shell.prompt());
    if stream.write_all(greeting.as_bytes()).await.is_err() {
        return;
    }
    let mut line = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // The echo, each answer and the next prompt go out in one write per read, as a
        // device that answers at once does (fewer wake-ups on both sides), in the order a
        // terminal shows them: each line's answer right after its echo.
        let mut out = Vec::with_capacity(n + 64);
        for &b in &buf[..n] {
            let cmd = if b == 0x03 {
                // Ctrl-C drops the line typed so far and shows a fresh prompt, as a terminal
                // does; a command that timed out sends it to get its prompt back.
                out.extend_from_slice(b"^C\r\n");
                line.clear();
                shell.password = false;
                String::new()
            } else if b == b'\n' || b == b'\r' {
                out.extend_from_slice(b"\r\n");
                let cmd = String::from_utf8_lossy(&line).into_owned();
                line.clear();
                cmd
            } else {
                // A password is not echoed.
                if !shell.password {
                    out.push(b);
                }
                line.push(b);
                continue;
            };
            let next = if std::mem::take(&mut shell.password) {
                shell.log_in(&mut stream, &mut out, &cmd).await
            } else {
                answer(&mut stream, &mut out, cmd.trim(), &mut shell).await
            };
            match next {
                Next::Prompt => out.extend_from_slice(shell.prompt().as_bytes()),
                Next::Quiet => {}
                Next::Stall => {
                    let _ = stream.write_all(&out).await;
                    let mut sink = [0u8; 4096];
                    loop {
                        // Keep reading (so the peer's writes succeed) and answer nothing.
                        match stream.read(&mut sink).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                    }
                }
                Next::End => return,
            }
        }
        if stream.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// The shell a connection is in.
struct Shell {
    options: Arc<SimOptions>,
    /// After `su`.
    root: bool,
    /// `su` asked for the password: the next line is it.
    password: bool,
}

impl Shell {
    fn prompt(&self) -> &str {
        if self.root {
            SIM_ROOT_PROMPT
        } else {
            &self.options.prompt
        }
    }

    /// `su`'s password came: root after the hop's delay, or a failure.
    async fn log_in(&mut self, stream: &mut TcpStream, out: &mut Vec<u8>, password: &str) -> Next {
        if stream.write_all(out).await.is_err() {
            return Next::End;
        }
        out.clear();
        if !self.options.hop_after.is_zero() {
            tokio::time::sleep(self.options.hop_after).await;
        }
        if password.trim() == "wrong" {
            out.extend_from_slice(b"su: Authentication failure\r\n");
        } else {
            self.root = true;
        }
        Next::Prompt
    }
}

enum Next {
    Prompt,
    /// Nothing more to show now (`su` waits for the password).
    Quiet,
    Stall,
    End,
}

/// Appends the answer to `cmd` to `out`; writes `out` itself before any pause or close.
async fn answer(stream: &mut TcpStream, out: &mut Vec<u8>, cmd: &str, shell: &mut Shell) -> Next {
    let (word, arg) = cmd.split_once(' ').map_or((cmd, ""), |(w, a)| (w, a.trim()));
    let ms = || Duration::from_millis(arg.parse().unwrap_or(0));
    match word {
        "" => {}
        "echo" => out.extend_from_slice(format!("{arg}\r\n").as_bytes()),
        "hello" => out.extend_from_slice(b"hello from the simulator\r\n"),
        "count" => {
            let n: usize = arg.parse().unwrap_or(0);
            for i in 1..=n {
                out.extend_from_slice(format!("line {i}\r\n").as_bytes());
            }
        }
        "sleep" | "close-after" | "reset-after" => {
            if stream.write_all(out).await.is_err() {
                return Next::End;
            }
            out.clear();
            tokio::time::sleep(ms()).await;
            match word {
                "close-after" => {
                    let _ = stream.shutdown().await;
                    return Next::End;
                }
                "reset-after" => {
                    // Closing with a zero linger sends RST instead of FIN.
                    let _ = stream.set_zero_linger();
                    return Next::End;
                }
                _ => {}
            }
        }
        "stall" => return Next::Stall,
        "su" => {
            out.extend_from_slice(b"Password: ");
            shell.password = true;
            return Next::Quiet;
        }
        "exit" if shell.root => shell.root = false,
        "exit" => {
            let _ = stream.write_all(out).await;
            return Next::End;
        }
        other => out.extend_from_slice(format!("sim: {other}: command not found\r\n").as_bytes()),
    }
    Next::Prompt
}

/// The state letter of process `pid` from `/proc/PID/stat` (`R`, `S`, `Z` for a zombie…);
/// `None` once it is gone (reaped).
///
/// ```
/// assert_eq!(moler_testkit::process_state(std::process::id()), Some('R'));
/// ```
pub fn process_state(pid: impl std::fmt::Display) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ...; comm may hold spaces and parentheses.
    stat[stat.rfind(')')? + 1..].split_whitespace().next()?.chars().next()
}

/// A tour of `states` in which every ordered pair of different states comes once as two
/// consecutive stops (an Eulerian circuit of the complete directed graph, from the first
/// state): what a test of "every state change" walks, n·(n−1) moves instead of twice as many.
///
/// ```
/// let tour = moler_testkit::every_ordered_pair(&["A", "B", "C"]);
/// assert_eq!(tour.len(), 3 * 2 + 1);
/// let mut pairs: Vec<_> = tour.windows(2).map(|w| (w[0], w[1])).collect();
/// pairs.sort();
/// assert_eq!(pairs, [("A", "B"), ("A", "C"), ("B", "A"), ("B", "C"), ("C", "A"), ("C", "B")]);
/// ```
pub fn every_ordered_pair<'a>(states: &[&'a str]) -> Vec<&'a str> {
    let n = states.len();
    if n < 2 {
        return states.to_vec();
    }
    // Hierholzer's algorithm: each state's unused ways out, taken last first.
    let mut out: Vec<Vec<usize>> =
        (0..n).map(|i| (0..n).rev().filter(|&j| j != i).collect()).collect();
    let mut stack = vec![0];
    let mut tour = Vec::new();
    while let Some(&at) = stack.last() {
        match out[at].pop() {
            Some(next) => stack.push(next),
            None => tour.push(stack.pop().expect("not empty")),
        }
    }
    tour.reverse();
    tour.into_iter().map(|i| states[i]).collect()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn a_missing_tool_is_a_loud_skip_or_a_failure() {
        assert!(require_tools(&["sh", "cat"]));
        let missing = || require_tools(&["sh", "moler-no-such-tool"]);
        if skips_forbidden() {
            let panicked = std::panic::catch_unwind(missing).unwrap_err();
            let text = panicked.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(
                text.contains(
                    "moler-no-such-tool would be skipped (moler-no-such-tool is not installed"
                ),
                "{text}"
            );
        } else {
            assert!(!missing());
        }
    }

    /// Reads until `want` has come (or the peer closed), returning what came.
    fn read_until(peer: &mut TcpStream, want: &str) -> String {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains(want) {
            match peer.read(&mut buf).unwrap() {
                0 => break,
                n => seen.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    }

    #[test]
    fn a_stopped_simulator_closes_its_connections_and_accepts_no_more() {
        let sim = Simulator::start().unwrap();
        let timeout = Some(Duration::from_secs(20));
        let mut peers: Vec<TcpStream> = (0..3)
            .map(|_| {
                let peer = TcpStream::connect(sim.addr()).unwrap();
                peer.set_read_timeout(timeout).unwrap();
                peer
            })
            .collect();
        for peer in &mut peers {
            assert_eq!(read_until(peer, SIM_PROMPT), format!("{SIM_BANNER}\r\n{SIM_PROMPT}"));
            peer.write_all(b"echo hi\n").unwrap();
            assert!(read_until(peer, "hi\r\nsim> ").ends_with("hi\r\nsim> "));
        }
        assert_eq!(sim.accepted(), 3);
        let addr = sim.addr();
        drop(sim);
        for peer in &mut peers {
            let mut buf = [0u8; 64];
            assert_eq!(peer.read(&mut buf).unwrap(), 0, "the connection ends with the simulator");
        }
        let refused = TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn a_simulator_stops_while_nobody_connects() {
        for _ in 0..20 {
            drop(Simulator::start().unwrap());
        }
    }
}

/// A test's own folder under the system's temporary one (`moler-NAME-PID-N`, N counting the
/// folders the process made: tests running at once in one process each get theirs), removed
/// when dropped, unless the test is failing: then it is kept, and its path printed, for a look
/// at what the test wrote.
///
/// ```
/// let dir = moler_testkit::TempDir::new("doc-example");
/// std::fs::write(dir.join("a.yml"), "DEVICES: {}\n").unwrap();
/// let path = dir.to_path_buf();
/// drop(dir);
/// assert!(!path.exists());
/// ```
#[derive(Debug)]
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// Makes `moler-NAME-PID-N` in the temporary folder (removing one left by an earlier run).
    pub fn new(name: &str) -> TempDir {
        static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("moler-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot make {}: {e}", dir.display()));
        TempDir(dir)
    }
}

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the test's files are kept in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A file's path in a [`TempDir`] of its own, which goes with it.
#[derive(Debug)]
pub struct TempFile {
    path: std::path::PathBuf,
    _dir: TempDir,
}

impl TempFile {
    /// `name` in `dir` (not made: write it).
    pub fn new(dir: TempDir, name: &str) -> TempFile {
        TempFile { path: dir.join(name), _dir: dir }
    }
}

impl std::ops::Deref for TempFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.path
    }
}

impl AsRef<std::path::Path> for TempFile {
    fn as_ref(&self) -> &std::path::Path {
        &self.path
    }
}
