//! Commands and events by Moler name, with parameters as JSON or YAML: what configs, devices and
//! the CLI build on.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use moler_core::{Error, Observer};
use serde_json::{Map, Value};

use crate::param_info::{describe, describe_command, ParamInfo};
use crate::spec::{field_names, UnixCommand};
use crate::{MapOutput, ParamError, UnixEvent};

/// An observer chosen at run time whose result is JSON (Moler's result shape).
pub type JsonObserver = Box<dyn Observer<Output = Value>>;

/// Parameters every command accepts besides its own.
/// `newline_chars` (Moler's characters that end lines) is accepted when it names line ends
/// moler-rs splits lines on anyway (`\n`, `\r`, `\r\n`: all of them, always).
pub const COMMON_COMMAND_PARAMS: &[&str] = &["prompt", "timeout", "newline_chars"];

/// Why the registry could not build an observer.
///
/// [`BuildError::BadParams`] says what is wrong with the parameters ([`ParamError`]) in its
/// text and continues the chain with that error's source (a regex's syntax error), so each text
/// is shown once by chain printers (`moler_core::Report`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BuildError {
    /// No command or event has this name.
    UnknownName {
        /// `command` or `event`.
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The names registered, sorted.
        known: Vec<String>,
    },
    /// The parameters do not fit.
    BadParams {
        /// The command or event.
        name: String,
        /// What is wrong (boxed: errors travel in `Result`s, small is fast).
        problem: Box<ParamError>,
        /// The parameters it accepts.
        accepted: Vec<String>,
    },
    /// A short name that several families have (`exit_telnet` is a unix, a PDU and a SCPI
    /// command): say which, with its family (`pdu_aten.exit_telnet`).
    Ambiguous {
        /// `command` or `event`.
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The qualified names it could mean, sorted.
        candidates: Vec<String>,
    },
    /// The parameters text is neither JSON nor YAML; both parsers' errors are kept (and shown:
    /// two causes make no chain).
    Syntax {
        /// The text.
        text: String,
        /// What the JSON parser said.
        json: Arc<serde_json::Error>,
        /// What the YAML parser said.
        yaml: Arc<serde_saphyr::Error>,
    },
}

impl BuildError {
    /// The parameter whose value the command refused ([`ParamError::Field`]): its name, and
    /// when the command it embeds refused one of `cmd_params` (`sudo`'s, `su`'s),
    /// `("cmd_params", Some(that parameter))`.
    pub fn refused_value(&self) -> Option<(&str, Option<&str>)> {
        let BuildError::BadParams { problem, .. } = self else { return None };
        match &**problem {
            ParamError::Field { name, .. } => Some((name, None)),
            ParamError::Embedded(inner) => match inner.refused_value()? {
                (name, None) => Some(("cmd_params", Some(name))),
                _ => None,
            },
            _ => None,
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::UnknownName { kind, name, known } => {
                write!(f, "unknown {kind} '{name}'")?;
                // The name it looks like, or (none looks like it) every name.
                match closest(name, known) {
                    Some(near) => write!(f, " (did you mean '{near}'?)"),
                    None => write!(f, "; known: {}", known.join(", ")),
                }
            }
            BuildError::Ambiguous { kind, name, candidates } => {
                write!(f, "{kind} '{name}' is ambiguous: say one of {}", candidates.join(", "))
            }
            // A value refused in a parameter it has, or by the command it embeds (which says
            // its own): this one's parameters are no help.
            BuildError::BadParams { name, problem, .. } if problem.parameter().is_some() => {
                write!(f, "{name}: {problem}")
            }
            BuildError::BadParams { name, problem, accepted } => {
                write!(f, "{name}: {problem}")?;
                if let ParamError::Unknown { name: given } = &**problem {
                    if let Some(near) = closest(given, accepted) {
                        write!(f, " (did you mean `{near}`?)")?;
                    }
                }
                write!(f, "; accepted parameters: {}", accepted.join(", "))
            }
            BuildError::Syntax { text, json, yaml } => {
                write!(f, "parameters: neither JSON ({json}) nor YAML ({yaml}): {text:?}")
            }
        }
    }
}

impl std::error::Error for BuildError {
    /// The source of the [`ParamError`] (whose text is part of this one's).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::BadParams { problem, .. } => problem.source(),
            _ => None,
        }
    }
}

impl From<BuildError> for Error {
    /// [`Error::WrongUsage`] with the whole chain's text (the variant holds text).
    fn from(e: BuildError) -> Self {
        Error::WrongUsage(moler_core::Report(&e).to_string())
    }
}

/// The known name closest to `name` by edit distance, if close enough to be a typo.
fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (edit_distance(name, k).min(edit_distance(name, short_name(k))), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diag + usize::from(ca != cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Reads parameters from text: JSON, or YAML (a superset, so JSON works either way).
///
/// ```
/// let p = moler_commands::params_from_text("options: -l\npath: /tmp").unwrap();
/// assert_eq!(p["options"], "-l");
/// ```
pub fn params_from_text(text: &str) -> Result<Value, BuildError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(json) => serde_saphyr::from_str::<Value>(text).map_err(|yaml| BuildError::Syntax {
            text: text.to_owned(),
            json: Arc::new(json),
            yaml: Arc::new(yaml),
        }),
    }
}

type Build =
    dyn Fn(Map<String, Value>, Option<&str>) -> Result<JsonObserver, ParamError> + Send + Sync;

#[derive(Clone)]
struct Entry {
    build: Arc<Build>,
    accepted: Vec<String>,
    /// What is known of each parameter, worked out when asked (library-style entries only).
    describe: Option<fn() -> Vec<ParamInfo>>,
    /// How to embed the command in another one (library-style commands only).
    embed: Option<Arc<EmbedFn>>,
}

type EmbedFn = dyn Fn(Map<String, Value>) -> Result<Embedded, ParamError> + Send + Sync;

/// A command prepared to run inside another one (`sudo ls -l`, `su -c 'pwd'`): its command line
/// and its parser, whose result is JSON.
pub struct Embedded {
    /// The command line.
    pub line: String,
    /// Its parser.
    pub parser: Box<dyn moler_core::Parser<Output = Value>>,
}

impl fmt::Debug for Embedded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embedded").field("line", &self.line).finish_non_exhaustive()
    }
}

/// Commands and events by name. [`Registry::default`] holds the whole library; users add their
/// own under new names (or replace a built-in one).
///
/// Families: the unix family's names are Moler's own (`ls`, `ip_addr`); the other families'
/// are qualified with the family, as Moler's module paths are (`at.get_imsi`,
/// `pdu_aten.read_status`, `scpi.idn`, `juniper.configure`, `adb.adb_shell`). A short name
/// finds a qualified one when only one family has it (`get_imsi`); where several have it
/// (`exit_telnet`: unix, PDU, SCPI) the short name is the unix one if there is one, else the
/// error ([`BuildError::Ambiguous`]) lists the qualified names. [`family_of`] and
/// [`short_name`] split a registered name.
///
/// ```
/// use moler_commands::Registry;
/// use moler_core::Connection;
/// use serde_json::json;
/// use std::time::Instant;
///
/// let registry = Registry::default();
/// let mut conn = Connection::new("demo");
/// let ls = registry.command("ls", &json!({"options": "-1"})).unwrap();
/// let done = conn.start(ls, Instant::now());
/// conn.handle_input(b"ls -1\nCargo.toml\nsrc\nmoler_bash# ", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap()["files"]["src"]["name"], "src");
///
/// let err = registry.command("lss", &json!({})).err().unwrap();
/// assert!(err.to_string().contains("did you mean 'ls'?"), "{err}");
/// let err = registry.command("ls", &json!({"option": "-l"})).err().unwrap();
/// assert!(err.to_string().contains("accepted parameters: options, path"), "{err}");
/// ```
#[derive(Clone)]
pub struct Registry {
    commands: BTreeMap<String, Entry>,
    events: BTreeMap<String, Entry>,
    /// How to build a library-style event with an occurrence callback, by its name.
    watchers: BTreeMap<String, Arc<WatchFn>>,
}

/// A callback given each occurrence of an event, as JSON (Moler's `event_data`).
pub type OccurrenceCallback = Box<dyn FnMut(&Value) + Send>;

type WatchFn = dyn Fn(Map<String, Value>, OccurrenceCallback) -> Result<JsonObserver, ParamError>
    + Send
    + Sync;

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("commands", &self.commands.keys().collect::<Vec<_>>())
            .field("events", &self.events.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for Registry {
    /// The whole library: every command of [`crate::unix`], [`crate::at`], [`crate::adb`],
    /// [`crate::juniper`], [`crate::pdu_aten`] and [`crate::scpi`] (the other families' as
    /// `<family>.<name>`), and every event of [`crate::events`].
    fn default() -> Self {
        let mut r = Registry::empty();
        crate::unix::register_all(&mut r);
        crate::at::register_all(&mut r);
        crate::adb::register_all(&mut r);
        crate::juniper::register_all(&mut r);
        crate::pdu_aten::register_all(&mut r);
        crate::scpi::register_all(&mut r);
        crate::uboot::register_all(&mut r);
        crate::events::register_all(&mut r);
        r
    }
}

impl Registry {
    /// A registry with nothing in it.
    pub fn empty() -> Self {
        Self { commands: BTreeMap::new(), events: BTreeMap::new(), watchers: BTreeMap::new() }
    }

    /// Registers a library-style command under its [`UnixCommand::NAME`].
    pub fn register_command<T: UnixCommand>(&mut self) -> &mut Self {
        self.register_command_as::<T>(T::NAME)
    }

    /// Registers a library-style command under another name.
    pub fn register_command_as<T: UnixCommand>(&mut self, name: &str) -> &mut Self {
        let mut accepted: Vec<String> = field_names::<T>().iter().map(|s| s.to_string()).collect();
        accepted.extend(COMMON_COMMAND_PARAMS.iter().map(|s| s.to_string()));
        let build = move |mut params: Map<String, Value>, prompt: Option<&str>| {
            let common = Common::take(&mut params)?;
            let spec: T = from_params(params)?;
            spec.command_line()?;
            let prompt = common.prompt.as_deref().or(prompt);
            // The shell's prompt, and a hop's (`spec::prompt_error`, which the command's build
            // checks too); through the cache: the command compiles the same prompts next.
            if let Some(p) = prompt {
                ParamError::regex("prompt", p)?;
            }
            if let Some(e) = crate::spec::prompt_error(&spec, prompt) {
                return Err(e);
            }
            let mut command = spec.build(prompt);
            if let Some(t) = common.timeout {
                command = command.timeout(t);
            }
            Ok(Box::new(command.map_parser(T::json_parser)) as JsonObserver)
        };
        let embed = |mut params: Map<String, Value>| {
            Common::take(&mut params)?;
            let spec: T = from_params(params)?;
            let line = spec.command_line()?;
            let parser: Box<dyn moler_core::Parser<Output = Value>> = T::json_parser(spec.parser());
            Ok(Embedded { line, parser })
        };
        let entry = Entry {
            build: Arc::new(build),
            accepted,
            describe: Some(describe_command::<T>),
            embed: Some(Arc::new(embed)),
        };
        self.commands.insert(name.to_owned(), entry);
        self
    }

    /// Registers a command built by a closure from its JSON parameters and the shell's prompt
    /// (when the caller knows it); `accepted` names its parameters for error messages. The
    /// closure refuses parameters with a [`ParamError`] (text converts into one).
    ///
    /// ```
    /// use moler_commands::{JsonObserver, MapOutput, ParamError, Registry};
    /// use moler_core::Command;
    ///
    /// let mut registry = Registry::default();
    /// registry.register_command_fn("uptime_s", &["unit"], |params, prompt| {
    ///     if !params["unit"].is_null() && params["unit"] != "s" {
    ///         return Err(ParamError::from("unit must be \"s\""));
    ///     }
    ///     let cmd = Command::lines("cut -d' ' -f1 /proc/uptime", prompt.unwrap_or("^\\$ $"));
    ///     Ok(Box::new(MapOutput::json(cmd)) as JsonObserver)
    /// });
    /// let err = registry.command("uptime_s", &serde_json::json!({"unit": "h"})).err().unwrap();
    /// assert_eq!(err.to_string(), "uptime_s: unit must be \"s\"; accepted parameters: unit");
    /// ```
    pub fn register_command_fn<F>(&mut self, name: &str, accepted: &[&str], build: F) -> &mut Self
    where
        F: Fn(&Value, Option<&str>) -> Result<JsonObserver, ParamError> + Send + Sync + 'static,
    {
        let build = move |params: Map<String, Value>, prompt: Option<&str>| {
            build(&Value::Object(params), prompt)
        };
        let accepted = accepted.iter().map(|s| s.to_string()).collect();
        let entry = Entry { build: Arc::new(build), accepted, describe: None, embed: None };
        self.commands.insert(name.to_owned(), entry);
        self
    }

    /// Registers a library-style event under its [`UnixEvent::NAME`].
    pub fn register_event<T: UnixEvent>(&mut self) -> &mut Self {
        self.register_event_as::<T>(T::NAME)
    }

    /// Registers a library-style event under another name.
    pub fn register_event_as<T: UnixEvent>(&mut self, name: &str) -> &mut Self {
        let accepted = field_names::<T>().iter().map(|s| s.to_string()).collect();
        let build = |params: Map<String, Value>, _: Option<&str>| {
            let spec: T = from_params(params)?;
            let event = spec.event().map_err(|e| ParamError::Event(Box::new(e)))?;
            Ok(Box::new(MapOutput::json(event)) as JsonObserver)
        };
        let watch = |params: Map<String, Value>, mut on: OccurrenceCallback| {
            let spec: T = from_params(params)?;
            let event = spec.event().map_err(|e| ParamError::Event(Box::new(e)))?;
            let event = event.on_occurrence(move |record: &T::Record| {
                // Records are plain data: serializing them cannot fail.
                if let Ok(v) = serde_json::to_value(record) {
                    on(&v);
                }
            });
            Ok(Box::new(MapOutput::json(event)) as JsonObserver)
        };
        self.watchers.insert(name.to_owned(), Arc::new(watch));
        let entry =
            Entry { build: Arc::new(build), accepted, describe: Some(describe::<T>), embed: None };
        self.events.insert(name.to_owned(), entry);
        self
    }

    /// Registers an event built by a closure from its JSON parameters.
    pub fn register_event_fn<F>(&mut self, name: &str, accepted: &[&str], build: F) -> &mut Self
    where
        F: Fn(&Value) -> Result<JsonObserver, ParamError> + Send + Sync + 'static,
    {
        let build =
            move |params: Map<String, Value>, _: Option<&str>| build(&Value::Object(params));
        let accepted = accepted.iter().map(|s| s.to_string()).collect();
        self.watchers.remove(name);
        let entry = Entry { build: Arc::new(build), accepted, describe: None, embed: None };
        self.events.insert(name.to_owned(), entry);
        self
    }

    /// The command `name` with `params` (a JSON object, or null for none), ending on the
    /// default prompt unless `params` has `prompt`.
    pub fn command(&self, name: &str, params: &Value) -> Result<JsonObserver, BuildError> {
        self.command_for_prompt(name, params, None)
    }

    /// The command `name` for a shell whose prompt is the regex `prompt` (a `prompt` in
    /// `params` wins).
    pub fn command_for_prompt(
        &self,
        name: &str,
        params: &Value,
        prompt: Option<&str>,
    ) -> Result<JsonObserver, BuildError> {
        build(&self.commands, "command", name, params, prompt)
    }

    /// [`Registry::command_for_prompt`], where a parameter may be taken as it was written:
    /// `written(name)` gives a parameter's value as read and as written (a config's `0123`:
    /// the number 123 and the text `"0123"`). A parameter whose value the command refuses
    /// ([`BuildError::refused_value`], in `cmd_params` too) and is still the one read gets the
    /// one written, and the command is built again; `params` is left with what it was built
    /// from (or last refused).
    pub fn command_for_prompt_as_written(
        &self,
        name: &str,
        params: &mut Value,
        prompt: Option<&str>,
        written: impl Fn(&str) -> Option<(Value, Value)>,
    ) -> Result<JsonObserver, BuildError> {
        loop {
            let result = self.command_for_prompt(name, params, prompt);
            let refused = result.as_ref().err().and_then(BuildError::refused_value);
            let Some((key, inner)) = refused.map(|(k, i)| (k.to_owned(), i.map(str::to_owned)))
            else {
                return result;
            };
            let Some((read, text)) = written(&key) else { return result };
            let (read, text, value) = match &inner {
                None => (&read, &text, &params[&key]),
                Some(inner) => (&read[inner], &text[inner], &params[&key][inner]),
            };
            if value != read || read == text {
                return result;
            }
            let text = text.clone();
            // (`params[key]` is a mapping when `inner` is given: it held `read[inner]`.)
            match &inner {
                None => params[&key] = text,
                Some(inner) => params[&key][inner] = text,
            }
        }
    }

    /// The command `name` with `params`, prepared to run inside another command (what `sudo`
    /// and `su` do with `cmd_class_name`). Commands registered with a closure cannot be embedded.
    pub fn embedded(&self, name: &str, params: &Value) -> Result<Embedded, BuildError> {
        let entry = lookup(&self.commands, "command", name)?;
        let bad = |problem: ParamError| BuildError::BadParams {
            name: name.to_owned(),
            problem: Box::new(problem),
            accepted: entry.accepted.clone(),
        };
        let Some(embed) = &entry.embed else {
            return Err(bad(
                "this command was registered with a closure and cannot be embedded".into()
            ));
        };
        let params = match params {
            Value::Null => Map::new(),
            Value::Object(m) => m.clone(),
            other => return Err(bad(format!("parameters must be a mapping, not {other}").into())),
        };
        embed(params).map_err(bad)
    }

    /// The event `name` with `params`.
    pub fn event(&self, name: &str, params: &Value) -> Result<JsonObserver, BuildError> {
        build(&self.events, "event", name, params, None)
    }

    /// The event `name` with `params`, calling `on_occurrence` with each occurrence as it
    /// happens (Moler's `add_event_occurred_callback`), as JSON in Moler's shape, on the
    /// thread that drives the connection (keep it short). Events registered with a closure
    /// ([`Registry::register_event_fn`]) take no callback.
    ///
    /// ```
    /// use moler_commands::Registry;
    /// use moler_core::Connection;
    /// use serde_json::json;
    /// use std::sync::mpsc;
    /// use std::time::Instant;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let params = json!({"detect_patterns": ["ALARM (\\d+)"]});
    /// let event = Registry::default()
    ///     .event_with("wait4", &params, move |o| drop(tx.send(o["groups"][0].clone())))
    ///     .unwrap();
    /// let mut conn = Connection::new("demo");
    /// let handle = conn.start(event, Instant::now());
    /// conn.handle_input(b"ALARM 1\nALARM 2\n", Instant::now());
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// handle.cancel();
    /// ```
    pub fn event_with(
        &self,
        name: &str,
        params: &Value,
        on_occurrence: impl FnMut(&Value) + Send + 'static,
    ) -> Result<JsonObserver, BuildError> {
        let entry = lookup(&self.events, "event", name)?;
        let bad = |problem: ParamError| BuildError::BadParams {
            name: name.to_owned(),
            problem: Box::new(problem),
            accepted: entry.accepted.clone(),
        };
        let Some(watch) = self.watchers.get(name) else {
            return Err(bad(
                "this event was registered with a closure and takes no occurrence callback".into(),
            ));
        };
        let params = match params {
            Value::Null => Map::new(),
            Value::Object(m) => m.clone(),
            other => return Err(bad(format!("parameters must be a mapping, not {other}").into())),
        };
        watch(params, Box::new(on_occurrence)).map_err(bad)
    }

    /// Command names, sorted.
    pub fn command_names(&self) -> impl Iterator<Item = &str> {
        self.commands.keys().map(String::as_str)
    }

    /// Event names, sorted.
    pub fn event_names(&self) -> impl Iterator<Item = &str> {
        self.events.keys().map(String::as_str)
    }

    /// The parameters command `name` accepts (`None`: unknown or ambiguous name).
    pub fn command_params(&self, name: &str) -> Option<&[String]> {
        lookup(&self.commands, "command", name).ok().map(|e| e.accepted.as_slice())
    }

    /// The parameters event `name` accepts (`None`: unknown or ambiguous name).
    pub fn event_params(&self, name: &str) -> Option<&[String]> {
        lookup(&self.events, "event", name).ok().map(|e| e.accepted.as_slice())
    }

    /// What is known of each parameter command `name` accepts, in [`Registry::command_params`]'
    /// order: required or not, and what an optional one is when left out (read from the
    /// command's own serde derives; for a command registered by a closure, the names only).
    /// The common parameters ([`COMMON_COMMAND_PARAMS`]) come last, optional, each with a note
    /// on where its value comes from when left out. `None`: unknown or ambiguous name.
    ///
    /// ```
    /// let registry = moler_commands::Registry::default();
    /// let params = registry.command_param_info("ping").unwrap();
    /// assert_eq!(params[0].name, "destination");
    /// assert_eq!(params[0].required, Some(true));
    /// assert_eq!((params[1].name.as_str(), params[1].required), ("options", Some(false)));
    /// ```
    pub fn command_param_info(&self, name: &str) -> Option<Vec<ParamInfo>> {
        let entry = lookup(&self.commands, "command", name).ok()?;
        Some(param_info(entry, COMMON_COMMAND_PARAMS))
    }

    /// [`Registry::command_param_info`] for event `name`.
    pub fn event_param_info(&self, name: &str) -> Option<Vec<ParamInfo>> {
        let entry = lookup(&self.events, "event", name).ok()?;
        Some(param_info(entry, &[]))
    }
}

/// What `entry` knows of its parameters, `common` (accepted by every entry of its kind) last.
fn param_info(entry: &Entry, common: &[&str]) -> Vec<ParamInfo> {
    let own = entry.describe.map(|describe| describe()).unwrap_or_default();
    entry
        .accepted
        .iter()
        .map(|name| match own.iter().find(|i| i.name == *name) {
            Some(info) => info.clone(),
            None if common.contains(&name.as_str()) => ParamInfo {
                required: Some(false),
                note: common_note(name),
                ..ParamInfo::named(name)
            },
            None => ParamInfo::named(name),
        })
        .collect()
}

/// Where a common parameter's value comes from when left out ([`COMMON_COMMAND_PARAMS`]).
fn common_note(name: &str) -> Option<&'static str> {
    match name {
        "prompt" => Some("a regex; the prompt of the device state or shell it runs in"),
        "timeout" => Some("seconds; the command's own"),
        "newline_chars" => Some("the connection's newline"),
        _ => None,
    }
}

fn build(
    map: &BTreeMap<String, Entry>,
    kind: &'static str,
    name: &str,
    params: &Value,
    prompt: Option<&str>,
) -> Result<JsonObserver, BuildError> {
    let entry = lookup(map, kind, name)?;
    let bad = |problem: ParamError| BuildError::BadParams {
        name: name.to_owned(),
        problem: Box::new(problem),
        accepted: entry.accepted.clone(),
    };
    let params = match params {
        Value::Null => Map::new(),
        Value::Object(m) => m.clone(),
        other => return Err(bad(format!("parameters must be a mapping, not {other}").into())),
    };
    (entry.build)(params, prompt).map_err(bad)
}

fn lookup<'a>(
    map: &'a BTreeMap<String, Entry>,
    kind: &'static str,
    name: &str,
) -> Result<&'a Entry, BuildError> {
    if let Some(entry) = map.get(name) {
        return Ok(entry);
    }
    let mut found = map.iter().filter(|(key, _)| short_name(key) == name && key.as_str() != name);
    match (found.next(), found.next()) {
        (Some((_, entry)), None) => Ok(entry),
        (Some(first), Some(second)) => {
            let mut candidates = vec![first.0.clone(), second.0.clone()];
            candidates.extend(found.map(|(k, _)| k.clone()));
            Err(BuildError::Ambiguous { kind, name: name.to_owned(), candidates })
        }
        _ => Err(BuildError::UnknownName {
            kind,
            name: name.to_owned(),
            known: map.keys().cloned().collect(),
        }),
    }
}

/// The name without its family: `get_imsi` of `at.get_imsi`.
pub fn short_name(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(_, short)| short)
}

/// The family of a registered name: `at` of `at.get_imsi`, `unix` of `ls` (the unix family's
/// names are not qualified).
pub fn family_of(name: &str) -> &str {
    name.rsplit_once('.').map_or("unix", |(family, _)| family)
}

/// `params` as the parameters struct `T`; a wrong value is pinned on its parameter
/// ([`ParamError::Field`]): serde's message says what is wrong, not where.
fn from_params<T: serde::de::DeserializeOwned>(
    params: Map<String, Value>,
) -> Result<T, ParamError> {
    let params = Value::Object(params);
    let error = match T::deserialize(&params) {
        Ok(spec) => return Ok(spec),
        Err(e) => e,
    };
    let text = error.to_string();
    // serde's "unknown field `optoins`, expected `options` or `path`": the name is enough (the
    // registry's message adds the likely one and every parameter, the common ones too); and
    // "missing field `destination`" as the commands' own checks say it.
    let named = |prefix: &str| {
        let (name, _) = text.strip_prefix(prefix)?.split_once('`')?;
        Some(name.to_owned())
    };
    if let Some(name) = named("unknown field `") {
        return Err(ParamError::Unknown { name });
    }
    if let Some(name) = named("missing field `") {
        return Err(ParamError::Missing(name));
    }
    let Value::Object(params) = params else { return Err(error.into()) };
    // The one whose removal changes the error (or ends it) is the one it is about.
    for name in params.keys() {
        let mut rest = params.clone();
        rest.remove(name);
        let without = T::deserialize(&Value::Object(rest));
        if without.as_ref().err().is_none_or(|e| e.to_string() != text) {
            return Err(ParamError::Field { name: name.clone(), error: Arc::new(error) });
        }
    }
    Err(error.into())
}

/// The parameters every command takes besides its own.
struct Common {
    prompt: Option<String>,
    timeout: Option<Duration>,
}

impl Common {
    fn take(params: &mut Map<String, Value>) -> Result<Common, ParamError> {
        let prompt = match params.remove("prompt") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                let message = format!("must be a regex string, not {other}");
                return Err(ParamError::value("prompt", message));
            }
        };
        let timeout = match params.remove("timeout") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_f64() {
                Some(s) if s > 0.0 && s.is_finite() => Some(Duration::from_secs_f64(s)),
                _ => {
                    let message = format!("must be a positive number of seconds, not {v}");
                    return Err(ParamError::value("timeout", message));
                }
            },
        };
        match params.remove("newline_chars") {
            None | Some(Value::Null) => {}
            Some(Value::Array(ends))
                if ends.iter().all(|e| matches!(e.as_str(), Some("\n" | "\r" | "\r\n"))) => {}
            Some(other) => {
                let message = format!(
                    "may only list \"\\n\", \"\\r\" and \"\\r\\n\" (lines are split on all of \
                     them), not {other}"
                );
                return Err(ParamError::value("newline_chars", message));
            }
        }
        Ok(Common { prompt, timeout })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `moler commands NAME` tells required from optional for every parameter: a command whose
    /// parameters the probe cannot build (a new type of field) fails here, by name.
    #[test]
    fn every_parameter_of_every_command_and_event_is_described() {
        let registry = Registry::default();
        let mut unknown = Vec::new();
        for name in registry.command_names() {
            let params = registry.command_param_info(name).unwrap();
            let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, registry.command_params(name).unwrap(), "{name}");
            unknown.extend(
                params
                    .iter()
                    .filter(|p| p.required.is_none())
                    .map(|p| format!("{name}.{}", p.name)),
            );
        }
        for name in registry.event_names() {
            let params = registry.event_param_info(name).unwrap();
            unknown.extend(
                params
                    .iter()
                    .filter(|p| p.required.is_none())
                    .map(|p| format!("{name}.{}", p.name)),
            );
        }
        assert!(unknown.is_empty(), "not known whether required: {unknown:?}");
        let of = |name: &str, param: &str| {
            let params = registry.command_param_info(name).unwrap();
            let p = params.into_iter().find(|p| p.name == param).unwrap();
            (p.required, p.default, p.note)
        };
        assert_eq!(of("ping", "destination"), (Some(true), None, None));
        assert_eq!(of("ping", "options"), (Some(false), Some(Value::Null), None));
        assert_eq!(of("gzip", "file_name"), (Some(true), None, None));
        assert_eq!(of("gzip", "overwrite"), (Some(false), Some(Value::Bool(false)), None));
        assert_eq!(of("ssh", "host"), (Some(true), None, None));
        assert_eq!(of("telnet", "telnet_prompt").1, Some(Value::from("^\\s*telnet>\\s*")));
        let (required, default, note) = of("ls", "timeout");
        assert_eq!((required, default), (Some(false), None));
        assert_eq!(note, Some("seconds; the command's own"));
        let wait4 = registry.event_param_info("wait4prompt").unwrap();
        assert!(wait4.iter().any(|p| p.required == Some(true)), "{wait4:?}");
        assert!(registry.command_param_info("no_such").is_none());
    }

    #[test]
    fn typos_get_a_suggestion() {
        let known: Vec<String> = ["ls", "ping", "ip_addr", "ip_route"].map(String::from).into();
        assert_eq!(closest("pnig", &known), Some("ping"));
        assert_eq!(closest("ip_adr", &known), Some("ip_addr"));
        assert_eq!(closest("reboot", &known), None);
    }

    #[test]
    fn short_names_find_a_family_s_command_unless_several_families_have_it() {
        let mut r = Registry::empty();
        let pwd = |_: &Value, _: Option<&str>| {
            let cmd = moler_core::Command::lines("pwd", "^\\$ $");
            Ok(Box::new(MapOutput::json(cmd)) as JsonObserver)
        };
        r.register_command_fn("pdu_aten.quit", &[], pwd)
            .register_command_fn("pdu_aten.exit_telnet", &["a"], pwd)
            .register_command_fn("scpi.exit_telnet", &["b"], pwd);
        assert!(r.command("quit", &Value::Null).is_ok());
        assert_eq!(r.command_params("scpi.exit_telnet").unwrap(), ["b"]);
        let err = r.command("exit_telnet", &Value::Null).err().unwrap();
        assert_eq!(
            err.to_string(),
            "command 'exit_telnet' is ambiguous: say one of pdu_aten.exit_telnet, scpi.exit_telnet"
        );
        assert!(r.command_params("exit_telnet").is_none());
        r.register_command_fn("exit_telnet", &["c"], pwd);
        assert_eq!(r.command_params("exit_telnet").unwrap(), ["c"], "the unix one");
        assert_eq!((family_of("at.get_imsi"), short_name("at.get_imsi")), ("at", "get_imsi"));
        assert_eq!((family_of("ls"), short_name("ls")), ("unix", "ls"));
        let err = r.command("quitt", &Value::Null).err().unwrap().to_string();
        assert!(err.contains("did you mean 'pdu_aten.quit'"), "{err}");
    }

    #[test]
    fn params_come_as_json_or_yaml() {
        assert_eq!(params_from_text(r#"{"a": 1}"#).unwrap()["a"], 1);
        assert_eq!(params_from_text("a: 1\nb: [x, -l]").unwrap()["b"][1], "-l");
        assert_eq!(params_from_text("  ").unwrap(), Value::Object(Map::new()));
        let err = params_from_text("{a: [").unwrap_err().to_string();
        assert!(err.contains("neither JSON"), "{err}");
    }

    /// The texts of an error and its causes, top first.
    fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
        std::iter::successors(Some(e), |e| e.source()).map(|e| e.to_string()).collect()
    }

    #[test]
    fn a_bad_prompt_regex_keeps_the_regex_error_and_says_it_once() {
        let err = Registry::default()
            .command("ls", &serde_json::json!({"prompt": "(oops"}))
            .err()
            .expect("the prompt does not compile");
        let BuildError::BadParams { problem, .. } = &err else { panic!("{err:?}") };
        let ParamError::Regex { name, .. } = &**problem else { panic!("{err:?}") };
        assert_eq!(name, "prompt");
        let texts = chain(&err);
        assert_eq!(texts.len(), 2, "{texts:?}");
        // The parameter is named: the list of the others is no help.
        assert_eq!(texts[0], "ls: invalid prompt regex \"(oops\"");
        assert!(texts[1].contains("unclosed group"), "the regex error: {texts:?}");
        assert!(!texts[0].contains(&texts[1]));
        let source = std::error::Error::source(&err).unwrap();
        assert!(source.downcast_ref::<regex::Error>().is_some());
        // As a core error (the variant holds text) it says the whole chain.
        let core = Error::from(err);
        assert!(core.to_string().contains("unclosed group"), "{core}");
    }

    /// The hops' `prompt` (the shell they start from) is checked as every command's is, though
    /// they end at another prompt: taken as text, a wrong regex would never show the start
    /// shell again, and a failed hop would wait for its timeout instead of failing.
    #[test]
    fn a_hop_s_bad_start_prompt_is_refused() {
        let registry = Registry::default();
        for (name, params) in [
            ("adb_shell", serde_json::json!({})),
            ("ssh", serde_json::json!({"host": "h", "login": "u", "password": "p"})),
            ("telnet", serde_json::json!({"host": "h", "login": "u", "password": "p"})),
            ("su", serde_json::json!({})),
            ("juniper.configure", serde_json::json!({})),
            ("pdu_aten.quit", serde_json::json!({})),
            ("scpi.exit_telnet", serde_json::json!({})),
        ] {
            registry.command(name, &params).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut bad = params.clone();
            bad["prompt"] = "(oops".into();
            let err = registry.command(name, &bad).err().unwrap_or_else(|| panic!("{name}"));
            let BuildError::BadParams { problem, .. } = &err else { panic!("{err:?}") };
            let ParamError::Regex { name: param, .. } = &**problem else { panic!("{err:?}") };
            assert_eq!(param, "prompt", "{name}");
        }
    }

    /// A command's own check of one parameter names it (a config shows the mistake there),
    /// and its text leaves out the list of the other parameters.
    #[test]
    fn checks_of_one_parameter_name_it() {
        let registry = Registry::default();
        let cases = [
            (
                "echo",
                serde_json::json!({"text": "a", "output_file": "f", "write_mode": "|"}),
                "write_mode",
            ),
            (
                "uboot.boot",
                serde_json::json!({"expected_prompt": "# ", "boot_command": "a\nb"}),
                "boot_command",
            ),
            ("at.exit_cu", serde_json::json!({"expected_prompt": "$ ", "escape": "~~"}), "escape"),
            ("at.cu", serde_json::json!({"serial_devname": "5; reboot"}), "serial_devname"),
            ("at.get_imei", serde_json::json!({"sn_type": "imsi"}), "sn_type"),
            ("scpi.run_command", serde_json::json!({"command": "a\nb"}), "command"),
            (
                "scp",
                serde_json::json!({"source": "a", "dest": "h:", "known_hosts_on_failure": "x"}),
                "known_hosts_on_failure",
            ),
            ("ls", serde_json::json!({"newline_chars": [";"]}), "newline_chars"),
        ];
        for (name, params, parameter) in cases {
            let err = registry.command(name, &params).err().expect("refused");
            let BuildError::BadParams { problem, .. } = &err else { panic!("{err:?}") };
            assert_eq!(problem.parameter(), Some(parameter), "{name}: {err}");
            let text = err.to_string();
            assert!(text.starts_with(&format!("{name}: parameter `{parameter}`: ")), "{text}");
            assert!(!text.contains("accepted parameters"), "{text}");
        }
    }

    #[test]
    fn wrong_parameters_read_as_before() {
        let registry = Registry::default();
        let err = registry.command("ls", &serde_json::json!({"option": "-l"})).err().unwrap();
        assert!(
            matches!(&err, BuildError::BadParams { problem, .. } if matches!(&**problem, ParamError::Unknown { name } if name == "option"))
        );
        assert_eq!(
            err.to_string(),
            "ls: unknown parameter `option` (did you mean `options`?); accepted parameters: \
             options, path, prompt, timeout, newline_chars"
        );
        // Nothing like it: no guess, the list.
        let err = registry.command("ping", &serde_json::json!({"destination": "h", "cnt": 3}));
        assert_eq!(
            err.err().unwrap().to_string(),
            "ping: unknown parameter `cnt`; accepted parameters: destination, options, prompt, \
             timeout, newline_chars"
        );
        // A missing one, as the commands' own checks say it.
        let err = registry.command("ping", &serde_json::json!({})).err().unwrap();
        assert_eq!(
            err.to_string(),
            "ping: parameter `destination` is required; accepted parameters: destination, \
             options, prompt, timeout, newline_chars"
        );
        let ok = registry.command("ls", &serde_json::json!({"newline_chars": ["\n", "\r"]}));
        assert!(ok.is_ok(), "Moler's default newline_chars");
        let err = registry.command("ls", &serde_json::json!({"newline_chars": [";"]})).err();
        assert!(err.unwrap().to_string().contains("parameter `newline_chars`: may only list"));
        let err = registry.command("ls", &serde_json::json!({"options": 3, "path": "/"})).err();
        assert_eq!(
            err.unwrap().to_string(),
            "ls: parameter `options`: invalid type: integer `3`, expected a string"
        );
        // A parameter that takes either of two shapes says which (not serde's "data did not
        // match any variant of untagged enum").
        let params = serde_json::json!({"host": "h", "login": "l", "password": 1234, "expected_prompt": "p"});
        let err = registry.command("ssh", &params).err();
        assert_eq!(
            err.unwrap().to_string(),
            "ssh: parameter `password`: expected a password (text) or a list of passwords"
        );
        let err = registry.command("ls", &serde_json::json!({"options": ["-l", 3]})).err();
        assert_eq!(
            err.unwrap().to_string(),
            "ls: parameter `options`: invalid type: sequence, expected a string"
        );
        let err = registry.command("ping", &serde_json::json!({"destination": ["a"]})).err();
        assert!(err
            .unwrap()
            .to_string()
            .starts_with("ping: parameter `destination`: invalid type"));
        let err = registry.command("ls", &serde_json::json!({"timeout": -1})).err().unwrap();
        assert_eq!(
            err.to_string(),
            "ls: parameter `timeout`: must be a positive number of seconds, not -1"
        );
        let BuildError::BadParams { problem, .. } = &err else { panic!("{err:?}") };
        assert_eq!(problem.parameter(), Some("timeout"));
        // sudo's embedded command: the inner registry error, inside sudo's.
        let err = registry
            .command("sudo", &serde_json::json!({"cmd_class_name": "ls", "cmd_params": {"x": 1}}))
            .err()
            .unwrap();
        let BuildError::BadParams { problem, .. } = &err else { panic!("{err:?}") };
        let ParamError::Embedded(inner) = &**problem else { panic!("{err:?}") };
        assert!(matches!(**inner, BuildError::BadParams { ref name, .. } if name == "ls"));
        assert!(err.to_string().starts_with("sudo: ls: unknown parameter `x`;"), "{err}");
        // The embedded command's parameters, not sudo's as well.
        assert_eq!(err.to_string().matches("accepted parameters: options, path").count(), 1);
        assert!(!err.to_string().contains("sudo_params"), "{err}");
    }

    #[test]
    fn a_syntax_error_keeps_both_parsers_errors() {
        let BuildError::Syntax { json, yaml, .. } = params_from_text("{a: [").unwrap_err() else {
            panic!("a syntax error")
        };
        let shown = params_from_text("{a: [").unwrap_err().to_string();
        assert!(shown.contains(&json.to_string()) && shown.contains(&yaml.to_string()), "{shown}");
    }
}
