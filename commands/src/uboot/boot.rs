//! `uboot.boot`: [`Boot`] and its parser.

use std::sync::Arc;
use std::time::Duration;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::spec::{Empty, UnixCommand};
use crate::ParamError;

const LOGIN_PROMPT: &str = r"login:\s*$";
const PASSWORD_PROMPT: &str = r"[Pp]assword:\s*$";
const REFUSED: &str = r"Login incorrect|Authentication failure|Permission denied";

/// Boots Linux from U-Boot and logs in on the console: sends `boot_command` (default `boot`),
/// answers the console's `login:` with `login` (default `root`) and its `Password:` with
/// `password` (never logged), sends `set_prompt` at the shell's first prompt if given, and ends
/// at `expected_prompt`, the shell's prompt (required). A refused login (`Login incorrect`)
/// fails the command; a second login question is answered no more. Result `{}`. Default
/// timeout 180 s (a kernel boots slowly).
///
/// ```
/// use moler_commands::uboot::Boot;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("console");
/// let boot = conn.start(Boot::new(r"^root@board:~# ").password("secret").command(), Instant::now());
/// let mut sent = Vec::new();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"boot\n");
/// conn.handle_input(b"boot\r\nStarting kernel ...\r\n[    0.000000] Booting Linux\r\n\r\nboard login: ", Instant::now());
/// sent.clear();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"root\n");
/// conn.handle_input(b"root\r\nPassword: ", Instant::now());
/// sent.clear();
/// let _ = conn.poll_transmit(&mut sent);
/// assert_eq!(sent, b"secret\n");
/// conn.handle_input(b"\r\nroot@board:~# ", Instant::now());
/// assert!(boot.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boot {
    /// The Linux shell's prompt (required).
    pub expected_prompt: String,
    /// U-Boot's command that boots (default `boot`).
    pub boot_command: Option<String>,
    /// The user to log in as (default `root`).
    pub login: Option<String>,
    /// Its password, when the console asks for one.
    pub password: Option<String>,
    /// The console's login question (default `login:` at the end of a line).
    pub login_prompt: Option<String>,
    /// The password question (default `Password:` at the end of a line).
    pub password_prompt: Option<String>,
    /// Sent at the shell's first prompt (`export PS1='board# '`), when the prompt is set then.
    pub set_prompt: Option<String>,
    /// The first prompt after the login, where `set_prompt` is sent (default: a generic
    /// prompt ending in `$`, `#`, `>` or `%`).
    pub prompt_after_login: Option<String>,
    /// The newline of Linux's console (a device's hop parameter).
    pub target_newline: Option<String>,
}
crate::spec::builder!(Boot { expected_prompt: String }, boot_command, login, password, set_prompt);

/// Parser of [`Boot`]: the login dialog.
#[derive(Debug)]
pub struct BootParser {
    login: String,
    password: Option<String>,
    login_prompt: Arc<Regex>,
    password_prompt: Arc<Regex>,
    after_login: Arc<Regex>,
    refused: Arc<Regex>,
    set_prompt: Option<String>,
    logins: u32,
    passwords: u32,
    /// Something was sent for the partial line being shown: no second answer to it.
    answered: bool,
    failure: Option<String>,
}

impl Parser for BootParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if self.failure.is_some() {
            return Ok(());
        }
        if self.refused.is_match(line) {
            self.failure = Some(format!("the console refused the login: {}", line.trim()));
        } else if !self.answered && self.password_prompt.is_match(line) {
            self.answered = true;
            self.passwords += 1;
            match (&self.password, self.passwords) {
                (Some(p), 1) => {
                    cx.send_secret(p);
                    cx.send("\n");
                }
                (None, _) => {
                    self.failure = Some("the console asks for a password; none was given".into())
                }
                _ => self.failure = Some("the console asked for the password again".into()),
            }
        } else if !self.answered && self.login_prompt.is_match(line) {
            self.answered = true;
            self.logins += 1;
            if self.logins > 1 {
                self.failure = Some(format!("the console asked to log in again: {}", line.trim()));
            } else {
                cx.sendline(&self.login);
            }
        } else if !self.answered && self.logins > 0 && self.after_login.is_match(line) {
            if let Some(set) = self.set_prompt.take() {
                self.answered = true;
                cx.sendline(&set);
            }
        }
        if !partial {
            self.answered = false;
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> bool {
        // A login question is never the shell's prompt, whatever the prompt regex says: it goes
        // to `on_line`. The shell's prompt ends it once the settings went out (their echo comes
        // as a line).
        if self.login_prompt.is_match(line) || self.password_prompt.is_match(line) {
            return false;
        }
        partial && self.set_prompt.is_none() && self.failure.is_none()
    }
    fn ended(&self) -> Option<End> {
        self.failure.clone().map(End::Failed)
    }
    fn finish(&mut self) -> ParseResult<Empty> {
        Ok(Empty {})
    }
}

impl UnixCommand for Boot {
    const NAME: &'static str = "boot";
    type Parser = BootParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, ParamError> {
        if self.expected_prompt.trim().is_empty() {
            return Err("expected_prompt is required: the Linux shell's prompt".into());
        }
        ParamError::regex("expected_prompt", &self.expected_prompt)?;
        for (name, p) in [
            ("login_prompt", &self.login_prompt),
            ("password_prompt", &self.password_prompt),
            ("prompt_after_login", &self.prompt_after_login),
        ] {
            if let Some(p) = p {
                ParamError::regex(name, p)?;
            }
        }
        let line = self.boot_command.as_deref().unwrap_or("boot");
        if line.trim().is_empty() || line.contains(['\r', '\n']) {
            let why = format!("must be one non-empty line, not {line:?}");
            return Err(ParamError::value("boot_command", why));
        }
        Ok(line.to_owned())
    }
    fn parser(&self) -> BootParser {
        let re = |name: &str, given: &Option<String>, default: &str| {
            given
                .as_deref()
                .and_then(|p| ParamError::regex(name, p).ok())
                .unwrap_or_else(|| moler_core::cached_regex(default).expect("valid"))
        };
        BootParser {
            login: self.login.clone().unwrap_or_else(|| "root".to_owned()),
            password: self.password.clone(),
            login_prompt: re("login_prompt", &self.login_prompt, LOGIN_PROMPT),
            password_prompt: re("password_prompt", &self.password_prompt, PASSWORD_PROMPT),
            after_login: re("prompt_after_login", &self.prompt_after_login, r"[$#>%]\s*$"),
            refused: moler_core::cached_regex(REFUSED).expect("valid"),
            set_prompt: self.set_prompt.clone().filter(|s| !s.trim().is_empty()),
            logins: 0,
            passwords: 0,
            answered: false,
            failure: None,
        }
    }
    fn setup(&self, command: Command<BootParser>) -> Command<BootParser> {
        command.no_default_failures().ret_required(false)
    }
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(180)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}
