//! The terminal transport: a local `bash` in a pseudo-terminal.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

use crate::{BlockingIo, Close};

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

/// The line that prepares the shell: no bracketed paste, no `PROMPT_COMMAND`, the moler prompt.
/// `printf` prints a marker that differs from its own echo.
const SETUP: &str = "bind 'set enable-bracketed-paste off' 2>/dev/null; unset PROMPT_COMMAND; \
                     PS1='moler_bash# '; PS2=''; printf 'MOLER_%s\\n' READY\n";
const READY: &str = "MOLER_READY";

/// Starts `bash` in a pseudo-terminal and waits until it shows the `moler_bash# ` prompt. The
/// first prompt is consumed: the first command's echo is the first thing read.
///
/// ```
/// use std::io::{Read, Write};
/// let mut io = moler_io::terminal::open(&Default::default()).unwrap();
/// io.writer.write_all(b"echo $((6*7))\n").unwrap();
/// let mut seen = Vec::new();
/// let mut buf = [0; 1024];
/// while !String::from_utf8_lossy(&seen).ends_with("moler_bash# ") {
///     let n = io.reader.read(&mut buf).unwrap();
///     seen.extend_from_slice(&buf[..n]);
/// }
/// assert!(String::from_utf8_lossy(&seen).contains("42\r\n"));
/// ```
pub fn open(options: &TerminalOptions) -> io::Result<BlockingIo> {
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
    cmd.env("PS1", PROMPT);
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
    let mut reader = PtyReader(pty.master.try_clone_reader().map_err(other)?);
    let mut writer = pty.master.take_writer().map_err(other)?;
    let closer = Arc::new(TerminalCloser {
        pid,
        closed: AtomicBool::new(false),
        child: Mutex::new(Some(child)),
        master: Mutex::new(Some(pty.master)),
    });
    writer.write_all(SETUP.as_bytes())?;
    writer.flush()?;
    wait_ready(&mut reader, &closer, options.ready_timeout)?;
    Ok(BlockingIo {
        name: format!("terminal:{}", options.shell),
        reader: Box::new(reader),
        writer,
        closer,
    })
}

/// Reads until the marker and then the prompt appeared; a watchdog closes the terminal if the
/// shell takes longer than `timeout` (which ends the read).
fn wait_ready(
    reader: &mut PtyReader,
    closer: &Arc<TerminalCloser>,
    timeout: Duration,
) -> io::Result<()> {
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (done, closer) = (Arc::clone(&done), Arc::clone(closer));
        std::thread::spawn(move || {
            let deadline = Instant::now() + timeout;
            while !done.load(Ordering::Acquire) {
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    closer.close();
                    return;
                };
                std::thread::park_timeout(left);
            }
        })
    };
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let result = loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                break Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the shell did not show its prompt within {timeout:?} (it printed {:?})",
                        String::from_utf8_lossy(&seen)
                    ),
                ))
            }
            Ok(n) => {
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen);
                if let Some(at) = text.rfind(READY) {
                    if text[at..].ends_with(PROMPT) {
                        break Ok(());
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    done.store(true, Ordering::Release);
    watchdog.thread().unpark();
    let _ = watchdog.join();
    result
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Linux reports the end of a pseudo-terminal (the shell exited) as `EIO`: that is end of stream.
struct PtyReader(Box<dyn Read + Send>);

impl Read for PtyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf) {
            Err(e) if e.raw_os_error() == Some(libc::EIO) => Ok(0),
            r => r,
        }
    }
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
        signal(self.pid.map(|p| p as i32), libc::SIGHUP);
        // The foreground job too, in case it ignores the shell's forwarded hang-up.
        if group.is_some_and(|g| Some(g as u32) != self.pid) {
            signal(group.map(|g| -g), libc::SIGHUP);
        }
    }
}

#[allow(unsafe_code)]
fn signal(pid: Option<i32>, sig: libc::c_int) {
    if let Some(pid) = pid.filter(|&p| p != 0 && p != -1) {
        // SAFETY: kill(2) only sends a signal; a stale pid at worst gets ESRCH.
        unsafe {
            libc::kill(pid, sig);
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
                signal(self.pid.map(|p| p as i32), libc::SIGKILL);
            }
            let _ = child.wait();
        }
    }
}
