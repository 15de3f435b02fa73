//! `exit_telnet`: [`ExitTelnet`], its parameters, its result and its parser.

use std::sync::Arc;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::dialog::Dialog;
use super::parse::regex;
use super::ssh::default_newline;
use crate::spec::{Empty, UnixCommand};
use crate::ParamError;

fn default_expected() -> String {
    "moler_bash#".to_owned()
}

/// Leaves a telnet session: sends the escape character (Ctrl-], no newline), answers
/// telnet's `telnet>` prompt with `q`, and ends at `expected_prompt` (the shell telnet was
/// started from; default `moler_bash#`), where `set_timeout` and `set_prompt` are sent when
/// given. Result `{}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitTelnet {
    /// The prompt of the shell that takes over.
    #[serde(default = "default_expected")]
    pub expected_prompt: String,
    /// Sent at the first prompt after leaving.
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
    pub set_prompt: Option<String>,
    /// The newline of the shell that takes over (default `\n`).
    #[serde(default = "default_newline")]
    pub target_newline: String,
    /// The final prompt may be followed by a line end.
    #[serde(default)]
    pub allowed_newline_after_prompt: bool,
    /// The prompt at which the settings are sent, when it differs from `expected_prompt`.
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
    /// Leaves telnet for the shell whose prompt is `expected_prompt`.
    pub fn new(expected_prompt: impl Into<String>) -> Self {
        Self { expected_prompt: expected_prompt.into(), ..Self::default() }
    }
}

/// Parser of [`ExitTelnet`].
#[derive(Debug)]
pub struct ExitTelnetParser {
    dialog: Dialog,
    telnet_prompt: Arc<Regex>,
    quit_sent: bool,
}

impl Parser for ExitTelnetParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.telnet_prompt.is_match(line) {
            if !self.quit_sent {
                // One `\n`, not the device's newline: the client reads its command line on the
                // local terminal, and the `\n` of a `\r\n` would be left there for the shell
                // once telnet is gone (an empty command whose late prompt ends the next command
                // early).
                cx.send("q\n");
                self.quit_sent = true;
            }
            return Ok(());
        }
        // Before the client's prompt the text is the far side's, sent before Ctrl-] (a late
        // prompt answering an earlier Enter): no setting is typed into that shell.
        if self.quit_sent {
            self.dialog.on_line(line, partial, cx);
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> bool {
        // Only after `q`: a prompt before the client's is the far side's, still inside telnet
        // (both shells may show `moler_bash#`). With settings still to send, the prompt is
        // output (`on_line` sends them).
        self.quit_sent && !self.telnet_prompt.is_match(line) && self.dialog.is_final(partial)
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for ExitTelnet {
    const NAME: &'static str = "exit_telnet";
    type Parser = ExitTelnetParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        crate::prompt_change::check_regexes(&[
            ("expected_prompt", Some(&self.expected_prompt)),
            ("prompt_after_login", self.prompt_after_login.as_deref()),
        ])?;
        // What is sent is the escape character (`setup`); the line stays empty as Ctrl-C's.
        Ok(String::new())
    }
    fn parser(&self) -> ExitTelnetParser {
        let after = self.prompt_after_login.as_deref().unwrap_or(&self.expected_prompt);
        // The telnet side's prompt shows up again before `telnet>`: it proves nothing.
        let mut dialog = Dialog::new(
            &None,
            [after, &self.expected_prompt],
            None,
            false,
            [&self.set_timeout, &self.set_prompt],
        );
        dialog.allowed_newline_after_prompt = self.allowed_newline_after_prompt;
        dialog.target_newline = self.target_newline.clone();
        ExitTelnetParser { dialog, telnet_prompt: regex(r"(?i)telnet>"), quit_sent: false }
    }
    fn setup(&self, command: Command<ExitTelnetParser>) -> Command<ExitTelnetParser> {
        command.sends("\x1d", false).expect_echo(false).ret_required(false)
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
    fn the_escape_goes_out_and_telnet_s_prompt_gets_q() {
        let mut conn = Connection::new("t");
        let done = conn.start(ExitTelnet::new("^moler_bash#").command(), Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"\x1d");
        conn.handle_input(b"\r\ntelnet> ", Instant::now());
        sent.clear();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"q\n");
        assert!(done.try_result().is_none());
        conn.handle_input(b"q\r\nConnection closed.\r\nmoler_bash# ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
    }

    #[test]
    fn the_prompt_is_set_in_the_shell_that_takes_over() {
        let mut leave = ExitTelnet::new("^new# $");
        leave.prompt_after_login = Some("^moler_bash# $".into());
        leave.set_prompt = Some("export PS1='new# '".into());
        let mut conn = Connection::new("t");
        let done = conn.start(leave.command(), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"\r\ntelnet> ", Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"q\r\nConnection closed.\r\nmoler_bash# ", Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"\nexport PS1='new# '\n");
        assert!(done.try_result().is_none(), "not at the new prompt yet");
        conn.handle_input(b"\r\nmoler_bash# export PS1='new# '\r\nnew# ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
    }

    /// Starts `leave` and answers its Ctrl-] with telnet's prompt, checking that `q` goes out.
    fn at_telnet_s_prompt(
        conn: &mut Connection,
        leave: ExitTelnet,
    ) -> moler_core::Completion<Empty> {
        let done = conn.start(leave.command(), Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"\r\ntelnet> ", Instant::now());
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"q\n");
        done
    }

    #[test]
    fn a_prompt_before_telnet_s_is_the_far_side_s() {
        // Both shells show `moler_bash#`: the far one's late prompt, before the client's
        // `telnet>`, is no sign of being back; nor is a setting typed there.
        let leave = ExitTelnet {
            set_prompt: Some("export PS1='new# '".into()),
            prompt_after_login: Some("^moler_bash# $".into()),
            ..ExitTelnet::new("^new# $")
        };
        for leave in [ExitTelnet::default(), leave] {
            let mut conn = Connection::new("t");
            let done = conn.start(leave.command(), Instant::now());
            let _ = conn.poll_transmit(&mut Vec::new());
            conn.handle_input(b"\r\nmoler_bash# ", Instant::now());
            let mut sent = Vec::new();
            let _ = conn.poll_transmit(&mut sent);
            assert_eq!(sent, b"", "nothing typed into the far shell");
            assert!(done.try_result().is_none(), "still inside telnet");
            conn.handle_input(b"\r\ntelnet> ", Instant::now());
            let _ = conn.poll_transmit(&mut sent);
            assert_eq!(sent, b"q\n");
            assert!(done.try_result().is_none());
        }
    }

    #[test]
    fn the_client_s_prompt_is_not_the_shell_s() {
        // An expected prompt that `telnet> q` would match: only the shell's ends the command.
        let mut conn = Connection::new("t");
        let done = at_telnet_s_prompt(&mut conn, ExitTelnet::new(r"[>#]\s*$"));
        conn.handle_input(b"q\r\ntelnet> ", Instant::now());
        assert!(done.try_result().is_none());
        conn.handle_input(b"\r\nConnection closed.\r\nmoler_bash# ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
    }

    #[test]
    fn the_prompt_ends_it_on_a_line_of_its_own_unless_a_line_end_is_allowed() {
        for allowed in [false, true] {
            let mut leave = ExitTelnet::new("^moler_bash# ");
            leave.allowed_newline_after_prompt = allowed;
            let mut conn = Connection::new("t");
            let done = at_telnet_s_prompt(&mut conn, leave);
            conn.handle_input(b"q\r\nConnection closed.\r\nmoler_bash# \r\n", Instant::now());
            if allowed {
                assert!(done.try_result().unwrap().is_ok());
                continue;
            }
            assert!(done.try_result().is_none(), "a line end after the prompt");
            conn.handle_input(b"moler_bash# ", Instant::now());
            assert!(done.try_result().unwrap().is_ok());
        }
    }

    #[test]
    fn by_default_it_ends_at_moler_bash_only() {
        let leave: ExitTelnet = serde_json::from_str("{}").unwrap();
        assert_eq!(leave.expected_prompt, "moler_bash#");
        assert_eq!(leave.target_newline, "\n");
        let mut conn = Connection::new("t");
        let done = at_telnet_s_prompt(&mut conn, leave);
        conn.handle_input(b"q\r\nConnection closed.\r\nuser@host:~$ ", Instant::now());
        assert!(done.try_result().is_none(), "another shell's prompt");
        conn.handle_input(b"\r\nmoler_bash# ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
    }
}
