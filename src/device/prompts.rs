//! A device knows where it is from prompts, so no prompt may stand for two states.
//!
//! - At load, [`overlaps`] checks every state's prompt regex against the prompts other states
//!   are known to print literally: the local shell's `moler_bash# `, a literal `PS1` a hop sets
//!   with `set_prompt`, and prompt regexes that are plain text. A regex that matches another
//!   state's prompt is an error naming both states.
//! - At run time, [`PromptsWatch`] moves the device only on a line that matches exactly one
//!   state's prompt, and only on the line a shell leaves open while it waits for input.

use std::sync::Arc;

use moler_config::{ErrorKind, Origin, Problem};
use moler_core::{strip_escapes, Context, Error, Kind, LineSplitter, Observer, Step};
use regex::Regex;
use regex_syntax::hir::{Hir, HirKind};

use super::{StateCell, UNIX_LOCAL};
use crate::logging;

/// The prompt a `terminal` connection's bash shows (moler-io sets it).
pub(crate) const TERMINAL_PROMPT: &str = moler_io::terminal::PROMPT;

/// One state's prompt regex and where it was written.
pub(crate) struct StatePrompt<'a> {
    pub state: &'static str,
    pub regex: &'a str,
    pub origin: Origin,
    /// `hop A -> B (ssh), expected_prompt`, for messages.
    pub written: String,
}

/// A prompt a state is known to print, and why it is known.
pub(crate) struct Literal {
    pub state: &'static str,
    pub text: String,
    pub why: String,
}

/// Every state prompt regex that matches another state's literal prompt, as problems.
pub(crate) fn overlaps(
    device: &str,
    prompts: &[StatePrompt<'_>],
    literals: &[Literal],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for p in prompts {
        let Ok(regex) = moler_core::cached_regex(p.regex) else { continue };
        let mut clashes: Vec<&Literal> = Vec::new();
        // Two states with the very same regex are reported once, as such, by the caller.
        let same = |state: &str| prompts.iter().any(|q| q.state == state && q.regex == p.regex);
        for l in literals.iter().filter(|l| l.state != p.state && !same(l.state)) {
            if !regex.is_match(&l.text) {
                continue;
            }
            // One message per other state.
            if !clashes.iter().any(|c| c.state == l.state) {
                clashes.push(l);
            }
        }
        for l in clashes {
            problems.push(Problem::new(
                ErrorKind::InvalidValue,
                p.origin.clone(),
                format!(
                    "device {device}: the prompt of {} {:?} ({}) also matches {:?}, the prompt of \
                     {} ({}): the device could not tell the two states apart; make it match only \
                     its own state's prompt (anchor it, or set a distinct prompt with set_prompt)",
                    p.state, p.regex, p.written, l.text, l.state, l.why
                ),
            ));
        }
    }
    problems
}

/// The text a regex matches when it matches exactly one text (anchors aside): `^moler_remote\$ `
/// gives `moler_remote$ `. `None` for anything with a choice or a repetition in it.
pub(crate) fn regex_literal(pattern: &str) -> Option<String> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut out = Vec::new();
    collect_literal(&hir, &mut out)?;
    let text = String::from_utf8(out).ok()?;
    (!text.is_empty()).then_some(text)
}

fn collect_literal(hir: &Hir, out: &mut Vec<u8>) -> Option<()> {
    match hir.kind() {
        HirKind::Literal(l) => out.extend_from_slice(&l.0),
        HirKind::Look(_) | HirKind::Empty => {}
        HirKind::Capture(c) => collect_literal(&c.sub, out)?,
        HirKind::Concat(parts) => {
            for part in parts {
                collect_literal(part, out)?;
            }
        }
        _ => return None,
    }
    Some(())
}

/// The prompt a `set_prompt` command sets, when it is plain text: `export PS1='moler_remote$ '`
/// gives `moler_remote$ `. `None` when the value holds prompt escapes (`\u`, `\h`), expansions
/// (`$HOSTNAME`, `$(…)`) or is not a `PS1=` assignment.
pub(crate) fn ps1_literal(set_prompt: &str) -> Option<String> {
    let at = set_prompt.find("PS1=")?;
    let rest = &set_prompt[at + 4..];
    let (value, expands) = match rest.chars().next()? {
        q @ ('\'' | '"') => {
            let body = &rest[1..];
            let end = body.find(q)?;
            (&body[..end], q == '"')
        }
        _ => (rest.split(|c: char| c.is_whitespace() || c == ';').next()?, true),
    };
    if value.is_empty() || value.contains('\\') || value.contains('`') {
        return None;
    }
    if expands {
        let b = value.as_bytes();
        let expansion = b.windows(2).any(|w| {
            w[0] == b'$' && (w[1].is_ascii_alphanumeric() || matches!(w[1], b'_' | b'{' | b'('))
        });
        if expansion {
            return None;
        }
    }
    Some(value.to_owned())
}

/// The device's prompt watch: for the connection's whole life, the line a shell leaves open
/// while it waits (the partial last line) moves the device to the one state whose prompt it
/// matches; the connection's end moves it to NOT_CONNECTED.
///
/// Whole lines are output, never prompts: a shell prints its prompt and waits, so a prompt is
/// never followed by a line end until the next command's echo. Nor is every partial line a
/// prompt: a read may end inside any output line (`cat` of a transcript, `moler_bash# ls` cut
/// after its prompt; a background job's output too), which is not a shell waiting there. So
/// the line is only noted ([`StateCell::set_pending`]), and moves the device when a command
/// ends at it (a prompt then: before the next command starts) or, shaped like a prompt
/// ([`prompt_shaped`]: `moler_bash# ec` is not), when nothing followed it for
/// [`PromptsWatch::QUIET`] (a shell that ended by itself; a command typed into it fails then).
/// A line that matches the prompts of two states moves the device nowhere (Moler's
/// `check_against_all_prompts`).
pub(crate) struct PromptsWatch {
    pub prompts: Vec<(&'static str, Arc<Regex>)>,
    pub lines: LineSplitter,
    pub cell: Arc<StateCell>,
    pub generation: u64,
    pub device: String,
    /// The last ambiguous line reported, so a redrawn line is not logged again and again.
    pub reported: Option<String>,
}

impl PromptsWatch {
    /// The longest line looked at: prompts are short, output lines need not be kept whole.
    pub const LINE_CAP: usize = 4096;

    /// How long a partial line must stay the last thing received to be a shell waiting at
    /// its prompt: a command's end at a prompt after output without a final newline waits
    /// as long ([`moler_core::PROMPT_QUIET`]).
    pub const QUIET: std::time::Duration = moler_core::PROMPT_QUIET;

    /// The states whose prompts `line` matches, and for the first, whether the line is
    /// shaped like a shell waiting there ([`prompt_shaped`]).
    pub(crate) fn matching(
        prompts: &[(&'static str, Arc<Regex>)],
        line: &str,
    ) -> (Vec<&'static str>, bool) {
        let line = strip_escapes(line);
        let found: Vec<&(&'static str, Arc<Regex>)> =
            prompts.iter().filter(|(_, r)| r.is_match(&line)).collect();
        // (Where the match ends is found for the first only: most reads match one prompt.)
        let end = found.first().and_then(|(_, r)| r.find(&line)).map(|m| m.end());
        let shaped = end.is_some_and(|end| prompt_shaped(&line[end..]));
        (found.into_iter().map(|(s, _)| *s).collect(), shaped)
    }
}

/// Whether what follows a prompt's match on a partial line (`rest`) leaves it shaped like a
/// shell waiting at that prompt: nothing but spaces, or a short rest ending in a prompt
/// character (a regex written for the start of the prompt: `^admin@router` for
/// `admin@router:~> `). An output line a read ended inside (`moler_bash# ec`) is not.
fn prompt_shaped(rest: &str) -> bool {
    let rest = rest.trim_end();
    rest.is_empty() || rest.len() <= 64 && rest.ends_with(moler_core::PROMPT_ENDS)
}

impl Observer for PromptsWatch {
    type Output = ();
    fn describe(&self) -> String {
        format!("prompts event of device {}", self.device)
    }
    fn kind(&self) -> Kind {
        Kind::Event
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<()> {
        // More output: the line noted before was not where the shell waits.
        self.cell.set_pending(self.generation, None);
        self.lines.feed(data, |_| {});
        let Some(partial) = self.lines.take_partial_change() else { return Step::Pending };
        let (states, shaped) = Self::matching(&self.prompts, partial);
        // A wake-up asked for an earlier line is for nothing now.
        cx.wake_in_at(None);
        if let [state] = states[..] {
            // A command that ends at this line confirms it whatever its shape (its own prompt
            // matched it); silence alone only a line shaped like a prompt.
            self.cell.set_pending(self.generation, Some(state));
            if shaped {
                cx.wake_in(Self::QUIET);
            }
        } else if states.len() > 1 && self.reported.as_deref() != Some(partial) {
            tracing::warn!(
                target: logging::MAIN,
                device = %self.device,
                "the line {partial:?} matches the prompts of {}: the state stays {}",
                states.join(" and "),
                self.cell.get()
            );
            self.reported = Some(partial.to_owned());
        }
        Step::Pending
    }
    fn on_wake(&mut self, _cx: &mut Context<'_>) -> Step<()> {
        self.cell.apply_pending();
        Step::Pending
    }
    fn on_close(&mut self, error: Error) -> moler_core::Result<()> {
        self.cell.closed_if(self.generation);
        Err(error)
    }
}

/// The literal prompt of UNIX_LOCAL when the connection is a terminal (bash in a pty).
pub(crate) fn terminal_literal(io_type: &str) -> Option<Literal> {
    (io_type == "terminal").then(|| Literal {
        state: UNIX_LOCAL,
        text: TERMINAL_PROMPT.to_owned(),
        why: "the prompt a terminal connection's bash shows".into(),
    })
}

/// Finds the prompt of a shell nobody described (Moler's ProxyPc2 over `sshshell`): sends an
/// Enter and `echo DETECTING PROMPT` twice, and takes the text before `echo DETECTING PROMPT`
/// on the lines the shell echoes. Two echoed lines in a row must agree (a line typed ahead of
/// the shell's start may come back without its prompt, or after a banner), and the shell must
/// show that prompt again after the command's output: then the stream is quiet and the prompt
/// is known. More lines are sent while they disagree, up to [`DetectPrompt::TRIES`]. The
/// result is the prompt as a regex: `^` and the text, escaped.
pub(crate) struct DetectPrompt {
    pub lines: LineSplitter,
    /// The state whose prompt it is, for messages.
    pub state: &'static str,
    last: Option<String>,
    agreed: Option<String>,
    sent: usize,
    answered: usize,
}

impl DetectPrompt {
    /// What is sent; its echo follows the prompt.
    pub const LINE: &'static str = "echo DETECTING PROMPT";
    /// How many `echo` lines at most.
    pub const TRIES: usize = 6;
    /// How long it may take.
    pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

    pub fn new(state: &'static str) -> Self {
        DetectPrompt {
            lines: LineSplitter::new(PromptsWatch::LINE_CAP),
            state,
            last: None,
            agreed: None,
            sent: 0,
            answered: 0,
        }
    }

    fn on_line(&mut self, line: &str) -> bool {
        let line = strip_escapes(line);
        let line = line.trim_end();
        if line == "DETECTING PROMPT" {
            self.answered += 1;
            return false;
        }
        if self.agreed.is_some() {
            return false;
        }
        let Some(before) = line.strip_suffix(Self::LINE) else { return false };
        let candidate = before.trim_end();
        if candidate.is_empty() {
            // Typed ahead and echoed by the terminal before the shell printed its prompt.
            self.last = None;
            return false;
        }
        if self.last.as_deref() == Some(candidate) {
            self.agreed = Some(candidate.to_owned());
            return true;
        }
        self.last = Some(candidate.to_owned());
        false
    }
}

impl Observer for DetectPrompt {
    type Output = String;
    fn describe(&self) -> String {
        format!("the detection of the prompt of {} (`{}`)", self.state, Self::LINE)
    }
    fn kind(&self) -> Kind {
        Kind::Command
    }
    fn timeout(&self) -> Option<std::time::Duration> {
        Some(Self::TIMEOUT)
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<String> {
        cx.sendline("");
        cx.sendline(Self::LINE);
        cx.sendline(Self::LINE);
        self.sent = 2;
        Step::Pending
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<String> {
        let mut lines = Vec::new();
        self.lines.feed(data, |l| lines.push(l.to_owned()));
        for line in &lines {
            self.on_line(line);
        }
        let partial = strip_escapes(self.lines.partial()).trim_end().to_owned();
        if let Some(prompt) = &self.agreed {
            // The prompt again after the last output: nothing more is coming.
            if self.answered >= self.sent && partial == *prompt {
                return Step::Done(Ok(format!("^{}", regex::escape(prompt))));
            }
        } else if self.answered >= self.sent && !partial.is_empty() {
            if self.sent >= Self::TRIES {
                return Step::Done(Err(Error::Other(Arc::new(moler_core::ParseError::new(
                    format!(
                        "{} lines `{}` got no two echoes with the same prompt in a row",
                        self.sent,
                        Self::LINE
                    ),
                )))));
            }
            cx.sendline(Self::LINE);
            self.sent += 1;
        }
        Step::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Instant;

    use super::super::{NOT_CONNECTED, UNIX_LOCAL_ROOT, UNIX_REMOTE};

    /// A connection watched by a prompt watch for three states, the device in UNIX_LOCAL.
    fn watched() -> (moler_core::Connection, Arc<StateCell>) {
        let names = [NOT_CONNECTED, UNIX_LOCAL, UNIX_REMOTE, UNIX_LOCAL_ROOT];
        let cell = Arc::new(StateCell::new("D".into(), &names));
        assert_eq!(cell.renew(UNIX_LOCAL), 1);
        let prompts =
            [(UNIX_LOCAL, "^moler_bash#"), (UNIX_REMOTE, r"\$ $"), (UNIX_LOCAL_ROOT, "^root# ")]
                .into_iter()
                .map(|(s, p)| (s, Arc::new(Regex::new(p).unwrap())))
                .collect();
        let mut conn = moler_core::Connection::new("d");
        let watch = conn.start(
            PromptsWatch {
                prompts,
                lines: LineSplitter::new(PromptsWatch::LINE_CAP),
                cell: Arc::clone(&cell),
                generation: 1,
                device: "D".into(),
                reported: None,
            },
            Instant::now(),
        );
        // (What an error or a log line about it calls it.)
        assert_eq!(watch.describe(), "prompts event of device D");
        (conn, cell)
    }

    #[test]
    fn only_the_open_line_a_shell_waits_on_moves_the_device() {
        let (mut conn, cell) = watched();
        let t = Instant::now();
        let q = PromptsWatch::QUIET;
        // Output lines that look like another state's prompt are output.
        conn.handle_input(b"cat log\r\nroot# ls\r\nuser@box:~$ \r\n", t);
        conn.handle_timeout(t + q);
        assert_eq!(cell.get(), UNIX_LOCAL);
        // The line left open is the shell's prompt: the remote one, once nothing follows.
        conn.handle_input(b"Last login: today\r\nuser@box:~$ ", t + q);
        assert_eq!(cell.get(), UNIX_LOCAL, "not before the quiet time");
        assert_eq!(conn.poll_timeout(), Some(t + 2 * q));
        conn.handle_timeout(t + 2 * q);
        assert_eq!(cell.get(), UNIX_REMOTE);
        // Split across reads, with escape codes.
        conn.handle_input(b"exit\r\n\x1b[?2004hmoler_ba", t + 2 * q);
        conn.handle_input(b"sh# ", t + 2 * q);
        conn.handle_timeout(t + 3 * q);
        assert_eq!(cell.get(), UNIX_LOCAL);
        // Or at once, when a command ends at it.
        conn.handle_input(b"ssh box\r\nuser@box:~$ ", t + 3 * q);
        cell.apply_pending();
        assert_eq!(cell.get(), UNIX_REMOTE);
    }

    #[test]
    fn a_read_that_ends_inside_an_output_line_moves_nothing() {
        // `cat` of a transcript on the remote: a read ends right after the local prompt's
        // text inside an output line, and the rest follows.
        let (mut conn, cell) = watched();
        let t = Instant::now();
        let q = PromptsWatch::QUIET;
        conn.handle_input(b"user@box:~$ ", t);
        cell.apply_pending();
        assert_eq!(cell.get(), UNIX_REMOTE);
        conn.handle_input(b"cat typescript\r\n1\r\nmoler_bash# ", t);
        let almost = t + q - std::time::Duration::from_millis(1);
        conn.handle_input(b"ls\r\nfile\r\nroot# ", almost);
        conn.handle_input(b"pwd\r\n/root\r\n", almost);
        conn.handle_timeout(t + 4 * q);
        assert_eq!(cell.get(), UNIX_REMOTE, "output, not the shell waiting");
        // A pause (a busy machine) inside such a line: not shaped like a prompt.
        conn.handle_input(b"moler_bash# ec", t + 4 * q);
        assert_eq!(conn.poll_timeout(), None, "nothing to wait for");
        conn.handle_timeout(t + 8 * q);
        assert_eq!(cell.get(), UNIX_REMOTE, "output, not the shell waiting");
        conn.handle_input(b"ho 1\r\n", t + 8 * q);
        // The command ends at its own prompt.
        conn.handle_input(b"user@box:~$ ", t + 4 * q);
        cell.apply_pending();
        assert_eq!(cell.get(), UNIX_REMOTE);
    }

    #[test]
    fn a_line_that_matches_two_states_moves_the_device_nowhere() {
        let (mut conn, cell) = watched();
        let t = Instant::now();
        let q = PromptsWatch::QUIET;
        // Matches UNIX_LOCAL's `^moler_bash#` and UNIX_REMOTE's `\$ $` alike.
        conn.handle_input(b"moler_bash# echo $ ", t);
        conn.handle_timeout(t + q);
        assert_eq!(cell.get(), UNIX_LOCAL);
        conn.handle_input(b"\r\nroot# moler $ ", t + q);
        conn.handle_timeout(t + 2 * q);
        assert_eq!(cell.get(), UNIX_LOCAL, "root# and $ at once: neither");
        conn.handle_input(b"\r\nroot# ", t + 2 * q);
        conn.handle_timeout(t + 3 * q);
        assert_eq!(cell.get(), UNIX_LOCAL_ROOT);
    }

    /// A line that matches two states' prompts is logged as a warning naming both, once (the
    /// same line again is not logged again); a line that matches no prompt, or one, is no
    /// warning.
    #[test]
    fn a_line_that_matches_two_states_is_one_warning() {
        let ((), seen) = crate::device::test_log::warnings(|| {
            let (mut conn, _cell) = watched();
            let t = Instant::now();
            conn.handle_input(b"cat notes\r\nnothing like a prompt", t);
            conn.handle_input(b"\r\nuser@box:~$ ", t);
            conn.handle_input(b"\r\nmoler_bash# echo $ ", t);
            conn.handle_input(b"\r\nmoler_bash# echo $ ", t);
        });
        assert_eq!(
            seen,
            [
                r#"the line "moler_bash# echo $ " matches the prompts of UNIX_LOCAL and UNIX_REMOTE: the state stays UNIX_LOCAL"#
            ]
        );
    }

    /// A prompt detection started on a connection at the instant returned, and what it typed.
    fn detecting() -> (moler_core::Connection, moler_core::Completion<String>, String, Instant) {
        let mut conn = moler_core::Connection::new("d");
        let t = Instant::now();
        let done = conn.start(DetectPrompt::new(UNIX_REMOTE), t);
        assert_eq!(
            done.describe(),
            "the detection of the prompt of UNIX_REMOTE (`echo DETECTING PROMPT`)"
        );
        let typed = sent(&mut conn);
        (conn, done, typed, t)
    }

    fn sent(conn: &mut moler_core::Connection) -> String {
        let mut out = Vec::new();
        let n = conn.poll_transmit(&mut out);
        assert_eq!(n, out.len());
        String::from_utf8(out).unwrap()
    }

    /// Two echoed lines that agree, and the prompt shown again after the last output: the
    /// prompt, as an anchored and escaped regex. Not before the last echo's output came.
    #[test]
    fn the_prompt_is_what_two_echoed_lines_agree_on_once_all_are_answered() {
        let (mut conn, done, typed, t) = detecting();
        assert_eq!(typed, "\necho DETECTING PROMPT\necho DETECTING PROMPT\n");
        // The Enter's prompt, the first echo, its output, the second echo.
        conn.handle_input(b"Welcome\r\nuser@box:~$ \r\nuser@box:~$ echo DETECTING PROMPT\r\n", t);
        conn.handle_input(
            b"DETECTING PROMPT\r\n\x1b[1muser@box:~$ \x1b[0mecho DETECTING PROMPT\r\n",
            t,
        );
        assert!(done.try_result().is_none(), "the second echo's output has not come");
        // Its output; the prompt comes in two reads.
        conn.handle_input(b"DETECTING PROMPT\r\nuser@b", t);
        assert!(done.try_result().is_none(), "half a prompt is not the prompt");
        conn.handle_input(b"ox:~$ ", t);
        let regex = done.try_result().expect("ended").expect("found");
        assert_eq!(regex, format!("^{}", regex::escape("user@box:~$")));
        assert!(Regex::new(&regex).unwrap().is_match("user@box:~$ "));
        assert_eq!(sent(&mut conn), "", "nothing more was typed");
    }

    /// A line typed ahead and echoed before the shell's prompt (no prompt before it) and a
    /// banner's line that changes the prompt: lines that disagree are not the prompt, and
    /// one more line is sent for each until two agree.
    #[test]
    fn lines_that_disagree_or_come_without_a_prompt_ask_for_more() {
        let (mut conn, done, _, t) = detecting();
        conn.handle_input(b"echo DETECTING PROMPT\r\nDETECTING PROMPT\r\n", t);
        conn.handle_input(b"old$ echo DETECTING PROMPT\r\nDETECTING PROMPT\r\nnew> ", t);
        assert_eq!(
            sent(&mut conn),
            "echo DETECTING PROMPT\n",
            "a third line, once both are answered"
        );
        assert!(done.try_result().is_none());
        // (After `new> `: that line is `new> echo DETECTING PROMPT`, the first with it.)
        conn.handle_input(b"echo DETECTING PROMPT\r\nDETECTING PROMPT\r\nnew> ", t);
        assert!(done.try_result().is_none(), "one line with `new> ` is not two");
        assert_eq!(sent(&mut conn), "echo DETECTING PROMPT\n");
        conn.handle_input(b"echo DETECTING PROMPT\r\nDETECTING PROMPT\r\nnew> ", t);
        assert_eq!(done.try_result().expect("ended").expect("found"), "^new>");
    }

    /// A shell that says nothing: the detection ends at its own timeout, saying what it was.
    #[test]
    fn a_silent_shell_fails_the_detection_at_its_timeout() {
        let (mut conn, done, _, t) = detecting();
        assert_eq!(conn.poll_timeout(), Some(t + DetectPrompt::TIMEOUT));
        conn.handle_timeout(t + DetectPrompt::TIMEOUT);
        let err = done.try_result().expect("ended").unwrap_err();
        assert!(err.is_timeout(), "{err}");
        assert!(err.to_string().contains("the detection of the prompt of UNIX_REMOTE"), "{err}");
    }

    /// A shell whose prompt never shows the same twice in a row: an error after
    /// [`DetectPrompt::TRIES`] lines, saying so, and no line more.
    #[test]
    fn no_two_agreeing_lines_in_so_many_tries_is_an_error() {
        let (mut conn, done, _, t) = detecting();
        for i in 0..DetectPrompt::TRIES {
            assert!(done.try_result().is_none(), "not after {i} lines");
            let answer = format!("p{i}$ echo DETECTING PROMPT\r\nDETECTING PROMPT\r\np{}$ ", i + 1);
            conn.handle_input(answer.as_bytes(), t);
        }
        let err = done.try_result().expect("ended").unwrap_err().to_string();
        assert!(
            err.contains(
                "6 lines `echo DETECTING PROMPT` got no two echoes with the same prompt in a row"
            ),
            "{err}"
        );
        assert_eq!(
            sent(&mut conn).matches("echo DETECTING PROMPT").count(),
            DetectPrompt::TRIES - 2
        );
    }

    #[test]
    fn a_prompt_shaped_line_is_the_prompt_whole_or_a_short_rest_ending_like_one() {
        assert!(prompt_shaped(""));
        assert!(prompt_shaped("  "));
        assert!(prompt_shaped(":~> "), "`^admin@router` on `admin@router:~> `");
        assert!(prompt_shaped(" ~ $"));
        assert!(!prompt_shaped(" ec"));
        assert!(!prompt_shaped(" echo 5"));
        assert!(!prompt_shaped(&format!("{}#", "x".repeat(80))), "a long rest is output");
    }

    #[test]
    fn literal_regexes_give_their_text() {
        assert_eq!(regex_literal(r"^moler_remote\$ ").as_deref(), Some("moler_remote$ "));
        assert_eq!(regex_literal(r"^moler_bash#").as_deref(), Some("moler_bash#"));
        assert_eq!(regex_literal(r"tester@box:~\$").as_deref(), Some("tester@box:~$"));
        assert_eq!(regex_literal(r"[$#>]\s*$"), None);
        assert_eq!(regex_literal(r"#\s*$"), None);
        assert_eq!(regex_literal(r"a|b"), None);
        assert_eq!(regex_literal(r"^$"), None);
        // A group is its contents: plain text in it is still plain text.
        assert_eq!(regex_literal(r"^(?P<user>root)@(box)# ").as_deref(), Some("root@box# "));
        assert_eq!(regex_literal(r"^(root|admin)# "), None);
    }

    #[test]
    fn plain_ps1_assignments_give_their_prompt() {
        assert_eq!(ps1_literal("export PS1='moler_remote$ '").as_deref(), Some("moler_remote$ "));
        assert_eq!(ps1_literal(r#"export PS1="root# ""#).as_deref(), Some("root# "));
        assert_eq!(ps1_literal("PS1=box> ; export PS1").as_deref(), Some("box>"));
        assert_eq!(ps1_literal(r"export PS1='\u@\h:\w\$ '"), None);
        assert_eq!(ps1_literal(r#"export PS1="$HOSTNAME# ""#), None);
        assert_eq!(ps1_literal("export PS1='$HOSTNAME# '").as_deref(), Some("$HOSTNAME# "));
        assert_eq!(ps1_literal("export TMOUT=10"), None);
    }
}
