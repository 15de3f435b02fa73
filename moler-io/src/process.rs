//! The process transport: a child process over pipes (a tool with a text interface, a device
//! console reached through a helper program).
//!
//! What the connection reads is the child's stdout; what it writes goes to the child's stdin.
//! **stderr** is merged into the same stream by default ([`Stderr::Merge`], the order of
//! interleaved stdout and stderr writes is kept as the child made them); it can also be
//! discarded or inherited from this process. There is no terminal: the child sees pipes, so
//! nothing echoes the command lines (use `Command::expect_echo(false)`), and programs that
//! check for a terminal may buffer their output or prompt differently.
//!
//! The child exiting closes the connection (the end of its stdout). Closing the connection
//! sends the child SIGTERM and gives it [`TERM_GRACE`] (500 ms, [`ProcessOptions::term_grace`])
//! to clean up (a `trap … TERM`, `tcpdump -w` flushing its file) before SIGKILL; it is then
//! reaped. That wait runs on a thread of its own, never on the runner's. A program that ends
//! with a child still running (connections left open, or closed just before the end) asks it to
//! end the same way as it exits, waiting for all of them together, at most the longest grace:
//! a test script leaves no child of its own behind. One that is killed (SIGKILL), aborts or
//! crashes runs no code of its own at all: its children get no grace then, the kernel kills
//! them (SIGKILL) as the program dies, their parent-death signal.

use std::ffi::OsString;
use std::io;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustix::process::{kill_process, Pid, Signal};

use crate::fd::FdStream;
use crate::reap::{self, Tracked};
use crate::{Close, Error, Greeting, Stream, Transport};

/// Where the child's stderr goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stderr {
    /// Into the connection's stream, with stdout (default).
    #[default]
    Merge,
    /// Discarded.
    Null,
    /// To this process's stderr.
    Inherit,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ProcessOptions {
    /// The program (looked up in `PATH` when it has no slash).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Extra environment variables.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory (default: the current one).
    pub cwd: Option<PathBuf>,
    /// Where stderr goes (default: merged into the stream).
    pub stderr: Stderr,
    /// What the child prints once it is ready (a banner, then its prompt), if commands must
    /// wait for it (default none).
    pub greeting: Option<Greeting>,
    /// How long the child gets to end after the connection closes (SIGTERM) before it is
    /// killed (SIGKILL): time to clean up (default [`TERM_GRACE`], 500 ms; zero kills at once).
    pub term_grace: Duration,
}

/// How long a child gets to end after its connection closes, unless told otherwise
/// ([`ProcessOptions::term_grace`]): time to flush a capture file or remove a lock, as
/// `tcpdump -w` or a tool's `trap … TERM` does.
pub const TERM_GRACE: Duration = Duration::from_millis(500);

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            program: OsString::new(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            stderr: Stderr::default(),
            greeting: None,
            term_grace: TERM_GRACE,
        }
    }
}

impl ProcessOptions {
    /// Runs `program` with `args`.
    pub fn new<I, S>(program: impl Into<OsString>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// Starts the child. An error names the program ([`Error::Spawn`]: `spawn "nosuch"`) and keeps
/// the cause as its source (`No such file or directory (os error 2)`).
///
/// ```
/// use std::io::{Read, Write};
/// use moler_io::process::{spawn, ProcessOptions};
///
/// let mut io = spawn(&ProcessOptions::new("cat", ["-u"]))?.into_blocking();
/// io.write_all(b"hello\n")?;
/// let mut seen = [0; 6];
/// io.read_exact(&mut seen)?;
/// assert_eq!(&seen, b"hello\n");
/// let missing = spawn(&ProcessOptions::new("no-such-program", [""; 0])).unwrap_err();
/// assert_eq!(missing.to_string(), "spawn \"no-such-program\"");
/// assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spawn(options: &ProcessOptions) -> Result<Transport, Error> {
    let name = options.program.to_string_lossy().into_owned();
    let named = |source: io::Error| Error::Spawn { program: name.clone(), source };
    let mut cmd = Command::new(&options.program);
    cmd.args(&options.args).stdin(Stdio::piped());
    for (k, v) in &options.env {
        cmd.env(k, v);
    }
    if let Some(dir) = &options.cwd {
        cmd.current_dir(dir);
    }
    let merged_read = match options.stderr {
        Stderr::Merge => {
            let (read, write) = rustix::pipe::pipe().map_err(|e| named(e.into()))?;
            cmd.stdout(Stdio::from(write.try_clone().map_err(named)?)).stderr(Stdio::from(write));
            Some(read)
        }
        Stderr::Null => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::null());
            None
        }
        Stderr::Inherit => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
            None
        }
    };
    // Killed by the kernel should this program die without ending it (see `reap.rs`). The
    // command, which keeps our copies of the pipe's write end, is dropped right after the
    // spawn: kept, the stream would never end when the child exits.
    let mut child = reap::spawn_child(cmd).map_err(named)?;
    let stdin: OwnedFd = child.stdin.take().expect("stdin is piped").into();
    let stdout: OwnedFd = match merged_read {
        Some(read) => read,
        None => child.stdout.take().expect("stdout is piped").into(),
    };
    let pid = Pid::from_raw(child.id() as i32);
    Ok(Transport {
        name: format!("process:{name}"),
        control: None,
        stream: Stream::Fd(Box::new(FdStream::pair(stdout, stdin).map_err(named)?)),
        closer: Arc::new(ProcessCloser {
            pid,
            tracked: pid.and_then(|pid| reap::track(pid, options.term_grace)),
            closed: AtomicBool::new(false),
            child: Mutex::new(Some(child)),
        }),
        greeting: options.greeting.clone(),
    })
}

struct ProcessCloser {
    pid: Option<Pid>,
    /// The child's pidfd, for its end after the transport (see `reap.rs`); `None` without
    /// pidfds.
    tracked: Option<Tracked>,
    closed: AtomicBool,
    child: Mutex<Option<Child>>,
}

impl Close for ProcessCloser {
    /// Asks the child to end (SIGTERM); its stdout then ends too.
    fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(tracked) = &self.tracked {
            // Through the pidfd: nothing if the child is already reaped.
            tracked.signal(Signal::TERM);
            return;
        }
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        let running = child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)));
        if let (true, Some(pid)) = (running, self.pid) {
            let _ = kill_process(pid, Signal::TERM);
        }
    }
}

impl Drop for ProcessCloser {
    /// Ends the child and reaps it, so no zombie is left: one that has not exited yet gets
    /// its `term_grace` after its SIGTERM, waited for on a thread of its own, before SIGKILL.
    fn drop(&mut self) {
        self.close();
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        let Some(mut child) = child.take() else { return };
        if matches!(child.try_wait(), Ok(None)) {
            match self.tracked.take() {
                Some(tracked) => {
                    return reap::end_in_background(tracked, move || drop(child.wait()));
                }
                // No pidfds: killed at once.
                None => drop(child.kill()),
            }
        }
        let _ = child.wait();
    }
}
