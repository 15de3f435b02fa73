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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{failed, outcome};
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn it_ends_at_the_shell_s_prompt_only() {
        // Moler's reference output, with its default prompt.
        let mut conn = Connection::new("pdu");
        let done = conn.start(Quit::new().command_with_prompt(r"^>\s*$"), Instant::now());
        conn.handle_input(b"quit\r\n\r\nGoodbye!\r\n", Instant::now());
        conn.handle_input(b"other$ ", Instant::now());
        assert_eq!(outcome(&done), None, "another prompt is not the end");
        conn.handle_input(b"\r\nConnection closed by foreign host.\r\n", Instant::now());
        // Not followed by a line end unless allowed_newline_after_prompt.
        conn.handle_input(b"moler_bash#\r\n", Instant::now());
        assert_eq!(outcome(&done), None);
        conn.handle_input(b"moler_bash#", Instant::now());
        assert_eq!(outcome(&done), Some(Ok(())));

        let quit = Quit { allowed_newline_after_prompt: true, ..Quit::new() };
        let mut conn = Connection::new("pdu");
        let done = conn.start(quit.command_with_prompt(r"^>\s*$"), Instant::now());
        conn.handle_input(b"quit\r\nGoodbye!\r\nmoler_bash#\r\n", Instant::now());
        assert_eq!(outcome(&done), Some(Ok(())));
    }

    #[test]
    fn the_pdu_s_prompt_again_fails_it() {
        let mut conn = Connection::new("pdu");
        let quit = Quit::new().expected_prompt(r"^host\$ $");
        let done = conn.start(quit.command_with_prompt(r"^>\s*$"), Instant::now());
        conn.handle_input(b"quit\r\nInvalid command\r\n>", Instant::now());
        let why = failed(outcome(&done));
        assert!(why.ends_with("Invalid command (back at the start prompt \">\")"), "{why}");
    }

    #[test]
    fn moler_s_defaults_and_a_blank_or_bad_prompt_refused() {
        let quit: Quit = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(
            (quit.expected_prompt.as_str(), quit.target_newline.as_str()),
            ("moler_bash#", "\n")
        );
        assert!(!quit.allowed_newline_after_prompt);
        assert_eq!(Quit::new().target_newline, "\n");
        assert_eq!(Quit::new().command_line().unwrap(), "quit");
        let err = Quit::new().expected_prompt(" ").command_line().unwrap_err();
        assert!(matches!(err, ParamError::Missing(ref name) if name == "expected_prompt"), "{err}");
        let err = Quit::new().expected_prompt("(").command_line().unwrap_err();
        assert!(matches!(err, ParamError::Regex { ref name, .. } if name == "expected_prompt"));
    }
}
