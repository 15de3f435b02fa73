//! A paused event skips what arrives while paused, line by line, however reads cut the text;
//! escape codes are removed however they are cut (moler-core's own tests read no clock: these
//! run here, where the time passed in comes from it).

use std::time::Instant;

use moler_core::{Connection, Wait4};

/// Feeds `segments` (text, whether the event is paused while it arrives) cut into chunks
/// of `size` bytes, and returns the lines the event reported.
fn paused_run(segments: &[(&str, bool)], size: usize, partial: bool) -> Vec<String> {
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let mut ev = Wait4::new([r"^L\d$"]).unwrap().match_partial_lines(partial);
    let seen = ev.occurrences();
    let h = conn.start(ev, t);
    for (text, paused) in segments {
        if *paused {
            h.pause();
        } else {
            h.resume();
        }
        for chunk in text.as_bytes().chunks(size) {
            conn.handle_input(chunk, t);
        }
    }
    h.cancel();
    conn.handle_requests(t);
    seen.try_iter().map(|o| o.line).collect()
}

/// Every chunk size, with and without partial-line matching: the same lines.
fn assert_paused_run(segments: &[(&str, bool)], expected: &[&str]) {
    let longest = segments.iter().map(|(s, _)| s.len()).max().unwrap_or(1).max(1);
    for size in 1..=longest {
        for partial in [false, true] {
            let got = paused_run(segments, size, partial);
            assert_eq!(got, expected, "{segments:?} in chunks of {size}, partial {partial}");
        }
    }
}

#[test]
fn the_first_line_after_a_resume_at_a_line_start_is_matched() {
    let paused_to_line_end = [("L0\n", false), ("L8\nx\n", true), ("L1\nL2\n", false)];
    assert_paused_run(&paused_to_line_end, &["L0", "L1", "L2"]);
    let crlf = [("L0\r\n", false), ("L8\r\n", true), ("L1\r\nL2\r\n", false)];
    assert_paused_run(&crlf, &["L0", "L1", "L2"]);
}

#[test]
fn a_line_end_split_by_the_resume_ends_one_line() {
    // The `\r` came while paused, its `\n` after: one line end, no empty line between.
    let split = [("L8\r", true), ("\nL1\n", false)];
    assert_paused_run(&split, &["L1"]);
    let lone_cr = [("L8\r", true), ("L1\r", false), ("L2\n", false)];
    assert_paused_run(&lone_cr, &["L1", "L2"]);
}

#[test]
fn a_line_started_while_paused_is_skipped_whole() {
    // `L3` starts while paused and ends after the resume: skipped; `L4` is matched.
    let started_paused = [("L0\nL", true), ("3\nL4\n", false)];
    assert_paused_run(&started_paused, &["L4"]);
    // `L5` started before the pause and went on while paused: skipped.
    let straddling = [("L0\nL", false), ("5", true), ("\nL6\n", false)];
    assert_paused_run(&straddling, &["L0", "L6"]);
}

#[test]
fn escape_codes_are_removed_however_the_text_is_cut() {
    let text = "\x1b]0;user@host\x07\x1b[01;32mL1\x1b[0m\r\nL\x1b[K2\nxL3\n\x1b[1mL4";
    for size in 1..=text.len() {
        for partial in [false, true] {
            let t = Instant::now();
            let mut conn = Connection::new("t");
            let mut ev = Wait4::new([r"^L\d$"])
                .unwrap()
                .strip_escape_codes(true)
                .match_partial_lines(partial);
            let seen = ev.occurrences();
            let h = conn.start(ev, t);
            for chunk in text.as_bytes().chunks(size) {
                conn.handle_input(chunk, t);
            }
            h.cancel();
            conn.handle_requests(t);
            let lines: Vec<String> = seen.try_iter().map(|o| o.line).collect();
            let want: &[&str] = if partial { &["L1", "L2", "L4"] } else { &["L1", "L2"] };
            assert_eq!(lines, want, "chunks of {size}, partial {partial}");
        }
    }
}

#[test]
fn a_partial_line_reported_before_the_pause_does_not_hide_a_later_line() {
    // `L1` is reported while partial and ends while paused; `L2`, cut across reads after
    // the resume, is a new line to report.
    let t = Instant::now();
    let mut conn = Connection::new("t");
    let mut ev = Wait4::new([r"^L\d$"]).unwrap().match_partial_lines(true);
    let seen = ev.occurrences();
    let h = conn.start(ev, t);
    conn.handle_input(b"L1", t);
    h.pause();
    conn.handle_input(b"\n", t);
    h.resume();
    conn.handle_input(b"L", t);
    conn.handle_input(b"2\n", t);
    h.cancel();
    conn.handle_requests(t);
    let got: Vec<_> = seen.try_iter().map(|o| o.line).collect();
    assert_eq!(got, ["L1", "L2"]);
}
