//! `telnet`: [`Telnet`] and its parameters; its parser and result are [`Ssh`](super::Ssh)'s.

use std::collections::VecDeque;
use std::time::Duration;

use moler_core::Command;
use serde::{Deserialize, Serialize};

use super::dialog::Passwords;
use super::parse::yes;
use super::ssh::{
    default_newline, default_term, default_tmout, with_param, Client, LoginParser, LoginResult,
    LoginSpec, Port, TelnetCommands, LOGIN_TIMEOUT,
};
use crate::spec::{push_opt, UnixCommand};
use crate::ParamError;

fn default_expected_telnet() -> String {
    r"^>\s*".to_owned()
}

fn default_telnet_prompt() -> String {
    r"^\s*telnet>\s*".to_owned()
}

/// `TERM=xterm-mono telnet [prefix] host [port]`: answers `login:` and password questions,
/// sends a line end on `has just connected`, then the settings, and ends at `expected_prompt`
/// (default `^>\s*`).
///
/// Commands for the telnet client itself, as Moler gives them: with
/// `cmds_before_establish_connection` the command is `telnet [prefix]` and each command goes
/// at a `telnet>` prompt (`telnet_prompt`), then `open host [port]`; with
/// `cmds_after_establish_connection`, once logged in (settings sent), Ctrl-] opens the
/// client's prompt, each command goes at one, and the target newline returns to the session,
/// whose prompt ends the command.
///
/// ```
/// use moler_commands::unix::Telnet;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let pdu = Telnet::new("10.0.0.5", 0, "^>")
///     .with("cmds_before_establish_connection", ["unset binary"]).unwrap()
///     .with("set_timeout", ()).unwrap();
/// assert_eq!(pdu.command_line().unwrap(), "TERM=xterm-mono telnet");
/// let mut conn = Connection::new("pdu");
/// let t = Instant::now();
/// let done = conn.start(pdu.build(Some("^\\$ $")), t);
/// let mut sent = Vec::new();
/// for answer in ["TERM=xterm-mono telnet\ntelnet> ", "unset binary\ntelnet> ", "open 10.0.0.5\nConnected.\n> "] {
///     conn.handle_input(answer.as_bytes(), t);
///     conn.poll_transmit(&mut sent);
/// }
/// assert_eq!(String::from_utf8(sent).unwrap(), "TERM=xterm-mono telnet\nunset binary\nopen 10.0.0.5\n");
/// assert!(done.try_result().unwrap().is_ok());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telnet {
    /// The host.
    pub host: String,
    /// Answer to `login:`.
    pub login: Option<String>,
    /// Same as `login` (give one of them).
    pub username: Option<String>,
    /// Password(s), in order of the questions.
    pub password: Option<Passwords>,
    /// The port after the host.
    pub port: Option<Port>,
    /// Options before the host (`-4`).
    pub prefix: Option<String>,
    /// The prompt after login (regex; default `^>\s*`).
    #[serde(default = "default_expected_telnet")]
    pub expected_prompt: String,
    /// The prompt at which the settings are sent, when it differs from `expected_prompt`.
    pub prompt_after_login: Option<String>,
    /// Sent at the first prompt (default `export TMOUT="2678400"`; null: nothing).
    #[serde(default = "default_tmout", deserialize_with = "super::parse::set_timeout_value")]
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
    #[serde(default, deserialize_with = "super::parse::set_prompt_value")]
    pub set_prompt: Option<String>,
    /// Prefix of the command (default `TERM=xterm-mono`).
    #[serde(default = "default_term")]
    pub term_mono: Option<String>,
    /// Answer further password questions with the last password (default on).
    #[serde(default = "yes")]
    pub repeat_password: bool,
    /// The final prompt may be followed by a line end.
    #[serde(default)]
    pub allowed_newline_after_prompt: bool,
    /// Regex of lines that look like failures but are not.
    pub failure_exceptions_indication: Option<String>,
    /// Regex replacing the failure patterns.
    pub failure_indication: Option<String>,
    /// Send a line end on `has just connected` (default on).
    #[serde(default = "yes")]
    pub send_enter_after_connection: bool,
    /// The remote newline (default `\n`).
    #[serde(default = "default_newline")]
    pub target_newline: String,
    /// Hide passwords in logs (always done; kept for Moler's configs).
    #[serde(default = "yes")]
    pub encrypt_password: bool,
    /// Commands for the telnet client before it connects (then `open host [port]`).
    pub cmds_before_establish_connection: Option<Vec<String>>,
    /// Commands for the telnet client once logged in (after Ctrl-]).
    pub cmds_after_establish_connection: Option<Vec<String>>,
    /// The telnet client's prompt (regex; default `^\s*telnet>\s*`).
    #[serde(default = "default_telnet_prompt")]
    pub telnet_prompt: String,
}

impl Telnet {
    /// The parts of the parser shared with ssh.
    fn spec(&self) -> LoginSpec<'_> {
        LoginSpec {
            client: Client::Telnet,
            host: self.host.clone(),
            login: self.login.clone().or_else(|| self.username.clone()),
            password: &self.password,
            expected_prompt: &self.expected_prompt,
            prompt_after_login: &self.prompt_after_login,
            settings: [&self.set_timeout, &self.set_prompt],
            repeat_password: self.repeat_password,
            allowed_newline_after_prompt: self.allowed_newline_after_prompt,
            failure_exceptions_indication: &self.failure_exceptions_indication,
            failure_indication: &self.failure_indication,
            send_enter_after_connection: self.send_enter_after_connection,
            target_newline: &self.target_newline,
        }
    }

    /// telnet to `host` (and `port`, when not 0), ending at `expected_prompt`.
    pub fn new(host: &str, port: u16, expected_prompt: &str) -> Self {
        let mut t: Telnet =
            serde_json::from_value(serde_json::json!({"host": host})).expect("all defaults");
        t.port = Some(Port::Number(port.into()));
        t.expected_prompt = expected_prompt.to_owned();
        t
    }

    /// Sets a field from its Moler name and JSON value (`login`, `password`, `set_prompt`…).
    pub fn with(self, name: &str, value: impl Serialize) -> Result<Self, ParamError> {
        with_param(self, name, value)
    }

    fn before(&self) -> &[String] {
        self.cmds_before_establish_connection.as_deref().unwrap_or_default()
    }

    /// `host [port]` (no port when it is 0, as Moler).
    fn host_port(&self) -> String {
        match Port::render(&self.port) {
            Some(port) => format!("{} {port}", self.host),
            None => self.host.clone(),
        }
    }
}

impl UnixCommand for Telnet {
    const NAME: &'static str = "telnet";
    type Parser = LoginParser;
    type Output = LoginResult;
    fn command_line(&self) -> Result<String, ParamError> {
        self.spec().check_regexes()?;
        ParamError::regex("telnet_prompt", &self.telnet_prompt)?;
        if self.login.is_some() && self.username.is_some() {
            return Err("set login or username, not both".into());
        }
        super::parse::required("host", &self.host)?;
        let mut line = String::new();
        push_opt(&mut line, self.term_mono.as_deref());
        push_opt(&mut line, Some("telnet"));
        push_opt(&mut line, self.prefix.as_deref());
        if self.before().is_empty() {
            push_opt(&mut line, Some(&self.host_port()));
        }
        Ok(line.trim_start().to_owned())
    }
    fn parser(&self) -> LoginParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> LoginParser {
        let parser = self.spec().parser(self.command_line().unwrap_or_default(), shell_prompt);
        let mut before: VecDeque<String> = self.before().iter().cloned().collect();
        if !before.is_empty() {
            before.push_back(format!("open {}", self.host_port()));
        }
        let mut after: VecDeque<String> =
            self.cmds_after_establish_connection.iter().flatten().cloned().collect();
        if !after.is_empty() {
            after.push_back(self.target_newline.clone());
        }
        if before.is_empty() && after.is_empty() {
            return parser;
        }
        // Checked by `command_line` (through the cache) before a command is built.
        let prompt = moler_core::cached_regex(&self.telnet_prompt)
            .unwrap_or_else(|_| moler_core::cached_regex(&default_telnet_prompt()).expect("valid"));
        parser.with_telnet_commands(TelnetCommands { prompt, before, after, command_mode: false })
    }
    fn setup(&self, command: Command<LoginParser>) -> Command<LoginParser> {
        command.no_default_failures().ret_required(false)
    }
    fn default_timeout(&self) -> Duration {
        LOGIN_TIMEOUT
    }
    fn end_prompt<'a>(&'a self, _shell_prompt: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}
