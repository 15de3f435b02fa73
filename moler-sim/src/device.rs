//! A device description: the typed model of a device file (the format is in the crate docs).
//!
//! The loader (`load.rs`) reads the file with `moler-config`'s located YAML, so every mistake is reported
//! at once as `file:line:column: message`, an unknown key with a "did you mean".

use std::path::{Path, PathBuf};
use std::time::Duration;

use moler_config::{ConfigError, Node, Origin};
use regex::Regex;

/// A simulated device, as described in YAML (see the crate docs for the format).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Device {
    /// A name for messages: the file's stem, or `device`.
    pub name: String,
    /// What the device ends its lines with (`"\r\n"` by default).
    pub line_end: String,
    /// Whether the device echoes what is typed (default true).
    pub echo: bool,
    /// Shown when a session starts (and after a reboot), before the login dialog.
    pub banner: String,
    /// The login dialog, if the device asks for one.
    pub login: Option<Login>,
    /// The state a session starts in (after the login).
    pub initial_state: usize,
    /// The answer to a line no command matches (`{command}`, `{word}`).
    pub unknown_command: String,
    /// What Ctrl-Z prints below `^Z` when it stops a running command (`{command}`).
    pub stopped: String,
    /// The states, in file order.
    pub states: Vec<State>,
}

/// The login dialog a session starts with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Login {
    /// Asks for the user name (`login: `).
    pub user_prompt: String,
    /// Asks for the password, which is not echoed (`Password: `).
    pub password_prompt: String,
    /// The accounts: name and password, in file order.
    pub users: Vec<(String, String)>,
    /// The device's own refusal (`Login incorrect`), then the user prompt again.
    pub refusal: String,
    /// Shown after a good login (`Last login: …`).
    pub last_login: String,
    /// Failed attempts before the device closes the connection (none: never).
    pub attempts: Option<u32>,
}

/// A state: a prompt and the commands it answers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct State {
    /// Its name (`UNIX_LOCAL`, `ROOT`…).
    pub name: String,
    /// Its prompt (`{user}` is the logged-in user).
    pub prompt: String,
    /// Overrides the device's echo here.
    pub echo: Option<bool>,
    /// Overrides the device's unknown-command answer here.
    pub unknown_command: Option<String>,
    /// The commands, tried in file order: the first that matches answers.
    pub commands: Vec<Rule>,
    /// `any_key`: a key typed here (any byte, not echoed, no Enter needed) moves the session
    /// to this state (U-Boot's `Hit any key to stop autoboot`).
    pub any_key: Option<usize>,
    /// `idle`: what happens when nothing is typed here for a while (the autoboot going on).
    pub idle: Option<Idle>,
}

/// A state's `idle`: after `after` with nothing typed since its prompt, the session prints
/// `answer` and moves to `goto`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Idle {
    /// How long the state waits.
    pub after: Duration,
    /// What it prints then (may be empty).
    pub answer: String,
    /// Where it goes (an index into [`Device::states`]).
    pub goto: usize,
}

/// One command of a state and how the device answers it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rule {
    /// Which lines it answers.
    pub matcher: Matcher,
    /// A question asked before anything else (a password, `(yes/no)`).
    pub ask: Option<Ask>,
    /// How long the device thinks before it answers (Ctrl-C interrupts).
    pub delay: Duration,
    /// The answer: a template (`{1}`, `{name}`: the regex's groups; `{command}`, `{user}`).
    pub answer: String,
    /// Answers for the second, third… time the command is typed in a session (`answers:`, a
    /// list whose first item is [`Rule::answer`]); after the last, the last again. A recorded
    /// session where `date` printed two different times replays as it was recorded.
    pub later_answers: Vec<String>,
    /// Shows the answer a page at a time.
    pub page: Option<Page>,
    /// Lines printed one by one after the answer until Ctrl-C (or `count`).
    pub stream: Option<Streaming>,
    /// Where the session goes afterwards.
    pub goto: Option<Goto>,
    /// Closes the connection afterwards.
    pub close: bool,
    /// Reboots the device afterwards: the connection closes (a console goes quiet) and the
    /// device comes back after this delay.
    pub reboot: Option<Duration>,
    /// Where it was written.
    pub origin: Origin,
}

/// Which lines a command answers.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// This text (surrounding blanks ignored).
    Exact(String),
    /// A regex that matches the whole line (its groups fill the answer's `{1}`, `{name}`).
    Regex(Regex),
}

/// Where a session goes after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goto {
    /// That state (an index into [`Device::states`]); the one it left is remembered.
    State(usize),
    /// Back to the state the last `goto` came from (`exit` after `su`); with none
    /// remembered, the connection closes.
    Back,
}

/// A question a command asks first.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Ask {
    /// The question (`Password: `).
    pub prompt: String,
    /// Whether the answer is echoed (default false: a password).
    pub echo: bool,
    /// The one good answer (any answer when absent).
    pub expect: Option<String>,
    /// Printed for a wrong answer, after which the command ends (no `goto`).
    pub wrong: String,
}

/// Paging of a long answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page {
    /// Lines per page.
    pub lines: usize,
    /// The pager's prompt (`--More--`): space shows the next page, Enter one more line, `q`
    /// or Ctrl-C stops.
    pub more: String,
}

/// A command that streams lines (ping).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Streaming {
    /// Each line: a template with `{n}` (1, 2, …), `{time}` (the wall clock, `HH:MM:SS.mmm`,
    /// when the server gave one; else the session's time), `{epoch}` (seconds.micros) and
    /// the answer's placeholders.
    pub line: String,
    /// The time between lines.
    pub every: Duration,
    /// Stops by itself after this many lines (a template, so `{1}` may take it from the
    /// command line: `ping -c 3`).
    pub count: Option<String>,
    /// Printed after `^C` (statistics); `{n}` is the number of lines so far.
    pub interrupted: String,
    /// Printed when `count` lines were shown.
    pub done: String,
}

impl Device {
    /// Loads a device file. Every mistake is reported at once, each as
    /// `file:line:column: message`.
    ///
    /// ```
    /// let device = moler_sim::Device::from_file("devices/unix_host.yml").unwrap();
    /// assert!(device.state("UNIX_LOCAL").is_some());
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Device, ConfigError> {
        let path = path.as_ref();
        let root = Node::from_file(path)?;
        let base = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = path.file_stem().map_or("device".into(), |s| s.to_string_lossy().into_owned());
        crate::load::load(&root, &base, name)
    }

    /// Loads a device from YAML text; `answer_file`s are read relative to the current folder.
    ///
    /// ```
    /// let device = moler_sim::Device::from_yaml(
    ///     "states: {S: {prompt: '$ ', commands: [{match: hi, answer: hello}]}}",
    /// ).unwrap();
    /// assert_eq!(device.states[0].prompt, "$ ");
    /// let e = moler_sim::Device::from_yaml("states: {S: {promt: '$ '}}").unwrap_err();
    /// assert!(e.to_string().contains("<yaml string>:1:14: unknown key `promt`; did you mean prompt?"), "{e}");
    /// ```
    pub fn from_yaml(text: &str) -> Result<Device, ConfigError> {
        let root = Node::from_yaml(text, "<yaml string>")?;
        crate::load::load(&root, Path::new("."), "device".into())
    }

    /// The state named `name`, if any.
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|s| s.name == name)
    }

    /// A summary: one line per state with its prompt and commands (what `moler sim --check`
    /// prints).
    pub fn describe(&self) -> String {
        let mut s = format!("device {}: {} states", self.name, self.states.len());
        if let Some(login) = &self.login {
            s.push_str(&format!(", login ({} users)", login.users.len()));
        }
        s.push('\n');
        for (i, st) in self.states.iter().enumerate() {
            let first = if i == self.initial_state { " (initial)" } else { "" };
            s.push_str(&format!("  {}{first}: prompt {:?}\n", st.name, st.prompt));
            for r in &st.commands {
                let m = match &r.matcher {
                    Matcher::Exact(t) => format!("{t:?}"),
                    Matcher::Regex(re) => format!("/{}/", pattern(re)),
                };
                let mut extra = Vec::new();
                if r.ask.is_some() {
                    extra.push("ask".to_owned());
                }
                if !r.delay.is_zero() {
                    extra.push(format!("delay {} ms", r.delay.as_millis()));
                }
                if r.page.is_some() {
                    extra.push("paged".into());
                }
                if r.stream.is_some() {
                    extra.push("streams".into());
                }
                match r.goto {
                    Some(Goto::State(t)) => extra.push(format!("-> {}", self.states[t].name)),
                    Some(Goto::Back) => extra.push("-> back".into()),
                    None => {}
                }
                if r.close {
                    extra.push("closes".into());
                }
                if let Some(d) = r.reboot {
                    extra.push(format!("reboots ({} ms)", d.as_millis()));
                }
                let extra = if extra.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", extra.join(", "))
                };
                s.push_str(&format!("    {m}{extra}\n"));
            }
        }
        s
    }
}

/// A command's regex as written (the loader anchors it as `^(?:…)$`).
pub fn pattern(re: &Regex) -> &str {
    let s = re.as_str();
    s.strip_prefix("^(?:").and_then(|s| s.strip_suffix(")$")).unwrap_or(s)
}
