//! The device file's loader: located YAML in, a checked [`Device`] out, every mistake
//! collected as `file:line:column: message`.

use std::path::Path;
use std::time::Duration;

use moler_config::{did_you_mean, ConfigError, ErrorKind, Key, Node, Origin, Problem, Value};
use regex::Regex;

use crate::device::{Ask, Device, Goto, Idle, Login, Matcher, Page, Rule, State, Streaming};

const TOP: &[&str] = &[
    "line_end",
    "echo",
    "banner",
    "login",
    "initial_state",
    "unknown_command",
    "stopped",
    "states",
];
const LOGIN: &[&str] =
    &["user_prompt", "password_prompt", "users", "refusal", "last_login", "attempts"];
const STATE: &[&str] = &["prompt", "echo", "unknown_command", "commands", "any_key", "idle"];
const IDLE: &[&str] = &["after_ms", "answer", "answer_file", "goto"];
const RULE: &[&str] = &[
    "match",
    "regex",
    "answer",
    "answer_file",
    "answers",
    "delay_ms",
    "goto",
    "close",
    "ask",
    "page",
    "stream",
    "reboot",
];
const ASK: &[&str] = &["prompt", "echo", "expect", "wrong"];
const PAGE: &[&str] = &["lines", "more"];
const STREAM: &[&str] = &["line", "every_ms", "count", "interrupted", "done"];
const REBOOT: &[&str] = &["after_ms"];

/// Reads nodes, collecting every problem.
struct Reader<'b> {
    base: &'b Path,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, kind: ErrorKind, origin: &Origin, message: impl Into<String>) {
        self.problems.push(Problem::new(kind, origin.clone(), message));
    }

    /// The entries of a mapping whose keys are all in `known` (others are reported).
    fn map<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> &'n [(Key, Node)] {
        let Some(entries) = node.as_map() else {
            if !matches!(node.value, Value::Null) {
                self.problem(
                    ErrorKind::WrongType,
                    &node.origin,
                    format!("{what} must be a mapping, not {}", node.describe()),
                );
            }
            return &[];
        };
        for (k, _) in entries {
            if !known.contains(&k.name.as_str()) {
                let hint = did_you_mean(&k.name, known.iter().copied()).map_or_else(
                    || format!("; expected one of {}", known.join(", ")),
                    |c| format!("; did you mean {c}?"),
                );
                self.problem(
                    ErrorKind::UnknownKey,
                    &k.origin,
                    format!("unknown key `{}`{hint}", k.name),
                );
            }
        }
        entries
    }

    fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        // As written: `goto: 010` is the state `010`, not `10`.
        if let Some(text) = node.as_text() {
            return Some(text.into_owned());
        }
        match &node.value {
            Value::Null => Some(String::new()),
            Value::Bool(_) => {
                self.problem(
                    ErrorKind::WrongType,
                    &node.origin,
                    format!(
                        "{what} must be text; YAML reads yes/no/true/false as a boolean: quote it"
                    ),
                );
                None
            }
            _ => {
                self.problem(
                    ErrorKind::WrongType,
                    &node.origin,
                    format!("{what} must be text, not {}", node.describe()),
                );
                None
            }
        }
    }

    fn flag(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.problem(
                    ErrorKind::WrongType,
                    &node.origin,
                    format!("{what} must be true or false, not {}", node.describe()),
                );
                None
            }
        }
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<u64> {
        match node.value {
            Value::Int(i) if i >= 0 => Some(i as u64),
            _ => {
                self.problem(
                    ErrorKind::WrongType,
                    &node.origin,
                    format!("{what} must be a whole number >= 0, not {}", node.describe()),
                );
                None
            }
        }
    }

    fn millis(&mut self, node: &Node, what: &str) -> Duration {
        Duration::from_millis(self.number(node, what).unwrap_or(0))
    }
}

pub(crate) fn load(root: &Node, base: &Path, name: String) -> Result<Device, ConfigError> {
    let mut r = Reader { base, problems: Vec::new() };
    let mut device = Device {
        name,
        line_end: "\r\n".into(),
        echo: true,
        banner: String::new(),
        login: None,
        initial_state: 0,
        unknown_command: "{word}: command not found".into(),
        stopped: "[1]+  Stopped                 {command}".into(),
        states: Vec::new(),
    };
    let entries = r.map(root, "a device file", TOP);
    let states_node = entries.iter().find(|(k, _)| k.name == "states").map(|(_, n)| n);
    // States first: commands refer to them by name.
    let mut state_nodes = Vec::new();
    match states_node {
        None => r.problem(
            ErrorKind::MissingParameter,
            &root.origin,
            "no `states`: a device needs at least one state",
        ),
        Some(node) => match node.as_map() {
            Some(list) if !list.is_empty() => {
                for (k, n) in list {
                    if device.states.iter().any(|s| s.name == k.name) {
                        r.problem(
                            ErrorKind::DuplicateKey,
                            &k.origin,
                            format!("state {} is defined twice", k.name),
                        );
                    }
                    device.states.push(State {
                        name: k.name.clone(),
                        prompt: String::new(),
                        echo: None,
                        unknown_command: None,
                        commands: Vec::new(),
                        any_key: None,
                        idle: None,
                    });
                    state_nodes.push((k, n));
                }
            }
            _ => r.problem(
                ErrorKind::WrongType,
                &node.origin,
                "`states` must be a mapping of state names to states",
            ),
        },
    }
    let names: Vec<String> = device.states.iter().map(|s| s.name.clone()).collect();
    let mut initial: Option<&Node> = None;
    for (k, n) in entries {
        match k.name.as_str() {
            "line_end" => {
                if let Some(t) = r.text(n, "line_end") {
                    if t != "\r\n" && t != "\n" && t != "\r" {
                        r.problem(
                            ErrorKind::InvalidValue,
                            &n.origin,
                            format!("line_end must be \"\\r\\n\", \"\\n\" or \"\\r\", not {t:?}"),
                        );
                    }
                    device.line_end = t;
                }
            }
            "echo" => device.echo = r.flag(n, "echo").unwrap_or(true),
            "banner" => device.banner = r.text(n, "banner").unwrap_or_default(),
            "unknown_command" => {
                device.unknown_command = r.text(n, "unknown_command").unwrap_or_default()
            }
            "stopped" => device.stopped = r.text(n, "stopped").unwrap_or_default(),
            "initial_state" => initial = Some(n),
            "login" => device.login = Some(login(&mut r, n)),
            _ => {}
        }
    }
    if let Some(n) = initial {
        if let Some(t) = r.text(n, "initial_state") {
            match names.iter().position(|s| *s == t) {
                Some(i) => device.initial_state = i,
                None => unknown_state(&mut r, n, &t, &names),
            }
        }
    }
    for (i, (_, n)) in state_nodes.into_iter().enumerate() {
        let st = state(&mut r, n, &names, &device.states[i].name.clone());
        device.states[i] = st;
    }
    ConfigError::from_problems(r.problems).into_result(device)
}

trait IntoResult {
    fn into_result<T>(self, value: T) -> Result<T, ConfigError>;
}

impl IntoResult for ConfigError {
    fn into_result<T>(self, value: T) -> Result<T, ConfigError> {
        if self.problems().is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

fn unknown_state(r: &mut Reader<'_>, n: &Node, given: &str, names: &[String]) {
    let hint = did_you_mean(given, names.iter().map(String::as_str)).map_or_else(
        || format!("; the states are {}", names.join(", ")),
        |c| format!("; did you mean {c}?"),
    );
    r.problem(ErrorKind::UnknownState, &n.origin, format!("unknown state `{given}`{hint}"));
}

fn login(r: &mut Reader<'_>, node: &Node) -> Login {
    let mut l = Login {
        user_prompt: "login: ".into(),
        password_prompt: "Password: ".into(),
        users: Vec::new(),
        refusal: "Login incorrect".into(),
        last_login: String::new(),
        attempts: None,
    };
    for (k, n) in r.map(node, "login", LOGIN) {
        match k.name.as_str() {
            "user_prompt" => l.user_prompt = r.text(n, "user_prompt").unwrap_or_default(),
            "password_prompt" => {
                l.password_prompt = r.text(n, "password_prompt").unwrap_or_default()
            }
            "refusal" => l.refusal = r.text(n, "refusal").unwrap_or_default(),
            "last_login" => l.last_login = r.text(n, "last_login").unwrap_or_default(),
            "attempts" => l.attempts = r.number(n, "attempts").map(|a| a as u32),
            "users" => match n.as_map() {
                Some(users) => {
                    for (u, p) in users {
                        if let Some(p) = r.text(p, "a password") {
                            l.users.push((u.name.clone(), p));
                        }
                    }
                }
                None => r.problem(
                    ErrorKind::WrongType,
                    &n.origin,
                    "login.users must be a mapping of user names to passwords",
                ),
            },
            _ => {}
        }
    }
    if l.users.is_empty() {
        r.problem(
            ErrorKind::MissingParameter,
            &node.origin,
            "login needs `users` (name: password)",
        );
    }
    l
}

/// One item of `answers`: text, or `{answer_file: path}`.
fn answer_item(r: &mut Reader<'_>, node: &Node) -> String {
    if node.as_map().is_none() {
        return r.text(node, "an answer").unwrap_or_default();
    }
    let mut text = String::new();
    for (k, n) in r.map(node, "an answer", &["answer_file"]) {
        if k.name == "answer_file" {
            text = read_answer_file(r, n);
        }
    }
    text
}

/// The text of the file `node` names, relative to the device file.
fn read_answer_file(r: &mut Reader<'_>, node: &Node) -> String {
    let Some(f) = r.text(node, "answer_file") else { return String::new() };
    let path = r.base.join(&f);
    match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            r.problem(
                ErrorKind::Read,
                &node.origin,
                format!("cannot read {}: {e}", path.display()),
            );
            String::new()
        }
    }
}

fn state(r: &mut Reader<'_>, node: &Node, names: &[String], name: &str) -> State {
    let mut st = State {
        name: name.into(),
        prompt: String::new(),
        echo: None,
        unknown_command: None,
        commands: Vec::new(),
        any_key: None,
        idle: None,
    };
    let mut has_prompt = false;
    for (k, n) in r.map(node, &format!("state {name}"), STATE) {
        match k.name.as_str() {
            "prompt" => {
                has_prompt = true;
                st.prompt = r.text(n, "prompt").unwrap_or_default();
            }
            "echo" => st.echo = r.flag(n, "echo"),
            "unknown_command" => st.unknown_command = r.text(n, "unknown_command"),
            "any_key" => st.any_key = state_name(r, n, "any_key", names),
            "idle" => {
                let mut after = None;
                let mut answer = String::new();
                let mut goto = None;
                for (k, n) in r.map(n, "idle", IDLE) {
                    match k.name.as_str() {
                        "after_ms" => after = Some(r.millis(n, "idle.after_ms")),
                        "answer" => answer = r.text(n, "idle.answer").unwrap_or_default(),
                        "answer_file" => answer = read_answer_file(r, n),
                        "goto" => goto = state_name(r, n, "idle.goto", names),
                        _ => {}
                    }
                }
                match (after, goto) {
                    (Some(after), Some(goto)) => st.idle = Some(Idle { after, answer, goto }),
                    _ => r.problem(
                        ErrorKind::MissingParameter,
                        &n.origin,
                        format!("state {name}: idle needs `after_ms` and `goto`"),
                    ),
                }
            }
            "commands" => match &n.value {
                Value::Seq(items) => {
                    for item in items {
                        if let Some(rule) = rule(r, item, names) {
                            st.commands.push(rule);
                        }
                    }
                }
                Value::Null => {}
                _ => r.problem(ErrorKind::WrongType, &n.origin, "commands must be a list"),
            },
            _ => {}
        }
    }
    if !has_prompt {
        r.problem(
            ErrorKind::MissingParameter,
            &node.origin,
            format!("state {name} has no `prompt`"),
        );
    }
    st
}

/// A state named at `n` (an index into `names`), or a problem naming the states there are.
fn state_name(r: &mut Reader<'_>, n: &Node, what: &str, names: &[String]) -> Option<usize> {
    let t = r.text(n, what)?;
    let i = names.iter().position(|s| *s == t);
    if i.is_none() {
        unknown_state(r, n, &t, names);
    }
    i
}

fn rule(r: &mut Reader<'_>, node: &Node, names: &[String]) -> Option<Rule> {
    let entries = r.map(node, "a command", RULE);
    let mut rule = Rule {
        matcher: Matcher::Exact(String::new()),
        ask: None,
        delay: Duration::ZERO,
        answer: String::new(),
        later_answers: Vec::new(),
        page: None,
        stream: None,
        goto: None,
        close: false,
        reboot: None,
        origin: node.origin.clone(),
    };
    let mut matcher = None;
    let has_matcher_key = entries.iter().any(|(k, _)| k.name == "match" || k.name == "regex");
    let mut answered = false;
    for (k, n) in entries {
        match k.name.as_str() {
            "match" | "regex" if matcher.is_some() => {
                r.problem(
                    ErrorKind::InvalidValue,
                    &k.origin,
                    "a command has one `match` or one `regex`, not both",
                );
            }
            "match" => matcher = r.text(n, "match").map(|t| Matcher::Exact(t.trim().to_owned())),
            "regex" => {
                if let Some(t) = r.text(n, "regex") {
                    match Regex::new(&format!("^(?:{t})$")) {
                        Ok(re) => matcher = Some(Matcher::Regex(re)),
                        Err(e) => {
                            let msg = e.to_string().lines().last().unwrap_or("").trim().to_owned();
                            r.problem(
                                ErrorKind::InvalidValue,
                                &n.origin,
                                format!("invalid regex: {msg}"),
                            );
                        }
                    }
                }
            }
            "answer" | "answer_file" | "answers" if answered => {
                r.problem(
                    ErrorKind::InvalidValue,
                    &k.origin,
                    "a command has one of `answer`, `answer_file` or `answers`, not two",
                );
            }
            "answer" => {
                answered = true;
                rule.answer = r.text(n, "answer").unwrap_or_default();
            }
            "answers" => {
                answered = true;
                match &n.value {
                    Value::Seq(items) if !items.is_empty() => {
                        let mut texts = Vec::new();
                        for item in items {
                            texts.push(answer_item(r, item));
                        }
                        rule.answer = texts.remove(0);
                        rule.later_answers = texts;
                    }
                    _ => r.problem(
                        ErrorKind::WrongType,
                        &n.origin,
                        "answers must be a list of answers (text, or {answer_file: path})",
                    ),
                }
            }
            "answer_file" => {
                answered = true;
                rule.answer = read_answer_file(r, n);
            }
            "delay_ms" => rule.delay = r.millis(n, "delay_ms"),
            "close" => rule.close = r.flag(n, "close").unwrap_or(false),
            "goto" => {
                if let Some(t) = r.text(n, "goto") {
                    if t == "back" {
                        rule.goto = Some(Goto::Back);
                    } else {
                        match names.iter().position(|s| *s == t) {
                            Some(i) => rule.goto = Some(Goto::State(i)),
                            None => unknown_state(r, n, &t, names),
                        }
                    }
                }
            }
            "ask" => {
                let mut ask =
                    Ask { prompt: String::new(), echo: false, expect: None, wrong: String::new() };
                for (k, n) in r.map(n, "ask", ASK) {
                    match k.name.as_str() {
                        "prompt" => ask.prompt = r.text(n, "ask.prompt").unwrap_or_default(),
                        "echo" => ask.echo = r.flag(n, "ask.echo").unwrap_or(false),
                        "expect" => ask.expect = r.text(n, "ask.expect"),
                        "wrong" => ask.wrong = r.text(n, "ask.wrong").unwrap_or_default(),
                        _ => {}
                    }
                }
                rule.ask = Some(ask);
            }
            "page" => {
                let mut page = Page { lines: 24, more: "--More--".into() };
                for (k, n) in r.map(n, "page", PAGE) {
                    match k.name.as_str() {
                        "lines" => match r.number(n, "page.lines") {
                            Some(0) => r.problem(
                                ErrorKind::InvalidValue,
                                &n.origin,
                                "page.lines must be at least 1",
                            ),
                            Some(l) => page.lines = l as usize,
                            None => {}
                        },
                        "more" => page.more = r.text(n, "page.more").unwrap_or_default(),
                        _ => {}
                    }
                }
                rule.page = Some(page);
            }
            "stream" => {
                let mut s = Streaming {
                    line: String::new(),
                    every: Duration::from_secs(1),
                    count: None,
                    interrupted: String::new(),
                    done: String::new(),
                };
                let mut has_line = false;
                for (k, n) in r.map(n, "stream", STREAM) {
                    match k.name.as_str() {
                        "line" => {
                            has_line = true;
                            s.line = r.text(n, "stream.line").unwrap_or_default();
                        }
                        "every_ms" => s.every = r.millis(n, "stream.every_ms"),
                        "count" => s.count = r.text(n, "stream.count"),
                        "interrupted" => {
                            s.interrupted = r.text(n, "stream.interrupted").unwrap_or_default()
                        }
                        "done" => s.done = r.text(n, "stream.done").unwrap_or_default(),
                        _ => {}
                    }
                }
                if !has_line {
                    r.problem(ErrorKind::MissingParameter, &n.origin, "stream needs `line`");
                }
                rule.stream = Some(s);
            }
            "reboot" => {
                let mut after = Duration::from_secs(1);
                match &n.value {
                    Value::Bool(true) => {}
                    _ => {
                        for (k, n) in r.map(n, "reboot", REBOOT) {
                            if k.name == "after_ms" {
                                after = r.millis(n, "reboot.after_ms");
                            }
                        }
                    }
                }
                rule.reboot = Some(after);
            }
            _ => {}
        }
    }
    match matcher {
        Some(m) => rule.matcher = m,
        None => {
            if !has_matcher_key && node.as_map().is_some() {
                r.problem(
                    ErrorKind::MissingParameter,
                    &node.origin,
                    "a command needs `match` (exact text) or `regex`",
                );
            }
            return None;
        }
    }
    Some(rule)
}
