//! `sudo`: [`Sudo`], its parameters and its parser, which [`Su`](super::Su) shares; the result
//! is the embedded command's.

use std::sync::Arc;

use moler_core::{Command, Context, End, ParseResult, Parser, DEFAULT_PROMPT};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dialog::{Dialog, Passwords};
use super::parse::regex;
use crate::spec::{push_opt, UnixCommand};
use crate::{ParamError, Registry};

/// Parser of [`Sudo`] and [`Su`](super::Su): answers the password question, keeps the dialog's lines
/// (password question, `Sorry, try again.`) from the embedded command's parser and gives it the
/// rest; the result is the embedded command's (or `{}` for a shell).
pub struct SudoParser<P> {
    dialog: Dialog,
    inner: P,
    /// No embedded command: a shell (`sudo -i`, `su`) ending at the expected prompt.
    shell: bool,
    su: bool,
    password: Arc<Regex>,
    wrong_password: Arc<Regex>,
    error: Arc<Regex>,
    sent_password: bool,
}

impl<P> std::fmt::Debug for SudoParser<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SudoParser").field("su", &self.su).finish_non_exhaustive()
    }
}

impl<P: Parser> SudoParser<P> {
    /// Whether the line is the dialog's (not for the embedded command).
    fn dialog_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        let d = &mut self.dialog;
        if self.password.is_match(line) {
            if !self.sent_password {
                d.answer_password(cx);
                self.sent_password = true;
            }
            if !partial {
                self.sent_password = false;
            }
            return true;
        }
        if !partial {
            self.sent_password = false;
        }
        // Failures are whole lines: a read cut inside one would quote half of it.
        if self.wrong_password.is_match(line) {
            if !partial && (self.su || d.passwords.is_empty()) {
                d.fail(format!("wrong password: {line}"));
            }
            return true;
        }
        if self.error.is_match(line) {
            if !partial {
                d.fail(line);
            }
            return true;
        }
        false
    }
}

impl<P: Parser> Parser for SudoParser<P> {
    type Output = P::Output;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.dialog.back_at_start(line) {
            return Ok(());
        }
        let mine = self.dialog_line(line, partial, cx);
        let result = if mine { Ok(()) } else { self.inner.on_line(line, partial, cx) };
        self.dialog.on_line(line, partial, cx);
        result
    }
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        if self.dialog.back_at_start(line) {
            return false;
        }
        if self.dialog.failure.is_some() {
            self.dialog.back_home = true;
            return false;
        }
        if self.shell {
            self.dialog.is_final(partial)
        } else {
            self.inner.on_prompt(line, partial, cx)
        }
    }
    fn ended(&self) -> Option<End> {
        // The embedded command may end without a prompt too (`reboot`: the connection closes).
        self.dialog.ended().or_else(|| self.inner.ended())
    }
    fn timeout_hint(&self, last_line: &str) -> Option<String> {
        self.dialog.timeout_hint(last_line).or_else(|| self.inner.timeout_hint(last_line))
    }
    fn finish(&mut self) -> ParseResult<P::Output> {
        self.inner.finish()
    }
}

/// `cmd_class_name` as Moler writes it (`moler.cmd.unix.ls.Ls`) or a plain name (`ls`): the
/// registry name.
fn embedded_name(class: &str) -> &str {
    let parts: Vec<&str> = class.split('.').collect();
    match parts.len() {
        0 | 1 => class,
        n => parts[n - 2],
    }
}

pub(super) fn embed(
    class: &Option<String>,
    params: &Option<Value>,
) -> Result<Option<crate::Embedded>, ParamError> {
    let Some(class) = class.as_deref().filter(|c| !c.is_empty()) else {
        if params.is_some() {
            return Err("`cmd_params` needs `cmd_class_name`".into());
        }
        return Ok(None);
    };
    let params = params.clone().unwrap_or(Value::Null);
    Ok(Some(Registry::default().embedded(embedded_name(class), &params)?))
}

/// The parser of the embedded command, or (none, or one that cannot be built: the command line
/// already failed) a parser whose result is `{}`, and whether it is a shell.
pub(super) fn embedded_parser(
    class: &Option<String>,
    params: &Option<Value>,
) -> (Box<dyn Parser<Output = Value>>, bool) {
    match embed(class, params) {
        Ok(Some(e)) => (e.parser, false),
        _ => (Box::new(crate::JsonParser(super::parse::Nothing)), true),
    }
}

/// `sudo [sudo_params] [command]`: answers `[sudo] password for …:` and runs the embedded
/// command (`cmd_class_name` + `cmd_params`, Moler's names), whose result it returns; without
/// one it is a shell (`sudo -i`, `sudo su`) ending at `expected_prompt`. A wrong password
/// (with none left to try), `sudo: … command not found` or sudo's errors fail it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sudo {
    /// Password(s), in order of the questions.
    pub password: Option<Passwords>,
    /// Options of sudo (`-i`, `-u user`).
    pub sudo_params: Option<String>,
    /// The embedded command: a registry name (`ls`) or Moler's class (`moler.cmd.unix.ls.Ls`).
    pub cmd_class_name: Option<String>,
    /// Its parameters.
    pub cmd_params: Option<Value>,
    /// The prompt at the end (a shell: `sudo -i`); default: the shell's.
    pub expected_prompt: Option<String>,
    /// The prompt at which the settings are sent, when it differs from `expected_prompt`.
    pub prompt_after_login: Option<String>,
    /// Sent at the first prompt of the new shell.
    #[serde(default, deserialize_with = "super::parse::set_timeout_value")]
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
    #[serde(default, deserialize_with = "super::parse::set_prompt_value")]
    pub set_prompt: Option<String>,
    /// Answer further password questions with the last password (default on).
    pub repeat_password: Option<bool>,
    /// The final prompt may be followed by a line end.
    #[serde(default)]
    pub allowed_newline_after_prompt: bool,
    /// Hide passwords in logs (always done; kept for Moler's configs).
    pub encrypt_password: Option<bool>,
    /// The newline after the password (default `\n`).
    pub target_newline: Option<String>,
}

impl Sudo {
    /// sudo with nothing set: add a password, and a command by name or with [`Sudo::wrap`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the password.
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The typed command `inner` run through sudo, for a shell with prompt `shell_prompt`: its
    /// result is `inner`'s.
    pub fn wrap<T: UnixCommand>(
        &self,
        inner: &T,
        shell_prompt: Option<&str>,
    ) -> Command<SudoParser<T::Parser>> {
        let prompt = self.expected_prompt.as_deref().or(shell_prompt).unwrap_or(DEFAULT_PROMPT);
        let (line, parser) = match self.check_prompts().and_then(|()| inner.command_line()) {
            Ok(l) => (format!("{} {l}", self.head()), inner.parser()),
            Err(e) => {
                let c = Command::new(
                    String::new(),
                    self.sudo_parser(inner.parser(), false, shell_prompt, false),
                );
                let why = moler_core::Report(&e);
                return c.fail_at_start(moler_core::Error::WrongUsage(format!("sudo: {why}")));
            }
        };
        let c =
            Command::new(line, self.sudo_parser(parser, false, shell_prompt, false)).prompt(prompt);
        sudo_setup(c)
    }

    /// Its prompts are regexes (as su's: [`Su`](super::Su) checks them through this).
    pub(super) fn check_prompts(&self) -> Result<(), ParamError> {
        crate::prompt_change::check_regexes(&[
            ("expected_prompt", self.expected_prompt.as_deref()),
            ("prompt_after_login", self.prompt_after_login.as_deref()),
        ])
    }

    fn head(&self) -> String {
        let mut line = "sudo".to_owned();
        push_opt(&mut line, self.sudo_params.as_deref());
        line
    }

    pub(super) fn sudo_parser<P>(
        &self,
        inner: P,
        shell: bool,
        shell_prompt: Option<&str>,
        su: bool,
    ) -> SudoParser<P> {
        let expected = self.expected_prompt.as_deref().or(shell_prompt).unwrap_or(DEFAULT_PROMPT);
        let after_login = self.prompt_after_login.as_deref().unwrap_or(expected);
        // With an embedded command (`sudo ls`) the start prompt is the success.
        let mut dialog = Dialog::new(
            &self.password,
            [after_login, expected],
            shell_prompt,
            shell,
            [&self.set_timeout, &self.set_prompt],
        );
        dialog.repeat_password = self.repeat_password.unwrap_or(!su);
        dialog.allowed_newline_after_prompt = self.allowed_newline_after_prompt;
        if let Some(n) = &self.target_newline {
            dialog.target_newline = n.clone();
        }
        let (password, wrong, error) = if su {
            (
                r"(?i)^\s*password*:",
                r"(?i)su: Authentication failure",
                r"(?i)No passwd entry for user|su:\s+(invalid|unrecognized)\s+option|usage:\s+su|su:\s+not found|su:.*\bdoes not exist|su:.*unknown user",
            )
        } else {
            (
                r"(?i)\[sudo\] password for.*:",
                r"(?i)Sorry, try again\.",
                r"(?i)sudo:.*command not found|sudo:.*must be owned by uid\s+\d+\s+and have the setuid bit set|usage: sudo|sudo: \d+ incorrect password attempt|sudo: not found|is not in the sudoers file|sudo:.*unknown user",
            )
        };
        SudoParser {
            dialog,
            inner,
            shell,
            su,
            password: regex(password),
            wrong_password: regex(wrong),
            error: regex(error),
            sent_password: false,
        }
    }
}

pub(super) fn sudo_setup<P: Parser>(command: Command<P>) -> Command<P> {
    command.ret_required(false)
}

/// The parser of [`Sudo`] and [`Su`](super::Su) by name: the embedded command's result as JSON.
pub type JsonSudoParser = SudoParser<Box<dyn Parser<Output = Value>>>;

impl UnixCommand for Sudo {
    const NAME: &'static str = "sudo";
    type Parser = JsonSudoParser;
    type Output = Value;
    fn command_line(&self) -> Result<String, ParamError> {
        self.check_prompts()?;
        let mut line = self.head();
        if let Some(inner) = embed(&self.cmd_class_name, &self.cmd_params)? {
            push_opt(&mut line, Some(&inner.line));
        }
        Ok(line)
    }
    fn parser(&self) -> JsonSudoParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> JsonSudoParser {
        let (inner, shell) = embedded_parser(&self.cmd_class_name, &self.cmd_params);
        self.sudo_parser(inner, shell, shell_prompt, false)
    }
    fn setup(&self, command: Command<JsonSudoParser>) -> Command<JsonSudoParser> {
        sudo_setup(command)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}
