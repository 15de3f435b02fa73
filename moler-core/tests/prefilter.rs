//! Property: events that share the connection's literal prefilter (see
//! `Observer::literals`) report exactly what each reports alone on a connection of its own, fed
//! the same chunks: the same occurrences, in the same order, whatever the chunks, the modes
//! (partial lines, escape stripping, `All`, `Sequence`), events that finish midway and events
//! that start midway.

use std::time::Instant;

use moler_core::{Connection, MatchMode, Occurrences, Wait4};

use proptest::prelude::*;

/// Pieces that make up, and cut up, the literals of the patterns below.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "AL", "ARM", "ALARM_", "1", "2", "_", ": ", "ok", "o", "k", "done", " ", "x", "7", "é",
        "raised", "\x1b[1m", "\x1b[0m", "END", "E", "ND",
    ])
}

fn line_end() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["\n", "\r\n", "\r", ""])
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::collection::vec(piece(), 0..10), line_end()), 0..30)
        .prop_map(|lines| lines.into_iter().flat_map(|(p, e)| p.into_iter().chain([e])).collect())
}

/// The patterns of the events: all with literals but the last two (`\d`, one byte).
const PATTERNS: &[&[&str]] = &[
    &[r"ALARM_1: .*raised", "END"],
    &[r"ALARM_(\d)"],
    &[r"^ok$", r"done"],
    &[r"(?i)alarm_2"],
    &[r"ARM_1", r"ok"],
    &[r"x\d+x", r"^E"],
    &[r"(?P<n>\d)"],
    &[r"x"],
];

/// How one event is made and started.
#[derive(Debug, Clone)]
struct Spec {
    patterns: usize,
    mode: MatchMode,
    partial: bool,
    strip: bool,
    till: Option<usize>,
    /// Started after this many chunks.
    start_after: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    let mode = prop::sample::select(vec![MatchMode::Any, MatchMode::All, MatchMode::Sequence]);
    (
        0..PATTERNS.len(),
        mode,
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::option::of(1..4usize),
        0..4usize,
    )
        .prop_map(|(patterns, mode, partial, strip, till, start_after)| Spec {
            patterns,
            mode,
            partial,
            strip,
            till,
            start_after,
        })
}

fn split(bytes: &[u8], fractions: &[f64]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = fractions.iter().map(|f| (f * bytes.len() as f64) as usize).collect();
    at.extend([0, bytes.len()]);
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect()
}

type Found = Vec<(usize, String, String, Vec<Option<String>>)>;

fn event(spec: &Spec) -> (Wait4, Occurrences) {
    let mut ev = Wait4::new(PATTERNS[spec.patterns])
        .unwrap()
        .mode(spec.mode)
        .match_partial_lines(spec.partial)
        .strip_escape_codes(spec.strip);
    if let Some(n) = spec.till {
        ev = ev.till_occurs_times(n);
    }
    let seen = ev.occurrences();
    (ev, seen)
}

/// Runs `specs` on one connection fed `chunks`; what each event reported.
fn run(specs: &[Spec], chunks: &[Vec<u8>]) -> Vec<Found> {
    let now = Instant::now();
    let mut conn = Connection::new("prop");
    let mut seen: Vec<Option<Occurrences>> = specs.iter().map(|_| None).collect();
    for at in 0..=chunks.len() {
        for (i, spec) in specs.iter().enumerate() {
            if spec.start_after.min(chunks.len()) == at {
                let (ev, occurrences) = event(spec);
                drop(conn.start(ev, now));
                seen[i] = Some(occurrences);
            }
        }
        if let Some(c) = chunks.get(at) {
            conn.handle_input(c, now);
        }
    }
    conn.close();
    seen.into_iter()
        .map(|s| s.unwrap().try_iter().map(|o| (o.pattern, o.line, o.matched, o.groups)).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn shared_prefilter_reports_what_each_event_alone_reports(
        text in text(),
        fractions in prop::collection::vec(0.0..1.0f64, 0..30),
        specs in prop::collection::vec(spec(), 2..7),
    ) {
        let chunks = split(text.as_bytes(), &fractions);
        let together = run(&specs, &chunks);
        for (i, spec) in specs.iter().enumerate() {
            let alone = run(std::slice::from_ref(spec), &chunks);
            prop_assert_eq!(&together[i], &alone[0], "event {} ({:?}) in {:?}", i, spec, chunks);
        }
    }
}

/// The benchmark's case: ten events whose patterns match only the last line, fed 4 KiB chunks;
/// each finds its line, however the stream is cut.
#[test]
fn ten_events_find_the_last_line() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(
            "64 bytes from 10.0.{}.{}: icmp_seq={i} ttl=64 time=0.1 ms\n",
            i / 256,
            i % 256
        ));
    }
    text.push_str("ALARM_3: fan raised\nMOLER_BENCH_END\n");
    for chunk in [1, 7, 100, 4096] {
        let now = Instant::now();
        let mut conn = Connection::new("bench");
        let events: Vec<_> = (0..10)
            .map(|j| {
                let ev = Wait4::new([format!("(?:ALARM_{j}: .*raised|MOLER_BENCH_END)")]).unwrap();
                conn.start(ev.till_occurs_times(1), now)
            })
            .collect();
        for c in text.as_bytes().chunks(chunk) {
            conn.handle_input(c, now);
        }
        for (j, e) in events.into_iter().enumerate() {
            let found = e.try_result().expect("finished").unwrap();
            let want = if j == 3 { "ALARM_3: fan raised" } else { "MOLER_BENCH_END" };
            assert_eq!(found[0].line, want, "event {j}, chunks of {chunk}");
        }
    }
}
