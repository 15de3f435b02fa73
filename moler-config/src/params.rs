//! Connection parameters, read with errors that point.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{did_you_mean, or_expected, ConfigError, ErrorKind, Problem};
use crate::yaml::{is_secret_key, Key, Node, Origin, Value};

/// The parameters of one connection (`host`, `port`, …) as a constructor reads them.
///
/// Each getter takes a key the constructor knows; [`Params::finish`] then reports every
/// mistake at once: keys nobody asked for (with a "did you mean"), values of the wrong type,
/// missing required ones, each with the file, line and column it comes from. Getters return
/// `None` when the value is missing or wrong; a constructor calls `finish()?` before using
/// what it read, so a required value is always there once `finish` succeeded.
///
/// ```
/// use moler_config::Params;
/// let mut p = Params::new().with("host", "10.0.0.1").with("prot", 23);
/// let host: Option<String> = p.get("host");
/// let port: Option<u16> = p.required("port");
/// let e = p.finish().unwrap_err().to_string();
/// assert!(e.contains("unknown parameter `prot`; did you mean port?"), "{e}");
/// assert!(!e.contains("missing"), "{e}");
/// # let _ = (host, port);
/// ```
#[derive(Clone)]
pub struct Params {
    what: String,
    origin: Origin,
    entries: Vec<(Key, Node)>,
    asked: Vec<String>,
    ignored: Vec<String>,
    base_dir: Option<Arc<Path>>,
    problems: ConfigError,
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.entries {
            if is_secret_key(&k.name) {
                m.entry(k, &"***");
            } else {
                m.entry(k, v);
            }
        }
        m.finish()
    }
}

impl Default for Params {
    fn default() -> Self {
        Params::new()
    }
}

impl Params {
    /// No parameters (add some with [`Params::with`]).
    pub fn new() -> Params {
        Params {
            what: "connection".into(),
            origin: Origin::code(),
            entries: Vec::new(),
            asked: Vec::new(),
            ignored: Vec::new(),
            base_dir: None,
            problems: ConfigError::default(),
        }
    }

    /// Adds (or replaces) a parameter given in code.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Params {
        self.set(key, Node::new(value));
        self
    }

    /// Sets a parameter, replacing one of the same name.
    pub fn set(&mut self, key: &str, value: Node) {
        self.entries.retain(|(k, _)| k.name != key);
        self.entries.push((Key { name: key.to_owned(), origin: value.origin.clone() }, value));
    }

    pub(crate) fn from_entries(
        what: String,
        origin: Origin,
        entries: Vec<(Key, Node)>,
        base_dir: Option<Arc<Path>>,
    ) -> Params {
        Params { what, origin, entries, base_dir, ..Params::new() }
    }

    pub(crate) fn into_entries(self) -> Vec<(Key, Node)> {
        self.entries
    }

    /// What these parameters belong to, for messages (`connection net_1 (io_type tcp)`).
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Where the parameters were written.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The folder relative paths are resolved from (the config file's), if any.
    pub fn base_dir(&self) -> Option<&Path> {
        self.base_dir.as_deref()
    }

    /// The parameter names, in the order written.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.name.as_str())
    }

    /// The raw value of `key` (the last one if written twice), without marking it read.
    pub fn node(&self, key: &str) -> Option<&Node> {
        self.entries.iter().rev().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }

    /// True when `key` is given (and not null).
    pub fn contains(&self, key: &str) -> bool {
        self.node(key).is_some_and(|n| !matches!(n.value, Value::Null))
    }

    /// The value of `key` as a `T`, or `None` when it is missing or null. A value of the wrong
    /// type is a problem that [`Params::finish`] reports.
    pub fn get<T: FromParam>(&mut self, key: &str) -> Option<T> {
        self.asked.push(key.to_owned());
        let node = self.node(key)?.clone();
        if matches!(node.value, Value::Null) {
            return None;
        }
        match T::from_param(&node, self.base_dir.as_deref()) {
            Ok(v) => Some(v),
            Err(expected) => {
                let msg =
                    format!("{}: `{key}` must be {expected}, found {}", self.what, node.describe());
                self.problems.push(Problem::new(ErrorKind::WrongType, node.origin.clone(), msg));
                None
            }
        }
    }

    /// Like [`Params::get`], and a missing value is a problem too.
    pub fn required<T: FromParam>(&mut self, key: &str) -> Option<T> {
        let present = self.contains(key);
        let value = self.get(key);
        if !present {
            let msg = format!("{}: missing required parameter `{key}`", self.what);
            self.problems.push(Problem::new(ErrorKind::MissingParameter, self.origin.clone(), msg));
        }
        value
    }

    /// Accepts `key` without using it (Moler parameters that mean nothing here, such as
    /// `receive_buffer_size`).
    pub fn ignore(&mut self, key: &str) {
        self.asked.push(key.to_owned());
        if self.contains(key) {
            self.ignored.push(key.to_owned());
        }
    }

    /// Reports a problem with the value of `key` (or with the whole mapping if it is missing).
    pub fn invalid(&mut self, key: &str, message: impl fmt::Display) {
        let origin = self.node(key).map_or_else(|| self.origin.clone(), |n| n.origin.clone());
        let msg = format!("{}: `{key}` {message}", self.what);
        self.problems.push(Problem::new(ErrorKind::InvalidValue, origin, msg));
    }

    /// The keys given but accepted only to be ignored.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Every problem found so far, plus keys no getter asked for. `Ok` means every value read
    /// is usable.
    pub fn finish(&mut self) -> Result<(), ConfigError> {
        let mut problems = std::mem::take(&mut self.problems);
        let mut misspelt = Vec::new();
        for (k, _) in &self.entries {
            if !self.asked.contains(&k.name) {
                let mut known: Vec<&str> = self.asked.iter().map(String::as_str).collect();
                known.sort_unstable();
                known.dedup();
                misspelt.extend(did_you_mean(&k.name, known.iter().copied()).map(str::to_owned));
                let tail = or_expected(&k.name, &known);
                let msg = format!("{}: unknown parameter `{}`{tail}", self.what, k.name);
                problems.push(Problem::new(ErrorKind::UnknownKey, k.origin.clone(), msg));
            }
        }
        // `prot: 23` is reported as a misspelt `port`, not also as a missing one.
        problems.retain(|p| {
            p.kind != ErrorKind::MissingParameter
                || !misspelt.iter().any(|m| p.message.ends_with(&format!("`{m}`")))
        });
        problems.problems_sorted().into_result(())
    }
}

impl ConfigError {
    /// Problems in file order (problems from code first).
    pub(crate) fn problems_sorted(mut self) -> ConfigError {
        self.sort();
        self
    }
}

/// A type a parameter can be read as.
pub trait FromParam: Sized {
    /// Reads `node`; on a mismatch, says what was expected ("a port number (1-65535)").
    /// `base_dir` is the folder relative paths are resolved from.
    fn from_param(node: &Node, base_dir: Option<&Path>) -> Result<Self, String>;
}

impl FromParam for String {
    /// Text; numbers are taken as written (`password: 1234`, `password: 0123`).
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        node.as_text().map(String::from).ok_or_else(|| "text".into())
    }
}

impl FromParam for bool {
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        match node.value {
            Value::Bool(b) => Ok(b),
            _ => Err("true or false".into()),
        }
    }
}

/// A whole number: a number, or text of decimal digits (`port: "22"`, as a Python user may
/// quote it).
fn integer(node: &Node) -> Option<i64> {
    match &node.value {
        Value::Int(i) => Some(*i),
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    }
}

impl FromParam for u16 {
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        integer(node)
            .and_then(|i| u16::try_from(i).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| "a port number (1-65535)".into())
    }
}

impl FromParam for u32 {
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        integer(node)
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| "a whole number (0 or more)".into())
    }
}

impl FromParam for u64 {
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        integer(node)
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| "a whole number (0 or more)".into())
    }
}

impl FromParam for i64 {
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        integer(node).ok_or_else(|| "a whole number".into())
    }
}

impl FromParam for f64 {
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        match node.value {
            Value::Int(i) => Ok(i as f64),
            Value::Float(x) => Ok(x),
            _ => Err("a number".into()),
        }
    }
}

impl FromParam for Duration {
    /// Seconds, as in Moler: `5`, `0.5`.
    fn from_param(node: &Node, base: Option<&Path>) -> Result<Self, String> {
        f64::from_param(node, base)
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or_else(|| "a number of seconds (0 or more)".into())
    }
}

impl FromParam for PathBuf {
    /// A path; `~/` is the home folder, a relative path is resolved from the config file's
    /// folder.
    fn from_param(node: &Node, base: Option<&Path>) -> Result<Self, String> {
        // A name written as a number (`cwd: 2026`) is that folder.
        let text = String::from_param(node, base).ok().filter(|s| !s.is_empty()).ok_or("a path")?;
        Ok(resolve_path(&text, base))
    }
}

/// `~/x` → `$HOME/x`; a relative path joined to `base` when there is one.
pub(crate) fn resolve_path(text: &str, base: Option<&Path>) -> PathBuf {
    if let Some(rest) = text.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    let path = PathBuf::from(text);
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    }
}

impl FromParam for Vec<String> {
    /// A list of texts (numbers taken as written).
    fn from_param(node: &Node, base: Option<&Path>) -> Result<Self, String> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .map(|i| String::from_param(i, base))
                .collect::<Result<_, _>>()
                .map_err(|_| "a list of texts".into()),
            _ => Err("a list of texts".into()),
        }
    }
}

impl FromParam for Vec<(String, String)> {
    /// A mapping of names to texts (an environment).
    fn from_param(node: &Node, base: Option<&Path>) -> Result<Self, String> {
        let expected = || "a mapping of names to texts".to_owned();
        let entries = node.as_map().ok_or_else(expected)?;
        entries
            .iter()
            .map(|(k, v)| {
                Ok((k.name.clone(), String::from_param(v, base).map_err(|_| expected())?))
            })
            .collect()
    }
}

impl FromParam for Node {
    /// Any value, as written.
    fn from_param(node: &Node, _: Option<&Path>) -> Result<Self, String> {
        Ok(node.clone())
    }
}
