//! YAML text → a tree of [`Node`]s that remember where they were written.
//!
//! serde-saphyr parses; its `Spanned` wrapper gives every node its line, column and span.
//! Two things are fixed up on the way, so that Moler's files read as PyYAML reads them:
//! - a plain `y`, `Y`, `n` or `N` is text (YAML 1.1 parsers such as serde-saphyr make it a
//!   boolean; PyYAML, which Moler uses, does not);
//! - keys stay in file order and duplicates are kept, so the schema can say where both are.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{ErrorKind, Problem, Problems};

/// Where a value was written: a file (or a YAML string) and a 1-based line and column, or
/// Rust code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    source: Source,
    line: u32,
    column: u32,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Source {
    File(Arc<Path>),
    Text(Arc<str>),
    Code,
}

impl Origin {
    /// A value built in Rust code, not read from YAML.
    pub fn code() -> Origin {
        Origin { source: Source::Code, line: 0, column: 0 }
    }

    /// Line 1 column 1 of a file.
    pub(crate) fn file(path: &Path) -> Origin {
        Origin { source: Source::File(Arc::from(path)), line: 0, column: 0 }
    }

    /// A YAML string, named `label` in messages (`<yaml string>`).
    pub(crate) fn text(label: &str) -> Origin {
        Origin { source: Source::Text(Arc::from(label)), line: 0, column: 0 }
    }

    pub(crate) fn at(&self, line: u64, column: u64) -> Origin {
        Origin {
            source: self.source.clone(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The file it was read from, if any.
    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            _ => None,
        }
    }

    /// The 1-based line (0 for values built in code).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The 1-based column (0 for values built in code).
    pub fn column(&self) -> u32 {
        self.column
    }

    pub(crate) fn sort_key(&self) -> (String, u32, u32) {
        let source = match &self.source {
            Source::File(p) => p.display().to_string(),
            Source::Text(t) => t.to_string(),
            Source::Code => String::new(),
        };
        (source, self.line, self.column)
    }

    /// True for values built in Rust code.
    pub fn is_code(&self) -> bool {
        matches!(self.source, Source::Code)
    }
}

impl fmt::Display for Origin {
    /// `path:line:column`, `<yaml string>:line:column`, or `<code>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::File(p) => write!(f, "{}", p.display())?,
            Source::Text(label) => f.write_str(label)?,
            Source::Code => return f.write_str("<code>"),
        }
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A YAML value and where it was written.
#[derive(Clone)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub origin: Origin,
    /// A number's text as written in the file (`0123`, `1e5`, 25 digits), for where a number
    /// is taken as text ([`Node::number_text`]), with the number read from it (a `value`
    /// changed since no longer goes by that text); `None` for other values and nodes made in
    /// code.
    written: Option<(Box<str>, Value)>,
}

/// A YAML value. Mappings keep their keys in file order, duplicates included.
#[derive(Clone, Debug)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true`, `false`, and YAML 1.1's `yes`, `no`, `on`, `off` (as PyYAML reads them).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it was written.
#[derive(Clone)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Where it was written.
    pub origin: Origin,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.name, f)
    }
}

/// Keys whose values never appear in `Debug` output.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "passphrase", "secret", "token"].iter().any(|s| key.contains(s))
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Seq(items) => f.debug_list().entries(items).finish(),
            Value::Map(entries) => {
                let mut m = f.debug_map();
                for (k, v) in entries {
                    if is_secret_key(&k.name) && !matches!(v.value, Value::Null) {
                        m.entry(k, &"***");
                    } else {
                        m.entry(k, v);
                    }
                }
                m.finish()
            }
        }
    }
}

impl PartialEq for Node {
    /// Compares values only, not where they were written.
    fn eq(&self, other: &Node) -> bool {
        self.value == other.value
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            // A NaN read is the NaN read (so its text is what was written).
            (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => *a as f64 == *b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| b.iter().any(|(k2, v2)| k.name == k2.name && v == v2))
            }
            _ => false,
        }
    }
}

impl Node {
    /// A value written in Rust code.
    pub fn new(value: impl Into<Value>) -> Node {
        Node::at(value, Origin::code())
    }

    /// A value from `origin` (a file's value rebuilt, or one written in code).
    pub fn at(value: impl Into<Value>, origin: Origin) -> Node {
        Node { value: value.into(), origin, written: None }
    }

    /// A number as text: as it was written in the file (`0123` stays `0123`, `1e5` stays
    /// `1e5`, a 25-digit number keeps every digit), or its usual form for a number made in
    /// code. `None` for anything but a number.
    pub fn number_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match (&self.value, &self.written) {
            (Value::Int(_) | Value::Float(_), Some((text, read))) if *read == self.value => {
                Some(std::borrow::Cow::Borrowed(text))
            }
            (Value::Int(i), _) => Some(i.to_string().into()),
            (Value::Float(x), _) => Some(x.to_string().into()),
            _ => None,
        }
    }

    /// What kind of value this is, for messages: `text "abc"`, `a number (5)` (as written:
    /// `a number (0123)`), `a mapping`.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "nothing (null)".into(),
            Value::Bool(b) => format!("a boolean ({b})"),
            Value::Int(_) | Value::Float(_) => {
                format!("a number ({})", self.number_text().unwrap_or_default())
            }
            Value::Str(s) if s.chars().count() > 40 => {
                format!("text {:?}…", s.chars().take(40).collect::<String>())
            }
            Value::Str(s) => format!("text {s:?}"),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }

    /// Text: a text as it is, a number as it was written ([`Node::number_text`]); `None` for
    /// other values. What a config reads where it wants text (a password, a state's name).
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.value {
            Value::Str(s) => Some(s.as_str().into()),
            _ => self.number_text(),
        }
    }

    /// The value as JSON (mappings keep their order; of duplicate keys the last wins, as in
    /// PyYAML). A number JSON cannot hold (`.inf`, `-.inf`, `.nan`) is the text written.
    pub fn to_json(&self) -> serde_json::Value {
        self.json(false)
    }

    /// The value as JSON with every number in it as the text it was written as (`0123` is
    /// `"0123"`): what it is to a reader that wants text there.
    pub fn to_json_as_written(&self) -> serde_json::Value {
        self.json(true)
    }

    /// Of a mapping, the entries that hold numbers: the key, the value as JSON as read and as
    /// written (`password: 0123`: `("password", 123, "0123")`), for a reader that takes a
    /// number where it wants text as the text written. Empty for anything but a mapping.
    pub fn numbers_as_written(&self) -> Vec<(String, serde_json::Value, serde_json::Value)> {
        let entries = self.as_map().unwrap_or_default();
        let numbers = entries.iter().filter_map(|(k, v)| {
            let (read, written) = (v.to_json(), v.to_json_as_written());
            (read != written).then(|| (k.name.clone(), read, written))
        });
        numbers.collect()
    }

    fn json(&self, numbers_as_text: bool) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Int(_) | Value::Float(_) if numbers_as_text => {
                J::String(self.number_text().unwrap_or_default().into_owned())
            }
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            // JSON has no infinity and no NaN: such a number is the text written (`.inf`),
            // which a parameter wanting a number refuses by name, rather than null, which
            // reads as a parameter not given (`timeout: .inf` would be the default timeout).
            Value::Float(x) => serde_json::Number::from_f64(*x).map_or_else(
                || J::String(self.number_text().unwrap_or_default().into_owned()),
                J::Number,
            ),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(|i| i.json(numbers_as_text)).collect()),
            Value::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    map.insert(k.name.clone(), v.json(numbers_as_text));
                }
                J::Object(map)
            }
        }
    }

    /// A JSON value as a node written in code.
    pub fn from_json(json: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                n.as_i64().map_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0)), Value::Int)
            }
            J::String(s) => Value::Str(s.clone()),
            J::Array(items) => Value::Seq(items.iter().map(Node::from_json).collect()),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| {
                        (Key { name: k.clone(), origin: Origin::code() }, Node::from_json(v))
                    })
                    .collect(),
            ),
        };
        Node::new(value)
    }

    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it (the last one of duplicates).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().rev().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i.into())
    }
}
impl From<u16> for Value {
    fn from(i: u16) -> Value {
        Value::Int(i.into())
    }
}
impl From<u32> for Value {
    fn from(i: u32) -> Value {
        Value::Int(i.into())
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}
impl From<Vec<Node>> for Value {
    fn from(items: Vec<Node>) -> Value {
        Value::Seq(items)
    }
}
impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Value {
        Node::from_json(&json).value
    }
}

/// What serde-saphyr hands over, before origins and fix-ups.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
        Ok(Raw::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
        Ok(i64::try_from(u).map_or(Raw::Big(u), Raw::Int))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Raw, E> {
        Ok(Raw::Float(x))
    }
    fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
        Ok(Raw::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Raw, E> {
        Ok(Raw::Str(s))
    }
    fn visit_bytes<E>(self, b: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(b).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Raw::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

impl Node {
    /// Reads and parses a YAML file into located nodes, for other crates that read their own
    /// YAML with this crate's `file:line:column` errors (the simulator's device files).
    ///
    /// ```
    /// # let dir = moler_testkit::TempDir::new("node-doc"); // removed when the example ends
    /// let file = dir.join("x.yml");
    /// std::fs::write(&file, "a: 1\nb: [2, 3\n").unwrap();
    /// let e = moler_config::Node::from_file(&file).unwrap_err();
    /// assert!(e.to_string().ends_with("x.yml:2:4: invalid YAML: unclosed bracket '['"), "{e}");
    /// ```
    pub fn from_file(path: &Path) -> Result<Node, crate::ConfigError> {
        let text = crate::read_file(path).map_err(Problems::one)?;
        parse(&text, &Origin::file(path))
    }

    /// Parses YAML `text`, named `label` in errors (`<yaml string>`, say).
    ///
    /// ```
    /// let node = moler_config::Node::from_yaml("a: {b: x}", "<t>").unwrap();
    /// let b = node.get("a").and_then(|a| a.get("b")).unwrap();
    /// assert_eq!((b.as_str(), b.origin.to_string().as_str()), (Some("x"), "<t>:1:8"));
    /// ```
    pub fn from_yaml(text: &str, label: &str) -> Result<Node, crate::ConfigError> {
        parse(text, &Origin::text(label))
    }
}

/// Parses YAML `text` read from `source`. A syntax error is one problem, with its place.
pub(crate) fn parse(text: &str, source: &Origin) -> Result<Node, Problems> {
    let options = serde_saphyr::options! {
        // Duplicates reach the schema, which reports them with both places.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        // `.inf`, `.nan` and a number too large for a float (`1e999`) are numbers, as in
        // PyYAML, with their text kept like every number's: a password `1e999` is that text.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
    };
    let raw = serde_saphyr::from_str_with_options::<Spanned<Raw>>(text, options)
        .map_err(|e| Problems::one(syntax_problem(&e, source)))?;
    let mut problems = Problems::default();
    let node = convert(raw, text, source, &mut problems);
    problems.into_result(node)
}

fn syntax_problem(e: &serde_saphyr::Error, source: &Origin) -> Problem {
    let e = e.without_snippet();
    let origin = match e.location() {
        Some(at) if at.line() > 0 => source.at(at.line(), at.column()),
        _ => source.clone(),
    };
    // A limit breached at an alias comes wrapped in the alias's error.
    let cause = match e {
        serde_saphyr::Error::AliasError { error, .. } => error.without_snippet(),
        other => other,
    };
    let message = match (e, cause) {
        (_, serde_saphyr::Error::Budget { breach, .. }) => budget_message(breach),
        (serde_saphyr::Error::Message { msg, .. }, _) => strip_position(msg),
        (other, _) => strip_position(&other.to_string()),
    };
    Problem::new(ErrorKind::Syntax, origin, format!("invalid YAML: {message}"))
}

/// What a breach of the reader's limits means to the writer of a config: a file that expands
/// without end (aliases of aliases: the "billion laughs"), or nests too deep.
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let what = match breach {
        B::Nodes { nodes } => format!("it expands to more than {} values", nodes.saturating_sub(1)),
        B::Aliases { aliases } => {
            format!("it uses aliases more than {} times", aliases.saturating_sub(1))
        }
        B::AliasAnchorRatio { aliases, anchors } => {
            format!("it uses its {anchors} anchor(s) {aliases} times")
        }
        B::Depth { depth } => format!("it nests {depth} levels deep"),
        other => format!("{other:?}"),
    };
    format!(
        "{what}, over the reader's limit (a config that large is most likely aliases of aliases \
         that expand without end)"
    )
}

/// saphyr's messages end with " at line L, column C" and may start with "line L column C: ";
/// the origin says that already.
fn strip_position(message: &str) -> String {
    let mut m = message.trim();
    if let Some(rest) = m.strip_prefix("line ") {
        if let Some((_, after)) = rest.split_once(": ") {
            if rest.split_once(": ").is_some_and(|(pos, _)| pos.contains("column")) {
                m = after;
            }
        }
    }
    // "… at line 1, column 32 (defined at line 5, column 7) (used at line 6, column 14)":
    // the places in parentheses first.
    while let Some(i) = m.strip_suffix(')').and_then(|rest| rest.rfind(" (")) {
        if !m[i..].contains(" at line ") {
            break;
        }
        m = m[..i].trim_end();
    }
    if let Some(i) = m.rfind(" at line ") {
        if m[i..].contains("column") {
            m = &m[..i];
        }
    }
    m.to_owned()
}

fn convert(raw: Spanned<Raw>, text: &str, source: &Origin, problems: &mut Problems) -> Node {
    let at = &raw.referenced;
    let defined = raw.defined;
    let origin = source.at(at.line(), at.column());
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => match span_text_at(at, text) {
            // PyYAML (YAML 1.1 as Moler reads it) has no one-letter booleans.
            t @ ("y" | "Y" | "n" | "N") => Value::Str(t.to_owned()),
            _ => Value::Bool(b),
        },
        Raw::Int(i) => Value::Int(i),
        Raw::Big(u) => Value::Float(u as f64),
        Raw::Float(x) => Value::Float(x),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => {
            Value::Seq(items.into_iter().map(|i| convert(i, text, source, problems)).collect())
        }
        Raw::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let written = span_text(&k, text).trim().to_owned();
                let key = convert(k, text, source, problems);
                let name = match &key.value {
                    Value::Str(s) => s.clone(),
                    // `on:`, `1:`: the key is what was written.
                    Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null => written,
                    Value::Seq(_) | Value::Map(_) => {
                        problems.push(Problem::new(
                            ErrorKind::WrongType,
                            key.origin.clone(),
                            format!("a key must be a name, found {}", key.describe()),
                        ));
                        continue;
                    }
                };
                let value = convert(v, text, source, problems);
                out.push((Key { name, origin: key.origin }, value));
            }
            Value::Map(out)
        }
    };
    // A number keeps its text: where it was defined (an alias's anchor), and only a plain
    // token of a number's characters (not a tag's text, or a span saphyr got wrong).
    let written = matches!(value, Value::Int(_) | Value::Float(_))
        .then(|| span_text_at(&defined, text).trim())
        .filter(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_'))
        })
        .map(|w| (Box::from(w), value.clone()));
    Node { value, origin, written }
}

fn span_text<'t>(raw: &Spanned<Raw>, text: &'t str) -> &'t str {
    span_text_at(&raw.referenced, text)
}

/// The text a node was written as, or "" if saphyr does not know it.
fn span_text_at<'t>(at: &serde_saphyr::Location, text: &'t str) -> &'t str {
    let span = at.span();
    // saphyr counts in characters; the byte offsets come along when it has them.
    let bytes = match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => {
            usize::try_from(start).ok().zip(usize::try_from(len).ok()).map(|(s, l)| (s, s + l))
        }
        _ => {
            let char_to_byte = |c: u64| {
                let c = usize::try_from(c).ok()?;
                text.char_indices().map(|(b, _)| b).chain([text.len()]).nth(c)
            };
            char_to_byte(span.offset()).zip(char_to_byte(span.offset() + span.len()))
        }
    };
    bytes.and_then(|(start, end)| text.get(start..end)).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Node {
        parse(text, &Origin::text("<t>")).unwrap()
    }

    #[test]
    fn one_letter_booleans_are_text_as_in_pyyaml() {
        let n = yaml("a: y\nb: N\nc: yes\nd: 'y'\ne: Off\n");
        assert_eq!(n.get("a").unwrap().value, Value::Str("y".into()));
        assert_eq!(n.get("b").unwrap().value, Value::Str("N".into()));
        assert_eq!(n.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("d").unwrap().value, Value::Str("y".into()));
        assert_eq!(n.get("e").unwrap().value, Value::Bool(false));
    }

    #[test]
    fn one_letter_booleans_are_found_after_non_ascii_text() {
        // saphyr's spans count characters: the text must still be cut at the right bytes.
        let n = yaml("é: ü\nzażółć: y\n日本: N\n");
        assert_eq!(n.get("zażółć").unwrap().value, Value::Str("y".into()));
        assert_eq!(n.get("日本").unwrap().value, Value::Str("N".into()));
    }

    /// Numbers taken as text are as written: a password `0123` is not `123`, a 25-digit PIN
    /// keeps its digits, `1e5` is not `100000`; also behind an alias, and after non-ASCII
    /// text (saphyr's spans count characters). A number made in code has its usual form.
    #[test]
    fn numbers_as_text_are_what_was_written() {
        let cases = [
            "0123",
            "1e5",
            "1234567890123456789012345",
            "-0",
            "+7",
            "0x1F",
            "1_000",
            "3.10",
            "18446744073709551615",
        ];
        for written in cases {
            for text in [format!("p: {written}\n"), format!("ü: é\nx: &n {written}\np: *n\n")] {
                let n = yaml(&text);
                let p = n.get("p").unwrap();
                assert!(matches!(p.value, Value::Int(_) | Value::Float(_)), "{text}: {p:?}");
                assert_eq!(p.number_text().as_deref(), Some(written), "{text}");
                let as_param = <String as crate::params::FromParam>::from_param(p, None);
                assert_eq!(as_param.as_deref(), Ok(written), "{text}");
            }
        }
        assert_eq!(Node::new(Value::Int(123)).number_text().as_deref(), Some("123"));
        assert_eq!(Node::new(Value::Float(0.5)).number_text().as_deref(), Some("0.5"));
        // A value changed after reading no longer goes by the text it was read from.
        let mut changed = yaml("p: 0123\n").get("p").unwrap().clone();
        changed.value = Value::Int(7);
        assert_eq!(changed.number_text().as_deref(), Some("7"));
        assert_eq!(yaml("p: '0123'\n").get("p").unwrap().number_text(), None);
        assert_eq!(yaml("p: true\n").get("p").unwrap().number_text(), None);
    }

    #[test]
    fn numbers_json_cannot_hold_are_the_text_written() {
        // Read as numbers (PyYAML reads them so), their text kept.
        let n = yaml("a: .inf\nb: -.Inf\nc: .NaN\nd: [1.5, .nan]\ne: 1e999\n");
        assert_eq!(n.get("a").unwrap().value, Value::Float(f64::INFINITY));
        assert!(matches!(n.get("c").unwrap().value, Value::Float(x) if x.is_nan()));
        assert_eq!(n.get("e").unwrap().value, Value::Float(f64::INFINITY));
        for (key, text) in [("a", ".inf"), ("b", "-.Inf"), ("c", ".NaN"), ("e", "1e999")] {
            let node = n.get(key).unwrap();
            assert_eq!(node.number_text().as_deref(), Some(text));
            let as_param = <String as crate::params::FromParam>::from_param(node, None);
            assert_eq!(as_param.as_deref(), Ok(text));
        }
        // Where a number of seconds is wanted, refused by name.
        let timeout = <std::time::Duration as crate::params::FromParam>::from_param(
            n.get("a").unwrap(),
            None,
        );
        assert!(timeout.is_err());
        // In JSON (a hop's command parameters), the text written: not null, which would be a
        // parameter not given.
        let json = n.to_json();
        assert_eq!(json["a"], ".inf");
        assert_eq!(json["b"], "-.Inf");
        assert_eq!(json["c"], ".NaN");
        assert_eq!(json["d"], serde_json::json!([1.5, ".nan"]));
        assert_eq!(json["e"], "1e999");
        assert_eq!(n.to_json_as_written()["d"], serde_json::json!(["1.5", ".nan"]));
        // Made in code: its usual form.
        assert_eq!(Node::new(Value::Float(f64::INFINITY)).to_json(), "inf");
    }

    /// A file that expands without end (aliases of aliases, the "billion laughs") is refused
    /// with a message its writer understands, at the alias that went over the limit.
    #[test]
    fn aliases_of_aliases_over_the_limit_are_a_plain_error() {
        let mut text = String::from("a: &a [l, l, l, l, l, l, l, l, l]\n");
        for (i, name) in ["b", "c", "d", "e", "f", "g"].iter().enumerate() {
            let before = ["a", "b", "c", "d", "e", "f"][i];
            let aliases = vec![format!("*{before}"); 9].join(", ");
            text.push_str(&format!("{name}: &{name} [{aliases}]\n"));
        }
        let e = parse(&text, &Origin::text("<t>")).unwrap_err().to_string();
        assert!(e.starts_with("<t>:"), "{e}");
        assert!(
            e.contains(
                "invalid YAML: it expands to more than 250000 values, over the reader's limit"
            ),
            "{e}"
        );
        assert!(!e.contains("Nodes {") && !e.contains("(used"), "{e}");
    }

    #[test]
    fn places_in_saphyrs_messages_are_left_to_the_origin() {
        let m = "budget breached: x at line 1, column 32 (defined at line 5, column 7) (used at line 6, column 14)";
        assert_eq!(strip_position(m), "budget breached: x");
        assert_eq!(
            strip_position("line 2 column 3: unclosed quote at line 2, column 3"),
            "unclosed quote"
        );
        assert_eq!(strip_position("a (b) c"), "a (b) c");
    }

    #[test]
    fn keys_that_are_not_text_are_what_was_written() {
        let n = yaml("on: 1\n1.50: 2\nñ: 3\n~: 4\n");
        let names: Vec<_> = n.as_map().unwrap().iter().map(|(k, _)| k.name.as_str()).collect();
        assert_eq!(names, ["on", "1.50", "ñ", "~"]);
    }

    #[test]
    fn origins_are_line_and_column() {
        let n = yaml("top:\n  inner: 5\n");
        let inner = n.get("top").unwrap().get("inner").unwrap();
        assert_eq!(inner.origin.to_string(), "<t>:2:10");
        let key = &n.get("top").unwrap().as_map().unwrap()[0].0;
        assert_eq!(key.origin.to_string(), "<t>:2:3");
    }

    #[test]
    fn duplicates_are_kept_in_order() {
        let n = yaml("a: 1\nb: 2\na: 3\n");
        let names: Vec<_> = n.as_map().unwrap().iter().map(|(k, _)| k.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "a"]);
        assert_eq!(n.get("a").unwrap().value, Value::Int(3));
    }

    #[test]
    fn syntax_errors_have_a_place_and_a_plain_message() {
        let e = parse("A: [1, 2\nB: 3\n", &Origin::text("<t>")).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("<t>:2:2: invalid YAML: "), "{text}");
        assert!(!text.contains("at line"), "{text}");
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let n = yaml("host: h\npassword: hunter2\n");
        let shown = format!("{n:?}");
        assert!(shown.contains("***") && !shown.contains("hunter2"), "{shown}");
    }
}
