//! The typed config: Moler's sections, read from a [`Node`] tree with errors that point.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{did_you_mean, hint, or_expected, ConfigError, ErrorKind, Problem, Problems};
use crate::factory::Registry;
use crate::params::{resolve_path, Params};
use crate::yaml::{Key, Node, Origin, Value};

/// A value and where it was written.
#[derive(Clone, Debug)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written ([`Origin::code`] when built in Rust).
    pub origin: Origin,
}

impl<T> Located<T> {
    /// A value written in Rust code.
    pub fn code(value: T) -> Located<T> {
        Located { value, origin: Origin::code() }
    }
}

impl<T: PartialEq> PartialEq for Located<T> {
    /// Compares values only.
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// Something worth knowing about a config that still loads (an old-style key, a Moler
/// parameter that means nothing here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub origin: Origin,
    /// What.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.origin, self.message)
    }
}

/// `LOGGER`: where logs go and how (Moler's keys; the logging itself is set up by `moler`).
#[derive(Clone, Debug, PartialEq)]
pub struct Logger {
    /// `PATH`: the folder for `moler.log` and the device logs, resolved from the config file's
    /// folder (default: the current folder).
    pub path: Option<PathBuf>,
    /// `RAW_LOG`: also write raw byte logs (default false).
    pub raw_log: bool,
    /// `DEBUG_LEVEL`: `TRACE`, `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL` (default none:
    /// Moler's `MOLER_DEBUG_LEVEL` environment variable, else no debug log).
    pub debug_level: Option<String>,
    /// `DATE_FORMAT`: strftime format of log timestamps (Moler's default `%d %H:%M:%S`).
    pub date_format: String,
    /// `MODE`: append to logs or overwrite them (`a`/`append`, `w`/`write`; default append).
    pub mode: WriteMode,
    /// `ERROR_LOG_STACK`: log the whole stack with errors (default false).
    pub error_log_stack: bool,
    /// `CONSOLE_LOGS`: logger names that also print to the console.
    pub console_logs: Vec<String>,
    /// `LOG_ROTATION`.
    pub rotation: LogRotation,
}

impl Default for Logger {
    fn default() -> Self {
        Logger {
            path: None,
            raw_log: false,
            debug_level: None,
            date_format: "%d %H:%M:%S".into(),
            mode: WriteMode::Append,
            error_log_stack: false,
            console_logs: Vec::new(),
            rotation: LogRotation::default(),
        }
    }
}

/// `LOGGER.MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Append to existing logs (`a`, `append`).
    #[default]
    Append,
    /// Start logs afresh (`w`, `write`).
    Write,
}

/// `LOGGER.LOG_ROTATION` (Moler's defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct LogRotation {
    /// `KIND`: rotate by `size` or by `time`; none: no rotation.
    pub kind: Option<RotationKind>,
    /// `INTERVAL`: bytes (size) or seconds (time) per file (default 102400).
    pub interval: u64,
    /// `BACKUP_COUNT`: rotated files to keep (default 999).
    pub backup_count: u32,
    /// `COMPRESS_AFTER_ROTATION` (default false).
    pub compress_after_rotation: bool,
    /// `COMPRESS_COMMAND`, with `{compressed}` and `{log_input}` (default
    /// `zip -9mq {compressed} {log_input}`).
    pub compress_command: String,
    /// `COMPRESSED_FILE_EXTENSION` (default `.zip`).
    pub compressed_file_extension: String,
}

impl Default for LogRotation {
    fn default() -> Self {
        LogRotation {
            kind: None,
            interval: 100 * 1024,
            backup_count: 999,
            compress_after_rotation: false,
            compress_command: "zip -9mq {compressed} {log_input}".into(),
            compressed_file_extension: ".zip".into(),
        }
    }
}

/// `LOG_ROTATION.KIND`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationKind {
    /// A new file every `INTERVAL` bytes.
    Size,
    /// A new file every `INTERVAL` seconds.
    Time,
}

/// How to open one connection: an `io_type`, perhaps a variant, and the io_type's parameters.
/// `Debug` hides passwords.
#[derive(Clone)]
pub struct ConnectionSpec {
    /// `io_type`: `terminal`, `tcp`, `sshshell`, `process`, or one registered.
    pub io_type: Located<String>,
    /// `variant`: `threaded`, `tokio`, `smol` (or one registered); none: `IO_TYPES`'s default,
    /// else autodetected.
    pub variant: Option<Located<String>>,
    /// The other keys: the io_type's parameters.
    pub params: Vec<(Key, Node)>,
    /// Where the description was written.
    pub origin: Origin,
    /// What it is, for messages (`NAMED_CONNECTIONS.net_1`).
    pub what: String,
    pub(crate) base_dir: Option<Arc<Path>>,
}

impl fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSpec")
            .field("io_type", &self.io_type.value)
            .field("variant", &self.variant.as_ref().map(|v| &v.value))
            .field("params", &Node::at(Value::Map(self.params.clone()), self.origin.clone()))
            .field("origin", &self.origin)
            .finish()
    }
}

impl PartialEq for ConnectionSpec {
    fn eq(&self, other: &Self) -> bool {
        self.io_type == other.io_type
            && self.variant == other.variant
            && Node::new(Value::Map(self.params.clone()))
                == Node::new(Value::Map(other.params.clone()))
    }
}

impl ConnectionSpec {
    /// A connection of `io_type` built in code; add parameters with [`ConnectionSpec::param`].
    pub fn new(io_type: &str) -> ConnectionSpec {
        ConnectionSpec {
            io_type: Located::code(io_type.to_owned()),
            variant: None,
            params: Vec::new(),
            origin: Origin::code(),
            what: "connection".into(),
            base_dir: None,
        }
    }

    /// Chooses the variant.
    pub fn variant(mut self, variant: &str) -> ConnectionSpec {
        self.variant = Some(Located::code(variant.to_owned()));
        self
    }

    /// Adds a parameter.
    pub fn param(mut self, key: &str, value: impl Into<Value>) -> ConnectionSpec {
        let node = Node::new(value);
        self.params.retain(|(k, _)| k.name != key);
        self.params.push((Key { name: key.to_owned(), origin: Origin::code() }, node));
        self
    }

    /// The parameters, ready for a constructor to read.
    pub fn params(&self) -> Params {
        let what = format!("{} (io_type {})", self.what, self.io_type.value);
        Params::from_entries(what, self.origin.clone(), self.params.clone(), self.base_dir.clone())
    }
}

/// A connection from `NAMED_CONNECTIONS`.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedConnection {
    /// Its name.
    pub name: Located<String>,
    /// How to open it.
    pub spec: ConnectionSpec,
}

/// One entry of `IO_TYPES.default_variant`.
#[derive(Clone, Debug, PartialEq)]
pub struct DefaultVariant {
    /// The io_type.
    pub io_type: Located<String>,
    /// Its default variant.
    pub variant: Located<String>,
}

/// `DEVICE_CLASS`: a class by its short name, with what was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceClass {
    /// The short name: `UnixLocal`, `UnixRemote`, `ProxyPc`, or a registered one.
    pub name: String,
    /// What the config said (`moler.device.unixlocal.UnixLocal` or `UnixLocal`).
    pub written: String,
}

/// A hop of `CONNECTION_HOPS`: the command that moves a device from one state to another.
#[derive(Clone, Debug, PartialEq)]
pub struct Hop {
    /// The state it starts from.
    pub from: Located<String>,
    /// The state it leads to.
    pub to: Located<String>,
    /// `execute_command`: a command name (`ssh`, `su`, `exit`, …); absent when the hop only
    /// changes the parameters of the class's hop between the same states (which keeps its
    /// command, as Moler merges them).
    pub execute_command: Option<Located<String>>,
    /// `command_params`: the command's parameters (a mapping; empty when not given).
    pub command_params: Node,
    /// `required_command_params`: parameters that must be given (in the class defaults).
    pub required_command_params: Vec<Located<String>>,
    /// Where the hop was written.
    pub origin: Origin,
}

/// A device class written as data (`DEVICE_CLASSES` in a config, or moler-rs's built-in
/// classes, which are written the same way): its states, its default hops, where each state's
/// prompt comes from. The `moler` crate turns it, with a device's own hops, into the device's
/// state machine.
#[derive(Clone, Debug)]
pub struct ClassSpec {
    /// The class's name (`UnixRemote`, `MyRouter`).
    pub name: Located<String>,
    /// `ALIASES`: other names it answers to (Moler's dotted class paths).
    pub aliases: Vec<String>,
    /// `BASE`: the class it extends (its states and hops come first, these are added or
    /// replace them).
    pub base: Option<Located<String>>,
    /// `INITIAL_STATE`: where a new device goes (default: the base's, else the connected state).
    pub initial_state: Option<Located<String>>,
    /// `CONNECTED_STATE`: the state the connection opens into (default: the base's, else the
    /// first state).
    pub connected_state: Option<Located<String>>,
    /// `REMOTE_ACCESS`: how the class opens on a connection that is not a local terminal
    /// (Moler's `*2`/`*3` classes over `sshshell`): straight into a remote state.
    pub remote_access: Option<RemoteAccess>,
    /// `STATES`, in file order (`NOT_CONNECTED` is every class's and is not listed).
    pub states: Vec<StateSpec>,
    /// `CONNECTION_HOPS`: the default hops, in the form devices write theirs.
    pub hops: Vec<Hop>,
    /// Where it was written.
    pub origin: Origin,
}

/// `REMOTE_ACCESS` of a [`ClassSpec`]: on a connection that is not a local terminal (an
/// `sshshell`, a TCP or telnet line, a process), the class has no local states and the
/// connection opens into a remote one, whose prompt the device detects when the connection
/// opens (Moler's ProxyPc2 and its heirs, which send `echo DETECTING PROMPT`).
#[derive(Clone, Debug)]
pub struct RemoteAccess {
    /// `CONNECTED_STATE`: the states the connection may open into, the first that exists
    /// winning (an optional state exists when a device's hops name it); the last one always
    /// exists.
    pub connected: Vec<Located<String>>,
    /// `WITHOUT`: the local states left out, with every hop from or to them.
    pub without: Vec<Located<String>>,
    /// Where it was written.
    pub origin: Origin,
}

/// One state of a [`ClassSpec`].
#[derive(Clone, Debug)]
pub struct StateSpec {
    /// Its name (`UNIX_REMOTE`).
    pub name: Located<String>,
    /// `OPTIONAL`: the state exists only when a device's own hops name it (Moler's PROXY_PC);
    /// without it, a way through it becomes a direct hop (the hop out of it).
    pub optional: bool,
    /// `PROMPT`: a fixed prompt regex (otherwise the `expected_prompt` of a hop into it).
    pub prompt: Option<Located<String>>,
    /// `PROMPT_FROM`: the states whose hop into this one defines its prompt, the first that
    /// exists winning.
    pub prompt_from: Vec<Located<String>>,
    /// `PROMPT_TEMPLATE`: where the hop into the state (by `PROMPT_FROM`) gives no
    /// `expected_prompt`, its prompt made from that hop's parameters: each `{name}` is the
    /// parameter's value, regex-escaped (Moler's AtRemote: `{serial_devname}> port READY`).
    pub prompt_template: Option<Located<String>>,
    /// `PROMPT_AS_ROOT_OF`: where nothing else gives a prompt, that state's prompt with its
    /// final `$` made `#` (Moler's AdbRemote: the root shell's prompt from the user's).
    pub prompt_as_root_of: Option<Located<String>>,
    /// `PROMPT_FOR_HOPS_FROM`: hops into this state from these states end on its prompt,
    /// whatever they say (Moler's `_overwrite_prompts`).
    pub prompt_for_hops_from: Vec<Located<String>>,
    /// `COMMANDS`: the command families valid there (`unix`, `at`, `juniper`, …; default
    /// `unix`).
    pub commands: Vec<Located<String>>,
    /// Where it was written.
    pub origin: Origin,
}

/// One device of `DEVICES`.
#[derive(Clone, Debug)]
pub struct DeviceSpec {
    /// Its name.
    pub name: Located<String>,
    /// `DEVICE_CLASS` (a clone's is its source's).
    pub class: Located<DeviceClass>,
    /// `CONNECTION_DESC`, else `DEFAULT_CONNECTION`'s.
    pub connection: ConnectionSpec,
    /// `CONNECTION_HOPS`, in file order.
    pub hops: Vec<Hop>,
    /// `INITIAL_STATE`.
    pub initial_state: Option<Located<String>>,
    /// `LAZY_CMDS_EVENTS` (default false).
    pub lazy_cmds_events: bool,
    /// `ADDITIONAL_PARAMS`: a mapping passed to the device class.
    pub additional_params: Option<Node>,
    /// `CLONED_FROM`: the device this one copies (class, connection and hops).
    pub cloned_from: Option<Located<String>>,
}

impl PartialEq for DeviceSpec {
    fn eq(&self, other: &Self) -> bool {
        self.differences(other).is_empty()
    }
}

impl DeviceSpec {
    /// A device of `class` (short or dotted name) built in code, on the default connection.
    pub fn new(name: &str, class: &str) -> DeviceSpec {
        DeviceSpec {
            name: Located::code(name.to_owned()),
            class: Located::code(DeviceClass { name: class.to_owned(), written: class.to_owned() }),
            connection: ConnectionSpec::new("terminal"),
            hops: Vec::new(),
            initial_state: None,
            lazy_cmds_events: false,
            additional_params: None,
            cloned_from: None,
        }
    }

    /// Sets the connection.
    pub fn connection(mut self, spec: ConnectionSpec) -> DeviceSpec {
        self.connection = spec;
        self
    }

    /// Adds a hop from `from` to `to` running `command` with `params` (a JSON object).
    pub fn hop(mut self, from: &str, to: &str, command: &str, params: serde_json::Value) -> Self {
        self.hops.push(Hop {
            from: Located::code(from.to_owned()),
            to: Located::code(to.to_owned()),
            execute_command: Some(Located::code(command.to_owned())),
            command_params: Node::from_json(&params),
            required_command_params: Vec::new(),
            origin: Origin::code(),
        });
        self
    }

    /// Sets the initial state.
    pub fn initial_state(mut self, state: &str) -> DeviceSpec {
        self.initial_state = Some(Located::code(state.to_owned()));
        self
    }

    /// The hop from `from` to `to`, if configured.
    pub fn hop_between(&self, from: &str, to: &str) -> Option<&Hop> {
        self.hops.iter().find(|h| h.from.value == from && h.to.value == to)
    }

    /// What differs between two definitions of a device, by key (empty: the same).
    pub fn differences(&self, other: &DeviceSpec) -> Vec<&'static str> {
        let mut d = Vec::new();
        if self.class.value.name != other.class.value.name {
            d.push("DEVICE_CLASS");
        }
        if self.connection != other.connection {
            d.push("CONNECTION_DESC");
        }
        if self.hops != other.hops {
            d.push("CONNECTION_HOPS");
        }
        if self.initial_state != other.initial_state {
            d.push("INITIAL_STATE");
        }
        if self.lazy_cmds_events != other.lazy_cmds_events {
            d.push("LAZY_CMDS_EVENTS");
        }
        if self.additional_params != other.additional_params {
            d.push("ADDITIONAL_PARAMS");
        }
        if self.cloned_from != other.cloned_from {
            d.push("CLONED_FROM");
        }
        d
    }
}

/// `DEVICES`.
#[derive(Clone, Debug, Default)]
pub struct Devices {
    /// `DEFAULT_CONNECTION.CONNECTION_DESC`: the connection of devices that name none
    /// (default: `io_type: terminal`, variant from `IO_TYPES` or autodetected).
    pub default_connection: Option<ConnectionSpec>,
    /// `CREATE_AT_STARTUP`: create every device when the config loads (default false).
    pub create_at_startup: bool,
    /// `LOGICAL_TOPOLOGY`: each device's neighbours.
    pub topology: Vec<(Located<String>, Vec<Located<String>>)>,
    /// The devices, in file order.
    pub list: Vec<DeviceSpec>,
}

impl Devices {
    /// The device named `name`.
    pub fn get(&self, name: &str) -> Option<&DeviceSpec> {
        self.list.iter().find(|d| d.name.value == name)
    }
}

/// The sections of one YAML document, typed; `lib.rs` wraps them into a `Config`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sections {
    pub logger: Logger,
    pub logger_origin: Option<Origin>,
    pub connections: Vec<NamedConnection>,
    pub default_variants: Vec<DefaultVariant>,
    pub devices: Devices,
    pub classes: Vec<ClassSpec>,
    pub warnings: Vec<Warning>,
}

const TOP: &[&str] = &["LOGGER", "NAMED_CONNECTIONS", "IO_TYPES", "DEVICE_CLASSES", "DEVICES"];
const CLASS: &[&str] = &[
    "ALIASES",
    "BASE",
    "INITIAL_STATE",
    "CONNECTED_STATE",
    "REMOTE_ACCESS",
    "STATES",
    "CONNECTION_HOPS",
];
const REMOTE_ACCESS: &[&str] = &["CONNECTED_STATE", "WITHOUT"];
const STATE: &[&str] = &[
    "OPTIONAL",
    "PROMPT",
    "PROMPT_FROM",
    "PROMPT_TEMPLATE",
    "PROMPT_AS_ROOT_OF",
    "PROMPT_FOR_HOPS_FROM",
    "COMMANDS",
];
const LOGGER: &[&str] = &[
    "PATH",
    "RAW_LOG",
    "DEBUG_LEVEL",
    "DATE_FORMAT",
    "MODE",
    "ERROR_LOG_STACK",
    "CONSOLE_LOGS",
    "LOG_ROTATION",
    "KIND",
    "INTERVAL",
    "BACKUP_COUNT",
];
const ROTATION: &[&str] = &[
    "KIND",
    "INTERVAL",
    "BACKUP_COUNT",
    "COMPRESS_AFTER_ROTATION",
    "COMPRESS_COMMAND",
    "COMPRESSED_FILE_EXTENSION",
];
const IO_TYPES: &[&str] = &["default_variant"];
const DEVICES_SPECIAL: &[&str] = &["DEFAULT_CONNECTION", "CREATE_AT_STARTUP", "LOGICAL_TOPOLOGY"];
const DEVICE: &[&str] = &[
    "DEVICE_CLASS",
    "CONNECTION_DESC",
    "CONNECTION_HOPS",
    "INITIAL_STATE",
    "LAZY_CMDS_EVENTS",
    "ADDITIONAL_PARAMS",
    "CLONED_FROM",
];
const HOP: &[&str] = &["execute_command", "command_params", "required_command_params"];
const LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/// Reads one document.
pub(crate) struct Reader<'a> {
    pub problems: Problems,
    pub warnings: Vec<Warning>,
    pub base_dir: Option<Arc<Path>>,
    pub registry: &'a Registry,
    /// The classes of this document's `DEVICE_CLASSES` (name, aliases), for its `DEVICES`.
    pub local_classes: Vec<(String, Vec<String>)>,
}

/// The keys of a mapping with fixed keys, read one by one; what nobody read is unknown.
struct Fields<'n> {
    path: String,
    entries: &'n [(Key, Node)],
    known: &'static [&'static str],
    read: Vec<bool>,
}

impl<'a> Reader<'a> {
    pub fn new(registry: &'a Registry, base_dir: Option<Arc<Path>>) -> Reader<'a> {
        Reader {
            problems: Problems::default(),
            warnings: Vec::new(),
            base_dir,
            registry,
            local_classes: Vec::new(),
        }
    }

    fn problem(&mut self, kind: ErrorKind, origin: &Origin, message: impl Into<String>) {
        self.problems.add(kind, origin, message);
    }

    fn warn(&mut self, origin: &Origin, message: impl Into<String>) {
        self.warnings.push(Warning { origin: origin.clone(), message: message.into() });
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        let msg = format!("{path} must be {expected}, found {}", node.describe());
        self.problem(ErrorKind::WrongType, &node.origin, msg);
    }

    /// A mapping with fixed keys (null reads as empty).
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        known: &'static [&'static str],
    ) -> Option<Fields<'n>> {
        let entries: &'n [(Key, Node)] = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, path, "a mapping");
                return None;
            }
        };
        Some(Fields { path: path.to_owned(), entries, known, read: vec![false; entries.len()] })
    }

    /// The value of `key` in `f`; a key written twice with different values is a problem.
    fn field<'n>(&mut self, f: &mut Fields<'n>, key: &str) -> Option<&'n Node> {
        let mut found: Option<(usize, &'n Key, &'n Node)> = None;
        for (i, (k, v)) in f.entries.iter().enumerate() {
            if k.name != key {
                continue;
            }
            f.read[i] = true;
            if let Some((_, first_key, first)) = found {
                if first != v {
                    let msg = format!(
                        "{} is given twice with different values (first at {})",
                        join(&f.path, key),
                        first_key.origin
                    );
                    self.problem(ErrorKind::DuplicateKey, &k.origin, msg);
                }
            }
            found = Some((i, k, v));
        }
        found.map(|(_, _, v)| v)
    }

    /// Reports the keys of `f` nobody read.
    fn finish(&mut self, f: Fields<'_>) {
        for (i, (k, _)) in f.entries.iter().enumerate() {
            if f.read[i] {
                continue;
            }
            let place = if f.path.is_empty() {
                "at the top level".to_owned()
            } else {
                format!("in {}", f.path)
            };
            let tail = or_expected(&k.name, f.known);
            let msg = format!("unknown key `{}` {place}{tail}", k.name);
            self.problem(ErrorKind::UnknownKey, &k.origin, msg);
        }
    }

    /// The entries of a mapping whose keys are names (devices, connections, states). A name
    /// written twice with equal values counts once; with different values it is a problem of
    /// `kind`, and the first one stays.
    fn named<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        what: &str,
        kind: ErrorKind,
    ) -> Vec<(&'n Key, &'n Node)> {
        let entries: &'n [(Key, Node)] = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, path, "a mapping");
                return Vec::new();
            }
        };
        let mut out: Vec<(&'n Key, &'n Node)> = Vec::new();
        for (k, v) in entries {
            match out.iter().find(|(seen, _)| seen.name == k.name) {
                Some((_, first)) if *first == v => {}
                Some((seen, _)) => {
                    let msg = format!(
                        "{what} {} is defined twice differently (first at {})",
                        k.name, seen.origin
                    );
                    self.problem(kind, &k.origin, msg);
                }
                None => out.push((k, v)),
            }
        }
        out
    }

    fn bool(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, path, "true or false");
                None
            }
        }
    }

    /// Text; a number is the text written (`INITIAL_STATE: 010` is the state `010`, as a key
    /// `010:` names it), as in a connection's parameters.
    fn text(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = node.as_text().map(String::from);
        if text.is_none() {
            self.wrong_type(node, path, "text");
        }
        text
    }

    fn located_text(&mut self, node: &Node, path: &str) -> Option<Located<String>> {
        self.text(node, path).map(|value| Located { value, origin: node.origin.clone() })
    }

    fn count(&mut self, node: &Node, path: &str) -> Option<u64> {
        match node.value {
            Value::Int(i) if i >= 0 => Some(i as u64),
            _ => {
                self.wrong_type(node, path, "a whole number (0 or more)");
                None
            }
        }
    }

    fn texts(&mut self, node: &Node, path: &str) -> Vec<Located<String>> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.located_text(item, &format!("{path}[{i}]")))
                .collect(),
            Value::Null => Vec::new(),
            _ => {
                self.wrong_type(node, path, "a list of names");
                Vec::new()
            }
        }
    }

    /// The whole document.
    pub fn document(&mut self, root: &Node) -> Sections {
        let mut s = Sections::default();
        if let Value::Seq(_) | Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) =
            root.value
        {
            let msg = format!(
                "a config must be a mapping with the sections LOGGER, NAMED_CONNECTIONS, \
                 IO_TYPES and DEVICES, found {}",
                root.describe()
            );
            self.problem(ErrorKind::WrongType, &root.origin, msg);
            return s;
        }
        let Some(mut top) = self.fields(root, "", TOP) else { return s };
        if let Some(node) = self.field(&mut top, "LOGGER") {
            s.logger = self.logger(node);
            s.logger_origin = Some(node.origin.clone());
        }
        if let Some(node) = self.field(&mut top, "NAMED_CONNECTIONS") {
            s.connections = self.named_connections(node);
        }
        if let Some(node) = self.field(&mut top, "IO_TYPES") {
            s.default_variants = self.io_types(node);
        }
        if let Some(node) = self.field(&mut top, "DEVICE_CLASSES") {
            s.classes = self.classes(node);
            self.local_classes =
                s.classes.iter().map(|c| (c.name.value.clone(), c.aliases.clone())).collect();
        }
        if let Some(node) = self.field(&mut top, "DEVICES") {
            s.devices = self.devices(node);
        }
        self.finish(top);
        s.warnings = std::mem::take(&mut self.warnings);
        s
    }

    fn logger(&mut self, node: &Node) -> Logger {
        let mut l = Logger::default();
        let Some(mut f) = self.fields(node, "LOGGER", LOGGER) else { return l };
        if let Some(n) = self.field(&mut f, "PATH") {
            if let Some(p) = self.text(n, "LOGGER.PATH") {
                let path = resolve_path(&p, self.base_dir.as_deref());
                // The folder is made when the logs start; what is in its way (a file) fails them then.
                if let Some(file) = path.ancestors().find(|a| a.exists()).filter(|a| !a.is_dir()) {
                    let msg = format!(
                        "LOGGER.PATH {}: {} is not a folder",
                        path.display(),
                        file.display()
                    );
                    self.problem(ErrorKind::InvalidValue, &n.origin, msg);
                }
                l.path = Some(path);
            }
        }
        if let Some(n) = self.field(&mut f, "RAW_LOG") {
            l.raw_log = self.bool(n, "LOGGER.RAW_LOG").unwrap_or(false);
        }
        if let Some(n) = self.field(&mut f, "DEBUG_LEVEL") {
            if let Some(level) = self.text(n, "LOGGER.DEBUG_LEVEL") {
                let upper = level.to_ascii_uppercase();
                if LEVELS.contains(&upper.as_str()) {
                    l.debug_level = Some(upper);
                } else {
                    let msg = format!(
                        "LOGGER.DEBUG_LEVEL {level:?} is not a level{}",
                        or_expected(&level, LEVELS)
                    );
                    self.problem(ErrorKind::InvalidValue, &n.origin, msg);
                }
            }
        }
        if let Some(n) = self.field(&mut f, "DATE_FORMAT") {
            if let Some(fmt) = self.text(n, "LOGGER.DATE_FORMAT") {
                // As the logs will use it: formatting a time (a fixed one) tells.
                let time = jiff::Timestamp::UNIX_EPOCH.to_zoned(jiff::tz::TimeZone::UTC);
                if let Err(e) = jiff::fmt::strtime::format(fmt.as_str(), &time) {
                    let msg =
                        format!("LOGGER.DATE_FORMAT {fmt:?} is not a valid strftime format: {e}");
                    self.problem(ErrorKind::InvalidValue, &n.origin, msg);
                }
                l.date_format = fmt;
            }
        }
        if let Some(n) = self.field(&mut f, "MODE") {
            if let Some(mode) = self.text(n, "LOGGER.MODE") {
                match mode.to_ascii_lowercase().as_str() {
                    "a" | "append" => l.mode = WriteMode::Append,
                    "w" | "write" => l.mode = WriteMode::Write,
                    _ => {
                        let msg = format!("LOGGER.MODE {mode:?} must be append (a) or write (w)");
                        self.problem(ErrorKind::InvalidValue, &n.origin, msg);
                    }
                }
            }
        }
        if let Some(n) = self.field(&mut f, "ERROR_LOG_STACK") {
            l.error_log_stack = self.bool(n, "LOGGER.ERROR_LOG_STACK").unwrap_or(false);
        }
        if let Some(n) = self.field(&mut f, "CONSOLE_LOGS") {
            l.console_logs =
                self.texts(n, "LOGGER.CONSOLE_LOGS").into_iter().map(|t| t.value).collect();
        }
        // Moler's old style: the rotation keys directly under LOGGER.
        for key in ["KIND", "INTERVAL", "BACKUP_COUNT"] {
            if let Some(n) = self.field(&mut f, key) {
                let msg =
                    format!("LOGGER.{key} is Moler's old style; it belongs in LOGGER.LOG_ROTATION");
                self.warn(&n.origin, msg);
                let path = format!("LOGGER.{key}");
                self.rotation_key(&mut l.rotation, key, n, &path);
            }
        }
        if let Some(n) = self.field(&mut f, "LOG_ROTATION") {
            if let Some(mut r) = self.fields(n, "LOGGER.LOG_ROTATION", ROTATION) {
                for key in ROTATION {
                    if let Some(v) = self.field(&mut r, key) {
                        let path = format!("LOGGER.LOG_ROTATION.{key}");
                        self.rotation_key(&mut l.rotation, key, v, &path);
                    }
                }
                self.finish(r);
            }
        }
        self.finish(f);
        l
    }

    fn rotation_key(&mut self, r: &mut LogRotation, key: &str, n: &Node, path: &str) {
        match key {
            "KIND" => {
                if let Some(kind) = self.text(n, path) {
                    match kind.to_ascii_lowercase().as_str() {
                        "size" => r.kind = Some(RotationKind::Size),
                        "time" => r.kind = Some(RotationKind::Time),
                        _ => {
                            let msg = format!("{path} {kind:?} must be size or time");
                            self.problem(ErrorKind::InvalidValue, &n.origin, msg);
                        }
                    }
                }
            }
            "INTERVAL" => {
                if let Some(v) = self.count(n, path) {
                    if v == 0 {
                        self.problem(
                            ErrorKind::InvalidValue,
                            &n.origin,
                            format!("{path} must be more than 0"),
                        );
                    }
                    r.interval = v;
                }
            }
            "BACKUP_COUNT" => {
                if let Some(v) = self.count(n, path) {
                    r.backup_count = u32::try_from(v).unwrap_or(u32::MAX);
                }
            }
            "COMPRESS_AFTER_ROTATION" => {
                r.compress_after_rotation = self.bool(n, path).unwrap_or(false);
            }
            "COMPRESS_COMMAND" => {
                if let Some(c) = self.text(n, path) {
                    r.compress_command = c;
                }
            }
            "COMPRESSED_FILE_EXTENSION" => {
                if let Some(c) = self.text(n, path) {
                    r.compressed_file_extension = c;
                }
            }
            _ => {}
        }
    }

    fn named_connections(&mut self, node: &Node) -> Vec<NamedConnection> {
        let entries =
            self.named(node, "NAMED_CONNECTIONS", "connection", ErrorKind::ConnectionDefinedTwice);
        let mut out = Vec::new();
        for (key, value) in entries {
            let what = format!("NAMED_CONNECTIONS.{}", key.name);
            if let Some(spec) = self.connection_spec(value, &what) {
                out.push(NamedConnection {
                    name: Located { value: key.name.clone(), origin: key.origin.clone() },
                    spec,
                });
            }
        }
        out
    }

    /// `{io_type: …, variant: …, params…}`.
    pub(crate) fn connection_spec(&mut self, node: &Node, what: &str) -> Option<ConnectionSpec> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, what, "a mapping with io_type and its parameters");
            return None;
        };
        let mut io_type = None;
        let mut variant = None;
        let mut params = Vec::new();
        for (k, v) in entries {
            match k.name.as_str() {
                "io_type" => io_type = self.located_text(v, &format!("{what}.io_type")),
                "variant" if !matches!(v.value, Value::Null) => {
                    variant = self.located_text(v, &format!("{what}.variant"));
                }
                "variant" => {}
                _ => params.push((k.clone(), v.clone())),
            }
        }
        let Some(io_type) = io_type else {
            if !entries.iter().any(|(k, _)| k.name == "io_type") {
                let msg = format!(
                    "{what}: missing required parameter `io_type` (one of {})",
                    self.registry.io_type_names().join(", ")
                );
                self.problem(ErrorKind::MissingParameter, &node.origin, msg);
            }
            return None;
        };
        let spec = ConnectionSpec {
            io_type,
            variant,
            params,
            origin: node.origin.clone(),
            what: what.to_owned(),
            base_dir: self.base_dir.clone(),
        };
        self.check_spec(&spec);
        Some(spec)
    }

    /// The io_type is known, the variant too, and a built-in io_type's parameters are right.
    pub(crate) fn check_spec(&mut self, spec: &ConnectionSpec) {
        let problems = self.registry.check(spec);
        for w in problems.1 {
            self.warnings.push(w);
        }
        self.problems.extend(problems.0);
    }

    fn io_types(&mut self, node: &Node) -> Vec<DefaultVariant> {
        let mut out = Vec::new();
        let Some(mut f) = self.fields(node, "IO_TYPES", IO_TYPES) else { return out };
        if let Some(n) = self.field(&mut f, "default_variant") {
            let path = "IO_TYPES.default_variant";
            for (k, v) in self.named(n, path, "default variant of", ErrorKind::DuplicateKey) {
                let Some(variant) = self.located_text(v, &format!("{path}.{}", k.name)) else {
                    continue;
                };
                let io_type = Located { value: k.name.clone(), origin: k.origin.clone() };
                let mut problems = ConfigError::default();
                self.registry.check_io_type(&io_type, &mut problems, true);
                if problems.is_empty() {
                    self.registry.check_variant(&io_type.value, &variant, &mut problems);
                }
                self.problems.extend(problems);
                out.push(DefaultVariant { io_type, variant });
            }
        }
        self.finish(f);
        out
    }

    fn devices(&mut self, node: &Node) -> Devices {
        let mut d = Devices::default();
        let entries = self.named(node, "DEVICES", "device", ErrorKind::DeviceDefinedTwice);
        if let Some((_, n)) = entries.iter().find(|(k, _)| k.name == "DEFAULT_CONNECTION") {
            if let Some(mut f) = self.fields(n, "DEVICES.DEFAULT_CONNECTION", &["CONNECTION_DESC"])
            {
                if let Some(desc) = self.field(&mut f, "CONNECTION_DESC") {
                    d.default_connection =
                        self.connection_spec(desc, "DEVICES.DEFAULT_CONNECTION.CONNECTION_DESC");
                }
                self.finish(f);
            }
        }
        for (k, n) in &entries {
            match k.name.as_str() {
                "DEFAULT_CONNECTION" => {}
                "CREATE_AT_STARTUP" => {
                    d.create_at_startup =
                        self.bool(n, "DEVICES.CREATE_AT_STARTUP").unwrap_or(false);
                }
                "LOGICAL_TOPOLOGY" => {
                    let path = "DEVICES.LOGICAL_TOPOLOGY";
                    for (dev, neighbours) in
                        self.named(n, path, "topology of", ErrorKind::DuplicateKey)
                    {
                        let list = self.texts(neighbours, &format!("{path}.{}", dev.name));
                        d.topology.push((
                            Located { value: dev.name.clone(), origin: dev.origin.clone() },
                            list,
                        ));
                    }
                }
                _ => {
                    if let Some(device) = self.device(k, n, d.default_connection.as_ref()) {
                        d.list.push(device);
                    }
                }
            }
        }
        d
    }

    fn device(
        &mut self,
        key: &Key,
        node: &Node,
        default: Option<&ConnectionSpec>,
    ) -> Option<DeviceSpec> {
        let path = format!("DEVICES.{}", key.name);
        if !matches!(node.value, Value::Map(_)) {
            // `CREATE_AT_START_UP: true` is a typo, not a device.
            let special = hint(&key.name, DEVICES_SPECIAL.iter().copied());
            if !special.is_empty() {
                let msg = format!("unknown key `{}` in DEVICES{special}", key.name);
                self.problem(ErrorKind::UnknownKey, &key.origin, msg);
            } else {
                self.wrong_type(
                    node,
                    &format!("device {}", key.name),
                    "a mapping with DEVICE_CLASS",
                );
            }
            return None;
        }
        let mut f = self.fields(node, &path, DEVICE)?;
        let name = Located { value: key.name.clone(), origin: key.origin.clone() };
        let cloned_from = self
            .field(&mut f, "CLONED_FROM")
            .and_then(|n| self.located_text(n, &format!("{path}.CLONED_FROM")));
        let class_node = self.field(&mut f, "DEVICE_CLASS");
        let desc_node = self.field(&mut f, "CONNECTION_DESC");
        let hops_node = self.field(&mut f, "CONNECTION_HOPS");
        if cloned_from.is_some() {
            for (n, k) in [
                (class_node, "DEVICE_CLASS"),
                (desc_node, "CONNECTION_DESC"),
                (hops_node, "CONNECTION_HOPS"),
            ] {
                if let Some(n) = n {
                    let msg = format!(
                        "{path}.{k} is ignored: a clone takes it from CLONED_FROM (as in Moler)"
                    );
                    self.warn(&n.origin, msg);
                }
            }
        }
        let class = if cloned_from.is_some() {
            // Filled in from the source once every device is read.
            Some(Located::code(DeviceClass { name: String::new(), written: String::new() }))
        } else {
            match class_node {
                Some(n) => self.device_class(n, &path),
                None => {
                    // A misspelt DEVICE_CLASS is reported as such, once.
                    let misspelt = f.entries.iter().any(|(k, _)| {
                        k.name != "DEVICE_CLASS"
                            && did_you_mean(&k.name, ["DEVICE_CLASS"]).is_some()
                    });
                    if !misspelt {
                        let msg =
                            format!("{path}: missing required key `DEVICE_CLASS` (or CLONED_FROM)");
                        self.problem(ErrorKind::MissingParameter, &key.origin, msg);
                    }
                    None
                }
            }
        };
        let connection = match (desc_node, &cloned_from) {
            (Some(n), None) => self.connection_spec(n, &format!("{path}.CONNECTION_DESC")),
            _ => Some(default.cloned().unwrap_or_else(|| ConnectionSpec::new("terminal"))),
        };
        let hops = match (hops_node, &cloned_from) {
            (Some(n), None) => self.hops(n, &format!("{path}.CONNECTION_HOPS")),
            _ => Vec::new(),
        };
        let initial_state = self
            .field(&mut f, "INITIAL_STATE")
            .filter(|n| !matches!(n.value, Value::Null))
            .and_then(|n| self.located_text(n, &format!("{path}.INITIAL_STATE")));
        let lazy_cmds_events = self
            .field(&mut f, "LAZY_CMDS_EVENTS")
            .and_then(|n| self.bool(n, &format!("{path}.LAZY_CMDS_EVENTS")))
            .unwrap_or(false);
        let additional_params = match self.field(&mut f, "ADDITIONAL_PARAMS") {
            Some(n) if matches!(n.value, Value::Map(_)) => Some(n.clone()),
            Some(n) if matches!(n.value, Value::Null) => None,
            Some(n) => {
                self.wrong_type(n, &format!("{path}.ADDITIONAL_PARAMS"), "a mapping");
                None
            }
            None => None,
        };
        self.finish(f);
        Some(DeviceSpec {
            name,
            class: class?,
            connection: connection?,
            hops,
            initial_state,
            lazy_cmds_events,
            additional_params,
            cloned_from,
        })
    }

    /// `DEVICE_CLASSES`: each class's keys, states and hops read; what they mean together is
    /// checked where devices are made.
    pub(crate) fn classes(&mut self, node: &Node) -> Vec<ClassSpec> {
        let mut out = Vec::new();
        for (key, class) in
            self.named(node, "DEVICE_CLASSES", "device class", ErrorKind::DuplicateKey)
        {
            let path = format!("DEVICE_CLASSES.{}", key.name);
            let Some(mut f) = self.fields(class, &path, CLASS) else { continue };
            let aliases = match self.field(&mut f, "ALIASES") {
                Some(n) => {
                    self.texts(n, &format!("{path}.ALIASES")).into_iter().map(|t| t.value).collect()
                }
                None => Vec::new(),
            };
            let one = |r: &mut Self, f: &mut Fields<'_>, k: &str| {
                r.field(f, k)
                    .filter(|n| !matches!(n.value, Value::Null))
                    .and_then(|n| r.located_text(n, &format!("{path}.{k}")))
            };
            let base = one(self, &mut f, "BASE");
            let initial_state = one(self, &mut f, "INITIAL_STATE");
            let connected_state = one(self, &mut f, "CONNECTED_STATE");
            let remote_access = match self.field(&mut f, "REMOTE_ACCESS") {
                Some(n) => {
                    let rpath = format!("{path}.REMOTE_ACCESS");
                    self.fields(n, &rpath, REMOTE_ACCESS).map(|mut rf| {
                        let mut list = |r: &mut Self, k: &str| match r.field(&mut rf, k) {
                            Some(n) => r.texts(n, &format!("{rpath}.{k}")),
                            None => Vec::new(),
                        };
                        let connected = list(self, "CONNECTED_STATE");
                        let without = list(self, "WITHOUT");
                        if connected.is_empty() {
                            self.problem(
                                ErrorKind::MissingParameter,
                                &n.origin,
                                format!(
                                    "{rpath}: needs CONNECTED_STATE, the states it may open into"
                                ),
                            );
                        }
                        self.finish(rf);
                        RemoteAccess { connected, without, origin: n.origin.clone() }
                    })
                }
                None => None,
            };
            let mut states = Vec::new();
            if let Some(n) = self.field(&mut f, "STATES") {
                let spath = format!("{path}.STATES");
                for (name, state) in self.named(n, &spath, "state", ErrorKind::DuplicateKey) {
                    let path = format!("{spath}.{}", name.name);
                    let Some(mut sf) = self.fields(state, &path, STATE) else { continue };
                    let optional = self
                        .field(&mut sf, "OPTIONAL")
                        .and_then(|n| self.bool(n, &format!("{path}.OPTIONAL")))
                        .unwrap_or(false);
                    let prompt = self
                        .field(&mut sf, "PROMPT")
                        .and_then(|n| self.located_text(n, &format!("{path}.PROMPT")));
                    let list = |r: &mut Self, sf: &mut Fields<'_>, k: &str| match r.field(sf, k) {
                        Some(n) => r.texts(n, &format!("{path}.{k}")),
                        None => Vec::new(),
                    };
                    let prompt_from = list(self, &mut sf, "PROMPT_FROM");
                    let prompt_template = self
                        .field(&mut sf, "PROMPT_TEMPLATE")
                        .and_then(|n| self.located_text(n, &format!("{path}.PROMPT_TEMPLATE")));
                    let prompt_as_root_of = self
                        .field(&mut sf, "PROMPT_AS_ROOT_OF")
                        .and_then(|n| self.located_text(n, &format!("{path}.PROMPT_AS_ROOT_OF")));
                    let prompt_for_hops_from = list(self, &mut sf, "PROMPT_FOR_HOPS_FROM");
                    let commands = list(self, &mut sf, "COMMANDS");
                    self.finish(sf);
                    states.push(StateSpec {
                        name: Located { value: name.name.clone(), origin: name.origin.clone() },
                        optional,
                        prompt,
                        prompt_from,
                        prompt_template,
                        prompt_as_root_of,
                        prompt_for_hops_from,
                        commands,
                        origin: state.origin.clone(),
                    });
                }
            }
            let hops = match self.field(&mut f, "CONNECTION_HOPS") {
                Some(n) => self.hops(n, &format!("{path}.CONNECTION_HOPS")),
                None => Vec::new(),
            };
            self.finish(f);
            out.push(ClassSpec {
                name: Located { value: key.name.clone(), origin: key.origin.clone() },
                aliases,
                base,
                initial_state,
                connected_state,
                remote_access,
                states,
                hops,
                origin: class.origin.clone(),
            });
        }
        out
    }

    fn device_class(&mut self, node: &Node, path: &str) -> Option<Located<DeviceClass>> {
        let written = self.text(node, &format!("{path}.DEVICE_CLASS"))?;
        let local = self.local_classes.iter().map(|(n, a)| (n.as_str(), &a[..]));
        match self.registry.device_class_among(&written, local) {
            Ok(name) => {
                Some(Located { value: DeviceClass { name, written }, origin: node.origin.clone() })
            }
            Err(message) => {
                self.problem(
                    ErrorKind::UnknownDeviceClass,
                    &node.origin,
                    format!("{path}.DEVICE_CLASS: {message}"),
                );
                None
            }
        }
    }

    fn hops(&mut self, node: &Node, path: &str) -> Vec<Hop> {
        let mut out = Vec::new();
        for (from, targets) in self.named(node, path, "hops from", ErrorKind::DuplicateKey) {
            let from_path = format!("{path}.{}", from.name);
            for (to, hop) in self.named(targets, &from_path, "hop to", ErrorKind::DuplicateKey) {
                let hop_path = format!("{from_path}.{}", to.name);
                let Some(mut f) = self.fields(hop, &hop_path, HOP) else { continue };
                // Absent: the device class's hop between these states gives it (the device
                // layer says so if there is none).
                let command = self
                    .field(&mut f, "execute_command")
                    .and_then(|n| self.located_text(n, &format!("{hop_path}.execute_command")));
                let params = match self.field(&mut f, "command_params") {
                    Some(n) if matches!(n.value, Value::Map(_)) => n.clone(),
                    Some(n) if matches!(n.value, Value::Null) => {
                        Node::at(Value::Map(Vec::new()), n.origin.clone())
                    }
                    Some(n) => {
                        self.wrong_type(n, &format!("{hop_path}.command_params"), "a mapping");
                        Node::new(Value::Map(Vec::new()))
                    }
                    None => Node::at(Value::Map(Vec::new()), hop.origin.clone()),
                };
                let required = match self.field(&mut f, "required_command_params") {
                    Some(n) => self.texts(n, &format!("{hop_path}.required_command_params")),
                    None => Vec::new(),
                };
                self.finish(f);
                out.push(Hop {
                    from: Located { value: from.name.clone(), origin: from.origin.clone() },
                    to: Located { value: to.name.clone(), origin: to.origin.clone() },
                    execute_command: command,
                    command_params: params,
                    required_command_params: required,
                    origin: hop.origin.clone(),
                });
            }
        }
        out
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Fills in clones from their sources and checks the names the topology uses.
pub(crate) fn resolve(devices: &mut Devices, problems: &mut Problems) {
    let names: Vec<String> = devices.list.iter().map(|d| d.name.value.clone()).collect();
    let mut resolved: HashSet<usize> =
        (0..devices.list.len()).filter(|i| devices.list[*i].cloned_from.is_none()).collect();
    // Clones of clones resolve in rounds; what is left after no round makes progress is a
    // loop or names an unknown device.
    loop {
        let mut progress = false;
        for i in 0..devices.list.len() {
            if resolved.contains(&i) {
                continue;
            }
            let source_name =
                devices.list[i].cloned_from.as_ref().map(|c| c.value.clone()).unwrap_or_default();
            let Some(j) = devices.list.iter().position(|d| d.name.value == source_name) else {
                continue;
            };
            if !resolved.contains(&j) {
                continue;
            }
            let source = devices.list[j].clone();
            let clone = &mut devices.list[i];
            clone.class = source.class;
            clone.connection = source.connection;
            clone.hops = source.hops;
            if clone.initial_state.is_none() {
                clone.initial_state = source.initial_state;
            }
            resolved.insert(i);
            progress = true;
        }
        if !progress {
            break;
        }
    }
    let mut unresolved = Vec::new();
    for (i, d) in devices.list.iter().enumerate() {
        if resolved.contains(&i) {
            continue;
        }
        let Some(c) = &d.cloned_from else { continue };
        let msg = if names.contains(&c.value) {
            format!(
                "device {} is CLONED_FROM {}, which is cloned from it in turn (a loop)",
                d.name.value, c.value
            )
        } else {
            format!(
                "device {} is CLONED_FROM {}, which is not defined{}",
                d.name.value,
                c.value,
                hint(&c.value, names.iter().map(String::as_str))
            )
        };
        problems.push(Problem::new(ErrorKind::UnknownClonedFrom, c.origin.clone(), msg));
        unresolved.push(i);
    }
    for i in unresolved.into_iter().rev() {
        devices.list.remove(i);
    }
    for (dev, neighbours) in &devices.topology {
        for name in std::iter::once(dev).chain(neighbours) {
            if !names.contains(&name.value) {
                let msg = format!(
                    "LOGICAL_TOPOLOGY names device {}, which is not defined{}",
                    name.value,
                    hint(&name.value, names.iter().map(String::as_str))
                );
                problems.push(Problem::new(ErrorKind::UnknownDevice, name.origin.clone(), msg));
            }
        }
    }
}
