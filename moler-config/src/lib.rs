//! # moler-config: Moler's YAML, typed, and the connections it names
//!
//! Layer 3 of moler-rs. A [`Config`] comes from a YAML file, a YAML string, the file named by
//! the `MOLER_CONFIG` environment variable, or Rust code. Moler users' files load unchanged:
//!
//! ```yaml
//! LOGGER: {PATH: ./logs, RAW_LOG: true, DATE_FORMAT: "%H:%M:%S"}
//! NAMED_CONNECTIONS:
//!   net_1: {io_type: tcp, host: localhost, port: 5671}
//! IO_TYPES:
//!   default_variant: {tcp: threaded, terminal: threaded}
//! DEVICES:
//!   DEFAULT_CONNECTION:
//!     CONNECTION_DESC: {io_type: terminal, variant: threaded}
//!   MyMachine:
//!     DEVICE_CLASS: moler.device.unixlocal.UnixLocal
//! ```
//!
//! A mistake is pointed at: every message starts with `file:line:column`, an unknown key comes
//! with a "did you mean", and all mistakes of a file are reported at once
//! ([`ConfigError::problems`]).
//!
//! ```
//! let e = moler_config::Config::from_yaml("DEVICES:\n  box:\n    DEVICE_CLAS: UnixLocal\n")
//!     .unwrap_err();
//! assert_eq!(
//!     e.to_string(),
//!     "<yaml string>:3:5: unknown key `DEVICE_CLAS` in DEVICES.box; did you mean DEVICE_CLASS?"
//! );
//! ```
//!
//! ## Opening connections
//!
//! [`Config::open`] opens a named connection; [`Config::open_spec`] and [`Config::open_io`]
//! one described in code. The variant picks the runner: the connection's own `variant`, else
//! `IO_TYPES.default_variant` for its io_type, else autodetection (inside a tokio runtime the
//! tokio runner, otherwise the thread runner).
//!
//! | io_type | parameters (Moler's in bold) |
//! |---|---|
//! | `terminal` (Moler's `terminal_no_fork`, `terminal_fork` too) | `shell` (bash when on PATH, else sh), `cols` (300), `rows` (50), `cwd`, `env` (mapping), `ready_timeout` (s) |
//! | `tcp` | **`port`** (required), **`host`** (localhost), `connect_timeout` (s), `nodelay` (true), `ready_prompt`, `ready_marker`, `ready_timeout` (10 s); **`receive_buffer_size`** is ignored |
//! | `telnet` | **`host`** (localhost), **`port`** (23), `connect_timeout` (s), `terminal_type` (vt100), `cols` (300), `rows` (50), `binary` (false), `ready_prompt`, `ready_marker`, `ready_timeout`, `client` (`native`, built in; `telnet`: the `telnet` program on PATH in a pty) |
//! | `serial` | `port` (required: a device such as `/dev/ttyUSB0`, or `host:port` of an RFC 2217 server), `baud_rate` (115200), `data_bits` (8), `parity` (none, odd, even, mark, space), `stop_bits` (1, 1.5, 2), `flow_control` (none, xonxoff, rtscts), `connect_timeout` (s, `host:port` only), `ready_prompt`, `ready_marker`, `ready_timeout` |
//! | `rfc2217` | `port` (required), `host` (localhost), the settings of `serial`, `connect_timeout` (s), `ready_prompt`, `ready_marker`, `ready_timeout` |
//! | `sshshell` | **`host`** (required), **`port`** (22), **`username`** or **`login`** ($USER), **`password`**, `key_file`, `key_passphrase`, `host_key_policy` (strict, accept-new, off), `known_hosts`, `connect_timeout`, `keepalive` (s), `term`, `cols`, `rows`, `moler_prompt` (false), `client` (`libssh2` when the build has the `ssh` feature, else `openssh`: the OpenSSH client in a pty, which takes no `key_passphrase`, `keepalive` or `term`) |
//! | `process` | `program` (required), `args` (list), `cwd`, `env`, `stderr` (merge, null, inherit), `term_grace` (seconds between SIGTERM and SIGKILL when it closes, 0.5), `ready_prompt`, `ready_marker`, `ready_timeout` |
//!
//! `ready_prompt` is what a device shows once it is ready (after `ready_marker`, a banner line,
//! if given): the first command waits for it, so that the device's first prompt is not taken
//! for the end of that command. Both are plain text, not regexes: the output must contain the
//! marker and then end with the prompt (`'login: '`, not `'login: $'`). If they do not come
//! within `ready_timeout`, the connection closes before anything is typed, and opening the
//! device fails, quoting what the device printed instead.
//! Every io_type also takes `name` (Moler passes it). Paths (`cwd`, `key_file`,
//! `known_hosts`, a `program` with a slash, `LOGGER.PATH`) are resolved from the config file's
//! folder; `~/` is the home folder.
//!
//! | variant | runner |
//! |---|---|
//! | `threaded` (Moler's `multi-threaded`, `single-threaded` too) | the thread runner |
//! | `tokio` (Moler's `asyncio` too) | the tokio runner on the caller's runtime (feature `tokio`) |
//! | Moler's `asyncio-in-thread` | the same; from code with no runtime, moler's own (`TokioRunner::background()`) |
//! | `smol` | the smol runner (feature `smol`) |
//!
//! ```no_run
//! use moler_config::Config;
//! let config = Config::from_file("connections.yml")?;
//! let shell = config.open("local")?;          // a ConnectionHandle on the chosen runner
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Devices
//!
//! `DEVICES` is read into [`DeviceSpec`]s: the class (Moler's dotted names and short names),
//! the connection (`CONNECTION_DESC`, else `DEFAULT_CONNECTION`), `CONNECTION_HOPS`,
//! `INITIAL_STATE`, `LAZY_CMDS_EVENTS`, `ADDITIONAL_PARAMS`; `CLONED_FROM` copies another
//! device's class, connection and hops. The `moler` crate builds devices from them.

#![forbid(unsafe_code)]

mod error;
mod factory;
mod model;
mod params;
mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use moler_io::Transport;
use moler_runners::{ConnectionHandle, Runner};

pub use error::{did_you_mean, ConfigError, Error, ErrorKind, Problem};
pub use factory::{variant_runner, ConnectionFn, Opening, TransportFn};
pub use model::{
    ClassSpec, ConnectionSpec, DefaultVariant, DeviceClass, DeviceSpec, Devices, Hop, Located,
    LogRotation, Logger, NamedConnection, RemoteAccess, RotationKind, StateSpec, Warning,
    WriteMode,
};

/// moler-rs's own device classes (`UnixLocal`, `ProxyPc`, `UnixRemote`), written the way a
/// config's `DEVICE_CLASSES` are (the file `moler-config/src/classes.yml`, built in): a class of
/// your own, or one that extends these with `BASE`, is the same kind of data.
///
/// ```
/// let classes = moler_config::builtin_classes();
/// let remote = classes.iter().find(|c| c.name.value == "UnixRemote").unwrap();
/// assert_eq!(remote.base.as_ref().unwrap().value, "ProxyPc");
/// assert!(remote.states.iter().any(|s| s.name.value == "UNIX_REMOTE_ROOT"));
/// ```
pub fn builtin_classes() -> &'static [ClassSpec] {
    static CLASSES: std::sync::OnceLock<Vec<ClassSpec>> = std::sync::OnceLock::new();
    CLASSES.get_or_init(|| {
        let origin = Origin::text("moler-config/src/classes.yml");
        let root = yaml::parse(include_str!("classes.yml"), &origin)
            .unwrap_or_else(|e| panic!("the built-in device classes: {e}"));
        let registry = Registry::default();
        let mut reader = Reader::new(&registry, None);
        let sections = reader.document(&root);
        if let Err(e) = reader.problems.into_result(()) {
            panic!("the built-in device classes: {e}");
        }
        sections.classes
    })
}
pub use params::{FromParam, Params};
pub use yaml::{Key, Node, Origin, Value};

use factory::Registry;
use model::{Reader, Sections};

/// The environment variable that names the config file ([`Config::from_env`]).
pub const ENV_VAR: &str = "MOLER_CONFIG";

/// A loaded config: Moler's sections, typed, and the constructors that open its connections.
#[derive(Clone, Debug)]
pub struct Config {
    /// `LOGGER`.
    pub logger: Logger,
    /// `NAMED_CONNECTIONS`, in file order.
    pub connections: Vec<NamedConnection>,
    /// `IO_TYPES.default_variant`.
    pub default_variants: Vec<DefaultVariant>,
    /// `DEVICES`.
    pub devices: Devices,
    /// `DEVICE_CLASSES`: device classes written as data (moler-rs's own are
    /// [`builtin_classes`]).
    pub device_classes: Vec<ClassSpec>,
    /// What loaded but deserves a look (old-style keys, ignored Moler parameters).
    pub warnings: Vec<Warning>,
    logger_origin: Option<Origin>,
    registry: Arc<Registry>,
}

impl Default for Config {
    fn default() -> Self {
        Loader::new().build()
    }
}

impl Config {
    /// An empty config (build it up in code).
    pub fn new() -> Config {
        Config::default()
    }

    /// Loads a YAML file; relative paths in it are resolved from its folder.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        Loader::new().from_file(path)
    }

    /// Loads YAML text; relative paths in it are resolved from the current folder. Messages
    /// name it `<yaml string>`.
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        Loader::new().from_yaml(text)
    }

    /// Loads the file named by `MOLER_CONFIG`.
    pub fn from_env() -> Result<Config, ConfigError> {
        Loader::new().from_env()
    }

    /// The named connection `name`.
    pub fn connection(&self, name: &str) -> Option<&NamedConnection> {
        self.connections.iter().find(|c| c.name.value == name)
    }

    /// The default variant configured for `io_type`.
    pub fn default_variant(&self, io_type: &str) -> Option<&Located<String>> {
        self.default_variants.iter().find(|d| d.io_type.value == io_type).map(|d| &d.variant)
    }

    /// The device named `name`.
    pub fn device(&self, name: &str) -> Option<&DeviceSpec> {
        self.devices.get(name)
    }

    /// Where `LOGGER` was written, if it was.
    pub fn logger_origin(&self) -> Option<&Origin> {
        self.logger_origin.as_ref()
    }

    /// Opens the named connection `name` on the runner its variant names (else `IO_TYPES`'
    /// default, else autodetected).
    ///
    /// ```
    /// use moler_config::Config;
    /// use moler_core::Command;
    /// use std::time::Duration;
    ///
    /// let config = Config::from_yaml("NAMED_CONNECTIONS:\n  sh: {io_type: terminal, variant: threaded}\n")?;
    /// let shell = config.open("sh")?;
    /// let out = shell.run(Command::lines("echo $((6*7))", "^moler_bash# $"), Duration::from_secs(10));
    /// assert_eq!(out.unwrap(), ["42"]);
    /// assert!(config.open("nosuch").unwrap_err().to_string().contains("nosuch"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(&self, name: &str) -> Result<ConnectionHandle, Error> {
        let Some(c) = self.connection(name) else {
            let names: Vec<&str> = self.connections.iter().map(|c| c.name.value.as_str()).collect();
            let tail = error::hint(name, names.iter().copied());
            let tail = if tail.is_empty() && !names.is_empty() {
                format!("; defined: {}", names.join(", "))
            } else if names.is_empty() {
                " (NAMED_CONNECTIONS is empty)".to_owned()
            } else {
                tail
            };
            return Err(ConfigError::new(
                ErrorKind::UnknownConnection,
                Origin::code(),
                format!("no connection named {name}{tail}"),
            )
            .into());
        };
        self.open_spec(name, &c.spec)
    }

    /// Which implementation a connection of `spec` gets on this machine and why, without
    /// opening it: `terminal: bash (bash is on PATH)`, `sshshell: libssh2, built in`,
    /// `sshshell: the OpenSSH client /usr/bin/ssh in a pty: this build has no libssh2`, or
    /// `sshshell: unavailable: …` naming what the machine lacks (opening then fails with that).
    ///
    /// ```
    /// let config = moler_config::Config::from_yaml("NAMED_CONNECTIONS:\n  t: {io_type: telnet, host: h, port: 23}\n").unwrap();
    /// assert_eq!(config.transport_choice(&config.connections[0].spec), "telnet: the native telnet client, built in");
    /// ```
    pub fn transport_choice(&self, spec: &ConnectionSpec) -> String {
        self.registry.transport_choice(spec)
    }

    /// Opens a connection described by `spec` and names it `name`.
    pub fn open_spec(&self, name: &str, spec: &ConnectionSpec) -> Result<ConnectionHandle, Error> {
        self.registry.open(name, spec, self.default_variant(&spec.io_type.value), None, None)
    }

    /// [`Config::open_spec`] for a `connection` prepared by the caller (named, perhaps with a
    /// [`Transcript`](moler_core::Transcript) for its log), with `autodetected` as the runner
    /// when neither the spec nor `IO_TYPES` names a variant: what a caller that opens on another
    /// thread passes to keep the autodetection of its own context (a device's background state
    /// change). A connection factory registered for the io_type makes its own connection, so
    /// `connection` is not used there.
    pub fn open_spec_on(
        &self,
        connection: moler_core::Connection,
        spec: &ConnectionSpec,
        autodetected: &Runner,
    ) -> Result<ConnectionHandle, Error> {
        let default = self.default_variant(&spec.io_type.value);
        let name = connection.name().to_owned();
        self.registry.open(&name, spec, default, Some(autodetected), Some(connection))
    }

    /// Opens a connection of `io_type` with `params`; `variant: None` takes the configured
    /// default or autodetects.
    ///
    /// ```
    /// use moler_config::{Config, Params};
    /// let config = Config::new();
    /// let shell = config.open_io("terminal", Some("threaded"), Params::new().with("cols", 200))?;
    /// assert_eq!(shell.runner(), moler_runners::RunnerKind::Thread);
    /// # Ok::<(), moler_config::Error>(())
    /// ```
    pub fn open_io(
        &self,
        io_type: &str,
        variant: Option<&str>,
        params: Params,
    ) -> Result<ConnectionHandle, Error> {
        let mut spec = ConnectionSpec::new(io_type);
        spec.variant = variant.map(|v| Located::code(v.to_owned()));
        spec.what = format!("connection {io_type}");
        spec.base_dir = params.base_dir().map(Arc::from);
        spec.params = params.into_entries();
        self.open_spec(io_type, &spec)
    }

    /// Adds a named connection (checked as if it were read from YAML).
    pub fn add_connection(
        &mut self,
        name: &str,
        mut spec: ConnectionSpec,
    ) -> Result<(), ConfigError> {
        if spec.what == "connection" {
            spec.what = format!("connection {name}");
        }
        let (problems, warnings) = self.registry.check(&spec);
        problems.into_result(())?;
        self.warnings.extend(warnings);
        let named = NamedConnection { name: Located::code(name.to_owned()), spec };
        let mut e = ConfigError::default();
        merge_connections(&mut self.connections, vec![named], &mut e);
        e.into_result(())
    }

    /// Sets the default variant of `io_type`.
    pub fn set_default_variant(&mut self, io_type: &str, variant: &str) -> Result<(), ConfigError> {
        let io = Located::code(io_type.to_owned());
        let v = Located::code(variant.to_owned());
        let mut e = ConfigError::default();
        self.registry.check_io_type(&io, &mut e, true);
        if e.is_empty() {
            self.registry.check_variant(io_type, &v, &mut e);
        }
        e.into_result(())?;
        self.default_variants.retain(|d| d.io_type.value != io_type);
        self.default_variants.push(DefaultVariant { io_type: io, variant: v });
        Ok(())
    }

    /// Adds a device (checked as if it were read from YAML: its class, its connection, a
    /// CLONED_FROM naming a known device).
    pub fn add_device(&mut self, mut spec: DeviceSpec) -> Result<(), ConfigError> {
        let mut e = ConfigError::default();
        if spec.cloned_from.is_none() {
            let own = self.device_classes.iter().map(|c| (c.name.value.as_str(), &c.aliases[..]));
            match self.registry.device_class_among(&spec.class.value.written, own) {
                Ok(name) => spec.class.value.name = name,
                Err(m) => e.add(
                    ErrorKind::UnknownDeviceClass,
                    &spec.class.origin,
                    format!("device {}: {m}", spec.name),
                ),
            }
            let (p, w) = self.registry.check(&spec.connection);
            e.extend(p);
            self.warnings.extend(w);
        }
        e.into_result(())?;
        let mut devices = std::mem::take(&mut self.devices);
        let mut e = ConfigError::default();
        merge_devices(&mut devices, Devices { list: vec![spec], ..Devices::default() }, &mut e);
        model::resolve(&mut devices, &mut e);
        self.devices = devices;
        e.into_result(())
    }

    /// Adds another config's connections, default variants and devices, as Moler does when a
    /// second config is loaded: the same name defined again must be defined the same way.
    /// `LOGGER` stays this config's unless this one has none.
    pub fn merge(&mut self, other: Config) -> Result<(), ConfigError> {
        let mut e = ConfigError::default();
        if self.logger_origin.is_none() && other.logger_origin.is_some() {
            self.logger = other.logger;
            self.logger_origin = other.logger_origin;
        }
        merge_connections(&mut self.connections, other.connections, &mut e);
        merge_default_variants(&mut self.default_variants, other.default_variants, &mut e);
        merge_devices(&mut self.devices, other.devices, &mut e);
        merge_classes(&mut self.device_classes, other.device_classes, &mut e);
        self.warnings.extend(other.warnings);
        e.sort();
        e.into_result(())
    }
}

/// Classes of another file or config: one name is one class.
fn merge_classes(into: &mut Vec<ClassSpec>, more: Vec<ClassSpec>, e: &mut ConfigError) {
    for c in more {
        match into.iter().find(|x| x.name.value == c.name.value) {
            Some(first) if first.origin == c.origin => {}
            Some(first) => e.add(
                ErrorKind::DuplicateKey,
                &c.name.origin,
                format!(
                    "device class {} is defined twice (first at {})",
                    c.name.value, first.name.origin
                ),
            ),
            None => into.push(c),
        }
    }
}

fn merge_connections(
    into: &mut Vec<NamedConnection>,
    more: Vec<NamedConnection>,
    e: &mut ConfigError,
) {
    for c in more {
        match into.iter().find(|x| x.name.value == c.name.value) {
            Some(x) if x.spec != c.spec => e.add(
                ErrorKind::ConnectionDefinedTwice,
                &c.name.origin,
                format!(
                    "connection {} is defined twice differently (first at {})",
                    c.name, x.name.origin
                ),
            ),
            Some(_) => {}
            None => into.push(c),
        }
    }
}

fn merge_default_variants(
    into: &mut Vec<DefaultVariant>,
    more: Vec<DefaultVariant>,
    e: &mut ConfigError,
) {
    for d in more {
        match into.iter().find(|x| x.io_type.value == d.io_type.value) {
            Some(x) if x.variant.value != d.variant.value => e.add(
                ErrorKind::DuplicateKey,
                &d.variant.origin,
                format!(
                    "the default variant of {} is {} here but {} at {}",
                    d.io_type.value, d.variant.value, x.variant.value, x.variant.origin
                ),
            ),
            Some(_) => {}
            None => into.push(d),
        }
    }
}

fn merge_devices(into: &mut Devices, more: Devices, e: &mut ConfigError) {
    if into.default_connection.is_none() {
        into.default_connection = more.default_connection;
    }
    into.create_at_startup |= more.create_at_startup;
    into.topology.extend(more.topology);
    for d in more.list {
        match into.list.iter().find(|x| x.name.value == d.name.value) {
            Some(x) => {
                let diff = x.differences(&d);
                if !diff.is_empty() {
                    e.add(
                        ErrorKind::DeviceDefinedTwice,
                        &d.name.origin,
                        format!(
                            "device {} is defined twice differently: {} differ{} (first at {})",
                            d.name,
                            diff.join(", "),
                            if diff.len() == 1 { "s" } else { "" },
                            x.name.origin
                        ),
                    );
                }
            }
            None => into.list.push(d),
        }
    }
}

/// Loads configs with your own io_types, constructors, device classes and runners.
///
/// ```
/// use moler_config::{Loader, Params};
/// let config = Loader::new()
///     .io_type("echo", |p: &mut Params| {
///         let greeting: Option<String> = p.get("greeting");
///         p.finish()?;
///         let opts = moler_io::process::ProcessOptions::new("cat", Vec::<String>::new());
///         let _ = greeting;
///         moler_io::process::spawn(&opts).map_err(|e| moler_config::Error::Open {
///             what: "echo".into(),
///             source: e.into(),
///         })
///     })
///     .from_yaml("NAMED_CONNECTIONS:\n  e: {io_type: echo, greeting: hi}\n")?;
/// let echo = config.open("e")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Loader {
    registry: Registry,
}

impl Loader {
    /// Built-in io_types, variants and device classes only.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// Adds (or replaces) an io_type: `f` makes a transport from the parameters, and the
    /// variant's runner drives it. Its parameters are checked when it opens (`f` reads them
    /// with [`Params`] and calls [`Params::finish`]).
    pub fn io_type<F>(mut self, name: &str, f: F) -> Loader
    where
        F: Fn(&mut Params) -> Result<Transport, Error> + Send + Sync + 'static,
    {
        self.registry.add_transport(name, Arc::new(f));
        self
    }

    /// Adds (or replaces) the constructor of one `(io_type, variant)` pair; the variant may be
    /// a name of your own.
    pub fn connection<F>(mut self, io_type: &str, variant: &str, f: F) -> Loader
    where
        F: Fn(&mut Params, &Opening<'_>) -> Result<ConnectionHandle, Error> + Send + Sync + 'static,
    {
        self.registry.add_connection(io_type, variant, Arc::new(f));
        self
    }

    /// Adds a device class by its short name, with other names it may be written as.
    pub fn device_class(mut self, name: &str, aliases: &[&str]) -> Loader {
        self.registry.add_class(name, aliases);
        self
    }

    /// The runner to use for its variant (a `TokioRunner` on a runtime handle, say), instead
    /// of a new one per connection.
    pub fn runner(mut self, runner: impl Into<Runner>) -> Loader {
        self.registry.set_runner(runner.into());
        self
    }

    /// An empty config with these registrations.
    pub fn build(self) -> Config {
        Config {
            logger: Logger::default(),
            connections: Vec::new(),
            default_variants: Vec::new(),
            devices: Devices::default(),
            device_classes: Vec::new(),
            warnings: Vec::new(),
            logger_origin: None,
            registry: Arc::new(self.registry),
        }
    }

    /// Loads a YAML file; relative paths in it are resolved from its folder.
    pub fn from_file(self, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        self.from_files([path])
    }

    /// Loads several files into one config, as Moler loads one config after another: a
    /// device may be CLONED_FROM a device of another file; a name defined in two files must
    /// be defined the same way.
    pub fn from_files<P: AsRef<Path>>(
        self,
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Config, ConfigError> {
        let mut docs = Vec::new();
        let mut e = ConfigError::default();
        for path in paths {
            let path = path.as_ref();
            match read_file(path) {
                Ok(text) => {
                    let base = base_dir(path);
                    match self.sections(&text, &Origin::file(path), Some(base)) {
                        Ok(s) => docs.push(s),
                        Err(p) => e.extend(p),
                    }
                }
                Err(p) => e.push(p),
            }
        }
        e.into_result(())?;
        self.assemble(docs)
    }

    /// Loads YAML text; relative paths are resolved from the current folder.
    pub fn from_yaml(self, text: &str) -> Result<Config, ConfigError> {
        let s = self.sections(text, &Origin::text("<yaml string>"), None)?;
        self.assemble(vec![s])
    }

    /// Loads the file named by the `MOLER_CONFIG` environment variable.
    pub fn from_env(self) -> Result<Config, ConfigError> {
        match std::env::var_os(ENV_VAR) {
            Some(path) if !path.is_empty() => self.from_file(PathBuf::from(path)),
            _ => Err(ConfigError::new(
                ErrorKind::Read,
                Origin::text(ENV_VAR),
                "the environment variable is not set: point it at a YAML config file",
            )),
        }
    }

    fn sections(
        &self,
        text: &str,
        origin: &Origin,
        base: Option<Arc<Path>>,
    ) -> Result<Sections, ConfigError> {
        let root = yaml::parse(text, origin)?;
        let mut reader = Reader::new(&self.registry, base);
        let sections = reader.document(&root);
        let mut problems = reader.problems;
        problems.sort();
        problems.into_result(sections)
    }

    fn assemble(self, docs: Vec<Sections>) -> Result<Config, ConfigError> {
        let mut config = self.build();
        let mut e = ConfigError::default();
        let mut devices = Devices::default();
        for s in docs {
            if config.logger_origin.is_none() && s.logger_origin.is_some() {
                config.logger = s.logger;
                config.logger_origin = s.logger_origin;
            }
            merge_connections(&mut config.connections, s.connections, &mut e);
            merge_default_variants(&mut config.default_variants, s.default_variants, &mut e);
            merge_devices(&mut devices, s.devices, &mut e);
            merge_classes(&mut config.device_classes, s.classes, &mut e);
            config.warnings.extend(s.warnings);
        }
        model::resolve(&mut devices, &mut e);
        config.devices = devices;
        e.sort();
        e.into_result(config)
    }
}

fn base_dir(path: &Path) -> Arc<Path> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let absolute = if parent.is_absolute() {
        parent.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| parent.to_path_buf(), |cwd| cwd.join(parent))
    };
    Arc::from(absolute.as_path())
}

fn read_file(path: &Path) -> Result<String, Problem> {
    let origin = Origin::file(path);
    let bytes = std::fs::read(path).map_err(|e| {
        Problem::new(ErrorKind::Read, origin.clone(), format!("cannot read the config: {e}"))
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let column = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        Problem::new(
            ErrorKind::Read,
            origin.at(line as u64, column as u64),
            "the config is not UTF-8 text (save it as UTF-8)",
        )
    })
}
