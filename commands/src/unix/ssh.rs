//! `ssh`: [`Ssh`], its parameters, its result and its parser. The parser and the result are
//! also [`Telnet`](super::Telnet)'s: the two clients share their login dialog.

use std::sync::Arc;
use std::time::Duration;

use moler_core::{Command, Context, End, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::dialog::{Dialog, Passwords};
use super::parse::{regex, yes};
use crate::spec::{push_opt, UnixCommand};
use crate::ParamError;

/// A port given as a number or as text (`1500` or `"1500"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "expected a port (a number or a text)")]
pub enum Port {
    /// A number; 0 means none.
    Number(u64),
    /// Text, as given.
    Text(String),
}

impl Port {
    pub(super) fn render(p: &Option<Port>) -> Option<String> {
        match p {
            None | Some(Port::Number(0)) => None,
            Some(Port::Number(n)) => Some(n.to_string()),
            Some(Port::Text(t)) if t.trim().is_empty() || t.trim() == "0" => None,
            Some(Port::Text(t)) => Some(t.trim().to_owned()),
        }
    }
}

/// The `Last login: …` line of a login (Moler's keys; `DATE` in ISO form when the date could be
/// read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastLogin {
    /// `from` or `on`.
    #[serde(rename = "KIND", skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<String>,
    /// The host or terminal.
    #[serde(rename = "WHERE", skip_serializing_if = "Option::is_none", default)]
    pub place: Option<String>,
    /// The date as printed.
    #[serde(rename = "RAW_DATE", skip_serializing_if = "Option::is_none", default)]
    pub raw_date: Option<String>,
    /// The date in ISO 8601 (`2017-11-23T10:38:16`, with an offset when one was printed).
    #[serde(rename = "DATE", skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
}

/// Result of [`Ssh`] and [`Telnet`](super::Telnet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResult {
    /// Every whole line after the echo, up to the final prompt.
    #[serde(rename = "LINES")]
    pub lines: Vec<String>,
    /// The last login, when the host printed it.
    #[serde(rename = "LAST_LOGIN")]
    pub last_login: LastLogin,
    /// `There were N failed login attempts…`.
    #[serde(rename = "FAILED_LOGIN_ATTEMPTS")]
    pub failed_login_attempts: Option<u64>,
}

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// A login date (`Thu Nov 23 10:38:16 2017`, `Sun Jan  6 13:42:05 UTC+2 2019`) in ISO 8601, as
/// Moler gives it: a `UTC+N` zone is read the POSIX way (N hours west, `-0N:00`), a zone name
/// other than UTC/GMT is dropped. `None` when it is not a valid date.
pub fn login_date(raw: &str) -> Option<String> {
    let mut w: Vec<&str> = raw.split_whitespace().collect();
    if w.first().is_some_and(|d| d.len() >= 3 && d.chars().all(|c| c.is_ascii_alphabetic()))
        && !MONTHS.contains(&w[0][..3].to_ascii_lowercase().as_str())
    {
        w.remove(0); // the weekday
    }
    let (month, day, time, rest) = match w.as_slice() {
        [m, d, t, rest @ ..] => (*m, *d, *t, rest),
        _ => return None,
    };
    // `get`: the first three bytes may end inside a character (`Thé Nov …`).
    let month = 1 + MONTHS
        .iter()
        .position(|m| month.get(..3).is_some_and(|start| start.eq_ignore_ascii_case(m)))?;
    let day: u32 = day.parse().ok()?;
    let hms: Vec<u32> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let (h, m, s) = match hms.as_slice() {
        [h, m] => (*h, *m, 0),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let (zone, year) = match rest {
        [y] => (None, *y),
        [z, y] => (Some(*z), *y),
        _ => return None,
    };
    let year: i32 = year.parse().ok()?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if day == 0 || day > days[month - 1] || h > 23 || m > 59 || s > 59 {
        return None;
    }
    let offset = match zone {
        None => String::new(),
        Some(z) => {
            let upper = z.to_ascii_uppercase();
            let named = ["UTC", "GMT"].iter().find_map(|n| upper.strip_prefix(n));
            match named {
                Some("") | Some("Z") => "+00:00".to_owned(),
                Some(n) => {
                    // `_checked`: what follows UTC may start with a multibyte character.
                    let (sign, hours) = n.split_at_checked(1)?;
                    let hours: u32 = hours.parse().ok()?;
                    // POSIX: UTC+2 is two hours behind.
                    let sign = if sign == "+" { '-' } else { '+' };
                    format!("{sign}{hours:02}:00")
                }
                None if (upper.starts_with('+') || upper.starts_with('-')) && upper.len() == 5 => {
                    // `get`: five bytes need not be five characters.
                    match (z.get(..3), z.get(3..)) {
                        (Some(hours), Some(minutes)) => format!("{hours}:{minutes}"),
                        _ => String::new(),
                    }
                }
                None => String::new(),
            }
        }
    };
    Some(format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{offset}"))
}

pub(super) fn default_tmout() -> Option<String> {
    Some(r#"export TMOUT="2678400""#.to_owned())
}
pub(super) fn default_term() -> Option<String> {
    Some("TERM=xterm-mono".to_owned())
}
fn default_ssh_options() -> Option<String> {
    Some("-o ServerAliveInterval=7 -o ServerAliveCountMax=2".to_owned())
}
fn default_keygen() -> Option<String> {
    Some("keygen".to_owned())
}
fn default_denied_keygen() -> Option<String> {
    Some(r#"ssh-keygen -f "~/.ssh/known_hosts" -R "{host}""#.to_owned())
}
pub(super) fn default_newline() -> String {
    "\n".to_owned()
}

/// Moler's default time for a login (ssh, telnet).
pub(super) const LOGIN_TIMEOUT: Duration = Duration::from_secs(90);

/// `TERM=xterm-mono ssh [-p port] [-l login] [options] host [suffix]`: logs in and answers the
/// host-key question (`yes`), passwords and passphrases, a changed host key (`ssh-keygen -R` or
/// `rm` of the known-hosts file, then ssh again, once), and sends `set_timeout`/`set_prompt` at
/// the first prompt. Ends at `expected_prompt`. The start prompt is the shell's (the command's
/// `prompt`); a refused login fails when it returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ssh {
    /// The host.
    pub host: Option<String>,
    /// `-l login`.
    pub login: Option<String>,
    /// Same as `login` (give one of them).
    pub username: Option<String>,
    /// Password(s), in order of the questions.
    pub password: Option<Passwords>,
    /// `-p port`.
    pub port: Option<Port>,
    /// The prompt after login (regex; default `>`).
    #[serde(default = "default_expected_ssh")]
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
    /// Options before the host (default `-o ServerAliveInterval=7 -o ServerAliveCountMax=2`).
    #[serde(default = "default_ssh_options")]
    pub options: Option<String>,
    /// After the host (a remote command, tunnel options…).
    pub suffix: Option<String>,
    /// `keygen` (default) or `rm`: how to drop a changed host key before trying again; null fails.
    #[serde(default = "default_keygen")]
    pub known_hosts_on_failure: Option<String>,
    /// Run when ssh says `Permission denied (publickey,password…)` (host-key trouble that
    /// disabled passwords), then ssh again; `{host}` is replaced.
    #[serde(default = "default_denied_keygen")]
    pub permission_denied_key_pass_keyboard: Option<String>,
    /// Take the `ssh-keygen …` line ssh suggests instead of the one above (default on).
    #[serde(default = "yes")]
    pub allow_override_denied_key_pass_keyboard: bool,
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
}

fn default_expected_ssh() -> String {
    ">".to_owned()
}
impl Ssh {
    /// ssh to `host` as `login` with `password`, ending at `expected_prompt`.
    pub fn new(host: &str, login: &str, password: &str, expected_prompt: &str) -> Self {
        let mut ssh: Ssh = serde_json::from_value(serde_json::json!({})).expect("all defaults");
        ssh.host = Some(host.to_owned());
        ssh.login = Some(login.to_owned());
        ssh.password = Some(password.into());
        ssh.expected_prompt = expected_prompt.to_owned();
        ssh
    }

    /// Sets a field from its Moler name and JSON value (`port`, `set_prompt`, `options`…).
    pub fn with(self, name: &str, value: impl Serialize) -> Result<Self, ParamError> {
        with_param(self, name, value)
    }
}

/// Changes one parameter of a serde struct by name.
pub(super) fn with_param<T: Serialize + serde::de::DeserializeOwned>(
    spec: T,
    name: &str,
    value: impl Serialize,
) -> Result<T, ParamError> {
    let mut v = serde_json::to_value(spec)?;
    v[name] = serde_json::to_value(value)?;
    Ok(serde_json::from_value(v)?)
}

/// Which client a [`LoginParser`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Client {
    Ssh,
    Telnet,
}

/// Parser of [`Ssh`] and [`Telnet`](super::Telnet).
#[derive(Debug)]
pub struct LoginParser {
    client: Client,
    dialog: Dialog,
    result: LoginResult,
    command_line: String,
    host: String,
    login: Option<String>,
    sent_login: bool,
    sent_yes: bool,
    resize_sent: bool,
    known_hosts_on_failure: Option<String>,
    keygen: Option<String>,
    allow_override: bool,
    overridden: bool,
    retried: bool,
    wrong_password: bool,
    /// ssh warned about the host key: a later `Permission denied (publickey,password…)` means
    /// passwords were disabled because of it, not that the password was wrong.
    host_key_warned: bool,
    send_enter_after_connection: bool,
    failure_indication: Option<Arc<Regex>>,
    failure_exception: Option<Arc<Regex>>,
    re: &'static LoginRegexes,
    /// telnet's own commands, at its `telnet>` prompt.
    telnet: Option<TelnetCommands>,
}

/// Commands given to the telnet client itself (Moler's `cmds_before_establish_connection`
/// and `cmds_after_establish_connection`), one at each of its prompts.
#[derive(Debug)]
pub(super) struct TelnetCommands {
    /// The client's prompt (`telnet> `).
    pub(super) prompt: Arc<Regex>,
    /// Before the connection, ending with `open host port`.
    pub(super) before: std::collections::VecDeque<String>,
    /// Once logged in, after Ctrl-] (ending with the target newline, back to the session).
    pub(super) after: std::collections::VecDeque<String>,
    /// Ctrl-] was sent: the client's prompt comes.
    pub(super) command_mode: bool,
}

#[derive(Debug)]
struct LoginRegexes {
    last_login: Arc<Regex>,
    attempts: Arc<Regex>,
    failed: Arc<Regex>,
    login: Arc<Regex>,
    ssh_password: Arc<Regex>,
    telnet_password: Arc<Regex>,
    connected: Arc<Regex>,
    host_key: Arc<Regex>,
    yes_no: Arc<Regex>,
    id_dsa: Arc<Regex>,
    denied_key_pass: Arc<Regex>,
    host_key_warning: Arc<Regex>,
    keygen_suggested: Arc<Regex>,
}

fn login_regexes() -> &'static LoginRegexes {
    static RE: std::sync::OnceLock<LoginRegexes> = std::sync::OnceLock::new();
    RE.get_or_init(|| LoginRegexes {
        last_login: regex(r"(?i)Last login:\s+(?P<date>.*?)\s+(?P<kind>from|on)\s+(?P<place>\S+)"),
        attempts: regex(
            r"(?i)There (?:were|was|have been) (\d+) (?:failed|unsuccessful) login attempts? since the last successful login",
        ),
        // Moler's, then the clients' connection errors (ssh's and telnet's spellings).
        failed: regex(concat!(
            r"(?i)Permission denied|closed by foreign host|telnet:.*Name or service not known|No route to host|ssh: Could not|is not a typo you can use command-not-found to lookup the package|command not found|Too many authentication failures|Received disconnect from|Authentication failed",
            r"|Connection refused|Connection timed out|Could not resolve hostname|Host key verification failed|Connection closed by|Network is unreachable|Unable to connect to remote host|Name or service not known|Unknown host",
        )),
        login: regex(r"(?i)login:\s*$"),
        ssh_password: regex(r"(?i)(password|Enter passphrase for key.*):"),
        telnet_password: regex(r"(?i)password:"),
        connected: regex(r"(?i)has just connected|\{bash_history,ssh\}|Escape character is"),
        host_key: regex(r"(?i)Add correct host key in (\S+) to get rid of this message"),
        yes_no: regex(r"(?i)\(y/n\)|\(yes/no.*\)\?|'yes' or 'no':"),
        id_dsa: regex(r"(?i)id_dsa:"),
        denied_key_pass: regex(r"(?i)Permission denied \(publickey,password.*\)|Host key verification failed"),
        keygen_suggested: regex(r"ssh-keygen.*"),
        host_key_warning: regex(
            r"(?i)Add correct host key|Offending \S+ key|REMOTE HOST IDENTIFICATION HAS CHANGED|man-in-the-middle|Host key verification failed",
        ),
    })
}

impl LoginParser {
    /// Moler's failure patterns, but `Permission denied, please try again` and `Permission
    /// denied (publickey,password…)` are handled by the dialog.
    fn is_failure(&self, line: &str) -> bool {
        if let Some(custom) = &self.failure_indication {
            return custom.is_match(line);
        }
        self.re.failed.find_iter(line).any(|m| {
            let after = line[m.end()..].trim_start();
            !(m.as_str().eq_ignore_ascii_case("Permission denied")
                && (line[m.end()..].starts_with(", please try again")
                    || (after.starts_with("(publickey,password") && after.contains(')'))))
        })
    }

    fn record(&mut self, line: &str) {
        self.result.lines.push(line.to_owned());
        if let Some(c) = self.re.last_login.captures(line) {
            let raw = c["date"].to_owned();
            self.result.last_login = LastLogin {
                kind: Some(c["kind"].to_owned()),
                place: Some(c["place"].to_owned()),
                date: login_date(&raw),
                raw_date: Some(raw),
            };
        } else if let Some(c) = self.re.attempts.captures(line) {
            self.result.failed_login_attempts = c[1].parse().ok();
        }
    }

    /// ssh's own questions; true if the line was one.
    fn ssh_dialog(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        if !partial && self.re.host_key_warning.is_match(line) {
            self.host_key_warned = true;
        }
        let d = &mut self.dialog;
        // A whole line only: cut into reads, its start (`ssh-keygen -f '/ro`, or only
        // `ssh-keygen`, which asks where to save a new key and waits) was taken and typed.
        if !partial && self.allow_override && !self.overridden {
            if let Some(m) = self.re.keygen_suggested.find(line) {
                self.keygen = Some(m.as_str().to_owned());
                self.overridden = true;
                return true;
            }
        }
        if !self.resize_sent && line.contains("999H") {
            self.resize_sent = true;
            d.send(cx, "");
            return true;
        }
        if !partial {
            if let Some(c) = self.re.host_key.captures(line) {
                if self.known_hosts_on_failure.is_some() {
                    let file = super::parse::shell_quote(&c[1]);
                    match self.known_hosts_on_failure.as_deref() {
                        Some("rm") => self.keygen = Some(format!("rm -f {file}")),
                        Some("keygen") => {
                            let host = super::parse::shell_quote(&self.host);
                            self.keygen = Some(format!("ssh-keygen -R {host} -f {file}"));
                        }
                        Some(other) => {
                            d.fail(format!("bad known_hosts_on_failure '{other}' (rm or keygen)"))
                        }
                        None => {}
                    }
                }
                return true;
            }
        }
        if !self.sent_yes && self.re.yes_no.is_match(line) {
            d.send(cx, "yes");
            self.sent_yes = true;
            return true;
        }
        if self.re.id_dsa.is_match(line) {
            if !d.sent {
                d.send(cx, "");
            }
            return true;
        }
        if !partial && self.re.denied_key_pass.is_match(line) {
            match self.keygen.clone().filter(|_| self.host_key_warned) {
                Some(fix) if !self.retried && !self.wrong_password => {
                    self.retried = true;
                    d.at_start_prompt.push_back(fix);
                    d.at_start_prompt.push_back(self.command_line.clone());
                }
                _ => d.fail(line),
            }
            return true;
        }
        false
    }
}

impl LoginParser {
    /// Gives telnet's own commands (see [`TelnetCommands`]).
    pub(super) fn with_telnet_commands(mut self, commands: TelnetCommands) -> Self {
        self.telnet = Some(commands);
        self
    }

    /// A command for the telnet client at its prompt; true if one was sent.
    fn telnet_command(&mut self, line: &str, cx: &mut Context<'_>) -> bool {
        let Some(t) = &mut self.telnet else { return false };
        let pending =
            if t.before.is_empty() && t.command_mode { &mut t.after } else { &mut t.before };
        if self.dialog.sent || pending.is_empty() || !t.prompt.is_match(line) {
            return false;
        }
        let command = pending.pop_front().expect("not empty");
        self.dialog.send(cx, &command);
        true
    }
}

impl Parser for LoginParser {
    type Output = LoginResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        if !partial {
            self.record(line);
        }
        if self.dialog.back_at_start(line) {
            return Ok(());
        }
        let handled = self.telnet_command(line, cx)
            || (self.client == Client::Ssh && self.ssh_dialog(line, partial, cx));
        if !handled {
            let re = self.re;
            let excused = self.failure_exception.as_ref().is_some_and(|e| e.is_match(line));
            let failure = self.is_failure(line);
            let d = &mut self.dialog;
            let password = match self.client {
                Client::Ssh => &re.ssh_password,
                Client::Telnet => &re.telnet_password,
            };
            // Failures are whole lines: a read cut after "Permission denied" is not one.
            if !partial && line.contains("Permission denied, please try again") {
                self.wrong_password = true;
                if d.passwords.is_empty() {
                    d.fail(format!("wrong password: {line}"));
                }
            } else if !partial && failure && !excused {
                if d.failure.is_none() {
                    d.fail(line);
                }
            } else if !self.sent_login
                && self.login.is_some()
                && re.login.is_match(line)
                && !line.trim_start().to_ascii_lowercase().starts_with("last login:")
            {
                // A read cut after `Last login:` is no question.
                let login = self.login.clone().expect("checked");
                cx.send(&login);
                cx.send(&d.target_newline.clone());
                self.sent_login = true;
                d.sent = false;
            } else if !d.sent && password.is_match(line) {
                d.answer_password(cx);
                self.sent_login = false;
            } else if self.send_enter_after_connection && re.connected.is_match(line) {
                cx.send(&d.target_newline.clone());
            }
        }
        self.dialog.on_line(line, partial, cx);
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        if self.dialog.back_at_start(line) {
            // Output then: `on_line` sees the start prompt again and `ended` fails the command.
            return false;
        }
        // The final prompt is never one of LINES, with or without a line end after it.
        if !self.dialog.is_final(partial) {
            return false;
        }
        match &mut self.telnet {
            // Not connected yet: the client's own prompt (`telnet> ` matches a generic
            // expected prompt), which `on_line` answers.
            Some(t) if !t.before.is_empty() => false,
            // Logged in, with commands for the client: Ctrl-] opens its prompt once the
            // settings are done (Moler sends it at the first expected prompt, so settings
            // still due would go to the client); the session's prompt comes back after the
            // last command.
            Some(t) if !t.after.is_empty() => {
                if !t.command_mode {
                    cx.send("\x1d");
                    t.command_mode = true;
                }
                false
            }
            _ => true,
        }
    }
    fn ended(&self) -> Option<End> {
        self.dialog.ended()
    }
    fn timeout_hint(&self, last_line: &str) -> Option<String> {
        self.dialog.timeout_hint(last_line)
    }
    fn finish(&mut self) -> ParseResult<LoginResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

pub(super) fn optional_regex(
    name: &str,
    r: &Option<String>,
) -> Result<Option<Arc<Regex>>, ParamError> {
    r.as_deref().filter(|r| !r.is_empty()).map(|r| ParamError::regex(name, r)).transpose()
}

/// ssh's and telnet's regex parameters, each checked by name.
/// The parts of ssh and telnet that build their parser.
pub(super) struct LoginSpec<'a> {
    pub(super) client: Client,
    pub(super) host: String,
    pub(super) login: Option<String>,
    pub(super) password: &'a Option<Passwords>,
    pub(super) expected_prompt: &'a str,
    pub(super) prompt_after_login: &'a Option<String>,
    pub(super) settings: [&'a Option<String>; 2],
    pub(super) repeat_password: bool,
    pub(super) allowed_newline_after_prompt: bool,
    pub(super) failure_exceptions_indication: &'a Option<String>,
    pub(super) failure_indication: &'a Option<String>,
    pub(super) send_enter_after_connection: bool,
    pub(super) target_newline: &'a str,
}

impl LoginSpec<'_> {
    /// Refuses, by name, a regex parameter that does not compile (the parser would read it as
    /// text).
    pub(super) fn check_regexes(&self) -> Result<(), ParamError> {
        crate::prompt_change::check_regexes(&[
            ("expected_prompt", Some(self.expected_prompt)),
            ("prompt_after_login", self.prompt_after_login.as_deref()),
            ("failure_exceptions_indication", self.failure_exceptions_indication.as_deref()),
            ("failure_indication", self.failure_indication.as_deref()),
        ])
    }

    pub(super) fn parser(self, command_line: String, shell_prompt: Option<&str>) -> LoginParser {
        let after_login = self.prompt_after_login.as_deref().unwrap_or(self.expected_prompt);
        let prompts = [after_login, self.expected_prompt];
        let mut dialog = Dialog::new(self.password, prompts, shell_prompt, true, self.settings);
        dialog.repeat_password = self.repeat_password;
        dialog.allowed_newline_after_prompt = self.allowed_newline_after_prompt;
        dialog.target_newline = self.target_newline.to_owned();
        LoginParser {
            client: self.client,
            dialog,
            result: LoginResult::default(),
            command_line,
            host: self.host,
            login: self.login,
            sent_login: false,
            sent_yes: false,
            resize_sent: false,
            known_hosts_on_failure: None,
            keygen: None,
            allow_override: false,
            overridden: false,
            retried: false,
            wrong_password: false,
            host_key_warned: false,
            send_enter_after_connection: self.send_enter_after_connection,
            failure_indication: optional_regex("failure_indication", self.failure_indication)
                .ok()
                .flatten(),
            failure_exception: optional_regex(
                "failure_exceptions_indication",
                self.failure_exceptions_indication,
            )
            .ok()
            .flatten(),
            re: login_regexes(),
            telnet: None,
        }
    }
}

impl Ssh {
    fn login_name(&self) -> Result<Option<&str>, ParamError> {
        match (self.login.as_deref(), self.username.as_deref()) {
            (Some(l), Some(u)) => {
                Err(format!("set login ('{l}') or username ('{u}'), not both").into())
            }
            (l, u) => Ok(l.or(u).filter(|s| !s.is_empty())),
        }
    }

    fn spec(&self) -> LoginSpec<'_> {
        LoginSpec {
            client: Client::Ssh,
            host: self.host.clone().unwrap_or_default(),
            login: self.login_name().ok().flatten().map(str::to_owned),
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
}

impl UnixCommand for Ssh {
    const NAME: &'static str = "ssh";
    type Parser = LoginParser;
    type Output = LoginResult;
    fn command_line(&self) -> Result<String, ParamError> {
        self.spec().check_regexes()?;
        let mut line = String::new();
        push_opt(&mut line, self.term_mono.as_deref());
        push_opt(&mut line, Some("ssh"));
        if let Some(port) = Port::render(&self.port) {
            line.push_str(&format!(" -p {port}"));
        }
        if let Some(login) = self.login_name()? {
            line.push_str(&format!(" -l {login}"));
        }
        push_opt(&mut line, self.options.as_deref());
        push_opt(&mut line, self.host.as_deref());
        push_opt(&mut line, self.suffix.as_deref());
        if self.host.as_deref().is_none_or(|h| h.trim().is_empty())
            && self.suffix.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            return Err(ParamError::Missing("host".into()));
        }
        Ok(line.trim_start().to_owned())
    }
    fn parser(&self) -> LoginParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> LoginParser {
        let line = self.command_line().unwrap_or_default();
        let mut p = self.spec().parser(line, shell_prompt);
        p.known_hosts_on_failure = self.known_hosts_on_failure.clone();
        p.allow_override = self.allow_override_denied_key_pass_keyboard;
        let host = self.host.clone().unwrap_or_default();
        p.keygen =
            self.permission_denied_key_pass_keyboard.as_ref().map(|k| k.replace("{host}", &host));
        p
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{offline, Registry};
    use serde_json::json;

    #[test]
    fn login_date_of_a_month_with_a_multibyte_character_is_none() {
        // Found by fuzzing (targets parse and cli): the month was cut at its third byte, inside
        // the character.
        assert_eq!(login_date("Th\u{fffd}v 2 3"), None);
        assert_eq!(login_date("Thé Nov 23 10:38:16 2017"), None);
        assert!(login_date("Thu Nov 23 10:38:16 2017").is_some());
    }

    #[test]
    fn set_timeout_false_or_null_sends_none() {
        let registry = Registry::default();
        let base = serde_json::json!({"host": "h", "login": "u", "password": "p", "expected_prompt": "u@"});
        for (name, value) in [("ssh", false), ("telnet", false)] {
            let mut params = base.clone();
            params["set_timeout"] = value.into();
            params["set_prompt"] = serde_json::Value::Null;
            assert!(registry.command(name, &params).is_ok(), "{name}");
        }
        let spec: Ssh =
            serde_json::from_value(serde_json::json!({"host": "h", "set_timeout": false})).unwrap();
        assert_eq!(spec.set_timeout, None);
        let spec: Ssh = serde_json::from_value(serde_json::json!({"host": "h"})).unwrap();
        assert_eq!(
            spec.set_timeout.as_deref(),
            Some(r#"export TMOUT="2678400""#),
            "Moler's default"
        );
        for (key, bad) in
            [("set_timeout", serde_json::json!(true)), ("set_prompt", serde_json::json!(3))]
        {
            let mut params = base.clone();
            params[key] = bad.clone();
            let e = registry.command("ssh", &params).err().unwrap().to_string();
            assert!(
                e.contains(&format!("{key} must be a command (text), false or null, not {bad}")),
                "{e}"
            );
        }
    }

    /// The hop that set_prompt cannot help: its settings wait for the prompt after login,
    /// which is the expected prompt when not given; the timeout says so, not only that the
    /// last line does not match the expected prompt.
    #[test]
    fn a_login_whose_settings_never_went_says_why_when_it_times_out() {
        let t = std::time::Instant::now();
        let run = |params: serde_json::Value, after: &str| {
            let mut params = params;
            params["timeout"] = 5.into();
            let ssh = Registry::default().command("ssh", &params).unwrap();
            let mut conn = moler_core::Connection::new("t");
            let done = conn.start(ssh, t);
            let mut out = Vec::new();
            let _ = conn.poll_transmit(&mut out);
            let sent = String::from_utf8(out).unwrap();
            conn.handle_input(format!("{}\r\n", sent.trim_end()).as_bytes(), t);
            conn.handle_input(b"Password: ", t);
            conn.handle_input(b"\r\nLast login: Tue Dec  1 09:53:27 2026\r\n", t);
            conn.handle_input(after.as_bytes(), t);
            conn.handle_timeout(t + std::time::Duration::from_secs(5));
            done.try_result().expect("timed out").unwrap_err().to_string()
        };
        let base = json!({"host": "h", "login": "u", "password": "p",
                          "expected_prompt": r"^remote\$ ", "set_prompt": "export PS1='remote$ '"});
        let e = run(base.clone(), "u@vm:~$ ");
        assert!(
            e.contains(r#"prompt_after_login (not given, so the expected prompt ^remote\$ ) does not match the prompt the shell shows, "u@vm:~$ ""#)
                && e.contains(r#"the settings not typed yet ("export TMOUT=\"2678400\"", "export PS1='remote$ '")"#),
            "{e}"
        );
        let mut given = base.clone();
        given["prompt_after_login"] = "^x> $".into();
        let e = run(given, "u@vm:~$ ");
        assert!(e.contains("prompt_after_login ^x> $ does not match"), "{e}");
        // Still at the password question, or the settings typed: not this hint.
        let mut matching = base.clone();
        matching["prompt_after_login"] = r"[$#>]\s*$".into();
        for (params, after) in [(base, "Password: "), (matching, "u@vm:~$ ")] {
            let e = run(params, after);
            assert!(!e.contains("the settings not typed yet"), "{e}");
        }
    }

    /// Each setting goes at a prompt after the last one's echo: the prompt that answers the
    /// empty line sent before a setting comes first (seen in CI: the second setting sent
    /// there was typed ahead of the shell, and the session's recording could not be replayed).
    #[test]
    fn the_next_setting_waits_for_the_echo_of_the_last() {
        let t = std::time::Instant::now();
        let params = json!({"host": "h", "login": "u", "password": "p",
                            "prompt_after_login": r"^u@vm:~\$ $",
                            "expected_prompt": r"^remote\$ ", "set_prompt": "export PS1='remote$ '"});
        let ssh = Registry::default().command("ssh", &params).unwrap();
        let mut conn = moler_core::Connection::new("t");
        let done = conn.start(ssh, t);
        let sent = |conn: &mut moler_core::Connection| {
            let mut out = Vec::new();
            let _ = conn.poll_transmit(&mut out);
            String::from_utf8(out).unwrap()
        };
        let line = sent(&mut conn);
        conn.handle_input(format!("{}\r\n", line.trim_end()).as_bytes(), t);
        conn.handle_input(b"Password: ", t);
        assert_eq!(sent(&mut conn), "p\n");
        conn.handle_input(b"\r\nLast login: Tue Dec  1 09:53:27 2026\r\nu@vm:~$ ", t);
        assert_eq!(sent(&mut conn), "\nexport TMOUT=\"2678400\"\n");
        // The empty line's prompt, then the setting's echo: nothing sent at the first.
        conn.handle_input(b"\r\nu@vm:~$ ", t);
        assert_eq!(sent(&mut conn), "", "typed ahead of the setting's echo");
        conn.handle_input(b"export TMOUT=\"2678400\"\r\n", t);
        assert_eq!(sent(&mut conn), "");
        conn.handle_input(b"u@vm:~$ ", t);
        assert_eq!(sent(&mut conn), "\nexport PS1='remote$ '\n");
        conn.handle_input(b"\r\nu@vm:~$ export PS1='remote$ '\r\nremote$ ", t);
        assert!(done.try_result().expect("at the expected prompt").is_ok());
    }

    #[test]
    fn login_date_of_a_zone_with_a_multibyte_character_is_not_a_panic() {
        // Found reading login_date after the fuzzer's find above: the zone was cut at fixed
        // byte offsets as well.
        assert_eq!(login_date("Thu Nov 23 10:38:16 UTCé 2017"), None);
        assert_eq!(login_date("Thu Nov 23 10:38:16 +0é0 2017"), Some("2017-11-23T10:38:16".into()));
        assert_eq!(
            login_date("Thu Nov 23 10:38:16 +0100 2017"),
            Some("2017-11-23T10:38:16+01:00".into())
        );
    }

    /// Days that exist and days that do not: February 29th only in leap years (every 4th,
    /// not every 100th, but every 400th); a time with or without seconds.
    #[test]
    fn login_date_knows_leap_years_and_times_without_seconds() {
        let feb_29 = |year: i32| login_date(&format!("Thu Feb 29 10:38:16 {year}"));
        assert_eq!(feb_29(2024), Some("2024-02-29T10:38:16".into()));
        assert_eq!(feb_29(2000), Some("2000-02-29T10:38:16".into()), "every 400th year");
        assert_eq!(feb_29(2023), None);
        assert_eq!(feb_29(2100), None, "not every 100th year");
        assert_eq!(login_date("Feb 28 10:38:16 2023"), Some("2023-02-28T10:38:16".into()));
        assert_eq!(login_date("Apr 31 10:38:16 2023"), None);
        assert_eq!(login_date("Thu Nov 23 10:38 2017"), Some("2017-11-23T10:38:00".into()));
        assert_eq!(login_date("Thu Nov 23 10:38:16:01 2017"), None);
        assert_eq!(login_date("Thu Nov 23 24:00:00 2017"), None);
        // Each field's last valid value, and the first invalid one.
        assert_eq!(login_date("Jan 31 23:59:59 2017"), Some("2017-01-31T23:59:59".into()));
        assert_eq!(login_date("Dec 31 00:00:00 2017"), Some("2017-12-31T00:00:00".into()));
        assert_eq!(login_date("Nov 30 10:38:16 2017"), Some("2017-11-30T10:38:16".into()));
        assert_eq!(login_date("Nov 0 10:38:16 2017"), None);
        assert_eq!(login_date("Nov 23 10:60:16 2017"), None);
        assert_eq!(login_date("Nov 23 10:38:60 2017"), None);
    }

    /// A zone of UTC/GMT with hours, or a numeric offset of four digits, becomes the offset;
    /// any other zone (a name, a short offset) is dropped.
    #[test]
    fn login_date_keeps_numeric_offsets_and_drops_other_zones() {
        let at = |zone: &str| login_date(&format!("Thu Nov 23 10:38:16 {zone} 2017"));
        assert_eq!(at("-0500"), Some("2017-11-23T10:38:16-05:00".into()));
        assert_eq!(at("UTC+2"), Some("2017-11-23T10:38:16-02:00".into()), "POSIX: west");
        assert_eq!(at("GMT"), Some("2017-11-23T10:38:16+00:00".into()));
        assert_eq!(at("CET"), Some("2017-11-23T10:38:16".into()));
        assert_eq!(at("+01"), Some("2017-11-23T10:38:16".into()));
        assert_eq!(at("01000"), Some("2017-11-23T10:38:16".into()));
    }

    /// A port given as text is trimmed, and empty or `0` is no port, as the number 0 is.
    #[test]
    fn a_port_as_text_is_trimmed_and_zero_or_empty_is_none() {
        let render = |p: Port| Port::render(&Some(p));
        assert_eq!(render(Port::Text(" 2222 ".into())), Some("2222".into()));
        assert_eq!(render(Port::Text(" 0 ".into())), None);
        assert_eq!(render(Port::Text("  ".into())), None);
        assert_eq!(render(Port::Text("10".into())), Some("10".into()));
        assert_eq!(render(Port::Number(0)), None);
        assert_eq!(render(Port::Number(22)), Some("22".into()));
        assert_eq!(Port::render(&None), None);
    }

    #[test]
    fn telnet_reads_a_last_login_line_with_a_multibyte_weekday() {
        // The fuzz target cli's input, minimised: Moler's telnet example with a weekday of
        // `Thé`, which took the month's place and panicked the parser.
        let params = json!({
            "expected_prompt": "host.*#", "host": "host.domain.net", "login": "user",
            "password": ["english", "polish"], "port": 1501, "set_timeout": null,
        });
        let telnet = Registry::default().command("telnet", &params).unwrap();
        let capture = "user@host01:~> TERM=xterm-mono telnet host.domain.net 1501\nLogin:\n\
                       Login:user\nPassword:\nSecond password:\n\
                       Last login: Thé Nov 23 10:38:16 2017 from 127.0.0.1\n\
                       Have a lot of fun...\nhost:~ # ";
        let result = offline::parse(telnet, offline::lines_of(capture.as_bytes())).unwrap();
        assert_eq!(result["LAST_LOGIN"]["RAW_DATE"], "Thé Nov 23 10:38:16 2017");
        assert_eq!(result["LAST_LOGIN"].get("DATE"), None, "not a date");
    }
}
