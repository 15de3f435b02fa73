//! The OpenSSH client as a transport: `ssh` in a pseudo-terminal, logged in by the transport
//! (the password answered, the host-key policy given as options), handed over once OpenSSH
//! says it is authenticated. What `sshshell` uses when the build has no libssh2 (the `ssh`
//! feature left out), or when a connection asks for it (`client: openssh`).
//!
//! OpenSSH runs with `LogLevel=VERBOSE`, which makes it print `Authenticated to …` once the
//! server took the login: the transport reads up to that line (a byte at a time, so nothing
//! of the remote shell's output is taken) and the stream starts with what the shell prints
//! first. Anything else before it (`Permission denied`, `Host key verification failed`,
//! `Connection refused`, a second password question) fails the opening with OpenSSH's own
//! words; a server that says nothing fails after `connect_timeout`.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use rustix::process::{Pid, Signal};

use crate::fd::FdStream;
use crate::reap::{self, Tracked};
use crate::{Close, Error, Greeting, Stream, Transport};

/// How the OpenSSH client checks the server's host key (its `StrictHostKeyChecking`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyChecking {
    /// Only keys already in the known-hosts file (`yes`).
    Strict,
    /// New hosts' keys are recorded, changed keys refused (`accept-new`).
    #[default]
    AcceptNew,
    /// No check (`no`).
    Off,
}

/// How to log in with the OpenSSH client.
#[derive(Debug, Clone)]
pub struct OpenSshOptions {
    /// The program (default `ssh`, found on `PATH`).
    pub program: PathBuf,
    /// The server.
    pub host: String,
    /// Its port (default 22).
    pub port: u16,
    /// The user.
    pub user: String,
    /// The password, answered to OpenSSH's question (never logged).
    pub password: Option<String>,
    /// A private key file (`-i`).
    pub key_file: Option<PathBuf>,
    /// The known-hosts file (default OpenSSH's own).
    pub known_hosts_file: Option<PathBuf>,
    /// The host-key policy.
    pub host_key_checking: HostKeyChecking,
    /// How long the connection and the login may take (default 30 s).
    pub connect_timeout: Duration,
    /// Window size.
    pub cols: u16,
    /// Window size.
    pub rows: u16,
    /// Sets the remote bash's prompt to [`PROMPT`] (see [`OpenSshOptions::with_moler_prompt`]).
    pub moler_prompt: bool,
}

/// The prompt [`OpenSshOptions::with_moler_prompt`] sets, and libssh2's transport too
/// (`moler_io::ssh::PROMPT` is this one; `moler::SSH_PROMPT` matches it).
pub const PROMPT: &str = "moler_ssh# ";

impl OpenSshOptions {
    /// `user` at `host`, port 22, OpenSSH's defaults otherwise.
    pub fn new(host: impl Into<String>, user: impl Into<String>) -> Self {
        OpenSshOptions {
            program: "ssh".into(),
            host: host.into(),
            port: 22,
            user: user.into(),
            password: None,
            key_file: None,
            known_hosts_file: None,
            host_key_checking: HostKeyChecking::default(),
            connect_timeout: Duration::from_secs(30),
            cols: 300,
            rows: 50,
            moler_prompt: false,
        }
    }

    /// For a remote `bash`: sets the prompt to [`PROMPT`] and makes commands wait until it
    /// shows, as the local terminal does.
    pub fn with_moler_prompt(mut self) -> Self {
        self.moler_prompt = true;
        self
    }

    fn target(&self) -> String {
        format!("{}@{}", self.user, crate::tcp::address(&self.host, self.port))
    }

    /// OpenSSH's arguments (the password is not among them).
    pub fn args(&self) -> Vec<String> {
        let checking = match self.host_key_checking {
            HostKeyChecking::Strict => "yes",
            HostKeyChecking::AcceptNew => "accept-new",
            HostKeyChecking::Off => "no",
        };
        let mut args = vec![
            "-tt".to_owned(),
            "-p".to_owned(),
            self.port.to_string(),
            "-l".to_owned(),
            self.user.clone(),
            "-o".to_owned(),
            "LogLevel=VERBOSE".to_owned(),
            "-o".to_owned(),
            format!("StrictHostKeyChecking={checking}"),
            "-o".to_owned(),
            format!("ConnectTimeout={}", self.connect_timeout.as_secs().max(1)),
            "-o".to_owned(),
            "NumberOfPasswordPrompts=1".to_owned(),
            "-o".to_owned(),
            "BatchMode=no".to_owned(),
        ];
        if let Some(file) = &self.known_hosts_file {
            args.extend(["-o".to_owned(), format!("UserKnownHostsFile={}", file.display())]);
        }
        match &self.key_file {
            Some(key) => args.extend(["-i".to_owned(), key.display().to_string()]),
            // A password only: no agent or default keys tried first (each try counts).
            None if self.password.is_some() => args.extend([
                "-o".to_owned(),
                "PubkeyAuthentication=no".to_owned(),
                "-o".to_owned(),
                "PreferredAuthentications=password,keyboard-interactive".to_owned(),
            ]),
            None => {}
        }
        args.push(self.host.clone());
        args
    }
}

/// What OpenSSH prints that ends the login, and what it means.
const FAILURES: &[(&str, io::ErrorKind)] = &[
    ("Permission denied", io::ErrorKind::PermissionDenied),
    ("Host key verification failed", io::ErrorKind::PermissionDenied),
    ("REMOTE HOST IDENTIFICATION HAS CHANGED", io::ErrorKind::PermissionDenied),
    ("Connection refused", io::ErrorKind::ConnectionRefused),
    ("Connection timed out", io::ErrorKind::TimedOut),
    ("Could not resolve hostname", io::ErrorKind::NotFound),
    ("No route to host", io::ErrorKind::HostUnreachable),
    ("Connection closed by", io::ErrorKind::ConnectionAborted),
    ("Connection reset by", io::ErrorKind::ConnectionReset),
];

/// Logs in with the OpenSSH client and returns the session as a transport named
/// `openssh:user@host:port`. Errors are [`Error::OpenSsh`], quoting OpenSSH.
pub fn connect(options: &OpenSshOptions) -> Result<Transport, Error> {
    let target = options.target();
    let failed = |step: &'static str, source: io::Error| Error::OpenSsh {
        target: target.clone(),
        step,
        source,
    };
    let (master, closer) =
        spawn_in_pty(&options.program, &options.args(), options.cols, options.rows)
            .map_err(|(step, e)| failed(step, e))?;
    if let Err(e) = log_in(master.as_fd(), options) {
        closer.close();
        return Err(failed("log in", e));
    }
    let mut transport = Transport {
        name: format!("openssh:{target}"),
        control: None,
        stream: Stream::Fd(Box::new(
            FdStream::new(master).map_err(|e| failed("make the pty non-blocking", e))?.pty(),
        )),
        closer,
        greeting: None,
    };
    if options.moler_prompt {
        transport.greeting = Some(Greeting {
            marker: crate::terminal::READY.into(),
            prompt: PROMPT.into(),
            timeout: options.connect_timeout,
        });
        let mut io = transport.into_blocking();
        io.write_all(crate::terminal::bash_setup(PROMPT).as_bytes())
            .map_err(|e| failed("send the setup line", e))?;
        transport = io.into_transport();
    }
    Ok(transport)
}

/// OpenSSH's dialog, up to its `Authenticated to` line: the password given once, anything
/// else it says before that an error quoting it.
fn log_in(fd: BorrowedFd<'_>, options: &OpenSshOptions) -> io::Result<()> {
    let deadline = Instant::now() + options.connect_timeout + Duration::from_secs(5);
    let mut line: Vec<u8> = Vec::new();
    let mut said: Vec<String> = Vec::new();
    let mut passwords = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no login within {:?}; it said: {:?}",
                    options.connect_timeout,
                    said.join(" | ")
                ),
            ));
        }
        if !readable(fd, left)? {
            continue;
        }
        let mut byte = [0u8; 1];
        match rustix::io::read(fd, &mut byte) {
            Ok(0) | Err(rustix::io::Errno::IO) => {
                let text = String::from_utf8_lossy(&line).trim().to_owned();
                said.push(text);
                let all = said.join(" | ");
                let kind = FAILURES
                    .iter()
                    .find(|(f, _)| all.contains(f))
                    .map_or(io::ErrorKind::ConnectionAborted, |(_, k)| *k);
                return Err(io::Error::new(kind, format!("ssh ended: {all}")));
            }
            Ok(_) => {}
            Err(rustix::io::Errno::AGAIN) | Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        if byte[0] == b'\n' {
            let text = String::from_utf8_lossy(&line).trim().to_owned();
            line.clear();
            if text.starts_with("Authenticated to ") {
                return Ok(());
            }
            if let Some((_, kind)) = FAILURES.iter().find(|(f, _)| text.contains(f)) {
                return Err(io::Error::new(*kind, text));
            }
            if !text.is_empty() {
                said.push(text);
            }
            continue;
        }
        line.push(byte[0]);
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if text.trim_end().ends_with("password:") {
            passwords += 1;
            let Some(password) = options.password.as_deref().filter(|_| passwords == 1) else {
                let why = if passwords == 1 {
                    "OpenSSH asks for a password; none was given"
                } else {
                    "OpenSSH asks for the password again: the server refused it"
                };
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
            };
            write_all(fd, format!("{password}\n").as_bytes())?;
            line.clear();
        } else if text.contains("(yes/no") {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "OpenSSH asks about the host key: {}",
                    String::from_utf8_lossy(&line).trim()
                ),
            ));
        }
    }
}

fn readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let t = timeout.min(Duration::from_millis(500));
    let ts = Timespec { tv_sec: t.as_secs() as i64, tv_nsec: i64::from(t.subsec_nanos()) };
    match poll(&mut fds, Some(&ts)) {
        Ok(n) => Ok(n > 0),
        Err(rustix::io::Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> io::Result<()> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(rustix::io::Errno::AGAIN) => {
                let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
                let five = Timespec { tv_sec: 5, tv_nsec: 0 };
                if poll(&mut fds, Some(&five))? == 0 {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "the pty takes no input"));
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Starts `program` with `args` in a new pseudo-terminal of `cols`×`rows` (`TERM=xterm-mono`)
/// and returns its master, non-blocking, and what ends it. An error names the step.
pub(crate) fn spawn_in_pty(
    program: &std::path::Path,
    args: &[String],
    cols: u16,
    rows: u16,
) -> Result<(OwnedFd, Arc<PtyChild>), (&'static str, io::Error)> {
    let other = |e: Box<dyn std::error::Error + Send + Sync>| io::Error::other(e.to_string());
    let pty = native_pty_system()
        .openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
        .map_err(|e| ("open a pseudo-terminal", other(e.into())))?;
    let mut cmd = CommandBuilder::new(program);
    cmd.args(args);
    cmd.env("TERM", "xterm-mono");
    let child = pty.slave.spawn_command(cmd).map_err(|e| {
        let e: Box<dyn std::error::Error + Send + Sync> = e.into();
        let kind = e.downcast_ref::<io::Error>().map_or(io::ErrorKind::NotFound, io::Error::kind);
        ("start the program", io::Error::new(kind, format!("{}: {e}", program.display())))
    })?;
    drop(pty.slave);
    let master = crate::terminal::dup_master(pty.master.as_ref())
        .map_err(|e| ("take the pty master", other(e)))?;
    let pid = child.process_id().and_then(|pid| Pid::from_raw(pid as i32));
    let closer = Arc::new(PtyChild {
        closed: AtomicBool::new(false),
        tracked: pid.and_then(|pid| reap::track(pid, HANGUP_GRACE)),
        child: Mutex::new(Some(child)),
        _master: Mutex::new(Some(pty.master)),
    });
    crate::fd::set_nonblocking(&master).map_err(|e| ("make the pty non-blocking", e))?;
    Ok((master, closer))
}

/// A program in a pseudo-terminal (the OpenSSH client, a `telnet`): closing hangs it up
/// (SIGHUP, as a terminal's end would), dropping reaps it, after SIGKILL if it did not end
/// within [`HANGUP_GRACE`]. Neither waits on the caller's thread (a runner's): the wait runs on
/// a thread of its own (`reap.rs`).
pub(crate) struct PtyChild {
    closed: AtomicBool,
    /// The program's pidfd, for signals and the wait (`None` without pidfds).
    tracked: Option<Tracked>,
    child: Mutex<Option<Box<dyn Child + Send + Sync>>>,
    _master: Mutex<Option<Box<dyn MasterPty + Send>>>,
}

/// How long a hung-up client gets to end (an ssh client ends at once) before SIGKILL.
const HANGUP_GRACE: Duration = Duration::from_millis(200);

impl Close for PtyChild {
    /// Hangs the program up (a client: the remote session ends with it).
    fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(tracked) = &self.tracked {
            tracked.signal(Signal::HUP);
        } else if let Some(child) =
            self.child.lock().unwrap_or_else(PoisonError::into_inner).as_mut()
        {
            // No pidfds: portable-pty's kill (SIGHUP, up to 200 ms of waiting, SIGKILL).
            let _ = child.kill();
        }
    }
}

impl Drop for PtyChild {
    fn drop(&mut self) {
        self.close();
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        let Some(mut child) = child else { return };
        match self.tracked.take() {
            Some(tracked) if matches!(child.try_wait(), Ok(None)) => {
                reap::end_in_background(tracked, move || drop(child.wait()));
            }
            _ => drop(child.wait()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::wait_until;

    /// The state letter of process `pid` (`None` once it is reaped).
    fn state(pid: u32) -> Option<char> {
        crate::terminal::process_state(Pid::from_raw(pid as i32)?)
    }

    /// `sh -c SCRIPT` in a pty, once it said it is ready (`SCRIPT` touches `{dir}/ready`;
    /// `{dir}` is a folder of its own, for its files): the folder, what ends it and its pid.
    fn started(name: &str, script: &str) -> (std::path::PathBuf, Arc<PtyChild>, u32) {
        let dir = std::env::temp_dir().join(format!("moler-pty-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = script.replace("{dir}", &dir.display().to_string());
        let args = ["-c".to_owned(), script];
        let (_master, closer) = spawn_in_pty(std::path::Path::new("sh"), &args, 80, 24).unwrap();
        wait_until("the program never started", || dir.join("ready").exists());
        let pid = closer.child.lock().unwrap().as_ref().and_then(|c| c.process_id()).unwrap();
        (dir, closer, pid)
    }

    /// Closing a program in a pty does not wait for it (it runs on a runner's thread):
    /// portable-pty's own kill slept up to 200 ms there. One deaf to the hang-up is killed
    /// after the grace and reaped, by a thread of its own.
    #[test]
    fn closing_a_program_in_a_pty_waits_for_nothing() {
        let (dir, closer, pid) = started("deaf", "trap '' HUP; touch {dir}/ready; exec sleep 1000");
        let _ = std::fs::remove_dir_all(&dir);
        closer.close();
        // Time for a SIGKILL sent by the close to have taken effect (none is: nothing but the
        // drop kills it).
        std::thread::sleep(Duration::from_millis(100));
        let after_close = state(pid);
        drop(closer);
        assert!(
            matches!(after_close, Some(s) if s != 'Z'),
            "the close killed the program: {after_close:?}"
        );
        wait_until("never killed and reaped", || state(pid).is_none());
    }

    /// Closing hangs the program up, as the end of its terminal would: an ssh client or a
    /// `telnet` then says goodbye to its peer.
    #[test]
    fn closing_hangs_the_program_up() {
        let script = "trap 'echo hup > {dir}/hup; exit 0' HUP; touch {dir}/ready; \
                      while :; do sleep 0.05; done";
        let (dir, closer, pid) = started("hup", script);
        closer.close();
        let hung_up = dir.join("hup");
        wait_until("no hang-up came", || hung_up.exists());
        let _ = std::fs::remove_dir_all(&dir);
        drop(closer);
        wait_until("never reaped", || state(pid).is_none());
    }

    /// The value after each `-o` of OpenSSH's arguments.
    fn options(args: &[String]) -> Vec<&str> {
        args.windows(2).filter(|w| w[0] == "-o").map(|w| w[1].as_str()).collect()
    }

    #[test]
    fn the_arguments_say_who_where_and_how_to_log_in() {
        let mut o = OpenSshOptions::new("::1", "admin");
        o.port = 2222;
        assert_eq!(o.target(), "admin@[::1]:2222");
        let args = o.args();
        assert_eq!(args[..5], ["-tt", "-p", "2222", "-l", "admin"]);
        assert_eq!(args.last().map(String::as_str), Some("::1"), "the host last");
        assert_eq!(
            options(&args),
            [
                "LogLevel=VERBOSE",
                "StrictHostKeyChecking=accept-new",
                "ConnectTimeout=30",
                "NumberOfPasswordPrompts=1",
                "BatchMode=no",
            ],
            "no password, no key: OpenSSH's own keys and agent are tried"
        );
        assert!(!args.iter().any(|a| a == "-i"));

        // A password only: no key tried first (each try counts against the server's limit).
        o.password = Some("secret".into());
        o.host_key_checking = HostKeyChecking::Strict;
        o.connect_timeout = Duration::from_millis(200);
        o.known_hosts_file = Some("/tmp/kh".into());
        let args = o.args();
        assert!(!args.iter().any(|a| a.contains("secret")), "the password is not an argument");
        assert_eq!(
            options(&args)[1..],
            [
                "StrictHostKeyChecking=yes",
                "ConnectTimeout=1",
                "NumberOfPasswordPrompts=1",
                "BatchMode=no",
                "UserKnownHostsFile=/tmp/kh",
                "PubkeyAuthentication=no",
                "PreferredAuthentications=password,keyboard-interactive",
            ]
        );

        // A key file: given with -i, keys allowed.
        o.key_file = Some("/keys/id".into());
        o.host_key_checking = HostKeyChecking::Off;
        let args = o.args();
        let opts = options(&args);
        assert!(opts.contains(&"StrictHostKeyChecking=no"), "{opts:?}");
        assert!(!opts.iter().any(|a| a.starts_with("PubkeyAuthentication")), "{opts:?}");
        let i = args.iter().position(|a| a == "-i").expect("-i");
        assert_eq!(args[i + 1], "/keys/id");
    }
}
