//! The SSH transport: a shell on a remote machine, in a pseudo-terminal, over SSH (libssh2,
//! through the `ssh2` crate). Moler calls it `sshshell`.
//!
//! [`connect`] does the blocking part (TCP connect, handshake, host-key check, authentication,
//! the shell channel) within [`SshOptions::connect_timeout`] per step, then switches the
//! session to non-blocking mode: a runner waits for the session's socket in the direction
//! libssh2 says it is blocked on, like any other descriptor. No thread, no polling loop.
//!
//! # Host keys
//! [`HostKeyPolicy::AcceptNew`] (the default, as OpenSSH's `StrictHostKeyChecking accept-new`)
//! trusts and records a host seen for the first time and refuses a changed key;
//! [`HostKeyPolicy::Strict`] also refuses unknown hosts; [`HostKeyPolicy::Off`] checks nothing.
//! The file is `~/.ssh/known_hosts` unless [`SshOptions::known_hosts_file`] names another. A
//! new host is appended as one line, so entries libssh2 cannot parse (certificates, `@revoked`)
//! stay as they are. libssh2 compares keys of the type it negotiated: a host known only by
//! another key type reads as unknown (accept-new then adds the second type).
//!
//! # Old network gear
//! The bundled libssh2 is pinned (`libssh2-sys =0.3.3`) because later builds compile out SHA-1
//! key exchange, `hmac-sha1` and `ssh-rsa`, which switches and routers from before ~2016
//! still need. With the default [`Algorithms`] (libssh2's own lists) the modern algorithms
//! come first and the old ones last, down to `diffie-hellman-group1-sha1`, `ssh-rsa`,
//! `3des-cbc` and `hmac-md5`: a modern server never negotiates them, old gear still gets in.
//! [`Algorithms::modern`] refuses the old ones; [`Algorithms`] sets any list in OpenSSH's names.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ssh2::{
    BlockDirections, CheckResult, ErrorCode, ExtendedData, HashType, KeyboardInteractivePrompt,
    KnownHostFileKind, MethodType, Prompt, Session,
};

use crate::tcp::ShutdownCloser;
use crate::{Close, Error, FdIo, Greeting, Interest, Op, Stream, Transport};

/// The prompt [`SshOptions::with_moler_prompt`] sets on the remote bash: the OpenSSH client's
/// ([`crate::openssh::PROMPT`]), so `moler_prompt: true` gives one prompt whichever client
/// `sshshell` takes.
pub const PROMPT: &str = crate::openssh::PROMPT;

/// What to do with the server's host key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Only hosts already in the known-hosts file, with the same key.
    Strict,
    /// Record a host seen for the first time; refuse a key that changed (the default).
    #[default]
    AcceptNew,
    /// No check at all (a lab network you own).
    Off,
}

impl fmt::Display for HostKeyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostKeyPolicy::Strict => "strict",
            HostKeyPolicy::AcceptNew => "accept-new",
            HostKeyPolicy::Off => "off",
        })
    }
}

/// Algorithm lists in OpenSSH's names, most preferred first. `None` keeps libssh2's list.
/// Names libssh2 does not know are dropped; a list left empty is an error at connect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Algorithms {
    /// Key exchange (`KexAlgorithms`).
    pub kex: Option<String>,
    /// Host key types (`HostKeyAlgorithms`).
    pub host_key: Option<String>,
    /// Ciphers, both directions (`Ciphers`).
    pub ciphers: Option<String>,
    /// MACs, both directions (`MACs`).
    pub macs: Option<String>,
}

impl Algorithms {
    /// Only the modern algorithms: no SHA-1 key exchange, no `ssh-rsa` or `ssh-dss` host
    /// keys, no CBC or 3DES ciphers, no SHA-1 or MD5 MACs. For a lab that must refuse old
    /// crypto; old gear then fails at the handshake.
    pub fn modern() -> Self {
        Self {
            kex: Some(
                "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,\
                 ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,\
                 diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,\
                 diffie-hellman-group14-sha256"
                    .into(),
            ),
            host_key: Some(
                "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,\
                 rsa-sha2-512,rsa-sha2-256"
                    .into(),
            ),
            ciphers: Some(
                "aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"
                    .into(),
            ),
            macs: Some(
                "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,\
                 hmac-sha2-512"
                    .into(),
            ),
        }
    }

    fn apply(&self, session: &Session) -> Result<(), ssh2::Error> {
        let lists = [
            (&self.kex, &[MethodType::Kex][..]),
            (&self.host_key, &[MethodType::HostKey][..]),
            (&self.ciphers, &[MethodType::CryptCs, MethodType::CryptSc][..]),
            (&self.macs, &[MethodType::MacCs, MethodType::MacSc][..]),
        ];
        for (list, kinds) in lists {
            let Some(list) = list else { continue };
            for &kind in kinds {
                session.method_pref(kind, list)?;
            }
        }
        Ok(())
    }
}

/// How to reach the remote shell. Only `host` and `user` have no useful default; give a
/// `password`, a `key_file`, or both (the key is tried first).
#[derive(Clone)]
pub struct SshOptions {
    /// Host name or address.
    pub host: String,
    /// Port (default 22).
    pub port: u16,
    /// User to log in as.
    pub user: String,
    /// Password, for `password` or `keyboard-interactive` authentication.
    pub password: Option<String>,
    /// A private key file (OpenSSH or PEM format) for `publickey` authentication.
    pub key_file: Option<PathBuf>,
    /// The key file's passphrase, if it has one.
    pub key_passphrase: Option<String>,
    /// What to do with the host key (default [`HostKeyPolicy::AcceptNew`]).
    pub host_key_policy: HostKeyPolicy,
    /// The known-hosts file (default `~/.ssh/known_hosts`).
    pub known_hosts_file: Option<PathBuf>,
    /// How long each step of opening may take: the TCP connect, the handshake, the
    /// authentication, the shell (default 10 s).
    pub connect_timeout: Duration,
    /// Send an SSH keepalive after this long without traffic (OpenSSH's
    /// `ServerAliveInterval`; default none). libssh2 counts in whole seconds, at least 2.
    pub keepalive: Option<Duration>,
    /// Algorithm lists (default: libssh2's, modern first, the old ones of old gear last).
    pub algorithms: Algorithms,
    /// The terminal type the pty asks for (default `vt100`).
    pub term: String,
    /// Window width; wide so command echoes do not wrap (default 300).
    pub cols: u16,
    /// Window height (default 50).
    pub rows: u16,
    /// A line sent to the shell once it started (default none).
    pub setup: Option<String>,
    /// What the shell prints once it is ready, if commands must wait for it (default none).
    pub greeting: Option<Greeting>,
}

impl fmt::Debug for SshOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("key_file", &self.key_file)
            .field("key_passphrase", &self.key_passphrase.as_ref().map(|_| "***"))
            .field("host_key_policy", &self.host_key_policy)
            .field("known_hosts_file", &self.known_hosts_file)
            .field("connect_timeout", &self.connect_timeout)
            .field("keepalive", &self.keepalive)
            .field("algorithms", &self.algorithms)
            .field("term", &self.term)
            .field("cols", &self.cols)
            .field("rows", &self.rows)
            .field("setup", &self.setup)
            .field("greeting", &self.greeting)
            .finish()
    }
}

impl SshOptions {
    /// Options for `user@host` on port 22, everything else at its default.
    pub fn new(host: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: 22,
            user: user.into(),
            password: None,
            key_file: None,
            key_passphrase: None,
            host_key_policy: HostKeyPolicy::default(),
            known_hosts_file: None,
            connect_timeout: Duration::from_secs(10),
            keepalive: None,
            algorithms: Algorithms::default(),
            term: "vt100".into(),
            cols: 300,
            rows: 50,
            setup: None,
            greeting: None,
        }
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Sets the private key file.
    pub fn key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_file = Some(path.into());
        self
    }

    /// Sets the host-key policy.
    pub fn host_key_policy(mut self, policy: HostKeyPolicy) -> Self {
        self.host_key_policy = policy;
        self
    }

    /// Sets the known-hosts file.
    pub fn known_hosts_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.known_hosts_file = Some(path.into());
        self
    }

    /// For a remote `bash`: sets the prompt to [`PROMPT`] (no bracketed paste, no
    /// `PROMPT_COMMAND`) and makes commands wait until it shows, as the local terminal does.
    pub fn with_moler_prompt(mut self) -> Self {
        self.setup = Some(crate::terminal::bash_setup(PROMPT));
        self.greeting = Some(Greeting {
            marker: crate::terminal::READY.into(),
            prompt: PROMPT.into(),
            timeout: self.connect_timeout,
        });
        self
    }

    fn target(&self) -> String {
        format!("{}@{}", self.user, crate::tcp::address(&self.host, self.port))
    }
}

/// Opens a shell on `options.host` and returns it as a transport, with the name
/// `ssh:user@host:port`. Every error names the target and the step that failed, and keeps
/// libssh2's (or the socket's) error as its source: [`Error::Authentication`] (`ssh
/// tester@10.0.0.5:22: authentication failed: …`, kind `PermissionDenied`),
/// [`Error::HostKey`] (`ssh …: host key …`, `PermissionDenied`), [`Error::Ssh`] (`ssh …:
/// handshake`), [`Error::Connect`] (`connect to 10.0.0.5:22`).
///
/// On the connection, the remote shell exiting reads as the end of the stream; a dropped link
/// or a killed server as an error naming it.
///
/// The known-hosts file is read as OpenSSH reads it (bytes: a comment need not be UTF-8); one
/// that exists but cannot be read is an error, never an empty list.
pub fn connect(options: &SshOptions) -> Result<Transport, Error> {
    let target = options.target();
    let step = |step: &'static str| {
        let target = target.clone();
        move |source: ssh2::Error| Error::Ssh { target, step, source }
    };
    let socket = crate::tcp::connect_socket(&options.host, options.port, options.connect_timeout)?;
    socket.set_nodelay(true).map_err(|source| Error::Setup {
        transport: format!("ssh:{target}"),
        step: "set TCP_NODELAY",
        source,
    })?;
    let fd = Arc::new(OwnedFd::from(socket));

    let mut session = Session::new().map_err(step("session"))?;
    session.set_tcp_stream(SharedFd(Arc::clone(&fd)));
    session.set_timeout(u32::try_from(options.connect_timeout.as_millis()).unwrap_or(u32::MAX));
    options.algorithms.apply(&session).map_err(step("algorithms"))?;
    session.handshake().map_err(step("handshake"))?;
    check_host_key(&session, options, &target)?;
    authenticate(&session, options, &target)?;

    let mut channel = session.channel_session().map_err(step("open a session channel"))?;
    channel.handle_extended_data(ExtendedData::Merge).map_err(step("merge stderr"))?;
    channel
        .request_pty(&options.term, None, Some((options.cols.into(), options.rows.into(), 0, 0)))
        .map_err(step("request a pty"))?;
    channel.shell().map_err(step("start the shell"))?;
    if let Some(setup) = &options.setup {
        channel.write_all(setup.as_bytes()).map_err(|source| Error::SshIo {
            target: target.clone(),
            step: "send the setup line",
            source,
        })?;
    }

    let keepalive = options.keepalive.map(|every| every.as_secs().clamp(2, u32::MAX.into()));
    if let Some(secs) = keepalive {
        session.set_keepalive(true, secs as u32);
    }
    session.set_timeout(0);
    session.set_blocking(false);
    Ok(Transport {
        name: format!("ssh:{target}"),
        control: None,
        stream: Stream::Fd(Box::new(SshStream {
            channel,
            session,
            fd: Arc::clone(&fd),
            target,
            next_tick: keepalive.map(|secs| Instant::now() + Duration::from_secs(secs)),
            pending: Pending::None,
            said_goodbye: false,
        })),
        closer: Arc::new(ShutdownCloser(fd)),
        greeting: options.greeting.clone(),
    })
}

pub(crate) fn kind_of(e: &ssh2::Error) -> io::ErrorKind {
    match e.code() {
        ErrorCode::Session(libssh2_sys::LIBSSH2_ERROR_TIMEOUT) => io::ErrorKind::TimedOut,
        ErrorCode::Session(
            libssh2_sys::LIBSSH2_ERROR_SOCKET_DISCONNECT | libssh2_sys::LIBSSH2_ERROR_SOCKET_RECV,
        ) => io::ErrorKind::ConnectionAborted,
        ErrorCode::Session(libssh2_sys::LIBSSH2_ERROR_SOCKET_SEND) => io::ErrorKind::BrokenPipe,
        _ => io::ErrorKind::Other,
    }
}

/// The session's socket, shared with the closer (one descriptor per connection).
struct SharedFd(Arc<OwnedFd>);

impl AsRawFd for SharedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Checks the server's key against the known-hosts file under the policy.
fn check_host_key(session: &Session, options: &SshOptions, target: &str) -> Result<(), Error> {
    if options.host_key_policy == HostKeyPolicy::Off {
        return Ok(());
    }
    let refuse = |problem: String| Error::HostKey { target: target.into(), problem, source: None };
    let because = |problem: String, source: Box<dyn std::error::Error + Send + Sync>| {
        Error::HostKey { target: target.into(), problem, source: Some(source) }
    };
    let (key, _) = session.host_key().ok_or_else(|| refuse("not sent by the server".into()))?;
    let key_type = key_type(key).unwrap_or("unknown");
    let fingerprint = session
        .host_key_hash(HashType::Sha256)
        .map_or_else(|| "?".into(), |h| format!("SHA256:{}", base64(h).trim_end_matches('=')));
    let path = match &options.known_hosts_file {
        Some(path) => path.clone(),
        None => default_known_hosts().ok_or_else(|| {
            refuse("check: no known_hosts_file given and $HOME is not set".into())
        })?,
    };
    // Bytes, as OpenSSH reads it: a comment in another encoding than UTF-8 (latin-1) must not
    // make the whole file unreadable.
    let content = match fs::read(&path) {
        Ok(content) => content,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(because(format!("check: read {}", path.display()), e.into())),
    };
    let mut known = session.known_hosts().map_err(|e| because("check".into(), e.into()))?;
    for line in content.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // One line at a time: a line libssh2 cannot parse (a certificate authority, a key type
        // it lacks) must not hide the lines after it.
        let _ = known.read_str(line, KnownHostFileKind::OpenSSH);
    }
    let entry = if options.port == 22 {
        options.host.clone()
    } else {
        format!("[{}]:{}", options.host, options.port)
    };
    match known.check_port(&options.host, options.port, key) {
        CheckResult::Match => Ok(()),
        CheckResult::Mismatch => Err(refuse(format!(
            "mismatch: {entry} sent {key_type} {fingerprint}, which differs from the key {} \
             holds for it (policy {}). Someone may be intercepting the connection, or the host \
             was reinstalled: then remove its line from that file",
            path.display(),
            options.host_key_policy
        ))),
        CheckResult::NotFound if options.host_key_policy == HostKeyPolicy::Strict => {
            Err(refuse(format!(
                "unknown: {entry} ({key_type} {fingerprint}) is not in {} and the policy is \
                 strict",
                path.display()
            )))
        }
        CheckResult::NotFound => {
            append_known_host(&path, &format!("{entry} {key_type} {}\n", base64(key)))
                .map_err(|e| because(format!("record: append to {}", path.display()), e.into()))
        }
        CheckResult::Failure => Err(refuse(format!("check against {} failed", path.display()))),
    }
}

fn default_known_hosts() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".ssh").join("known_hosts"))
}

fn append_known_host(path: &Path, line: &str) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut file = fs::OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
    file.write_all(line.as_bytes())
}

/// The key type named inside an SSH public key blob (its first string).
fn key_type(blob: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(blob.get(4..4 + len)?).ok()
}

/// Standard base64 with padding (RFC 4648), as known-hosts files and fingerprints use.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Tries the key, then the password, each once: a wrong secret fails at once, without a retry
/// that could lock the account. A server that wants both (`AuthenticationMethods
/// publickey,password`, in either order) gets both; given only one of them, the error says
/// which one was accepted and that more was needed.
fn authenticate(session: &Session, options: &SshOptions, target: &str) -> Result<(), Error> {
    let user = &options.user;
    let mut tried = Vec::new();
    let failed = |reason: String, tried: Vec<AuthAttempt>| Error::Authentication {
        target: target.into(),
        tried,
        reason,
        source: None,
    };
    let mut offered = match session.auth_methods(user) {
        Ok(methods) => methods.to_owned(),
        // The "none" method succeeded: no secret needed.
        Err(_) if session.authenticated() => return Ok(()),
        Err(e) => {
            return Err(Error::Authentication {
                target: target.into(),
                tried,
                reason: "asking for the methods".into(),
                source: Some(e),
            })
        }
    };
    let offers = |offered: &str, method: &str| offered.split(',').any(|m| m == method);
    let attempt = |method: String, result: Result<(), ssh2::Error>| match result {
        Ok(()) if session.authenticated() => None,
        Ok(()) => Some(AuthAttempt { method, refusal: None }),
        Err(e) => Some(AuthAttempt { method, refusal: Some(e) }),
    };
    if let Some(key) = &options.key_file {
        if !key.is_file() {
            return Err(failed(format!("key file {} does not exist", key.display()), tried));
        }
    }
    // Each secret once: the key first, then the password, each when the server offers its
    // method. A server that wants more than one (`AuthenticationMethods publickey,password`,
    // or password first) is given the one left after a partial success.
    let (mut key, mut password) = (options.key_file.as_deref(), options.password.as_deref());
    loop {
        let (method, name, result) = if let Some(k) = key.filter(|_| offers(&offered, "publickey"))
        {
            key = None;
            let passphrase = options.key_passphrase.as_deref();
            let result = session.userauth_pubkey_file(user, None, k, passphrase);
            (format!("key {}", k.display()), "publickey", result)
        } else if let Some(p) = password.filter(|_| offers(&offered, "password")) {
            password = None;
            ("password".to_owned(), "password", session.userauth_password(user, p))
        } else if let Some(p) = password.filter(|_| offers(&offered, "keyboard-interactive")) {
            password = None;
            let result = session.userauth_keyboard_interactive(user, &mut AnswerWith(p));
            ("keyboard-interactive".to_owned(), "keyboard-interactive", result)
        } else {
            break;
        };
        let Some(mut refused) = attempt(method, result) else { return Ok(()) };
        // libssh2 reports a partial success (this secret accepted, another method wanted
        // too) as a refusal. The server's list of the methods that can go on tells them
        // apart: after a partial success, the method just used is no longer in it.
        if refused.refusal.is_some() {
            if let Ok(now) = session.auth_methods(user) {
                offered = now.to_owned();
                if !offers(&offered, name) {
                    refused.refusal = None;
                }
            }
        }
        tried.push(refused);
    }
    if options.key_file.is_none() && options.password.is_none() {
        let reason = format!("no password or key file given; the server offers {offered}");
        return Err(failed(reason, tried));
    }
    let reason = match tried.is_empty() {
        true => format!("tried nothing it accepts; the server offers {offered}"),
        false => format!("the server offers {offered}"),
    };
    Err(failed(reason, tried))
}

/// One login method [`connect`] tried, and what became of it (see [`Error::Authentication`]).
#[derive(Debug)]
pub struct AuthAttempt {
    /// `key /path/to/key`, `password` or `keyboard-interactive`.
    pub method: String,
    /// Why the server refused it; `None` when it accepted it but asked for another method too.
    pub refusal: Option<ssh2::Error>,
}

impl fmt::Display for AuthAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.refusal {
            // libssh2's message without its code: `Authentication failed (username/password)`.
            Some(e) => write!(f, "{} ({})", self.method, e.message()),
            None => write!(f, "{} (more needed)", self.method),
        }
    }
}

/// `tried A (why), B (why); ` or nothing: the start of an authentication failure's text.
pub(crate) fn tried_text(tried: &[AuthAttempt]) -> String {
    if tried.is_empty() {
        return String::new();
    }
    let list: Vec<String> = tried.iter().map(ToString::to_string).collect();
    format!("tried {}; ", list.join(", "))
}

/// Answers every keyboard-interactive prompt with the password.
struct AnswerWith<'a>(&'a str);

impl KeyboardInteractivePrompt for AnswerWith<'_> {
    fn prompt<'b>(&mut self, _user: &str, _text: &str, prompts: &[Prompt<'b>]) -> Vec<String> {
        prompts.iter().map(|_: &Prompt<'_>| self.0.to_owned()).collect()
    }
}

/// A send libssh2 started and must finish before any other (its non-blocking rule: a call
/// that returned `EAGAIN` is repeated before another one sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// A channel write returned `EAGAIN` with a packet half sent.
    Write,
    /// A keepalive returned `EAGAIN`.
    Keepalive,
}

/// The shell channel of a non-blocking session.
struct SshStream {
    channel: ssh2::Channel,
    session: Session,
    fd: Arc<OwnedFd>,
    target: String,
    next_tick: Option<Instant>,
    pending: Pending,
    /// The disconnect message was sent (or tried): once is enough.
    said_goodbye: bool,
}

impl SshStream {
    /// Names a failed stream operation; `WouldBlock` stays as it is (not a failure).
    fn named(&self, step: &'static str, e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::WouldBlock {
            return e;
        }
        Error::SshIo { target: self.target.clone(), step, source: e }.into()
    }

    /// Repeats a keepalive that would have blocked.
    fn finish_keepalive(&mut self) -> io::Result<()> {
        if self.pending == Pending::Keepalive {
            self.keepalive()?;
        }
        Ok(())
    }

    fn keepalive(&mut self) -> io::Result<()> {
        match self.session.keepalive_send() {
            Ok(secs) => {
                self.pending = Pending::None;
                self.next_tick = Some(Instant::now() + Duration::from_secs(secs.max(1).into()));
                Ok(())
            }
            Err(e) => {
                let e = io::Error::from(e);
                if e.kind() == io::ErrorKind::WouldBlock {
                    self.pending = Pending::Keepalive;
                }
                Err(self.named("keepalive", e))
            }
        }
    }

    /// The direction libssh2 waits for; `op`'s own when it does not say.
    fn direction(&self, op: Op) -> Interest {
        match (self.session.block_directions(), op) {
            (BlockDirections::Inbound, _) => Interest::Readable,
            (BlockDirections::Outbound, _) => Interest::Writable,
            (_, Op::Read) => Interest::Readable,
            (_, Op::Write) => Interest::Writable,
        }
    }
}

impl FdIo for SshStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.finish_keepalive()?;
        if self.pending == Pending::Write {
            // A half-sent packet goes first; a read could send a window adjustment.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.channel.read(buf).map_err(|e| self.named("read", e))
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.finish_keepalive()?;
        match self.channel.write(buf) {
            Ok(n) => {
                self.pending = Pending::None;
                Ok(n)
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::WouldBlock
                    && self.session.block_directions() == BlockDirections::Outbound
                {
                    self.pending = Pending::Write;
                }
                Err(self.named("write", e))
            }
        }
    }

    fn blocked_on(&self, op: Op) -> (BorrowedFd<'_>, Interest) {
        let interest = match self.pending {
            Pending::Write | Pending::Keepalive => Interest::Writable,
            Pending::None => self.direction(op),
        };
        (self.fd.as_fd(), interest)
    }

    /// Data queued for the channel, or its end: libssh2 may take the server's EOF from the
    /// socket together with the data before it (or while it sends), and a read then returns
    /// the end at once, while the socket has nothing more to make it readable. (Not said, the
    /// end of a shell that ran `exit` waited for the command's deadline, the runner waiting on
    /// a socket that had nothing more to give: moler-sim/tests/sshd.rs, 1 run in 3 here.)
    fn has_buffered_input(&self) -> bool {
        self.pending == Pending::None
            && (self.channel.read_window().available > 0 || self.channel.eof())
    }

    /// libssh2's channel read reads the socket until it would block before it returns (data
    /// or `EAGAIN`; every whole packet in its buffer is taken apart first), and marks the
    /// session blocked inbound where it stops: on `EAGAIN` from the socket, or on a packet a
    /// read left incomplete (its buffer holds the largest packet, 35,000 bytes, so that read
    /// asked for more than the socket held). Blocked inbound only, nothing half sent, and
    /// nothing of what it read left queued for this channel: the socket was found empty, and
    /// more input needs it readable again. A runner then waits for readability instead of
    /// reading once more first: socket reads per round trip over SSH 6.2-8.4 -> 4.2-4.5 on
    /// every runner (`cargo bench --bench roundtrip -- --transport ssh --syscalls`).
    /// Evaluated on the session's state, so a write in between (libssh2 reads the socket
    /// before it sends) counts: what that read took is queued, and this says false.
    fn drained(&self) -> bool {
        self.pending == Pending::None
            && self.session.block_directions() == BlockDirections::Inbound
            && !self.has_buffered_input()
    }

    fn next_tick(&self) -> Option<Instant> {
        self.next_tick
    }

    /// The SSH disconnect message ("closed by moler", which the server logs), if no send is
    /// half done and the socket takes it at once (the session does not block).
    fn goodbye(&mut self) {
        if !self.said_goodbye && self.pending == Pending::None {
            let _ = self.session.disconnect(None, "closed by moler", None);
        }
        self.said_goodbye = true;
    }

    fn tick(&mut self) -> io::Result<()> {
        if self.pending != Pending::None {
            // Not now: a send is half done. Soon again.
            self.next_tick = Some(Instant::now() + Duration::from_secs(1));
            return Ok(());
        }
        match self.keepalive() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.next_tick = Some(Instant::now() + Duration::from_secs(1));
                Ok(())
            }
            r => r,
        }
    }
}

impl Drop for SshStream {
    /// Says goodbye to the server if nobody did yet (a transport dropped before a runner
    /// drove it) and the socket takes it at once, then shuts the socket down before libssh2
    /// frees the channel and the session: their farewell packets then fail at once instead of
    /// waiting for a peer that may be gone.
    fn drop(&mut self) {
        self.goodbye();
        ShutdownCloser(Arc::clone(&self.fd)).close();
        self.session.set_blocking(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    /// With no file given, the user's own, where OpenSSH keeps it.
    #[test]
    fn the_default_known_hosts_file_is_the_users_own() {
        let Some(home) = std::env::var_os("HOME") else {
            assert_eq!(default_known_hosts(), None);
            return;
        };
        assert_eq!(default_known_hosts(), Some(Path::new(&home).join(".ssh/known_hosts")));
    }

    #[test]
    fn key_type_reads_the_blob_header() {
        let mut blob = 11u32.to_be_bytes().to_vec();
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&[0, 0, 0, 32]);
        assert_eq!(key_type(&blob), Some("ssh-ed25519"));
        assert_eq!(key_type(&[0, 0, 0, 40, b'x']), None, "a length past the end");
        assert_eq!(key_type(&[0, 0]), None);
    }

    #[test]
    fn options_hide_secrets_in_debug() {
        let options = SshOptions::new("h", "u").password("hunter2");
        let shown = format!("{options:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    #[test]
    fn unreachable_port_names_the_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = connect(&SshOptions::new("127.0.0.1", "u").port(port).password("p"))
            .expect_err("nothing listens there");
        assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
    }
}
