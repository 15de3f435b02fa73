//! The echo of a command is found whatever escape codes and chunk boundaries surround it, and
//! the echoed command line never reaches the parser.

use std::time::Instant;

use moler_core::{Command, Connection};

const PROMPT: &str = "^moler_bash# $";

/// The output lines of `ls` fed `text` cut at `i` and `j`.
fn output(text: &str, i: usize, j: usize) -> Option<Vec<String>> {
    let now = Instant::now();
    let mut conn = Connection::new("t");
    let cmd = conn.start(Command::lines("ls -l", PROMPT).no_default_failures(), now);
    let b = text.as_bytes();
    for piece in [&b[..i], &b[i..j], &b[j..]] {
        conn.handle_input(piece, now);
    }
    cmd.try_result().map(|r| r.unwrap())
}

/// Feeds `text` in every three pieces (also cut inside characters) and checks the lines.
fn check_every_split(text: &str, want: &[&str]) {
    let want = Some(want.iter().map(|l| l.to_string()).collect::<Vec<_>>());
    assert_eq!(output(text, 0, 0), want, "{text:?} whole");
    for i in 0..=text.len() {
        for j in i..=text.len() {
            assert_eq!(output(text, i, j), want, "{text:?} cut at {i},{j}");
        }
    }
}

#[test]
fn a_line_end_that_ends_an_escape_before_the_echo_still_counts() {
    // Each line end here was once swallowed with its escape, so the echo's line end was taken
    // one line early and the echoed command line came out as output.
    check_every_split("junk\x1b\r\nmoler_bash# ls -l\r\nf\r\nmoler_bash# ", &["f"]);
    check_every_split("junk\x1b[\nmoler_bash# ls -l\r\nf\r\nmoler_bash# ", &["f"]);
    check_every_split("\x1b]0;ti\ntle\x07moler_bash# ls -l\r\nf\r\nmoler_bash# ", &["f"]);
    check_every_split("\x1bP1\r\x1b\\moler_bash# ls -l\r\nf\r\nmoler_bash# ", &["f"]);
}

#[test]
fn escapes_inside_and_after_the_echo_are_skipped() {
    check_every_split("moler_bash# \x1b[1ml\x1b[0ms \x1b\r-l\x1b[K\r\r\nf\r\nmoler_bash# ", &["f"]);
    check_every_split("moler_bash# ls -\x1b]0;t\x07l\x1b]0;x\x1b\\\r\nf\r\nmoler_bash# ", &["f"]);
}

#[test]
fn a_line_end_inside_a_title_after_the_echo_ends_the_echo_line() {
    // The line end ends the title, so what follows it is output.
    check_every_split("moler_bash# ls -l\x1b]0;t\nx\x07\r\nf\r\nmoler_bash# ", &["x", "f"]);
}

#[test]
fn a_wrapped_echo_with_multibyte_characters_is_found_in_every_split() {
    let now = Instant::now();
    let text = "moler_bash# echo é\x1b[0m \r€\r\n\x1b[1mé€\r\nmoler_bash# ";
    for i in 0..=text.len() {
        let mut conn = Connection::new("t");
        let cmd = conn.start(Command::lines("echo é€", PROMPT), now);
        conn.handle_input(&text.as_bytes()[..i], now);
        conn.handle_input(&text.as_bytes()[i..], now);
        assert_eq!(cmd.try_result().unwrap().unwrap(), ["é€"], "cut at {i}");
    }
}

#[test]
fn output_escapes_are_stripped_wherever_a_read_cuts_them() {
    // A read with no escape of its own still ends a line whose escapes came in an earlier
    // read: that line is stripped all the same.
    let text = "moler_bash# ls -l\r\n\x1b[01;34mdir\x1b[0m\r\nplain\r\nf\x1b[0\r\nmoler_bash# ";
    check_every_split(text, &["dir", "plain", "f"]);
    // The same with reads long enough to be searched for escapes as a whole: the second read,
    // with none, ends the line that the first one's escapes began.
    let many: String = (0..100).map(|i| format!("line {i}\r\n")).collect();
    let text = format!("moler_bash# ls -l\r\n\x1b[01;34mdir\x1b[0m\r\n{many}moler_bash# ");
    let mut want = vec!["dir".to_owned()];
    want.extend((0..100).map(|i| format!("line {i}")));
    let escape_end = text.find("dir").unwrap();
    for i in escape_end - 8..escape_end + 12 {
        assert_eq!(output(&text, i, i), Some(want.clone()), "cut at {i}");
    }
}
