//! `su`: [`Su`] and its parameters; its parser is [`Sudo`](super::Sudo)'s.

use moler_core::Command;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dialog::Passwords;
use super::sudo::{embed, embedded_parser, sudo_setup, JsonSudoParser, Sudo};
use crate::spec::{push_opt, UnixCommand};
use crate::ParamError;

/// `su [options] [-c 'command'] [login]`: answers `Password:`, runs the embedded command
/// (`cmd_class_name` + `cmd_params`) and returns its result; without one it is a shell ending at
/// `expected_prompt`. `su: Authentication failure` fails it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Su {
    /// The user (none: root).
    pub login: Option<String>,
    /// Options (`-`, `-l`).
    pub options: Option<String>,
    /// The password.
    pub password: Option<Passwords>,
    /// The embedded command: a registry name or Moler's class.
    pub cmd_class_name: Option<String>,
    /// Its parameters.
    pub cmd_params: Option<Value>,
    /// The prompt of the new shell.
    pub expected_prompt: Option<String>,
    /// The prompt at which the settings are sent, when it differs from `expected_prompt`.
    pub prompt_after_login: Option<String>,
    /// Sent at the first prompt of the new shell.
    #[serde(default, deserialize_with = "super::parse::set_timeout_value")]
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
    #[serde(default, deserialize_with = "super::parse::set_prompt_value")]
    pub set_prompt: Option<String>,
    /// Answer further password questions with the last password (default off).
    pub repeat_password: Option<bool>,
    /// The final prompt may be followed by a line end.
    #[serde(default)]
    pub allowed_newline_after_prompt: bool,
    /// Hide passwords in logs (always done; kept for Moler's configs).
    pub encrypt_password: Option<bool>,
    /// The newline after the password (default `\n`).
    pub target_newline: Option<String>,
}

impl Su {
    fn as_sudo(&self) -> Sudo {
        Sudo {
            password: self.password.clone(),
            expected_prompt: self.expected_prompt.clone(),
            prompt_after_login: self.prompt_after_login.clone(),
            set_timeout: self.set_timeout.clone(),
            set_prompt: self.set_prompt.clone(),
            repeat_password: self.repeat_password,
            allowed_newline_after_prompt: self.allowed_newline_after_prompt,
            target_newline: self.target_newline.clone(),
            ..Sudo::default()
        }
    }
}

impl UnixCommand for Su {
    const NAME: &'static str = "su";
    type Parser = JsonSudoParser;
    type Output = Value;
    fn command_line(&self) -> Result<String, ParamError> {
        self.as_sudo().check_prompts()?;
        let mut line = "su".to_owned();
        push_opt(&mut line, self.options.as_deref());
        if let Some(inner) = embed(&self.cmd_class_name, &self.cmd_params)? {
            line.push_str(&format!(" -c '{}'", inner.line.replace('\'', r"'\''")));
        }
        push_opt(&mut line, self.login.as_deref());
        Ok(line)
    }
    fn parser(&self) -> JsonSudoParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> JsonSudoParser {
        let (inner, shell) = embedded_parser(&self.cmd_class_name, &self.cmd_params);
        self.as_sudo().sudo_parser(inner, shell, shell_prompt, true)
    }
    fn setup(&self, command: Command<JsonSudoParser>) -> Command<JsonSudoParser> {
        sudo_setup(command)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}
