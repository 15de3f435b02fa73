//! `configure`: [`Configure`] and its parameters; its parser is [`PromptChange`].

use moler_core::Command;
use serde::{Deserialize, Serialize};

use crate::prompt_change::{check_regexes, Change, PromptChange};
use crate::{ParamError, UnixCommand};

fn default_expected() -> String {
    "^admin@switch#".to_owned()
}

pub(super) fn default_newline() -> String {
    "\r\n".to_owned()
}

/// `configure`: enters Junos's configuration mode from its operational mode and ends at
/// `expected_prompt` (default `^admin@switch#`, Moler's), seen on any line; result `{}`.
/// Built for the operational mode's prompt, that prompt seen again fails it.
///
/// ```
/// use moler_commands::juniper::Configure;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("ex");
/// let done = conn.start(Configure::new().command_with_prompt("^admin@switch> $"), Instant::now());
/// conn.handle_input(b"configure\r\nEntering configuration mode\r\n\r\n[edit]\r\nadmin@switch# ", Instant::now());
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Configure {
    /// The configuration mode's prompt (regex).
    #[serde(default = "default_expected")]
    pub expected_prompt: String,
    /// The newline of configuration mode (a device switches its connection to it).
    #[serde(default = "default_newline")]
    pub target_newline: String,
}

impl Default for Configure {
    fn default() -> Self {
        Self { expected_prompt: default_expected(), target_newline: default_newline() }
    }
}

impl Configure {
    /// `configure`, ending at Moler's default prompt `^admin@switch#`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `expected_prompt`.
    pub fn expected_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.expected_prompt = prompt.into();
        self
    }
}

/// The parser of juniper's moves: Moler's ends them at the expected prompt on any line.
pub(super) fn juniper_parser(expected_prompt: &str, start: Option<&str>) -> PromptChange {
    let change =
        Change { expected_prompt, allowed_newline_after_prompt: true, ..Default::default() };
    PromptChange::new(change, start)
}

/// The expected prompt, required and a regex.
pub(super) fn check_expected(expected_prompt: &str) -> Result<(), ParamError> {
    if expected_prompt.trim().is_empty() {
        return Err(ParamError::Missing("expected_prompt".into()));
    }
    check_regexes(&[("expected_prompt", Some(expected_prompt))])
}

impl UnixCommand for Configure {
    const NAME: &'static str = "configure";
    type Parser = PromptChange;
    type Output = crate::Empty;

    fn command_line(&self) -> Result<String, ParamError> {
        check_expected(&self.expected_prompt)?;
        Ok("configure".to_owned())
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
    fn the_operational_prompt_again_fails_it() {
        let mut conn = Connection::new("ex");
        let done =
            conn.start(Configure::new().command_with_prompt("^admin@switch> $"), Instant::now());
        conn.handle_input(
            b"configure\r\nerror: configuration database locked\r\nadmin@switch> ",
            Instant::now(),
        );
        let err = done.try_result().unwrap().unwrap_err().to_string();
        // Not also "a target prompt matches it": the configuration prompt does not.
        let why =
            "error: configuration database locked (back at the start prompt \"admin@switch>\")";
        assert!(err.ends_with(why), "{err}");
    }

    #[test]
    fn by_default_it_ends_at_the_configuration_prompt_of_moler_s_switch() {
        // Moler's reference output; no expected prompt given.
        let mut conn = Connection::new("ex");
        let done =
            conn.start(Configure::new().command_with_prompt("^admin@switch> $"), Instant::now());
        conn.handle_input(b"configure\r\n\r\nEntering configuration mode\r\n", Instant::now());
        conn.handle_input(b"\r\n[edit]\r\n", Instant::now());
        // Another prompt is not the end: only the expected one is.
        conn.handle_input(b"root@other# \r\n", Instant::now());
        assert!(!done.is_done());
        conn.handle_input(b"admin@switch# ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
        // The prompt followed by a line end ends it too (Moler's reads the prompt on any line).
        let mut conn = Connection::new("ex");
        let done =
            conn.start(Configure::new().command_with_prompt("^admin@switch> $"), Instant::now());
        conn.handle_input(b"configure\r\n[edit]\r\nadmin@switch# \r\n", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
        // Junos ends its lines with \r\n: the newline of the mode reached.
        assert_eq!(Configure::new().target_newline, "\r\n");
        let configure: Configure = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(configure.target_newline, "\r\n");
        assert_eq!(configure.expected_prompt, "^admin@switch#");
    }

    #[test]
    fn an_empty_or_bad_expected_prompt_is_refused() {
        let err = Configure::new().expected_prompt(" ").command_line().unwrap_err();
        assert!(matches!(err, ParamError::Missing(_)), "{err}");
        let err = Configure::new().expected_prompt("[").command_line().unwrap_err();
        assert!(matches!(err, ParamError::Regex { .. }), "{err}");
    }
}
