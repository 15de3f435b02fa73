//! `read`: [`Read`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::{ParamError, UnixCommand};

/// `READ?`: a measurement; result `{"VALUE_RAW": "+8.59803192358089E-005", "VALUE_FLOAT":
/// 8.59803192358089e-05}` from the last line holding a number with a fraction and an exponent.
///
/// ```
/// use moler_commands::scpi::Read;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("scpi");
/// let done = conn.start(Read::new().command(), Instant::now());
/// conn.handle_input(b"READ?\r\n+8.59803192358089E-005\r\nSCPI>", Instant::now());
/// assert_eq!(done.try_result().unwrap().unwrap().value_float, 8.59803192358089e-5);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Read {}

impl Read {
    /// `READ?`.
    pub fn new() -> Self {
        Self {}
    }
}

/// The result of [`Read`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadResult {
    /// The value as printed.
    #[serde(rename = "VALUE_RAW")]
    pub value_raw: String,
    /// The value.
    #[serde(rename = "VALUE_FLOAT")]
    pub value_float: f64,
}

/// Parser of [`Read`].
#[derive(Debug)]
pub struct ReadParser {
    value_re: Arc<Regex>,
    result: Option<ReadResult>,
}

impl Parser for ReadParser {
    type Output = ReadResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.value_re.captures(line) {
            let raw = &c["VALUE"];
            let value_float = raw.parse().map_err(|e| {
                ParseError::at_line(line, format!("{raw:?} is no number")).with_source(e)
            })?;
            self.result = Some(ReadResult { value_raw: raw.to_owned(), value_float });
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.is_some()
    }
    fn finish(&mut self) -> ParseResult<ReadResult> {
        Ok(self.result.take().ok_or("no value in the output")?)
    }
}

impl UnixCommand for Read {
    const NAME: &'static str = "read";
    type Parser = ReadParser;
    type Output = ReadResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok("READ?".to_owned())
    }
    fn parser(&self) -> ReadParser {
        ReadParser {
            // Moler's: `+8.59803192358089E-005`.
            value_re: moler_core::cached_regex(r"(?P<VALUE>[+\-]?\d+\.\d+([eE][+\-]\d+))")
                .expect("a valid regex"),
            result: None,
        }
    }
    fn setup(&self, command: Command<ReadParser>) -> Command<ReadParser> {
        command.no_default_failures()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn the_last_value_wins_and_the_prompt_waits_for_one() {
        let mut conn = Connection::new("scpi");
        let done = conn.start(Read::new().command(), Instant::now());
        conn.handle_input(b"READ?\r\nSCPI>", Instant::now());
        assert!(!done.is_done(), "no value yet");
        conn.handle_input(b"\r\n-1.5e+3\r\n+2.25E-001\r\n", Instant::now());
        assert!(!done.is_done());
        conn.handle_input(b"SCPI>", Instant::now());
        let got = done.try_result().unwrap().unwrap();
        assert_eq!((got.value_raw.as_str(), got.value_float), ("+2.25E-001", 0.225));
    }
}
