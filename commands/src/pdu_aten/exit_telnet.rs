//! `exit_telnet`: [`ExitTelnet`], its parameters and its parser (the SCPI family's too).

use moler_core::{Command, Context, End, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use crate::prompt_change::{check_regexes, Change, PromptChange};
use crate::{Empty, ParamError, UnixCommand};

fn default_expected() -> String {
    "moler_bash#".to_owned()
}

fn default_newline() -> String {
    "\n".to_owned()
}

/// The telnet client's command prompt, after its escape character.
const TELNET_PROMPT: &str = "(?i)telnet>";

/// Leaves a telnet session from the client's side: sends telnet's escape character (Ctrl-],
/// no newline), answers `q` at the client's `telnet>` prompt, and ends at `expected_prompt`
/// (default `moler_bash#`, Moler's: the local shell's prompt), after the settings
/// (`set_timeout`, `set_prompt`) if any; result `{}`. Moler's unix `exit_telnet`, which its
/// PDU and SCPI families use unchanged (registered as `pdu_aten.exit_telnet` and
/// `scpi.exit_telnet`). Built for the device's prompt, that prompt seen again fails it.
///
/// ```
/// use moler_commands::pdu_aten::ExitTelnet;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("pdu");
/// let done = conn.start(ExitTelnet::new().command_with_prompt(r"^>\s*$"), Instant::now());
/// let mut sent = Vec::new();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"\x1d");
/// conn.handle_input(b"\r\ntelnet> ", Instant::now());
/// sent.clear();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"q\n");
/// conn.handle_input(b"q\r\nConnection closed.\r\nmoler_bash# ", Instant::now());
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitTelnet {
    /// The prompt of the shell telnet ran in (regex).
    #[serde(default = "default_expected")]
    pub expected_prompt: String,
    /// Sent at the prompt after login, first.
    pub set_timeout: Option<String>,
    /// Sent at the prompt after login, after `set_timeout`.
    pub set_prompt: Option<String>,
    /// The newline of the shell reached (a device switches its connection to it).
    #[serde(default = "default_newline")]
    pub target_newline: String,
    /// The final prompt may be followed by a line end.
    #[serde(default)]
    pub allowed_newline_after_prompt: bool,
    /// The prompt at which the settings are sent (default: `expected_prompt`).
    pub prompt_after_login: Option<String>,
}

impl Default for ExitTelnet {
    fn default() -> Self {
        Self {
            expected_prompt: default_expected(),
            set_timeout: None,
            set_prompt: None,
            target_newline: default_newline(),
            allowed_newline_after_prompt: false,
            prompt_after_login: None,
        }
    }
}

impl ExitTelnet {
    /// Ctrl-] and `q`, ending at Moler's default prompt `moler_bash#`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `expected_prompt`.
    pub fn expected_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.expected_prompt = prompt.into();
        self
    }
}

/// Parser of [`ExitTelnet`]: `q` at the first `telnet>`, then [`PromptChange`]'s.
#[derive(Debug)]
pub struct ExitTelnetParser {
    telnet_prompt: std::sync::Arc<regex::Regex>,
    quit_sent: bool,
    inner: PromptChange,
}

impl Parser for ExitTelnetParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.telnet_prompt.is_match(line) {
            if !self.quit_sent {
                // One `\n`, not the device's newline: the client reads its command line on the local
                // terminal, and the `\n` of a `\r\n` would be left there for the shell once telnet is
                // gone (an empty command whose late prompt ends the next command early).
                cx.send("q\n");
                self.quit_sent = true;
            }
            return Ok(());
        }
        // Before the client's prompt the text is the device's, sent before Ctrl-] (a late
        // prompt answering an earlier Enter): not this command's answer, and no failure.
        if !self.quit_sent {
            return Ok(());
        }
        self.inner.on_line(line, partial, cx)
    }
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        self.quit_sent
            && !self.telnet_prompt.is_match(line)
            && self.inner.on_prompt(line, partial, cx)
    }
    fn ended(&self) -> Option<End> {
        self.inner.ended()
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        self.inner.finish()
    }
}

impl UnixCommand for ExitTelnet {
    const NAME: &'static str = "exit_telnet";
    type Parser = ExitTelnetParser;
    type Output = Empty;

    /// Empty: what is sent is Ctrl-], with no newline.
    fn command_line(&self) -> Result<String, ParamError> {
        if self.expected_prompt.trim().is_empty() {
            return Err(ParamError::Missing("expected_prompt".into()));
        }
        check_regexes(&[
            ("expected_prompt", Some(&self.expected_prompt)),
            ("prompt_after_login", self.prompt_after_login.as_deref()),
        ])?;
        Ok(String::new())
    }

    fn parser(&self) -> ExitTelnetParser {
        self.parser_for(None)
    }

    fn parser_for(&self, shell_prompt: Option<&str>) -> ExitTelnetParser {
        let change = Change {
            expected_prompt: &self.expected_prompt,
            prompt_after_login: self.prompt_after_login.as_deref().filter(|p| !p.is_empty()),
            settings: [&self.set_timeout, &self.set_prompt]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            allowed_newline_after_prompt: self.allowed_newline_after_prompt,
            failure: None,
        };
        ExitTelnetParser {
            telnet_prompt: moler_core::cached_regex(TELNET_PROMPT).expect("a valid regex"),
            quit_sent: false,
            inner: PromptChange::new(change, shell_prompt),
        }
    }

    fn setup(&self, command: Command<ExitTelnetParser>) -> Command<ExitTelnetParser> {
        // Moler's takes the output as started at once: telnet echoes no escape character.
        command.sends("\x1d", false).expect_echo(false).no_default_failures().ret_required(false)
    }

    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{outcome, sent};
    use moler_core::Connection;
    use std::time::Instant;

    #[test]
    fn a_late_device_prompt_before_the_client_s_prompt_is_not_an_answer() {
        let mut conn = Connection::new("scpi");
        let done = conn.start(ExitTelnet::new().command_with_prompt(r"^SCPI>\s*$"), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"SCPI>", Instant::now());
        conn.handle_input(b"\r\ntelnet> ", Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"q\n");
        conn.handle_input(b"q\r\nConnection closed.\r\nmoler_bash# ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
    }

    #[test]
    fn a_prompt_before_the_client_s_is_not_the_end() {
        // A loose expected prompt that the PDU's own prompt matches too: before `q` is sent, a
        // prompt is still the PDU's (a late answer to an earlier Enter).
        let exit = ExitTelnet::new().expected_prompt(r"^\S*[#>]\s*$");
        let mut conn = Connection::new("pdu");
        let done = conn.start(exit.command_with_prompt(r"^PDU>\s*$"), Instant::now());
        assert_eq!(sent(&mut conn), "\x1d");
        conn.handle_input(b"\r\nPDU>", Instant::now());
        assert_eq!(outcome(&done), None, "still in telnet");
        conn.handle_input(b"\r\ntelnet> ", Instant::now());
        assert_eq!(sent(&mut conn), "q\n");
        assert_eq!(outcome(&done), None);
        // Only the expected prompt ends it, not any prompt.
        conn.handle_input(b"q\r\nConnection closed.\r\nother$ ", Instant::now());
        assert_eq!(outcome(&done), None);
        conn.handle_input(b"\r\nhost# ", Instant::now());
        assert_eq!(outcome(&done), Some(Ok(())));
    }

    #[test]
    fn back_in_the_shell_the_settings_are_typed_before_the_end() {
        // A blank prompt after login is none: the settings wait for the expected prompt.
        for after_login in [None, Some("")] {
            let exit = ExitTelnet {
                set_prompt: Some("export PS1='moler_bash# '".into()),
                prompt_after_login: after_login.map(str::to_owned),
                ..ExitTelnet::new()
            };
            let mut conn = Connection::new("pdu");
            let done = conn.start(exit.command_with_prompt(r"^>\s*$"), Instant::now());
            let _ = sent(&mut conn);
            conn.handle_input(b"\r\ntelnet> ", Instant::now());
            assert_eq!(sent(&mut conn), "q\n");
            // A read cut in the middle of a line.
            conn.handle_input(b"q\r\nConnection clo", Instant::now());
            assert_eq!((sent(&mut conn).as_str(), outcome(&done)), ("", None), "{after_login:?}");
            conn.handle_input(b"sed.\r\nmoler_bash# ", Instant::now());
            assert_eq!(sent(&mut conn), "export PS1='moler_bash# '\n");
            assert_eq!(outcome(&done), None, "the setting's prompt is awaited");
            conn.handle_input(b"export PS1='moler_bash# '\r\nmoler_bash# ", Instant::now());
            assert_eq!(outcome(&done), Some(Ok(())));
        }
    }

    #[test]
    fn the_shell_s_newline_is_a_line_feed_unless_given() {
        assert_eq!(ExitTelnet::new().target_newline, "\n");
        let exit: ExitTelnet = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(
            (exit.target_newline.as_str(), exit.expected_prompt.as_str()),
            ("\n", "moler_bash#")
        );
    }

    #[test]
    fn a_blank_or_bad_prompt_is_refused() {
        let err = ExitTelnet::new().expected_prompt(" ").command_line().unwrap_err();
        assert!(matches!(err, ParamError::Missing(ref name) if name == "expected_prompt"), "{err}");
        let err = ExitTelnet::new().expected_prompt("(").command_line().unwrap_err();
        assert!(matches!(err, ParamError::Regex { ref name, .. } if name == "expected_prompt"));
        let exit = ExitTelnet { prompt_after_login: Some("[".into()), ..ExitTelnet::new() };
        let err = exit.command_line().unwrap_err();
        assert!(matches!(err, ParamError::Regex { ref name, .. } if name == "prompt_after_login"));
        assert_eq!(ExitTelnet::new().command_line().unwrap(), "", "Ctrl-] alone is sent");
    }

    #[test]
    fn q_is_sent_once_and_the_device_prompt_again_fails_it() {
        let mut conn = Connection::new("pdu");
        let done = conn.start(ExitTelnet::new().command_with_prompt(r"^>\s*$"), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"\r\ntelnet> ", Instant::now());
        conn.handle_input(b"q\r\n", Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"q\n", "once");
        conn.handle_input(b"?Invalid command\r\n>", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("?Invalid command (back at the start prompt \">\")"), "{err}");
    }
}
