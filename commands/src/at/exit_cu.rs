//! `exit_cu`: [`ExitCu`], its parameters and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::generic::one_line;
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// Leaves `cu` (the hop out of `AT_REMOTE` that [`super::Cu`] entered): sends a carriage
/// return and cu's escape character and `.` (`\r-.`, no newline: Moler's `cu` sets the escape
/// character to `-` with `-E '-'`, and cu takes it only after a `\r` it passed on, not after
/// the `\n` of a command's `\r\n`), and ends when the shell's `expected_prompt` is back, after
/// cu's `Disconnected.`. Result `{}`.
///
/// Not one of Moler's commands: Moler's AtRemote leaves the line with `ctrl_c`, which ends
/// `plink` but not `cu` (cu passes Ctrl-C to the modem). An AtRemote over `cu` takes it for
/// its hop `AT_REMOTE -> UNIX_REMOTE` (`execute_command: at.exit_cu`).
///
/// ```
/// use moler_commands::at::ExitCu;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("modem");
/// let exit = conn.start(ExitCu::new(r"^user@host:~\$").command(), Instant::now());
/// let mut sent = Vec::new();
/// conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"\r-.");
/// conn.handle_input(b"\r\nDisconnected.\r\nuser@host:~$ ", Instant::now());
/// assert!(exit.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitCu {
    /// The shell's prompt, where cu was started (required).
    pub expected_prompt: String,
    /// cu's escape character (default `-`, as Moler's `cu` sets it).
    pub escape: Option<String>,
    /// The newline of the shell (a device's hop parameter).
    pub target_newline: Option<String>,
}
builder!(ExitCu { expected_prompt: String });

/// Parser of [`ExitCu`]: nothing to parse, the prompt ends it.
#[derive(Debug, Default)]
pub struct ExitCuParser;

impl Parser for ExitCuParser {
    type Output = Empty;
    fn on_line(&mut self, _: &str, _: bool, _: &mut Context<'_>) -> ParseResult {
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for ExitCu {
    const NAME: &'static str = "exit_cu";
    type Parser = ExitCuParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        if self.expected_prompt.trim().is_empty() {
            return Err("expected_prompt is required: the shell's prompt, where cu ends".into());
        }
        let escape = self.escape.as_deref().unwrap_or("-");
        if escape.chars().count() != 1 {
            return Err(format!("escape {escape:?} must be one character").into());
        }
        Ok(format!("{}.", one_line("escape", escape)?))
    }
    fn parser(&self) -> ExitCuParser {
        ExitCuParser
    }
    fn setup(&self, command: Command<ExitCuParser>) -> Command<ExitCuParser> {
        let escape = self.escape.as_deref().unwrap_or("-");
        command
            .no_default_failures()
            .ret_required(false)
            .expect_echo(false)
            .sends(format!("\r{escape}."), false)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}
