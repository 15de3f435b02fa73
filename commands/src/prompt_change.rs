//! The parser of the other families' commands that move to another shell (adb's `adb_shell`,
//! juniper's `configure` and `exit_configure`, the PDU's `quit`, the PDU's and SCPI's
//! `exit_telnet`): Moler's `CommandChangingPrompt` without passwords.
//!
//! It sends the settings (`set_timeout`, then `set_prompt`) at the prompt after login, one per
//! prompt and only once the last one's echo came back, and ends at the expected prompt when
//! nothing is pending (on a line without its end, unless `allowed_newline_after_prompt`).
//!
//! Verified, never assumed: built for a shell with a known prompt
//! ([`UnixCommand::parser_for`](crate::UnixCommand::parser_for)), that prompt seen again
//! proves the move failed, checked on every line before anything else; a failure line
//! (`error: device not found`) ends the command once the shell it started from (or, unknown,
//! any prompt) shows again, so that shell stays usable.

use std::collections::VecDeque;
use std::sync::Arc;

use moler_core::{Context, End, ParseResult, Parser, DEFAULT_PROMPT};
use regex::Regex;

use crate::{Empty, ParamError};

/// What a prompt-changing command waits for and sends (see the [module](self) doc).
#[derive(Debug, Clone, Default)]
pub(crate) struct Change<'a> {
    /// The prompt of the shell reached: the end.
    pub expected_prompt: &'a str,
    /// Where the settings are sent (default: `expected_prompt`).
    pub prompt_after_login: Option<&'a str>,
    /// Sent in order at the prompt after login.
    pub settings: Vec<String>,
    /// The expected prompt may end with a line end.
    pub allowed_newline_after_prompt: bool,
    /// A full output line matching it fails the command.
    pub failure: Option<&'a str>,
}

/// Checks the regexes of a [`Change`]: parameter name, pattern.
pub(crate) fn check_regexes(regexes: &[(&str, Option<&str>)]) -> Result<(), ParamError> {
    for (name, pattern) in regexes {
        if let Some(p) = pattern {
            ParamError::regex(name, p)?;
        }
    }
    Ok(())
}

/// The settings a command that moves to another shell types there (`set_timeout`, then
/// `set_prompt`): one at a time, each once the echo of the last one came back, so none is
/// typed ahead of the shell. [`PromptChange`] and the unix login dialog (ssh, telnet, su, sudo)
/// type them; each says at which prompt.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    queue: VecDeque<String>,
    /// The last setting typed, until its echo is seen.
    awaiting_echo: Option<String>,
}

impl Settings {
    /// The settings to type, in order (empty ones are none).
    pub(crate) fn new(settings: impl IntoIterator<Item = String>) -> Self {
        let queue = settings.into_iter().filter(|s| !s.is_empty()).collect();
        Settings { queue, awaiting_echo: None }
    }

    /// A whole line the device printed: the echo of the last setting typed, if it holds it.
    pub(crate) fn note(&mut self, line: &str) {
        if self.awaiting_echo.as_deref().is_some_and(|s| is_echo_of(line, s)) {
            self.awaiting_echo = None;
        }
    }

    /// Whether the next setting may be typed: one is left and the last one's echo came.
    pub(crate) fn ready(&self) -> bool {
        self.awaiting_echo.is_none() && !self.queue.is_empty()
    }

    /// The next setting, to be typed now (its echo is awaited from here on), if
    /// [`ready`](Self::ready).
    pub(crate) fn type_next(&mut self) -> Option<String> {
        if !self.ready() {
            return None;
        }
        let setting = self.queue.pop_front()?;
        self.awaiting_echo = Some(setting.clone());
        Some(setting)
    }

    /// Whether a setting is still to be typed, or the echo of the last one to come.
    pub(crate) fn pending(&self) -> bool {
        !self.queue.is_empty() || self.awaiting_echo.is_some()
    }

    /// The settings not typed yet.
    pub(crate) fn untyped(&self) -> impl Iterator<Item = &str> {
        self.queue.iter().map(String::as_str)
    }
}

/// The parser of the other families' commands that move to another shell (adb's `adb_shell`,
/// juniper's `configure` and `exit_configure`, the PDU's `quit`, `exit_telnet`): Moler's
/// `CommandChangingPrompt` without passwords. Its result is `{}`.
///
/// It sends the settings (`set_timeout`, then `set_prompt`) at the prompt after login, one per
/// prompt and each once the previous one's echo came back, and ends at the expected prompt when
/// nothing is pending. Built for a shell with a known prompt
/// ([`UnixCommand::parser_for`](crate::UnixCommand::parser_for)), that prompt seen again proves
/// the move failed; a failure line (`error: device not found`) ends the command once the shell
/// it started from shows its prompt again.
#[derive(Debug)]
pub struct PromptChange {
    after_login: Arc<Regex>,
    settings: Settings,
    /// Something was sent since the last whole line (Moler's `_sent`).
    sent: bool,
    allowed_newline_after_prompt: bool,
    /// The start prompt as proof of failure (`None`: unknown, or written as a target prompt).
    start: Option<Arc<Regex>>,
    /// Where a failure ends: the start prompt, or any prompt when it is unknown.
    home: Arc<Regex>,
    failures: Option<Arc<Regex>>,
    /// The target prompts, to say when the start prompt line matches one as well.
    targets: [Arc<Regex>; 2],
    last_line: Option<String>,
    failure: Option<String>,
    back_home: bool,
}

impl PromptChange {
    /// The parser for `change`, started from the shell whose prompt is `start` (a regex).
    /// Regexes that do not compile are the text itself (the command checks them first).
    pub(crate) fn new(change: Change<'_>, start: Option<&str>) -> Self {
        let after_login = change.prompt_after_login.unwrap_or(change.expected_prompt);
        // A target prompt written exactly as the start prompt says nothing about which shell
        // answers: nothing to verify.
        let start = start.filter(|s| *s != change.expected_prompt && *s != after_login);
        Self {
            after_login: compile(after_login),
            settings: Settings::new(change.settings),
            sent: false,
            allowed_newline_after_prompt: change.allowed_newline_after_prompt,
            start: start.map(compile),
            home: compile(start.unwrap_or(DEFAULT_PROMPT)),
            failures: change.failure.map(compile),
            targets: [compile(change.expected_prompt), compile(after_login)],
            last_line: None,
            failure: None,
            back_home: false,
        }
    }

    /// Whether the line shows the shell the command started from: after a failure, where the
    /// command ends; before, proof that the move failed. Nothing else may answer such a line.
    fn back_at_start(&mut self, line: &str) -> bool {
        if self.back_home {
            return true;
        }
        if self.failure.is_some() {
            self.back_home = shows(&self.home, line);
            return self.back_home;
        }
        if !self.start.as_ref().is_some_and(|r| shows(r, line)) {
            return false;
        }
        let prompt = line.trim();
        let mut why = match &self.last_line {
            Some(last) => format!("{last} (back at the start prompt {prompt:?})"),
            None => format!("back at the start prompt {prompt:?} with no output"),
        };
        if self.targets.iter().any(|t| t.is_match(line)) {
            why.push_str(
                "; the start prompt and a target prompt both match it, so the device cannot \
                 tell which shell answered",
            );
        }
        self.failure = Some(why);
        self.back_home = true;
        true
    }

    /// Whether the expected prompt on this line is the end: nothing sent or pending.
    fn is_final(&self, partial: bool) -> bool {
        (partial || self.allowed_newline_after_prompt)
            && !self.sent
            && self.failure.is_none()
            && !self.settings.pending()
    }
}

impl Parser for PromptChange {
    type Output = Empty;

    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.back_at_start(line) {
            return Ok(());
        }
        if !partial {
            if !line.trim().is_empty() {
                self.last_line = Some(line.trim().to_owned());
            }
            if self.failure.is_none() && self.failures.as_ref().is_some_and(|f| f.is_match(line)) {
                self.failure = Some(line.trim().to_owned());
            }
            self.settings.note(line);
        }
        if self.failure.is_none()
            && !self.sent
            && self.settings.ready()
            && self.after_login.is_match(line)
        {
            if let Some(setting) = self.settings.type_next() {
                cx.sendline(&setting);
                self.sent = true;
            }
        }
        if !partial {
            self.sent = false;
        }
        Ok(())
    }

    fn on_prompt(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> bool {
        // Not the end: the line goes on to `on_line` (settings, the start prompt's failure).
        !self.back_at_start(line) && self.is_final(partial)
    }

    fn ended(&self) -> Option<End> {
        match &self.failure {
            Some(why) if self.back_home => Some(End::Failed(why.clone())),
            _ => None,
        }
    }

    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

/// Whether `line` shows `prompt`, also right after the `^C` of an interrupted client.
fn shows(prompt: &Regex, line: &str) -> bool {
    prompt.is_match(line) || line.strip_prefix("^C").is_some_and(|l| prompt.is_match(l))
}

/// A regex given as a parameter (checked when the command was built), or the text itself.
fn compile(pattern: &str) -> Arc<Regex> {
    moler_core::cached_regex(pattern).unwrap_or_else(|_| {
        moler_core::cached_regex(&regex::escape(pattern)).expect("an escaped text is a regex")
    })
}

/// Whether `line` echoes `sent`: it holds its first or last 20 characters (as Moler recognises
/// echoes; a shell may redraw the middle of a long line).
fn is_echo_of(line: &str, sent: &str) -> bool {
    let chars: Vec<char> = sent.chars().collect();
    let head: String = chars.iter().take(20).collect();
    let tail: String = chars[chars.len().saturating_sub(20)..].iter().collect();
    line.contains(&head) || line.contains(&tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sent;
    use moler_core::{Command, Connection};
    use std::time::Instant;

    fn start(
        change: Change<'_>,
        start: Option<&str>,
    ) -> (Connection, moler_core::Completion<Empty>) {
        let expected = change.expected_prompt.to_owned();
        let mut conn = Connection::new("t");
        let cmd = Command::new("go", PromptChange::new(change, start))
            .no_default_failures()
            .ret_required(false)
            .prompt(&expected);
        let done = conn.start(cmd, Instant::now());
        let _ = conn.poll_transmit(&mut Vec::new());
        (conn, done)
    }

    #[test]
    fn settings_go_one_per_prompt_after_login_and_the_end_waits_for_their_echoes() {
        let change = Change {
            expected_prompt: r"^new\$ ",
            prompt_after_login: Some(r"^old\$ "),
            settings: vec!["export TMOUT=0".into(), "export PS1='new$ '".into()],
            ..Default::default()
        };
        let (mut conn, done) = start(change, Some("^home# $"));
        conn.handle_input(b"go\nold$ ", Instant::now());
        assert_eq!(sent(&mut conn), "export TMOUT=0\n");
        conn.handle_input(b"export TMOUT=0\nold$ ", Instant::now());
        assert_eq!(sent(&mut conn), "export PS1='new$ '\n");
        conn.handle_input(b"export PS1='new$ '\n", Instant::now());
        assert!(!done.is_done());
        conn.handle_input(b"new$ ", Instant::now());
        assert!(done.try_result().unwrap().is_ok());
    }

    #[test]
    fn the_start_prompt_again_fails_with_the_last_line() {
        let change = Change { expected_prompt: "^far> $", ..Default::default() };
        let (mut conn, done) = start(change, Some("^home# $"));
        conn.handle_input(b"go\nno route to far\nhome# ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("no route to far (back at the start prompt \"home#\")"), "{err}");
    }

    #[test]
    fn a_failure_line_ends_at_the_start_prompt_and_a_line_matching_both_is_no_proof() {
        let change = Change {
            expected_prompt: "^far> $",
            failure: Some("(?i)^error:"),
            ..Default::default()
        };
        let (mut conn, done) = start(change, None);
        conn.handle_input(b"go\nerror: no devices\n", Instant::now());
        assert!(!done.is_done(), "waits for a prompt");
        conn.handle_input(b"moler_bash# ", Instant::now());
        let err = done.try_result().unwrap().unwrap_err().to_string();
        assert!(err.contains("error: no devices"), "{err}");

        let change = Change { expected_prompt: "> $", ..Default::default() };
        let (mut conn, done) = start(change, Some("> $"));
        conn.handle_input(b"go\n> ", Instant::now());
        assert!(done.try_result().unwrap().is_ok(), "same text: nothing to verify");
    }
}
