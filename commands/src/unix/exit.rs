//! `exit`: [`Exit`], its parameters, its result and its parser.

use moler_core::{Command, Context, End, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::dialog::StartPrompt;
use super::parse::required;
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// `exit`: leaves a shell; ends on `expected_prompt` (the shell below); result `{}`. Built for a
/// shell with a known prompt ([`UnixCommand::command_with_prompt`]), it fails if that prompt
/// comes back (`There are stopped jobs.`, a shell that refused to go), checked before
/// `expected_prompt`.
///
/// `allowed_newline_after_prompt: false` (Moler's default) takes only a prompt without a line
/// end after it; unset or `true`, a prompt line that ended counts too (a device that prints a
/// blank line after its prompt does not hang the hop).
///
/// ```
/// use moler_commands::unix::Exit;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// for (allowed, ends) in [(None, true), (Some(true), true), (Some(false), false)] {
///     let exit = Exit { allowed_newline_after_prompt: allowed, ..Exit::new("^moler_bash# $") };
///     let mut conn = Connection::new("demo");
///     let done = conn.start(exit.command_with_prompt("^remote> $"), Instant::now());
///     conn.handle_input(b"exit\nlogout\nmoler_bash# \n", Instant::now());
///     assert_eq!(done.is_done(), ends, "{allowed:?}");
/// }
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exit {
    /// The prompt of the shell that takes over.
    pub expected_prompt: String,
    /// The expected prompt may be followed by a line end (see above).
    pub allowed_newline_after_prompt: Option<bool>,
    /// The newline of the shell below (its state's newline is the device's business; kept
    /// for Moler's configs).
    pub target_newline: Option<String>,
    /// Moler's switch to parse output before the echo of `exit` is seen; here output before
    /// the echo is never parsed and the echo is recognised either way (kept for Moler's
    /// configs).
    pub start_command_immediately: Option<bool>,
}
builder!(Exit { expected_prompt: String });

/// Parser of [`Exit`]: the prompt of the shell being left, seen again, fails the command with
/// the last line printed before it.
#[derive(Debug)]
pub struct ExitParser {
    start: StartPrompt,
    failure: Option<String>,
    newline_allowed: bool,
}

impl ExitParser {
    /// Whether `line` shows the start prompt; the first one fails the command.
    fn back_at_start(&mut self, line: &str) -> bool {
        if self.failure.is_none() && self.start.matches(line) {
            self.failure = Some(self.start.failure(line, None));
        }
        self.failure.is_some()
    }
}

impl Parser for ExitParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !self.back_at_start(line) && !partial {
            self.start.note(line);
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> bool {
        // The start prompt goes on to `on_line`, and `ended` fails the command.
        !self.back_at_start(line) && (partial || self.newline_allowed)
    }
    fn ended(&self) -> Option<End> {
        self.failure.clone().map(End::Failed)
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for Exit {
    const NAME: &'static str = "exit";
    type Parser = ExitParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        required("expected_prompt", &self.expected_prompt)?;
        Ok("exit".to_owned())
    }
    fn parser(&self) -> ExitParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> ExitParser {
        // As for the logins: an end prompt written as the start prompt leaves nothing to verify.
        let shell_prompt = shell_prompt.filter(|s| *s != self.expected_prompt);
        let start = StartPrompt::new(shell_prompt, &[("expected prompt", &self.expected_prompt)]);
        let newline_allowed = self.allowed_newline_after_prompt.unwrap_or(true);
        ExitParser { start, failure: None, newline_allowed }
    }
    fn setup(&self, command: Command<ExitParser>) -> Command<ExitParser> {
        command.ret_required(false)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}
