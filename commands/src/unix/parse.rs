//! Parsers shared by several commands, and small helpers for writing them.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::Serialize;
use serde::Serializer;

/// Output lines under Moler's key `LINES` (cat, head, tail).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LinesResult {
    /// The lines.
    #[serde(rename = "LINES")]
    pub lines: Vec<String>,
}

/// Output lines under Moler's key `RESULT` (echo, uname, sed).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ResultLines {
    /// The lines.
    #[serde(rename = "RESULT")]
    pub result: Vec<String>,
}

/// Collects whole lines; blank ones are kept or skipped as Moler does for the command.
#[derive(Debug)]
pub struct CollectLines<T> {
    lines: Vec<String>,
    keep_blank: bool,
    wrap: fn(Vec<String>) -> T,
}

impl<T> CollectLines<T> {
    pub(crate) fn new(keep_blank: bool, wrap: fn(Vec<String>) -> T) -> Self {
        Self { lines: Vec::new(), keep_blank, wrap }
    }
}

impl<T: Send + 'static> Parser for CollectLines<T> {
    type Output = T;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial && (self.keep_blank || !line.trim().is_empty()) {
            self.lines.push(line.to_owned());
        }
        Ok(())
    }
    // No `has_result`: collected lines are a result even when there are none, as Moler's
    // `current_ret["LINES"] = []` (`["RESULT"]` for `uname`) set at construction is: its
    // `ret_required` never waits for these commands.
    fn finish(&mut self) -> ParseResult<T> {
        Ok((self.wrap)(std::mem::take(&mut self.lines)))
    }
}

/// A parser that ignores the output: for commands whose success prints nothing useful.
#[derive(Debug, Default)]
pub struct Nothing;

impl Parser for Nothing {
    type Output = crate::Empty;
    fn on_line(&mut self, _: &str, _: bool, _: &mut Context<'_>) -> ParseResult {
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<crate::Empty> {
        Ok(crate::Empty {})
    }
}

/// Moler's number conversion: an integer if the text is one, else a float, else `None`.
#[inline]
pub(crate) fn number(text: &str) -> Option<serde_json::Number> {
    const POWERS: [f64; 16] =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let b = text.as_bytes();
    // A finite number starts with a digit, a sign or a point (`inf` and `nan` stay text): the
    // words of a table that are names, paths or states are turned down at their first byte.
    if !matches!(b.first()?, b'0'..=b'9' | b'+' | b'-' | b'.') {
        return None;
    }
    // One pass over the leading digits (most counters are nothing else).
    let digits = |from: usize, mut n: u64| {
        let mut i = from;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            n = n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            i += 1;
        }
        (i, n)
    };
    let (point, n) = digits(0, 0);
    match b.get(point) {
        // Plain digits that fit an `i64`: read at once.
        None if point <= 18 => return Some((n as i64).into()),
        None => return number_parsed(text),
        // A plain decimal (`12.5`, a percentage, a load): its digits as an integer divided by a
        // power of ten, both exact in an `f64` (at most 15 digits: below 2^53), so the one
        // division rounds correctly, as parsing does (Clinger's fast path).
        Some(b'.') if point > 0 && b.len() <= 16 => {
            let (end, n) = digits(point + 1, n);
            if end == b.len() && end > point + 1 {
                return serde_json::Number::from_f64(n as f64 / POWERS[end - point - 1]);
            }
        }
        Some(b'.' | b'+' | b'-' | b'e' | b'E') => {}
        // Nor does a finite number hold anything but digits, signs, a point and an exponent
        // (`10:00`, `pts/1`).
        Some(_) => return None,
    }
    if !b[point..].iter().all(|c| matches!(c, b'0'..=b'9' | b'+' | b'-' | b'.' | b'e' | b'E')) {
        return None;
    }
    number_parsed(text)
}

/// [`number`] by the standard parsers: `i64`, `u64`, then a finite `f64`.
#[inline(never)]
fn number_parsed(text: &str) -> Option<serde_json::Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(u.into());
    }
    let f: f64 = text.parse().ok()?;
    // Python's float() takes "inf"/"nan"; JSON has neither, so those stay text.
    serde_json::Number::from_f64(f)
}

/// A number when the text is one, else the text (Moler's `convert_to_number`).
#[inline]
pub(crate) fn number_or_text(text: &str) -> serde_json::Value {
    number(text).map_or_else(|| text.into(), serde_json::Value::Number)
}

/// The keys of a mapping that many rows share, allocated into a map once: a row is its clone
/// with the values set in key order. Cloning pushes the keys into a new node in order, where
/// inserting them one by one searches the node and moves what follows each time.
#[derive(Debug, Clone, Default)]
pub(crate) struct MapTemplate(serde_json::Map<String, serde_json::Value>);

impl MapTemplate {
    /// A template of these keys (a repeated key counts once).
    pub(crate) fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        Self(keys.into_iter().map(|k| (k.to_owned(), serde_json::Value::Null)).collect())
    }

    /// A mapping of its keys to nulls, to fill in key order ([`put_next`]).
    #[inline]
    pub(crate) fn blank(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0.clone()
    }

    /// A mapping of its keys to `values`, given in key order: one value per key (a key without
    /// a value is null; values beyond the keys are dropped).
    #[inline]
    pub(crate) fn fill(
        &self,
        values: impl IntoIterator<Item = serde_json::Value>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut m = self.0.clone();
        for (slot, value) in m.values_mut().zip(values) {
            *slot = value;
        }
        m
    }
}

/// Sets the next of a mapping's values (`$slots`: its `values_mut()`), filled one after
/// another in key order, each straight into its slot (no array of values moved in first:
/// `ls`'s JSON 126 -> 149 MB/s, `netstat`'s 171 -> 190); a value beyond the keys is dropped.
/// A macro: as a closure the compiler kept it out of line (38 instructions a value), and as an
/// inlined method `netstat`'s JSON measured 168-181 MB/s against 184-189.
macro_rules! put_next {
    ($slots:ident, $value:expr) => {
        if let Some(slot) = $slots.next() {
            *slot = $value;
        }
    };
}
pub(crate) use put_next;

/// Quotes a word for a POSIX shell command line when it needs it.
pub(crate) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^~".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Words of `line` with their byte offsets, split on ASCII blanks.
///
/// One byte at a time: words are short, and eight bytes at a time (as [`word_spans`] goes)
/// cost more here, measured on `ls -l` (1,520 instructions a line against 1,180).
#[inline]
pub(crate) fn words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    let b = line.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        // (A byte above the space is no blank: one comparison for most bytes of a word.)
        while i < b.len() && (b[i] > b' ' || (b[i] != b' ' && b[i] != b'\t')) {
            i += 1;
        }
        Some((start, &line[start..i]))
    })
}

/// The spans (`start..end`) of the words of `line`, split on ASCII blanks as [`words`] splits
/// them, into `spans` (cleared first): the table parsers' word splitter, eight bytes at a time.
pub(crate) fn word_spans(line: &str, spans: &mut Vec<(usize, usize)>) {
    spans.clear();
    let b = line.as_bytes();
    let (mut in_word, mut start) = (false, 0);
    for (n, block) in b.chunks(64).enumerate() {
        // Bit i: byte i of the block is a blank (bytes past the end count as blanks).
        let mut blank = if block.len() < 64 { !0u64 << block.len() } else { 0 };
        let mut eights = block.chunks_exact(8);
        for (i, eight) in eights.by_ref().enumerate() {
            let w = u64::from_le_bytes(eight.try_into().expect("chunks of eight"));
            blank |= u64::from(blank_bits(w)) << (8 * i);
        }
        let rest = eights.remainder();
        if !rest.is_empty() {
            let mut w = [b' '; 8];
            w[..rest.len()].copy_from_slice(rest);
            blank |= u64::from(blank_bits(u64::from_le_bytes(w))) << (block.len() & !7);
        }
        // Bit i: whether a word starts or ends at byte i (blank-ness changes there).
        let mut changes = blank ^ ((blank << 1) | u64::from(!in_word));
        while changes != 0 {
            let at = n * 64 + changes.trailing_zeros() as usize;
            changes &= changes - 1;
            if in_word {
                spans.push((start, at));
            } else {
                start = at;
            }
            in_word = !in_word;
        }
    }
    if in_word {
        spans.push((start, b.len()));
    }
}

/// Bit i: byte i of `w` (little-endian) is a space or a tab.
#[inline]
fn blank_bits(w: u64) -> u8 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The high bit of each byte that is zero (exact: no carry crosses a byte).
    let zero = |x: u64| !(((x & LOW7) + LOW7) | x) & !LOW7;
    let high = zero(w ^ 0x2020_2020_2020_2020) | zero(w ^ 0x0909_0909_0909_0909);
    // Gathers the eight high bits into one byte, byte i's into bit i.
    ((high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// `output` (the echo of `command`'s line first, the prompt `$ ` last) through `command`'s
/// typed parser, its result serialized, and through the registry's parser
/// ([`crate::UnixCommand::json_parser`]); `None` where the command did not end or failed.
#[cfg(test)]
pub(crate) fn typed_and_registry<C: crate::UnixCommand>(
    command: &C,
    output: &str,
) -> (Option<serde_json::Value>, Option<serde_json::Value>) {
    fn run<O: moler_core::Observer>(observer: O, output: &str) -> Option<O::Output> {
        let now = std::time::Instant::now();
        let mut conn = moler_core::Connection::new("t");
        let done = conn.start(observer, now);
        conn.handle_input(output.as_bytes(), now);
        done.try_result().and_then(Result::ok)
    }
    let typed = run(command.command_with_prompt("^[$] $"), output);
    let json = run(command.command_with_prompt("^[$] $").map_parser(C::json_parser), output);
    (typed.map(|r| serde_json::to_value(r).unwrap()), json)
}

/// `lines` of `command`'s output (its echo and a prompt added) end the command and make the
/// same JSON through its typed parser (serialized) and through the registry's: the property of
/// every command whose registry parser builds its JSON directly.
#[cfg(test)]
pub(crate) fn registry_agrees<C: crate::UnixCommand>(
    command: &C,
    lines: &[String],
) -> Result<(), proptest::test_runner::TestCaseError> {
    let output = format!("{}\n{}\n$ ", command.command_line().unwrap(), lines.join("\n"));
    let (typed, json) = typed_and_registry(command, &output);
    proptest::prop_assert!(typed.is_some(), "{:?}", output);
    proptest::prop_assert_eq!(json, typed);
    Ok(())
}

/// A regex of the library (a bug if it does not compile; every one is exercised by tests),
/// compiled once and shared: parsers are built for every command, and compiling their regexes
/// each time cost more than parsing the output.
pub(crate) fn regex(pattern: &str) -> Arc<Regex> {
    moler_core::cached_regex(pattern).expect("the library's regexes are valid")
}

/// `value`, or an error naming the required parameter `name` when it is blank.
pub(crate) fn required<'a>(name: &str, value: &'a str) -> Result<&'a str, crate::ParamError> {
    if value.trim().is_empty() {
        Err(crate::ParamError::Missing(name.to_owned()))
    } else {
        Ok(value)
    }
}

/// A shell command sent after login (`set_timeout`, `set_prompt`): text, or `false`/null for
/// none (Moler sends it only when it is truthy; its examples write `set_timeout: False`).
fn setting<'de, D: serde::Deserializer<'de>>(d: D, name: &str) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null | serde_json::Value::Bool(false) => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        other => Err(serde::de::Error::custom(format!(
            "{name} must be a command (text), false or null, not {other}"
        ))),
    }
}

/// [`setting`] for `set_timeout`.
pub(crate) fn set_timeout_value<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    setting(d, "set_timeout")
}

/// [`setting`] for `set_prompt`.
pub(crate) fn set_prompt_value<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    setting(d, "set_prompt")
}

/// `true`, for `#[serde(default = "yes")]` (Moler's parameters that default to `True`).
pub(crate) fn yes() -> bool {
    true
}

/// One option of a command's options, as getopt (and ps, for BSD clusters) reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opt<'a> {
    /// A letter of a `-abc` cluster, with its value when it takes one (the rest of the word,
    /// or the next word; `None` when the options end first).
    Short(char, Option<&'a str>),
    /// A letter of a BSD cluster (`axo`, a word without a dash), likewise.
    Bsd(char, Option<&'a str>),
    /// `--name`, `--name=value`, or `--name value` for a name that takes the next word.
    Long(&'a str, Option<&'a str>),
}

/// Which options of a command take a value.
pub(crate) struct OptionSpec<'s> {
    /// Letters of `-abc` clusters that take one (the first of them ends its cluster).
    pub short_values: &'s str,
    /// Long options that take the next word when written without `=`.
    pub long_values: &'s [&'s str],
    /// Whether words without a dash are BSD clusters (ps) and which of their letters take a
    /// value; `None`: such words are operands, passed over.
    pub bsd_values: Option<&'s str>,
}

/// Each option of `options` in order, to `each`, until it returns `false` or `--` ends them.
pub(crate) fn each_option<'a>(
    options: &'a str,
    spec: &OptionSpec<'_>,
    mut each: impl FnMut(Opt<'a>) -> bool,
) {
    let mut words = options.split_whitespace();
    while let Some(w) = words.next() {
        if w == "--" {
            return;
        }
        if let Some(long) = w.strip_prefix("--") {
            let opt = match long.split_once('=') {
                Some((name, value)) => Opt::Long(name, Some(value)),
                None if spec.long_values.contains(&long) => Opt::Long(long, words.next()),
                None => Opt::Long(long, None),
            };
            if !each(opt) {
                return;
            }
            continue;
        }
        let (cluster, values, bsd) = match (w.strip_prefix('-'), spec.bsd_values) {
            (Some(cluster), _) => (cluster, spec.short_values, false),
            (None, Some(values)) => (w, values, true),
            (None, None) => continue,
        };
        for (i, c) in cluster.char_indices() {
            let takes = values.contains(c);
            let value = takes.then(|| {
                let rest = &cluster[i + c.len_utf8()..];
                if rest.is_empty() {
                    words.next()
                } else {
                    Some(rest)
                }
            });
            let value = value.flatten();
            if !each(if bsd { Opt::Bsd(c, value) } else { Opt::Short(c, value) }) {
                return;
            }
            if takes {
                break;
            }
        }
    }
}

/// `^name: ` lines: the command itself complaining.
pub(crate) fn own_errors<P: Parser>(command: Command<P>, name: &str) -> Command<P> {
    command.no_default_failures().failure(&format!(r"^{name}: "))
}

/// The first non-blank line, under one key.
#[derive(Debug)]
pub struct FirstLine<T> {
    value: Option<String>,
    wrap: fn(String) -> T,
}

impl<T> FirstLine<T> {
    pub(crate) fn new(wrap: fn(String) -> T) -> Self {
        Self { value: None, wrap }
    }
}

impl<T: Send + 'static> Parser for FirstLine<T> {
    type Output = T;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial && self.value.is_none() && !line.trim().is_empty() {
            self.value = Some(line.trim().to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.value.is_some()
    }
    fn finish(&mut self) -> ParseResult<T> {
        let value = self.value.take().ok_or("no output")?;
        Ok((self.wrap)(value))
    }
}

/// Bytes of a size as `ls -h`/`du -h` print it (`4.0K`, `1.0T`, `92`), powers of 1024; a plain
/// number is multiplied by `unit`. `None` when it is not a size.
pub(crate) fn size_in_bytes(raw: &str, unit: u64) -> Option<u64> {
    let (number, scale) = match raw.as_bytes().last()? {
        b'K' | b'k' => (&raw[..raw.len() - 1], 1u64 << 10),
        b'M' => (&raw[..raw.len() - 1], 1 << 20),
        b'G' => (&raw[..raw.len() - 1], 1 << 30),
        b'T' => (&raw[..raw.len() - 1], 1 << 40),
        b'P' => (&raw[..raw.len() - 1], 1 << 50),
        b'E' => (&raw[..raw.len() - 1], 1 << 60),
        _ => (raw, unit),
    };
    scaled(number, scale)
}

/// `number` (whole or with a fraction) times `scale`, when it is one and the product fits.
fn scaled(number: &str, scale: u64) -> Option<u64> {
    if let Ok(n) = number.parse::<u64>() {
        return n.checked_mul(scale);
    }
    let f: f64 = number.parse().ok().filter(|f: &f64| f.is_finite() && *f >= 0.0)?;
    let bytes = f * scale as f64;
    (bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// How the options of a GNU tool (`ls`, `du`) say it prints sizes: a plain number counts
/// blocks of `block` bytes; a unit letter alone (`147K`) is a power of 1024, or of 1000 after
/// `--si` (`150k`); `KiB` and `kB`/`MB` say which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Units {
    pub(crate) block: u64,
    pub(crate) si: bool,
}

impl Units {
    /// Plain numbers of `block` bytes, unit letters of powers of 1024.
    pub(crate) const fn blocks_of(block: u64) -> Self {
        Self { block, si: false }
    }

    /// The bytes of a size printed this way; `None` when it is not a size.
    pub(crate) fn bytes(self, raw: &str) -> Option<u64> {
        let decimal = match raw.strip_suffix('B') {
            None if !self.si => return size_in_bytes(raw, self.block),
            None => raw,
            Some(number) => match number.strip_suffix('i') {
                Some(binary) if binary.ends_with(char::is_alphabetic) => {
                    return size_in_bytes(binary, self.block)
                }
                None if number.ends_with(char::is_alphabetic) => number,
                _ => return None,
            },
        };
        let power = match decimal.as_bytes().last()? {
            b'K' | b'k' => 1,
            b'M' => 2,
            b'G' => 3,
            b'T' => 4,
            b'P' => 5,
            b'E' => 6,
            _ if decimal.len() == raw.len() => return scaled(raw, self.block),
            _ => return None,
        };
        scaled(&decimal[..decimal.len() - 1], 1000u64.pow(power))
    }

    /// The bytes of `--block-size=SIZE` (`-B SIZE`): `1K`, `512`, or a unit alone (`K`, `KB`,
    /// `MiB`) for one of it.
    pub(crate) fn block_size(size: &str) -> Option<u64> {
        let units = Self::blocks_of(1);
        if size.starts_with(|c: char| c.is_ascii_digit()) {
            units.bytes(size)
        } else {
            units.bytes(&format!("1{size}"))
        }
    }
}

/// Moler's lists of addresses hold one empty mapping when there is none (`"IPV4": [{}]`); the
/// typed list is simply empty.
pub(crate) fn moler_list<T: Serialize, S: Serializer>(list: &[T], s: S) -> Result<S::Ok, S::Error> {
    if list.is_empty() {
        [BTreeMap::<String, String>::new()].serialize(s)
    } else {
        list.serialize(s)
    }
}

/// `ip`'s own complaints, and unknown devices.
pub(crate) fn ip_errors<P: Parser>(command: Command<P>) -> Command<P> {
    own_errors(command, "ip").failure(
        r#"^(?:Error|Command ".*" is unknown|Device ".*" does not exist|Cannot find device)"#,
    )
}

/// Variables as `NAME → value`, from `NAME=value` (env) or `declare -x NAME="value"` (export).
#[derive(Debug)]
pub struct Variables {
    line: Arc<Regex>,
    vars: BTreeMap<String, String>,
}

impl Variables {
    /// Variables from the lines `line` matches (groups: name, value).
    pub(crate) fn new(line: Arc<Regex>) -> Self {
        Self { line, vars: BTreeMap::new() }
    }
}

impl Parser for Variables {
    type Output = BTreeMap<String, String>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            if let Some(c) = self.line.captures(line) {
                self.vars.insert(c[1].to_owned(), c[2].to_owned());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.vars))
    }
}

/// A parameter Moler takes as one string or as a list of strings (`files`, `content`): one
/// string goes on the command line as it is, a list joined with blanks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(untagged, expecting = "expected a text or a list of texts")]
pub enum Words {
    /// One string, as given (`"*.bz2"`, `"a b"`).
    One(String),
    /// A list.
    Many(Vec<String>),
}

impl Default for Words {
    fn default() -> Self {
        Words::Many(Vec::new())
    }
}

impl Words {
    /// The words as they go on a command line.
    pub(crate) fn joined(&self) -> String {
        match self {
            Words::One(s) => s.trim().to_owned(),
            Words::Many(l) => l.join(" "),
        }
    }
    /// The items: one string is one item.
    pub(crate) fn items(&self) -> Vec<String> {
        match self {
            Words::One(s) => vec![s.clone()],
            Words::Many(l) => l.clone(),
        }
    }
}

impl From<&str> for Words {
    fn from(s: &str) -> Self {
        Words::One(s.to_owned())
    }
}

impl From<String> for Words {
    fn from(s: String) -> Self {
        Words::One(s)
    }
}

impl From<Vec<String>> for Words {
    fn from(l: Vec<String>) -> Self {
        Words::Many(l)
    }
}

impl From<Vec<&str>> for Words {
    fn from(l: Vec<&str>) -> Self {
        Words::Many(l.into_iter().map(str::to_owned).collect())
    }
}

impl<const N: usize> From<[&str; N]> for Words {
    fn from(l: [&str; N]) -> Self {
        Words::Many(l.iter().map(|s| (*s).to_owned()).collect())
    }
}

/// A yes/no parameter: a JSON bool, or the text `True`/`False` (any case) that configs written
/// for Moler pass (`overwrite: "True"`).
pub(crate) fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged, expecting = "expected true, false or a text")]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    match Flag::deserialize(d)? {
        Flag::Bool(b) => Ok(b),
        Flag::Text(t) if t.eq_ignore_ascii_case("true") => Ok(true),
        Flag::Text(t) if t.eq_ignore_ascii_case("false") => Ok(false),
        Flag::Text(t) => {
            Err(serde::de::Error::custom(format!("expected true or false, got {t:?}")))
        }
    }
}

/// A parser that keeps nothing and answers one question: a line matching `question` (also
/// while it is still open, as a question waits for its answer) gets `answer`, once per line.
/// With `refuse`, the answer is a no and the command fails once the prompt is back (the tool
/// goes on with the other files first).
#[derive(Debug)]
pub struct Answering {
    question: Arc<Regex>,
    answer: String,
    refuse: bool,
    answered: bool,
    refused: Option<String>,
}

impl Answering {
    pub(crate) fn new(question: &str, answer: &str, refuse: bool) -> Self {
        Self {
            question: regex(question),
            answer: answer.to_owned(),
            refuse,
            answered: false,
            refused: None,
        }
    }

    /// Answers `line` if it asks; `true` when it did (the line is the question).
    pub(crate) fn answer(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        if !self.question.is_match(line) {
            if !partial {
                self.answered = false;
            }
            return false;
        }
        if !self.answered {
            cx.sendline(&self.answer);
            if self.refuse && self.refused.is_none() {
                self.refused = Some(line.trim_end().to_owned());
            }
        }
        self.answered = partial;
        true
    }

    /// The failure of a refused question, for [`Parser::finish`].
    pub(crate) fn refusal(&self) -> ParseResult {
        match &self.refused {
            None => Ok(()),
            Some(line) => Err(ParseError::at_line(
                line,
                "the file exists and `overwrite` is off: answered no",
            )),
        }
    }
}

impl Parser for Answering {
    type Output = crate::Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        self.answer(line, partial, cx);
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<crate::Empty> {
        self.refusal()?;
        Ok(crate::Empty {})
    }
}

/// A failure a parser found, reported as the command's failure once the shell's prompt is back
/// (Moler's stored exception): for failures the command's static patterns cannot tell (a line
/// that fails only in some state of a dialog). The parser calls [`Deferred::fail`] with the
/// telling line, returns [`Deferred::at_prompt`] from [`Parser::on_prompt`] and
/// [`Deferred::ended`] from [`Parser::ended`].
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    failure: Option<String>,
    back: bool,
}

impl Deferred {
    /// Records the first failure.
    pub(crate) fn fail(&mut self, why: impl Into<String>) {
        self.failure.get_or_insert_with(|| why.into());
    }
    /// Whether a failure was recorded.
    pub(crate) fn failed(&self) -> bool {
        self.failure.is_some()
    }
    /// For [`Parser::on_prompt`]: with a failure, the prompt line goes on to `on_line` and
    /// `ended` fails the command there; else `ok` says whether the prompt ends it.
    pub(crate) fn at_prompt(&mut self, ok: bool) -> bool {
        if self.failure.is_some() {
            self.back = true;
            return false;
        }
        ok
    }
    /// For [`Parser::ended`].
    pub(crate) fn ended(&self) -> Option<moler_core::End> {
        self.failure.clone().filter(|_| self.back).map(moler_core::End::Failed)
    }
}

/// A regex given as a parameter the way Moler's configs give one: text, or a compiled Python
/// pattern as Moler's JSON writes it (`{"__regex__": "Line 2", "flags": 2}`; flags are
/// Python's: 2 ignore case, 8 multi-line, 16 dot matches all, 64 verbose).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(
    untagged,
    expecting = "expected a regex (text) or a compiled Python regex ({\"__regex__\": …, \"flags\": …})"
)]
pub enum Pattern {
    /// A regex as text.
    Text(String),
    /// A Python pattern with its flags.
    Compiled {
        /// The regex.
        #[serde(rename = "__regex__")]
        regex: String,
        /// Python's `re` flags.
        #[serde(default)]
        flags: u32,
    },
}

impl Pattern {
    /// The regex with its flags inline, compiled; `name` is the parameter, for the error.
    pub(crate) fn compile(&self, name: &str) -> Result<Arc<Regex>, crate::ParamError> {
        crate::ParamError::regex(name, &self.inline())
    }
    /// The regex with Python's flags written inline (`(?i)…`).
    pub(crate) fn inline(&self) -> String {
        match self {
            Pattern::Text(t) => t.clone(),
            Pattern::Compiled { regex, flags } => {
                let letters: String = [(2, 'i'), (8, 'm'), (16, 's'), (64, 'x')]
                    .iter()
                    .filter(|(bit, _)| flags & bit != 0)
                    .map(|(_, l)| *l)
                    .collect();
                if letters.is_empty() {
                    regex.clone()
                } else {
                    format!("(?{letters}){regex}")
                }
            }
        }
    }
}

/// One pattern or a list of them (Moler's parameters that take either).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(untagged, expecting = "expected a regex or a list of regexes")]
pub enum Patterns {
    /// One.
    One(Pattern),
    /// Several.
    Many(Vec<Pattern>),
}

impl Patterns {
    /// The patterns.
    pub(crate) fn list(&self) -> Vec<&Pattern> {
        match self {
            Patterns::One(p) => vec![p],
            Patterns::Many(l) => l.iter().collect(),
        }
    }
}

impl From<&str> for Patterns {
    fn from(s: &str) -> Self {
        Patterns::One(Pattern::Text(s.to_owned()))
    }
}

impl From<Vec<&str>> for Patterns {
    fn from(l: Vec<&str>) -> Self {
        Patterns::Many(l.into_iter().map(|s| Pattern::Text(s.to_owned())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{offline, UnixCommand};
    use proptest::prelude::*;

    /// The prompt of the captured outputs below.
    const PROMPT: &str = r"^host:~ #\s*$";

    proptest! {
        /// A filled template is the mapping its keys and values inserted one by one make.
        #[test]
        fn a_filled_template_is_the_inserted_mapping(
            keys in proptest::collection::vec("[a-z/ -]{0,6}", 0..14),
            values in proptest::collection::vec(any::<i64>(), 0..16),
        ) {
            let template = MapTemplate::new(keys.iter().map(String::as_str));
            let mut sorted = keys.clone();
            sorted.sort();
            sorted.dedup();
            let mut inserted = serde_json::Map::new();
            for (i, k) in sorted.iter().enumerate() {
                inserted.insert(k.clone(), values.get(i).map_or(serde_json::Value::Null, |&v| v.into()));
            }
            let filled = template.fill(values.iter().map(|&v| v.into()));
            prop_assert_eq!(filled, inserted);
        }

        /// `words` and `word_spans` split as a byte-by-byte loop does.
        #[test]
        fn the_word_splitters_split_at_every_blank_and_nowhere_else(
            line in prop_oneof![
                "[ \t]{0,3}([a-z0-9:/.-]{1,12}[ \t]{1,9}){0,14}[a-z0-9]{0,3}",
                "[ a\tb\u{e9}\u{2003}\u{a0}\n\r\u{b}\u{c}]{0,140}",
                any::<String>(),
            ]
        ) {
            let expected = spans_byte_by_byte(&line);
            let mut spans = vec![(7, 7)];
            word_spans(&line, &mut spans);
            prop_assert_eq!(&spans, &expected);
            let split: Vec<(usize, usize)> =
                words(&line).map(|(at, w)| (at, at + w.len())).collect();
            prop_assert_eq!(&split, &expected);
        }

        /// The fast paths of `number` give what the standard parsers give.
        #[test]
        fn number_is_what_the_parsers_give(
            text in prop_oneof![
                "[0-9]{0,22}",
                "[-+]?[0-9]{0,20}([.][0-9]{0,4})?([eE][-+]?[0-9]{1,3})?",
                "[0-9]{0,16}[.][0-9]{0,16}",
                "[-+.]?(inf|infinity|nan|NaN|INF)",
                "[ 0-9a-z:/.,+-]{0,12}",
                any::<String>(),
            ]
        ) {
            prop_assert_eq!(number(&text), number_parsed(&text));
        }
    }

    /// The words' spans, one byte at a time: what the splitters must give.
    fn spans_byte_by_byte(line: &str) -> Vec<(usize, usize)> {
        let b = line.as_bytes();
        let (mut spans, mut i) = (Vec::new(), 0);
        loop {
            while i < b.len() && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            if i == b.len() {
                return spans;
            }
            let start = i;
            while i < b.len() && !matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            spans.push((start, i));
        }
    }

    /// Sizes as GNU tools print them: powers of 1024 for a letter alone (of 1000 after
    /// `--si`), of 1000 for `kB`, of 1024 for `KiB`; plain numbers in blocks.
    #[test]
    fn sizes_in_every_unit_gnu_prints() {
        let (binary, si) = (Units::blocks_of(1), Units { block: 1, si: true });
        for (raw, want_binary, want_si) in [
            ("150", Some(150), Some(150)),
            ("150k", Some(150 << 10), Some(150_000)),
            ("1.5M", Some(3 << 19), Some(1_500_000)),
            ("2G", Some(2 << 30), Some(2_000_000_000)),
            ("1T", Some(1 << 40), Some(1_000_000_000_000)),
            ("1P", Some(1 << 50), Some(1_000_000_000_000_000)),
            ("1E", Some(1 << 60), Some(1_000_000_000_000_000_000)),
            ("5kB", Some(5_000), Some(5_000)),
            ("5KB", Some(5_000), Some(5_000)),
            ("5MB", Some(5_000_000), Some(5_000_000)),
            ("5KiB", Some(5 << 10), Some(5 << 10)),
            ("5MiB", Some(5 << 20), Some(5 << 20)),
            ("150B", None, None),
            ("5iB", None, None),
            ("B", None, None),
            ("5X", None, None),
            ("", None, None),
            ("20E", None, None),
            ("20EB", None, None),
        ] {
            assert_eq!((binary.bytes(raw), si.bytes(raw)), (want_binary, want_si), "{raw:?}");
        }
        assert_eq!(Units::blocks_of(512).bytes("3"), Some(1536));
        assert_eq!(Units { block: 512, si: true }.bytes("3"), Some(1536));
        for (size, block) in [("1K", 1 << 10), ("K", 1 << 10), ("KB", 1000), ("MiB", 1 << 20)] {
            assert_eq!(Units::block_size(size), Some(block), "{size}");
        }
        assert_eq!((Units::block_size("512"), Units::block_size("x")), (Some(512), None));
    }

    #[test]
    fn words_split_at_a_blank_in_every_place() {
        // Short lines (the words of a table), one blank or two at each place.
        for len in 1..=26 {
            for blank_at in 0..len {
                for blank in [" ", "\t", "  "] {
                    let mut line = "a".repeat(len);
                    line.replace_range(blank_at..blank_at + 1, blank);
                    let split: Vec<(usize, usize)> =
                        words(&line).map(|(at, w)| (at, at + w.len())).collect();
                    assert_eq!(split, spans_byte_by_byte(&line), "{line:?}");
                }
            }
        }
        assert_eq!(words("").count(), 0);
        assert_eq!(words(" \t       \t ").count(), 0);
    }

    #[test]
    fn word_spans_at_block_edges() {
        for len in [63, 64, 65, 127, 128, 129] {
            let line = format!("{} b", "a".repeat(len - 2));
            let mut spans = Vec::new();
            word_spans(&line, &mut spans);
            assert_eq!(spans, [(0, len - 2), (len - 1, len)], "{len}");
            let line = format!("{}\t", "a".repeat(len - 1));
            word_spans(&line, &mut spans);
            assert_eq!(spans, [(0, len - 1)], "{len}");
        }
    }

    #[test]
    fn numbers_convert_like_moler() {
        for (text, value) in [
            ("0", Some(serde_json::json!(0))),
            ("007", Some(serde_json::json!(7))),
            ("999999999999999999", Some(serde_json::json!(999_999_999_999_999_999i64))),
            ("18446744073709551615", Some(serde_json::json!(u64::MAX))),
            ("-12", Some(serde_json::json!(-12))),
            ("+12", Some(serde_json::json!(12))),
            ("1.5", Some(serde_json::json!(1.5))),
            ("0.1", Some(serde_json::json!(0.1))),
            ("99.9", Some(serde_json::json!(99.9))),
            ("123456789.012345", Some(serde_json::json!(123_456_789.012_345))),
            ("1.", Some(serde_json::json!(1.0))),
            (".5", Some(serde_json::json!(0.5))),
            ("1.2.3", None),
            ("inf", None),
            ("00:01", None),
            ("", None),
        ] {
            assert_eq!(number(text).map(serde_json::Value::Number), value, "{text:?}");
        }
    }

    /// Collected lines are a result even when there are none: Moler's `uname` sets
    /// `current_ret["RESULT"] = []` when it is made, so its `ret_required` is met from the start
    /// and a prompt right after the echo ends it with no lines (as `head`, whose `ret_required`
    /// is off); blank lines are skipped; a line is the result.
    #[test]
    fn collected_lines_are_a_result_even_when_there_are_none() {
        use crate::unix::{Head, Uname};

        let uname = |output: &[u8]| {
            offline::parse(Uname::new().command_with_prompt(PROMPT), [output]).map(|u| u.result)
        };
        assert_eq!(uname(b"host:~ # uname\nhost:~ # ").unwrap(), Vec::<String>::new());
        assert_eq!(uname(b"host:~ # uname\n  \nhost:~ # ").unwrap(), Vec::<String>::new());
        assert_eq!(uname(b"host:~ # uname\nLinux\nhost:~ # ").unwrap(), ["Linux"]);

        let head = offline::parse(
            Head::new("empty").command_with_prompt(PROMPT),
            [&b"host:~ # head empty\nhost:~ # "[..]],
        );
        assert_eq!(head.unwrap().lines, Vec::<String>::new());
    }

    /// A word is written as it is only when a shell would read it back unchanged; else it is
    /// quoted whole, its own quotes escaped, and an empty word is an empty quoted word.
    #[test]
    fn words_are_quoted_for_the_shell_when_they_need_it() {
        for (word, quoted) in [
            ("notes.txt", "notes.txt"),
            ("/var/log/a-b_c.1", "/var/log/a-b_c.1"),
            ("k=v,x:y+z@h%^~", "k=v,x:y+z@h%^~"),
            ("my file", "'my file'"),
            ("a;rm -rf x", "'a;rm -rf x'"),
            ("$HOME", "'$HOME'"),
            ("it's", r"'it'\''s'"),
            ("tab\there", "'tab\there'"),
            ("", "''"),
        ] {
            assert_eq!(shell_quote(word), quoted, "{word:?}");
        }
    }

    /// The first line with text is the result, trimmed; a line still being printed (no line
    /// end yet) is not taken, nor is any line after the first; a prompt with no line before it
    /// is no result (`hostname` keeps Moler's `ret_required`).
    #[test]
    fn the_first_line_with_text_is_the_result() {
        use crate::unix::Hostname;

        let hostname = |pieces: &[&[u8]]| {
            offline::parse(Hostname::new().command_with_prompt(PROMPT), pieces.iter().copied())
        };
        let two = hostname(&[b"host:~ # hostname\n\n  box-1 \nbox-2\nhost:~ # "]);
        assert_eq!(two.unwrap().hostname, "box-1");
        // `box-` arrives first without its line end: the whole line is the name.
        let cut = hostname(&[b"host:~ # hostname\nbox-", b"1\nhost:~ # "]);
        assert_eq!(cut.unwrap().hostname, "box-1");
        let none = hostname(&[b"host:~ # hostname\nhost:~ # "]).unwrap_err().to_string();
        assert!(none.contains("the output gave the command no result"), "{none}");
    }

    /// `cat`'s failure patterns apply only to the first output line unless told otherwise
    /// (Moler's `failure_only_in_first_line`, on when left out of the parameters): a file
    /// that holds a line like `cat: …` further down is its text, not a failure.
    #[test]
    fn cat_takes_failures_only_from_the_first_line_unless_told() {
        use crate::Registry;
        use serde_json::json;

        let output = b"host:~ # cat notes\nfirst\ncat: not a failure here\nhost:~ # ";
        let cat = |params| {
            let cat = Registry::default().command_for_prompt("cat", &params, Some(PROMPT));
            offline::parse(cat.unwrap(), [&output[..]])
        };
        let text = cat(json!({"path": "notes"})).unwrap();
        assert_eq!(text["LINES"], json!(["first", "cat: not a failure here"]));
        let every_line = cat(json!({"path": "notes", "failure_only_in_first_line": false}));
        let err = every_line.unwrap_err().to_string();
        assert!(err.contains("cat: not a failure here"), "{err}");
        let first = b"host:~ # cat gone\ncat: gone: No such file or directory\nhost:~ # ";
        let cat =
            Registry::default().command_for_prompt("cat", &json!({"path": "gone"}), Some(PROMPT));
        let err = offline::parse(cat.unwrap(), [&first[..]]);
        assert!(err.unwrap_err().to_string().contains("No such file"));
        // The same through the typed builder.
        let typed = crate::unix::Cat::new("notes").with_failure_only_in_first_line(false);
        let err = offline::parse(typed.command_with_prompt(PROMPT), [&output[..]]).unwrap_err();
        assert!(err.to_string().contains("cat: not a failure here"), "{err}");
    }

    /// Each question is answered once, while it waits for the answer (its line not ended),
    /// and again for the next file that asks: gzip asking about two files gets two answers,
    /// whether the answer's echo ends the question's line as it is or after a carriage return.
    #[test]
    fn each_question_is_answered_once_while_it_waits() {
        use crate::testing::sent;
        use crate::unix::Gzip;
        use moler_core::Connection;

        let question =
            |f: &str| format!("gzip: {f}.gz already exists; do you wish to overwrite (y or n)? ");
        for carriage_return in [false, true] {
            let t0 = std::time::Instant::now();
            let gzip = Gzip::new("a b").overwrite(true);
            let mut conn = Connection::new("t");
            let done = conn.start(gzip.command_with_prompt(r"^\$ $"), t0);
            assert_eq!(sent(&mut conn), "gzip a b\n");
            conn.handle_input(b"gzip a b\n", t0);
            for file in ["a", "b"] {
                conn.handle_input(question(file).as_bytes(), t0);
                assert_eq!(sent(&mut conn), "y\n", "{file}, carriage return: {carriage_return}");
                // More of the question's line, still waiting: no second answer.
                conn.handle_input(b" ", t0);
                assert_eq!(sent(&mut conn), "", "{file}: the open line answered once");
                if carriage_return {
                    // The question's line written over from its start before it ended.
                    conn.handle_input(b"\ry\n", t0);
                } else {
                    conn.handle_input(b"y\n", t0);
                }
                assert_eq!(sent(&mut conn), "", "{file}: answered once");
            }
            conn.handle_input(b"$ ", t0);
            assert!(done.try_result().unwrap().is_ok());
        }
    }

    /// A yes/no parameter is a JSON bool, or Moler's text for one in any case; other texts
    /// are refused, naming what was given.
    #[test]
    fn flags_are_bools_or_moler_s_texts_for_them() {
        #[derive(Debug, serde::Deserialize)]
        struct Params {
            #[serde(deserialize_with = "flag")]
            on: bool,
        }
        let on = |v: serde_json::Value| {
            serde_json::from_value::<Params>(serde_json::json!({ "on": v }))
                .map(|p| p.on)
                .map_err(|e| e.to_string())
        };
        for (given, read) in [
            (serde_json::json!(true), true),
            (serde_json::json!(false), false),
            (serde_json::json!("True"), true),
            (serde_json::json!("TRUE"), true),
            (serde_json::json!("False"), false),
            (serde_json::json!("false"), false),
        ] {
            assert_eq!(on(given.clone()), Ok(read), "{given}");
        }
        let err = on(serde_json::json!("no")).unwrap_err();
        assert!(err.contains("expected true or false, got \"no\""), "{err}");
        assert!(on(serde_json::json!(1)).is_err());
    }

    /// A list parameter given as one text stays one item, and as a list its items, in order.
    #[test]
    fn words_are_one_text_or_a_list() {
        assert_eq!(Words::from(" a b ".to_owned()).joined(), "a b");
        assert_eq!(Words::from(" a b ".to_owned()).items(), [" a b "]);
        assert_eq!(Words::from("*.bz2").items(), ["*.bz2"]);
        let list = Words::from(vec!["x.gz".to_owned(), "y z.gz".to_owned()]);
        assert_eq!(list.joined(), "x.gz y z.gz");
        assert_eq!(list.items(), ["x.gz", "y z.gz"]);
        assert_eq!(Words::from(vec!["p", "q"]).items(), ["p", "q"]);
        assert_eq!(Words::from(["p", "q"]).joined(), "p q");
        assert_eq!(Words::default().items(), Vec::<String>::new());
    }

    #[test]
    fn sizes_convert_like_moler() {
        assert_eq!(size_in_bytes("4.0K", 1), Some(4096));
        assert_eq!(size_in_bytes("4.5M", 1), Some(4718592));
        assert_eq!(size_in_bytes("1.0T", 1), Some(1 << 40));
        assert_eq!(size_in_bytes("2P", 1), Some(2 << 50));
        assert_eq!(size_in_bytes("1.5P", 1), Some(3 << 49));
        assert_eq!(size_in_bytes("3E", 1), Some(3 << 60));
        assert_eq!(size_in_bytes("0.5E", 1), Some(1 << 59));
        // Past the largest byte count: no size, whole or with a point.
        assert_eq!(size_in_bytes("16E", 1), None);
        assert_eq!(size_in_bytes("16.0E", 1), None);
        assert_eq!(size_in_bytes("15.9E", 1), Some((15.9 * (1u64 << 60) as f64) as u64));
        // A size is never negative.
        assert_eq!(size_in_bytes("-1.5K", 1), None);
        assert_eq!(size_in_bytes("-2", 1), None);
        assert_eq!(size_in_bytes("12", 1024), Some(12288));
        assert_eq!(size_in_bytes("99999999999999999999999", 1), None);
        assert_eq!(size_in_bytes("x", 1), None);
        assert_eq!(size_in_bytes("", 1), None);
    }
}
