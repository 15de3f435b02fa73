//! Parsers shared by several commands, and small helpers for writing them.

use moler_core::{Context, Parser};
use serde::Serialize;

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
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if !partial && (self.keep_blank || !line.trim().is_empty()) {
            self.lines.push(line.to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.lines.is_empty()
    }
    fn finish(&mut self) -> Result<T, String> {
        Ok((self.wrap)(std::mem::take(&mut self.lines)))
    }
}

/// A parser that ignores the output: for commands whose success prints nothing useful.
#[derive(Debug, Default)]
pub struct Nothing;

impl Parser for Nothing {
    type Output = crate::Empty;
    fn on_line(&mut self, _: &str, _: bool, _: &mut Context<'_>) -> Result<(), String> {
        Ok(())
    }
    fn finish(&mut self) -> Result<crate::Empty, String> {
        Ok(crate::Empty {})
    }
}

/// Moler's number conversion: an integer if the text is one, else a float, else `None`.
#[inline]
pub(crate) fn number(text: &str) -> Option<serde_json::Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(u.into());
    }
    let f: f64 = text.parse().ok()?;
    // Python's float() takes "inf"/"nan"; JSON has neither, so those stay text.
    serde_json::Number::from_f64(f).map(serde_json::Value::Number)
}

/// A number when the text is one, else the text (Moler's `convert_to_number`).
#[inline]
pub(crate) fn number_or_text(text: &str) -> serde_json::Value {
    number(text).unwrap_or_else(|| text.into())
}

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
        while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
            i += 1;
        }
        Some((start, &line[start..i]))
    })
}

/// A regex of the library (a bug if it does not compile; every one is exercised by tests).
pub(crate) fn regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("the library's regexes are valid")
}

/// `value`, or an error naming the required parameter `name` when it is blank.
pub(crate) fn required<'a>(name: &str, value: &'a str) -> Result<&'a str, String> {
    if value.trim().is_empty() {
        Err(format!("parameter `{name}` is required"))
    } else {
        Ok(value)
    }
}
