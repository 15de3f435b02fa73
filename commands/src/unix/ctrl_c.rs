//! `ctrl_c` (Ctrl-C): [`CtrlC`], its parameters, its result and its parser.

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::Nothing;
use crate::spec::{builder, Empty, UnixCommand};

/// Ctrl-C (no newline); ends on `expected_prompt` (default: the shell's prompt); result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtrlC {
    /// The prompt that comes back.
    pub expected_prompt: Option<String>,
}
builder!(CtrlC {}, expected_prompt);

impl UnixCommand for CtrlC {
    const NAME: &'static str = "ctrl_c";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, String> {
        Ok(String::new())
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.sends("\x03", false).expect_echo(false).ret_required(false)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}
