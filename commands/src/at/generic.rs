//! What every AT command shares (Moler's `GenericAtCommand`): the modem's final result codes
//! as the prompt, the error codes as failures, and parameters the way Moler takes them.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use moler_core::{Command, Context, End, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::ParamError;

/// The prompt of an AT command unless one is given: the modem's final result codes, `OK`,
/// `NO CARRIER`, `ERROR`, `+CME ERROR: …` and `+CMS ERROR: …` (Moler's default AT prompt).
pub const AT_PROMPT: &str = r"^\s*(OK|NO CARRIER|ERROR|\+CM[ES]\s+ERROR:\s*\S.+)\s*$";

/// `ERROR` or `NO CARRIER` alone on a line.
const PLAIN_ERROR: &str = r"^\s*(ERROR|NO CARRIER)\s*$";
/// `+CME ERROR: <code>` (equipment) or `+CMS ERROR: <code>` (messages), any case.
const CM_ERROR: &str = r"(?i)^\+CM[ES]\s+ERROR:\s*\S.+";

/// A regex of the family (a bug if it does not compile: every one is used by the tests),
/// compiled once.
pub(crate) fn regex(pattern: &str) -> Arc<Regex> {
    moler_core::cached_regex(pattern).expect("the AT family's regexes are valid")
}

/// Whether `line` is a final result code that fails an AT command: `ERROR`, `NO CARRIER`,
/// `+CME ERROR: …`, `+CMS ERROR: …` (Moler's `_parse_error_response`).
///
/// ```
/// use moler_commands::at::is_error_code;
///
/// assert!(is_error_code("+CME ERROR: 10"));
/// assert!(is_error_code("ERROR"));
/// assert!(!is_error_code("OK"));
/// assert!(!is_error_code("+CME ERROR:"), "a code must follow");
/// ```
pub fn is_error_code(line: &str) -> bool {
    regex(PLAIN_ERROR).is_match(line) || regex(CM_ERROR).is_match(line)
}

/// The parser of every AT command: Moler's `GenericAtCommand` around the command's own
/// parser.
///
/// - Every whole line after the echo goes to the command's parser, the line of the prompt too
///   (Moler parses it as any other line: a `get_imei` whose prompt is the serial number's line
///   still reads it).
/// - A final error code (`ERROR`, `NO CARRIER`, `+CME ERROR: 10`, `+CMS ERROR: 500`) ends the
///   command at once as failed ([`moler_core::Error::CommandFailure`] quoting it), also when it
///   does not match the prompt given: it is the modem's last word on the command. Cut by a read
///   before its end, it waits for the rest of its line (`+CME ERROR: 1` may be `+CME ERROR: 10`).
/// - A command whose answer has no final `OK` (`AT+CGSN`, `AT+CGMI`, `AT+CGMR`) ends on its
///   answer (the command's parser says so).
#[derive(Debug)]
pub struct AtParser<P> {
    inner: P,
    failure: Option<String>,
    parse_error: Option<ParseError>,
    /// The prompt's line, read already, comes again as output: the command's parser took it
    /// as no end.
    skip_line: bool,
}

impl<P: Parser> AtParser<P> {
    /// `inner` with the AT family's rules around it.
    pub fn new(inner: P) -> Self {
        Self { inner, failure: None, parse_error: None, skip_line: false }
    }

    fn take(&mut self, line: &str, cx: &mut Context<'_>) -> ParseResult {
        let parsed = self.inner.on_line(line, false, cx);
        if is_error_code(line) {
            self.failure.get_or_insert_with(|| line.trim().to_owned());
        }
        parsed
    }
}

impl<P: Parser> Parser for AtParser<P> {
    type Output = P::Output;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if partial || std::mem::take(&mut self.skip_line) || self.failure.is_some() {
            return Ok(());
        }
        self.take(line, cx)
    }
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        if is_error_code(line) {
            // As output: `on_line` records the failure and `ended` reports it.
            return false;
        }
        if partial {
            return self.inner.on_prompt(line, partial, cx);
        }
        if let Err(e) = self.take(line, cx) {
            self.parse_error.get_or_insert(e);
        }
        let end = self.inner.on_prompt(line, partial, cx);
        self.skip_line = !end;
        end
    }
    fn has_result(&self) -> bool {
        self.inner.has_result()
    }
    fn finish(&mut self) -> ParseResult<P::Output> {
        if let Some(e) = self.parse_error.take() {
            return Err(e);
        }
        self.inner.finish()
    }
    fn ended(&self) -> Option<End> {
        match &self.failure {
            Some(line) => Some(End::Failed(line.clone())),
            None => self.inner.ended(),
        }
    }
}

/// The settings every AT command has: no unix failure patterns (an AT answer is no shell's),
/// and after a timeout no wait for a prompt (Moler's `terminating_timeout = 0`: an AT command
/// cannot be interrupted).
pub(crate) fn at_setup<P: Parser>(command: Command<P>) -> Command<P> {
    command.no_default_failures().terminating_period(Duration::ZERO)
}

/// The parser of AT commands whose answer is one value: the named group `group` of the last
/// line `regex` matches (as Moler keeps the last), under one key.
#[derive(Debug)]
pub struct ValueParser<T> {
    regex: Arc<Regex>,
    group: &'static str,
    value: Option<String>,
    wrap: fn(String) -> T,
    /// The value ends the command (answers without a final `OK`).
    ends: bool,
}

impl<T> ValueParser<T> {
    /// The value of `group` in lines matching `regex` (a regex of the family).
    pub(crate) fn new(regex_: &str, group: &'static str, wrap: fn(String) -> T) -> Self {
        Self { regex: regex(regex_), group, value: None, wrap, ends: false }
    }

    /// The value ends the command: the answer has no final `OK` (`AT+CGSN`, `AT+CGMI`).
    pub(crate) fn ending(mut self, on: bool) -> Self {
        self.ends = on;
        self
    }
}

impl<T: Send + 'static> Parser for ValueParser<T> {
    type Output = T;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        let done = self.ends && self.value.is_some();
        if !partial && !done {
            if let Some(m) = self.regex.captures(line).and_then(|c| c.name(self.group)) {
                self.value = Some(m.as_str().to_owned());
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.value.is_some()
    }
    fn finish(&mut self) -> ParseResult<T> {
        let value = self.value.take().ok_or_else(|| format!("no {} in the output", self.group))?;
        Ok((self.wrap)(value))
    }
    fn ended(&self) -> Option<End> {
        (self.ends && self.value.is_some()).then_some(End::Done)
    }
}

/// `value`, checked to make one command line: an error naming parameter `name` when it is
/// blank or holds a line break or another control character (the modem would take the rest
/// as another command).
pub(crate) fn required_value<'a>(name: &str, value: &'a str) -> Result<&'a str, ParamError> {
    if value.trim().is_empty() {
        return Err(ParamError::Missing(name.to_owned()));
    }
    one_line(name, value)
}

/// `value`, checked to go between the quotes of an AT string parameter: one line, no `"`.
pub(crate) fn quoted<'a>(name: &str, value: &'a str) -> Result<&'a str, ParamError> {
    if value.contains('"') {
        let why = format!("goes between quotes on the line: it cannot hold one, as in {value:?}");
        return Err(ParamError::value(name, why));
    }
    one_line(name, value)
}

/// `value`, or an error naming parameter `name` when it holds a line break or another control
/// character.
pub(crate) fn one_line<'a>(name: &str, value: &'a str) -> Result<&'a str, ParamError> {
    if value.chars().any(char::is_control) {
        let why = format!("must be one line without control characters, not {value:?}");
        return Err(ParamError::value(name, why));
    }
    Ok(value)
}

/// A parameter Moler takes as any Python value and writes into the command line as `str()`
/// does: a number or a text (`"selected_mode": 2` and `"selected_mode": "2"` alike).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "expected a number or a text")]
pub enum AtValue {
    /// A number, written as JSON writes it (`2`, `1.5`).
    Number(serde_json::Number),
    /// A text, written as it is.
    Text(String),
}

impl Default for AtValue {
    fn default() -> Self {
        AtValue::Number(0.into())
    }
}

impl fmt::Display for AtValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtValue::Number(n) => write!(f, "{n}"),
            AtValue::Text(t) => f.write_str(t),
        }
    }
}

impl AtValue {
    /// The value as an integer (Python's `int()`: a whole number, or a text holding one, blanks
    /// around it allowed).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            AtValue::Number(n) => n.as_i64(),
            AtValue::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value as an integer, or an error naming parameter `name` (Moler's `int(value)`,
    /// which raises).
    pub(crate) fn int(&self, name: &str) -> Result<i64, ParamError> {
        self.as_int()
            .ok_or_else(|| ParamError::value(name, format!("must be an integer, not {self}")))
    }
}

impl From<i64> for AtValue {
    fn from(n: i64) -> Self {
        AtValue::Number(n.into())
    }
}

impl From<i32> for AtValue {
    fn from(n: i32) -> Self {
        AtValue::Number(n.into())
    }
}

impl From<&str> for AtValue {
    fn from(t: &str) -> Self {
        AtValue::Text(t.to_owned())
    }
}

impl From<String> for AtValue {
    fn from(t: String) -> Self {
        AtValue::Text(t)
    }
}

/// One regex as Moler's keyword arguments carry it: a string, or a compiled Python regex
/// (`{"__regex__": "ok", "flags": 34}`, as the reference cases write `re.compile("ok", re.I)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a regex (text) or a compiled Python regex ({\"__regex__\": …, \"flags\": …})"
)]
pub enum PyRegex {
    /// A pattern.
    Text(String),
    /// A compiled Python regex: its pattern and `re` flags (`re.I` = 2, `re.M` = 8,
    /// `re.S` = 16, `re.X` = 64; `re.U` = 32 is Rust's default and changes nothing).
    Compiled {
        /// The pattern.
        #[serde(rename = "__regex__")]
        pattern: String,
        /// Python's `re` flags.
        #[serde(default)]
        flags: u32,
    },
}

impl PyRegex {
    /// The pattern with its flags as inline flags (`(?i)ok`).
    pub fn to_pattern(&self) -> String {
        match self {
            PyRegex::Text(p) => p.clone(),
            PyRegex::Compiled { pattern, flags } => {
                let letters: String = [(2, 'i'), (8, 'm'), (16, 's'), (64, 'x')]
                    .iter()
                    .filter(|(bit, _)| flags & bit != 0)
                    .map(|(_, l)| *l)
                    .collect();
                if letters.is_empty() {
                    pattern.clone()
                } else {
                    format!("(?{letters}){pattern}")
                }
            }
        }
    }
}

/// One regex or a list of them (Moler's "regex or list of regex").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "expected a regex or a list of regexes")]
pub enum PyRegexes {
    /// One.
    One(PyRegex),
    /// Several.
    Many(Vec<PyRegex>),
}

impl PyRegexes {
    /// The regexes compiled, or an error naming parameter `name`.
    pub(crate) fn compile(&self, name: &str) -> Result<VecDeque<Arc<Regex>>, ParamError> {
        let list = match self {
            PyRegexes::One(r) => std::slice::from_ref(r),
            PyRegexes::Many(l) => l.as_slice(),
        };
        list.iter().map(|r| ParamError::regex(name, &r.to_pattern())).collect()
    }
}

impl From<&str> for PyRegexes {
    fn from(p: &str) -> Self {
        PyRegexes::One(PyRegex::Text(p.to_owned()))
    }
}

/// Implements [`UnixCommand`](crate::UnixCommand) for an AT command: its name, its parser (an
/// expression of `self`, wrapped in [`AtParser`]), its line, and its settings beyond
/// [`at_setup`] (`ret_required(false)`, a longer timeout).
macro_rules! at_command {
    ($ty:ident, $name:literal, $parser:ty, |$s:ident| $make:expr, line: |$l:ident| $line:expr
     $(, setup: |$c:ident| $setup:expr)? $(,)?) => {
        impl $crate::UnixCommand for $ty {
            const NAME: &'static str = $name;
            type Parser = $crate::at::AtParser<$parser>;
            type Output = <$parser as moler_core::Parser>::Output;
            fn command_line(&self) -> Result<String, $crate::ParamError> {
                #[allow(unused_variables)]
                let $l = self;
                $line
            }
            fn parser(&self) -> Self::Parser {
                #[allow(unused_variables)]
                let $s = self;
                $crate::at::AtParser::new($make)
            }
            fn setup(
                &self,
                command: moler_core::Command<Self::Parser>,
            ) -> moler_core::Command<Self::Parser> {
                let command = $crate::at::generic::at_setup(command);
                $(let $c = command; let command = $setup;)?
                command
            }
            fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
                Some(shell_prompt.unwrap_or($crate::at::AT_PROMPT))
            }
        }
    };
}
pub(crate) use at_command;

/// Implements an AT command that sends a fixed line and whose success is its `OK` (result
/// `{}`): the struct, its `new`, and its [`UnixCommand`](crate::UnixCommand).
macro_rules! fixed_at_command {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $line:literal $(, timeout: $secs:literal)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $ty {}

        impl $ty {
            /// The command (it has no parameters).
            pub fn new() -> Self {
                Self {}
            }
        }

        $crate::at::generic::at_command!($ty, $name, $crate::unix::Nothing,
            |s| $crate::unix::Nothing, line: |l| Ok($line.to_owned()),
            setup: |c| c.ret_required(false)$(.timeout(std::time::Duration::from_secs($secs)))?);
    };
}
pub(crate) use fixed_at_command;

#[cfg(test)]
mod tests {
    use super::*;

    /// A prompt line the command's parser takes as output (no end yet) is parsed once, not
    /// once as the prompt and again as output; the next prompt line that ends the command too.
    #[test]
    fn a_prompt_line_that_does_not_end_the_command_is_parsed_once() {
        #[derive(Debug, Default)]
        struct Lines(Vec<String>);
        impl Parser for Lines {
            type Output = Vec<String>;
            fn on_line(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> ParseResult {
                self.0.push(line.to_owned());
                Ok(())
            }
            fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
                line == "OK"
            }
            fn finish(&mut self) -> ParseResult<Vec<String>> {
                Ok(std::mem::take(&mut self.0))
            }
        }
        let cmd = Command::new("AT+X", AtParser::new(Lines::default())).prompt("^(ITEM.*|OK)$");
        let out = "AT+X\nITEM 1\nother\nITEM 2\nOK\n";
        let lines = crate::offline::parse(cmd, [out.as_bytes()]).unwrap();
        assert_eq!(lines, ["ITEM 1", "other", "ITEM 2", "OK"]);
    }

    #[test]
    fn error_codes_are_moler_s() {
        for line in ["ERROR", " ERROR ", "NO CARRIER", "+CME ERROR: 10", "+cms error: 500"] {
            assert!(is_error_code(line), "{line}");
        }
        for line in ["OK", "ERRORS", "+CME ERROR: ", "x ERROR", "+CGATT: 1"] {
            assert!(!is_error_code(line), "{line}");
        }
    }

    #[test]
    fn values_are_written_as_python_writes_them() {
        let v: AtValue = serde_json::from_str("2").unwrap();
        assert_eq!((v.to_string(), v.as_int()), ("2".into(), Some(2)));
        let v: AtValue = serde_json::from_str("\"nr\"").unwrap();
        assert_eq!((v.to_string(), v.as_int()), ("nr".into(), None));
        assert!(v
            .int("net_mode")
            .unwrap_err()
            .to_string()
            .contains("parameter `net_mode`: must be"));
        let v: AtValue = serde_json::from_str("1.5").unwrap();
        assert_eq!((v.to_string(), v.as_int()), ("1.5".into(), None));
    }

    #[test]
    fn python_regexes_keep_their_flags() {
        let r: PyRegexes = serde_json::from_str(r#"{"__regex__": "ok", "flags": 34}"#).unwrap();
        let compiled = r.compile("success_regex").unwrap();
        assert!(compiled[0].is_match("OK"));
        let r: PyRegexes = serde_json::from_str(r#"["OK", {"__regex__": "x"}]"#).unwrap();
        assert_eq!(r.compile("success_regex").unwrap().len(), 2);
        let err = PyRegexes::from("(").compile("error_regex").unwrap_err();
        assert!(err.to_string().contains("invalid error_regex regex"), "{err}");
        // Each flag its letter, and only the flags set.
        let pattern = |flags: u32| PyRegex::Compiled { pattern: "a".into(), flags }.to_pattern();
        let all = [(0, "a"), (2, "(?i)a"), (8, "(?m)a"), (16, "(?s)a"), (64, "(?x)a")];
        for (flags, want) in all {
            assert_eq!(pattern(flags), want, "{flags}");
        }
        assert_eq!((pattern(32), pattern(2 | 16 | 32)), ("a".into(), "(?is)a".into()));
        assert_eq!(pattern(2 | 8 | 16 | 64), "(?imsx)a");
        let plain: PyRegexes = serde_json::from_str(r#"{"__regex__": "ok"}"#).unwrap();
        assert!(!plain.compile("success_regex").unwrap()[0].is_match("OK"), "no flag: case kept");
    }

    #[test]
    fn values_convert_from_numbers_and_text() {
        let values = [AtValue::from(7i64), AtValue::from(-3i32), AtValue::from("x".to_owned())];
        assert_eq!(values.map(|v| v.to_string()), ["7", "-3", "x"]);
        assert_eq!(AtValue::from(" 12 ").as_int(), Some(12));
    }
}
