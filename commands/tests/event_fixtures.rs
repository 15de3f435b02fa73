//! Moler's event reference cases (`commands/fixtures/events/<family>/`, imported by
//! `scripts/import-moler-fixtures.py --events`): every case, fed whole, line by line and in
//! every chunk size from 1 to 64 bytes, must give Moler's occurrences. As in Moler's own check,
//! `time` values are not compared, but an occurrence must have a `time` (an ISO 8601 wall-clock
//! time) exactly where Moler's has one. The occurrence callback of an event made by name
//! ([`Registry::event_with`]) must see the same occurrences, one by one.
//!
//! A case that cannot pass carries a `deviation` (why Moler is wrong) and `moler_result`
//! (what Moler gave) beside our `result`; the test prints them. It fails when a registered
//! event has no case, or a case's event is not registered, unless the name is listed below
//! with the reason (printed loudly).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moler_commands::Registry;
use moler_core::Connection;
use serde_json::{Map, Value};

/// A case's (family, Moler module name) registered under another name, and why.
const ALIASES: &[(&str, &str, &str, &str)] = &[(
    "juniper",
    "genericshared_lineevent",
    "genericjuniper_lineevent",
    "Moler's Juniper module has the shared family's module name; one name holds one event",
)];

/// Where the events differ from Moler's on text no case shows (each event's doc says more);
/// printed with the deviations.
const BEYOND_MOLER: &[(&str, &str)] = &[
    ("shutdown, ping_response, ping_no_response", "whole lines only: Moler also matches the unfinished last line, and reports it cut when a read ends inside it (`… at Tue 2019-03-19 12:1`)"),
    ("wait4prompts", "every prompt of a chunk, in order: Moler reports only the newest prompt of each read, so what it reports depends on how the text was cut"),
    ("password_prompt", "the question at the line's end (`(password|passphrase)…:\\s*$`): Moler's `password:` anywhere also takes `Password: changed` for a question"),
    ("ping_no_response", "also `Destination Net/Port Unreachable` and macOS's `Request timeout for icmp_seq` (a pattern of their own, after Moler's)"),
    ("wait4, generic*_lineevent", "`full_lines_only: true` (not Moler's) matches whole lines only"),
];

/// Registered events without a Moler case, and why.
const NO_CASE: &[(&str, &str)] = &[];

/// Moler events of a case that moler-rs does not register, and why.
const NOT_REGISTERED: &[(&str, &str)] = &[];

struct Case {
    file: String,
    event: String,
    kwargs: Value,
    output: String,
    result: Value,
    deviation: Option<String>,
    moler_result: Option<Value>,
}

fn cases() -> Vec<Case> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/events");
    let mut cases = Vec::new();
    for family in std::fs::read_dir(&root).expect("fixtures/events") {
        let family = family.unwrap().path();
        let fam = family.file_name().unwrap().to_string_lossy().into_owned();
        for entry in std::fs::read_dir(&family).unwrap() {
            let path = entry.unwrap().path();
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
            let file = format!("{fam}/{}", path.file_name().unwrap().to_string_lossy());
            assert!(
                v["origin"].as_str().is_some_and(|o| o.contains("Moler")),
                "{file}: every fixture keeps a note of its origin"
            );
            let deviation = v["deviation"].as_str().map(str::to_owned);
            assert_eq!(
                deviation.is_some(),
                v.get("moler_result").is_some(),
                "{file}: a deviation keeps Moler's result beside ours"
            );
            let moler = v["event"].as_str().unwrap();
            let event = ALIASES
                .iter()
                .find(|(f, m, _, _)| *f == fam && *m == moler)
                .map_or(moler, |(_, _, ours, _)| ours);
            cases.push(Case {
                file,
                event: event.to_owned(),
                kwargs: kwargs(&v["kwargs"]),
                output: v["output"].as_str().unwrap().to_owned(),
                result: v["result"].clone(),
                deviation,
                moler_result: v.get("moler_result").cloned(),
            });
        }
    }
    cases.sort_by(|a, b| a.file.cmp(&b.file));
    cases
}

/// The case's parameters, with Python's compiled regexes (written by the export as
/// `{"__regex__": …, "flags": …}` in a `prompts` key) back as regex text: `re.UNICODE` (32)
/// is what Rust's regexes do anyway, `re.IGNORECASE` (2), `re.MULTILINE` (8) and
/// `re.DOTALL` (16) become inline flags.
fn kwargs(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Object(prompts)) = v.get_mut("prompts") {
        let plain: Map<String, Value> = std::mem::take(prompts)
            .into_iter()
            .map(|(k, state)| {
                let Ok(Value::Object(re)) = serde_json::from_str::<Value>(&k) else {
                    return (k, state);
                };
                let flags = re["flags"].as_u64().unwrap_or(0);
                let inline: String = [(2, 'i'), (8, 'm'), (16, 's')]
                    .iter()
                    .filter(|(bit, _)| flags & bit != 0)
                    .map(|(_, c)| *c)
                    .collect();
                assert_eq!(flags & !(2 | 8 | 16 | 32), 0, "regex flags {flags} to translate");
                let text = re["__regex__"].as_str().unwrap();
                let text =
                    if inline.is_empty() { text.to_owned() } else { format!("(?{inline}){text}") };
                (text, state)
            })
            .collect();
        *prompts = plain;
    }
    v
}

/// `v` with every `time` value replaced by a mark (Moler's check ignores the values), after
/// checking that ours are wall-clock times.
fn without_times(v: &Value, ours: bool) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    if k == "time" {
                        if ours {
                            let t = v.as_str().unwrap_or_else(|| panic!("time {v} is a string"));
                            let iso =
                                regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
                                    .unwrap();
                            assert!(iso.is_match(t), "time {t} in ISO 8601");
                        }
                        (k.clone(), Value::from("<time>"))
                    } else {
                        (k.clone(), without_times(v, ours))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| without_times(v, ours)).collect()),
        other => other.clone(),
    }
}

/// The occurrences of `case`'s event fed `pieces`, and those its callback saw.
fn run(registry: &Registry, case: &Case, pieces: &[&[u8]]) -> Result<(Value, Vec<Value>), String> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let event = registry
        .event_with(&case.event, &case.kwargs, move |o| log.lock().unwrap().push(o.clone()))
        .map_err(|e| e.to_string())?;
    let mut conn = Connection::new("event fixture");
    let t0 = Instant::now();
    let done = conn.start(event, t0);
    for (i, p) in pieces.iter().enumerate() {
        conn.handle_input(p, t0 + Duration::from_millis(i as u64));
    }
    let result = done
        .try_result()
        .ok_or("the event did not finish")?
        .map_err(|e| format!("the event failed: {e}"))?;
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    Ok((result, seen))
}

/// Every way of feeding `output`: whole, line by line, in chunks of 1 to 64 bytes.
fn feedings(output: &str) -> Vec<(String, Vec<&[u8]>)> {
    let bytes = output.as_bytes();
    let mut ways = vec![
        ("whole".to_owned(), vec![bytes]),
        ("line by line".to_owned(), output.split_inclusive('\n').map(str::as_bytes).collect()),
    ];
    for size in 1..=64 {
        ways.push((format!("chunks of {size}"), bytes.chunks(size).collect()));
    }
    ways
}

#[test]
fn every_event_case_gives_molers_occurrences() {
    let registry = Registry::default();
    let cases = cases();
    assert!(cases.len() >= 25, "Moler 4.13.1 has 25 event cases, found {}", cases.len());
    let mut failures = Vec::new();
    let mut deviations = Vec::new();
    for case in &cases {
        if NOT_REGISTERED.iter().any(|(n, _)| *n == case.event) {
            continue;
        }
        let want = without_times(&case.result, false);
        for (how, pieces) in feedings(&case.output) {
            match run(&registry, case, &pieces) {
                Err(e) => failures.push(format!("{} ({how}): {e}", case.file)),
                Ok((got, seen)) => {
                    let got_plain = without_times(&got, true);
                    if got_plain != want {
                        failures.push(format!(
                            "{} ({how}):\n  ours:  {got_plain}\n  Moler: {want}",
                            case.file
                        ));
                    }
                    // The callback saw every occurrence, and only those, as they came.
                    if Value::Array(seen.clone()) != got {
                        failures.push(format!(
                            "{} ({how}): callback saw {seen:?}, result {got}",
                            case.file
                        ));
                    }
                }
            }
        }
        if let (Some(why), Some(moler)) = (&case.deviation, &case.moler_result) {
            assert_ne!(
                without_times(moler, false),
                want,
                "{}: a deviation that changes nothing",
                case.file
            );
            deviations.push(format!("{}: {why}", case.file));
        }
    }
    println!("{} event cases; deviations from Moler ({}):", cases.len(), deviations.len());
    for d in &deviations {
        println!("  {d}");
    }
    for (events, how) in BEYOND_MOLER {
        println!("  beyond Moler, {events}: {how}");
    }
    for (family, moler, ours, why) in ALIASES {
        println!("  {family}/{moler} is registered as {ours}: {why}");
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_registered_event_has_a_case_and_every_case_an_event() {
    let registry = Registry::default();
    let cases = cases();
    let registered: Vec<&str> = registry.event_names().collect();
    let mut problems = Vec::new();
    for name in &registered {
        let listed = NO_CASE.iter().any(|(n, _)| n == name);
        let has = cases.iter().any(|c| c.event == *name);
        match (has, listed) {
            (false, false) => problems.push(format!("registered event {name} has no case")),
            (true, true) => problems.push(format!("{name} has a case now: take it off NO_CASE")),
            _ => {}
        }
    }
    for case in &cases {
        let listed = NOT_REGISTERED.iter().any(|(n, _)| *n == case.event);
        let known = registered.contains(&case.event.as_str());
        match (known, listed) {
            (false, false) => {
                problems.push(format!("{}: event {} is not registered", case.file, case.event))
            }
            (true, true) => problems
                .push(format!("{} is registered now: take it off NOT_REGISTERED", case.event)),
            _ => {}
        }
    }
    for (name, why) in NO_CASE {
        println!("!!! registered event {name} has no Moler case: {why}");
    }
    for (name, why) in NOT_REGISTERED {
        println!("!!! Moler event {name} is not registered: {why}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every regex parameter of every event (`detect_patterns`, `prompt`, `prompts`), given one
/// that does not compile in the shape its case gives (a regex, a list of them, a map from
/// regexes), is refused when the event is built, naming it.
#[test]
fn a_bad_regex_parameter_is_refused_by_name() {
    let registry = Registry::default();
    let mut checked = 0;
    for case in cases() {
        for p in ["detect_patterns", "prompt", "prompts"] {
            let bad = match case.kwargs.get(p) {
                None => continue,
                Some(Value::String(_)) => Value::from("(oops"),
                Some(Value::Array(list)) => {
                    Value::Array(list.iter().cloned().chain([Value::from("(oops")]).collect())
                }
                Some(Value::Object(map)) => {
                    let mut map = map.clone();
                    let state = map.values().next().cloned().unwrap_or(Value::Null);
                    map.insert("(oops".into(), state);
                    Value::Object(map)
                }
                Some(other) => panic!("{}: {p} is {other}", case.file),
            };
            let mut params = case.kwargs.clone();
            params[p] = bad.clone();
            let err = match registry.event(&case.event, &params) {
                Ok(_) => panic!("{}: {p} {bad} accepted", case.file),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(p) && err.contains("(oops"), "{}, {p}: {err}", case.file);
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} checks");
}
