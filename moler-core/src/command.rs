//! The generic textual command: send a line, recognise its echo, parse the output line by line,
//! finish on the prompt.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::cache;
use crate::completion::TimeoutAction;
use crate::echo::{EchoFinder, EchoLineEnd};
use crate::error::{Error, ParseError, ParseResult};
use crate::observer::{Context, Kind, Observer, Step};
use crate::prompt::LineRegex;
use crate::text::{strip_escapes, truncate, LineSplitter, DEFAULT_LINE_CAP};

/// The prompt a bare [`Command`] waits for unless told otherwise: a line ending in one of
/// `$ % # > ~` and optional blanks (Moler's generic unix prompt).
pub const DEFAULT_PROMPT: &str = r"^[^<]*[$%#>~]\s*$";

/// Output that makes a command fail (reported once the prompt returns), unless turned off with
/// [`Command::no_default_failures`].
pub const DEFAULT_FAILURES: &[&str] = &[
    "command not found",
    "No such file or directory",
    "Permission denied",
    "running it may require superuser privileges",
    "Cannot find device",
    "Input/output error",
];

/// How long a command that timed out or was cancelled keeps swallowing output after its Ctrl-C,
/// waiting for the prompt to come back. Halfway through without the prompt it sends a second
/// Ctrl-C: a shell can miss the first one (it arrived while bash was starting the next job of
/// a line) and would otherwise stay silent.
pub const DEFAULT_TERMINATING_PERIOD: Duration = Duration::from_secs(2);

/// How long a prompt found at the end of a partial line, after output without a final newline
/// (`printf x` leaves `xmoler_bash# `), must be the last thing received before it ends the
/// command. The same text may be the middle of a line that a read cut (an echoed
/// `export PS1="host#"` cut after its `#`), whose rest follows within milliseconds; a prompt
/// at the start of a line needs no such wait.
pub const PROMPT_QUIET: Duration = Duration::from_millis(200);

/// The default command timeout (Moler's).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// Turns a command's output lines into a value.
///
/// Lines come without their line end and with terminal escape codes removed; neither the echo
/// of the command nor the final prompt is given. A `partial` line has no line end yet: it comes
/// again once complete (longer), so parsers that only want whole lines ignore partials.
///
/// A parser that rejects the output returns a [`ParseError`] ([`ParseResult`] is
/// `Result<T, ParseError>`): from text (`"…".into()`), about a line ([`ParseError::at_line`]),
/// or from a number that does not parse (`?`). The command then fails with [`Error::Parse`].
///
/// ```
/// use moler_core::{Command, Connection, Context, Error, ParseError, ParseResult, Parser};
/// use std::time::Instant;
///
/// /// `wc -l`'s count.
/// #[derive(Default)]
/// struct Count(Option<u64>);
///
/// impl Parser for Count {
///     type Output = u64;
///     fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
///         if !partial {
///             let first = line.split_whitespace().next().unwrap_or("");
///             let n = first.parse().map_err(|e| ParseError::at_line(line, "no count").with_source(e))?;
///             self.0 = Some(n);
///         }
///         Ok(())
///     }
///     fn finish(&mut self) -> ParseResult<u64> {
///         self.0.take().ok_or_else(|| "no output".into())
///     }
/// }
///
/// let mut conn = Connection::new("demo");
/// let count = conn.start(Command::new("wc -l < f", Count::default()).prompt("^\\$ $"), Instant::now());
/// conn.handle_input(b"wc -l < f\r\n12\r\n$ ", Instant::now());
/// assert_eq!(count.try_result().unwrap().unwrap(), 12);
///
/// let bad = conn.start(Command::new("wc -l < g", Count::default()).prompt("^\\$ $"), Instant::now());
/// conn.handle_input(b"wc -l < g\r\nwc: g: Is a directory\r\n$ ", Instant::now());
/// let err = bad.try_result().unwrap().unwrap_err();
/// assert!(matches!(&err, Error::Parse { error, .. } if error.line() == Some("wc: g: Is a directory")));
/// assert_eq!(err.to_string(), "command 'wc -l < g' output could not be parsed: no count: \"wc: g: Is a directory\"");
/// ```
pub trait Parser: Send + 'static {
    /// What the command returns.
    type Output: Send + 'static;

    /// One line of output. An error fails the command once the prompt returns.
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult;

    /// With `ret_required` on, the prompt ends the command only when this is true.
    fn has_result(&self) -> bool {
        true
    }

    /// The result, once the prompt came back.
    fn finish(&mut self) -> ParseResult<Self::Output>;

    /// A line that matches the command's prompt (`partial`: no line end yet). Return `true` to
    /// let it end the command (the default), `false` to take it as output: it then goes through
    /// the failure patterns and [`Parser::on_line`] like any other line. For commands that see
    /// their target prompt before they are done (ssh sends its settings at the first one).
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        let _ = (line, partial, cx);
        true
    }

    /// Checked after every line: `Some` ends the command at once, without waiting for the
    /// prompt, either with [`Parser::finish`]'s result or as a [`Error::CommandFailure`]. For
    /// commands whose end is not a prompt, or whose failure returns to a different one (a
    /// refused login ends at the shell the command started from).
    fn ended(&self) -> Option<End> {
        None
    }

    /// The command was woken: the time a parser asked for with [`Context::wake_in`] (from
    /// [`Parser::on_line`]) may have come. The command's own wakes share the slot, so a parser
    /// checks [`Context::now`] against its own deadline and asks again when it is early. For
    /// parsers that act on silence (Moler's iperf server is stopped a second after its last
    /// report). A parser that sends here ends nothing: the prompt still does.
    fn on_wake(&mut self, cx: &mut Context<'_>) {
        let _ = cx;
    }

    /// Whether `line` (escapes removed) is a prompt the parser acts at besides the command's
    /// own: the prompt at which a login dialog types its settings. Asked only while a command
    /// that sends Ctrl-C as its key awaits the Ctrl-C's echo; such a line is then held as the
    /// command's prompt is (see [`Command`]'s Ctrl-C rules), and given to [`Parser::on_line`]
    /// once the echo came or the wait is over. Default: none.
    fn is_dialog_prompt(&self, line: &str) -> bool {
        let _ = line;
        false
    }

    /// Why the command may have timed out, from what the parser knows, given the line it is
    /// stuck on (the partial line, escapes removed): a login dialog that never typed its
    /// settings says which regex the shell's prompt does not match. Asked first; `None` (the
    /// default) leaves the command's own hints.
    fn timeout_hint(&self, last_line: &str) -> Option<String> {
        let _ = last_line;
        None
    }
}

/// How a parser ended its command itself (see [`Parser::ended`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Finished: the result is [`Parser::finish`]'s.
    Done,
    /// Failed, because of this output line.
    Failed(String),
}

/// A boxed parser is a parser: for commands whose parser is chosen at run time (a command
/// embedded by name in `sudo`).
impl<P: Parser + ?Sized> Parser for Box<P> {
    type Output = P::Output;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        (**self).on_line(line, partial, cx)
    }
    fn has_result(&self) -> bool {
        (**self).has_result()
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        (**self).finish()
    }
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        (**self).on_prompt(line, partial, cx)
    }
    fn ended(&self) -> Option<End> {
        (**self).ended()
    }
    fn on_wake(&mut self, cx: &mut Context<'_>) {
        (**self).on_wake(cx)
    }
    fn is_dialog_prompt(&self, line: &str) -> bool {
        (**self).is_dialog_prompt(line)
    }
    fn timeout_hint(&self, last_line: &str) -> Option<String> {
        (**self).timeout_hint(last_line)
    }
}

/// The parser of [`Command::lines`]: every whole output line.
#[derive(Debug, Default)]
pub struct Lines(Vec<String>);

impl Parser for Lines {
    type Output = Vec<String>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if !partial {
            self.0.push(line.to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.0.is_empty()
    }
    fn finish(&mut self) -> ParseResult<Vec<String>> {
        Ok(std::mem::take(&mut self.0))
    }
}

/// A textual command: sends `command` with the connection's newline, recognises the echo (also
/// wrapped by the terminal or after a prompt), gives each output line to its [`Parser`], and
/// finishes when the prompt regex matches a line (also one that starts with `^C`), or, for a
/// prompt anchored with `^` that starts with known text, the end of a partial line followed by
/// nothing for [`PROMPT_QUIET`]: output without a final newline (`printf x`) leaves the prompt
/// on its line, and that output is the last line. A whole line is always output, and a prompt
/// without `^` or starting with a wide class (such as [`DEFAULT_PROMPT`]) is never looked for
/// inside a line: where its text would start is unknown.
///
/// - `ret_required` (on by default): a prompt before the parser has a result does not end the
///   command; turn it off for commands whose success prints nothing (`cd`, `mkdir`).
/// - Failure patterns ([`DEFAULT_FAILURES`] plus [`Command::failure`]): the first matching line
///   fails the command with [`Error::CommandFailure`] once the prompt returns, so the shell is
///   left usable.
/// - A first output line in which the shell says it cannot find the command's program
///   (`bash: ping: command not found`, dash's `sh: 1: ping: not found`, zsh's, busybox's…) fails
///   it too, whatever its failure patterns, instead of leaving it to wait for a result until it
///   times out.
/// - On timeout or cancel it sends Ctrl-C and swallows output until the prompt returns (at most
///   [`Command::terminating_period`]), so the next command starts on a clean prompt. If the
///   prompt has not come back halfway through that period it sends a second Ctrl-C (once). A
///   prompt that comes before the Ctrl-C's echo (`^C`) means the command ended by itself
///   while its output was on the way: the Ctrl-C is still to reach the shell's prompt, so the
///   swallowing goes on until the prompt after the echo, or a quarter of the period if no echo
///   comes (a device that echoes none): a line typed while bash handles that Ctrl-C loses
///   what readline had read of it. After a second Ctrl-C the echoes are counted, one per
///   Ctrl-C: a tool that ended as the second one left has its prompt come before that
///   Ctrl-C reaches the shell, so the prompt that ends the linger is one after both echoes.
/// - A command that sends Ctrl-C as its key (`sends("\x03", false)`, Moler's `ctrl_c`) follows
///   the same rule: a prompt ends it only after the Ctrl-C's echo. A prompt that comes first
///   (what it meant to stop ended by itself as the Ctrl-C left) is held until the echo comes,
///   and the prompt after the echo ends the command; with no echo, the held prompt is taken as
///   the end a quarter of the terminating period after it came (no Ctrl-C is sent again
///   meanwhile). A Ctrl-C sent again ([`Command::resend_after`]) is awaited the same way, its
///   echo counted as a timeout's second one's: if the first Ctrl-C was lost, the prompt after
///   the one echo is taken a quarter of the period after it came.
///
/// ```
/// use moler_core::{Command, Connection};
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let ls = conn.start(Command::lines("ls /nope", "^moler_bash# $"), Instant::now());
/// conn.handle_input(b"ls /nope\r\nls: cannot access '/nope': No such file or directory\r\n", Instant::now());
/// assert!(!ls.is_done(), "the failure is reported once the prompt returns");
/// conn.handle_input(b"moler_bash# ", Instant::now());
/// let err = ls.try_result().unwrap().unwrap_err();
/// assert!(err.to_string().contains("No such file or directory"), "{err}");
/// ```
pub struct Command<P> {
    command: String,
    parser: P,
    prompt: LineRegex,
    /// Finds the prompt at the end of a partial line, after output without a final newline
    /// (see [`crate::prompt`]); `None` for prompts the rule does not apply to.
    prompt_tail: Option<Arc<Regex>>,
    /// The command's own failures (the default ones, one combined regex, are checked while
    /// `default_failures` is on: no vector made for them in every command).
    failures: Vec<LineRegex>,
    /// Lines matching one of these are never failures.
    failure_exceptions: Vec<LineRegex>,
    default_failures: bool,
    failure_first_line_only: bool,
    ret_required: bool,
    expect_echo: bool,
    /// What to send instead of `command` + newline (Ctrl-C, a bare newline, a typed text).
    sends: Option<Sends>,
    timeout: Duration,
    terminating: Duration,
    /// Boxed: rare, and a queued command should stay small.
    invalid: Option<Box<Error>>,
    // Progress.
    echo_seen: bool,
    /// Made when the first chunk comes before the echo.
    echo: Option<EchoFinder>,
    /// From the echo line's end until the output shows whether it starts with readline's
    /// [`PASTE_END`].
    paste_end: Option<PasteEnd>,
    line_cap: usize,
    lines: LineSplitter,
    /// Bytes at the start of the line under way (escapes removed) already given as a line of
    /// their own: the output before a prompt found at its end.
    taken: usize,
    /// Where a prompt starts at the end of the partial line, after output without a final
    /// newline, in bytes from the line's end (escapes removed); it ends the command if nothing
    /// follows for [`PROMPT_QUIET`].
    tail_at: Option<usize>,
    outcome: Outcome,
    /// What the linger after a Ctrl-C has seen and done (see [`Command::interrupt`]).
    interrupted: Interrupted,
    /// A command sending Ctrl-C as its key: its echo awaited, a prompt held meanwhile.
    ctrl_c_key: CtrlCKey,
    /// Send what the command sends once more if nothing ended it within this
    /// ([`Command::resend_after`]); `resent` once done.
    resend: Option<Duration>,
    resent: bool,
    /// A line matching it stops the command with Ctrl-C ([`Command::break_exec`]).
    break_exec: Option<Arc<Regex>>,
    /// On timeout, Ctrl-C (default) or nothing ([`Command::break_on_timeout`]).
    break_on_timeout: bool,
    /// Put before the command line when it is sent ([`Command::command_path`]).
    command_path: String,
    /// Ctrl-C or Ctrl-Z on timeout; `None`: the connection's default.
    timeout_action: Option<TimeoutAction>,
    /// After a Ctrl-Z on timeout: the stopped job being killed.
    suspended: Option<Suspended>,
    /// Send one Enter when the prompt shows inside a line ([`Command::enter_on_prompt_without_anchors`]).
    enter_on_unanchored: bool,
    /// The prompt without its anchors, once the option is on and the command started.
    unanchored: Option<Arc<Regex>>,
    /// Started while the connection's prompt was unconfirmed ([`Context::prompt_unconfirmed`]):
    /// the line is typed once the prompt shows.
    held: bool,
}

/// The linger after a Ctrl-C of a timeout, a cancel or a break: what it has seen and done.
///
/// Each Ctrl-C is echoed once (`^C` from the terminal while a program runs, or from bash's
/// readline at its idle prompt), so the prompt that ends the linger is one that comes once
/// there are as many echoes as Ctrl-Cs sent: before that, a Ctrl-C may still be on its way to
/// the shell's idle prompt (see [`Command::interrupt_over`]).
#[derive(Debug, Default)]
struct Interrupted {
    /// The echoes of the Ctrl-Cs sent (the first, then a second halfway through the
    /// terminating period without a prompt), and those seen since the first.
    echoes: EchoWait,
    /// A prompt came before the echoes: the command ended by itself before a Ctrl-C reached
    /// the shell (see [`Command::interrupt_over`]).
    bare_prompt: bool,
    /// The prompt after the echoes came: the shell is back.
    over: bool,
}

impl Interrupted {
    /// Fresh, for a first Ctrl-C just sent.
    fn sent_one() -> Self {
        Interrupted { echoes: EchoWait::for_one(), ..Interrupted::default() }
    }

    /// Looks at a line (or the partial line: not `whole`) that came after the Ctrl-C; true once
    /// it brings the prompt after the echoes (see [`Command::interrupt_over`]). A prompt before
    /// them asks for a wake-up `settle` later (a device that echoes nothing).
    fn look(
        &mut self,
        prompt: &LineRegex,
        line: &str,
        whole: bool,
        settle: Duration,
        cx: &mut Context<'_>,
    ) -> bool {
        if self.over {
            return true;
        }
        let line = strip_escapes(line);
        let was_echoed = self.echoes.done();
        self.echoes.count(&line, whole);
        if is_prompt(prompt, &line) {
            if self.echoes.done() {
                self.over = true;
                return true;
            }
            if !self.bare_prompt {
                self.bare_prompt = true;
                // (In place of the wake-up of the second Ctrl-C, which is not sent now.)
                cx.wake_in(settle);
            }
        }
        if self.bare_prompt && self.echoes.done() && !was_echoed {
            // The echoes came: the prompt after them ends the linger, or the period does.
            cx.wake_in_at(None);
        }
        false
    }
}

/// The echoes of Ctrl-C awaited and those seen (see [`interrupt_echoes`]): in whole lines, and
/// in the line under way, which is counted again as it grows.
#[derive(Debug, Default)]
struct EchoWait {
    /// How many end the wait (one per Ctrl-C sent, as far as echoes tell); 0: none awaited.
    needed: u32,
    whole: u32,
    partial: u32,
}

impl EchoWait {
    /// Awaiting the echo of one Ctrl-C.
    fn for_one() -> Self {
        EchoWait { needed: 1, ..EchoWait::default() }
    }

    /// As many echoes as needed have come.
    fn done(&self) -> bool {
        self.total() >= self.needed
    }

    /// Counts the echoes in `line` (escapes removed), a whole line or the line under way.
    fn count(&mut self, line: &str, whole: bool) {
        let n = interrupt_echoes(line);
        if whole {
            self.whole = self.whole.saturating_add(n);
            self.partial = 0;
        } else {
            self.partial = n;
        }
    }

    /// The line under way is dropped (what follows is read afresh): its echoes were seen.
    fn line_dropped(&mut self) {
        self.whole = self.whole.saturating_add(std::mem::take(&mut self.partial));
    }

    fn total(&self) -> u32 {
        self.whole.saturating_add(self.partial)
    }
}

/// A command that sends Ctrl-C as its key ([`Command::sends`]): until as many echoes as
/// Ctrl-Cs it sent have come, a prompt seen is held (see [`Command`]'s Ctrl-C rules).
#[derive(Debug, Default)]
struct CtrlCKey {
    /// Needed: one echo for the Ctrl-C sent at the start, one more for a resend
    /// ([`Command::resend_after`]); none for other commands, and once the device showed it
    /// echoes nothing.
    echoes: EchoWait,
    /// Boxed: rare, and a queued command should stay small.
    early: Option<Box<EarlyPrompt>>,
}

/// A prompt line that came before the Ctrl-C's echo, and when to take it as the end anyway.
#[derive(Debug)]
struct EarlyPrompt {
    line: String,
    partial: bool,
    /// The command's prompt (else the parser's: [`Parser::is_dialog_prompt`]).
    ends: bool,
    at: Instant,
}

impl CtrlCKey {
    /// Looks at a line (escapes removed) while the echo is awaited: true when it is a prompt
    /// that came before the echo, the command's (`ends`) or the parser's, held until `settle`
    /// (the first held prompt's time is kept).
    fn holds(
        &mut self,
        line: &str,
        partial: bool,
        ends: bool,
        settle: Instant,
        dialog_prompt: impl FnOnce(&str) -> bool,
    ) -> bool {
        if self.echoes.needed == 0 {
            return false;
        }
        self.echoes.count(line, !partial);
        if self.echoes.done() {
            self.early = None;
            return false;
        }
        if !ends && !dialog_prompt(line) {
            // A held partial line that went on as something else was no prompt.
            if self.early.as_ref().is_some_and(|e| e.partial) {
                self.early = None;
            }
            return false;
        }
        let at = self.early.as_ref().map_or(settle, |e| e.at);
        self.early = Some(Box::new(EarlyPrompt { line: line.to_owned(), partial, ends, at }));
        true
    }

    /// The held prompt once its time has come with no echo (the device echoes none); nothing
    /// is held after it.
    fn due(&mut self, now: Instant) -> Option<Box<EarlyPrompt>> {
        if self.early.as_ref().is_some_and(|e| e.at <= now) {
            self.echoes.needed = 0;
            return self.early.take();
        }
        None
    }

    /// The Ctrl-C is sent again ([`Command::resend_after`]): its echo is awaited too, as a
    /// timeout's second Ctrl-C's is, whether the first one's came or not. No echo read yet
    /// does not tell that the first was lost (readline still setting up): its echo may be on
    /// its way behind a slow link, with the tool's last output, and then the prompt after it
    /// comes before the resent Ctrl-C has reached the shell, which would eat the start of the
    /// next command. When the first was lost, the one echo that comes leaves its prompt held
    /// for a quarter of the terminating period, as a device that echoes none does.
    fn resent(&mut self) {
        if self.echoes.needed > 0 {
            self.echoes.needed = self.echoes.needed.saturating_add(1);
        }
    }

    /// Keeps a wake-up for the held prompt's time, with any earlier one the command asked for.
    fn arm(&self, cx: &mut Context<'_>) {
        if let Some(at) = self.early.as_ref().map(|e| e.at) {
            cx.wake_in_at(Some(cx.wake_at().map_or(at, |w| w.min(at))));
        }
    }
}

/// A Ctrl-Z timeout under way: how far it got, and whether it gave up on a job deaf to SIGTERM.
#[derive(Debug, Default)]
struct Suspended {
    stage: Stage,
    /// The Ctrl-C that stops waiting for a job deaf to SIGTERM was sent.
    gave_up: bool,
}

/// The steps of a Ctrl-Z timeout, each waiting for a line of the shell's.
#[derive(Debug, Default)]
enum Stage {
    /// Ctrl-Z sent: waiting for bash's `[N]+ Stopped` line.
    #[default]
    Stopping,
    /// Job N stopped: the line that kills it waits for the prompt after that line.
    Stopped(String),
    /// The kill line typed: waiting for its echo (which holds `kill %N`, this string).
    Killing(String),
    /// The kill line echoed: the prompt after it ends the linger.
    Killed,
}

#[derive(Default)]
struct Outcome {
    failure: Option<String>,
    parse_error: Option<ParseError>,
    finished: bool,
    /// A line matched the break pattern: Ctrl-C was sent, the prompt ends the command.
    broke: bool,
    /// Whole output lines seen so far.
    lines: usize,
    /// The prompt came back before the command had a result (it waits for one:
    /// `ret_required`).
    prompt_without_result: bool,
}

impl Outcome {
    /// The prompt came back: it ends the command, or the command waits on without a result.
    fn at_prompt<P: Parser>(&mut self, ret_required: bool, parser: &P) {
        self.finished = self.failure.is_some()
            || self.parse_error.is_some()
            || self.broke
            || !ret_required
            || parser.has_result();
        self.prompt_without_result |= !self.finished;
    }
}

/// What a command sends instead of its command line ([`Command::sends`], [`Command::types`]).
#[derive(Debug)]
struct Sends {
    text: String,
    /// Followed by the connection's newline.
    newline: bool,
    /// Lines typed as a command line is ([`Command::types`]), not keys: held while the
    /// connection's prompt is unconfirmed.
    lines: bool,
}

/// The line a command types, or nothing when it sends something else ([`Command::sends`]):
/// what its echo, its program and its quotes are read from.
fn typed<'a>(command: &'a str, sends: &Option<Sends>) -> &'a str {
    if sends.is_some() {
        ""
    } else {
        command
    }
}

/// What an output line goes through: the failure patterns, then the parser.
struct Output<'a> {
    /// The default failures ([`DEFAULT_FAILURES`]) are checked first.
    default_failures: bool,
    failures: &'a [LineRegex],
    failure_exceptions: &'a [LineRegex],
    /// Only the first output line may be a failure.
    first_line_only: bool,
    /// The command line sent (empty when the command sends something else): a first output
    /// line saying the shell cannot find its program fails it ([`says_program_missing`]).
    command: &'a str,
}

impl Output<'_> {
    fn line<P: Parser>(
        &self,
        line: &str,
        partial: bool,
        parser: &mut P,
        outcome: &mut Outcome,
        cx: &mut Context<'_>,
    ) {
        if !partial {
            outcome.lines += 1;
        }
        if !partial
            && outcome.failure.is_none()
            && (!self.first_line_only || outcome.lines == 1)
            && (self.default_failures && DEFAULTS.1.is_match(line)
                || self.failures.iter().any(|f| f.is_match(line))
                || outcome.lines == 1 && says_program_missing(line, || program(self.command)))
            && !self.failure_exceptions.iter().any(|f| f.is_match(line))
        {
            outcome.failure = Some(line.to_owned());
        }
        if let Err(e) = parser.on_line(line, partial, cx) {
            if !partial && outcome.parse_error.is_none() {
                outcome.parse_error = Some(e);
            }
        }
        match parser.ended() {
            None => {}
            Some(End::Done) => outcome.finished = true,
            Some(End::Failed(line)) => {
                outcome.failure.get_or_insert(line);
                outcome.finished = true;
            }
        }
    }
}

/// What a command line leaves open for the shell to wait on: a quote (`a '` quote, `a \"`
/// quote) or a last backslash, read the way a POSIX shell reads them.
fn unclosed(command: &str) -> Option<&'static str> {
    let (mut quote, mut escaped) = (None, false);
    for c in command.chars() {
        match (quote, c) {
            (_, _) if escaped => escaped = false,
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (None, '\'' | '"') => quote = Some(c),
            _ => {}
        }
    }
    match quote {
        Some('\'') => Some("a ' quote"),
        Some(_) => Some("a \" quote"),
        None if escaped => Some("a line ending in a backslash"),
        None => None,
    }
}

/// The program a command line runs: its first word after any `NAME=value` assignments.
fn program(command: &str) -> &str {
    let assignment = |w: &&str| {
        w.split_once('=').is_some_and(|(name, _)| {
            name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
    };
    command.split_ascii_whitespace().find(|w| !assignment(w)).unwrap_or("")
}

/// Whether `line` is a shell saying it cannot find `program`: bash's `bash: ping: command not
/// found` (`bash: line 1: ping: …` from a script), dash's `sh: 1: ping: not found`, busybox's
/// `-sh: ping: not found`, zsh's `zsh: command not found: ping`, fish's `fish: Unknown command:
/// ping`, tcsh's `ping: Command not found.`, and for a path, bash's `bash: /opt/x/tool: No
/// such file or directory` and `bash: ./run.sh: Permission denied` (not executable). A
/// command fails on it whatever its own failure patterns (Moler's commands fail on `not found`
/// anywhere in their output), instead of waiting for a result that cannot come until it times
/// out.
fn says_program_missing<'c>(line: &str, program: impl FnOnce() -> &'c str) -> bool {
    let line = line.trim_end();
    // Every wording ends in `found`, `directory`, `denied`, `found.`, or (zsh, fish) in the
    // program after `: `: most first lines are ruled out before the program is looked for.
    let worded = line.ends_with(['d', 'y', '.']);
    if !worded && !line.contains(": ") {
        return false;
    }
    let program = program();
    if program.is_empty() || (!worded && !line.ends_with(program)) {
        return false;
    }
    if let Some(head) = line.strip_suffix(program) {
        return head.ends_with("command not found: ") || head.ends_with("Unknown command: ");
    }
    if line.strip_suffix(": Command not found.") == Some(program) {
        return true;
    }
    let tails: &[&str] = if program.contains('/') {
        &[
            ": command not found",
            ": not found",
            ": No such file or directory",
            ": Permission denied",
        ]
    } else {
        &[": command not found", ": not found"]
    };
    tails.iter().any(|tail| {
        line.strip_suffix(tail)
            .and_then(|head| head.strip_suffix(program))
            .is_some_and(|shell| shell.is_empty() || shell.ends_with(": "))
    })
}

impl<P> std::fmt::Debug for Command<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Command")
            .field("command", &self.command)
            .field("prompt", &self.prompt.as_str())
            .field("ret_required", &self.ret_required)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The regexes of [`DEFAULT_PROMPT`] and of [`DEFAULT_FAILURES`] (combined), made once: every
/// command starts with them, and escaping, joining and looking them up cost more than the rest
/// of building a command.
static DEFAULTS: LazyLock<(LineRegex, Arc<Regex>)> = LazyLock::new(|| {
    let defaults = DEFAULT_FAILURES.iter().map(|f| regex::escape(f)).collect::<Vec<_>>();
    (
        LineRegex::new(cache::regex(DEFAULT_PROMPT).expect("the default prompt is a valid regex")),
        cache::regex(&defaults.join("|")).expect("escaped literals are valid"),
    )
});

impl Command<Lines> {
    /// A command whose result is its output lines, ending on `prompt`.
    pub fn lines(command: impl Into<String>, prompt: &str) -> Self {
        Command::new(command, Lines::default()).prompt(prompt)
    }
}

impl<P: Parser> Command<P> {
    /// `command` parsed by `parser`, with [`DEFAULT_PROMPT`] and the default failures.
    pub fn new(command: impl Into<String>, parser: P) -> Self {
        Self {
            command: command.into(),
            parser,
            prompt: DEFAULTS.0.clone(),
            // The generic prompt starts with a wide class: never looked for after output.
            prompt_tail: None,
            failures: Vec::new(),
            failure_exceptions: Vec::new(),
            default_failures: true,
            failure_first_line_only: false,
            ret_required: true,
            expect_echo: true,
            sends: None,
            timeout: DEFAULT_COMMAND_TIMEOUT,
            terminating: DEFAULT_TERMINATING_PERIOD,
            invalid: None,
            echo_seen: false,
            echo: None,
            paste_end: None,
            line_cap: usize::MAX,
            lines: LineSplitter::new(usize::MAX),
            taken: 0,
            tail_at: None,
            outcome: Outcome::default(),
            interrupted: Interrupted::default(),
            ctrl_c_key: CtrlCKey::default(),
            resend: None,
            resent: false,
            break_exec: None,
            break_on_timeout: true,
            command_path: String::new(),
            timeout_action: None,
            suspended: None,
            enter_on_unanchored: false,
            unanchored: None,
            held: false,
        }
    }

    /// `compiled`, or `None` with the command made to fail at its start (see [`Command::reject`]).
    fn compiled<T>(&mut self, what: &str, compiled: Result<T, regex::Error>) -> Option<T> {
        compiled.map_err(|e| self.reject(what, &e)).ok()
    }

    /// Makes the command fail at its start: its `what` regex is invalid (the first error stays).
    fn reject(&mut self, what: &str, e: &regex::Error) {
        self.invalid.get_or_insert_with(|| {
            Box::new(Error::WrongUsage(format!(
                "invalid {what} regex for command '{}': {e}",
                self.command
            )))
        });
    }

    /// The regex of the prompt that ends the command. An invalid regex makes the command fail
    /// at its start with [`Error::WrongUsage`].
    pub fn prompt(mut self, prompt: &str) -> Self {
        match cache::prompt(prompt) {
            Ok((regex, tail)) => {
                self.prompt = regex;
                self.prompt_tail = tail;
            }
            Err(e) => self.reject("prompt", &e),
        }
        self
    }

    /// Adds a failure regex.
    pub fn failure(mut self, pattern: &str) -> Self {
        if let Some(r) = self.compiled("failure", cache::line_regex(pattern)) {
            self.failures.push(r);
        }
        self
    }

    /// Adds an exception to the failure patterns: a line matching `pattern` never fails the
    /// command (`find: …: Permission denied` while `find: …` otherwise does).
    pub fn failure_exception(mut self, pattern: &str) -> Self {
        if let Some(r) = self.compiled("failure exception", cache::line_regex(pattern)) {
            self.failure_exceptions.push(r);
        }
        self
    }

    /// Only the first output line may be a failure (Moler's `failure_only_in_first_line` of
    /// `cat` and `tail`): a file whose text says `No such file or directory` is no failure.
    ///
    /// ```
    /// use moler_core::{Command, Connection};
    /// use std::time::Instant;
    ///
    /// let cat = Command::lines("cat notes", "^\\$ $").failures_in_first_line_only(true);
    /// let mut conn = Connection::new("demo");
    /// let done = conn.start(cat, Instant::now());
    /// conn.handle_input(b"cat notes\nbug 12:\nfixed: x: No such file or directory\n$ ", Instant::now());
    /// assert!(done.try_result().unwrap().is_ok(), "the second output line");
    /// ```
    pub fn failures_in_first_line_only(mut self, on: bool) -> Self {
        self.failure_first_line_only = on;
        self
    }

    /// Drops the default failure regexes (the ones added with [`Command::failure`] stay).
    pub fn no_default_failures(mut self) -> Self {
        self.default_failures = false;
        self
    }

    /// Whether the prompt ends the command only once the parser has a result (default on).
    pub fn ret_required(mut self, on: bool) -> Self {
        self.ret_required = on;
        self
    }

    /// Whether to wait for the echo of the command before parsing (default on; turn it off for
    /// devices that do not echo).
    pub fn expect_echo(mut self, on: bool) -> Self {
        self.expect_echo = on;
        self
    }

    /// Makes the command fail at its start with `error` instead of sending anything: for a
    /// builder that found its parameters wrong but must still return a command.
    pub fn fail_at_start(mut self, error: Error) -> Self {
        self.invalid.get_or_insert(Box::new(error));
        self
    }

    /// Sends `text` (followed by the connection's newline if `newline`) instead of the command
    /// line when the command starts; the echo is still looked for as the command string. For
    /// control characters: Moler's `ctrl_c` is `Command::new("", parser).sends("\x03", false)`,
    /// which ends at the prompt after the Ctrl-C's echo (see [`Command`]'s Ctrl-C rules).
    ///
    /// Sent at once even after a command whose Ctrl-C's prompt never came back: keys are how a
    /// script gets the prompt back. Text that is input lines, to be held like a command line
    /// until the prompt shows, goes through [`Command::types`].
    pub fn sends(mut self, text: impl Into<String>, newline: bool) -> Self {
        self.sends = Some(Sends { text: text.into(), newline, lines: false });
        self
    }

    /// Types `text` and the connection's newline instead of the command line: lines typed as a
    /// command line is (tee's command line and its here-document at once). Unlike
    /// [`Command::sends`]'s keys, they wait for the prompt after a command whose Ctrl-C's
    /// prompt never came back ([`Context::prompt_unconfirmed`]), so they never go to what may
    /// still read the terminal. The echo is still looked for as the command string.
    ///
    /// ```
    /// use moler_core::{Command, Connection, Lines};
    /// use std::time::Instant;
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// let tee = Command::new("tee f << EOF", Lines::default())
    ///     .types("tee f << EOF\nhello\nEOF")
    ///     .prompt("^\\$ $");
    /// let done = conn.start(tee, t0);
    /// let mut sent = Vec::new();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert_eq!(sent, b"tee f << EOF\nhello\nEOF\n");
    /// conn.handle_input(b"tee f << EOF\r\n> hello\r\n> EOF\r\nhello\r\n$ ", t0);
    /// assert!(done.try_result().unwrap().is_ok());
    /// ```
    pub fn types(mut self, text: impl Into<String>) -> Self {
        self.sends = Some(Sends { text: text.into(), newline: true, lines: true });
        self
    }

    /// Sends what the command sends once more, once, if nothing ended it within `after`: for a
    /// control character a shell can miss (bash loses a Ctrl-C that arrives while readline is
    /// still setting up after showing its prompt, and then stays silent). Moler's `ctrl_c` uses
    /// it. For a Ctrl-C, both echoes are then awaited before a prompt ends the command (see
    /// [`Command`]'s Ctrl-C rules), so the next command is never typed ahead of the second one;
    /// if the shell lost the first, the prompt after the one echo ends it a quarter of the
    /// terminating period after it came.
    ///
    /// ```
    /// use moler_core::{Command, Connection, Lines};
    /// use std::time::{Duration, Instant};
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// let ctrl_c = Command::new("", Lines::default())
    ///     .sends("\x03", false)
    ///     .expect_echo(false)
    ///     .ret_required(false)
    ///     .prompt("^\\$ $")
    ///     .resend_after(Duration::from_secs(1));
    /// let done = conn.start(ctrl_c, t0);
    /// let mut sent = Vec::new();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert_eq!(sent, b"\x03");
    /// conn.handle_input(b"^C", t0); // echoed, but missed: no prompt
    /// conn.handle_timeout(t0 + Duration::from_secs(1));
    /// sent.clear();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert_eq!(sent, b"\x03", "once more");
    /// conn.handle_input(b"^C\r\n$ ", t0 + Duration::from_secs(1));
    /// assert!(done.try_result().unwrap().is_ok());
    /// ```
    pub fn resend_after(mut self, after: Duration) -> Self {
        self.resend = Some(after);
        self
    }

    /// The timeout counted from the command's start (default 20 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long to swallow output after Ctrl-C on timeout or cancel (default 2 s; ends earlier
    /// when the prompt returns). Without the prompt halfway through, a second Ctrl-C is sent.
    pub fn terminating_period(mut self, period: Duration) -> Self {
        self.terminating = period;
        self
    }

    /// The longest line kept, in bytes; longer lines are cut. By default nothing is cut: a
    /// command keeps its whole output (its timeout bounds it), a 20 MB line too. A partial line
    /// (no line end yet) longer than [`DEFAULT_LINE_CAP`] is no longer given to the parser or
    /// matched against the prompt whole: only its end is looked at for the prompt (output
    /// without a final newline, then the prompt), so such a line costs time linear in its length.
    pub fn line_cap(mut self, cap: usize) -> Self {
        self.line_cap = cap;
        self.lines = LineSplitter::new(cap);
        self
    }

    /// Stops the command when an output line matches `pattern` (Moler's `break_exec_regex`):
    /// Ctrl-C is sent, and the prompt that follows ends the command with what its parser has
    /// (a tool that would run on, `tail -f` until a line shows; a ping's statistics after its
    /// Ctrl-C are still parsed). An invalid regex makes the
    /// command fail at its start with [`Error::WrongUsage`].
    ///
    /// ```
    /// use moler_core::{Command, Connection};
    /// use std::time::Instant;
    ///
    /// let mut conn = Connection::new("demo");
    /// let tail = conn.start(Command::lines("tail -f app.log", "^\\$ $").break_exec("READY"), Instant::now());
    /// let _ = conn.poll_transmit(&mut Vec::new());
    /// conn.handle_input(b"tail -f app.log\nstarting\nREADY\n", Instant::now());
    /// let mut sent = Vec::new();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert_eq!(sent, b"\x03", "stopped at the line");
    /// conn.handle_input(b"^C\n$ ", Instant::now());
    /// assert_eq!(tail.try_result().unwrap().unwrap(), ["starting", "READY"]);
    /// ```
    pub fn break_exec(mut self, pattern: &str) -> Self {
        self.break_exec = self.compiled("break_exec", cache::regex(pattern));
        self
    }

    /// Whether a timeout sends Ctrl-C and waits for the prompt (on by default; Moler's
    /// `break_on_timeout`). Off, the command just fails with its timeout: the tool goes on
    /// running, and the shell is not ready for the next command until it ends.
    pub fn break_on_timeout(mut self, on: bool) -> Self {
        self.break_on_timeout = on;
        self
    }

    /// What a timeout does (Moler's `set_timeout_action`): [`TimeoutAction::CtrlC`], or
    /// [`TimeoutAction::CtrlZ`] for tools that ignore Ctrl-C (Ctrl-Z, then the job the shell
    /// reports stopped is killed and waited for, then the prompt). Without it, the connection's
    /// default ([`crate::Mailbox::set_timeout_action`], `ConnectionHandle::set_timeout_action`).
    /// [`Command::break_on_timeout`] off wins: nothing is sent.
    ///
    /// ```
    /// use moler_core::{Command, Connection, TimeoutAction};
    /// use std::time::{Duration, Instant};
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new("demo");
    /// let cmd = Command::lines("stubborn", "^\\$ $")
    ///     .timeout(Duration::from_secs(1))
    ///     .timeout_action(TimeoutAction::CtrlZ);
    /// let done = conn.start(cmd, t0);
    /// conn.handle_input(b"stubborn\r\n", t0);
    /// conn.handle_timeout(t0 + Duration::from_secs(1));
    /// assert!(done.try_result().unwrap().unwrap_err().is_timeout());
    /// let mut sent = Vec::new();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert!(sent.ends_with(b"\x1a"), "Ctrl-Z");
    /// conn.handle_input(b"^Z\r\n[1]+  Stopped                 stubborn\r\n", t0 + Duration::from_secs(1));
    /// sent.clear();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert!(sent.is_empty(), "the kill line is typed at the prompt, not before");
    /// conn.handle_input(b"$ ", t0 + Duration::from_secs(1));
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert_eq!(sent, b"kill %1; while jobs %1 >/dev/null 2>&1; do sleep 0.05; done\n");
    /// // The next command waits until the kill line's prompt is back.
    /// let next = conn.start(Command::lines("pwd", "^\\$ $"), t0 + Duration::from_secs(1));
    /// conn.handle_input(b"kill %1; while jobs %1 >/dev/null 2>&1; do sleep 0.05; done\r\n", t0 + Duration::from_secs(1));
    /// conn.handle_input(b"[1]+  Terminated              stubborn\r\n$ ", t0 + Duration::from_secs(1));
    /// sent.clear();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert_eq!(sent, b"pwd\n");
    /// # drop(next);
    /// ```
    pub fn timeout_action(mut self, action: TimeoutAction) -> Self {
        self.timeout_action = Some(action);
        self
    }

    /// Sends one Enter when a line holds the prompt but not where the prompt regex's anchors
    /// want it (Moler's `enter_on_prompt_without_anchors`): a kernel message printed over the
    /// prompt (`[ 12.3] usb 1-1: new device moler_bash# `) leaves it mid-line, and the
    /// Enter brings a clean prompt line. Once per command; the prompt regex without its
    /// leading `^` and trailing `$` is what is looked for.
    ///
    /// ```
    /// use moler_core::{Command, Connection};
    /// use std::time::Instant;
    ///
    /// let mut conn = Connection::new("demo");
    /// let cmd = Command::lines("reset", "^moler_bash# $").enter_on_prompt_without_anchors(true);
    /// let done = conn.start(cmd, Instant::now());
    /// let mut sent = Vec::new();
    /// let _ = conn.poll_transmit(&mut sent);
    /// conn.handle_input(b"reset\r\ndone\r\n[ 5.1] eth0: link up moler_bash# \r\n", Instant::now());
    /// sent.clear();
    /// let _ = conn.poll_transmit(&mut sent);
    /// assert_eq!(sent, b"\n", "one Enter");
    /// conn.handle_input(b"moler_bash# ", Instant::now());
    /// assert_eq!(done.try_result().unwrap().unwrap(), ["done", "[ 5.1] eth0: link up moler_bash# "]);
    /// ```
    pub fn enter_on_prompt_without_anchors(mut self, on: bool) -> Self {
        self.enter_on_unanchored = on;
        self
    }

    /// A prefix for the command line, such as `/usr/local/bin/` (Moler's `command_path`); the
    /// echo and [`Command::command`] include it.
    pub fn command_path(mut self, path: &str) -> Self {
        self.command_path = path.to_owned();
        if !path.is_empty() && !self.command.starts_with(path) {
            self.command = format!("{path}{}", self.command);
        }
        self
    }

    /// The same command with its parser passed through `f`, every setting kept: for a
    /// parser whose result has another form (the registry's commands, whose result is JSON,
    /// parse into it directly).
    pub fn map_parser<Q: Parser>(self, f: impl FnOnce(P) -> Q) -> Command<Q> {
        let Self {
            parser,
            command,
            prompt,
            prompt_tail,
            failures,
            failure_exceptions,
            default_failures,
            failure_first_line_only,
            ret_required,
            expect_echo,
            sends,
            timeout,
            terminating,
            invalid,
            echo_seen,
            echo,
            paste_end,
            line_cap,
            lines,
            taken,
            tail_at,
            outcome,
            interrupted,
            ctrl_c_key,
            resend,
            resent,
            break_exec,
            break_on_timeout,
            command_path,
            timeout_action,
            suspended,
            enter_on_unanchored,
            unanchored,
            held,
        } = self;
        Command {
            parser: f(parser),
            command,
            prompt,
            prompt_tail,
            failures,
            failure_exceptions,
            default_failures,
            failure_first_line_only,
            ret_required,
            expect_echo,
            sends,
            timeout,
            terminating,
            invalid,
            echo_seen,
            echo,
            paste_end,
            line_cap,
            lines,
            taken,
            tail_at,
            outcome,
            interrupted,
            ctrl_c_key,
            resend,
            resent,
            break_exec,
            break_on_timeout,
            command_path,
            timeout_action,
            suspended,
            enter_on_unanchored,
            unanchored,
            held,
        }
    }

    /// The command string.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Sends the command and arms the resend (see [`Command::resend_after`]).
    fn type_line(&self, cx: &mut Context<'_>) {
        self.send_command(cx);
        if let Some(after) = self.resend {
            cx.wake_in(after);
        }
    }

    /// Feeds `data` to the line splitter; whether a line, or the partial line, is the prompt.
    fn prompt_in(&mut self, data: &str) -> bool {
        let prompt = &self.prompt;
        let mut seen = false;
        self.lines.feed(data, |l| seen |= is_prompt(prompt, &strip_escapes(l)));
        if let Some(p) = self.lines.take_partial_change().filter(|p| p.len() <= PARTIAL_WINDOW) {
            seen |= is_prompt(prompt, &strip_escapes(p));
        }
        seen
    }

    /// While lingering after a Ctrl-C: whether `data` brings the prompt that ends the linger,
    /// the one after the Ctrl-C's echo (`^C`, or the bare control character of a terminal
    /// without `ECHOCTL`).
    ///
    /// A prompt before any echo is the command's own end: it ended by itself before the Ctrl-C
    /// reached the shell, its output still on the way when the timeout came (a slow serial
    /// line, a stalled link). The Ctrl-C then comes to the shell's idle prompt, and bash's
    /// readline, handling it, drops what it has read of a line typed meanwhile: ending the
    /// linger at that prompt let the next command lose its first characters (`-bash: cho:
    /// command not found`, seen in `tests/faults.rs` with an SSH link stalled and resumed). So
    /// the linger waits on for the echo and the prompt after it, or, if no echo comes, a
    /// quarter of the terminating period after that prompt (a device that echoes nothing;
    /// see [`Observer::on_linger_wake`]). Once a prompt has come, no second Ctrl-C is sent.
    fn interrupt_over(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        let Self { lines, prompt, interrupted, terminating, .. } = self;
        let settle = *terminating / 4;
        lines.feed(data, |line| {
            interrupted.look(prompt, line, true, settle, cx);
        });
        if let Some(p) = lines.take_partial_change().filter(|p| p.len() <= PARTIAL_WINDOW) {
            interrupted.look(prompt, p, false, settle, cx);
        }
        interrupted.over
    }

    /// Sends the command line, or what [`Command::sends`] says instead.
    fn send_command(&self, cx: &mut Context<'_>) {
        match &self.sends {
            None => cx.sendline(&self.command),
            Some(Sends { text, newline: true, .. }) => cx.sendline(text),
            Some(Sends { text, newline: false, .. }) => cx.send(text),
        }
    }

    fn describe_command(&self) -> String {
        // Built by hand: once per command, and `format!` costs about 400 instructions more.
        let mut s = String::with_capacity(self.command.len() + 10);
        s.push_str("command '");
        s.push_str(&self.command);
        s.push('\'');
        s
    }

    /// Looks for the echo in `data`, the next chunk before it; once its line has ended,
    /// returns the text after that line end.
    fn find_echo<'a>(&mut self, data: &'a str) -> Option<&'a str> {
        let end = self.echo.get_or_insert_with(EchoFinder::default).feed(&self.command, data)?;
        self.echo_seen = true;
        self.echo = None;
        self.paste_end = Some(PasteEnd::default());
        Some(match end {
            EchoLineEnd::At(start) => &data[start..],
            EchoLineEnd::CrRun => {
                self.lines.expect_line_end_rest();
                if let Some(p) = &mut self.paste_end {
                    p.in_line_end = true;
                }
                ""
            }
        })
    }

    /// `data` (output after the echo line) without readline's [`PASTE_END`] at its start.
    fn without_paste_end<'a>(&mut self, data: &'a str) -> Cow<'a, str> {
        let Some(p) = &mut self.paste_end else { return Cow::Borrowed(data) };
        let (text, done) = p.filter(data);
        if done {
            self.paste_end = None;
        }
        text
    }

    fn feed(&mut self, text: &str, cx: &mut Context<'_>) {
        let Self {
            command,
            sends,
            lines,
            parser,
            prompt,
            prompt_tail,
            failures,
            failure_exceptions,
            default_failures,
            failure_first_line_only,
            ret_required,
            outcome,
            taken,
            tail_at,
            break_exec,
            unanchored,
            interrupted,
            ctrl_c_key,
            terminating,
            ..
        } = self;
        // No escape in the whole chunk (one search, not one a line): its lines need no
        // stripping. Only for a chunk of several lines: a command's short answer (a line or
        // two) is searched line by line as cheaply (measured: 100 instructions more a round
        // trip with the search for every chunk).
        let clean = text.len() >= CLEAN_CHECK_FROM
            && memchr::memchr2(0x1b, 0x07, text.as_bytes()).is_none();
        let mut handle = |line: &str, partial: bool, escape_free: bool| {
            if outcome.finished {
                if outcome.broke && interrupted.bare_prompt {
                    // The break's Ctrl-C's echo and prompt in the same read as the command's
                    // own prompt: no linger needed.
                    interrupted.look(prompt, line, !partial, *terminating / 4, cx);
                }
                return;
            }
            // Any change to the line under way: a prompt seen at its end was not the last word.
            *tail_at = None;
            let stripped = if escape_free { Cow::Borrowed(line) } else { strip_escapes(line) };
            // What a prompt found at the end of this line cut off was given as a line already.
            let skip = if partial { *taken } else { std::mem::take(taken) };
            let line = stripped.get(skip..).unwrap_or(&stripped);
            let output = Output {
                default_failures: *default_failures,
                failures,
                failure_exceptions,
                first_line_only: *failure_first_line_only,
                command: typed(command, sends),
            };
            let seen_prompt = is_prompt(prompt, line);
            if ctrl_c_key.echoes.needed > 0 {
                let settle = cx.now() + *terminating / 4;
                if ctrl_c_key
                    .holds(line, partial, seen_prompt, settle, |l| parser.is_dialog_prompt(l))
                {
                    return; // (a prompt before the Ctrl-C's echo: see `CtrlCKey`)
                }
            }
            if seen_prompt && parser.on_prompt(line, partial, cx) {
                outcome.at_prompt(*ret_required, parser);
                cx.confirm_prompt();
                if outcome.finished && outcome.broke {
                    // Before the break's Ctrl-C's echo, this prompt is the command's own end,
                    // and the Ctrl-C is still to reach the shell (see `Command::outcome`).
                    interrupted.look(prompt, line, !partial, *terminating / 4, cx);
                }
                return;
            }
            if !seen_prompt && unanchored.as_ref().is_some_and(|u| u.is_match(line)) {
                // Once: the Enter brings the prompt on a line of its own.
                *unanchored = None;
                cx.sendline("");
            }
            let tail = prompt_tail.as_deref().filter(|_| partial);
            if let Some(at) = tail.and_then(|t| crate::prompt::tail_start(t, line)) {
                // Output without a final newline, then the prompt? Only if nothing follows:
                // the same text is the middle of a line cut by a read (an echoed
                // `export PS1="host#"` cut after its `#`). `on_wake` decides.
                *tail_at = Some(line.len() - at);
                cx.wake_in(PROMPT_QUIET);
            }
            if outcome.broke {
                interrupted.echoes.count(line, !partial);
                if line.trim_end() == "^C" {
                    // The terminal's echo of the Ctrl-C sent by the break, not output.
                    return;
                }
            }
            output.line(line, partial, parser, outcome, cx);
            if !partial && !outcome.broke && break_exec.as_ref().is_some_and(|b| b.is_match(line)) {
                cx.send("\x03");
                outcome.broke = true;
                *interrupted = Interrupted::sent_one();
            }
        };
        // A line under way that began in this chunk is looked at here, and kept only if the
        // command goes on: the prompt that ends a command is never copied.
        let lent = lines.feed_marked_lent(text, |l, inside| handle(l, false, inside && clean));
        let Some(p) = lent.clone().map(|at| &text[at]).or_else(|| lines.take_partial_change())
        else {
            return;
        };
        if p.len() <= PARTIAL_WINDOW {
            handle(p, true, false);
        } else {
            // A long line under way: a prompt line is short, and parsers want whole lines of
            // that length, so only the prompt after output without a final newline is looked
            // for, in the line's end (the whole line would be searched at every read:
            // quadratic).
            *tail_at = None;
            if let Some(tail) = prompt_tail.as_deref().filter(|_| !outcome.finished) {
                let end = &p[truncate(p, p.len() - 4 * crate::prompt::TAIL_WINDOW).len()..];
                let end = strip_escapes(end);
                if let Some(at) = crate::prompt::tail_start(tail, &end) {
                    *tail_at = Some(end.len() - at);
                    cx.wake_in(PROMPT_QUIET);
                }
            }
        }
        if let Some(at) = lent.filter(|_| !outcome.finished) {
            lines.hold(&text[at], false);
        }
    }

    /// [`Observer::on_wake`] of a command whose line was typed.
    fn woken(&mut self, cx: &mut Context<'_>) -> Step<P::Output> {
        if let Some(early) = self.ctrl_c_key.due(cx.now()) {
            // No echo of the Ctrl-C by now: the device echoes none, and the prompt held was
            // the shell's answer.
            if early.ends {
                self.take_prompt(&early.line, early.partial, cx);
            } else {
                self.output_line(&early.line, early.partial, cx);
            }
            return self.outcome();
        }
        if !self.outcome.finished {
            self.parser.on_wake(cx);
        }
        let resend = self.resend.filter(|_| !self.resent && !self.outcome.finished);
        // (Not once a prompt came: a Ctrl-C at a prompt is what the held one waits out.)
        if let Some(after) = resend.filter(|_| self.ctrl_c_key.early.is_none()) {
            if cx.elapsed() >= after {
                self.resent = true;
                self.send_command(cx);
                self.ctrl_c_key.resent();
            } else if self.tail_at.is_none() {
                // Woken early (a wake of the end-of-line prompt rule replaced this one).
                cx.wake_in(after - cx.elapsed());
            }
        }
        let Some(from_end) = self.tail_at.take() else { return Step::Pending };
        // (Owned: the parser is given it while the line splitter keeps its own.)
        let stripped = strip_escapes(self.lines.partial()).into_owned();
        let line = stripped.get(self.taken..).unwrap_or(&stripped);
        let Some(at) = line.len().checked_sub(from_end).filter(|&at| at > 0) else {
            return Step::Pending;
        };
        let Some((before, prompt_text)) = line.split_at_checked(at) else { return Step::Pending };
        self.output_line(before, false, cx);
        self.taken += at;
        let settle = cx.now() + self.terminating / 4;
        if !self.outcome.finished
            && !self.ctrl_c_key.holds(prompt_text, true, true, settle, |_| true)
        {
            self.take_prompt(prompt_text, true, cx);
        }
        self.outcome()
    }

    /// A line matching the prompt: the end if the parser agrees, else an output line.
    fn take_prompt(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) {
        if self.parser.on_prompt(line, partial, cx) {
            self.outcome.at_prompt(self.ret_required, &self.parser);
            cx.confirm_prompt();
        } else {
            self.output_line(line, partial, cx);
        }
    }

    /// An output line: failure patterns, then the parser.
    fn output_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) {
        let output = Output {
            default_failures: self.default_failures,
            failures: &self.failures,
            failure_exceptions: &self.failure_exceptions,
            first_line_only: self.failure_first_line_only,
            command: typed(&self.command, &self.sends),
        };
        output.line(line, partial, &mut self.parser, &mut self.outcome, cx);
    }

    fn outcome(&mut self) -> Step<P::Output> {
        if !self.outcome.finished {
            return Step::Pending;
        }
        if self.outcome.broke && !self.interrupted.over {
            // The prompt came before the break's Ctrl-C was echoed: the command ended by
            // itself, and the Ctrl-C is still to reach the shell's prompt. The result is
            // delivered now; the echo and its prompt are swallowed as after a timeout (see
            // `interrupt_over`), so that Ctrl-C does not cut the start of the next command.
            self.interrupted.echoes.line_dropped();
            self.clear_lines();
            return Step::Linger { result: self.result(), period: self.terminating };
        }
        Step::Done(self.result())
    }

    /// The finished command's result.
    fn result(&mut self) -> crate::Result<P::Output> {
        // The command line is copied into an error only: a result does not pay for it.
        let command = || self.command.clone();
        if let Some(line) = self.outcome.failure.take() {
            Err(Error::CommandFailure { command: command(), line })
        } else if let Some(error) = self.outcome.parse_error.take() {
            Err(Error::Parse { command: command(), error })
        } else {
            self.parser.finish().map_err(|error| Error::Parse { command: command(), error })
        }
    }

    /// What may explain a timeout: the shell waiting for the rest of the command line, a last
    /// line that looks like a prompt the prompt regex does not match, or the prompt come back
    /// with no result.
    fn timeout_hint(&self) -> Option<String> {
        let line = strip_escapes(self.lines.partial());
        if let Some(hint) = self.parser.timeout_hint(&line) {
            return Some(hint);
        }
        if self.echo_seen && self.outcome.lines == 0 {
            if let Some(open) = unclosed(typed(&self.command, &self.sends)) {
                return Some(format!(
                    "the command line leaves {open} open, so the shell waits for the rest of it \
                     (bash shows its continuation prompt, PS2, empty in moler's local shell)"
                ));
            }
            if line.trim_end() == ">" && !is_prompt(&self.prompt, &line) {
                return Some(
                    "the shell shows its continuation prompt \"> \" right after the command: \
                     it waits for the rest of the command line (an unclosed quote or bracket, \
                     or a line ending in a backslash?)"
                        .to_owned(),
                );
            }
        }
        if let Some(mismatch) = self.prompt_mismatch(&line) {
            return Some(mismatch);
        }
        self.outcome.prompt_without_result.then(|| {
            "the prompt came back, but the output gave the command no result (it waits for \
             one: `ret_required`)"
                .to_owned()
        })
    }

    /// When the line the command is stuck on (`line`, escapes stripped) looks like a prompt
    /// that its prompt regex does not match, says so: the most common reason a command times
    /// out on a live shell.
    fn prompt_mismatch(&self, line: &str) -> Option<String> {
        let end = line.trim_end_matches([' ', '\t']);
        // (Or a question: `Password:`.)
        let looks_like_prompt = end.ends_with(crate::PROMPT_ENDS) || end.ends_with(':');
        (looks_like_prompt && !is_prompt(&self.prompt, line)).then(|| {
            // A prompt is short; a long partial line is output, quoted by its end only.
            let line = match line.char_indices().rev().nth(199) {
                Some((at, _)) if at > 0 => format!("…{}", &line[at..]),
                _ => line.to_owned(),
            };
            format!(
                "the last line {line:?} looks like a prompt but does not match the prompt regex {}",
                self.prompt.as_str()
            )
        })
    }

    /// Sends Ctrl-C and lingers until the prompt returns; halfway through the terminating period
    /// without it, [`Observer::on_linger_wake`] sends a second one.
    fn interrupt(&mut self, error: Error, cx: &mut Context<'_>) -> Step<P::Output> {
        self.interrupt_with("\x03", error, cx)
    }

    /// Sends `key` (Ctrl-C or Ctrl-Z) and lingers; see [`Command::interrupt`].
    fn interrupt_with(&mut self, key: &str, error: Error, cx: &mut Context<'_>) -> Step<P::Output> {
        cx.send(key);
        self.interrupted = Interrupted::sent_one();
        cx.wake_in(self.terminating / 2);
        self.echo_seen = true;
        self.echo = None;
        self.paste_end = None;
        self.clear_lines();
        self.outcome = Outcome::default();
        Step::Linger { result: Err(error), period: self.terminating }
    }

    /// Forgets the line under way and any prompt found at its end: what a linger reads starts
    /// afresh.
    fn clear_lines(&mut self) {
        self.lines.clear();
        self.taken = 0;
        self.tail_at = None;
    }

    /// Sends Ctrl-Z and lingers: after the `[N]+ Stopped` line, the prompt gets the job killed
    /// and waited for, the prompt after that line's echo ends the linger (see
    /// [`Command::linger_suspended`]).
    /// Without a `Stopped` line halfway through the terminating period, a Ctrl-C follows.
    fn suspend(&mut self, error: Error, cx: &mut Context<'_>) -> Step<P::Output> {
        let step = self.interrupt_with("\x1a", error, cx);
        self.suspended = Some(Suspended::default());
        step
    }

    fn linger_suspended(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        let Self { lines, prompt, suspended, .. } = self;
        let Some(state) = suspended.as_mut() else { return false };
        let mut done = false;
        let mut look = |line: &str, partial: bool, cx: &mut Context<'_>| {
            let line = strip_escapes(line);
            let next = match &state.stage {
                Stage::Stopping if !partial => stopped_job(&line).map(Stage::Stopped),
                Stage::Stopping => None,
                // Typed only at the prompt: typed earlier, while bash is still between the
                // `Stopped` line and its prompt, the terminal (not yet in readline's mode)
                // echoes the line at once and readline echoes it again after the prompt, so
                // the bare prompt between the two would end the linger before the kill ran,
                // and the job's end would be reported in the next command's output.
                Stage::Stopped(job) if is_prompt(prompt, &line) => {
                    // Not Moler's `kill %N; wait %N`: bash's `wait` may run before bash has
                    // seen the job continue (`kill` sends SIGCONT after SIGTERM), says
                    // "job N is stopped" and returns at once, and the job's end is then
                    // reported in the next command's output. `jobs %N` fails once the end has
                    // been reported.
                    cx.sendline(&format!(
                        "kill %{job}; while jobs %{job} >/dev/null 2>&1; do sleep 0.05; done"
                    ));
                    Some(Stage::Killing(format!("kill %{job}")))
                }
                Stage::Stopped(_) => None,
                Stage::Killing(echo) => {
                    (!partial && line.contains(echo.as_str())).then_some(Stage::Killed)
                }
                Stage::Killed => {
                    done |= is_prompt(prompt, &line);
                    None
                }
            };
            if let Some(next) = next {
                state.stage = next;
            }
        };
        lines.feed(data, |l| look(l, false, cx));
        if let Some(p) = lines.take_partial_change() {
            look(p, true, cx);
        }
        done
    }
}

/// The job number of bash's `[N]+  Stopped  …` line (Moler's `\[(?P<JOB_ID>\d+)\]\+\s+Stopped`).
fn stopped_job(line: &str) -> Option<String> {
    let stopped = cache::regex(r"\[(\d+)\]\+\s+Stopped").expect("a valid regex");
    stopped.captures(line).map(|c| c[1].to_owned())
}

/// The longest partial line (no line end yet) given to the parser and matched against the
/// prompt whole at every read; beyond it only its end is searched for the prompt (see
/// [`Command::line_cap`]).
const PARTIAL_WINDOW: usize = DEFAULT_LINE_CAP;

/// Why a command started after one whose prompt never came back timed out (see
/// [`Context::prompt_unconfirmed`]).
const HELD_HINT: &str = "not typed: the prompt has not come back since an earlier command's \
    Ctrl-C (what it ran may still be reading the terminal); a command that sends keys (Ctrl-C, \
    Ctrl-D, Enter) can bring it back";

/// The size of a chunk of output from which [`Command`] looks for escape codes in the whole
/// chunk at once, before its lines.
const CLEAN_CHECK_FROM: usize = 512;

/// readline's end of bracketed paste, which bash (5.1 and later, where bracketed paste is on by
/// default: remote shells, `su`, `sudo -s`) writes when it hands the typed line to the shell:
/// right after the echo line, before any output. Its `\r` belongs to the code (back to the
/// start of the still empty line), so it is no line end: read as one, it gave every command on
/// such a shell an empty first line that a local shell (bracketed paste turned off) never shows.
const PASTE_END: &[u8] = b"\x1b[?2004l\r";

/// Looks for [`PASTE_END`] at the start of a command's output, chunk by chunk, and drops it.
/// Bytes that may begin it are held back until the next chunk tells; they are an escape code's
/// (stripped anyway), so holding them changes no line a parser or prompt check sees.
#[derive(Debug, Default)]
struct PasteEnd {
    /// How many bytes of it the chunks so far ended with.
    matched: usize,
    /// The echo line ended with a `\r` at the end of a chunk: the `\r`s and one `\n` that
    /// start the next chunk are the rest of that line end, read by the line splitter.
    in_line_end: bool,
}

impl PasteEnd {
    /// `data` without the code (and with the bytes held back, when it turned out not to be
    /// it), and whether the question is settled.
    fn filter<'a>(&mut self, data: &'a str) -> (Cow<'a, str>, bool) {
        let b = data.as_bytes();
        let mut i = 0;
        if self.in_line_end {
            i = b.iter().take_while(|&&c| c == b'\r').count();
            if i < b.len() {
                self.in_line_end = false;
                if b[i] == b'\n' {
                    i += 1;
                }
            }
        }
        let line_end = &data[..i];
        let mut matched = self.matched;
        while i < b.len() && matched < PASTE_END.len() && b[i] == PASTE_END[matched] {
            i += 1;
            matched += 1;
        }
        if matched == PASTE_END.len() {
            let rest = &data[i..];
            let text = if line_end.is_empty() {
                Cow::Borrowed(rest)
            } else {
                Cow::Owned(format!("{line_end}{rest}"))
            };
            return (text, true);
        }
        if i == b.len() {
            // All of `data` may still be the start of the code: hold it.
            self.matched = matched;
            return (Cow::Borrowed(line_end), false);
        }
        // Not the code: give back what earlier chunks held (it came before `data`).
        if self.matched == 0 {
            return (Cow::Borrowed(data), true);
        }
        let held = std::str::from_utf8(&PASTE_END[..self.matched]).expect("ASCII");
        (Cow::Owned(format!("{held}{data}")), true)
    }
}

/// How many echoes of Ctrl-C `line` holds: a terminal's `^C` (`ECHOCTL`) or the bare
/// character.
fn interrupt_echoes(line: &str) -> u32 {
    let n = line.matches("^C").count() + line.bytes().filter(|&b| b == 0x03).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn is_prompt(prompt: &LineRegex, line: &str) -> bool {
    prompt.is_match(line) || line.strip_prefix("^C").is_some_and(|l| prompt.is_match(l))
}

impl<P: Parser> Observer for Command<P> {
    type Output = P::Output;

    fn describe(&self) -> String {
        self.describe_command()
    }

    fn kind(&self) -> Kind {
        Kind::Command
    }

    fn timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }

    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<P::Output> {
        if let Some(e) = self.invalid.take() {
            return Step::Done(Err(*e));
        }
        self.lines = LineSplitter::new(self.line_cap);
        self.taken = 0;
        self.echo_seen = !self.expect_echo;
        self.paste_end = None;
        self.suspended = None;
        self.unanchored = if self.enter_on_unanchored {
            let pattern = self.prompt.as_str();
            let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
            let pattern =
                pattern.strip_suffix('$').filter(|p| !p.ends_with('\\')).unwrap_or(pattern);
            cache::regex(pattern).ok()
        } else {
            None
        };
        self.resent = false;
        let ctrl_c = self.sends.as_ref().is_some_and(|s| s.text == "\x03");
        let echoes = if ctrl_c { EchoWait::for_one() } else { EchoWait::default() };
        self.ctrl_c_key = CtrlCKey { echoes, early: None };
        // After a command whose Ctrl-C's prompt never came back, a line typed now could go to
        // whatever still reads the terminal: type it once the prompt shows (already, if it
        // came while no command ran). An Enter, and what a command was given to send
        // ([`Command::sends`]: Ctrl-C, Ctrl-D, cu's escape), go at once: they are how a
        // script gets the prompt back. Lines given by [`Command::types`] are held too.
        let keys = self.sends.as_ref().is_some_and(|s| !s.lines);
        if cx.prompt_unconfirmed() && !keys && !self.command.is_empty() {
            let prompt = &self.prompt;
            if !cx.tail.last_line().is_some_and(|l| is_prompt(prompt, &l)) {
                self.held = true;
                return Step::Pending;
            }
            cx.confirm_prompt();
        }
        self.held = false;
        self.type_line(cx);
        Step::Pending
    }

    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<P::Output> {
        if self.held {
            // Until the prompt shows, the text is what the earlier command left; after it in
            // the same read there is nothing of this command's yet (its line is not typed).
            if self.prompt_in(data) {
                self.held = false;
                cx.confirm_prompt();
                self.lines = LineSplitter::new(self.line_cap);
                self.type_line(cx);
            }
            return Step::Pending;
        }
        let output = if self.echo_seen {
            data
        } else {
            match self.find_echo(data) {
                None => return Step::Pending,
                Some(rest) => rest,
            }
        };
        let output = self.without_paste_end(output);
        self.feed(&output, cx);
        self.ctrl_c_key.arm(cx);
        self.outcome()
    }

    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<P::Output> {
        let mut error = cx.timeout_error(self.describe_command());
        if self.held {
            // Nothing was typed: nothing to interrupt. A prompt other than the command's may
            // be what is there (a state left by the earlier command).
            if let Error::Timeout { hint, .. } = &mut error {
                let partial = strip_escapes(self.lines.partial());
                let last = if partial.is_empty() { cx.tail.last_line() } else { Some(partial) };
                let mismatch = last.and_then(|l| self.prompt_mismatch(&l));
                *hint = Some(match mismatch {
                    Some(m) => format!("{HELD_HINT}; {m}"),
                    None => HELD_HINT.to_owned(),
                });
            }
            return Step::Done(Err(error));
        }
        if let Error::Timeout { hint, .. } = &mut error {
            *hint = self.timeout_hint();
        }
        if !self.break_on_timeout {
            return Step::Done(Err(error));
        }
        match self.timeout_action.unwrap_or(cx.timeout_action()) {
            TimeoutAction::CtrlZ => self.suspend(error, cx),
            _ => self.interrupt(error, cx),
        }
    }

    fn on_cancel(&mut self, cx: &mut Context<'_>) -> Step<P::Output> {
        let error = Error::Cancelled { observer: self.describe_command() };
        if self.held {
            return Step::Done(Err(error));
        }
        self.interrupt(error, cx)
    }

    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        let seen = if self.suspended.is_some() {
            self.linger_suspended(data, cx)
        } else {
            self.interrupt_over(data, cx)
        };
        if seen {
            cx.confirm_prompt();
        }
        seen
    }

    /// The partial line ended in the prompt and nothing came for [`PROMPT_QUIET`]: the text
    /// before the prompt is the last output line, and the prompt ends the command.
    ///
    /// Or a prompt held before a Ctrl-C's echo has waited its time (see [`Command`]).
    fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<P::Output> {
        if self.held {
            return Step::Pending; // (nothing typed, nothing to resend or to judge)
        }
        let step = self.woken(cx);
        self.ctrl_c_key.arm(cx);
        step
    }

    /// No prompt yet, halfway through the terminating period: the shell may have missed the
    /// Ctrl-C (bash loses one that arrives while it forks the next job of a line), so one more.
    ///
    /// Or, after a prompt that came before the Ctrl-C's echo, a quarter of the period without
    /// an echo: the device echoes nothing, and the prompt seen was the last one (see
    /// [`Command`]'s Ctrl-C rules).
    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        let echoed = self.interrupted.echoes.done();
        if self.suspended.is_none() && self.interrupted.bare_prompt && !echoed {
            cx.confirm_prompt();
            return true;
        }
        if let Some(state) =
            self.suspended.as_mut().filter(|s| matches!(s.stage, Stage::Killing(_) | Stage::Killed))
        {
            // The job was stopped and the kill line sent, but its prompt is not back: the
            // tool ignores SIGTERM too. A Ctrl-C ends the shell's wait for it (once).
            if !std::mem::replace(&mut state.gave_up, true) {
                cx.send("\x03");
            }
            return false;
        }
        if self.interrupted.echoes.needed < 2 {
            // Its echo is awaited too: a prompt before it (the tool ended as this Ctrl-C left)
            // leaves it on its way to the shell's idle prompt.
            self.interrupted.echoes.needed = 2;
            cx.send("\x03");
        }
        false
    }
}
