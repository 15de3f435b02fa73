//! The terminal transport: a local `bash` in a pseudo-terminal.

use std::io::{self, Write};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use rustix::process::{kill_process, kill_process_group, Pid, Signal};

use crate::fd::FdStream;
use crate::{Close, Greeting, Stream, Transport};

/// The prompt the terminal sets, as a regex for commands: `^moler_bash# `.
pub const PROMPT: &str = "moler_bash# ";

/// How to start the local shell.
#[derive(Debug, Clone)]
pub struct TerminalOptions {
    /// The shell to run (default `bash`); it must understand `bind`, `PS1` and `printf`.
    pub shell: String,
    /// Window width; wide so command echoes do not wrap (default 300).
    pub cols: u16,
    /// Window height (default 50).
    pub rows: u16,
    /// Working directory (default: the current one).
    pub cwd: Option<PathBuf>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// How long the shell may take to show its first prompt (default 10 s).
    pub ready_timeout: Duration,
}

impl Default for TerminalOptions {
    fn default() -> Self {
        Self {
            shell: "bash".into(),
            cols: 300,
            rows: 50,
            cwd: None,
            env: Vec::new(),
            ready_timeout: Duration::from_secs(10),
        }
    }
}

/// The line that prepares a bash (local, or remote over SSH): no bracketed paste, no
/// `PROMPT_COMMAND`, `prompt` as the prompt, then [`READY`]. `printf` prints the marker so that
/// it differs from its own echo.
///
/// The prompt is written with an empty `\[\]` after its first character (pexpect's trick):
/// bash shows exactly `prompt`, but the variable's text differs from it, so a command that
/// prints `$PS1` (`echo "$PS1"`, `set`, `declare -p`) prints no prompt and cannot end itself
/// (or the next command) early.
pub(crate) fn bash_setup(prompt: &str) -> String {
    format!(
        "bind 'set enable-bracketed-paste off' 2>/dev/null; unset PROMPT_COMMAND; \
         PS1='{}'; PS2=''; printf 'MOLER_%s\\n' READY\n",
        ps1_source(prompt)
    )
}

/// `prompt` as a `PS1` whose text differs from what bash displays (see [`bash_setup`]).
pub(crate) fn ps1_source(prompt: &str) -> String {
    let mut chars = prompt.chars();
    match chars.next() {
        Some(first) => format!("{first}\\[\\]{}", chars.as_str()),
        None => String::new(),
    }
}

/// The marker [`bash_setup`] prints once the shell is set up.
pub(crate) const READY: &str = "MOLER_READY";

/// Starts `bash` in a pseudo-terminal and sends it the setup line. The transport's
/// [`Greeting`] is the setup's marker followed by the first prompt: a runner waits for it before
/// the first command, so that command's echo is the first thing it reads. Opening does not
/// wait for the shell; a shell that never shows its prompt closes the connection with an error
/// saying what it printed.
///
/// ```
/// use std::io::{Read, Write};
/// let mut io = moler_io::terminal::open(&Default::default()).unwrap().into_blocking();
/// io.write_all(b"echo $((6*7))\n").unwrap();
/// let mut seen = Vec::new();
/// let mut buf = [0; 1024];
/// while !String::from_utf8_lossy(&seen).contains("42\r\nmoler_bash# ") {
///     let n = io.read(&mut buf).unwrap();
///     seen.extend_from_slice(&buf[..n]);
/// }
/// ```
pub fn open(options: &TerminalOptions) -> io::Result<Transport> {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: options.rows,
            cols: options.cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(other)?;
    let mut cmd = CommandBuilder::new(&options.shell);
    cmd.args(["--noprofile", "--norc", "-i"]);
    cmd.env("TERM", "xterm-mono");
    cmd.env("PS1", ps1_source(PROMPT));
    cmd.env_remove("PROMPT_COMMAND");
    for (k, v) in &options.env {
        cmd.env(k, v);
    }
    match &options.cwd {
        Some(dir) => cmd.cwd(dir),
        None => cmd.cwd(std::env::current_dir()?),
    }
    let child = pty.slave.spawn_command(cmd).map_err(other)?;
    // The slave must close in this process, or reads never see the end of the stream.
    drop(pty.slave);
    let pid = child.process_id();
    let master = dup_master(pty.master.as_ref())?;
    let closer = Arc::new(TerminalCloser {
        pid,
        closed: AtomicBool::new(false),
        child: Mutex::new(Some(child)),
        master: Mutex::new(Some(pty.master)),
    });
    let transport = Transport {
        name: format!("terminal:{}", options.shell),
        stream: Stream::Fd(Box::new(FdStream::new(master)?.pty())),
        closer,
        greeting: Some(Greeting {
            marker: READY.into(),
            prompt: PROMPT.into(),
            timeout: options.ready_timeout,
        }),
    };
    let mut io = transport.into_blocking();
    // A fresh pty takes a line this short at once; this never waits for the shell.
    io.write_all(bash_setup(PROMPT).as_bytes())?;
    Ok(io.into_transport())
}

/// Our own descriptor of the pty master (the pty stays open while either is).
#[allow(unsafe_code)]
fn dup_master(master: &dyn MasterPty) -> io::Result<OwnedFd> {
    let raw = master.as_raw_fd().ok_or_else(|| other("the pty has no master descriptor"))?;
    // SAFETY: `raw` is the master's open descriptor, which `master` keeps open for the duration
    // of this borrow; `dup` makes an independent one that we own.
    let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
    Ok(rustix::io::fcntl_dupfd_cloexec(borrowed, 0)?)
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

struct TerminalCloser {
    pid: Option<u32>,
    closed: AtomicBool,
    child: Mutex<Option<Box<dyn Child + Send + Sync>>>,
    master: Mutex<Option<Box<dyn MasterPty + Send>>>,
}

impl Close for TerminalCloser {
    /// Hangs the shell up: bash passes SIGHUP on to its jobs and exits, so the terminal's last
    /// user goes away and the reader sees the end of the stream.
    fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let master = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        let group = master.as_ref().and_then(|m| m.process_group_leader());
        drop(master);
        let shell = self.pid.and_then(|p| Pid::from_raw(p as i32));
        if let Some(pid) = shell {
            let _ = kill_process(pid, Signal::HUP);
        }
        // The foreground job too, in case it ignores the shell's forwarded hang-up.
        if let Some(group) = group.and_then(Pid::from_raw).filter(|g| Some(*g) != shell) {
            let _ = kill_process_group(group, Signal::HUP);
        }
    }
}

impl Drop for TerminalCloser {
    /// Reaps the shell so no zombie is left: it got SIGHUP on close; SIGKILL if still alive.
    fn drop(&mut self) {
        self.close();
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut child) = child.take() {
            if !matches!(child.try_wait(), Ok(Some(_))) {
                if let Some(pid) = self.pid.and_then(|p| Pid::from_raw(p as i32)) {
                    let _ = kill_process(pid, Signal::KILL);
                }
            }
            let _ = child.wait();
        }
    }
}
