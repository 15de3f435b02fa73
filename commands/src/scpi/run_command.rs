//! `run_command`: [`RunCommand`] and its parameters; its parser is [`Nothing`].

use moler_core::Command;
use serde::{Deserialize, Serialize};

use crate::unix::Nothing;
use crate::{Empty, ParamError, UnixCommand};

fn default_error_regex() -> Option<String> {
    Some("(?i)ERROR".to_owned())
}

/// Any SCPI command whose output is of no interest (`CONF:FREQ 1, (@1)`); result `{}`. An
/// output line matching `error_regex` (default `ERROR`, any case; null: none) fails it.
///
/// ```
/// use moler_commands::scpi::RunCommand;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("scpi");
/// let done = conn.start(RunCommand::new("INP1:LEV1:ABS 1V").command(), Instant::now());
/// conn.handle_input(b"INP1:LEV1:ABS 1V\r\nSCPI>", Instant::now());
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunCommand {
    /// The command sent.
    pub command: String,
    /// A regex of output lines that fail the command (null: none).
    #[serde(default = "default_error_regex")]
    pub error_regex: Option<String>,
}

impl RunCommand {
    /// `command`, failing on `ERROR` in its output.
    pub fn new(command: impl Into<String>) -> Self {
        Self { command: command.into(), error_regex: default_error_regex() }
    }

    /// Sets `error_regex` (`None`: nothing fails the command).
    pub fn error_regex(mut self, regex: Option<&str>) -> Self {
        self.error_regex = regex.map(str::to_owned);
        self
    }
}

impl UnixCommand for RunCommand {
    const NAME: &'static str = "run_command";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        if self.command.trim().is_empty() {
            return Err(ParamError::Missing("command".into()));
        }
        if self.command.contains(['\n', '\r']) {
            return Err(ParamError::value("command", "must be one line"));
        }
        if let Some(r) = self.error_regex.as_deref().filter(|r| !r.is_empty()) {
            ParamError::regex("error_regex", r)?;
        }
        Ok(self.command.trim().to_owned())
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        let command = command.no_default_failures().ret_required(false);
        match self.error_regex.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => command.failure(r),
            None => command,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn by_default_a_line_saying_error_in_any_case_fails_it() {
        let by_name: RunCommand =
            serde_json::from_value(serde_json::json!({"command": "CONF:FREQ 1, (@1)"})).unwrap();
        for cmd in [RunCommand::new("CONF:FREQ 1, (@1)"), by_name] {
            assert_eq!(cmd.error_regex.as_deref(), Some("(?i)ERROR"));
            for (output, fails) in [
                ("CONF:FREQ 1, (@1)\r\nSCPI>", false),
                ("CONF:FREQ 1, (@1)\r\n**Error: -113, undefined header\r\nSCPI>", true),
            ] {
                let mut conn = Connection::new("scpi");
                let done = conn.start(cmd.command(), Instant::now());
                conn.handle_input(output.as_bytes(), Instant::now());
                assert_eq!(done.try_result().expect("ended").is_err(), fails, "{output:?}");
            }
        }
    }

    #[test]
    fn an_error_line_fails_it_unless_the_regex_is_off() {
        let output = b"SYST:ERR?\r\n-113,\"Undefined header\"\r\nSCPI>";
        for (regex, fails) in [(Some("(?i)undefined"), true), (None, false)] {
            let mut conn = Connection::new("scpi");
            let cmd = RunCommand::new("SYST:ERR?").error_regex(regex);
            let done = conn.start(cmd.command(), Instant::now());
            conn.handle_input(output, Instant::now());
            assert_eq!(done.try_result().unwrap().is_err(), fails, "{regex:?}");
        }
        let err = RunCommand::new("X").error_regex(Some("(")).command_line().unwrap_err();
        assert!(matches!(err, ParamError::Regex { .. }), "{err}");
        assert!(matches!(RunCommand::new("  ").command_line(), Err(ParamError::Missing(_))));
    }
}
