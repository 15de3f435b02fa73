//! `read_status`: [`ReadStatus`], its parameters, its result and its parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{opt_word, word, PDU_FAILURES, PDU_PROMPT};
use crate::{ParamError, UnixCommand};

/// `read status OUTLET [FORMAT]`: an outlet's power; result `{"STATUS": "on"}`, and with the
/// `format` output (`Outlet 01 on`) the outlet too: `{"STATUS": "on", "OUTLET": {"01": "on"}}`.
///
/// ```
/// use moler_commands::pdu_aten::ReadStatus;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("pdu");
/// let done = conn.start(ReadStatus::new("o01").output_format("format").command(), Instant::now());
/// conn.handle_input(b"read status o01 format\r\n Outlet 01 on\r\n\r\n>", Instant::now());
/// let status = done.try_result().unwrap().unwrap();
/// assert_eq!((status.status.as_str(), status.outlet["01"].as_str()), ("on", "on"));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadStatus {
    /// The outlet (`o01`).
    pub outlet: String,
    /// The output format (`simple`, `format`); none: the PDU's default.
    pub output_format: Option<String>,
}

impl ReadStatus {
    /// `read status OUTLET`.
    pub fn new(outlet: impl Into<String>) -> Self {
        Self { outlet: outlet.into(), output_format: None }
    }

    /// Sets `output_format`.
    pub fn output_format(mut self, format: impl Into<String>) -> Self {
        self.output_format = Some(format.into());
        self
    }
}

/// The result of [`ReadStatus`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadStatusResult {
    /// `on` or `off`, as the PDU wrote it.
    #[serde(rename = "STATUS")]
    pub status: String,
    /// Outlet number (`01`) → status, from the `format` output.
    #[serde(rename = "OUTLET", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outlet: BTreeMap<String, String>,
}

/// Parser of [`ReadStatus`].
#[derive(Debug)]
pub struct ReadStatusParser {
    outlet_re: Arc<Regex>,
    value_re: Arc<Regex>,
    status: Option<String>,
    outlet: BTreeMap<String, String>,
}

impl Parser for ReadStatusParser {
    type Output = ReadStatusResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.outlet_re.captures(line) {
            self.outlet.insert(c["ID"].to_owned(), c["VALUE"].to_owned());
            self.status = Some(c["VALUE"].to_owned());
        } else if let Some(c) = self.value_re.captures(line) {
            self.status = Some(c["VALUE"].to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.status.is_some()
    }
    fn finish(&mut self) -> ParseResult<ReadStatusResult> {
        let status = self.status.take().ok_or("no status in the output")?;
        Ok(ReadStatusResult { status, outlet: std::mem::take(&mut self.outlet) })
    }
}

impl UnixCommand for ReadStatus {
    const NAME: &'static str = "read_status";
    type Parser = ReadStatusParser;
    type Output = ReadStatusResult;

    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = format!("read status {}", word("outlet", &self.outlet)?);
        if let Some(f) = opt_word("output_format", &self.output_format)? {
            line.push(' ');
            line.push_str(f);
        }
        Ok(line)
    }

    fn parser(&self) -> ReadStatusParser {
        ReadStatusParser {
            outlet_re: moler_core::cached_regex(r"(?i)Outlet (?P<ID>\d+) (?P<VALUE>on|off)")
                .expect("a valid regex"),
            // Moler's `(on|off)` anywhere, as a word: `Connection` holds no status.
            value_re: moler_core::cached_regex(r"(?i)\b(?P<VALUE>on|off)\b")
                .expect("a valid regex"),
            status: None,
            outlet: BTreeMap::new(),
        }
    }

    fn setup(&self, command: Command<ReadStatusParser>) -> Command<ReadStatusParser> {
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

    #[test]
    fn it_ends_at_the_pdu_s_prompt_once_it_has_a_status() {
        let mut conn = Connection::new("pdu");
        let done = conn.start(ReadStatus::new("o01").command(), Instant::now());
        conn.handle_input(b"read status o01\r\n>", Instant::now());
        assert!(!done.is_done(), "no status yet");
        conn.handle_input(b"\r\n Outlet 01 on\r\n", Instant::now());
        // The telnet session dropped: the local shell's prompt is not the PDU's.
        conn.handle_input(b"Connection closed by foreign host.\r\nuser@host:~$ ", Instant::now());
        assert!(!done.is_done());
        conn.handle_input(b"\r\n>", Instant::now());
        let got = done.try_result().expect("ended").unwrap();
        assert_eq!(got.status, "on");
        assert_eq!(got.outlet, BTreeMap::from([("01".to_owned(), "on".to_owned())]));
    }

    #[test]
    fn a_refusal_fails_and_bad_outlets_are_refused() {
        let mut conn = Connection::new("pdu");
        let done = conn.start(ReadStatus::new("o99").command(), Instant::now());
        conn.handle_input(b"read status o99\r\n Not Support\r\n\r\n>", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("Not Support"), "{err}");
        assert!(matches!(ReadStatus::new(" ").command_line(), Err(ParamError::Missing(_))));
        assert!(ReadStatus::new("o1; reboot").command_line().is_err());
        let line = ReadStatus::new("o02").output_format("simple").command_line().unwrap();
        assert_eq!(line, "read status o02 simple");
    }
}
