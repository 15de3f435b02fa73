//! The `Observer` trait's defaults, a boxed observer's forwarding, and what `Context` tells an
//! observer and lets it change: each rule here is one a custom observer (a user's own, or one
//! built by name from a config) relies on, and each was a mutant no other moler-core test
//! noticed (`scripts/mutants.sh moler-core moler-core/src/observer.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moler_core::{
    Command, Connection, Context, Kind, Literals, Observer, Step, TimeoutAction,
    DEFAULT_TERMINATING_PERIOD,
};

const PROMPT: &str = "^moler_bash# $";

fn sent(conn: &mut Connection) -> String {
    let mut out = Vec::new();
    let _ = conn.poll_transmit(&mut out);
    String::from_utf8(out).unwrap()
}

/// Waits for "done" and uses every default the trait has.
struct Defaults;

impl Observer for Defaults {
    type Output = ();
    fn describe(&self) -> String {
        "defaults".into()
    }
    fn on_data(&mut self, data: &str, _: &mut Context<'_>) -> Step<()> {
        if data.contains("done") {
            Step::Done(Ok(()))
        } else {
            Step::Pending
        }
    }
}

#[test]
fn an_observer_without_a_timeout_waits_for_ever() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let h = conn.start(Defaults, t0);
    assert_eq!(conn.poll_timeout(), None, "no deadline to wake up for");
    conn.handle_timeout(t0 + Duration::from_secs(86_400));
    assert!(!h.is_done(), "a day later it still waits");
    conn.handle_input(b"done\n", t0 + Duration::from_secs(86_400));
    assert!(h.try_result().unwrap().is_ok());
}

/// Times out at 1 s and lingers for 2 s (its result already given), waking itself after
/// 500 ms; with `own_linger`, it answers lingering data and wake-ups itself: stops at "stop",
/// counts its wake-ups and stops at the second.
struct Lingers {
    own_linger: bool,
    wakes: Arc<Mutex<u32>>,
}

impl Observer for Lingers {
    type Output = ();
    fn describe(&self) -> String {
        "lingers".into()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(1))
    }
    fn on_data(&mut self, _: &str, _: &mut Context<'_>) -> Step<()> {
        Step::Pending
    }
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.wake_in(Duration::from_millis(500));
        Step::Linger { result: Ok(()), period: Duration::from_secs(2) }
    }
    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        if !self.own_linger {
            return Observer::on_linger(&mut Defaults, data, cx);
        }
        data.contains("stop")
    }
    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        *self.wakes.lock().unwrap() += 1;
        if !self.own_linger {
            return Observer::on_linger_wake(&mut Defaults, cx);
        }
        cx.wake_in(Duration::from_millis(500));
        *self.wakes.lock().unwrap() == 2
    }
}

fn lingering(own_linger: bool, boxed: bool) -> (Connection, Instant, Arc<Mutex<u32>>) {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let wakes = Arc::new(Mutex::new(0));
    let observer = Lingers { own_linger, wakes: wakes.clone() };
    let h = if boxed {
        let boxed: Box<dyn Observer<Output = ()>> = Box::new(observer);
        conn.start(boxed, t0)
    } else {
        conn.start(observer, t0)
    };
    conn.handle_timeout(t0 + Duration::from_secs(1));
    assert!(h.try_result().unwrap().is_ok(), "its result comes at the timeout");
    assert_eq!(conn.observer_count(), 1, "and it lingers");
    (conn, t0 + Duration::from_secs(1), wakes)
}

#[test]
fn by_default_the_first_data_while_lingering_ends_the_linger() {
    for boxed in [false, true] {
        let (mut conn, t, _) = lingering(false, boxed);
        conn.handle_input(b"anything\r\n", t);
        assert_eq!(conn.observer_count(), 0, "boxed: {boxed}");
    }
}

#[test]
fn by_default_a_wake_up_while_lingering_goes_on_lingering() {
    for boxed in [false, true] {
        let (mut conn, t, wakes) = lingering(false, boxed);
        conn.handle_timeout(t + Duration::from_millis(500));
        assert_eq!(*wakes.lock().unwrap(), 1, "boxed: {boxed}");
        assert_eq!(conn.observer_count(), 1, "still lingering; boxed: {boxed}");
        conn.handle_timeout(t + Duration::from_secs(2));
        assert_eq!(conn.observer_count(), 0, "the period ran out; boxed: {boxed}");
    }
}

#[test]
fn an_observers_own_linger_rules_decide_plain_or_boxed() {
    for boxed in [false, true] {
        let (mut conn, t, _) = lingering(true, boxed);
        conn.handle_input(b"more\r\n", t);
        assert_eq!(conn.observer_count(), 1, "not its stop word; boxed: {boxed}");
        conn.handle_input(b"stop\r\n", t);
        assert_eq!(conn.observer_count(), 0, "its stop word; boxed: {boxed}");

        let (mut conn, t, wakes) = lingering(true, boxed);
        conn.handle_timeout(t + Duration::from_millis(500));
        assert_eq!(conn.observer_count(), 1, "the first wake-up goes on; boxed: {boxed}");
        conn.handle_timeout(t + Duration::from_millis(1000));
        assert_eq!(*wakes.lock().unwrap(), 2);
        assert_eq!(conn.observer_count(), 0, "the second stops it; boxed: {boxed}");
    }
}

/// Records what its context says of literals, and ends with a chunk holding its word.
struct Literal {
    word: &'static str,
    seen: Arc<Mutex<Vec<bool>>>,
}

impl Observer for Literal {
    type Output = &'static str;
    fn describe(&self) -> String {
        format!("waits for {:?}", self.word)
    }
    fn timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(3))
    }
    fn literals(&self) -> Option<Literals> {
        Some(Literals::new([self.word]))
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<&'static str> {
        self.seen.lock().unwrap().push(cx.literals_seen());
        if data.contains(self.word) {
            Step::Done(Ok("ended"))
        } else {
            Step::Pending
        }
    }
}

/// A boxed observer (one built by name from a config) is the observer it holds: its name,
/// timeout, literals (searched for once two observers offer some) and result.
#[test]
fn a_boxed_observer_keeps_its_name_timeout_and_literals() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let other = Arc::new(Mutex::new(Vec::new()));
    conn.start(Literal { word: "never", seen: other.clone() }, t0);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let word = "end";
    let boxed: Box<dyn Observer<Output = &'static str>> =
        Box::new(Literal { word, seen: seen.clone() });
    assert_eq!(boxed.describe(), "waits for \"end\"");
    assert_eq!(boxed.kind(), Kind::Event);
    let h = conn.start(boxed, t0);
    assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(3)), "its own timeout");
    conn.handle_input(b"nothing here\r\n", t0);
    conn.handle_input(b"the end\r\n", t0);
    assert_eq!(h.try_result().unwrap().unwrap(), "ended");
    assert_eq!(*seen.lock().unwrap(), [false, true], "its literals were searched for");
    assert_eq!(*other.lock().unwrap(), [false, false]);

    let boxed: Box<dyn Observer<Output = &'static str>> = Box::new(Literal { word, seen });
    let h = conn.start(boxed, t0);
    conn.handle_timeout(t0 + Duration::from_secs(3));
    let err = h.try_result().unwrap().unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("waits for \"end\""), "named by its own name: {err}");
}

/// Sends a line ended by the connection's newline when data comes, and gives its timeout
/// 2 s more each time, up to 5 s in all.
struct Extends {
    timeouts: Arc<Mutex<Vec<Option<Duration>>>>,
}

impl Observer for Extends {
    type Output = ();
    fn describe(&self) -> String {
        "extends".into()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(1))
    }
    fn on_data(&mut self, _: &str, cx: &mut Context<'_>) -> Step<()> {
        let now = cx.timeout();
        self.timeouts.lock().unwrap().push(now);
        let later = now.map(|t| (t + Duration::from_secs(2)).min(Duration::from_secs(5)));
        cx.set_timeout(later);
        let line = format!("ack{}", cx.newline());
        cx.send(&line);
        Step::Pending
    }
}

#[test]
fn an_observer_reads_and_changes_its_timeout_and_knows_the_newline() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    conn.set_newline("\r\n");
    let timeouts = Arc::new(Mutex::new(Vec::new()));
    let h = conn.start(Extends { timeouts: timeouts.clone() }, t0);
    conn.handle_input(b"tick\n", t0);
    assert_eq!(sent(&mut conn), "ack\r\n", "the connection's newline");
    assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(3)), "1 s + 2 s");
    conn.handle_input(b"tick\n", t0);
    conn.handle_input(b"tick\n", t0);
    assert_eq!(
        *timeouts.lock().unwrap(),
        [Some(Duration::from_secs(1)), Some(Duration::from_secs(3)), Some(Duration::from_secs(5))]
    );
    assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(5)), "counted from the start");
    conn.handle_timeout(t0 + Duration::from_secs(4));
    assert!(!h.is_done());
    conn.handle_timeout(t0 + Duration::from_secs(5));
    assert!(h.try_result().unwrap().unwrap_err().is_timeout());
}

/// The connection's default timeout action reaches a command that has none of its own.
#[test]
fn a_command_without_a_timeout_action_takes_the_connections() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    conn.mailbox().set_timeout_action(TimeoutAction::CtrlZ);
    let cmd = Command::lines("sleep 100", PROMPT).timeout(Duration::from_secs(1));
    let h = conn.start(cmd, t0);
    assert_eq!(sent(&mut conn), "sleep 100\n");
    conn.handle_input(b"sleep 100\r\n", t0);
    conn.handle_timeout(t0 + Duration::from_secs(1));
    assert!(h.try_result().unwrap().unwrap_err().is_timeout());
    assert_eq!(sent(&mut conn), "\x1a", "Ctrl-Z, not Ctrl-C");

    // The default otherwise: Ctrl-C.
    let mut conn = Connection::new("t");
    let cmd = Command::lines("sleep 100", PROMPT).timeout(Duration::from_secs(1));
    conn.start(cmd, t0);
    conn.handle_input(b"sleep 100\r\n", t0);
    conn.handle_timeout(t0 + Duration::from_secs(1));
    assert_eq!(sent(&mut conn), "sleep 100\n\x03");
}

/// Once a held line found its prompt, the connection's prompt is confirmed: a line typed
/// later goes at once even when text followed that prompt (a broadcast, a late message).
#[test]
fn a_prompt_found_by_a_held_line_confirms_it_for_later_lines() {
    let t0 = Instant::now();
    let mut conn = Connection::new("t");
    let hang = Command::lines("hang", PROMPT)
        .timeout(Duration::from_secs(1))
        .terminating_period(DEFAULT_TERMINATING_PERIOD);
    conn.start(hang, t0);
    conn.handle_input(b"hang\r\n", t0);
    let end = t0 + Duration::from_secs(1) + DEFAULT_TERMINATING_PERIOD;
    conn.handle_timeout(t0 + Duration::from_secs(1));
    conn.handle_timeout(end);
    let _ = sent(&mut conn);
    let held = conn.start(Command::lines("echo ok", PROMPT), end);
    assert_eq!(sent(&mut conn), "", "the prompt did not come back: held");
    conn.handle_input(b"^C\r\nmoler_bash# ", end);
    assert_eq!(sent(&mut conn), "echo ok\n");
    conn.handle_input(b"echo ok\r\nok\r\nmoler_bash# ", end);
    assert_eq!(held.try_result().unwrap().unwrap(), ["ok"]);
    conn.handle_input(b"\r\nBroadcast message from root: going down\r\n", end);
    let later = conn.start(Command::lines("echo later", PROMPT), end);
    assert_eq!(sent(&mut conn), "echo later\n", "confirmed: typed at once");
    conn.handle_input(b"echo later\r\nlater\r\nmoler_bash# ", end);
    assert_eq!(later.try_result().unwrap().unwrap(), ["later"]);
}

/// Closes the connection when it sees `bad` in a chunk (still running), or at its deadline
/// (failed); sends `bye` first each time.
struct Closer {
    reason: &'static str,
}

impl Observer for Closer {
    type Output = ();
    fn describe(&self) -> String {
        "closer".into()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(1))
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<()> {
        if data.contains("bad") {
            cx.send("bye");
            cx.close_connection(std::io::Error::other(self.reason));
        }
        Step::Pending
    }
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.close_connection(std::io::Error::other(self.reason));
        Step::Done(Err(cx.timeout_error("closer".into())))
    }
}

fn closed_reason<T: std::fmt::Debug + Send + 'static>(c: &moler_core::Completion<T>) -> String {
    match c.try_result() {
        Some(Err(moler_core::Error::ConnectionClosed { reason: Some(r), .. })) => r.to_string(),
        other => panic!("{other:?}"),
    }
}

/// An observer that closes the connection on data, still running: the observers after it do
/// not see that chunk, it gets the close like everyone else, and what it sent first still goes
/// out (only what would start after the close is not typed).
#[test]
fn an_observer_closes_the_connection_on_data() {
    let t0 = Instant::now();
    let mut conn = Connection::new("dut");
    let closer = conn.start(Closer { reason: "bad banner" }, t0);
    let later = conn.start(moler_core::Wait4::new(["bad"]).unwrap(), t0);
    conn.handle_input(b"a bad banner\n", t0);
    assert!(conn.is_closed());
    assert_eq!(closed_reason(&closer), "bad banner");
    assert_eq!(closed_reason(&later), "bad banner", "the event after it never saw the chunk");
    assert_eq!(sent(&mut conn), "bye");
}

/// Two observers closing at one deadline: the first reason stays; a cancel's or a start's call
/// closes the same way; an observer that never asks leaves the connection open.
#[test]
fn the_first_reason_given_is_kept() {
    let t0 = Instant::now();
    let mut conn = Connection::new("dut");
    let first = conn.start(Closer { reason: "first" }, t0);
    let second = conn.start(Closer { reason: "second" }, t0);
    conn.handle_timeout(t0 + Duration::from_millis(999));
    assert!(!conn.is_closed(), "nobody asked yet");
    conn.handle_timeout(t0 + Duration::from_secs(1));
    assert!(conn.is_closed());
    assert!(first.try_result().unwrap().unwrap_err().is_timeout(), "its own result");
    assert_eq!(closed_reason(&second), "first", "the second never got its deadline's call");
}

/// Closes the connection as it finishes, and counts the calls of its `on_close`.
struct ClosesAsItEnds {
    closes: Arc<Mutex<u32>>,
}

impl Observer for ClosesAsItEnds {
    type Output = ();
    fn describe(&self) -> String {
        "closes as it ends".into()
    }
    fn on_data(&mut self, _: &str, cx: &mut Context<'_>) -> Step<()> {
        cx.close_connection(std::io::Error::other("done here"));
        Step::Done(Ok(()))
    }
    fn on_close(&mut self, error: moler_core::Error) -> moler_core::Result<()> {
        *self.closes.lock().unwrap() += 1;
        Err(error)
    }
}

/// An observer that finished as it asked for the close keeps its result, and its `on_close`
/// is not called after it: only the ones still running hear of the close.
#[test]
fn an_observer_that_finished_as_it_closed_is_not_told_of_the_close() {
    let t0 = Instant::now();
    let mut conn = Connection::new("dut");
    let closes = Arc::new(Mutex::new(0));
    let ended = conn.start(ClosesAsItEnds { closes: Arc::clone(&closes) }, t0);
    let other = conn.start(ClosesAsItEnds { closes: Arc::new(Mutex::new(0)) }, t0);
    conn.handle_input(b"x", t0);
    assert!(conn.is_closed());
    assert!(ended.try_result().unwrap().is_ok());
    assert_eq!(*closes.lock().unwrap(), 0);
    assert_eq!(closed_reason(&other), "done here");
}
