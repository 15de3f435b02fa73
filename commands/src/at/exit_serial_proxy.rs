//! `exit_serial_proxy`: [`ExitSerialProxy`] and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::generic::regex;
use crate::{Empty, UnixCommand};

/// `exit_serial_proxy`: leaves Moler's serial proxy (a Python AT console); when the Python
/// shell shows its `>>> ` it sends `exit()`, and the command ends at the shell's prompt (the
/// `prompt` given, else the generic one). Result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitSerialProxy {}

impl ExitSerialProxy {
    /// The command (it has no parameters).
    pub fn new() -> Self {
        Self {}
    }
}

/// Parser of [`ExitSerialProxy`]: answers the Python prompt once.
#[derive(Debug, Default)]
pub struct ExitSerialProxyParser {
    exit_sent: bool,
}

impl ExitSerialProxyParser {
    /// Whether `line` shows Python's prompt (sending `exit()` the first time).
    fn python(&mut self, line: &str, cx: &mut Context<'_>) -> bool {
        let python = regex(r">>>\s").is_match(line);
        if python && !self.exit_sent {
            cx.send("exit()\n");
            self.exit_sent = true;
        }
        python
    }
}

impl Parser for ExitSerialProxyParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, _: bool, cx: &mut Context<'_>) -> ParseResult {
        self.python(line, cx);
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, _: bool, cx: &mut Context<'_>) -> bool {
        // Python's `>>> ` matches the generic prompt: it is not the shell's.
        !self.python(line, cx)
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for ExitSerialProxy {
    const NAME: &'static str = "exit_serial_proxy";
    type Parser = ExitSerialProxyParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, crate::ParamError> {
        Ok("exit_serial_proxy".to_owned())
    }
    fn parser(&self) -> ExitSerialProxyParser {
        ExitSerialProxyParser::default()
    }
    fn setup(&self, command: Command<ExitSerialProxyParser>) -> Command<ExitSerialProxyParser> {
        command.no_default_failures().ret_required(false)
    }
}
