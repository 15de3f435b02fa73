//! Arbitrary bytes, cut into reads by the input itself, through a `Connection` running commands
//! and `Wait4` events, with a synthetic clock, cancels, pauses, secrets and closes.
//!
//! Checks: no panic (libfuzzer-sys aborts on any panic, even one the connection would catch
//! around an observer), work bounded by the input, every completion settled once the
//! connection is closed, and a secret sent never reaching the transcript once known.
//!
//! Input: a header byte of switches, a byte choosing the prompt and timeouts, an optional
//! fuzzed regex, then operations (one byte each, most with an argument byte), where a "feed"
//! takes its bytes from the input that follows.

#![no_main]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use moler::moler_core::{
    Command, Completion, Connection, MatchMode, Occurrence, TimeoutAction, Transcript, Wait4,
};

/// Sent as a secret; multibyte, so that masking meets reads cut inside a character.
const SECRET: &str = "pä55wörd";

/// At most this many observers per input: each costs regex matching per read, and the fuzzer
/// should spend its time on the stream, not on piling up observers.
const MAX_OBSERVERS: usize = 12;

const PROMPTS: [&str; 4] = [r"^moler_bash# $", r"^\S+@\S+:\S*[$#] ?$", r"[>$#]\s*$", r"^$"];

/// ASCII classes: a Unicode `\w` or `\d` compiles into a large automaton, a millisecond per
/// event under coverage instrumentation, which would be most of the fuzzer's time (and regex's
/// own compiler is not what is fuzzed here).
const PATTERNS: [&str; 6] = [
    r"ALARM ([0-9]+)",
    r"^(?P<key>[a-z_]+)=(?P<value>.*)$",
    r"icmp_seq=([0-9]+)",
    r"(?m)^moler_bash# $",
    r"(?-u:\b)done(?-u:\b)",
    r"[Pp]assword:[ \t]*$",
];

enum Handle {
    Lines(Completion<Vec<String>>),
    Event(Completion<Vec<Occurrence>>),
}

impl Handle {
    fn cancel(&self) {
        match self {
            Handle::Lines(c) => c.cancel(),
            Handle::Event(c) => c.cancel(),
        }
    }

    fn pause(&self, paused: bool) {
        match (self, paused) {
            (Handle::Lines(c), true) => c.pause(),
            (Handle::Lines(c), false) => c.resume(),
            (Handle::Event(c), true) => c.pause(),
            (Handle::Event(c), false) => c.resume(),
        }
    }

    fn is_done(&self) -> bool {
        match self {
            Handle::Lines(c) => c.is_done(),
            Handle::Event(c) => c.is_done(),
        }
    }

    /// Takes the result, formatting it as a user would (errors are printed, results read).
    fn take(&self) -> Option<String> {
        match self {
            Handle::Lines(c) => c.try_result().map(|r| format!("{r:?}")),
            Handle::Event(c) => c.try_result().map(|r| format!("{r:?}")),
        }
    }
}

/// What the transcript got, and whether the secret was known to the connection by then.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<LogState>>);

#[derive(Default)]
struct LogState {
    secret_known: bool,
    /// Text and raw bytes received since the secret was known.
    text: String,
    raw: Vec<u8>,
}

impl Transcript for Log {
    fn received(&mut self, raw: &[u8], text: &str) {
        let mut st = self.0.lock().unwrap();
        if st.secret_known {
            st.text.push_str(text);
            st.raw.extend_from_slice(raw);
        }
    }

    fn sent(&mut self, _text: &str) {}
}

/// Reads the input front to back; past its end every read gives zeros.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn command(n: u8, switches: u8, prompt: &str, timeout: Duration) -> Command<moler::Lines> {
    let line = ["uname -a", "ls -l /tmp", "", "cat pä55wörd.txt"][usize::from(n % 4)];
    let mut c = Command::lines(line, prompt)
        .timeout(timeout)
        .terminating_period(Duration::from_millis(u64::from(n) * 20))
        .expect_echo(switches & 0x08 == 0)
        .ret_required(switches & 0x10 != 0);
    if n & 0x10 != 0 {
        c = c.failure(r"(?i)error").failure_exception(r"no error");
    }
    if n & 0x20 != 0 {
        c = c.no_default_failures();
    }
    if n & 0x40 != 0 {
        c = c.line_cap(usize::from(n % 7) * 3);
    }
    if n & 0x08 != 0 {
        // Ctrl-Z, the `[N]+ Stopped` line, the kill line at the prompt, its echo, the prompt.
        c = c.timeout_action(TimeoutAction::CtrlZ);
    }
    if n & 0x80 != 0 {
        // Keys (sent at once even while the prompt is unconfirmed) or typed lines (held).
        c = if switches & 0x01 != 0 {
            c.types(format!("{line}\nsecond line"))
        } else {
            c.sends("\x03", false)
        };
    }
    c
}

/// The compiled size (as the regex crate counts its `size_limit`) a fuzzed pattern may have.
/// A search costs, at worst (when the regex crate falls back from its lazy DFA to its PikeVM),
/// time in proportion to the compiled size times the text: `\u{FFFD}*{68253}` fits in 23
/// input bytes and in the regex crate's own 10 MB limit, and made a 542-byte input take a
/// second under coverage instrumentation. That is the cost the user chose with the pattern, the
/// regex crate's to bound, and not what this target looks for; prompts and events' patterns
/// compile to a few kilobytes.
const FUZZED_SIZE: usize = 64 * 1024;

fn within_fuzzed_size(pattern: &str) -> bool {
    // An invalid pattern is kept: `Wait4::new` must refuse it with a clear error.
    !matches!(
        regex::RegexBuilder::new(pattern).size_limit(FUZZED_SIZE).build(),
        Err(regex::Error::CompiledTooBig(_))
    )
}

fn event(n: u8, fuzzed: Option<&str>, timeout: Duration) -> Option<Wait4> {
    let first = usize::from(n % 6);
    let count = 1 + usize::from((n >> 3) % 3);
    let mut patterns: Vec<&str> =
        PATTERNS.iter().cycle().skip(first).take(count).copied().collect();
    if let (Some(p), true) = (fuzzed, n & 0x40 != 0) {
        patterns.push(p);
    }
    // A fuzzed pattern may be invalid: that is a clear error, and the event is not started.
    let mut ev = Wait4::new(patterns).ok()?.mode(match (n >> 5) % 3 {
        0 => MatchMode::Any,
        1 => MatchMode::All,
        _ => MatchMode::Sequence,
    });
    ev = ev.match_partial_lines(n & 0x80 != 0);
    if n & 0x04 != 0 {
        ev = ev.till_occurs_times(usize::from(n % 5));
    }
    if n & 0x02 != 0 {
        ev = ev.timeout(timeout);
    }
    if n & 0x01 != 0 {
        ev = ev.line_cap(usize::from(n % 13) * 5);
    }
    Some(ev)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let switches = input.byte();
    let choice = input.byte();
    let fuzzed = if switches & 0x40 != 0 {
        let n = usize::from(input.byte() % 24);
        Some(String::from_utf8_lossy(input.bytes(n)).into_owned()).filter(|p| within_fuzzed_size(p))
    } else {
        None
    };
    let prompt = PROMPTS[usize::from(choice % 4)];
    let timeout = Duration::from_millis(u64::from(choice >> 2) * 100);

    let log = Log::default();
    let start = Instant::now();
    let mut now = start;
    let mut conn = Connection::new("fuzz");
    if switches & 0x20 != 0 {
        conn.set_newline("\r\n");
    }
    conn.set_transcript(Some(Box::new(log.clone())));
    let mut handles =
        vec![Handle::Lines(conn.start(command(choice, switches, prompt, timeout), now))];
    if let Some(ev) = event(switches, fuzzed.as_deref(), timeout) {
        handles.push(Handle::Event(conn.start(ev, now)));
    }

    while !input.is_empty() {
        let op = input.byte();
        let arg = input.byte();
        match op % 12 {
            // Reads, the most common operation.
            0..=3 => conn.handle_input(input.bytes(usize::from(arg)), now),
            4 => {
                now += Duration::from_millis(u64::from(arg) * 37);
                conn.handle_timeout(now);
            }
            5 => {
                // Exactly at the next deadline, as a runner wakes up.
                if let Some(deadline) = conn.poll_timeout() {
                    now = now.max(deadline);
                    conn.handle_timeout(deadline);
                }
            }
            6 => {
                let _ = conn.poll_transmit(&mut Vec::new());
            }
            7 => {
                handles[usize::from(arg) % handles.len()].cancel();
                conn.handle_requests(now);
            }
            8 if handles.len() < MAX_OBSERVERS => {
                let h = if arg & 1 == 0 {
                    Handle::Lines(conn.start(command(arg, switches, prompt, timeout), now))
                } else {
                    match event(arg, fuzzed.as_deref(), timeout) {
                        Some(ev) => Handle::Event(conn.start(ev, now)),
                        None => continue,
                    }
                };
                handles.push(h);
            }
            9 => handles[usize::from(arg) % handles.len()].pause(arg & 0x80 != 0),
            10 => {
                conn.send_secret(SECRET);
                // The connection knows a secret once it has been handed to the transport.
                let _ = conn.poll_transmit(&mut Vec::new());
                log.0.lock().unwrap().secret_known = true;
            }
            11 if arg == 0xff => conn.handle_close(Some(std::io::Error::other("fuzz"))),
            11 if arg == 0xfe => conn.close(),
            _ => {
                let _ = handles[usize::from(arg) % handles.len()].take();
            }
        }
    }

    // Whatever is left, the way a runner ends: late deadlines, then the transport's end.
    conn.handle_timeout(now + Duration::from_secs(3600));
    let _ = conn.poll_transmit(&mut Vec::new());
    conn.close();
    assert_eq!(conn.observer_count(), 0, "a closed connection keeps no observers");
    for h in &handles {
        assert!(h.is_done(), "every observer has a result once the connection is closed");
        let _ = h.take();
    }
    drop(conn);
    let st = log.0.lock().unwrap();
    assert!(!st.text.contains(SECRET), "the secret reached the transcript: {:?}", st.text);
    assert!(
        !st.raw.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the secret reached the raw transcript"
    );
});
