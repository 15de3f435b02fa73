//! `ctrl_z` (Ctrl-Z): [`CtrlZ`], its parameters, its result and its parser.

use std::sync::Arc;

use std::time::Duration;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::spec::{builder, UnixCommand};
use crate::ParamError;

/// How long `ctrl_z` waits for the prompt before it sends a second Ctrl-Z (as `ctrl_c`).
const CTRL_Z_RESEND: Duration = Duration::from_secs(1);

/// Ctrl-Z (no newline) to stop the foreground job; ends on `expected_prompt` (default: the
/// shell's prompt); result `{"id": job, "process": command}` from bash's `[2]+  Stopped  cmd`,
/// `{}` when no job was stopped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtrlZ {
    /// The prompt that comes back.
    pub expected_prompt: Option<String>,
}
builder!(CtrlZ {}, expected_prompt);

/// Result of [`CtrlZ`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtrlZResult {
    /// The job number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// The stopped command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
}

/// Parser of [`CtrlZ`].
#[derive(Debug)]
pub struct CtrlZParser {
    stopped: Arc<Regex>,
    result: CtrlZResult,
}

impl Parser for CtrlZParser {
    type Output = CtrlZResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            if let Some(c) = self.stopped.captures(line) {
                self.result.id = c[1].parse().ok();
                self.result.process = Some(c[2].to_owned());
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<CtrlZResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for CtrlZ {
    const NAME: &'static str = "ctrl_z";
    type Parser = CtrlZParser;
    type Output = CtrlZResult;
    fn command_line(&self) -> Result<String, ParamError> {
        Ok(String::new())
    }
    fn parser(&self) -> CtrlZParser {
        CtrlZParser {
            stopped: regex(r"\[(\d+)\]\+\s+Stopped\s+(.*)"),
            result: CtrlZResult::default(),
        }
    }
    fn setup(&self, command: Command<CtrlZParser>) -> Command<CtrlZParser> {
        command
            .sends("\x1a", false)
            .expect_echo(false)
            .ret_required(false)
            .resend_after(CTRL_Z_RESEND)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}
