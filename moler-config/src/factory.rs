//! The connection factory: `(io_type, variant, params)` → a running connection.
//!
//! An io_type makes a transport ([`moler_io::Transport`]) from its parameters; a variant picks
//! the runner that drives it (`threaded`, `tokio`, `smol`). Users add io_types that work on
//! every variant ([`crate::Loader::io_type`]) or constructors for one `(io_type, variant)` pair
//! ([`crate::Loader::connection`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use moler_io::Transport;
use moler_runners::{ConnectionHandle, Runner, RunnerKind};

use crate::error::{hint, or_expected, ConfigError, Error, ErrorKind};
use crate::model::{ConnectionSpec, Located, Warning};
use crate::params::{resolve_path, Params};
use crate::yaml::Value;

/// Makes a transport from parameters; works on every variant.
pub type TransportFn = dyn Fn(&mut Params) -> Result<Transport, Error> + Send + Sync;

/// Makes a running connection for one `(io_type, variant)` pair.
pub type ConnectionFn =
    dyn Fn(&mut Params, &Opening<'_>) -> Result<ConnectionHandle, Error> + Send + Sync;

/// What is being opened, for a [`ConnectionFn`].
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    /// The connection's name (the named connection's or the device's).
    pub name: &'a str,
    /// The io_type.
    pub io_type: &'a str,
    /// The variant.
    pub variant: &'a str,
}

/// The io_types moler-rs has. `terminal_no_fork` and `terminal_fork` are Moler's other names
/// for `terminal`.
const BUILTIN_IO_TYPES: &[&str] = &[
    "terminal",
    "terminal_no_fork",
    "terminal_fork",
    "tcp",
    "telnet",
    "serial",
    "rfc2217",
    "sshshell",
    "process",
    "memory",
];

/// Variant names: ours, then Moler's other names for them.
const VARIANTS: &[(&str, RunnerKind)] = &[
    ("threaded", RunnerKind::Thread),
    ("tokio", RunnerKind::Tokio),
    ("smol", RunnerKind::Smol),
    ("thread", RunnerKind::Thread),
    ("multi-threaded", RunnerKind::Thread),
    ("single-threaded", RunnerKind::Thread),
    ("asyncio", RunnerKind::Tokio),
    ("asyncio-in-thread", RunnerKind::Tokio),
];

/// The runner a variant name means (Moler's names included), case-insensitive.
pub fn variant_runner(variant: &str) -> Option<RunnerKind> {
    let v = variant.trim().to_ascii_lowercase();
    VARIANTS.iter().find(|(name, _)| *name == v).map(|(_, kind)| *kind)
}

/// The built-in classes' names and aliases ([`crate::builtin_classes`]).
fn builtin_names() -> impl Iterator<Item = (&'static str, Vec<&'static str>)> {
    crate::builtin_classes()
        .iter()
        .map(|c| (c.name.value.as_str(), c.aliases.iter().map(String::as_str).collect()))
}

/// What a config can open and name: built-ins plus what the user registered.
#[derive(Clone, Default)]
pub(crate) struct Registry {
    transports: Vec<(String, Arc<TransportFn>)>,
    connections: Vec<((String, String), Arc<ConnectionFn>)>,
    classes: Vec<(String, Vec<String>)>,
    runners: Vec<Runner>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("io_types", &self.transports.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("connections", &self.connections.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("classes", &self.classes)
            .field("runners", &self.runners.iter().map(Runner::kind).collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    pub fn add_transport(&mut self, io_type: &str, f: Arc<TransportFn>) {
        self.transports.retain(|(n, _)| n != io_type);
        self.transports.push((io_type.to_owned(), f));
    }

    pub fn add_connection(&mut self, io_type: &str, variant: &str, f: Arc<ConnectionFn>) {
        let key = (io_type.to_owned(), variant.to_owned());
        self.connections.retain(|(k, _)| *k != key);
        self.connections.push((key, f));
    }

    pub fn add_class(&mut self, name: &str, aliases: &[&str]) {
        self.classes.retain(|(n, _)| n != name);
        self.classes.push((name.to_owned(), aliases.iter().map(|a| (*a).to_owned()).collect()));
    }

    pub fn set_runner(&mut self, runner: Runner) {
        self.runners.retain(|r| r.kind() != runner.kind());
        self.runners.push(runner);
    }

    /// Every io_type name, built-in and registered.
    pub fn io_type_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = BUILTIN_IO_TYPES
            .iter()
            .copied()
            .filter(|n| *n != "memory")
            .chain(self.transports.iter().map(|(n, _)| n.as_str()))
            .chain(self.connections.iter().map(|((n, _), _)| n.as_str()))
            .collect();
        let mut seen = Vec::new();
        names.retain(|n| {
            let new = !seen.contains(n);
            seen.push(n);
            new
        });
        names
    }

    fn user_transport(&self, io_type: &str) -> Option<&Arc<TransportFn>> {
        self.transports.iter().find(|(n, _)| n == io_type).map(|(_, f)| f)
    }

    fn user_connection(&self, io_type: &str, variant: &str) -> Option<&Arc<ConnectionFn>> {
        self.connections.iter().find(|((i, v), _)| i == io_type && v == variant).map(|(_, f)| f)
    }

    fn registered_variants<'a>(&'a self, io_type: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.connections
            .iter()
            .filter(move |((i, _), _)| i == io_type)
            .map(|((_, v), _)| v.as_str())
    }

    /// An io_type is built in or registered. `memory` is only allowed where a default variant
    /// is given (Moler's files set one for it).
    pub fn check_io_type(
        &self,
        io_type: &Located<String>,
        problems: &mut ConfigError,
        defaults: bool,
    ) {
        let name = io_type.value.as_str();
        let known = self.user_transport(name).is_some()
            || self.registered_variants(name).next().is_some()
            || (BUILTIN_IO_TYPES.contains(&name) && (defaults || name != "memory"));
        if known {
            return;
        }
        let msg = if name == "memory" {
            "io_type memory cannot be opened from a config: its other end lives in your test \
             (use moler_io::memory::pair)"
                .to_owned()
        } else {
            format!("unknown io_type `{name}`{}", or_expected(name, &self.io_type_names()))
        };
        problems.add(ErrorKind::UnknownIoType, &io_type.origin, msg);
    }

    /// A variant is a runner's name or registered for the io_type.
    pub fn check_variant(
        &self,
        io_type: &str,
        variant: &Located<String>,
        problems: &mut ConfigError,
    ) {
        let v = variant.value.as_str();
        if variant_runner(v).is_some() || self.user_connection(io_type, v).is_some() {
            return;
        }
        let mut names: Vec<&str> = vec!["threaded", "tokio", "smol"];
        names.extend(self.registered_variants(io_type));
        let all: Vec<&str> =
            VARIANTS.iter().map(|(n, _)| *n).chain(self.registered_variants(io_type)).collect();
        let h = hint(v, all.iter().copied());
        let tail = if h.is_empty() { format!("; expected one of {}", names.join(", ")) } else { h };
        let msg = format!("unknown variant `{v}` for io_type {io_type}{tail}");
        problems.add(ErrorKind::UnknownVariant, &variant.origin, msg);
    }

    /// The io_type and the variant of a connection description are known; also says whether
    /// the io_type is.
    fn check_names(&self, spec: &ConnectionSpec) -> (ConfigError, bool) {
        let mut problems = ConfigError::default();
        self.check_io_type(&spec.io_type, &mut problems, false);
        let io_type_known = problems.is_empty();
        if let (true, Some(v)) = (io_type_known, &spec.variant) {
            self.check_variant(&spec.io_type.value, v, &mut problems);
        }
        (problems, io_type_known)
    }

    /// Which implementation a connection of `spec` gets on this machine, and why (what
    /// `moler check-config` and `moler devices` print): `terminal: bash (bash is on PATH)`,
    /// `sshshell: libssh2, built in`, `sshshell: unavailable: …` naming what is missing.
    pub fn transport_choice(&self, spec: &ConnectionSpec) -> String {
        let io_type = spec.io_type.value.as_str();
        if self.user_transport(io_type).is_some()
            || spec
                .variant
                .as_ref()
                .is_some_and(|v| self.user_connection(io_type, &v.value).is_some())
        {
            return format!("{io_type}: registered in code");
        }
        let mut p = spec.params();
        let what = match io_type {
            "terminal" | "terminal_no_fork" | "terminal_fork" => match p.get::<String>("shell") {
                Some(shell) => format!("{shell} (as configured)"),
                None => {
                    let c = moler_io::terminal::choose_shell(std::env::var_os("PATH").as_deref());
                    format!("{} ({})", c.shell, c.why)
                }
            },
            "sshshell" => match ssh_client(p.get::<String>("client").as_deref()) {
                Ok((_, why)) => why,
                Err(why) => format!("unavailable: {why}"),
            },
            "telnet" => match telnet_client(p.get::<String>("client").as_deref()) {
                Ok((_, why)) => why,
                Err(why) => format!("unavailable: client {why}"),
            },
            "serial" => match p.get::<String>("port") {
                Some(port) => match remote_port(&port) {
                    Some((host, tcp)) => {
                        format!("RFC 2217 to {}", moler_io::tcp::address(&host, tcp))
                    }
                    None => format!("the local port {port}"),
                },
                None => "no port".to_owned(),
            },
            _ => return io_type.to_owned(),
        };
        format!("{io_type}: {what}")
    }

    /// Checks a connection description as far as possible without opening it: the io_type,
    /// the variant, and a built-in io_type's parameters.
    pub fn check(&self, spec: &ConnectionSpec) -> (ConfigError, Vec<Warning>) {
        let (mut problems, io_type_known) = self.check_names(spec);
        let mut warnings = Vec::new();
        if !io_type_known {
            return (problems, warnings);
        }
        let io_type = spec.io_type.value.as_str();
        let user = self.user_transport(io_type).is_some()
            || spec
                .variant
                .as_ref()
                .is_some_and(|v| self.user_connection(io_type, &v.value).is_some());
        if !user {
            let mut params = spec.params();
            match builtin_options(io_type, &mut params) {
                Ok(_) => {
                    for key in params.ignored() {
                        let origin = params
                            .node(key)
                            .map_or_else(|| spec.origin.clone(), |n| n.origin.clone());
                        let message = format!("{}: parameter `{key}` is Moler's and means nothing here; it is ignored", params.what());
                        warnings.push(Warning { origin, message });
                    }
                }
                Err(e) => problems.extend(e),
            }
        }
        (problems, warnings)
    }

    /// The short name of a device class written as `written` (short or Moler's dotted name),
    /// looked up among the config's own `DEVICE_CLASSES` (`local`: names and their aliases)
    /// first, then the built-in and the registered ones; an error's hint names all of them.
    pub fn device_class_among<'a>(
        &'a self,
        written: &str,
        local: impl Iterator<Item = (&'a str, &'a [String])>,
    ) -> Result<String, String> {
        let w = written.trim();
        let names = |(n, a): (&'a str, &'a [String])| (n, a.iter().map(String::as_str).collect());
        let classes: Vec<(&'a str, Vec<&'a str>)> = local
            .map(names)
            .chain(builtin_names().map(|(n, a)| -> (&'a str, Vec<&'a str>) { (n, a) }))
            .chain(self.classes.iter().map(|(n, a)| names((n.as_str(), a.as_slice()))))
            .collect();
        if let Some((name, _)) = classes.iter().find(|(n, a)| *n == w || a.contains(&w)) {
            return Ok((*name).to_owned());
        }
        let available: Vec<&str> = classes.iter().map(|(n, _)| *n).collect();
        let last = w.rsplit('.').next().unwrap_or(w);
        let all: Vec<&str> = classes
            .iter()
            .flat_map(|(n, a)| std::iter::once(*n).chain(a.iter().copied()))
            .collect();
        let h = hint(w, all.iter().copied()).to_string();
        // A dotted name with a known class at its end: suggest that class's own name.
        let h = if h.is_empty() { hint(last, available.iter().copied()) } else { h };
        let tail = if h.is_empty() { format!("; available: {}", available.join(", ")) } else { h };
        Err(format!("unknown device class `{w}`{tail}"))
    }

    /// The runner for a variant: one given to the config, else a new one.
    fn runner(
        &self,
        kind: RunnerKind,
        variant: &Located<String>,
        what: &str,
    ) -> Result<Runner, Error> {
        if let Some(r) = self.runners.iter().find(|r| r.kind() == kind) {
            return Ok(r.clone());
        }
        // Moler's asyncio-in-thread: an event loop in a thread of its own. The caller's runtime
        // when there is one, else moler's own (a worker thread started on first use).
        #[cfg(feature = "tokio")]
        if variant.value.trim().eq_ignore_ascii_case("asyncio-in-thread") {
            use moler_runners::TokioRunner;
            let runner = TokioRunner::new().or_else(|_| TokioRunner::background());
            return runner.map(Runner::Tokio).map_err(|e| {
                let msg =
                    format!("{what}: variant {}: starting a tokio runtime: {e}", variant.value);
                Error::Config(ConfigError::new(
                    ErrorKind::InvalidValue,
                    variant.origin.clone(),
                    msg,
                ))
            });
        }
        Runner::new(kind).map_err(|e| {
            let (error_kind, msg) = match e {
                moler_runners::Error::NotCompiled { .. } => {
                    (ErrorKind::NotCompiled, format!("{what}: variant {}: {e}", variant.value))
                }
                _ => (
                    ErrorKind::InvalidValue,
                    format!(
                        "{what}: variant {}: {e}, or give the config a runner (Loader::runner)",
                        variant.value
                    ),
                ),
            };
            Error::Config(ConfigError::new(error_kind, variant.origin.clone(), msg))
        })
    }

    /// Opens `spec` as `name` (driving `prepared` if given). The variant: the spec's, else
    /// `default`, else `autodetected` (none: [`Runner::autodetect`] here).
    pub fn open(
        &self,
        name: &str,
        spec: &ConnectionSpec,
        default: Option<&Located<String>>,
        autodetected: Option<&Runner>,
        prepared: Option<moler_core::Connection>,
    ) -> Result<ConnectionHandle, Error> {
        // The parameters are read (and checked) once, below.
        let (problems, _) = self.check_names(spec);
        if !problems.is_empty() {
            return Err(problems.into());
        }
        let io_type = spec.io_type.value.as_str();
        let variant = spec.variant.as_ref().or(default);
        let mut params = spec.params();
        let what = params.what().to_owned();
        if let Some(v) = variant {
            if let Some(f) = self.user_connection(io_type, &v.value) {
                let opening = Opening { name, io_type, variant: &v.value };
                return f(&mut params, &opening);
            }
            if variant_runner(&v.value).is_none() {
                let mut p = ConfigError::default();
                self.check_variant(io_type, v, &mut p);
                return Err(p.into());
            }
        }
        let runner = match variant {
            Some(v) => {
                self.runner(variant_runner(&v.value).unwrap_or(RunnerKind::Thread), v, &what)?
            }
            None => autodetected.cloned().unwrap_or_else(Runner::autodetect),
        };
        let transport = match self.user_transport(io_type) {
            Some(f) => f(&mut params)?,
            None => {
                let options = builtin_options(io_type, &mut params)?;
                open_builtin(options)
                    .map_err(|e| Error::Open { what: what.clone(), source: e.into() })?
            }
        };
        let connection = prepared.unwrap_or_else(|| moler_core::Connection::new(name));
        runner
            .spawn_connection(connection, transport)
            .map_err(|source| Error::Open { what, source })
    }
}

/// A built-in io_type's options, read from its parameters.
enum Options {
    Terminal(moler_io::terminal::TerminalOptions),
    Tcp {
        host: String,
        port: u16,
        options: moler_io::tcp::TcpOptions,
    },
    Telnet {
        host: String,
        port: u16,
        options: moler_io::telnet::TelnetOptions,
    },
    TelnetClient {
        program: PathBuf,
        host: String,
        port: u16,
        options: moler_io::telnet::TelnetOptions,
    },
    Serial(moler_io::serial::SerialOptions),
    Rfc2217 {
        host: String,
        port: u16,
        options: moler_io::rfc2217::Rfc2217Options,
    },
    #[cfg(feature = "ssh")]
    Ssh(Box<moler_io::ssh::SshOptions>),
    OpenSsh(Box<moler_io::openssh::OpenSshOptions>),
    Process(moler_io::process::ProcessOptions),
}

fn window(p: &mut Params, key: &str, default: u16) -> u16 {
    match p.get::<u32>(key) {
        Some(v) if (1..=u32::from(u16::MAX)).contains(&v) => v as u16,
        Some(_) => {
            p.invalid(key, "must be between 1 and 65535");
            default
        }
        None => default,
    }
}

/// `ready_prompt`, `ready_marker`, `ready_timeout`: what a device prints once it is ready, so
/// that the first command waits for it.
fn greeting(p: &mut Params) -> Option<moler_io::Greeting> {
    let prompt: Option<String> = p.get("ready_prompt");
    let marker: Option<String> = p.get("ready_marker");
    let timeout: Option<std::time::Duration> = p.get("ready_timeout");
    let Some(prompt) = prompt else {
        if marker.is_some() {
            p.invalid("ready_marker", "needs `ready_prompt`, the prompt that follows it");
        }
        return None;
    };
    Some(moler_io::Greeting {
        marker: marker.unwrap_or_else(|| prompt.clone()),
        prompt,
        timeout: timeout.unwrap_or(std::time::Duration::from_secs(10)),
    })
}

fn builtin_options(io_type: &str, p: &mut Params) -> Result<Options, ConfigError> {
    p.ignore("name");
    let options = match io_type {
        "terminal" | "terminal_no_fork" | "terminal_fork" => {
            let mut o = moler_io::terminal::TerminalOptions::default();
            if let Some(shell) = p.get("shell") {
                o.shell = shell;
            }
            o.cols = window(p, "cols", o.cols);
            o.rows = window(p, "rows", o.rows);
            o.cwd = p.get("cwd");
            o.env = p.get("env").unwrap_or_default();
            if let Some(t) = p.get("ready_timeout") {
                o.ready_timeout = t;
            }
            Options::Terminal(o)
        }
        "tcp" => {
            let host = p.get("host").unwrap_or_else(|| "localhost".to_owned());
            let port = p.required("port").unwrap_or(1);
            let mut options = moler_io::tcp::TcpOptions::default();
            if let Some(t) = p.get("connect_timeout") {
                options.connect_timeout = t;
            }
            if let Some(n) = p.get("nodelay") {
                options.nodelay = n;
            }
            options.greeting = greeting(p);
            p.ignore("receive_buffer_size");
            Options::Tcp { host, port, options }
        }
        "telnet" => {
            let host = p.get("host").unwrap_or_else(|| "localhost".to_owned());
            let port = p.get("port").unwrap_or(23);
            let mut options = moler_io::telnet::TelnetOptions::default();
            if let Some(t) = p.get("connect_timeout") {
                options.connect_timeout = t;
            }
            if let Some(t) = p.get("terminal_type") {
                options.terminal_type = t;
            }
            options.cols = window(p, "cols", options.cols);
            options.rows = window(p, "rows", options.rows);
            if let Some(b) = p.get("binary") {
                options.binary = b;
            }
            options.greeting = greeting(p);
            match telnet_client(p.get::<String>("client").as_deref()) {
                Ok((Some(program), _)) => Options::TelnetClient { program, host, port, options },
                Ok((None, _)) => Options::Telnet { host, port, options },
                Err(why) => {
                    p.invalid("client", why);
                    Options::Telnet { host, port, options }
                }
            }
        }
        "serial" => {
            let port: String = p.required("port").unwrap_or_default();
            let settings = serial_settings(p);
            let greeting = greeting(p);
            let connect_timeout: Option<std::time::Duration> = p.get("connect_timeout");
            match remote_port(&port) {
                // `host:port`: a console server's port, over RFC 2217.
                Some((host, tcp_port)) => {
                    let mut options = moler_io::rfc2217::Rfc2217Options {
                        settings,
                        greeting,
                        ..Default::default()
                    };
                    if let Some(t) = connect_timeout {
                        options.connect_timeout = t;
                    }
                    Options::Rfc2217 { host, port: tcp_port, options }
                }
                None => {
                    if connect_timeout.is_some() {
                        p.invalid("connect_timeout", "is for a `host:port` (RFC 2217) port only");
                    }
                    let port = resolve_path(&port, p.base_dir());
                    Options::Serial(moler_io::serial::SerialOptions { port, settings, greeting })
                }
            }
        }
        "rfc2217" => {
            let host = p.get("host").unwrap_or_else(|| "localhost".to_owned());
            let port = p.required("port").unwrap_or(1);
            let mut options = moler_io::rfc2217::Rfc2217Options {
                settings: serial_settings(p),
                greeting: greeting(p),
                ..Default::default()
            };
            if let Some(t) = p.get("connect_timeout") {
                options.connect_timeout = t;
            }
            Options::Rfc2217 { host, port, options }
        }
        "sshshell" => ssh_options(p)?,
        "process" => {
            let program: String = p.required("program").unwrap_or_default();
            // A relative path with a slash is relative to the config file, like other paths.
            let program = if program.contains('/') {
                resolve_path(&program, p.base_dir()).into_os_string()
            } else {
                program.into()
            };
            let mut o = moler_io::process::ProcessOptions::new(
                program,
                p.get::<Vec<String>>("args").unwrap_or_default(),
            );
            o.cwd = p.get::<PathBuf>("cwd");
            o.env = p
                .get::<Vec<(String, String)>>("env")
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            // `stderr: null` unquoted is YAML's null, which `get` takes for "not given".
            if p.node("stderr").is_some_and(|n| matches!(n.value, Value::Null)) {
                let _ = p.get::<String>("stderr");
                o.stderr = moler_io::process::Stderr::Null;
            } else if let Some(s) = p.get::<String>("stderr") {
                o.stderr = match s.as_str() {
                    "merge" => moler_io::process::Stderr::Merge,
                    "null" => moler_io::process::Stderr::Null,
                    "inherit" => moler_io::process::Stderr::Inherit,
                    _ => {
                        p.invalid("stderr", format!("{s:?} must be merge, null or inherit"));
                        moler_io::process::Stderr::Merge
                    }
                };
            }
            o.greeting = greeting(p);
            if let Some(grace) = p.get("term_grace") {
                o.term_grace = grace;
            }
            Options::Process(o)
        }
        other => {
            return Err(ConfigError::new(
                ErrorKind::UnknownIoType,
                p.origin().clone(),
                format!("{}: io_type {other} has no constructor", p.what()),
            ))
        }
    };
    p.finish()?;
    Ok(options)
}

/// `host:port` in a serial `port` (not a path: it does not start with `/`, `.` or `~`).
fn remote_port(port: &str) -> Option<(String, u16)> {
    if port.starts_with(['/', '.', '~']) {
        return None;
    }
    let (host, tcp_port) = port.rsplit_once(':')?;
    let tcp_port = tcp_port.parse().ok().filter(|p| *p > 0)?;
    (!host.is_empty()).then(|| (host.trim_matches(['[', ']']).to_owned(), tcp_port))
}

/// `baud_rate` (115200), `data_bits` (8), `parity` (none), `stop_bits` (1), `flow_control`
/// (none): a serial line's settings.
fn serial_settings(p: &mut Params) -> moler_io::serial::SerialSettings {
    use moler_io::serial::{FlowControl, Parity, SerialSettings, StopBits};
    let mut s = SerialSettings::default();
    match p.get::<u32>("baud_rate") {
        Some(0) => p.invalid("baud_rate", "must be more than 0"),
        Some(b) => s.baud_rate = b,
        None => {}
    }
    match p.get::<u32>("data_bits") {
        Some(b @ 5..=8) => s.data_bits = b as u8,
        Some(_) => p.invalid("data_bits", "must be 5, 6, 7 or 8"),
        None => {}
    }
    if let Some(parity) = p.get::<String>("parity") {
        s.parity = match parity.to_ascii_lowercase().as_str() {
            "none" | "n" => Parity::None,
            "odd" | "o" => Parity::Odd,
            "even" | "e" => Parity::Even,
            "mark" | "m" => Parity::Mark,
            "space" | "s" => Parity::Space,
            _ => {
                p.invalid("parity", format!("{parity:?} must be none, odd, even, mark or space"));
                Parity::None
            }
        };
    }
    match p.get::<f64>("stop_bits") {
        Some(1.0) => s.stop_bits = StopBits::One,
        Some(1.5) => s.stop_bits = StopBits::OnePointFive,
        Some(2.0) => s.stop_bits = StopBits::Two,
        Some(_) => p.invalid("stop_bits", "must be 1, 1.5 or 2"),
        None => {}
    }
    if let Some(flow) = p.get::<String>("flow_control") {
        s.flow_control = match flow.to_ascii_lowercase().as_str() {
            "none" => FlowControl::None,
            "xonxoff" | "software" => FlowControl::Software,
            "rtscts" | "hardware" => FlowControl::Hardware,
            _ => {
                p.invalid(
                    "flow_control",
                    format!("{flow:?} must be none, xonxoff (software) or rtscts (hardware)"),
                );
                FlowControl::None
            }
        };
    }
    s
}

/// The SSH client an `sshshell` uses: `client` when given (`libssh2`, `openssh`), else libssh2
/// when this build has it, else the OpenSSH client when `ssh` is on `PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SshClient {
    Libssh2,
    OpenSsh,
}

/// The client a `telnet` connection gets (`client`: `native`, the default, or `telnet`, the
/// program found on `PATH`, in a pty), and why; `Err` says what is wrong or missing.
fn telnet_client(asked: Option<&str>) -> Result<(Option<PathBuf>, String), String> {
    match asked {
        None | Some("native") => Ok((None, "the native telnet client, built in".into())),
        Some("telnet") => match moler_io::terminal::on_path("telnet") {
            Some(t) => {
                let why = format!("client: telnet ({}) in a pty", t.display());
                Ok((Some(t), why))
            }
            None => Err("telnet needs the `telnet` program on PATH; none was found".into()),
        },
        Some(other) => Err(format!("{other:?} must be native or telnet")),
    }
}

/// The client an `sshshell` gets, and why; `Err` says what this machine lacks.
pub(crate) fn ssh_client(asked: Option<&str>) -> Result<(SshClient, String), String> {
    let on_path = || moler_io::terminal::on_path("ssh");
    match asked {
        Some("libssh2") if cfg!(feature = "ssh") => {
            Ok((SshClient::Libssh2, "client: libssh2".into()))
        }
        Some("libssh2") => {
            Err("client libssh2 needs moler's `ssh` feature, which this build left out".into())
        }
        Some("openssh") => match on_path() {
            Some(ssh) => Ok((SshClient::OpenSsh, format!("client: openssh ({})", ssh.display()))),
            None => {
                Err("client openssh needs the OpenSSH client `ssh` on PATH; none was found".into())
            }
        },
        Some(other) => Err(format!("client {other:?} must be libssh2 or openssh")),
        None if cfg!(feature = "ssh") => Ok((SshClient::Libssh2, "libssh2, built in".into())),
        None => match on_path() {
            Some(ssh) => Ok((
                SshClient::OpenSsh,
                format!("the OpenSSH client {} in a pty: this build has no libssh2", ssh.display()),
            )),
            None => Err("io_type sshshell needs libssh2 (moler's `ssh` feature, which this build \
                         left out) or the OpenSSH client `ssh` on PATH (none was found)"
                .into()),
        },
    }
}

fn ssh_options(p: &mut Params) -> Result<Options, ConfigError> {
    let host: String = p.required("host").unwrap_or_default();
    let username: Option<String> = p.get("username");
    let login: Option<String> = p.get("login");
    if username.is_some() && login.is_some() {
        p.invalid("login", "and `username` are the same; give one of them");
    }
    let user = username
        .or(login)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".to_owned());
    let port: Option<u16> = p.get("port");
    let password: Option<String> = p.get("password");
    let key_file: Option<PathBuf> = p.get("key_file");
    let key_passphrase: Option<String> = p.get("key_passphrase");
    // `off` unquoted is YAML 1.1's false (as PyYAML reads it, so Moler's users write it so).
    let policy = match p.node("host_key_policy").map(|n| &n.value) {
        Some(Value::Bool(false)) => p.get::<bool>("host_key_policy").map(|_| "off".to_owned()),
        _ => p.get::<String>("host_key_policy"),
    };
    let policy = match policy.as_deref() {
        None | Some("accept-new" | "accept_new") => "accept-new",
        Some("strict") => "strict",
        Some("off") => "off",
        Some(other) => {
            p.invalid("host_key_policy", format!("{other:?} must be strict, accept-new or off"));
            "accept-new"
        }
    };
    let known_hosts: Option<PathBuf> = p.get("known_hosts");
    let connect_timeout: Option<std::time::Duration> = p.get("connect_timeout");
    let keepalive: Option<std::time::Duration> = p.get("keepalive");
    let term: Option<String> = p.get("term");
    let cols = window(p, "cols", 300);
    let rows = window(p, "rows", 50);
    let moler_prompt = p.get::<bool>("moler_prompt").unwrap_or(false);
    let client: Option<String> = p.get("client");
    p.ignore("receive_buffer_size");
    let client = match ssh_client(client.as_deref()) {
        Ok((c, _)) => c,
        Err(why) => {
            let kind = if why.contains("left out") {
                ErrorKind::NotCompiled
            } else {
                ErrorKind::InvalidValue
            };
            let origin = p.node("client").map_or_else(|| p.origin().clone(), |n| n.origin.clone());
            return Err(ConfigError::new(kind, origin, format!("{}: {why}", p.what())));
        }
    };
    match client {
        #[cfg(feature = "ssh")]
        SshClient::Libssh2 => {
            use moler_io::ssh::{HostKeyPolicy, SshOptions};
            let mut o = SshOptions::new(host, user);
            if let Some(port) = port {
                o.port = port;
            }
            o.password = password;
            o.key_file = key_file;
            o.key_passphrase = key_passphrase;
            o.host_key_policy = match policy {
                "strict" => HostKeyPolicy::Strict,
                "off" => HostKeyPolicy::Off,
                _ => HostKeyPolicy::AcceptNew,
            };
            o.known_hosts_file = known_hosts;
            if let Some(t) = connect_timeout {
                o.connect_timeout = t;
            }
            o.keepalive = keepalive;
            if let Some(term) = term {
                o.term = term;
            }
            o.cols = cols;
            o.rows = rows;
            if moler_prompt {
                o = o.with_moler_prompt();
            }
            Ok(Options::Ssh(Box::new(o)))
        }
        #[cfg(not(feature = "ssh"))]
        SshClient::Libssh2 => unreachable!("ssh_client refuses libssh2 without the feature"),
        SshClient::OpenSsh => {
            use moler_io::openssh::{HostKeyChecking, OpenSshOptions};
            let _ = (key_passphrase, keepalive, term);
            let mut o = OpenSshOptions::new(host, user);
            if let Some(port) = port {
                o.port = port;
            }
            o.password = password;
            o.key_file = key_file;
            o.host_key_checking = match policy {
                "strict" => HostKeyChecking::Strict,
                "off" => HostKeyChecking::Off,
                _ => HostKeyChecking::AcceptNew,
            };
            o.known_hosts_file = known_hosts;
            if let Some(t) = connect_timeout {
                o.connect_timeout = t;
            }
            o.cols = cols;
            o.rows = rows;
            o.moler_prompt = moler_prompt;
            Ok(Options::OpenSsh(Box::new(o)))
        }
    }
}

fn open_builtin(options: Options) -> Result<Transport, moler_io::Error> {
    match options {
        Options::Terminal(o) => moler_io::terminal::open(&o),
        Options::Tcp { host, port, options } => moler_io::tcp::connect(&host, port, &options),
        Options::Telnet { host, port, options } => moler_io::telnet::connect(&host, port, &options),
        Options::TelnetClient { program, host, port, options } => {
            moler_io::telnet::client_in_pty(&program, &host, port, &options)
        }
        Options::Serial(o) => moler_io::serial::open(&o),
        Options::Rfc2217 { host, port, options } => {
            moler_io::rfc2217::connect(&host, port, &options)
        }
        #[cfg(feature = "ssh")]
        Options::Ssh(o) => moler_io::ssh::connect(&o),
        Options::OpenSsh(o) => moler_io::openssh::connect(&o),
        Options::Process(o) => moler_io::process::spawn(&o),
    }
}
