//! The dialog shared by the commands that log in somewhere and change the prompt (ssh, telnet,
//! su, sudo), and the start-prompt check they share with exit.
//!
//! One dialog: answer the login and password questions, send the settings
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
use std::sync::Arc;

use moler_core::{Context, End, DEFAULT_PROMPT};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::parse::regex;
use crate::prompt_change::Settings;

/// One password or a list of them, used in turn by successive password questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "expected a password (text) or a list of passwords")]
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

/// The prompt of the shell a hop (ssh, telnet, su, sudo, exit) started from. Seeing it again
/// means the hop failed: the old shell answered, whatever else the line matches. It remembers
/// the last output line, to say why.
#[derive(Debug)]
pub(crate) struct StartPrompt {
    /// `None`: the command was built without its shell's prompt and cannot tell.
    regex: Option<Arc<Regex>>,
    /// The prompts the hop waits for, by name: a start prompt line that also matches one of
    /// them is ambiguous, and the failure says so.
    targets: Vec<(&'static str, Arc<Regex>)>,
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
fn compile(r: &str) -> Arc<Regex> {
    moler_core::cached_regex(r).unwrap_or_else(|_| regex(&regex::escape(r)))
}

/// The login dialog shared by ssh, telnet, su and sudo: passwords, the settings sent after login,
/// commands queued for the start prompt, and the failure that waits for the start prompt.
#[derive(Debug)]
pub(super) struct Dialog {
    pub(super) passwords: VecDeque<String>,
    pub(super) last_password: Option<String>,
    pub(super) repeat_password: bool,
    pub(super) target_newline: String,
    /// Something was sent since the last whole line (Moler's `_sent`): nothing more is sent
    /// and the final prompt is not taken until the device answered.
    pub(super) sent: bool,
    /// Typed at the prompt after login; until the last one's echo, the prompt that starts
    /// its echo line is not the final one.
    pub(super) settings: Settings,
    /// Commands to run at the start prompt (ssh's host-key retry): while some wait, and until
    /// the echo line of the last one sent, the start prompt is expected.
    pub(super) at_start_prompt: VecDeque<String>,
    pub(super) start_echo_pending: bool,
    /// From the first of them sent to the echo of the last: no prompt is the new shell's.
    pub(super) retry_running: bool,
    pub(super) after_login_prompt: Arc<Regex>,
    /// The start prompt, or the generic one when it is unknown: where a failure ends and the
    /// queued commands are sent.
    pub(super) start_prompt: Arc<Regex>,
    /// The start prompt as proof of failure (only when known and the command opens a shell).
    pub(super) guard: StartPrompt,
    pub(super) allowed_newline_after_prompt: bool,
    pub(super) failure: Option<String>,
    pub(super) back_home: bool,
    /// The prompt after login is the expected prompt (Moler's default, when none is given).
    after_login_is_expected: bool,
}

impl Dialog {
    /// `verify`: the command opens a new shell, so its start prompt (when known) means failure.
    pub(super) fn new(
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
            settings: Settings::new(settings.iter().filter_map(|s| (*s).clone())),
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
            after_login_is_expected: after_login_prompt == expected_prompt,
        }
    }

    /// When the command timed out on `last_line`, a prompt of a shell, with settings not typed
    /// yet: they wait for the prompt after login, which that prompt does not match.
    /// Mostly `prompt_after_login` left out with `set_prompt` given: Moler then waits for the
    /// expected prompt, which only the setting would make the shell show.
    pub(super) fn timeout_hint(&self, last_line: &str) -> Option<String> {
        let pending = self.settings.untyped().map(|s| format!("{s:?}")).collect::<Vec<_>>();
        let shell_prompt = last_line.trim_end().ends_with(moler_core::PROMPT_ENDS);
        if pending.is_empty() || !shell_prompt || self.after_login_prompt.is_match(last_line) {
            return None;
        }
        let after_login = self.after_login_prompt.as_str();
        let whose = if self.after_login_is_expected {
            format!("prompt_after_login (not given, so the expected prompt {after_login})")
        } else {
            format!("prompt_after_login {after_login}")
        };
        Some(format!(
            "the settings not typed yet ({}) wait for the prompt after login, and {whose} \
             does not match the prompt the shell shows, {:?}; give prompt_after_login a regex \
             of that prompt (such as '[$#>]\\s*$')",
            pending.join(", "),
            last_line.trim_start()
        ))
    }

    pub(super) fn fail(&mut self, why: impl Into<String>) {
        self.failure.get_or_insert_with(|| why.into());
    }

    /// The first check of every line (also of the end prompt's, in `on_prompt`): whether the
    /// line shows the shell the command started from, which ends it as failed. Then nothing
    /// else may answer the line.
    pub(super) fn back_at_start(&mut self, line: &str) -> bool {
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

    pub(super) fn send(&mut self, cx: &mut Context<'_>, text: &str) {
        cx.sendline(text);
        self.sent = true;
    }

    /// Answers a password question: the next password, the last one again, or (after a
    /// failure, or with none left) Ctrl-C to leave the dialog.
    pub(super) fn answer_password(&mut self, cx: &mut Context<'_>) {
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

    /// Whether `line` is the prompt after login at which a setting would be typed now.
    pub(super) fn types_at(&self, line: &str) -> bool {
        self.settings.ready() && self.after_login_prompt.is_match(line)
    }

    /// Whether the target prompt on this line is the end: settings sent, nothing pending.
    pub(super) fn is_final(&self, partial: bool) -> bool {
        (partial || self.allowed_newline_after_prompt)
            && !self.sent
            && self.failure.is_none()
            && !self.retry_running
            && !self.settings.pending()
    }

    /// The prompt-driven part of a line that is not the start prompt (see
    /// [`Dialog::back_at_start`]): queued commands at the start prompt, settings at the prompt
    /// after login.
    pub(super) fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) {
        if !partial {
            self.guard.note(line);
            // The echo line of a command sent at the start prompt is over.
            self.start_echo_pending = false;
            if self.at_start_prompt.is_empty() {
                self.retry_running = false;
            }
        }
        if !partial {
            self.settings.note(line);
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
            && !self.retry_running
            && self.settings.ready()
            && self.after_login_prompt.is_match(line)
        {
            // One setting at a time, each once the last one's echo came back: the empty line
            // sent before each brings a prompt of its own, often before the setting's echo,
            // and a setting sent at that prompt would be typed ahead of the shell.
            if let Some(setting) = self.settings.type_next() {
                cx.sendline("");
                self.send(cx, &setting);
            }
        }
        if !partial {
            self.sent = false;
        }
    }

    pub(super) fn ended(&self) -> Option<End> {
        match &self.failure {
            Some(why) if self.back_home => Some(End::Failed(why.clone())),
            _ => None,
        }
    }
}
