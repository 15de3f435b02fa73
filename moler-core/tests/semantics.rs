//! The command and event rules, with time driven explicitly (no clock, no I/O).

use std::task::Poll;
use std::time::{Duration, Instant};

use moler_core::{
    Command, Connection, Context, Error, MatchMode, Observer, ParseResult, Parser, Step,
    TimeoutAction, Wait4, DEFAULT_TERMINATING_PERIOD, PROMPT_QUIET,
};

const PROMPT: &str = "^moler_bash# $";

fn lines(cmd: &str) -> Command<moler_core::Lines> {
    Command::lines(cmd, PROMPT)
}

fn sent(conn: &mut Connection) -> String {
    let mut out = Vec::new();
    let _ = conn.poll_transmit(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn echo_is_found_after_a_prompt_inside_escape_codes_and_across_wraps() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("echo hello world"), t);
    assert_eq!(sent(&mut conn), "echo hello world\n");
    // Old output, then the prompt, then an echo wrapped by the terminal (" \r") and coloured.
    conn.handle_input(b"stale line\r\nmoler_bash# \x1b[1mecho hel \rlo wo\r\nrld\x1b[0m\r\n", t);
    conn.handle_input(b"hello world\r\nmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap(), ["hello world"]);
}

#[test]
fn text_before_the_echo_never_reaches_the_parser() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("pwd"), t);
    conn.handle_input(b"moler_bash# leftovers\r\nmoler_bash# pw", t);
    conn.handle_input(b"d\r", t);
    conn.handle_input(b"\n/tmp\r\n\x1b[?2004hmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap(), ["/tmp"]);
}

/// Records every call, to see partial lines flagged.
#[derive(Default)]
struct Record(Vec<(String, bool)>);

impl Parser for Record {
    type Output = Vec<(String, bool)>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        self.0.push((line.to_owned(), partial));
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.0))
    }
}

#[test]
fn partial_lines_are_flagged_and_come_again_whole() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(Command::new("ask", Record::default()).prompt(PROMPT), t);
    conn.handle_input(b"ask\r\nPassw", t);
    conn.handle_input(b"ord: ", t);
    conn.handle_input(b"\r\nmoler_bash# ", t);
    let calls = h.try_result().unwrap().unwrap();
    let want = [("Passw", true), ("Password: ", true), ("Password: ", false)];
    assert_eq!(calls, want.map(|(l, p)| (l.to_owned(), p)));
}

#[test]
fn the_prompt_is_recognised_after_ctrl_c() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("yes").ret_required(false), t);
    conn.handle_input(b"yes\r\ny\r\ny\r\n^Cmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap(), ["y", "y"]);
}

#[test]
fn ret_required_waits_for_a_result_and_can_be_turned_off() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let needs = conn.start(lines("true"), t);
    conn.handle_input(b"true\r\nmoler_bash# ", t);
    assert!(!needs.is_done(), "an empty result does not end a command with ret_required");
    conn.close();
    assert!(needs.try_result().unwrap().unwrap_err().is_closed());

    let mut conn = Connection::new("t");
    let quiet = conn.start(lines("cd /").ret_required(false), t);
    conn.handle_input(b"cd /\r\nmoler_bash# ", t);
    assert_eq!(quiet.try_result().unwrap().unwrap(), Vec::<String>::new());
}

#[test]
fn a_failure_is_reported_when_the_prompt_returns() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("cat x"), t);
    let next = conn.start(lines("echo next"), t);
    assert_eq!(sent(&mut conn), "cat x\n", "the second command waits for the first");
    conn.handle_input(b"cat x\r\ncat: x: Permission denied\r\nmore\r\n", t);
    assert!(!h.is_done());
    conn.handle_input(b"moler_bash# ", t);
    let err = h.try_result().unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::CommandFailure { line, .. } if line == "cat: x: Permission denied")
    );
    assert_eq!(sent(&mut conn), "echo next\n");
    conn.handle_input(b"echo next\r\nnext\r\nmoler_bash# ", t);
    assert_eq!(next.try_result().unwrap().unwrap(), ["next"]);
}

/// Moler's `failure_only_in_first_line` (`cat`, `tail`): the first output line is checked as
/// always, the later ones not at all.
#[test]
fn failures_in_the_first_line_only_still_catch_the_first_line() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let first = conn.start(lines("cat x").failures_in_first_line_only(true), t);
    conn.handle_input(b"cat x\r\ncat: x: No such file or directory\r\nmoler_bash# ", t);
    let err = first.try_result().unwrap().unwrap_err();
    assert!(matches!(&err, Error::CommandFailure { line, .. } if line.starts_with("cat: x: ")));
    let later = conn.start(lines("cat y").failures_in_first_line_only(true), t);
    let _ = sent(&mut conn);
    conn.handle_input(b"cat y\r\nok\r\nz: No such file or directory\r\nmoler_bash# ", t);
    assert_eq!(later.try_result().unwrap().unwrap().len(), 2, "a later line is the file's text");
}

/// A parser that cannot read a partial line, and refuses whole lines that start with `error`.
struct Strict;

impl Parser for Strict {
    type Output = ();
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Err(moler_core::ParseError::at_line(line, "partial"));
        }
        if line.starts_with("error") {
            return Err(moler_core::ParseError::at_line(line, "refused"));
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(())
    }
}

/// A parser's error on a partial line is no error (the line comes again whole); of its errors
/// on whole lines, the first is the command's.
#[test]
fn a_parse_error_is_the_first_on_a_whole_line() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let fine = conn.start(Command::new("a", Strict).prompt(PROMPT), t);
    conn.handle_input(b"a\r\nhal", t);
    conn.handle_input(b"f\r\nmoler_bash# ", t);
    fine.try_result().unwrap().expect("the partial line's error is dropped");
    let h = conn.start(Command::new("b", Strict).prompt(PROMPT), t);
    let _ = sent(&mut conn);
    conn.handle_input(b"b\r\nerror one\r\nerr", t);
    conn.handle_input(b"or two\r\nmoler_bash# ", t);
    let err = h.try_result().unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::Parse { error, .. } if error.line() == Some("error one")),
        "{err}"
    );
}

/// [`Command::lines`]' parser, with a result only once it reads `RESULT`.
#[derive(Default)]
struct NeedsResult {
    lines: moler_core::Lines,
    result: bool,
}

impl Parser for NeedsResult {
    type Output = Vec<String>;
    fn on_line(&mut self, line: &str, partial: bool, cx: &mut Context<'_>) -> ParseResult {
        self.result |= !partial && line == "RESULT";
        self.lines.on_line(line, partial, cx)
    }
    fn has_result(&self) -> bool {
        self.result
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        self.lines.finish()
    }
}

/// A command stopped by its break pattern ends at the prompt with what it parsed, even when it
/// requires a result it never got (`ret_required`): the break, not the tool, ended it.
#[test]
fn a_break_ends_a_command_that_requires_a_result_at_its_prompt() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let tail = Command::new("tail -f log", NeedsResult::default()).prompt(PROMPT);
    let h = conn.start(tail.break_exec("READY"), t);
    assert_eq!(sent(&mut conn), "tail -f log\n");
    conn.handle_input(b"tail -f log\r\nstarting\r\nREADY\r\n", t);
    assert_eq!(sent(&mut conn), "\x03", "the break");
    conn.handle_input(b"^C\r\nmoler_bash# ", t);
    assert_eq!(h.try_result().expect("ended at its prompt").unwrap(), ["starting", "READY"]);
    // Without the break the same prompt leaves it waiting for its result.
    let h = conn.start(Command::new("tail log", NeedsResult::default()).prompt(PROMPT), t);
    conn.handle_input(b"tail log\r\nREADY\r\nmoler_bash# ", t);
    assert!(!h.is_done(), "no result, no break: ret_required waits on");
}

#[test]
fn a_timeout_sends_ctrl_c_and_swallows_output_until_the_prompt() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let slow = conn.start(lines("sleep 9").timeout(Duration::from_millis(500)), t0);
    let next = conn.start(lines("echo ok"), t0);
    assert_eq!(sent(&mut conn), "sleep 9\n");
    assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_millis(500)));
    conn.handle_input(b"sleep 9\r\n", t0);
    conn.handle_timeout(t0 + Duration::from_millis(499));
    assert!(!slow.is_done(), "not before the deadline");
    let t1 = t0 + Duration::from_millis(500);
    conn.handle_timeout(t1);
    match slow.try_result().unwrap().unwrap_err() {
        Error::Timeout { observer, timeout, elapsed, .. } => {
            assert_eq!(observer, "command 'sleep 9'");
            assert_eq!(
                (timeout, elapsed),
                (Duration::from_millis(500), Duration::from_millis(500))
            );
        }
        other => panic!("{other}"),
    }
    assert_eq!(sent(&mut conn), "\x03", "Ctrl-C, and the next command still waits");
    conn.handle_input(b"^C\r\n", t1);
    assert_eq!(sent(&mut conn), "");
    conn.handle_input(b"moler_bash# ", t1);
    assert_eq!(sent(&mut conn), "echo ok\n", "the prompt came back: the next command starts");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t1);
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
}

#[test]
fn the_terminating_period_ends_even_without_a_prompt() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let cmd =
        lines("hang").timeout(Duration::from_secs(1)).terminating_period(Duration::from_secs(2));
    let hang = conn.start(cmd, t0);
    let next = conn.start(lines("echo ok"), t0);
    conn.handle_timeout(t0 + Duration::from_secs(1));
    assert!(hang.try_result().unwrap().unwrap_err().is_timeout());
    let _ = sent(&mut conn);
    conn.handle_timeout(t0 + Duration::from_secs(2));
    assert_eq!(sent(&mut conn), "\x03", "the second Ctrl-C, halfway through");
    assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(3)));
    conn.handle_timeout(t0 + Duration::from_secs(3));
    // The linger ran out with no prompt: whatever `hang` ran may still read the terminal, so
    // the next line is not typed into it (Moler types it: a program that ignores Ctrl-C gets
    // it as input). It is typed once the prompt shows.
    assert_eq!(sent(&mut conn), "", "no prompt came back: the next line waits for one");
    assert!(!next.is_done());
    conn.handle_input(b"still hanging\r\n", t0 + Duration::from_secs(4));
    assert_eq!(sent(&mut conn), "");
    conn.handle_input(b"^C\r\nmoler_bash# ", t0 + Duration::from_secs(4));
    assert_eq!(sent(&mut conn), "echo ok\n", "the prompt is back: typed now");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t0 + Duration::from_secs(4));
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    // Confirmed: the one after it goes at once.
    let _after = conn.start(lines("echo more"), t0 + Duration::from_secs(4));
    assert_eq!(sent(&mut conn), "echo more\n");
}

/// A command whose Ctrl-C's prompt never came back: `hang` started, timed out at 1 s, its
/// linger (2 s) ran out at 3 s.
fn after_a_linger_that_ran_out() -> (Connection, Instant) {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let cmd =
        lines("hang").timeout(Duration::from_secs(1)).terminating_period(Duration::from_secs(2));
    let hang = conn.start(cmd, t0);
    for s in [1, 2, 3] {
        conn.handle_timeout(t0 + Duration::from_secs(s));
    }
    assert!(hang.try_result().unwrap().unwrap_err().is_timeout());
    assert_eq!(sent(&mut conn), "hang\n\x03\x03");
    (conn, t0 + Duration::from_secs(3))
}

#[test]
fn a_prompt_that_came_back_while_no_command_ran_lets_the_next_line_go_at_once() {
    let (mut conn, t) = after_a_linger_that_ran_out();
    conn.handle_input(b"^C\r\n\x1b[01;32mmoler_bash# \x1b[0m", t);
    let next = conn.start(lines("echo ok"), t);
    assert_eq!(sent(&mut conn), "echo ok\n");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t);
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
}

/// A held line is typed at a prompt seen as a whole line too (a device that ends its prompt
/// with a newline, or an Enter typed at it), not only at a prompt the read ends with.
#[test]
fn a_held_line_is_typed_at_a_prompt_on_a_line_of_its_own() {
    let (mut conn, t) = after_a_linger_that_ran_out();
    let next = conn.start(lines("echo ok"), t);
    assert_eq!(sent(&mut conn), "");
    conn.handle_input(b"^C\r\nmoler_bash# \r\n", t);
    assert_eq!(sent(&mut conn), "echo ok\n", "the prompt came back, on its own line");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t);
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
}

#[test]
fn a_line_waiting_for_the_prompt_times_out_untyped_and_says_why() {
    let (mut conn, t) = after_a_linger_that_ran_out();
    conn.handle_input(b"some program's own text\r\n", t);
    let next = conn.start(lines("rm -rf build").timeout(Duration::from_secs(1)), t);
    conn.handle_timeout(t + Duration::from_secs(1));
    let err = next.try_result().unwrap().unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("not typed: the prompt has not come back"), "{err}");
    assert_eq!(sent(&mut conn), "", "nothing typed, no Ctrl-C for a line never typed");
    // Still unconfirmed: the next line waits too.
    let again = conn.start(lines("echo ok"), t + Duration::from_secs(1));
    assert_eq!(sent(&mut conn), "");
    assert!(!again.is_done());
}

#[test]
fn a_line_waiting_for_its_prompt_names_the_other_prompt_that_is_there() {
    let (mut conn, t) = after_a_linger_that_ran_out();
    // The earlier command left the shell elsewhere (a `su` that went through late, say).
    conn.handle_input(b"^C\r\nroot@box:~# ", t);
    let next = conn.start(lines("id").timeout(Duration::from_secs(1)), t);
    assert_eq!(sent(&mut conn), "");
    conn.handle_timeout(t + Duration::from_secs(1));
    let err = next.try_result().unwrap().unwrap_err().to_string();
    assert!(err.contains("not typed: the prompt has not come back"), "{err}");
    assert!(err.contains("\"root@box:~# \" looks like a prompt but does not match"), "{err}");
}

#[test]
fn an_enter_is_sent_at_once() {
    let (mut conn, t) = after_a_linger_that_ran_out();
    let _enter = conn.start(lines("").expect_echo(false), t);
    assert_eq!(sent(&mut conn), "\n");
}

#[test]
fn keys_are_sent_at_once_and_their_prompt_lets_lines_go_again() {
    let (mut conn, t) = after_a_linger_that_ran_out();
    // Ctrl-D to a program that reads the terminal and ignores Ctrl-C: sent at once.
    let eof = conn.start(lines("").sends("\x04", false).expect_echo(false), t);
    assert_eq!(sent(&mut conn), "\x04");
    conn.handle_input(b"\r\nmoler_bash# ", t);
    assert!(eof.try_result().unwrap().is_ok());
    let next = conn.start(lines("echo ok"), t);
    assert_eq!(sent(&mut conn), "echo ok\n", "the key's prompt confirmed the shell");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t);
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
}

#[test]
fn typed_lines_wait_for_the_prompt_as_a_command_line_does() {
    let (mut conn, t) = after_a_linger_that_ran_out();
    // A command line and its here-document, typed at once (tee's): lines, not keys.
    let tee = lines("tee f << EOF").types("tee f << EOF\nrm -rf /\nEOF");
    let tee = conn.start(tee.ret_required(false), t);
    assert_eq!(sent(&mut conn), "", "held while something else may read the terminal");
    conn.handle_input(b"^C\r\nmoler_bash# ", t);
    assert_eq!(sent(&mut conn), "tee f << EOF\nrm -rf /\nEOF\n", "typed once the prompt showed");
    conn.handle_input(b"tee f << EOF\r\n> rm -rf /\r\n> EOF\r\nrm -rf /\r\nmoler_bash# ", t);
    assert!(tee.try_result().unwrap().is_ok());
}

#[test]
fn a_missed_ctrl_c_is_sent_again_once_halfway_through_the_terminating_period() {
    let t0 = Instant::now();
    let sec = |n: u64| t0 + Duration::from_secs(n);
    let mut conn = Connection::new("t");
    let cmd =
        lines("a; b").timeout(Duration::from_secs(1)).terminating_period(Duration::from_secs(4));
    let hung = conn.start(cmd, t0);
    let next = conn.start(lines("echo ok"), t0);
    assert_eq!(sent(&mut conn), "a; b\n");
    conn.handle_input(b"a; b\r\n", t0);
    conn.handle_timeout(sec(1));
    assert!(hung.try_result().unwrap().unwrap_err().is_timeout());
    assert_eq!(sent(&mut conn), "\x03");
    // The shell missed it: the terminal echoed it, but no prompt comes back.
    conn.handle_input(b"^C\r\n", sec(1));
    assert_eq!(conn.poll_timeout(), Some(sec(3)), "a wake-up halfway through the period");
    conn.handle_timeout(sec(2));
    assert_eq!(sent(&mut conn), "", "not before it");
    conn.handle_timeout(sec(3));
    assert_eq!(sent(&mut conn), "\x03", "the second Ctrl-C");
    assert_eq!(conn.poll_timeout(), Some(sec(5)), "then the end of the period");
    conn.handle_input(b"^C\r\n", sec(4));
    assert_eq!(sent(&mut conn), "", "no third one, and the next command still waits");
    conn.handle_input(b"moler_bash# ", sec(4));
    assert_eq!(sent(&mut conn), "echo ok\n", "the prompt after both echoes ended the linger");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", sec(4));
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);

    // No echo of the first: the one echo that comes may be the first's, late, with the second
    // still on its way to the shell's prompt. A quarter of the period after the prompt, none
    // more having come, the linger ends.
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut conn = Connection::new("t");
    let cmd =
        lines("a; b").timeout(Duration::from_secs(1)).terminating_period(Duration::from_secs(4));
    let hung = conn.start(cmd, t0);
    let next = conn.start(lines("echo ok"), t0);
    let _ = sent(&mut conn);
    conn.handle_input(b"a; b\r\n", t0);
    conn.handle_timeout(sec(1));
    assert!(hung.try_result().unwrap().unwrap_err().is_timeout());
    conn.handle_timeout(sec(3));
    assert_eq!(sent(&mut conn), "\x03\x03", "the first and the second Ctrl-C");
    conn.handle_input(b"^C\r\nmoler_bash# ", ms(3200));
    assert_eq!(sent(&mut conn), "", "one echo for two Ctrl-Cs");
    assert_eq!(conn.poll_timeout(), Some(ms(4200)), "a quarter of 4 s after the prompt");
    conn.handle_timeout(ms(4199));
    assert_eq!(sent(&mut conn), "");
    conn.handle_timeout(ms(4200));
    assert_eq!(sent(&mut conn), "echo ok\n");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", sec(5));
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
}

/// The first Ctrl-C was echoed, but its tool took longer than half the terminating period to
/// end, so a second Ctrl-C went out; the tool then ended as it left. The prompt that comes
/// before the second one's echo leaves it on its way to bash's idle prompt, where it would cut
/// the next command's first characters: the linger waits for its echo and the prompt after
/// it, or, with no echo, a quarter of the period after that prompt. An echo of the first
/// Ctrl-C still on its line is not the second's.
#[test]
fn a_prompt_before_the_second_ctrl_c_echo_does_not_end_the_linger() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    // (what came before the second Ctrl-C, after it, and whether an echo follows)
    for (before, after, echo) in [
        ("^C\r\ncleaning up\r\n", "moler_bash# ", true),
        ("^C\r\ncleaning up\r\n", "done\r\nmoler_bash# ", false),
        ("cleaning up\r\n^C", "\r\nmoler_bash# ", true),
        ("cleaning up\r\n^C", "\r\nmoler_bash# ", false),
    ] {
        let what = format!("{before:?} then {after:?}, echo {echo}");
        let mut conn = Connection::new("t");
        let cmd = lines("cleanup-slowly")
            .timeout(Duration::from_secs(1))
            .terminating_period(Duration::from_secs(2));
        let slow = conn.start(cmd, t0);
        let next = conn.start(lines("echo ok"), t0);
        let _ = sent(&mut conn);
        conn.handle_input(b"cleanup-slowly\r\n", t0);
        conn.handle_timeout(ms(1000));
        assert!(slow.try_result().unwrap().unwrap_err().is_timeout());
        assert_eq!(sent(&mut conn), "\x03");
        conn.handle_input(before.as_bytes(), ms(1100));
        conn.handle_timeout(ms(2000));
        assert_eq!(sent(&mut conn), "\x03", "{what}: the second Ctrl-C");
        conn.handle_input(after.as_bytes(), ms(2010));
        assert_eq!(sent(&mut conn), "", "{what}: the second Ctrl-C is still on its way");
        if echo {
            conn.handle_input(b"^C\r\nmoler_bash# ", ms(2020));
            assert_eq!(sent(&mut conn), "echo ok\n", "{what}: ended by the second echo's prompt");
        } else {
            assert_eq!(conn.poll_timeout(), Some(ms(2510)), "{what}: a quarter period later");
            conn.handle_timeout(ms(2509));
            assert_eq!(sent(&mut conn), "", "{what}");
            conn.handle_timeout(ms(2510));
            assert_eq!(sent(&mut conn), "echo ok\n", "{what}: no echo came");
        }
        conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", ms(2600));
        assert_eq!(next.try_result().unwrap().unwrap(), ["ok"], "{what}");
        conn.handle_timeout(ms(5000));
        assert_eq!(sent(&mut conn), "", "{what}: never a third Ctrl-C");
    }
}

#[test]
fn a_prompt_after_the_first_ctrl_c_means_no_second_one() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let cmd = lines("sleep 9").terminating_period(Duration::from_secs(2));
    let slow = conn.start(cmd, t0);
    let _ = sent(&mut conn);
    conn.handle_input(b"sleep 9\r\n", t0);
    slow.cancel();
    conn.handle_requests(t0);
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_input(b"^C\r\nmoler_bash# ", t0);
    assert_eq!(conn.poll_timeout(), None, "the linger ended, no wake-up left");
    conn.handle_timeout(t0 + Duration::from_secs(1));
    assert_eq!(sent(&mut conn), "");
    assert!(matches!(slow.try_result().unwrap(), Err(Error::Cancelled { .. })));
}

/// A command that ended by itself while its output was on the way (a slow serial line, a
/// stalled link) times out: its Ctrl-C reaches the shell's idle prompt after the command's own
/// prompt has come. bash's readline, handling that Ctrl-C, drops what it has read of a line
/// typed meanwhile (`-bash: cho: command not found` in `tests/faults.rs`), so the linger goes
/// on past that prompt, to the Ctrl-C's echo and the prompt after it.
#[test]
fn a_prompt_before_the_ctrl_c_echo_does_not_end_the_linger_the_prompt_after_the_echo_does() {
    let t0 = Instant::now();
    let sec = |n: u64| t0 + Duration::from_secs(n);
    // The echo on a line of its own, on the prompt's line, or on the prompt's partial line.
    for rest in [&b"^C\r\nmoler_bash# "[..], b"^C\r\n", b""] {
        let mut conn = Connection::new("t");
        let cmd = lines("seq 1 20000")
            .timeout(Duration::from_secs(1))
            .terminating_period(Duration::from_secs(4));
        let seq = conn.start(cmd, t0);
        let next = conn.start(lines("echo ok"), t0);
        assert_eq!(sent(&mut conn), "seq 1 20000\n");
        conn.handle_input(b"seq 1 20000\r\n1\r\n2\r\n", t0);
        conn.handle_timeout(sec(1));
        assert!(seq.try_result().unwrap().unwrap_err().is_timeout());
        assert_eq!(sent(&mut conn), "\x03");
        conn.handle_input(b"3\r\n19999\r\n20000\r\nmoler_bash# ", sec(1));
        assert_eq!(sent(&mut conn), "", "the command's own prompt: the Ctrl-C is on its way");
        assert_eq!(conn.poll_timeout(), Some(sec(2)), "a quarter of the period for its echo");
        if rest.is_empty() {
            // The echo in a read of its own, after the prompt on its line.
            conn.handle_input(b"^C", sec(1));
            conn.handle_input(b"\r\n", sec(1));
        } else {
            conn.handle_input(b"^C\r\n", sec(1));
        }
        assert_eq!(conn.poll_timeout(), Some(sec(5)), "the echo came: only the period's end");
        conn.handle_timeout(sec(2));
        assert_eq!(sent(&mut conn), "", "no second Ctrl-C after a prompt, and still waiting");
        conn.handle_input(b"moler_bash# ", sec(2));
        assert_eq!(sent(&mut conn), "echo ok\n", "the prompt after the echo ended the linger");
        conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", sec(2));
        assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    }
}

/// A caller's wait and the connection's timer reach a command's deadline together: the
/// connection times the command out (Ctrl-C, the linger), then takes the caller's expiry or
/// cancel, asked for just before the result came. That late request must leave the linger as it
/// is: ending it sent the next command right behind the Ctrl-C, into a ping still printing, and
/// the next ping read the first one's statistics as its own result (a CI run under load:
/// `tests/device_local.rs`). Nor may it drop the linger's wake-up (the second Ctrl-C).
#[test]
fn an_expiry_or_cancel_asked_for_as_the_timeout_fires_leaves_the_linger_alone() {
    let t0 = Instant::now();
    let sec = |n: u64| t0 + Duration::from_secs(n);
    for cancel in [false, true] {
        let mut conn = Connection::new("t");
        let cmd = lines("ping host").timeout(Duration::from_secs(1));
        let ping = conn.start(cmd.terminating_period(Duration::from_secs(4)), t0);
        let next = conn.start(lines("echo ok"), t0);
        assert_eq!(sent(&mut conn), "ping host\n");
        conn.handle_input(b"ping host\r\n64 bytes from host\r\n", t0);
        // The caller's deadline: asked for before any result, taken after the timer's.
        if cancel {
            ping.cancel();
        } else {
            ping.expire(Duration::from_secs(1));
        }
        conn.handle_timeout(sec(1));
        assert!(ping.try_result().unwrap().unwrap_err().is_timeout());
        assert_eq!(sent(&mut conn), "\x03", "one Ctrl-C, the next command waits (cancel {cancel})");
        assert_eq!(conn.poll_timeout(), Some(sec(3)), "the second Ctrl-C's time is kept");
        conn.handle_input(b"^C\r\n--- host ping statistics ---\r\n", sec(1));
        assert_eq!(sent(&mut conn), "", "no prompt yet: still lingering");
        conn.handle_input(b"2 packets transmitted\r\nmoler_bash# ", sec(1));
        assert_eq!(sent(&mut conn), "echo ok\n", "the prompt after the echo ended the linger");
        conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", sec(1));
        assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    }
}

/// The same where the device echoes no Ctrl-C: the linger ends a quarter of the terminating
/// period after the prompt (not at the period's end), and no second Ctrl-C goes to the prompt.
#[test]
fn without_an_echo_the_linger_ends_a_quarter_period_after_a_prompt_that_came_first() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut conn = Connection::new("t");
    let cmd = lines("seq 1 20000")
        .timeout(Duration::from_secs(1))
        .terminating_period(Duration::from_secs(2));
    let seq = conn.start(cmd, t0);
    let next = conn.start(lines("echo ok"), t0);
    let _ = sent(&mut conn);
    conn.handle_input(b"seq 1 20000\r\n1\r\n", t0);
    conn.handle_timeout(ms(1000));
    assert!(seq.try_result().unwrap().unwrap_err().is_timeout());
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_input(b"20000\r\nmoler_bash# ", ms(1200));
    assert_eq!(conn.poll_timeout(), Some(ms(1700)), "a quarter of 2 s after the prompt");
    conn.handle_input(b"\r\n", ms(1300));
    conn.handle_timeout(ms(1699));
    assert_eq!(sent(&mut conn), "");
    conn.handle_timeout(ms(1700));
    assert_eq!(sent(&mut conn), "echo ok\n", "no echo came: the prompt seen was the last");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", ms(1800));
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    conn.handle_timeout(ms(4000));
    assert_eq!(sent(&mut conn), "", "never a second Ctrl-C");
}

/// A break (`break_exec`) whose line was the tool's last: the prompt comes before the break's
/// Ctrl-C is echoed. The result is delivered at once; the next command waits for the echo and
/// its prompt, as after a timeout.
#[test]
fn a_break_on_the_last_line_delivers_at_its_prompt_and_the_next_command_waits_for_the_echo() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let cmd = lines("ping -c 3 h").break_exec("icmp_seq=3 ");
    let ping = conn.start(cmd, t);
    let next = conn.start(lines("echo ok"), t);
    let _ = sent(&mut conn);
    conn.handle_input(b"ping -c 3 h\r\n64 bytes: icmp_seq=3 ttl=64\r\n", t);
    assert_eq!(sent(&mut conn), "\x03", "the break");
    conn.handle_input(b"3 packets transmitted\r\nmoler_bash# ", t);
    let out = ping.try_result().expect("delivered at its prompt").unwrap();
    assert_eq!(out, ["64 bytes: icmp_seq=3 ttl=64", "3 packets transmitted"]);
    assert_eq!(sent(&mut conn), "", "the break's Ctrl-C is on its way to the shell");
    conn.handle_input(b"^C\r\nmoler_bash# ", t);
    assert_eq!(sent(&mut conn), "echo ok\n");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t);
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    // A break echoed before its prompt ends the command at that prompt, as always.
    let ping = conn.start(lines("ping h").break_exec("icmp_seq=1 "), t);
    let after = conn.start(lines("echo after"), t);
    let _ = sent(&mut conn);
    conn.handle_input(b"ping h\r\n64 bytes: icmp_seq=1 ttl=64\r\n^C\r\n1 packets\r\n", t);
    conn.handle_input(b"moler_bash# ", t);
    assert_eq!(ping.try_result().unwrap().unwrap().len(), 2);
    assert_eq!(sent(&mut conn), "\x03echo after\n");
    conn.handle_input(b"echo after\r\nafter\r\nmoler_bash# ", t);
    assert_eq!(after.try_result().unwrap().unwrap(), ["after"]);
    // The echo and its prompt in the same read as the command's own prompt: nothing to wait.
    // (Read at once, the prompt with the echo after it is one line, which `^moler_bash# $`
    // does not match: output, as it always was; the prompt after it ends the command.)
    let ping = conn.start(lines("ping -c 1 h").break_exec("icmp_seq=1 "), t);
    let last = conn.start(lines("echo last"), t);
    let _ = sent(&mut conn);
    conn.handle_input(b"ping -c 1 h\r\n64 bytes: icmp_seq=1 ttl=64\r\n", t);
    conn.handle_input(b"1 packets\r\nmoler_bash# ^C\r\nmoler_bash# ", t);
    assert_eq!(ping.try_result().unwrap().unwrap()[2], "moler_bash# ^C");
    assert_eq!(sent(&mut conn), "\x03echo last\n");
    conn.handle_input(b"echo last\r\nlast\r\nmoler_bash# ", t);
    assert_eq!(last.try_result().unwrap().unwrap(), ["last"]);
    // The command's prompt on a line of its own, then the echo and its prompt, in one read:
    // the echo is counted after the command's end, and nothing is left to wait for.
    let ping = conn.start(lines("ping -c 1 h").break_exec("icmp_seq=1 "), t);
    let end = conn.start(lines("echo end"), t);
    let _ = sent(&mut conn);
    conn.handle_input(b"ping -c 1 h\r\n64 bytes: icmp_seq=1 ttl=64\r\n", t);
    conn.handle_input(b"1 packets\r\nmoler_bash# \r\n^C\r\nmoler_bash# ", t);
    assert_eq!(ping.try_result().unwrap().unwrap().len(), 2);
    assert_eq!(sent(&mut conn), "\x03echo end\n", "typed at once: the echo came");
    conn.handle_input(b"echo end\r\nend\r\nmoler_bash# ", t);
    assert_eq!(end.try_result().unwrap().unwrap(), ["end"]);
}

/// Moler's `ctrl_c`: a command whose key is Ctrl-C.
fn ctrl_c_key() -> Command<moler_core::Lines> {
    Command::lines("", PROMPT).sends("\x03", false).expect_echo(false).ret_required(false)
}

/// A command that sends Ctrl-C as its key (Moler's `ctrl_c`) ends at the prompt after the
/// Ctrl-C's echo. A prompt before the echo is what the tool it meant to stop printed as it
/// ended by itself: the Ctrl-C is still to reach the shell's idle prompt, where bash drops what
/// it had read of a line typed meanwhile, so the next command waits for the echo's prompt.
#[test]
fn a_ctrl_c_key_ends_at_the_prompt_after_its_echo_not_at_a_prompt_before_it() {
    let t = Instant::now();
    // The prompt before the echo: partial, or a whole line; the echo on its line or its own.
    for (early, echo) in [
        ("moler_bash# ", "^C\r\n\x1b[?2004lmoler_bash# "),
        ("moler_bash# \r\n", "^C\r\nmoler_bash# "),
        ("moler_bash# ", "\x03\r\nmoler_bash# "),
    ] {
        let mut conn = Connection::new("t");
        let ctrl_c = conn.start(ctrl_c_key(), t);
        let next = conn.start(lines("echo ok"), t);
        assert_eq!(sent(&mut conn), "\x03");
        conn.handle_input(early.as_bytes(), t);
        assert!(!ctrl_c.is_done(), "{early:?}: a prompt before the echo");
        assert_eq!(sent(&mut conn), "", "{early:?}: the next command waits");
        for piece in [&echo[..2], &echo[2..]] {
            conn.handle_input(piece.as_bytes(), t);
        }
        assert!(ctrl_c.try_result().unwrap().is_ok(), "{early:?}");
        assert_eq!(sent(&mut conn), "echo ok\n", "{early:?}");
        conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", t);
        assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    }
    // Cut anywhere, the same: never done before the prompt after the echo has come whole.
    let stream = "tool done\r\nmoler_bash# ^C\r\n\x1b[?2004lmoler_bash# ";
    for cut in 1..stream.len() {
        for step in [cut, 1] {
            let mut conn = Connection::new("t");
            let ctrl_c = conn.start(ctrl_c_key(), t);
            let next = conn.start(lines("echo ok"), t);
            let _ = sent(&mut conn);
            let mut at = 0;
            while at < stream.len() {
                let end = if at < cut { cut } else { (at + step).min(stream.len()) };
                conn.handle_input(&stream.as_bytes()[at..end], t);
                at = end;
                assert_eq!(ctrl_c.is_done(), at == stream.len(), "cut {cut}, step {step}, at {at}");
            }
            assert!(ctrl_c.try_result().unwrap().is_ok());
            assert_eq!(sent(&mut conn), "echo ok\n");
            drop(next);
        }
    }
    // The echo first (a tool stopped, or the idle prompt's own answer): its prompt ends it.
    for answer in ["^C\r\nmoler_bash# ", "^C\r\n64 bytes\r\n1 packets\r\nmoler_bash# "] {
        let mut conn = Connection::new("t");
        let ctrl_c = conn.start(ctrl_c_key(), t);
        let _ = sent(&mut conn);
        conn.handle_input(answer.as_bytes(), t);
        assert!(ctrl_c.try_result().unwrap().is_ok(), "{answer:?}");
        assert_eq!(conn.poll_timeout(), None, "{answer:?}: nothing left to wait for");
    }
}

/// [`ctrl_c_key`] with a 2 s terminating period, sent again after a second without a prompt.
fn ctrl_c_key_resent() -> Command<moler_core::Lines> {
    ctrl_c_key().terminating_period(Duration::from_secs(2)).resend_after(Duration::from_secs(1))
}

/// `ctrl_c`'s Ctrl-C sent again after a second without a prompt ([`Command::resend_after`]):
/// the resent one's echo is awaited too, as a timeout's second Ctrl-C's is, so a prompt of the
/// tool ending as it left is held, whether the first one's echo came before the resend (what
/// it stopped is slow to end) or comes after it (held behind a slow link with the tool's last
/// output). When the first was lost with no echo (readline still setting up), the one echo
/// leaves its prompt held a quarter of the terminating period, as a device without echo does.
#[test]
fn a_ctrl_c_key_sent_again_after_an_echo_waits_for_the_second_echo() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut conn = Connection::new("t");
    let ctrl_c = conn.start(ctrl_c_key_resent(), t0);
    let next = conn.start(lines("echo ok"), t0);
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_input(b"^C\r\ncleaning up\r\n", ms(100));
    conn.handle_timeout(ms(1000));
    assert_eq!(sent(&mut conn), "\x03", "sent again");
    conn.handle_input(b"moler_bash# ", ms(1010));
    assert!(!ctrl_c.is_done(), "the resent Ctrl-C is still on its way");
    assert_eq!(sent(&mut conn), "");
    conn.handle_input(b"^C\r\nmoler_bash# ", ms(1020));
    assert!(ctrl_c.try_result().unwrap().is_ok());
    assert_eq!(sent(&mut conn), "echo ok\n");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", ms(1100));
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);

    // The first one's echo comes only after the resend, with the tool's last output and its
    // prompt: the resent one is still on its way.
    let mut conn = Connection::new("t");
    let ctrl_c = conn.start(ctrl_c_key_resent(), t0);
    let next = conn.start(lines("echo ok"), t0);
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_timeout(ms(1000));
    assert_eq!(sent(&mut conn), "\x03", "no echo, no prompt: sent again");
    conn.handle_input(b"^C1\r\n2\r\nmoler_bash# ", ms(1200));
    assert!(!ctrl_c.is_done(), "the resent Ctrl-C is still on its way");
    assert_eq!(sent(&mut conn), "", "nothing typed ahead of it");
    conn.handle_input(b"^C\r\nmoler_bash# ", ms(1210));
    assert!(ctrl_c.try_result().unwrap().is_ok());
    assert_eq!(sent(&mut conn), "echo ok\n");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", ms(1300));
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);

    // The first was lost: the one echo's prompt is held a quarter of 2 s, then taken.
    let mut conn = Connection::new("t");
    let ctrl_c = conn.start(ctrl_c_key_resent(), t0);
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_timeout(ms(1000));
    assert_eq!(sent(&mut conn), "\x03", "the first was lost: sent again");
    conn.handle_input(b"^C\r\nmoler_bash# ", ms(1010));
    assert!(!ctrl_c.is_done(), "the other echo may still come");
    assert_eq!(conn.poll_timeout(), Some(ms(1510)), "a quarter of 2 s after the prompt");
    conn.handle_timeout(ms(1509));
    assert!(!ctrl_c.is_done());
    conn.handle_timeout(ms(1510));
    assert!(ctrl_c.try_result().expect("one echo for the one that arrived").is_ok());
    assert_eq!(conn.poll_timeout(), None, "nothing left to wait for");
}

/// The resend's wake-up survives one of the end-of-line prompt rule's that took its place: a
/// partial line ending in the prompt's text, which then went on.
#[test]
fn a_ctrl_c_key_is_sent_again_on_time_after_a_prompt_text_that_went_on() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut conn = Connection::new("t");
    let ctrl_c = conn.start(ctrl_c_key_resent(), t0);
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_input(b"xmoler_bash# ", ms(500));
    assert_eq!(conn.poll_timeout(), Some(ms(500) + PROMPT_QUIET));
    conn.handle_input(b"y", ms(600));
    conn.handle_timeout(ms(500) + PROMPT_QUIET);
    assert_eq!(conn.poll_timeout(), Some(ms(1000)), "the resend's time again");
    conn.handle_timeout(ms(1000));
    assert_eq!(sent(&mut conn), "\x03", "sent again");
    // A prompt's text at a line's end again, which goes on: a wake-up, and no third Ctrl-C.
    conn.handle_input(b"^C\r\nzmoler_bash# ", ms(1100));
    conn.handle_input(b"z\r\n", ms(1200));
    conn.handle_timeout(ms(1100) + PROMPT_QUIET);
    assert_eq!(sent(&mut conn), "", "sent again once only");
    conn.handle_input(b"^C\r\nmoler_bash# ", ms(1400));
    assert!(ctrl_c.try_result().unwrap().is_ok());
}

/// The same where the device echoes no Ctrl-C: the prompt held ends the command a quarter of
/// the terminating period after it came, and no Ctrl-C is sent again meanwhile (the resend for
/// a Ctrl-C the shell missed is for silence, and a prompt came).
#[test]
fn without_an_echo_a_ctrl_c_key_ends_a_quarter_period_after_the_prompt_it_held() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut conn = Connection::new("t");
    let ctrl_c = conn.start(ctrl_c_key_resent(), t0);
    let next = conn.start(lines("echo ok"), t0);
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_input(b"moler_bash# ", ms(900));
    conn.handle_input(b"\r\nmoler_bash# ", ms(950));
    assert_eq!(conn.poll_timeout(), Some(ms(1000)), "the resend's time first");
    conn.handle_timeout(ms(1000));
    assert_eq!(sent(&mut conn), "", "no Ctrl-C again once a prompt came");
    assert_eq!(conn.poll_timeout(), Some(ms(1400)), "a quarter of 2 s after the first prompt");
    conn.handle_timeout(ms(1399));
    assert!(!ctrl_c.is_done());
    conn.handle_timeout(ms(1400));
    assert!(ctrl_c.try_result().expect("no echo came: the prompt held").is_ok());
    assert_eq!(sent(&mut conn), "echo ok\n");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", ms(1500));
    assert_eq!(next.try_result().unwrap().unwrap(), ["ok"]);
    // A partial line held as a prompt that goes on as something else was no prompt.
    let ctrl_c = conn.start(ctrl_c_key().terminating_period(Duration::from_secs(2)), ms(2000));
    let _ = sent(&mut conn);
    conn.handle_input(b"moler_bash# ", ms(2000));
    conn.handle_input(b"x\r\n", ms(2100));
    conn.handle_timeout(ms(2600));
    assert!(!ctrl_c.is_done(), "no prompt is held");
    conn.handle_input(b"moler_bash# ", ms(2700));
    conn.handle_timeout(ms(3199));
    assert!(!ctrl_c.is_done());
    conn.handle_timeout(ms(3200));
    assert!(ctrl_c.try_result().unwrap().is_ok());
}

#[test]
fn a_cancelled_command_whose_ctrl_c_was_missed_sends_a_second_one() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let running = conn.start(lines("a; b"), t0);
    let _ = sent(&mut conn);
    running.cancel();
    conn.handle_requests(t0);
    assert_eq!(sent(&mut conn), "\x03");
    let half = t0 + DEFAULT_TERMINATING_PERIOD / 2;
    assert_eq!(conn.poll_timeout(), Some(half));
    conn.handle_timeout(half);
    assert_eq!(sent(&mut conn), "\x03");
}

#[test]
fn cancel_interrupts_a_running_command_and_drops_a_queued_one() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let running = conn.start(lines("sleep 9"), t);
    let queued = conn.start(lines("never sent"), t);
    let last = conn.start(lines("echo last"), t);
    let mailbox = conn.mailbox().clone();
    let _ = sent(&mut conn);
    queued.cancel();
    running.cancel();
    assert!(mailbox.has_requests());
    conn.handle_requests(t);
    assert!(matches!(queued.try_result().unwrap(), Err(Error::Cancelled { .. })));
    assert!(matches!(running.try_result().unwrap(), Err(Error::Cancelled { .. })));
    assert_eq!(sent(&mut conn), "\x03");
    conn.handle_input(b"^C\r\nmoler_bash# ", t);
    assert_eq!(sent(&mut conn), "echo last\n", "the cancelled queued command was never sent");
    conn.handle_input(b"echo last\r\nlast\r\nmoler_bash# ", t);
    assert_eq!(last.try_result().unwrap().unwrap(), ["last"]);
}

#[test]
fn close_fails_everything_and_later_starts_fail_at_once() {
    let t = Instant::now();
    let mut conn = Connection::new("dut");
    let running = conn.start(lines("a"), t);
    let queued = conn.start(lines("b"), t);
    let event = conn.start(Wait4::new(["x"]).unwrap(), t);
    let mailbox = conn.mailbox().clone();
    conn.handle_close(Some(std::io::Error::other("peer reset")));
    for e in [running.try_result(), queued.try_result()] {
        let e = e.unwrap().unwrap_err();
        assert!(e.is_closed());
        assert_eq!(e.to_string(), "connection dut closed: peer reset");
    }
    assert!(event.try_result().unwrap().unwrap_err().is_closed());
    let late = mailbox.start(lines("c"));
    assert!(late.try_result().unwrap().unwrap_err().is_closed(), "no hang after close");
}

#[test]
fn dropping_the_connection_fails_waiters_instead_of_hanging_them() {
    let mut conn = Connection::new("t");
    let h = conn.start(lines("a"), Instant::now());
    drop(conn);
    // Settled at once: a blocking wait (moler-runners) returns instead of hanging.
    assert!(h.try_result().unwrap().unwrap_err().is_closed());
}

#[test]
fn the_result_is_taken_once() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("x").ret_required(false), t);
    conn.handle_input(b"x\r\nmoler_bash# ", t);
    assert!(h.is_done());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(matches!(h.poll_result(&mut cx), Poll::Ready(Ok(_))));
    assert!(matches!(h.poll_result(&mut cx), Poll::Ready(Err(Error::ResultTaken { .. }))));
    assert!(matches!(h.try_result(), Some(Err(Error::ResultTaken { .. }))));
}

struct Panicky;

impl Observer for Panicky {
    type Output = ();
    fn describe(&self) -> String {
        "panicky".into()
    }
    fn on_data(&mut self, data: &str, _: &mut Context<'_>) -> Step<()> {
        if data.contains("boom") {
            panic!("observer bug");
        }
        Step::Pending
    }
}

#[test]
fn a_panicking_observer_fails_alone() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let before = conn.start(Wait4::new(["boom"]).unwrap().till_occurs_times(2), t);
    let bad = conn.start(Panicky, t);
    let cmd = conn.start(lines("x"), t);
    conn.handle_input(b"x\r\nboom\r\n", t);
    match bad.try_result().unwrap().unwrap_err() {
        Error::ObserverPanicked { observer, message } => {
            assert_eq!((observer.as_str(), message.as_str()), ("panicky", "observer bug"));
        }
        other => panic!("{other}"),
    }
    conn.handle_input(b"boom again\r\nmoler_bash# ", t);
    assert_eq!(cmd.try_result().unwrap().unwrap(), ["boom", "boom again"]);
    assert_eq!(before.try_result().unwrap().unwrap().len(), 2);
    assert_eq!(conn.observer_count(), 0);
}

#[test]
fn an_invalid_prompt_regex_is_a_clear_error() {
    let mut conn = Connection::new("t");
    let h = conn.start(lines("x").prompt("([unclosed"), Instant::now());
    let err = h.try_result().unwrap().unwrap_err();
    assert!(err.to_string().contains("invalid prompt regex"), "{err}");
    let err = Wait4::new(["(oops"]).unwrap_err();
    assert!(err.to_string().contains("invalid pattern \"(oops\""), "{err}");
}

/// An observer with a 1 s timeout that may ignore it (its `on_timeout` goes on waiting) and may
/// ask to be woken at that deadline (and end well if it is).
struct OneSecond {
    deaf: bool,
    wake_at_deadline: bool,
}

impl Observer for OneSecond {
    type Output = ();
    fn describe(&self) -> String {
        "one second".to_owned()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(1))
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        if self.wake_at_deadline {
            cx.wake_in(Duration::from_secs(1));
        }
        Step::Pending
    }
    fn on_data(&mut self, _: &str, _: &mut Context<'_>) -> Step<()> {
        Step::Pending
    }
    fn on_wake(&mut self, _: &mut Context<'_>) -> Step<()> {
        Step::Done(Ok(()))
    }
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<()> {
        if self.deaf {
            return Step::Pending;
        }
        Step::Done(Err(cx.timeout_error(self.describe())))
    }
}

/// Its deadline ends it with a timeout error, once (no deadline left to fire again and again):
/// when it ignores the timeout, and when a wake-up is due at the deadline's very instant (the
/// wake-up is dropped: two guards in the connection say so, and a test of either alone could
/// not fail while the other holds).
#[test]
fn a_deadline_ends_an_observer_that_ignores_it_or_would_be_woken_then() {
    for (deaf, wake_at_deadline) in [(true, false), (false, true)] {
        let t = Instant::now();
        let mut conn = Connection::new("t");
        let h = conn.start(OneSecond { deaf, wake_at_deadline }, t);
        conn.handle_timeout(t + Duration::from_secs(1));
        let err = h.try_result().expect("ended at its deadline").unwrap_err();
        assert!(err.is_timeout(), "deaf {deaf}: {err}");
        assert_eq!(conn.poll_timeout(), None, "deaf {deaf}: no deadline left to fire");
    }
}

/// An event's own timeout: it fails at that time, named by its patterns.
#[test]
fn an_event_times_out_at_its_timeout_named_by_its_patterns() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let ev = Wait4::new(["^ready$"]).unwrap().till_occurs_times(1).timeout(Duration::from_secs(3));
    let ev = conn.start(ev, t);
    assert_eq!(conn.poll_timeout(), Some(t + Duration::from_secs(3)));
    conn.handle_timeout(t + Duration::from_secs(3));
    let err = ev.try_result().expect("timed out").unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains(r#"Wait4(["^ready$"])"#), "{err}");
}

#[test]
fn several_matches_in_one_chunk_are_all_reported_in_order() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let ev = conn.start(Wait4::new([r"seq=(\d+)"]).unwrap().till_occurs_times(4), t);
    conn.handle_input(b"seq=1\nnoise\nseq=2\r\nseq=3\rseq=4 seq=5\nseq=6\n", t);
    let found = ev.try_result().unwrap().unwrap();
    let seqs: Vec<_> = found.iter().map(|o| o.groups[0].clone().unwrap()).collect();
    assert_eq!(seqs, ["1", "2", "3", "4"], "one occurrence per line, none after the fourth");
}

#[test]
fn all_and_sequence_modes_count_cycles() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let all = Wait4::new(["A", "B"]).unwrap().mode(MatchMode::All).till_occurs_times(1);
    let seq = Wait4::new(["A", "B"]).unwrap().mode(MatchMode::Sequence).till_occurs_times(1);
    let all = conn.start(all, t);
    let seq = conn.start(seq, t);
    conn.handle_input(b"B\nA\n", t);
    let got: Vec<_> = all.try_result().unwrap().unwrap().into_iter().map(|o| o.line).collect();
    assert_eq!(got, ["B", "A"]);
    assert!(!seq.is_done(), "B before A does not count in a sequence");
    conn.handle_input(b"B\n", t);
    let got: Vec<_> = seq.try_result().unwrap().unwrap().into_iter().map(|o| o.line).collect();
    assert_eq!(got, ["A", "B"]);
}

#[test]
fn pause_skips_whole_lines_and_resume_restarts_at_a_line_start() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let mut ev = Wait4::new(["hit"]).unwrap();
    let seen = ev.occurrences();
    let h = conn.start(ev, t);
    conn.handle_input(b"hit 1\nhi", t);
    h.pause();
    conn.handle_input(b"t 2 paused\nhit 3 paused\nhit 4 st", t);
    h.resume();
    conn.handle_input(b"arted while paused\nhit 5\n", t);
    h.cancel();
    conn.handle_requests(t);
    let lines: Vec<_> = seen.try_iter().map(|o| o.line).collect();
    assert_eq!(lines, ["hit 1", "hit 5"]);
    assert!(seen.is_ended(), "the event was cancelled: its queue of occurrences ended");
}

#[test]
fn partial_lines_match_when_asked_and_are_not_reported_twice() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(
        Wait4::new(["^moler_bash# $", "^x"])
            .unwrap()
            .match_partial_lines(true)
            .till_occurs_times(2),
        t,
    );
    conn.handle_input(b"moler_bash# ", t);
    conn.handle_input(b"\r\nx\n", t);
    let got: Vec<_> = h.try_result().unwrap().unwrap().into_iter().map(|o| o.line).collect();
    assert_eq!(got, ["moler_bash# ", "x"]);
}

#[test]
fn a_50_mb_line_keeps_memory_bounded() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let ev = conn.start(Wait4::new(["^y"]).unwrap().line_cap(1 << 16).till_occurs_times(1), t);
    let cmd = conn.start(lines("cat big").line_cap(1 << 16), t);
    conn.handle_input(b"cat big\r\n", t);
    let chunk = vec![b'y'; 4096];
    for _ in 0..(50 << 20) / 4096 {
        conn.handle_input(&chunk, t);
    }
    conn.handle_input(b"\r\nmoler_bash# ", t);
    let long = &ev.try_result().unwrap().unwrap()[0].line;
    assert_eq!(long.len(), 1 << 16, "the line was cut at the cap");
    assert_eq!(cmd.try_result().unwrap().unwrap()[0].len(), 1 << 16);
}

#[test]
fn a_command_keeps_a_20_mb_line_whole() {
    // `cat` of a minified file: nothing of the line is lost, and each read costs what it
    // brings (the partial line is not searched whole at every read: 5,120 reads of 4 KiB).
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let cmd = conn.start(lines("cat min.js"), t);
    conn.handle_input(b"cat min.js\r\n", t);
    let mut chunk = vec![b'y'; 4096];
    chunk[0] = b'<';
    for _ in 0..(20 << 20) / 4096 {
        conn.handle_input(&chunk, t);
    }
    conn.handle_input(b"END\r\nmoler_bash# ", t);
    let out = cmd.try_result().unwrap().unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].len(), (20 << 20) + 3);
    assert!(out[0].ends_with("yyyEND") && out[0].matches('<').count() == 5120);
}

#[test]
fn the_prompt_after_a_long_output_without_a_final_newline_ends_the_command() {
    // `cat` of a 100 KB file without a final newline: the prompt follows on the same line,
    // beyond the first 64 KiB (it was cut off there, and the command timed out).
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let cmd = conn.start(lines("cat nonl.txt"), t);
    conn.handle_input(b"cat nonl.txt\r\n", t);
    for _ in 0..25 {
        conn.handle_input(&[b'y'; 4000], t);
    }
    // An escape at the end of the text, as a terminal may add, then the prompt in two reads.
    conn.handle_input(b"yy\x1b[0mmoler_", t);
    conn.handle_input(b"bash# ", t);
    assert_eq!(conn.poll_timeout(), Some(t + PROMPT_QUIET));
    conn.handle_timeout(t + PROMPT_QUIET);
    let out = cmd.try_result().expect("the prompt ends the command").unwrap();
    assert_eq!(out, [format!("{}yy", "y".repeat(100_000))]);
}

#[test]
fn a_long_line_going_on_after_the_prompt_text_is_output() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let cmd = conn.start(lines("cat log"), t);
    conn.handle_input(b"cat log\r\n", t);
    conn.handle_input(&[b'y'; 70_000], t);
    conn.handle_input(b" moler_bash# ", t);
    let later = t + PROMPT_QUIET / 2;
    conn.handle_input(b"went on\r\n", later);
    conn.handle_timeout(t + PROMPT_QUIET);
    assert!(!cmd.is_done(), "the line went on: no prompt");
    conn.handle_input(b"moler_bash# ", later);
    let out = cmd.try_result().unwrap().unwrap();
    assert_eq!(out, [format!("{} moler_bash# went on", "y".repeat(70_000))]);
}

#[test]
fn invalid_utf8_is_replaced_and_split_characters_are_joined() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("x"), t);
    conn.handle_input(b"x\r\n\xff\xfe \xe2\x82", t);
    conn.handle_input(b"\xac\r\nmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap(), ["\u{fffd}\u{fffd} €"]);
}

#[test]
fn failure_exceptions_excuse_matching_lines() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let cmd = lines("find /")
        .no_default_failures()
        .failure("^find: ")
        .failure_exception("Permission denied$");
    let h = conn.start(cmd, t);
    conn.handle_input(b"find /\r\nfind: '/x': Permission denied\r\n/a\r\nmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap().len(), 2, "the excused line is output");
    let cmd = lines("find /")
        .no_default_failures()
        .failure("^find: ")
        .failure_exception("Permission denied$");
    let h = conn.start(cmd, t);
    conn.handle_input(b"find /\r\nfind: '/y': No such file or directory\r\nmoler_bash# ", t);
    assert!(matches!(h.try_result().unwrap().unwrap_err(), Error::CommandFailure { .. }));
}

/// A login-like parser: sends a setting at the first target prompt, ends at the second, and
/// fails as soon as the start prompt comes back after "denied".
#[derive(Default)]
struct Login {
    settings_sent: bool,
    denied: bool,
    back_home: bool,
    lines: Vec<String>,
}

impl Parser for Login {
    type Output = Vec<String>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        self.denied |= line.contains("denied");
        self.back_home |= self.denied && line.starts_with("home$");
        if !partial {
            self.lines.push(line.to_owned());
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<Vec<String>> {
        Ok(std::mem::take(&mut self.lines))
    }
    fn on_prompt(&mut self, _: &str, partial: bool, cx: &mut Context<'_>) -> bool {
        if partial && !self.settings_sent {
            cx.sendline("export TMOUT=0");
            self.settings_sent = true;
            return false;
        }
        partial
    }
    fn ended(&self) -> Option<moler_core::End> {
        self.back_home.then(|| moler_core::End::Failed("login denied".into()))
    }
}

#[test]
fn a_parser_can_take_a_prompt_as_output_and_end_the_command_itself() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(Command::new("ssh far", Login::default()).prompt("^far# $"), t);
    assert_eq!(sent(&mut conn), "ssh far\n");
    conn.handle_input(b"ssh far\r\nwelcome\r\nfar# ", t);
    assert!(!h.is_done(), "the first prompt is taken as output");
    assert_eq!(sent(&mut conn), "export TMOUT=0\n");
    conn.handle_input(b"export TMOUT=0\r\nfar# ", t);
    let lines = h.try_result().unwrap().unwrap();
    assert_eq!(lines, ["welcome", "far# export TMOUT=0"]);

    let login = Command::new("ssh far", Login::default()).prompt("^far# $").no_default_failures();
    let h = conn.start(login, t);
    let _ = sent(&mut conn);
    conn.handle_input(b"ssh far\r\nPermission denied\r\nhome$ ", t);
    let err = h.try_result().unwrap().unwrap_err();
    assert!(matches!(&err, Error::CommandFailure { line, .. } if line == "login denied"), "{err}");
}

/// What a bash with bracketed paste on (bash 5.1+: a remote shell, `su`, `sudo -s`) sends for
/// `cmd` printing `out`: readline's `ESC[?2004l\r` right after the echo line.
fn bracketed(cmd: &str, out: &str) -> String {
    format!("{cmd}\r\n\x1b[?2004l\r{out}\x1b[?2004hmoler_bash# ")
}

/// Runs `cmd` over `chunks`, its result.
fn lines_over(cmd: &str, chunks: &[&[u8]]) -> Vec<String> {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines(cmd).ret_required(false), t);
    for c in chunks {
        conn.handle_input(c, t);
    }
    h.try_result().expect("the prompt came").unwrap()
}

#[test]
fn readlines_bracketed_paste_end_is_no_empty_first_line_in_any_split() {
    // (command, what bash prints, the lines a local shell without bracketed paste gives)
    let cases: [(&str, String, &[&str]); 4] = [
        ("echo hi", bracketed("echo hi", "hi\r\n"), &["hi"]),
        ("echo; echo hi", bracketed("echo; echo hi", "\r\nhi\r\n"), &["", "hi"]),
        ("true", bracketed("true", ""), &[]),
        // Output that starts like the code but is not it is kept whole: its line end too.
        ("f", "f\r\n\x1b[?2004\r\nz\r\nmoler_bash# ".to_owned(), &["", "z"]),
    ];
    for (cmd, text, want) in cases {
        let bytes = text.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                let got = lines_over(cmd, &[&bytes[..i], &bytes[i..j], &bytes[j..]]);
                assert_eq!(got, want, "{cmd:?} split at {i},{j}");
            }
        }
    }
    // The echo line's `\r` at the end of a chunk, its `\n` in the next one.
    let got = lines_over("echo hi", &[b"echo hi\r", b"\n\x1b[?2004l\rhi\r\nmoler_bash# "]);
    assert_eq!(got, ["hi"]);
    // Only at the start of the output: later, the same bytes are the output's.
    let got = lines_over("echo a", &[b"echo a\r\na\r\n\x1b[?2004l\rb\r\nmoler_bash# "]);
    assert_eq!(got, ["a", "", "b"]);
}

#[test]
fn output_without_a_final_newline_is_the_last_line_before_the_prompt() {
    let t = Instant::now();
    let quiet = t + PROMPT_QUIET;
    let mut conn = Connection::new("t");
    let x = conn.start(lines("printf x"), t);
    conn.handle_input(b"printf x\r\nxmoler_bash# ", t);
    assert_eq!(conn.poll_timeout(), Some(quiet), "the prompt must be the last thing received");
    conn.handle_timeout(quiet);
    assert_eq!(x.try_result().unwrap().unwrap(), ["x"]);
    let ab = conn.start(lines("printf 'a\\nb'"), quiet);
    conn.handle_input(b"printf 'a\\nb'\r\na\r\nb", quiet);
    conn.handle_input(b"moler_bash# ", quiet);
    assert!(!ab.is_done());
    conn.handle_timeout(quiet + PROMPT_QUIET);
    assert_eq!(ab.try_result().unwrap().unwrap(), ["a", "b"]);
    let later = quiet + PROMPT_QUIET;
    let boom = conn.start(lines("printf BOOM").failure("BOOM"), later);
    conn.handle_input(b"printf BOOM\r\nBOOMmoler_bash# ", later);
    conn.handle_timeout(later + PROMPT_QUIET);
    let err = boom.try_result().unwrap().unwrap_err();
    assert!(matches!(&err, Error::CommandFailure { line, .. } if line == "BOOM"), "{err}");
}

/// A prompt split off a partial line by the tail rule, for a command that waits on for its
/// result: when that line is ended later, the text before the prompt is not given again.
#[test]
fn a_prompt_split_off_a_line_is_not_output_again_when_the_line_ends() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(Command::new("printf x; wait", NeedsResult::default()).prompt(PROMPT), t);
    conn.handle_input(b"printf x; wait\r\nxmoler_bash# ", t);
    conn.handle_timeout(t + PROMPT_QUIET);
    assert!(!h.is_done(), "no result yet: it waits on");
    conn.handle_input(b"\r\nRESULT\r\nmoler_bash# ", t + PROMPT_QUIET);
    assert_eq!(h.try_result().unwrap().unwrap(), ["x", "RESULT"]);
}

#[test]
fn a_line_cut_by_a_read_right_after_the_prompt_text_goes_on() {
    // The echo of a setting that the command sends, cut after the prompt's text.
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(Command::lines("login", "^host_new#$"), t);
    conn.handle_input(b"login\r\nwelcome\r\nexport PS1=\"host_new#", t);
    let later = t + PROMPT_QUIET / 2;
    conn.handle_input(b"\"\r\n", later);
    conn.handle_timeout(t + PROMPT_QUIET);
    assert!(!h.is_done(), "the line went on: no prompt");
    conn.handle_input(b"host_new#", later);
    assert_eq!(h.try_result().unwrap().unwrap(), ["welcome", "export PS1=\"host_new#\""]);
}

#[test]
fn a_whole_line_or_a_line_going_on_after_the_prompt_text_is_output() {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("show"), t);
    conn.handle_input(b"show\r\nxmoler_bash# \r\nsay moler_bash# twice", t);
    assert!(!h.is_done());
    // PS1's own text (as the terminal writes it) is not the prompt either.
    conn.handle_input(b"\r\nm\\[\\]oler_bash# ", t);
    conn.handle_timeout(t + PROMPT_QUIET);
    assert!(!h.is_done());
    conn.handle_input(b"\r\nmoler_bash# ", t);
    let out = h.try_result().unwrap().unwrap();
    assert_eq!(out, ["xmoler_bash# ", "say moler_bash# twice", r"m\[\]oler_bash# "]);
}

#[test]
fn an_unanchored_prompt_is_never_split_off_output() {
    // Where its text starts is unknown: the whole line is taken as the prompt, as before.
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(Command::lines("printf x", "moler_bash# $").ret_required(false), t);
    conn.handle_input(b"printf x\r\nxmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap(), Vec::<String>::new());
}

/// `enter_on_prompt_without_anchors` looks for the prompt regex without its `^` and `$`; a
/// `$` that is the prompt's own text (`\$`) stays.
#[test]
fn an_enter_for_a_prompt_mid_line_keeps_an_escaped_dollar() {
    let t = Instant::now();
    for (prompt, line, enter) in [
        (r"^\[box\]\$", "[ 5.1] eth0: link up [box]$", "\n"),
        (r"^\[box\]\$", "[ 5.1] cost: 5 [box]", ""),
        ("^moler_bash# $", "[ 5.1] eth0: link up moler_bash# ", "\n"),
    ] {
        let mut conn = Connection::new("t");
        let cmd = Command::lines("reset", prompt).enter_on_prompt_without_anchors(true);
        let _done = conn.start(cmd, t);
        let _ = sent(&mut conn);
        conn.handle_input(format!("reset\r\n{line}\r\n").as_bytes(), t);
        assert_eq!(sent(&mut conn), enter, "{prompt} in {line:?}");
    }
}

/// Moler's `command_path`: a prefix for the command line, put once.
#[test]
fn a_command_path_prefixes_the_command_line_once() {
    assert_eq!(lines("ping x").command_path("/usr/sbin/").command(), "/usr/sbin/ping x");
    assert_eq!(lines("/usr/sbin/ping x").command_path("/usr/sbin/").command(), "/usr/sbin/ping x");
    assert_eq!(lines("ping x").command_path("").command(), "ping x");
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(lines("ping x").command_path("/usr/sbin/"), t);
    assert_eq!(sent(&mut conn), "/usr/sbin/ping x\n");
    conn.handle_input(b"/usr/sbin/ping x\r\npong\r\nmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap(), ["pong"]);
}

/// A first output line in which the shell says it cannot find the command's program fails the
/// command once the prompt returns, whatever its own failure patterns and though its parser has
/// no result (Moler's commands fail on `not found`): bash, bash running a script, dash,
/// busybox, zsh, fish, tcsh, and a program given by path. Not the program's own complaints,
/// not another word's, not a later line.
#[test]
fn a_shell_that_cannot_find_the_program_fails_the_command() {
    let t = Instant::now();
    let ends = |line: &str, output: &str| {
        let mut conn = Connection::new("t");
        // Its own failures only.
        let cmd = lines(line).no_default_failures().failure("^never$");
        let h = conn.start(cmd, t);
        conn.handle_input(format!("{line}\r\n{output}\r\nmoler_bash# ").as_bytes(), t);
        match h.try_result().expect("the prompt ends it") {
            Err(Error::CommandFailure { line, .. }) => Some(line),
            Ok(lines) => {
                assert_eq!(lines, [output]);
                None
            }
            Err(e) => panic!("{output:?}: {e}"),
        }
    };
    for (line, output) in [
        ("ping -c 1 x", "bash: ping: command not found"),
        ("ping -c 1 x", "bash: line 1: ping: command not found"),
        ("ping -c 1 x", "sh: 1: ping: not found"),
        ("ping -c 1 x", "-sh: ping: not found"),
        ("ping -c 1 x", "zsh: command not found: ping"),
        ("ping -c 1 x", "fish: Unknown command: ping"),
        ("ping -c 1 x", "ping: Command not found."),
        ("LANG=C TZ=UTC ping x", "bash: ping: command not found"),
        ("MY_VAR=1 _v=2 ping x", "bash: ping: command not found"),
        ("1X=2 ping x", "bash: 1X=2: command not found"),
        ("/opt/tools/iperf3 -c h", "bash: /opt/tools/iperf3: No such file or directory"),
        ("./run.sh --fast", "bash: ./run.sh: Permission denied"),
        ("AT+CGMI", "bash: AT+CGMI: command not found"),
    ] {
        assert_eq!(ends(line, output).as_deref(), Some(output), "{line:?}");
    }
    for (line, output) in [
        ("ping -c 1 x", "ping: x: Name or service not known"),
        ("type ping", "bash: type: ping: not found"),
        ("ls x", "ls: cannot access 'x': No such file or directory"),
        ("iperf3 -c h", "iperf3: error - unable to connect: No such file or directory"),
        ("iperf3 -c h", "bash: /opt/iperf3: No such file or directory"),
    ] {
        assert_eq!(ends(line, output), None, "{line:?}: {output:?} is no missing program");
    }

    // Only the first output line says so.
    let mut conn = Connection::new("t");
    let h = conn.start(lines("ping x").no_default_failures(), t);
    conn.handle_input(b"ping x\r\nfirst\r\nbash: ping: command not found\r\nmoler_bash# ", t);
    let output = h.try_result().unwrap().unwrap();
    assert_eq!(output, ["first", "bash: ping: command not found"], "a later line is output");
    // And a command that sends something else has no program.
    let mut conn = Connection::new("t");
    let h =
        conn.start(lines("ping").sends("\x04", false).expect_echo(false).no_default_failures(), t);
    conn.handle_input(b"bash: ping: command not found\r\nmoler_bash# ", t);
    assert_eq!(h.try_result().unwrap().unwrap(), ["bash: ping: command not found"]);
}

/// The line Ctrl-Z's timeout action types to end job 1 and wait for its end.
const KILL_JOB_1: &str = "kill %1; while jobs %1 >/dev/null 2>&1; do sleep 0.05; done";

/// A job stopped by Ctrl-Z's timeout action that ignores SIGTERM too: the kill line's wait
/// never ends, so halfway through the period one Ctrl-C ends the shell's wait, and its prompt
/// ends the linger.
#[test]
fn a_job_deaf_to_the_kill_gets_one_ctrl_c_halfway_through_the_period() {
    let t0 = Instant::now();
    let s = |n: u64| t0 + Duration::from_secs(n);
    let mut conn = Connection::new("t");
    let deaf = lines("deaf")
        .timeout(Duration::from_secs(1))
        .timeout_action(TimeoutAction::CtrlZ)
        .terminating_period(Duration::from_secs(4));
    let deaf = conn.start(deaf, t0);
    let next = conn.start(lines("echo free"), t0);
    conn.handle_input(b"deaf\r\n", t0);
    conn.handle_timeout(s(1));
    assert!(deaf.try_result().unwrap().unwrap_err().is_timeout());
    assert_eq!(sent(&mut conn), "deaf\n\x1a");
    conn.handle_input(b"^Z\r\n[1]+  Stopped                 deaf\r\nmoler_bash# ", s(1));
    assert_eq!(sent(&mut conn), format!("{KILL_JOB_1}\n"));
    conn.handle_input(format!("{KILL_JOB_1}\r\n").as_bytes(), s(1));
    assert_eq!(conn.poll_timeout(), Some(s(3)), "halfway through the 4 s period");
    conn.handle_timeout(s(3));
    assert_eq!(sent(&mut conn), "\x03", "the shell's wait is given up");
    conn.handle_input(b"^C\r\nmoler_bash# ", s(3));
    assert_eq!(sent(&mut conn), "echo free\n", "the prompt after it ended the linger");
    conn.handle_input(b"echo free\r\nfree\r\nmoler_bash# ", s(3));
    assert_eq!(next.try_result().unwrap().unwrap(), ["free"]);
}

/// Ctrl-Z's timeout action types its kill line at the prompt after the `[N]+ Stopped` line,
/// not at that line: typed before bash is back in readline, the terminal echoes it at once
/// and readline again after the prompt, and a read ending at that bare prompt ended the
/// linger before the kill ran (CI saw the job's end in the next command's output).
#[test]
fn the_kill_line_after_ctrl_z_waits_for_the_prompt_after_the_stopped_line() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let deaf = lines("deaf").timeout(Duration::from_secs(1)).timeout_action(TimeoutAction::CtrlZ);
    let deaf = conn.start(deaf, t0);
    let next = conn.start(lines("jobs; echo free"), t0);
    assert_eq!(sent(&mut conn), "deaf\n");
    conn.handle_input(b"deaf\r\n", t0);
    let t = t0 + Duration::from_secs(1);
    conn.handle_timeout(t);
    assert!(deaf.try_result().unwrap().unwrap_err().is_timeout());
    assert_eq!(sent(&mut conn), "\x1a");
    conn.handle_input(b"^Z\r\n[1]+  Stopped                 deaf\r\n", t);
    assert_eq!(sent(&mut conn), "", "bash is not reading yet: nothing typed");
    // Bash 5.1 turns bracketed paste on before it draws the prompt, at times in a write of
    // its own: a line under way that is no prompt yet.
    conn.handle_input(b"\x1b[?2004h", t);
    assert_eq!(sent(&mut conn), "", "nor before the prompt is drawn");
    conn.handle_input(b"moler_bash# ", t);
    assert_eq!(sent(&mut conn), format!("{KILL_JOB_1}\n"), "typed at the prompt");
    conn.handle_input(format!("{KILL_JOB_1}\r\n").as_bytes(), t);
    assert_eq!(sent(&mut conn), "", "the kill runs: the next command waits");
    conn.handle_input(b"[1]+  Terminated              deaf\r\n", t);
    conn.handle_input(b"moler_bash# ", t);
    assert_eq!(sent(&mut conn), "jobs; echo free\n", "the kill's prompt ended the linger");
    conn.handle_input(b"jobs; echo free\r\nfree\r\nmoler_bash# ", t);
    assert_eq!(next.try_result().unwrap().unwrap(), ["free"]);
}
