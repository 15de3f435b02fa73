//! `ctrl_c` (Ctrl-C): [`CtrlC`], its parameters, its result and its parser.

use std::time::Duration;

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::parse::Nothing;
use crate::spec::{builder, Empty, UnixCommand};
use crate::ParamError;

/// How long `ctrl_c` waits for the prompt before it sends a second Ctrl-C.
const CTRL_C_RESEND: Duration = Duration::from_secs(1);

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
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(String::new())
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        // A Ctrl-C that lands while readline is still setting up after its prompt is lost and
        // the shell stays silent: one more after a second of silence.
        command
            .sends("\x03", false)
            .expect_echo(false)
            .ret_required(false)
            .resend_after(CTRL_C_RESEND)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}
