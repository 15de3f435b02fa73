//! The session engine: one connection to a simulated device, sans-IO.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::device::{Device, Goto, Login, Matcher, Rule};

const CTRL_C: u8 = 0x03;
const CTRL_Z: u8 = 0x1a;

/// One session with a simulated device: bytes typed in, bytes the device prints out. It reads
/// no clock and never blocks: every call takes `now`, and a server sleeps until
/// [`Session::poll_timeout`] between inputs (quinn's order of calls).
///
/// 1. [`Session::new`], then send what [`Session::take_output`] gives (banner, login or
///    prompt);
/// 2. on input: [`Session::feed`], send what it returns;
/// 3. at [`Session::poll_timeout`]: [`Session::handle_timeout`], send what it returns;
/// 4. after each: [`Session::is_closed`] ends the connection, [`Session::down_until`] says
///    the device reboots (a TCP server closes and refuses connections until then; a console
///    stays and sees it come back).
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
/// use moler_sim::{Device, Session};
///
/// let device = Arc::new(Device::from_yaml(r#"
/// line_end: "\n"
/// states:
///   SHELL:
///     prompt: "$ "
///     commands:
///       - {match: hostname, answer: box1, delay_ms: 100}
/// "#).unwrap());
/// let t0 = Instant::now();
/// let mut s = Session::new(device, t0);
/// assert_eq!(s.take_output(), b"$ ");
/// assert_eq!(s.feed(b"hostname\n", t0), b"hostname\n");        // the echo; the answer waits
/// assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_millis(100)));
/// assert_eq!(s.handle_timeout(t0 + Duration::from_millis(100)), b"box1\n$ ");
/// ```
#[derive(Debug)]
pub struct Session {
    device: Arc<Device>,
    state: usize,
    /// States `goto` came from, for `goto: back`.
    stack: Vec<usize>,
    user: String,
    mode: Mode,
    line: Vec<u8>,
    /// The last byte was a CR: a following LF or NUL belongs to it.
    after_cr: bool,
    /// Typed while a command ran: read once it is done.
    typeahead: Vec<u8>,
    out: Vec<u8>,
    started: Instant,
    wall: Option<SystemTime>,
    closed: bool,
    down_until: Option<Instant>,
    failed_logins: u32,
    answered: u64,
    /// How many times each command was answered, per state (for `answers:` lists).
    times: Vec<Vec<u32>>,
    /// The time of the last call in (a state's `idle` counts from its prompt).
    now: Instant,
}

#[derive(Debug)]
enum Mode {
    User,
    Password,
    Shell,
    Ask(Run),
    Delay {
        until: Instant,
        run: Run,
    },
    Paging {
        lines: Vec<String>,
        run: Run,
        more: String,
        per_page: usize,
    },
    Stream {
        next: Instant,
        n: u64,
        count: Option<u64>,
        run: Run,
    },
    Down {
        until: Instant,
    },
    /// A state with `idle` showed its prompt: at `until`, its idle answer and move.
    Idle {
        until: Instant,
    },
    Closed,
}

/// A command being answered: which rule, and what fills its placeholders.
#[derive(Debug, Clone)]
struct Run {
    state: usize,
    rule: usize,
    command: String,
    groups: Vec<(String, String)>,
}

impl Run {
    /// The rule answering this command, in `device`.
    fn rule_of<'d>(&self, device: &'d Device) -> &'d Rule {
        &device.states[self.state].commands[self.rule]
    }
}

impl Session {
    /// A session that starts at `now`: the banner and the login dialog (or the first prompt)
    /// are waiting in [`Session::take_output`].
    pub fn new(device: Arc<Device>, now: Instant) -> Session {
        let mut s = Session {
            state: device.initial_state,
            device,
            stack: Vec::new(),
            user: String::new(),
            mode: Mode::Shell,
            line: Vec::new(),
            after_cr: false,
            typeahead: Vec::new(),
            out: Vec::new(),
            started: now,
            wall: None,
            closed: false,
            down_until: None,
            failed_logins: 0,
            answered: 0,
            times: Vec::new(),
            now,
        };
        s.times = s.device.states.iter().map(|st| vec![0; st.commands.len()]).collect();
        s.boot();
        s
    }

    /// The wall-clock time at the session's start, for `{time}` and `{epoch}` in streamed
    /// lines (without it they count from midnight, the session starting at 00:00:00).
    pub fn with_wall_clock(mut self, at_start: SystemTime) -> Session {
        self.wall = Some(at_start);
        self
    }

    /// What the device printed and nobody took yet.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Bytes typed at `now`; returns what the device prints in answer (echo included).
    pub fn feed(&mut self, input: &[u8], now: Instant) -> Vec<u8> {
        self.now = now;
        for &b in input {
            self.byte(b, now);
        }
        self.take_output()
    }

    /// When [`Session::handle_timeout`] is due next (a delayed answer, a streamed line, the
    /// end of a reboot), if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.mode {
            Mode::Delay { until, .. } | Mode::Down { until } | Mode::Idle { until } => Some(*until),
            Mode::Stream { next, .. } => Some(*next),
            _ => None,
        }
    }

    /// Time passed: answers what is due by `now`; returns what the device prints.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<u8> {
        while self.poll_timeout().is_some_and(|t| t <= now) {
            self.now = self.poll_timeout().unwrap_or(now);
            match std::mem::replace(&mut self.mode, Mode::Shell) {
                Mode::Delay { run, .. } => self.answer(run, now),
                Mode::Stream { next, n, count, run } => {
                    self.stream_line(next, n + 1, count, run, now)
                }
                Mode::Down { .. } => {
                    self.down_until = None;
                    self.boot();
                }
                Mode::Idle { .. } => {
                    // Invariant: a session idles only in a state that has `idle`.
                    let idle = self.device.states[self.state].idle.clone().expect("idle state");
                    self.newline();
                    self.text_line(&idle.answer);
                    self.stack.push(self.state);
                    self.state = idle.goto;
                    self.prompt();
                }
                other => self.mode = other,
            }
        }
        self.take_output()
    }

    /// True once the device closed the connection (`exit`, `close: true`, too many failed
    /// logins).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// While the device reboots: when it is back.
    pub fn down_until(&self) -> Option<Instant> {
        self.down_until
    }

    /// The current state's name (empty during the login dialog or a reboot).
    pub fn state(&self) -> &str {
        match self.mode {
            Mode::User | Mode::Password | Mode::Down { .. } | Mode::Closed => "",
            _ => &self.device.states[self.state].name,
        }
    }

    /// How many command lines the device answered (unknown ones included).
    pub fn answered(&self) -> u64 {
        self.answered
    }

    fn boot(&mut self) {
        self.state = self.device.initial_state;
        self.stack.clear();
        self.line.clear();
        self.typeahead.clear();
        let banner = self.device.banner.clone();
        self.text_line(&banner);
        match &self.device.login {
            Some(l) => {
                self.mode = Mode::User;
                self.put(&l.user_prompt.clone());
            }
            None => {
                self.mode = Mode::Shell;
                self.prompt();
            }
        }
    }

    fn login(&self) -> &Login {
        // Invariant: the login modes are entered only when the device has a login dialog.
        self.device.login.as_ref().expect("login modes need a login dialog")
    }

    fn echo_on(&self) -> bool {
        match &self.mode {
            Mode::Password => false,
            Mode::Ask(run) => self.device.states[run.state].commands[run.rule]
                .ask
                .as_ref()
                .is_some_and(|a| a.echo),
            _ => self.device.states[self.state].echo.unwrap_or(self.device.echo),
        }
    }

    fn byte(&mut self, b: u8, now: Instant) {
        // A line ends at CR, LF, CR LF, CR NUL (telnet's bare CR) and CR NUL LF (a client in
        // character mode sending a typed CR LF): one Enter each.
        let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
        if after_cr && (b == b'\n' || b == 0) {
            self.after_cr = b == 0;
            return;
        }
        match &mut self.mode {
            Mode::Closed | Mode::Down { .. } => return,
            Mode::Delay { .. } | Mode::Stream { .. } => {
                match b {
                    CTRL_C => self.interrupt(),
                    CTRL_Z => self.stop_job(),
                    _ => self.typeahead.push(b),
                }
                return;
            }
            Mode::Paging { .. } => {
                self.page_key(b, now);
                return;
            }
            Mode::Idle { .. } => {
                self.mode = Mode::Shell;
                if let Some(to) = self.device.states[self.state].any_key {
                    // The key is taken, not echoed: the next state's prompt on a new line.
                    self.newline();
                    self.stack.push(self.state);
                    self.state = to;
                    self.prompt();
                    return;
                }
            }
            _ => {}
        }
        match b {
            CTRL_C => {
                self.put("^C");
                self.newline();
                self.line.clear();
                match self.mode {
                    Mode::User | Mode::Password => {
                        self.mode = Mode::User;
                        self.put(&self.login().user_prompt.clone());
                    }
                    _ => {
                        self.mode = Mode::Shell;
                        self.prompt();
                    }
                }
            }
            CTRL_Z => {}
            b'\r' | b'\n' => {
                let echo = self.echo_on();
                if echo || !matches!(self.mode, Mode::Shell) {
                    // A terminal with echo off still moves to the next line on Enter.
                    self.newline();
                }
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                self.enter(line, now);
            }
            0x7f | 0x08 => {
                if self.line.pop().is_some() && self.echo_on() {
                    self.out.extend_from_slice(b"\x08 \x08");
                }
            }
            _ => {
                self.line.push(b);
                if self.echo_on() {
                    self.out.push(b);
                }
            }
        }
    }

    fn enter(&mut self, line: String, now: Instant) {
        match std::mem::replace(&mut self.mode, Mode::Shell) {
            Mode::User => {
                self.user = line.trim().to_owned();
                self.mode = Mode::Password;
                self.put(&self.login().password_prompt.clone());
            }
            Mode::Password => {
                let login = self.login().clone();
                let ok = login.users.iter().any(|(u, p)| *u == self.user && *p == line);
                if ok {
                    self.text_line(&login.last_login);
                    self.mode = Mode::Shell;
                    self.prompt();
                } else {
                    self.failed_logins += 1;
                    self.text_line(&login.refusal);
                    if login.attempts.is_some_and(|a| self.failed_logins >= a) {
                        self.close();
                    } else {
                        self.mode = Mode::User;
                        self.put(&login.user_prompt);
                    }
                }
            }
            Mode::Ask(run) => {
                // Invariant: a session asks a question only for a rule that has one.
                let ask = self.rule(&run).ask.clone().expect("a question's rule has one");
                if ask.expect.as_ref().is_none_or(|e| *e == line) {
                    self.proceed(run, now);
                } else {
                    let wrong = render(&ask.wrong, &run, &self.user);
                    self.text_line(&wrong);
                    self.prompt();
                }
            }
            _ => self.command(line, now),
        }
    }

    fn command(&mut self, line: String, now: Instant) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            self.prompt();
            return;
        }
        self.answered += 1;
        let st = &self.device.states[self.state];
        let mut found = None;
        for (i, rule) in st.commands.iter().enumerate() {
            match &rule.matcher {
                Matcher::Exact(t) if t == trimmed => {
                    found = Some((i, Vec::new()));
                    break;
                }
                Matcher::Regex(re) => {
                    if let Some(c) = re.captures(trimmed) {
                        let mut groups = Vec::new();
                        for (n, name) in re.capture_names().enumerate() {
                            let v = c.get(n).map_or("", |m| m.as_str()).to_owned();
                            groups.push((n.to_string(), v.clone()));
                            if let Some(name) = name {
                                groups.push((name.to_owned(), v));
                            }
                        }
                        found = Some((i, groups));
                        break;
                    }
                }
                Matcher::Exact(_) => {}
            }
        }
        let Some((rule, groups)) = found else {
            let template = st.unknown_command.as_ref().unwrap_or(&self.device.unknown_command);
            let word = trimmed.split_whitespace().next().unwrap_or("");
            let text = template.replace("{command}", trimmed).replace("{word}", word);
            self.text_line(&text);
            self.prompt();
            return;
        };
        let run = Run { state: self.state, rule, command: trimmed.to_owned(), groups };
        match &self.rule(&run).ask {
            Some(ask) => {
                let q = render(&ask.prompt, &run, &self.user);
                self.put(&q);
                self.mode = Mode::Ask(run);
            }
            None => self.proceed(run, now),
        }
    }

    fn rule(&self, run: &Run) -> &Rule {
        run.rule_of(&self.device)
    }

    /// After the question (if any): wait, or answer now.
    fn proceed(&mut self, run: Run, now: Instant) {
        let delay = self.rule(&run).delay;
        if delay.is_zero() {
            self.answer(run, now);
        } else {
            self.mode = Mode::Delay { until: now + delay, run };
        }
    }

    fn answer(&mut self, run: Run, now: Instant) {
        // The device is shared: the rule is borrowed from a handle of it, not copied (a copy
        // clones the rule's regexes, and their caches, on every command answered).
        let device = Arc::clone(&self.device);
        let rule = run.rule_of(&device);
        let time = &mut self.times[run.state][run.rule];
        let answer = match (*time as usize).checked_sub(1) {
            Some(i) if !rule.later_answers.is_empty() => {
                &rule.later_answers[i.min(rule.later_answers.len() - 1)]
            }
            _ => &rule.answer,
        };
        *time = time.saturating_add(1);
        let text = render(answer, &run, &self.user);
        if let Some(page) = &rule.page {
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.len() > page.lines {
                let more = render(&page.more, &run, &self.user);
                self.mode = Mode::Paging { lines, run, more, per_page: page.lines };
                self.show_lines(page.lines, now);
                return;
            }
        }
        self.text_line(&text);
        self.after_answer(run, now);
    }

    fn page_key(&mut self, b: u8, now: Instant) {
        let Mode::Paging { more, per_page, .. } = &self.mode else { return };
        let (erase, per_page) = (more.chars().count(), *per_page);
        let n = match b {
            b' ' => per_page,
            b'\r' | b'\n' => 1,
            b'q' | b'Q' | CTRL_C => 0,
            _ => return,
        };
        self.put("\r");
        self.put(&" ".repeat(erase));
        self.put("\r");
        if n == 0 {
            let Mode::Paging { run, .. } = std::mem::replace(&mut self.mode, Mode::Shell) else {
                return;
            };
            self.after_answer(run, now);
        } else {
            self.show_lines(n, now);
        }
    }

    /// Shows `n` more lines of the page being shown, then the pager's prompt or the rest.
    fn show_lines(&mut self, n: usize, now: Instant) {
        let Mode::Paging { lines, .. } = &mut self.mode else { return };
        let shown: Vec<String> = lines.drain(..n.min(lines.len())).collect();
        let left = !lines.is_empty();
        for l in shown {
            self.put(&l);
            self.newline();
        }
        if left {
            if let Mode::Paging { more, .. } = &self.mode {
                let more = more.clone();
                self.put(&more);
            }
        } else if let Mode::Paging { run, .. } = std::mem::replace(&mut self.mode, Mode::Shell) {
            self.after_answer(run, now);
        }
    }

    fn after_answer(&mut self, run: Run, now: Instant) {
        if let Some(s) = &self.rule(&run).stream {
            let count =
                s.count.as_ref().and_then(|c| render(c, &run, &self.user).trim().parse().ok());
            self.stream_line(now, 1, count, run, now);
            return;
        }
        self.finish(run, now);
    }

    fn stream_line(&mut self, at: Instant, n: u64, count: Option<u64>, run: Run, now: Instant) {
        // Invariant: lines are streamed only for a rule that streams.
        let s = self.rule(&run).stream.clone().expect("a streaming rule has a stream");
        let line = render(&s.line, &run, &self.user).replace("{n}", &n.to_string());
        let line = self.clock(&line, at);
        self.text_line(&line);
        if count.is_some_and(|c| n >= c) {
            let done = render(&s.done, &run, &self.user).replace("{n}", &n.to_string());
            self.text_line(&done);
            self.finish(run, now);
        } else {
            self.mode = Mode::Stream { next: at + s.every, n, count, run };
        }
    }

    fn clock(&self, text: &str, at: Instant) -> String {
        if !text.contains("{time}") && !text.contains("{epoch}") {
            return text.to_owned();
        }
        let since = at.saturating_duration_since(self.started);
        let (epoch, day) = match self.wall {
            Some(w) => {
                let e = w.duration_since(UNIX_EPOCH).unwrap_or_default() + since;
                (e, e.as_millis() % 86_400_000)
            }
            None => (since, since.as_millis() % 86_400_000),
        };
        let time = format!(
            "{:02}:{:02}:{:02}.{:03}",
            day / 3_600_000,
            day / 60_000 % 60,
            day / 1000 % 60,
            day % 1000
        );
        let epoch = format!("{}.{:06}", epoch.as_secs(), epoch.subsec_micros());
        text.replace("{time}", &time).replace("{epoch}", &epoch)
    }

    /// The command is done: move, close or reboot, then the prompt and what was typed ahead.
    fn finish(&mut self, run: Run, now: Instant) {
        let device = Arc::clone(&self.device);
        let rule = run.rule_of(&device);
        self.mode = Mode::Shell;
        match rule.goto {
            Some(Goto::State(t)) => {
                self.stack.push(self.state);
                self.state = t;
            }
            Some(Goto::Back) => match self.stack.pop() {
                Some(prev) => self.state = prev,
                None => return self.close(),
            },
            None => {}
        }
        if rule.close {
            return self.close();
        }
        if let Some(after) = rule.reboot {
            self.mode = Mode::Down { until: now + after };
            self.down_until = Some(now + after);
            self.typeahead.clear();
            return;
        }
        self.prompt();
        let ahead = std::mem::take(&mut self.typeahead);
        for b in ahead {
            self.byte(b, now);
        }
    }

    fn interrupt(&mut self) {
        self.put("^C");
        self.newline();
        if let Mode::Stream { n, run, .. } = std::mem::replace(&mut self.mode, Mode::Shell) {
            if let Some(s) = &self.rule(&run).stream {
                let text = render(&s.interrupted, &run, &self.user).replace("{n}", &n.to_string());
                self.text_line(&text);
            }
        }
        self.typeahead.clear();
        self.prompt();
    }

    fn stop_job(&mut self) {
        let command = match std::mem::replace(&mut self.mode, Mode::Shell) {
            Mode::Delay { run, .. } | Mode::Stream { run, .. } => run.command,
            _ => String::new(),
        };
        self.put("^Z");
        self.newline();
        let text = self.device.stopped.replace("{command}", &command);
        self.text_line(&text);
        self.typeahead.clear();
        self.prompt();
    }

    fn close(&mut self) {
        self.mode = Mode::Closed;
        self.closed = true;
    }

    fn prompt(&mut self) {
        let p = self.device.states[self.state].prompt.replace("{user}", &self.user);
        self.put(&p);
        if let (Some(idle), Mode::Shell) = (&self.device.states[self.state].idle, &self.mode) {
            self.mode = Mode::Idle { until: self.now + idle.after };
        }
    }

    fn newline(&mut self) {
        let le = self.device.line_end.clone();
        self.out.extend_from_slice(le.as_bytes());
    }

    /// `text` with the device's line ends, ending with one (nothing for empty text).
    fn text_line(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.put(text);
        if !text.ends_with('\n') {
            self.newline();
        }
    }

    /// `text` with every `\n` (or `\r\n`) written as the device's line end.
    fn put(&mut self, text: &str) {
        let le = self.device.line_end.as_bytes();
        let mut rest = text;
        while let Some(i) = rest.find('\n') {
            let line = rest[..i].strip_suffix('\r').unwrap_or(&rest[..i]);
            self.out.extend_from_slice(line.as_bytes());
            self.out.extend_from_slice(le);
            rest = &rest[i + 1..];
        }
        self.out.extend_from_slice(rest.as_bytes());
    }
}

/// Fills `{command}`, `{user}` and the regex groups (`{1}`, `{name}`) into `template`; other
/// braces stay as written.
fn render(template: &str, run: &Run, user: &str) -> String {
    if !template.contains('{') {
        return template.to_owned();
    }
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find('}').filter(|&e| !after[..e].contains('{'));
        let value = end.and_then(|e| {
            let key = &after[..e];
            match key {
                "command" => Some(run.command.as_str()),
                "user" => Some(user),
                _ => run.groups.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()),
            }
        });
        match (value, end) {
            (Some(v), Some(e)) => {
                out.push_str(v);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
