//! `adb_shell`: [`AdbShell`] and its parameters; its parser is [`PromptChange`].

use moler_core::{Command, DEFAULT_PROMPT};
use serde::{Deserialize, Serialize};

use crate::prompt_change::{check_regexes, Change, PromptChange};
use crate::{ParamError, UnixCommand};

/// What Moler's `adb_shell` takes as failure: the unix family's causes, and adb's `error:`.
const FAILURE: &str = "(?i)not found|No such file or directory|running it may require superuser \
                       privileges|Cannot find device|Input/output error|^error:";

fn default_newline() -> String {
    "\n".to_owned()
}

/// `adb shell` (`adb -s SERIAL shell` with `serial_number`): enters an Android device's shell
/// and ends at `expected_prompt`; result `{}`.
///
/// With `prompt_from_serial_number` (and no `expected_prompt`) the prompt is made Moler's way:
/// `set_prompt` becomes `export PS1="adb_shell@SERIAL \$ "`, sent at the first prompt (any
/// prompt, unless `prompt_after_login` says which), and the end is `^adb_shell@SERIAL \$`.
/// Without either, the end is Moler's generic prompt. Output lines with `not found`,
/// `No such file or directory`, … or starting with `error:` (adb's `error: device 'x' not
/// found`) fail the command once the start shell's prompt is back.
///
/// ```
/// use moler_commands::adb::AdbShell;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let shell = AdbShell::new().serial_number("f57e6b77").expected_prompt(r"^shell@adbhost:/ \$");
/// let mut conn = Connection::new("adb");
/// let done = conn.start(shell.command_with_prompt(r"^moler_bash# $"), Instant::now());
/// conn.handle_input(b"adb -s f57e6b77 shell\nshell@adbhost:/ $ ", Instant::now());
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdbShell {
    /// The device's serial number, as `adb devices` lists it (`-s`); none: the only device.
    pub serial_number: Option<String>,
    /// The prompt of the device's shell (regex).
    pub expected_prompt: Option<String>,
    /// The newline of the device's shell (a device switches its connection to it).
    #[serde(default = "default_newline")]
    pub target_newline: String,
    /// Sent at the prompt after login, first.
    pub set_timeout: Option<String>,
    /// The final prompt may be followed by a line end.
    #[serde(default)]
    pub allowed_newline_after_prompt: bool,
    /// Sent at the prompt after login, after `set_timeout`, to change the prompt.
    pub set_prompt: Option<String>,
    /// The prompt at which the settings are sent (default: `expected_prompt`).
    pub prompt_after_login: Option<String>,
    /// Make `set_prompt` and `expected_prompt` from `serial_number` (see the type's doc).
    #[serde(default)]
    pub prompt_from_serial_number: bool,
}

impl Default for AdbShell {
    fn default() -> Self {
        Self {
            serial_number: None,
            expected_prompt: None,
            target_newline: default_newline(),
            set_timeout: None,
            allowed_newline_after_prompt: false,
            set_prompt: None,
            prompt_after_login: None,
            prompt_from_serial_number: false,
        }
    }
}

impl AdbShell {
    /// `adb shell` for the only device, ending at Moler's generic prompt.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `serial_number`.
    pub fn serial_number(mut self, serial: impl Into<String>) -> Self {
        self.serial_number = Some(serial.into());
        self
    }

    /// Sets `expected_prompt`.
    pub fn expected_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.expected_prompt = Some(prompt.into());
        self
    }

    /// Sets `set_prompt`.
    pub fn set_prompt(mut self, command: impl Into<String>) -> Self {
        self.set_prompt = Some(command.into());
        self
    }

    /// Sets `prompt_after_login`.
    pub fn prompt_after_login(mut self, prompt: impl Into<String>) -> Self {
        self.prompt_after_login = Some(prompt.into());
        self
    }

    /// Sets `prompt_from_serial_number`.
    pub fn prompt_from_serial_number(mut self, on: bool) -> Self {
        self.prompt_from_serial_number = on;
        self
    }

    /// The serial number, when one is set and not blank.
    fn serial(&self) -> Option<&str> {
        self.serial_number.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    /// `set_prompt`, `expected_prompt` and `prompt_after_login` once `prompt_from_serial_number`
    /// is applied, as Moler's constructor does.
    fn prompts(&self) -> (Option<String>, String, Option<String>) {
        let mut set_prompt = self.set_prompt.clone().filter(|s| !s.is_empty());
        let mut expected = self.expected_prompt.clone().filter(|s| !s.is_empty());
        let mut after_login = self.prompt_after_login.clone().filter(|s| !s.is_empty());
        if self.prompt_from_serial_number && expected.is_none() {
            after_login.get_or_insert_with(|| DEFAULT_PROMPT.to_owned());
            if let (Some(serial), None) = (self.serial(), &set_prompt) {
                set_prompt = Some(format!(r#"export PS1="adb_shell@{serial} \$ ""#));
                expected = Some(format!(r"^adb_shell@{} \$", regex::escape(serial)));
            }
        }
        (set_prompt, expected.unwrap_or_else(|| DEFAULT_PROMPT.to_owned()), after_login)
    }
}

impl UnixCommand for AdbShell {
    const NAME: &'static str = "adb_shell";
    type Parser = PromptChange;
    type Output = crate::Empty;

    fn command_line(&self) -> Result<String, ParamError> {
        let (_, expected, after_login) = self.prompts();
        check_regexes(&[
            ("expected_prompt", Some(&expected)),
            ("prompt_after_login", after_login.as_deref()),
        ])?;
        match self.serial() {
            Some(serial) if serial.chars().any(char::is_whitespace) => {
                Err(format!("serial_number {serial:?} holds blanks").into())
            }
            Some(serial) => Ok(format!("adb -s {serial} shell")),
            None => Ok("adb shell".to_owned()),
        }
    }

    fn parser(&self) -> PromptChange {
        self.parser_for(None)
    }

    fn parser_for(&self, shell_prompt: Option<&str>) -> PromptChange {
        let (set_prompt, expected, after_login) = self.prompts();
        let change = Change {
            expected_prompt: &expected,
            prompt_after_login: after_login.as_deref(),
            settings: [self.set_timeout.clone(), set_prompt].into_iter().flatten().collect(),
            allowed_newline_after_prompt: self.allowed_newline_after_prompt,
            failure: Some(FAILURE),
        };
        PromptChange::new(change, shell_prompt)
    }

    fn setup(&self, command: Command<PromptChange>) -> Command<PromptChange> {
        command.no_default_failures().ret_required(false)
    }

    /// Always `None`: the end prompt may be made from the serial number, so it cannot be
    /// borrowed; [`AdbShell::build`] puts it in the command.
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        None
    }

    /// The command, ending at the expected prompt (given or made), started from the shell
    /// whose prompt is `prompt`.
    fn build(&self, prompt: Option<&str>) -> Command<PromptChange> {
        let (line, invalid) = match self.command_line() {
            Ok(line) => (line, crate::spec::prompt_error(self, prompt)),
            Err(e) => (String::new(), Some(e)),
        };
        let (_, expected, _) = self.prompts();
        let command = Command::new(line, self.parser_for(prompt)).timeout(self.default_timeout());
        let mut command = self.setup(command);
        // First: the first reason given is the one a command fails with.
        if let Some(e) = invalid {
            let why = moler_core::Report(&e);
            command = command
                .fail_at_start(moler_core::Error::WrongUsage(format!("{}: {why}", Self::NAME)));
        }
        command.prompt(&expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{outcome, sent};
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn the_serial_number_makes_the_prompt_and_its_setting() {
        let shell = AdbShell::new().serial_number("f57e6b77").prompt_from_serial_number(true);
        let (set, expected, after) = shell.prompts();
        assert_eq!(set.as_deref(), Some(r#"export PS1="adb_shell@f57e6b77 \$ ""#));
        assert_eq!(expected, r"^adb_shell@f57e6b77 \$");
        assert_eq!(after.as_deref(), Some(DEFAULT_PROMPT));
        let mut conn = Connection::new("adb");
        let done = conn.start(shell.command_with_prompt("^moler_bash# $"), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"adb -s f57e6b77 shell\nshell@adbhost:/ $ ", Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"export PS1=\"adb_shell@f57e6b77 \\$ \"\n");
        conn.handle_input(
            b"export PS1=\"adb_shell@f57e6b77 \\$ \"\nadb_shell@f57e6b77 $ ",
            Instant::now(),
        );
        assert!(done.try_result().unwrap().is_ok());
        // Given an expected prompt, nothing is made.
        let shell = shell.expected_prompt("^x$");
        assert_eq!(shell.prompts(), (None, "^x$".to_owned(), None));
    }

    #[test]
    fn a_missing_device_fails_at_the_start_prompt() {
        let shell = AdbShell::new().serial_number("nope").expected_prompt(r"^shell@\S+ \$");
        let mut conn = Connection::new("adb");
        let done = conn.start(shell.command_with_prompt("^moler_bash# $"), Instant::now());
        conn.handle_input(b"adb -s nope shell\nerror: device 'nope' not found\n", Instant::now());
        assert!(!done.is_done());
        conn.handle_input(b"moler_bash# ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("error: device 'nope' not found"), "{err}");
    }

    #[test]
    fn the_prompts_given_are_the_ones_used() {
        let shell = AdbShell::new()
            .expected_prompt(r"^adb\$ $")
            .prompt_after_login(r"^shell@\S+ \$")
            .set_prompt("export PS1='adb$ '");
        let (set, expected, after) = shell.prompts();
        assert_eq!(set.as_deref(), Some("export PS1='adb$ '"));
        assert_eq!(expected, r"^adb\$ $");
        assert_eq!(after.as_deref(), Some(r"^shell@\S+ \$"));
        let mut conn = Connection::new("adb");
        let done = conn.start(shell.command_with_prompt("^moler_bash# $"), Instant::now());
        assert_eq!(sent(&mut conn), "adb shell\n");
        conn.handle_input(b"adb shell\nshell@adbhost:/ $ ", Instant::now());
        assert_eq!(sent(&mut conn), "export PS1='adb$ '\n", "at the prompt after login");
        assert!(!done.is_done());
        conn.handle_input(b"export PS1='adb$ '\nadb$ ", Instant::now());
        assert_eq!(outcome(&done), Some(Ok(())));
        // Blank is none given: nothing typed, and the default prompt expected.
        let blank = AdbShell::new().set_prompt("").prompt_after_login("").expected_prompt("");
        assert_eq!(blank.prompts(), (None, DEFAULT_PROMPT.to_owned(), None));
    }

    #[test]
    fn the_phone_s_newline_is_a_line_feed_unless_given() {
        assert_eq!(AdbShell::new().target_newline, "\n");
        let shell: AdbShell = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(shell.target_newline, "\n");
        let shell: AdbShell =
            serde_json::from_value(serde_json::json!({"target_newline": "\r\n"})).unwrap();
        assert_eq!(shell.target_newline, "\r\n");
    }

    #[test]
    fn bad_parameters_are_refused() {
        let err = AdbShell::new().expected_prompt("(").command_line().unwrap_err();
        assert!(matches!(err, ParamError::Regex { ref name, .. } if name == "expected_prompt"));
        let err = AdbShell::new().serial_number("a b").command_line().unwrap_err();
        assert!(err.to_string().contains("blanks"), "{err}");
    }
}
