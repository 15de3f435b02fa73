//! `read_meter`: [`ReadMeter`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseError, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{opt_word, word, PDU_FAILURES, PDU_PROMPT};
use crate::{ParamError, UnixCommand};

/// `read meter TARGET [OUTLET] MEASUREMENT [FORMAT]`: a measurement of the PDU (`dev`) or of
/// an outlet (`olt o01`); result `{"TYPE": "V", "VALUE_RAW": "233.03", "VALUE": 233.03}`
/// (`TYPE` is empty in the `simple` output).
///
/// ```
/// use moler_commands::pdu_aten::ReadMeter;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("pdu");
/// let done = conn.start(ReadMeter::new("dev", "volt").command(), Instant::now());
/// conn.handle_input(b"read meter dev volt\r\n V:233.03\r\n\r\n>", Instant::now());
/// let meter = done.try_result().unwrap().unwrap();
/// assert_eq!((meter.kind.as_str(), meter.value.as_f64()), ("V", Some(233.03)));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadMeter {
    /// `dev` (the whole PDU) or `olt` (one outlet).
    pub target: String,
    /// `volt`, `curr`, `pow`, `pow_diss`…
    pub measurement: String,
    /// The outlet (`o01`), for target `olt`.
    pub outlet: Option<String>,
    /// The output format (`simple`, `format`); none: the PDU's default.
    pub output_format: Option<String>,
}

impl ReadMeter {
    /// `read meter TARGET MEASUREMENT`.
    pub fn new(target: impl Into<String>, measurement: impl Into<String>) -> Self {
        Self { target: target.into(), measurement: measurement.into(), ..Default::default() }
    }

    /// Sets `outlet`.
    pub fn outlet(mut self, outlet: impl Into<String>) -> Self {
        self.outlet = Some(outlet.into());
        self
    }

    /// Sets `output_format`.
    pub fn output_format(mut self, format: impl Into<String>) -> Self {
        self.output_format = Some(format.into());
        self
    }
}

/// The result of [`ReadMeter`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadMeterResult {
    /// The unit's letter before the value (`V`, `A`, `W`), empty without one.
    #[serde(rename = "TYPE")]
    pub kind: String,
    /// The value as printed.
    #[serde(rename = "VALUE_RAW")]
    pub value_raw: String,
    /// The value: an integer when it is one, else a float (Moler's `to_number`).
    #[serde(rename = "VALUE")]
    pub value: serde_json::Number,
}

/// Parser of [`ReadMeter`]: the last line with a value wins, as in Moler.
#[derive(Debug)]
pub struct ReadMeterParser {
    value_re: Arc<Regex>,
    result: Option<ReadMeterResult>,
}

/// Moler's `to_number`: an integer if the text is one, else a float.
fn to_number(text: &str) -> Option<serde_json::Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(i.into());
    }
    text.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
}

impl Parser for ReadMeterParser {
    type Output = ReadMeterResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.value_re.captures(line) {
            let raw = &c["VALUE"];
            let value = to_number(raw)
                .ok_or_else(|| ParseError::at_line(line, format!("{raw:?} is no number")))?;
            self.result = Some(ReadMeterResult {
                kind: c["TYPE"].to_owned(),
                value_raw: raw.to_owned(),
                value,
            });
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.is_some()
    }
    fn finish(&mut self) -> ParseResult<ReadMeterResult> {
        Ok(self.result.take().ok_or("no value in the output")?)
    }
}

impl UnixCommand for ReadMeter {
    const NAME: &'static str = "read_meter";
    type Parser = ReadMeterParser;
    type Output = ReadMeterResult;

    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = format!("read meter {}", word("target", &self.target)?);
        for part in [
            opt_word("outlet", &self.outlet)?,
            Some(word("measurement", &self.measurement)?),
            opt_word("output_format", &self.output_format)?,
        ]
        .into_iter()
        .flatten()
        {
            line.push(' ');
            line.push_str(part);
        }
        Ok(line)
    }

    fn parser(&self) -> ReadMeterParser {
        ReadMeterParser {
            // Moler's, as it is: `V:233.03`, ` 233.40`.
            value_re: moler_core::cached_regex(r"(?i)(?P<TYPE>\w*)\s*:?\s*(?P<VALUE>[\d\.]+)")
                .expect("a valid regex"),
            result: None,
        }
    }

    fn setup(&self, command: Command<ReadMeterParser>) -> Command<ReadMeterParser> {
        command.no_default_failures().failure(PDU_FAILURES)
    }

    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        shell_prompt.or(Some(PDU_PROMPT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    fn run(cmd: &ReadMeter, output: &str) -> moler_core::Result<ReadMeterResult> {
        let mut conn = Connection::new("pdu");
        let done = conn.start(cmd.command(), Instant::now());
        conn.handle_input(output.as_bytes(), Instant::now());
        done.try_result().expect("ended")
    }

    #[test]
    fn a_prompt_before_the_value_waits_for_it() {
        let mut conn = Connection::new("pdu");
        let done = conn.start(ReadMeter::new("dev", "volt").command(), Instant::now());
        conn.handle_input(b"read meter dev volt\r\n>", Instant::now());
        assert!(!done.is_done(), "no value yet");
        conn.handle_input(b"\r\n V:233.03\r\n>", Instant::now());
        let got = done.try_result().expect("ended").unwrap();
        assert_eq!((got.kind.as_str(), got.value_raw.as_str()), ("V", "233.03"));
    }

    #[test]
    fn without_a_device_s_prompt_only_the_pdu_s_ends_it() {
        // Another shell's prompt is not the PDU's (a session that dropped is no answer).
        let mut conn = Connection::new("pdu");
        let done = conn.start(ReadMeter::new("dev", "volt").command(), Instant::now());
        conn.handle_input(b"read meter dev volt\r\n V:233.03\r\nuser@host:~$ ", Instant::now());
        assert!(!done.is_done());
        conn.handle_input(b"\r\n>", Instant::now());
        assert!(done.try_result().expect("ended").is_ok());
    }

    #[test]
    fn integers_stay_integers_and_a_dotted_mess_is_a_parse_error() {
        let cmd = ReadMeter::new("dev", "pow").output_format("simple");
        let got = run(&cmd, "read meter dev pow simple\r\n 331\r\n\r\n>").unwrap();
        assert_eq!(serde_json::to_value(&got).unwrap()["VALUE"], serde_json::json!(331));
        let err = run(&cmd, "read meter dev pow simple\r\n 3.3.1\r\n\r\n>").unwrap_err();
        assert!(err.to_string().contains("\"3.3.1\" is no number"), "{err}");
        let line = ReadMeter::new("olt", "curr").outlet("o02").command_line().unwrap();
        assert_eq!(line, "read meter olt o02 curr");
        assert!(matches!(ReadMeter::new("dev", "").command_line(), Err(ParamError::Missing(_))));
    }
}
