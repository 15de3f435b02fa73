//! `exit_configure`: [`ExitConfigure`] and its parameters; its parser is [`PromptChange`].

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::configure::{check_expected, default_newline, juniper_parser};
use crate::prompt_change::PromptChange;
use crate::{ParamError, UnixCommand};

fn default_expected() -> String {
    "^admin@switch>".to_owned()
}

/// `exit` in Junos's configuration mode: back to operational mode, ending at `expected_prompt`
/// (default `^admin@switch>`, Moler's), seen on any line; result `{}`. Built for the
/// configuration mode's prompt, that prompt seen again (uncommitted changes, a level below the
/// top of the hierarchy) fails it.
///
/// ```
/// use moler_commands::juniper::ExitConfigure;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("ex");
/// let done = conn.start(ExitConfigure::new().command_with_prompt("^admin@switch# $"), Instant::now());
/// conn.handle_input(b"exit\r\nExiting configuration mode\r\nadmin@switch> ", Instant::now());
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitConfigure {
    /// The operational mode's prompt (regex).
    #[serde(default = "default_expected")]
    pub expected_prompt: String,
    /// The newline of operational mode (a device switches its connection to it).
    #[serde(default = "default_newline")]
    pub target_newline: String,
}

impl Default for ExitConfigure {
    fn default() -> Self {
        Self { expected_prompt: default_expected(), target_newline: default_newline() }
    }
}

impl ExitConfigure {
    /// `exit`, ending at Moler's default prompt `^admin@switch>`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `expected_prompt`.
    pub fn expected_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.expected_prompt = prompt.into();
        self
    }
}

impl UnixCommand for ExitConfigure {
    const NAME: &'static str = "exit_configure";
    type Parser = PromptChange;
    type Output = crate::Empty;

    fn command_line(&self) -> Result<String, ParamError> {
        check_expected(&self.expected_prompt)?;
        Ok("exit".to_owned())
    }

    fn parser(&self) -> PromptChange {
        self.parser_for(None)
    }

    fn parser_for(&self, shell_prompt: Option<&str>) -> PromptChange {
        juniper_parser(&self.expected_prompt, shell_prompt)
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
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn it_ends_at_the_operational_prompt_only() {
        // Moler's switch by default; another prompt is not the end.
        for exit in [ExitConfigure::new(), ExitConfigure::new().expected_prompt("^admin@switch>")] {
            let mut conn = Connection::new("ex");
            let done = conn.start(exit.command_with_prompt(r"^admin@switch# $"), Instant::now());
            conn.handle_input(b"exit\r\nExiting configuration mode\r\n", Instant::now());
            conn.handle_input(b"root@other> \r\n", Instant::now());
            assert!(!done.is_done());
            conn.handle_input(b"admin@switch> ", Instant::now());
            assert!(done.try_result().unwrap().is_ok());
        }
        let exit = ExitConfigure::new().expected_prompt("^ops>");
        assert_eq!(exit.expected_prompt, "^ops>");
        let exit: ExitConfigure = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(
            (exit.expected_prompt.as_str(), exit.target_newline.as_str()),
            ("^admin@switch>", "\r\n")
        );
    }

    #[test]
    fn staying_in_configuration_mode_fails_it() {
        let mut conn = Connection::new("ex");
        let cmd = ExitConfigure::new().command_with_prompt(r"^admin@switch# $");
        let done = conn.start(cmd, Instant::now());
        conn.handle_input(b"exit\r\n\r\n[edit]\r\nadmin@switch# ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("[edit] (back at the start prompt \"admin@switch#\")"), "{err}");
    }
}
