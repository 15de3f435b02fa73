//! `quit`: [`Quit`] and its parameters; its parser is [`PromptChange`].

use moler_core::Command;
use serde::{Deserialize, Serialize};

use crate::prompt_change::{check_regexes, Change, PromptChange};
use crate::{ParamError, UnixCommand};

fn default_expected() -> String {
    "moler_bash#".to_owned()
}

fn default_newline() -> String {
    "\n".to_owned()
}

/// `quit`: logs out of the PDU, which hangs up; ends at `expected_prompt` (default
/// `moler_bash#`, Moler's: the local shell's prompt once telnet has gone); result `{}`. Built
/// for the PDU's prompt, that prompt seen again fails it.
///
/// ```
/// use moler_commands::pdu_aten::Quit;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("pdu");
/// let done = conn.start(Quit::new().command_with_prompt(r"^>\s*$"), Instant::now());
/// conn.handle_input(b"quit\r\n\r\nGoodbye!\r\nConnection closed by foreign host.\r\nmoler_bash# ", Instant::now());
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quit {
    /// The prompt after the PDU hung up (regex).
    #[serde(default = "default_expected")]
    pub expected_prompt: String,
    /// The newline of the shell reached (a device switches its connection to it).
    #[serde(default = "default_newline")]
    pub target_newline: String,
    /// The final prompt may be followed by a line end.
    #[serde(default)]
    pub allowed_newline_after_prompt: bool,
}

impl Default for Quit {
    fn default() -> Self {
        Self {
            expected_prompt: default_expected(),
            target_newline: default_newline(),
            allowed_newline_after_prompt: false,
        }
    }
}

impl Quit {
    /// `quit`, ending at Moler's default prompt `moler_bash#`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `expected_prompt`.
    pub fn expected_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.expected_prompt = prompt.into();
        self
    }
}

impl UnixCommand for Quit {
    const NAME: &'static str = "quit";
    type Parser = PromptChange;
    type Output = crate::Empty;

    fn command_line(&self) -> Result<String, ParamError> {
        if self.expected_prompt.trim().is_empty() {
            return Err(ParamError::Missing("expected_prompt".into()));
        }
        check_regexes(&[("expected_prompt", Some(&self.expected_prompt))])?;
        Ok("quit".to_owned())
    }

    fn parser(&self) -> PromptChange {
        self.parser_for(None)
    }

    fn parser_for(&self, shell_prompt: Option<&str>) -> PromptChange {
        let change = Change {
            expected_prompt: &self.expected_prompt,
            allowed_newline_after_prompt: self.allowed_newline_after_prompt,
            ..Default::default()
        };
        PromptChange::new(change, shell_prompt)
    }

    fn setup(&self, command: Command<PromptChange>) -> Command<PromptChange> {
        command.no_default_failures().ret_required(false)
    }

    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}
