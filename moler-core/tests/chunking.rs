//! Property: a command and a `Wait4` event give the same results whatever the chunk boundaries,
//! including cuts inside multi-byte characters, inside escape codes and between `\r` and `\n`.

use std::time::Instant;

use moler_core::{Command, Connection, MatchMode, Wait4};

use proptest::prelude::*;

const PROMPT: &str = "moler_bash# ";

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a", "b", "x", "12", "7", " ", "é", "€", "😀", "\x1b[31m", "\x1b[0m", "-", ":", "ab", "\t",
    ])
}

fn line_end() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["\n", "\r\n", "\r", "\r\r\n"])
}

fn output() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::collection::vec(piece(), 0..12), line_end()), 0..25).prop_map(
        |lines| {
            let mut s = String::new();
            for (pieces, end) in lines {
                s.extend(pieces);
                s.push_str(end);
            }
            s
        },
    )
}

/// Cut points, as fractions of the length, so every length gets cuts anywhere.
fn cuts() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0..1.0f64, 0..40)
}

fn split(bytes: &[u8], fractions: &[f64]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = fractions.iter().map(|f| (f * bytes.len() as f64) as usize).collect();
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect()
}

/// The command's outcome: `None` while it has not finished (no output, `ret_required` on).
type Outcome = Option<Result<Vec<String>, String>>;

fn run(chunks: &[Vec<u8>]) -> Outcome {
    let now = Instant::now();
    let mut conn = Connection::new("prop");
    let cmd = conn.start(Command::lines("do it", "^moler_bash# $").no_default_failures(), now);
    for c in chunks {
        conn.handle_input(c, now);
    }
    // Nothing more comes: a prompt after output without a final newline counts now.
    conn.handle_timeout(now + moler_core::PROMPT_QUIET);
    cmd.try_result().map(|r| r.map_err(|e| e.to_string()))
}

/// Per event: (pattern index, line, matched text, groups) of each occurrence.
type Found = Vec<Vec<(usize, String, String, Vec<Option<String>>)>>;

fn run_events(chunks: &[Vec<u8>]) -> Found {
    let now = Instant::now();
    let mut conn = Connection::new("prop");
    let mut iters = Vec::new();
    for mode in [MatchMode::Any, MatchMode::All, MatchMode::Sequence] {
        let mut ev = Wait4::new([r"(\d+)", "é+€?", r"^a", r"b$", r"^$", r"\s(x)?"]).unwrap();
        iters.push(ev.occurrences());
        // The handle is not needed: the iterator reports what the event saw.
        drop(conn.start(ev.mode(mode), now));
    }
    for c in chunks {
        conn.handle_input(c, now);
    }
    conn.close();
    iters
        .into_iter()
        .map(|it| it.try_iter().map(|o| (o.pattern, o.line, o.matched, o.groups)).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn results_do_not_depend_on_chunk_boundaries(out in output(), fractions in cuts()) {
        let stream = format!("garbage before {PROMPT}do it\r\n{out}{PROMPT}");
        let bytes = stream.as_bytes();
        let whole = run(&[bytes.to_vec()]);
        let has_line = out.contains(['\r', '\n']);
        prop_assert_eq!(whole.is_some(), has_line, "ends on the prompt once there is output");
        if has_line {
            let line_end = regex::Regex::new("\r*\n|\r+").unwrap();
            let mut want: Vec<String> = line_end
                .split(&out)
                .map(|l| moler_core::strip_escapes(l).into_owned())
                .collect();
            want.pop(); // `out` ends with a line end
            prop_assert_eq!(whole.clone(), Some(Ok(want)));
        }
        let chunked = run(&split(bytes, &fractions));
        prop_assert_eq!(&whole, &chunked);
        let one_by_one: Vec<Vec<u8>> = bytes.iter().map(|b| vec![*b]).collect();
        prop_assert_eq!(&whole, &run(&one_by_one));

        let events_whole = run_events(&[bytes.to_vec()]);
        prop_assert_eq!(&events_whole, &run_events(&split(bytes, &fractions)));
        prop_assert_eq!(&events_whole, &run_events(&one_by_one));
    }

    /// Output whose last line has no line end: the prompt follows on that line, and the
    /// line is the command's last output line, whatever the chunks.
    #[test]
    fn a_prompt_after_output_without_a_final_newline_ends_the_command(
        out in output(),
        last in prop::collection::vec(piece(), 0..12),
        fractions in cuts(),
    ) {
        let last = last.concat();
        let stream = format!("{PROMPT}do it\r\n{out}{last}{PROMPT}");
        let bytes = stream.as_bytes();
        let line_end = regex::Regex::new("\r*\n|\r+").unwrap();
        let mut want: Vec<String> = line_end
            .split(&format!("{out}{last}"))
            .map(|l| moler_core::strip_escapes(l).into_owned())
            .collect();
        if want.last().is_some_and(String::is_empty) {
            want.pop(); // nothing before the prompt: it starts its own line
        }
        let whole = run(&[bytes.to_vec()]);
        prop_assert_eq!(&whole, &(!want.is_empty()).then_some(Ok(want)));
        prop_assert_eq!(&whole, &run(&split(bytes, &fractions)));
        let one_by_one: Vec<Vec<u8>> = bytes.iter().map(|b| vec![*b]).collect();
        prop_assert_eq!(&whole, &run(&one_by_one));
    }

    #[test]
    fn events_match_each_line_as_a_per_line_search_would(out in output()) {
        // The model: split the text the way the line splitter documents, then search each line.
        let patterns = [r"(\d+)", "é+€?", r"^a", r"b$", r"^$", r"\s(x)?"];
        let regexes: Vec<regex::Regex> = patterns.iter().map(|p| regex::Regex::new(p).unwrap()).collect();
        let line_end = regex::Regex::new("\r*\n|\r+").unwrap();
        let complete = match out.rfind(['\r', '\n']) { Some(i) => &out[..=i], None => "" };
        let mut lines: Vec<&str> = line_end.split(complete).collect();
        lines.pop(); // after the last line end
        let want: Vec<_> = lines.iter().filter_map(|line| {
            regexes.iter().enumerate().find_map(|(i, r)| r.captures(line).map(|c| {
                (i, line.to_string(), c[0].to_string(),
                 c.iter().skip(1).map(|g| g.map(|m| m.as_str().to_string())).collect::<Vec<_>>())
            }))
        }).collect();
        let got = run_events(&[out.as_bytes().to_vec()]);
        prop_assert_eq!(&got[0], &want);
    }
}
