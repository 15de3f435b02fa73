//! Commands that log in somewhere and change the prompt: ssh, telnet, su, sudo.
//!
//! They share one dialog: answer the login and password questions, send the settings
//! (`set_timeout`, `set_prompt`) at the first prompt after login, and finish at the expected
//! prompt. A refused login (wrong password, host key trouble that cannot be fixed) fails the
//! command once the shell it started from shows its prompt again, so that shell stays usable;
//! a password question after a failure is answered with Ctrl-C instead of another guess.
//!
//! Verified, never assumed: when the command knows the prompt of the shell it started from
//! (the `shell_prompt` of [`UnixCommand::parser_for`]), that prompt coming back is proof that the
//! hop failed, whatever else the line matches; it is checked first, on every line, before the
//! prompt after login or the expected prompt, so nothing meant for the new shell (settings,
//! passwords) is ever sent to the old one. The failure quotes the client's telling line.

use std::collections::VecDeque;
use std::time::Duration;

use moler_core::{Command, Context, End, Parser, DEFAULT_PROMPT};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parse::regex;
use crate::spec::{push_opt, UnixCommand};
use crate::Registry;

/// One password or a list of them, used in turn by successive password questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Passwords {
    /// The same for every question (with `repeat_password`).
    One(String),
    /// One per question, in order.
    Many(Vec<String>),
}

impl From<&str> for Passwords {
    fn from(p: &str) -> Self {
        Passwords::One(p.to_owned())
    }
}

impl Passwords {
    fn list(p: &Option<Passwords>) -> VecDeque<String> {
        match p {
            None => VecDeque::new(),
            Some(Passwords::One(p)) => VecDeque::from([p.clone()]),
            Some(Passwords::Many(l)) => l.iter().cloned().collect(),
        }
    }
}

/// A port given as a number or as text (`1500` or `"1500"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Port {
    /// A number; 0 means none.
    Number(u64),
    /// Text, as given.
    Text(String),
}

impl Port {
    fn render(p: &Option<Port>) -> Option<String> {
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

/// Result of [`Ssh`] and [`Telnet`].
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

/// The prompt of the shell a hop (ssh, telnet, su, sudo, exit) started from. Seeing it again
/// means the hop failed: the old shell answered, whatever else the line matches. It remembers
/// the last output line, to say why.
#[derive(Debug)]
pub(crate) struct StartPrompt {
    /// `None`: the command was built without its shell's prompt and cannot tell.
    regex: Option<Regex>,
    /// The prompts the hop waits for, by name: a start prompt line that also matches one of
    /// them is ambiguous, and the failure says so.
    targets: Vec<(&'static str, Regex)>,
    last_line: Option<String>,
}

impl StartPrompt {
    /// The start prompt `start` (a regex; none: unknown) of a hop waiting for `targets`.
    pub(crate) fn new(start: Option<&str>, targets: &[(&'static str, &str)]) -> Self {
        Self {
            regex: start.map(compile),
            targets: targets.iter().map(|(name, r)| (*name, compile(r))).collect(),
            last_line: None,
        }
    }

    /// Whether `line` shows the start prompt (never, when it is unknown).
    pub(crate) fn matches(&self, line: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| shows(r, line))
    }

    /// Keeps a whole output line that is not the start prompt: the last one is quoted if the
    /// start prompt comes back without a known failure.
    pub(crate) fn note(&mut self, line: &str) {
        if !line.trim().is_empty() && !self.matches(line) {
            self.last_line = Some(line.trim().to_owned());
        }
    }

    /// The failure of a hop that came back to its start prompt on `prompt_line`: `why` (the
    /// failure line already seen) or else the last output line, where it came back, and whether
    /// the line also matches a prompt the hop waits for.
    pub(crate) fn failure(&self, prompt_line: &str, why: Option<&str>) -> String {
        // Trimmed: the blanks after a prompt depend on where the reads were cut.
        let prompt = prompt_line.trim();
        let prompt = prompt.strip_prefix("^C").unwrap_or(prompt);
        let mut message = match why.or(self.last_line.as_deref()) {
            Some(why) => format!("{why} (back at the start prompt {prompt:?})"),
            None => format!("back at the start prompt {prompt:?} with no output"),
        };
        if let Some((name, _)) = self.targets.iter().find(|(_, r)| r.is_match(prompt_line)) {
            message.push_str(&format!(
                "; the start prompt and the {name} both match it, so the device cannot tell \
                 which shell answered"
            ));
        }
        message
    }
}

/// Whether `line` shows `prompt`, also right after the `^C` of an interrupted client (as the
/// command's own prompt check allows).
fn shows(prompt: &Regex, line: &str) -> bool {
    prompt.is_match(line) || line.strip_prefix("^C").is_some_and(|l| prompt.is_match(l))
}

/// A user's regex, or (not one) the text itself.
fn compile(r: &str) -> Regex {
    Regex::new(r).unwrap_or_else(|_| regex(&regex::escape(r)))
}

/// The login dialog shared by ssh, telnet, su and sudo: passwords, the settings sent after login,
/// commands queued for the start prompt, and the failure that waits for the start prompt.
#[derive(Debug)]
struct Dialog {
    passwords: VecDeque<String>,
    last_password: Option<String>,
    repeat_password: bool,
    target_newline: String,
    /// Something was sent since the last whole line (Moler's `_sent`): nothing more is sent
    /// and the final prompt is not taken until the device answered.
    sent: bool,
    after_login: VecDeque<String>,
    /// The last setting sent, until its echo is seen: the prompt that starts its echo line is
    /// not the final one.
    awaiting_echo: Option<String>,
    /// Commands to run at the start prompt (ssh's host-key retry): while some wait, and until
    /// the echo line of the last one sent, the start prompt is expected.
    at_start_prompt: VecDeque<String>,
    start_echo_pending: bool,
    /// From the first of them sent to the echo of the last: no prompt is the new shell's.
    retry_running: bool,
    after_login_prompt: Regex,
    /// The start prompt, or the generic one when it is unknown: where a failure ends and the
    /// queued commands are sent.
    start_prompt: Regex,
    /// The start prompt as proof of failure (only when known and the command opens a shell).
    guard: StartPrompt,
    allowed_newline_after_prompt: bool,
    failure: Option<String>,
    back_home: bool,
}

impl Dialog {
    /// `verify`: the command opens a new shell, so its start prompt (when known) means failure.
    fn new(
        passwords: &Option<Passwords>,
        prompts: [&str; 2],
        start_prompt: Option<&str>,
        verify: bool,
        settings: [&Option<String>; 2],
    ) -> Self {
        let [after_login_prompt, expected_prompt] = prompts;
        // A target prompt written exactly as the start prompt says the command stays in its
        // shell (`ssh -f -N` opening a tunnel, ssh running one remote command): nothing to
        // verify.
        let guarded = start_prompt.filter(|s| verify && !prompts.contains(s));
        Self {
            passwords: Passwords::list(passwords),
            last_password: None,
            repeat_password: true,
            target_newline: "\n".into(),
            sent: false,
            after_login: settings
                .iter()
                .filter_map(|s| (*s).clone())
                .filter(|s| !s.is_empty())
                .collect(),
            awaiting_echo: None,
            at_start_prompt: VecDeque::new(),
            start_echo_pending: false,
            retry_running: false,
            after_login_prompt: compile(after_login_prompt),
            start_prompt: compile(start_prompt.unwrap_or(DEFAULT_PROMPT)),
            guard: StartPrompt::new(
                guarded,
                &[("expected prompt", expected_prompt), ("prompt after login", after_login_prompt)],
            ),
            allowed_newline_after_prompt: false,
            failure: None,
            back_home: false,
        }
    }

    fn fail(&mut self, why: impl Into<String>) {
        self.failure.get_or_insert_with(|| why.into());
    }

    /// The first check of every line (also of the end prompt's, in `on_prompt`): whether the
    /// line shows the shell the command started from, which ends it as failed. Then nothing
    /// else may answer the line.
    fn back_at_start(&mut self, line: &str) -> bool {
        if self.back_home {
            return true;
        }
        if let Some(why) = &self.failure {
            if shows(&self.start_prompt, line) {
                let why = if self.guard.regex.is_some() {
                    self.guard.failure(line, Some(why))
                } else {
                    why.clone()
                };
                self.failure = Some(why);
                self.back_home = true;
            }
            return self.back_home;
        }
        let expected = !self.at_start_prompt.is_empty() || self.start_echo_pending;
        if expected || !self.guard.matches(line) {
            return false;
        }
        self.failure = Some(self.guard.failure(line, None));
        self.back_home = true;
        true
    }

    /// Commands queued for the start prompt are being run there (ssh's host-key retry): no
    /// prompt is the new shell's yet (`# Host … found` cut after its `#` is no prompt).
    fn retrying(&self) -> bool {
        self.retry_running
    }

    fn send(&mut self, cx: &mut Context<'_>, text: &str) {
        cx.sendline(text);
        self.sent = true;
    }

    /// Answers a password question: the next password, the last one again, or (after a
    /// failure, or with none left) Ctrl-C to leave the dialog.
    fn answer_password(&mut self, cx: &mut Context<'_>) {
        if self.failure.is_none() {
            let next = self
                .passwords
                .pop_front()
                .or_else(|| self.repeat_password.then(|| self.last_password.clone()).flatten());
            match next {
                Some(p) => {
                    cx.send_secret(&p);
                    cx.send(&self.target_newline.clone());
                    self.last_password = Some(p);
                    self.sent = true;
                    return;
                }
                None => self.fail("a password was asked for but no (more) passwords were given"),
            }
        }
        cx.send("\x03");
        self.sent = true;
    }

    /// Whether the target prompt on this line is the end: settings sent, nothing pending.
    fn is_final(&self, partial: bool) -> bool {
        (partial || self.allowed_newline_after_prompt)
            && !self.sent
            && self.failure.is_none()
            && !self.retrying()
            && self.after_login.is_empty()
            && self.awaiting_echo.is_none()
    }

    /// The prompt-driven part of a line that is not the start prompt (see
    /// [`Dialog::back_at_start`]): queued commands at the start prompt, settings at the prompt
    /// after login.
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) {
        if !partial {
            self.guard.note(line);
            // The echo line of a command sent at the start prompt is over.
            self.start_echo_pending = false;
            if self.at_start_prompt.is_empty() {
                self.retry_running = false;
            }
        }
        if !partial && self.awaiting_echo.as_deref().is_some_and(|s| is_echo_of(line, s)) {
            self.awaiting_echo = None;
        }
        if self.failure.is_some() {
            // Nothing more is sent to a shell we are leaving (or never left).
        } else if !self.sent && !self.at_start_prompt.is_empty() && self.start_prompt.is_match(line)
        {
            let command = self.at_start_prompt.pop_front().expect("not empty");
            self.send(cx, &command);
            self.start_echo_pending = true;
            self.retry_running = true;
        } else if !self.sent
            && !self.retrying()
            && !self.after_login.is_empty()
            && self.after_login_prompt.is_match(line)
        {
            let setting = self.after_login.pop_front().expect("not empty");
            cx.sendline("");
            self.send(cx, &setting);
            self.awaiting_echo = Some(setting);
        }
        if !partial {
            self.sent = false;
        }
    }

    fn ended(&self) -> Option<End> {
        match &self.failure {
            Some(why) if self.back_home => Some(End::Failed(why.clone())),
            _ => None,
        }
    }
}

/// Whether `line` echoes `sent`: it holds its first or last 20 characters (as Moler recognises
/// echoes; a shell may redraw the middle of a long line).
fn is_echo_of(line: &str, sent: &str) -> bool {
    let chars: Vec<char> = sent.chars().collect();
    let head: String = chars.iter().take(20).collect();
    let tail: String = chars[chars.len().saturating_sub(20)..].iter().collect();
    line.contains(&head) || line.contains(&tail)
}

// ---------------------------------------------------------------------------------------------

fn yes() -> bool {
    true
}
fn default_tmout() -> Option<String> {
    Some(r#"export TMOUT="2678400""#.to_owned())
}
fn default_term() -> Option<String> {
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
fn default_newline() -> String {
    "\n".to_owned()
}

/// Moler's default time for a login (ssh, telnet).
const LOGIN_TIMEOUT: Duration = Duration::from_secs(90);

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
    #[serde(default = "default_tmout")]
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
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
fn default_expected_telnet() -> String {
    r"^>\s*".to_owned()
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
    pub fn with(self, name: &str, value: impl Serialize) -> Result<Self, String> {
        with_param(self, name, value)
    }
}

/// Changes one parameter of a serde struct by name.
fn with_param<T: Serialize + serde::de::DeserializeOwned>(
    spec: T,
    name: &str,
    value: impl Serialize,
) -> Result<T, String> {
    let mut v = serde_json::to_value(spec).map_err(|e| e.to_string())?;
    v[name] = serde_json::to_value(value).map_err(|e| e.to_string())?;
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Which client a [`LoginParser`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Ssh,
    Telnet,
}

/// Parser of [`Ssh`] and [`Telnet`].
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
    failure_indication: Option<Regex>,
    failure_exception: Option<Regex>,
    re: &'static LoginRegexes,
}

#[derive(Debug)]
struct LoginRegexes {
    last_login: Regex,
    attempts: Regex,
    failed: Regex,
    login: Regex,
    ssh_password: Regex,
    telnet_password: Regex,
    connected: Regex,
    host_key: Regex,
    yes_no: Regex,
    id_dsa: Regex,
    denied_key_pass: Regex,
    host_key_warning: Regex,
    keygen_suggested: Regex,
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
        if self.allow_override && !self.overridden {
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

impl Parser for LoginParser {
    type Output = LoginResult;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> Result<(), String> {
        if !partial {
            self.record(line);
        }
        if self.dialog.back_at_start(line) {
            return Ok(());
        }
        let handled = self.client == Client::Ssh && self.ssh_dialog(line, partial, cx);
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
    fn on_prompt(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> bool {
        if self.dialog.back_at_start(line) {
            // Output then: `on_line` sees the start prompt again and `ended` fails the command.
            return false;
        }
        // The final prompt is never one of LINES, with or without a line end after it.
        self.dialog.is_final(partial)
    }
    fn ended(&self) -> Option<End> {
        self.dialog.ended()
    }
    fn finish(&mut self) -> Result<LoginResult, String> {
        Ok(std::mem::take(&mut self.result))
    }
}

fn optional_regex(name: &str, r: &Option<String>) -> Result<Option<Regex>, String> {
    r.as_deref()
        .filter(|r| !r.is_empty())
        .map(|r| Regex::new(r).map_err(|e| format!("invalid {name} regex: {e}")))
        .transpose()
}

/// The parts of ssh and telnet that build their parser.
struct LoginSpec<'a> {
    client: Client,
    host: String,
    login: Option<String>,
    password: &'a Option<Passwords>,
    expected_prompt: &'a str,
    prompt_after_login: &'a Option<String>,
    settings: [&'a Option<String>; 2],
    repeat_password: bool,
    allowed_newline_after_prompt: bool,
    failure_exceptions_indication: &'a Option<String>,
    failure_indication: &'a Option<String>,
    send_enter_after_connection: bool,
    target_newline: &'a str,
}

impl LoginSpec<'_> {
    fn parser(self, command_line: String, shell_prompt: Option<&str>) -> LoginParser {
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
        }
    }
}

impl Ssh {
    fn login_name(&self) -> Result<Option<&str>, String> {
        match (self.login.as_deref(), self.username.as_deref()) {
            (Some(l), Some(u)) => Err(format!("set login ('{l}') or username ('{u}'), not both")),
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
    fn command_line(&self) -> Result<String, String> {
        for (name, r) in [
            ("expected_prompt", &Some(self.expected_prompt.clone())),
            ("prompt_after_login", &self.prompt_after_login),
            ("failure_exceptions_indication", &self.failure_exceptions_indication),
            ("failure_indication", &self.failure_indication),
        ] {
            optional_regex(name, r)?;
        }
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
            return Err("parameter `host` is required".into());
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

/// `TERM=xterm-mono telnet [prefix] host [port]`: answers `login:` and password questions,
/// sends a line end on `has just connected`, then the settings, and ends at `expected_prompt`
/// (default `^>\s*`).
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
    #[serde(default = "default_tmout")]
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
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
}

impl Telnet {
    /// telnet to `host` (and `port`, when not 0), ending at `expected_prompt`.
    pub fn new(host: &str, port: u16, expected_prompt: &str) -> Self {
        let mut t: Telnet =
            serde_json::from_value(serde_json::json!({"host": host})).expect("all defaults");
        t.port = Some(Port::Number(port.into()));
        t.expected_prompt = expected_prompt.to_owned();
        t
    }

    /// Sets a field from its Moler name and JSON value (`login`, `password`, `set_prompt`…).
    pub fn with(self, name: &str, value: impl Serialize) -> Result<Self, String> {
        with_param(self, name, value)
    }
}

impl UnixCommand for Telnet {
    const NAME: &'static str = "telnet";
    type Parser = LoginParser;
    type Output = LoginResult;
    fn command_line(&self) -> Result<String, String> {
        optional_regex("expected_prompt", &Some(self.expected_prompt.clone()))?;
        if self.login.is_some() && self.username.is_some() {
            return Err("set login or username, not both".into());
        }
        super::parse::required("host", &self.host)?;
        let mut line = String::new();
        push_opt(&mut line, self.term_mono.as_deref());
        push_opt(&mut line, Some("telnet"));
        push_opt(&mut line, self.prefix.as_deref());
        push_opt(&mut line, Some(&self.host));
        push_opt(&mut line, Port::render(&self.port).as_deref());
        Ok(line.trim_start().to_owned())
    }
    fn parser(&self) -> LoginParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> LoginParser {
        let spec = LoginSpec {
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
        };
        spec.parser(self.command_line().unwrap_or_default(), shell_prompt)
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

// ---------------------------------------------------------------------------------------------

/// Parser of [`Sudo`] and [`Su`]: answers the password question, keeps the dialog's lines
/// (password question, `Sorry, try again.`) from the embedded command's parser and gives it the
/// rest; the result is the embedded command's (or `{}` for a shell).
pub struct SudoParser<P> {
    dialog: Dialog,
    inner: P,
    /// No embedded command: a shell (`sudo -i`, `su`) ending at the expected prompt.
    shell: bool,
    su: bool,
    password: Regex,
    wrong_password: Regex,
    error: Regex,
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
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> Result<(), String> {
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
        self.dialog.ended()
    }
    fn finish(&mut self) -> Result<P::Output, String> {
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

fn embed(
    class: &Option<String>,
    params: &Option<Value>,
) -> Result<Option<crate::Embedded>, String> {
    let Some(class) = class.as_deref().filter(|c| !c.is_empty()) else {
        if params.is_some() {
            return Err("`cmd_params` needs `cmd_class_name`".into());
        }
        return Ok(None);
    };
    let params = params.clone().unwrap_or(Value::Null);
    Registry::default().embedded(embedded_name(class), &params).map(Some).map_err(|e| e.to_string())
}

/// The parser of the embedded command, or (none, or one that cannot be built: the command line
/// already failed) a parser whose result is `{}`, and whether it is a shell.
fn embedded_parser(
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
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
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
        let (line, parser) = match inner.command_line() {
            Ok(l) => (format!("{} {l}", self.head()), inner.parser()),
            Err(e) => {
                let c = Command::new(
                    String::new(),
                    self.sudo_parser(inner.parser(), false, shell_prompt, false),
                );
                return c.fail_at_start(moler_core::Error::WrongUsage(format!("sudo: {e}")));
            }
        };
        let c =
            Command::new(line, self.sudo_parser(parser, false, shell_prompt, false)).prompt(prompt);
        sudo_setup(c)
    }

    fn head(&self) -> String {
        let mut line = "sudo".to_owned();
        push_opt(&mut line, self.sudo_params.as_deref());
        line
    }

    fn sudo_parser<P>(
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

fn sudo_setup<P: Parser>(command: Command<P>) -> Command<P> {
    command.ret_required(false)
}

/// The parser of [`Sudo`] and [`Su`] by name: the embedded command's result as JSON.
pub type JsonSudoParser = SudoParser<Box<dyn Parser<Output = Value>>>;

impl UnixCommand for Sudo {
    const NAME: &'static str = "sudo";
    type Parser = JsonSudoParser;
    type Output = Value;
    fn command_line(&self) -> Result<String, String> {
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
    pub set_timeout: Option<String>,
    /// Sent after `set_timeout`, to change the prompt.
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
    fn command_line(&self) -> Result<String, String> {
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
