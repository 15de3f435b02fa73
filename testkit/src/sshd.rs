//! A real OpenSSH `sshd` on 127.0.0.1, started by a test with its own configuration, host key
//! and log, and stopped when the test drops it.
//!
//! It needs what only root has: `sshd` installed (`/usr/sbin/sshd`), and a test user with a
//! password and a key (`scripts/setup-sshd.sh` makes both; the README's test command runs it).
//! Where that is missing, [`Sshd::require`] prints a loud `SKIPPED` line and returns `None`, so
//! a developer without root still runs the rest of the suite; with `MOLER_NO_SKIP=1` (set
//! by `.ci/run`) it fails the test instead.
//!
//! The user is `molertest`, its password the one `scripts/setup-sshd.sh` made at random (in
//! `/etc/moler-test-sshd/password`, readable by root only) and its key
//! `~molertest/.ssh/id_ed25519`, unless `MOLER_TEST_SSH_USER`, `MOLER_TEST_SSH_PASSWORD` and
//! `MOLER_TEST_SSH_KEY` say otherwise. The daemon only lets that user in.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The test user's name unless `MOLER_TEST_SSH_USER` names another.
pub const TEST_USER: &str = "molertest";
/// The simulator's test user unless `MOLER_TEST_SIM_USER` names another: its login shell is
/// [`SIM_SHELL`], so logging in lands in a simulated device ([`Sshd::start_sim`]).
pub const SIM_USER: &str = "molersim";
/// The simulator user's login shell, made by `scripts/setup-sshd.sh`: it runs `$MOLER_SIM` (the
/// simulator program) with `$MOLER_SIM_DEVICE`, both set by the test sshd (`SetEnv`).
pub const SIM_SHELL: &str = "/usr/local/libexec/moler-sim-shell";
/// Where `scripts/setup-sshd.sh` keeps the test user's password.
pub const PASSWORD_FILE: &str = "/etc/moler-test-sshd/password";

const SSHD: &str = "/usr/sbin/sshd";
const KEYGEN: &str = "/usr/bin/ssh-keygen";

/// The account the tests log in with.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Login name.
    pub name: String,
    /// Its password.
    pub password: String,
    /// A private key whose public half is in the user's `authorized_keys`.
    pub key_file: PathBuf,
    /// Its home directory.
    pub home: PathBuf,
}

impl TestUser {
    /// The configured test user, if it exists here.
    pub fn find() -> Result<TestUser, Unavailable> {
        let name = std::env::var("MOLER_TEST_SSH_USER").unwrap_or_else(|_| TEST_USER.into());
        let password = match std::env::var("MOLER_TEST_SSH_PASSWORD") {
            Ok(password) => password,
            Err(_) => fs::read_to_string(PASSWORD_FILE)
                .map(|p| p.trim().to_owned())
                .map_err(|e| Unavailable(format!("no test password in {PASSWORD_FILE}: {e}")))?,
        };
        let passwd = fs::read_to_string("/etc/passwd")
            .map_err(|e| Unavailable(format!("cannot read /etc/passwd: {e}")))?;
        let home = passwd
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.len() >= 7 && fields[0] == name)
            .map(|fields| PathBuf::from(fields[5]))
            .ok_or_else(|| Unavailable(format!("the test user {name} does not exist")))?;
        let key_file = std::env::var_os("MOLER_TEST_SSH_KEY")
            .map_or_else(|| home.join(".ssh/id_ed25519"), PathBuf::from);
        if !key_file.is_file() {
            return Err(Unavailable(format!("the test key {} is missing", key_file.display())));
        }
        Ok(TestUser { name, password, key_file, home })
    }

    /// The simulator's test user ([`SIM_USER`]), if it exists here with [`SIM_SHELL`] as its
    /// login shell. Its password is the test user's; it has no key.
    pub fn find_sim() -> Result<TestUser, Unavailable> {
        let test_user = TestUser::find()?;
        let name = std::env::var("MOLER_TEST_SIM_USER").unwrap_or_else(|_| SIM_USER.into());
        let passwd = fs::read_to_string("/etc/passwd")
            .map_err(|e| Unavailable(format!("cannot read /etc/passwd: {e}")))?;
        let fields = passwd
            .lines()
            .map(|line| line.split(':').map(str::to_owned).collect::<Vec<_>>())
            .find(|fields| fields.len() >= 7 && fields[0] == name)
            .ok_or_else(|| Unavailable(format!("the simulator user {name} does not exist")))?;
        if fields[6] != SIM_SHELL {
            return Err(Unavailable(format!(
                "the login shell of {name} is {}, not {SIM_SHELL}",
                fields[6]
            )));
        }
        let home = PathBuf::from(&fields[5]);
        Ok(TestUser {
            name,
            password: test_user.password,
            key_file: home.join(".ssh/id_ed25519"),
            home,
        })
    }
}

/// Why no sshd can be started here.
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Host key types a test daemon can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKey {
    /// `ssh-ed25519` (fast to make).
    Ed25519,
    /// `rsa` (2048 bits), for `ssh-rsa` and `rsa-sha2-*`.
    Rsa,
}

/// A running `sshd`; dropping it kills it, its sessions, and removes its files.
pub struct Sshd {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    log: PathBuf,
    user: TestUser,
    sim_user: Option<TestUser>,
    /// The port, kept for sshd (it binds with `SO_REUSEADDR`) while it runs.
    _kept: crate::ServerPort,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Sshd {
    /// An sshd with an ed25519 host key and the default configuration.
    pub fn start() -> Result<Sshd, Unavailable> {
        Self::start_with(&[HostKey::Ed25519], "")
    }

    /// An sshd with these host keys and extra configuration lines (which come first, so they
    /// win over the defaults).
    pub fn start_with(keys: &[HostKey], extra_config: &str) -> Result<Sshd, Unavailable> {
        if !rustix::process::geteuid().is_root() {
            return Err(Unavailable("not root: sshd cannot check another user's password".into()));
        }
        for tool in [SSHD, KEYGEN] {
            if !Path::new(tool).exists() {
                return Err(Unavailable(format!("{tool} is missing (package openssh-server)")));
            }
        }
        let user = TestUser::find()?;
        let fail = |what: &str, e: io::Error| Unavailable(format!("{what}: {e}"));
        fs::create_dir_all("/run/sshd").map_err(|e| fail("create /run/sshd", e))?;
        let dir = std::env::temp_dir().join(format!(
            "moler-sshd-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| fail("create the sshd folder", e))?;
        let mut host_keys = String::new();
        for key in keys {
            let (kind, file) = match key {
                HostKey::Ed25519 => (&["-t", "ed25519"][..], dir.join("host_ed25519")),
                HostKey::Rsa => (&["-t", "rsa", "-b", "2048"][..], dir.join("host_rsa")),
            };
            let status = Command::new(KEYGEN)
                .args(["-q", "-N", "", "-f"])
                .arg(&file)
                .args(kind)
                .stdin(Stdio::null())
                .status()
                .map_err(|e| fail("run ssh-keygen", e))?;
            if !status.success() {
                return Err(Unavailable(format!("ssh-keygen {kind:?} failed: {status}")));
            }
            host_keys.push_str(&format!("HostKey {}\n", file.display()));
        }
        let log = dir.join("sshd.log");
        let mut last = String::new();
        // The port is kept for sshd (no other listener or connection can take it before sshd
        // binds it); a failed start is retried on another port all the same.
        for _ in 0..5 {
            let kept = crate::ServerPort::new();
            let port = kept.port();
            let config = dir.join("sshd_config");
            fs::write(&config, config_text(port, &host_keys, &user.name, extra_config))
                .map_err(|e| fail("write sshd_config", e))?;
            let _ = fs::remove_file(&log);
            let mut command = Command::new(SSHD);
            command
                .arg("-D")
                .arg("-f")
                .arg(&config)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            die_with_parent(&mut command);
            let mut child = command.spawn().map_err(|e| fail("start sshd", e))?;
            match wait_listening(&mut child, &log, port) {
                Ok(()) => {
                    let (child, sim_user) = (Some(child), None);
                    return Ok(Sshd { child, port, dir, log, user, sim_user, _kept: kept });
                }
                Err(e) => {
                    last = e;
                    kill_tree(child);
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        Err(Unavailable(format!("sshd did not start: {last}")))
    }

    /// [`Sshd::start`], or, where sshd cannot run here, a loud `SKIPPED` line naming the
    /// current test and `None`. Where skips are forbidden ([`crate::skips_forbidden`]: `.ci/run`
    /// sets `MOLER_NO_SKIP`), a panic instead.
    pub fn require() -> Option<Sshd> {
        Self::require_with(&[HostKey::Ed25519], "")
    }

    /// [`Sshd::require`] with [`Sshd::start_with`]'s arguments.
    pub fn require_with(keys: &[HostKey], extra_config: &str) -> Option<Sshd> {
        match Self::start_with(keys, extra_config) {
            Ok(sshd) => Some(sshd),
            Err(why) => {
                crate::skip(
                    "no test sshd",
                    &format!(
                        "{why}. Run scripts/test.sh (or scripts/setup-sshd.sh) as root to set it up"
                    ),
                );
                None
            }
        }
    }

    /// An sshd that also lets in the simulator's user ([`TestUser::find_sim`]), whose login
    /// shell runs `program` (the `moler-sim` program) on `device` (a device file): an ssh
    /// login as that user lands in the simulated device, through real OpenSSH. Both paths must
    /// be readable by that user.
    pub fn start_sim(program: &Path, device: &Path) -> Result<Sshd, Unavailable> {
        let sim = TestUser::find_sim()?;
        for (what, p) in [("the simulator program", program), ("the device file", device)] {
            if !p.is_absolute() || !p.exists() {
                return Err(Unavailable(format!(
                    "{what} {} is not an existing absolute path",
                    p.display()
                )));
            }
        }
        let extra = format!(
            "SetEnv \"MOLER_SIM={}\" \"MOLER_SIM_DEVICE={}\"\nAllowUsers {}",
            program.display(),
            device.display(),
            sim.name
        );
        let mut sshd = Self::start_with(&[HostKey::Ed25519], &extra)?;
        sshd.sim_user = Some(sim);
        Ok(sshd)
    }

    /// [`Sshd::start_sim`], or a loud `SKIPPED` line and `None` (a panic where skips are
    /// forbidden), as [`Sshd::require`].
    pub fn require_sim(program: &Path, device: &Path) -> Option<Sshd> {
        match Self::start_sim(program, device) {
            Ok(sshd) => Some(sshd),
            Err(why) => {
                crate::skip(
                    "no test sshd with the simulator user",
                    &format!(
                        "{why}. Run scripts/test.sh (or scripts/setup-sshd.sh) as root to set it up"
                    ),
                );
                None
            }
        }
    }

    /// The simulator's user, for an sshd made by [`Sshd::start_sim`].
    pub fn sim_user(&self) -> Option<&TestUser> {
        self.sim_user.as_ref()
    }

    /// The port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user it lets in.
    pub fn user(&self) -> &TestUser {
        &self.user
    }

    /// The public half of its ed25519 host key, as a `type base64 comment` line.
    pub fn host_public_key(&self) -> String {
        fs::read_to_string(self.dir.join("host_ed25519.pub")).unwrap_or_default()
    }

    /// Its log so far (`LogLevel DEBUG1`).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A folder of its own that it removes when dropped (for known-hosts files and such).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An `sshshell` connection to it as the test user, as a YAML flow mapping
    /// (`{io_type: sshshell, host: …, known_hosts: …, <extra>}`); `extra` adds keys
    /// (`variant: tokio`, `client: openssh`), or is empty.
    pub fn sshshell_yaml(&self, extra: &str) -> String {
        let extra = if extra.is_empty() { String::new() } else { format!(", {extra}") };
        format!(
            "{{io_type: sshshell, host: 127.0.0.1, port: {}, login: {}, password: '{}', \
             known_hosts: {}/known_hosts{extra}}}",
            self.port,
            self.user.name,
            self.user.password.replace('\'', "''"),
            self.dir.display()
        )
    }

    /// Kills (SIGKILL) the daemon and every session process under it: clients see their
    /// connections die mid-command.
    pub fn kill(&mut self) {
        if let Some(child) = self.child.take() {
            kill_tree(child);
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Waits until the daemon says it listens on `port`.
fn wait_listening(child: &mut Child, log: &Path, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let ready = format!("Server listening on 127.0.0.1 port {port}");
    loop {
        let log = fs::read_to_string(log).unwrap_or_default();
        if log.contains(&ready) {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("sshd exited with {status}; its log: {log}"));
        }
        if Instant::now() > deadline {
            return Err(format!("sshd did not listen within 20 s; its log: {log}"));
        }
        // Test support, not a hot path: sshd says nothing else when it is ready.
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// SIGKILLs `child` and every process below it, children first (sessions: their sshd
/// processes and shells), then reaps it.
fn kill_tree(mut child: Child) {
    let pid = child.id() as i32;
    for p in descendants(pid).into_iter().chain([pid]) {
        if let Some(p) = rustix::process::Pid::from_raw(p) {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        }
    }
    let _ = child.wait();
}

fn config_text(port: u16, host_keys: &str, user: &str, extra: &str) -> String {
    format!(
        "{extra}\n\
         ListenAddress 127.0.0.1\n\
         Port {port}\n\
         {host_keys}\
         PidFile none\n\
         UsePAM no\n\
         StrictModes yes\n\
         PermitRootLogin no\n\
         AllowUsers {user}\n\
         PasswordAuthentication yes\n\
         KbdInteractiveAuthentication no\n\
         PubkeyAuthentication yes\n\
         AuthorizedKeysFile .ssh/authorized_keys\n\
         UseDNS no\n\
         PrintMotd no\n\
         MaxStartups 200\n\
         MaxSessions 50\n\
         LogLevel DEBUG1\n"
    )
}

/// Every process below `root`, from `/proc`.
fn descendants(root: i32) -> Vec<i32> {
    let mut parents: Vec<(i32, i32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|s| s.parse::<i32>().ok());
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found.remove(0);
    found
}

/// Makes the daemon die with the thread that started it, so a test killed by a timeout leaves
/// no sshd behind.
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only makes one prctl system call,
    // which is async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM))
                .map_err(io::Error::from)
        });
    }
}
