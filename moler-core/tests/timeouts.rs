//! Timeout errors quote what the device printed last (secrets masked), and name the prompt
//! regex when the command is stuck on a line that looks like a prompt.

use std::time::{Duration, Instant};

use moler_core::{Command, Connection, Error, Lines};

const TIMEOUT: Duration = Duration::from_secs(1);

fn lines(command: &str) -> Command<Lines> {
    Command::lines(command, "^moler_bash# $").timeout(TIMEOUT)
}

/// Starts `command`, feeds `chunks`, lets its timeout pass; returns the error.
fn time_out(conn: &mut Connection, command: Command<Lines>, chunks: &[&[u8]]) -> Error {
    let t0 = Instant::now();
    let handle = conn.start(command, t0);
    let _ = conn.poll_transmit(&mut Vec::new());
    for chunk in chunks {
        conn.handle_input(chunk, t0);
    }
    conn.handle_timeout(t0 + TIMEOUT);
    handle.try_result().expect("timed out").unwrap_err()
}

fn parts(err: &Error) -> (Option<&str>, Option<&str>) {
    match err {
        Error::Timeout { last_received, hint, .. } => (last_received.as_deref(), hint.as_deref()),
        other => panic!("expected a timeout, got {other}"),
    }
}

#[test]
fn a_timeout_quotes_the_last_three_lines_without_escapes() {
    let mut conn = Connection::new("t");
    let output: &[u8] = b"make\r\none\r\ntwo\r\n\x1b[31mthree\x1b[0m\r\nfour ...";
    let err = time_out(&mut conn, lines("make"), &[output]);
    assert_eq!(parts(&err), (Some("two\r\nthree\r\nfour ..."), None));
    assert_eq!(
        err.to_string(),
        r#"command 'make' timed out after 1.000s (timeout 1.000s); last received: "two\r\nthree\r\nfour ...""#
    );
}

#[test]
fn a_timeout_with_nothing_received_says_so() {
    let mut conn = Connection::new("t");
    let err = time_out(&mut conn, lines("make"), &[]);
    assert_eq!(parts(&err), (Some(""), None));
    assert!(err.to_string().ends_with("(timeout 1.000s); nothing received"), "{err}");
}

#[test]
fn a_secret_echoed_before_the_timeout_is_masked_in_the_quote() {
    let mut conn = Connection::new("t");
    conn.send_secret("hunter2");
    let _ = conn.poll_transmit(&mut Vec::new());
    let chunks: &[&[u8]] = &[b"su\r\nPassword: h", b"unter2\r\nsu: Authentication failure\r\nh"];
    let err = time_out(&mut conn, lines("su"), chunks);
    let quote = "Password: ********\r\nsu: Authentication failure\r\n********";
    assert_eq!(parts(&err).0, Some(quote), "a start of the secret held back shows as the mask");
    assert!(!err.to_string().contains("hunter2") && !err.to_string().contains("h\""), "{err}");
}

#[test]
fn a_prompt_the_regex_does_not_match_is_named() {
    let mut conn = Connection::new("t");
    let err = time_out(&mut conn, lines("pwd"), &[b"pwd\r\n/root\r\nuser@box:~$ "]);
    let hint = r#"the last line "user@box:~$ " looks like a prompt but does not match the prompt regex ^moler_bash# $"#;
    assert_eq!(parts(&err), (Some("pwd\r\n/root\r\nuser@box:~$ "), Some(hint)));
    assert_eq!(
        err.to_string(),
        format!(
            r#"command 'pwd' timed out after 1.000s (timeout 1.000s); last received: "pwd\r\n/root\r\nuser@box:~$ "; {hint}"#
        )
    );
}

/// A long last line is quoted by its last 200 characters only, after an ellipsis.
#[test]
fn a_long_line_that_looks_like_a_prompt_is_quoted_by_its_end() {
    let mut conn = Connection::new("t");
    let line = format!("{}{}$ ", "a".repeat(100), "é".repeat(198));
    let output = format!("cat\r\n{line}");
    let err = time_out(&mut conn, lines("cat"), &[output.as_bytes()]);
    let hint = parts(&err).1.expect("a hint").to_owned();
    let end = format!("\"…{}$ \"", "é".repeat(198));
    assert!(hint.starts_with(&format!("the last line {end} looks like a prompt")), "{hint}");
    // 200 characters exactly are quoted whole.
    let line = format!("{}$ ", "é".repeat(198));
    let err =
        time_out(&mut Connection::new("t"), lines("cat"), &[format!("cat\r\n{line}").as_bytes()]);
    let hint = parts(&err).1.expect("a hint").to_owned();
    assert!(hint.starts_with(&format!("the last line \"{line}\" looks")), "{hint}");
}

#[test]
fn no_hint_without_a_line_that_looks_like_a_prompt() {
    for output in [&b"sleep 9\r\n"[..], b"sleep 9\r\nworking...", b"sleep 9\r\n50% done"] {
        let mut conn = Connection::new("t");
        let err = time_out(&mut conn, lines("sleep 9"), &[output]);
        assert_eq!(parts(&err).1, None, "{err}");
    }
}

#[test]
fn a_prompt_come_back_without_a_result_is_named() {
    // The prompt matched, but the command has no output (`ret_required`): no mismatch, but why
    // it still waited.
    let mut conn = Connection::new("t");
    let err = time_out(&mut conn, lines("true"), &[b"true\r\nmoler_bash# "]);
    let hint = "the prompt came back, but the output gave the command no result (it waits for \
                one: `ret_required`)";
    assert_eq!(parts(&err).1, Some(hint), "{err}");
    // Also when the prompt came in pieces (found at the end of a partial line).
    let mut conn = Connection::new("t");
    let chunks: &[&[u8]] = &[b"true\r\nmoler_", b"bash# "];
    assert_eq!(parts(&time_out(&mut conn, lines("true"), chunks)).1, Some(hint));
}

#[test]
fn a_shell_waiting_for_the_rest_of_the_command_line_is_named() {
    // What the command line leaves open, with nothing after its echo (moler's local shell has
    // an empty continuation prompt).
    for (line, open) in [
        ("echo \"oops", Some("a \" quote")),
        ("echo 'oops", Some("a ' quote")),
        ("echo \"it's", Some("a \" quote")),
        ("echo a \\", Some("a line ending in a backslash")),
        ("echo \"it's\"", None),
        ("echo it\\'s", None),
        ("echo 'a\\'", None),
        ("echo \"a\\\"b\"", None),
    ] {
        let mut conn = Connection::new("t");
        let echo = format!("{line}\r\n");
        let err = time_out(&mut conn, lines(line), &[echo.as_bytes()]);
        let want = open.map(|open| {
            format!(
                "the command line leaves {open} open, so the shell waits for the rest of it \
                 (bash shows its continuation prompt, PS2, empty in moler's local shell)"
            )
        });
        assert_eq!(parts(&err).1, want.as_deref(), "{line}");
    }
    // bash's own continuation prompt right after the echo, for what a quote does not explain.
    let mut conn = Connection::new("t");
    let err = time_out(&mut conn, lines("for i in 1 2"), &[b"for i in 1 2\r\n> "]);
    let hint = parts(&err).1.expect("a hint");
    assert!(hint.starts_with("the shell shows its continuation prompt \"> \""), "{hint}");
    // A `>` after output is no continuation: the prompt mismatch says what it is.
    let mut conn = Connection::new("t");
    let err = time_out(&mut conn, lines("repl"), &[b"repl\r\nready\r\n> "]);
    assert!(parts(&err).1.unwrap().starts_with("the last line \"> \" looks like a prompt"));
}

#[test]
fn a_queued_command_that_expires_quotes_what_held_up_the_one_before() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let _slow = conn.start(lines("sleep 9").timeout(Duration::from_secs(60)), t0);
    let queued = conn.start(lines("echo next"), t0);
    conn.handle_input(b"sleep 9\r\nstill going", t0);
    // A blocking wait that gave up (on another thread) asks the connection to expire it.
    queued.expire(TIMEOUT);
    assert!(conn.mailbox().has_requests());
    conn.handle_requests(t0 + TIMEOUT);
    let err = queued.try_result().unwrap().unwrap_err();
    assert_eq!(parts(&err).0, Some("sleep 9\r\nstill going"), "{err}");
}

/// A blocking wait's timeout counts from the call, which comes a little before the command
/// starts on the connection: expired by the caller, the command timed out after the whole
/// timeout, not after a little less than it.
#[test]
fn a_command_expired_by_its_caller_timed_out_after_the_callers_timeout() {
    let called = Instant::now();
    let started = called + Duration::from_millis(3);
    let mut conn = Connection::new("t");
    let running = conn.start(lines("ping host"), started);
    conn.handle_input(b"ping host\r\nreply 1\r\n", started);
    running.expire(TIMEOUT);
    conn.handle_requests(called + TIMEOUT);
    let Error::Timeout { timeout, elapsed, .. } = running.try_result().unwrap().unwrap_err() else {
        panic!("a timeout")
    };
    assert_eq!((timeout, elapsed), (TIMEOUT, TIMEOUT));
}

/// A parser that, one second after its first line, sends `later` (it asks for a wake).
struct Later {
    at: Option<Instant>,
    sent: bool,
}

impl moler_core::Parser for Later {
    type Output = ();
    fn on_line(
        &mut self,
        _: &str,
        _: bool,
        cx: &mut moler_core::Context<'_>,
    ) -> moler_core::ParseResult {
        if self.at.is_none() {
            self.at = Some(cx.now() + TIMEOUT);
            cx.wake_in(TIMEOUT);
        }
        Ok(())
    }
    fn on_wake(&mut self, cx: &mut moler_core::Context<'_>) {
        match self.at {
            Some(at) if cx.now() >= at && !self.sent => {
                self.sent = true;
                cx.send("later");
            }
            Some(at) if !self.sent => cx.wake_in(at - cx.now()),
            _ => {}
        }
    }
    fn finish(&mut self) -> moler_core::ParseResult<()> {
        Ok(())
    }
}

#[test]
fn a_parser_woken_when_it_asked_acts_then_and_the_prompt_still_ends_the_command() {
    let mut conn = Connection::new("t");
    let t0 = Instant::now();
    let parser = Later { at: None, sent: false };
    let handle =
        conn.start(Command::new("serve", parser).prompt("^moler_bash# $").timeout(TIMEOUT * 5), t0);
    let mut out = Vec::new();
    let _ = conn.poll_transmit(&mut out);
    conn.handle_input(b"serve\r\nlistening\r\n", t0);
    assert_eq!(conn.poll_timeout(), Some(t0 + TIMEOUT), "the parser's wake");
    out.clear();
    conn.handle_timeout(t0 + TIMEOUT);
    let _ = conn.poll_transmit(&mut out);
    assert_eq!(out, b"later");
    assert!(handle.try_result().is_none(), "a wake ends nothing");
    conn.handle_input(b"moler_bash# ", t0 + TIMEOUT);
    assert!(handle.try_result().unwrap().is_ok());
}
