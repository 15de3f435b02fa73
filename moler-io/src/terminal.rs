//! The terminal transport: a local `bash` in a pseudo-terminal.

use std::io::Write;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use rustix::process::{kill_process, kill_process_group, Pid, Signal};

use crate::fd::FdStream;
use crate::{Close, Error, Greeting, Stream, Transport};

/// The prompt the terminal sets, as a regex for commands: `^moler_bash# `.
pub const PROMPT: &str = "moler_bash# ";

/// How to start the local shell.
#[derive(Debug, Clone)]
pub struct TerminalOptions {
    /// The shell to run: a name found on `PATH` or a path. Default: `bash` when the machine
    /// has it, else `sh` ([`choose_shell`]). A bash gets bash's setup (no bracketed paste, no
    /// `PROMPT_COMMAND`); any other shell a POSIX one (`PS1`, `printf`).
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
            shell: choose_shell(std::env::var_os("PATH").as_deref()).shell.into(),
            cols: 300,
            rows: 50,
            cwd: None,
            env: Vec::new(),
            ready_timeout: Duration::from_secs(10),
        }
    }
}

/// The shell a terminal gets when none is asked for, and why (what `moler check-config` says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellChoice {
    /// `bash` or `sh`.
    pub shell: &'static str,
    /// Why: `bash is on PATH`, `no bash on PATH`.
    pub why: &'static str,
}

/// `bash` when a directory of `path` (a `PATH` value) holds an executable `bash`, else `sh`.
///
/// ```
/// let choice = moler_io::terminal::choose_shell(Some(std::ffi::OsStr::new("/nonexistent")));
/// assert_eq!((choice.shell, choice.why), ("sh", "no bash on PATH"));
/// ```
pub fn choose_shell(path: Option<&std::ffi::OsStr>) -> ShellChoice {
    match find_program("bash", path) {
        Some(_) => ShellChoice { shell: "bash", why: "bash is on PATH" },
        None => ShellChoice { shell: "sh", why: "no bash on PATH" },
    }
}

/// The executable `name` in a directory of this process's `PATH`, if any.
pub fn on_path(name: &str) -> Option<PathBuf> {
    find_program(name, std::env::var_os("PATH").as_deref())
}

/// The executable `name` in a directory of `path` (a `PATH` value), if any.
pub fn find_program(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path?).map(|dir| dir.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Whether `shell` (a name or a path) is a bash.
fn is_bash(shell: &str) -> bool {
    std::path::Path::new(shell).file_name().is_some_and(|n| n == "bash")
}

/// The line that prepares a POSIX shell that is not bash (dash, busybox sh): `prompt` as the
/// prompt (plain: such shells have no `\[\]`), then [`READY`].
fn posix_setup(prompt: &str) -> String {
    format!("PS1='{prompt}'; PS2=''; printf 'MOLER_%s\\n' READY\n")
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
pub fn open(options: &TerminalOptions) -> Result<Transport, Error> {
    let failed = |step: &'static str| {
        move |source: Box<dyn std::error::Error + Send + Sync>| Error::Terminal {
            shell: options.shell.clone(),
            step,
            source,
        }
    };
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: options.rows,
            cols: options.cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| failed("open a pseudo-terminal")(e.into()))?;
    let bash = is_bash(&options.shell);
    let mut cmd = CommandBuilder::new(&options.shell);
    if bash {
        cmd.args(["--noprofile", "--norc", "-i"]);
        cmd.env("PS1", ps1_source(PROMPT));
    } else {
        cmd.args(["-i"]);
        cmd.env("PS1", PROMPT);
        // A POSIX shell started with -i reads $ENV: none.
        cmd.env_remove("ENV");
    }
    cmd.env("TERM", "xterm-mono");
    cmd.env_remove("PROMPT_COMMAND");
    for (k, v) in &options.env {
        cmd.env(k, v);
    }
    match &options.cwd {
        Some(dir) => cmd.cwd(dir),
        None => cmd.cwd(
            std::env::current_dir().map_err(|e| failed("read the current directory")(e.into()))?,
        ),
    }
    let child = pty.slave.spawn_command(cmd).map_err(|e| failed("start the shell")(e.into()))?;
    // The slave must close in this process, or reads never see the end of the stream.
    drop(pty.slave);
    let pid = child.process_id();
    let master = dup_master(pty.master.as_ref()).map_err(failed("take the pty master"))?;
    // Tracked so that a program that ends with the shell still running ends its session too.
    let tracked = pid.and_then(|p| Pid::from_raw(p as i32)).and_then(|shell| {
        crate::reap::track_session(shell, HANGUP_GRACE, move || kill_session(shell))
    });
    let closer = Arc::new(TerminalCloser {
        pid,
        tracked,
        closed: AtomicBool::new(false),
        child: Mutex::new(Some(child)),
        master: Mutex::new(Some(pty.master)),
    });
    let transport = Transport {
        name: format!("terminal:{}", options.shell),
        control: None,
        stream: Stream::Fd(Box::new(
            FdStream::new(master).map_err(|e| failed("make the pty non-blocking")(e.into()))?.pty(),
        )),
        closer,
        greeting: Some(Greeting {
            marker: READY.into(),
            prompt: PROMPT.into(),
            timeout: options.ready_timeout,
        }),
    };
    let mut io = transport.into_blocking();
    // A fresh pty takes a line this short at once; this never waits for the shell.
    let setup = if bash { bash_setup(PROMPT) } else { posix_setup(PROMPT) };
    io.write_all(setup.as_bytes()).map_err(|e| failed("send the setup line")(e.into()))?;
    Ok(io.into_transport())
}

/// Our own descriptor of the pty master (the pty stays open while either is).
#[allow(unsafe_code)]
pub(crate) fn dup_master(
    master: &dyn MasterPty,
) -> Result<OwnedFd, Box<dyn std::error::Error + Send + Sync>> {
    let raw = master.as_raw_fd().ok_or("the pty has no master descriptor")?;
    // SAFETY: `raw` is the master's open descriptor, which `master` keeps open for the duration
    // of this borrow; `dup` makes an independent one that we own.
    let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
    Ok(rustix::io::fcntl_dupfd_cloexec(borrowed, 0)?)
}

struct TerminalCloser {
    pid: Option<u32>,
    /// The shell, for the exit hook (`None` without pidfds).
    tracked: Option<crate::reap::Tracked>,
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

/// How long a hung-up shell gets to pass the hang-up on to its jobs and exit before what is
/// left of its session is killed. Bash takes milliseconds; the wait ends as soon as it exits.
const HANGUP_GRACE: Duration = Duration::from_millis(500);

impl Drop for TerminalCloser {
    /// Ends the shell and everything it started, then reaps it. The hang-up of
    /// [`Close::close`] makes bash pass SIGHUP on to its jobs and exit; once it has (or after
    /// [`HANGUP_GRACE`]), every process still in the pty's session is killed: jobs that ignore
    /// the hang-up (`nohup`, `trap '' HUP`) and a shell that does. Only a process that left the
    /// session (`setsid`, a daemon) outlives the connection.
    ///
    /// The wait and the sweep run on a thread of their own: the drop runs on the runner's
    /// thread (an executor's worker), which must not wait for a shell. Should the program end
    /// meanwhile, its exit hook does the same (`reap::track_session`).
    fn drop(&mut self) {
        self.close();
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        let Some(mut child) = child.take() else { return };
        let shell = self.pid.and_then(|p| Pid::from_raw(p as i32));
        let tracked = self.tracked.take();
        crate::reap::in_background(move || {
            if let Some(shell) = shell {
                // The shell is not reaped before the sweep, so its pid (the session's id)
                // cannot be reused by another session meanwhile.
                wait_for_exit(shell, HANGUP_GRACE);
                match &tracked {
                    Some(tracked) => tracked.sweep(),
                    None => kill_session(shell),
                }
            }
            drop(tracked);
            let _ = child.wait();
        });
    }
}

/// Waits until `pid` (a child not yet reaped) exits, at most `grace`: woken by its pidfd as it
/// exits, or, where pidfds are missing, by looking every few milliseconds.
fn wait_for_exit(pid: Pid, grace: Duration) {
    let deadline = Instant::now() + grace;
    if crate::reap::wait_for(pid, deadline).is_some() {
        return;
    }
    while Instant::now() < deadline && !matches!(process_state(pid), None | Some('Z')) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Kills every live process of the session led by `leader`, with their process groups (a job
/// may fork while it is killed: a group kill reaches the new process too).
fn kill_session(leader: Pid) {
    // A few rounds: a process being killed may still show up in the next look.
    for _ in 0..3 {
        let members = session_members(leader);
        if members.is_empty() {
            return;
        }
        for (pid, group) in members {
            if let Some(group) = group {
                let _ = kill_process_group(group, Signal::KILL);
            }
            let _ = kill_process(pid, Signal::KILL);
        }
    }
}

/// The live (not zombie) processes of the session `sid`, with their process groups, from
/// `/proc/<pid>/stat`.
fn session_members(sid: Pid) -> Vec<(Pid, Option<Pid>)> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let sid = sid.as_raw_nonzero().get().to_string();
    dir.filter_map(|e| {
        let name = e.ok()?.file_name();
        let pid = Pid::from_raw(name.to_str()?.parse().ok()?)?;
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())).ok()?;
        // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().take(4).collect();
        if fields.len() < 4 || fields[0] == "Z" || fields[3] != sid {
            return None;
        }
        Some((pid, fields[2].parse().ok().and_then(Pid::from_raw)))
    })
    .collect()
}

/// The state letter of `pid` (`R`, `S`, `Z`…), `None` once it is gone.
pub(crate) fn process_state(pid: Pid) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().next()?.chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closing hangs the shell up, and bash passes the hang-up on to its jobs before anything
    /// is killed: a job's HUP trap runs (its clean-up), on the close, before any drop.
    #[test]
    fn closing_hangs_the_shells_jobs_up() {
        let dir = std::env::temp_dir().join(format!("moler-terminal-hup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let transport = open(&TerminalOptions::default()).unwrap();
        let closer = Arc::clone(&transport.closer);
        let mut io = transport.into_blocking();
        let d = dir.display();
        let job = format!(
            "sh -c 'trap \"echo hup > {d}/hup; exit 0\" HUP; touch {d}/ready; \
             while :; do sleep 0.05; done' &\n"
        );
        io.write_all(job.as_bytes()).unwrap();
        let wait_for = |name: &str| crate::test_support::eventually(|| dir.join(name).exists());
        assert!(wait_for("ready"), "the job never started");
        closer.close();
        let hung_up = wait_for("hup");
        let _ = std::fs::remove_dir_all(&dir);
        drop((io, closer));
        assert!(hung_up, "the job's HUP trap never ran");
    }
}
