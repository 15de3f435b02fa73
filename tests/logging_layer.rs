//! moler's `tracing` layer in a subscriber of the program's own: it writes moler's logs and
//! leaves every other layer every event it wants.

use std::sync::{Arc, Mutex};

use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// The program's own layer: the events it was given, as `LEVEL target message`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for Seen {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let meta = event.metadata();
        self.0.lock().unwrap().push(format!("{} {} {}", meta.level(), meta.target(), message.0));
    }
}

/// The process's logs are one: one test at a time.
static LOGS: Mutex<()> = Mutex::new(());

/// A fresh log folder for the test `tag`, and the one test at a time that uses the logs.
fn logs_for(tag: &str) -> (std::sync::MutexGuard<'static, ()>, std::path::PathBuf) {
    let one = LOGS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("moler-layer-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (one, dir)
}

/// One call site for every detail: its cached interest must follow the debug log's switch.
fn detail(text: &str) {
    tracing::debug!(target: "myapp::detail", "{text}");
}

/// Runs `body` with moler's layer alone as the thread's subscriber (what `configure` installs
/// when the program has none) and the logs `logger` says; then writes all out and stops them.
fn with_molers_layer(logger: &moler::config::Logger, body: impl FnOnce(&moler::logging::Logs)) {
    let subscriber = tracing_subscriber::registry().with(moler::logging::layer());
    tracing::subscriber::with_default(subscriber, || {
        let logs = moler::logging::configure(logger).unwrap();
        body(&logs);
        logs.flush();
        moler::logging::stop();
    });
}

#[test]
fn the_programs_own_layer_gets_every_event_beside_molers() {
    let (_one, dir) = logs_for("beside");
    let logger = moler::config::Logger { path: Some(dir.clone()), ..Default::default() };
    let seen = Seen::default();
    let subscriber =
        tracing_subscriber::registry().with(seen.clone()).with(moler::logging::layer());
    tracing::subscriber::with_default(subscriber, || {
        let logs = moler::logging::configure(&logger).unwrap();
        tracing::info!(target: "myapp", "the program's own record");
        detail("a first detail");
        tracing::trace!(target: moler::logging::RAW, device = "D", dir = ">", bytes = &b"x"[..]);
        tracing::info!(target: moler::logging::MAIN, device = "D", "moler's record");
        // The debug log on: the same call site is now wanted by moler's logs too.
        logs.set_debug_log(true);
        detail("a second detail");
        logs.flush();
        moler::logging::stop();
        tracing::info!(target: moler::logging::MAIN, "after the logs stopped");
    });
    let seen = seen.0.lock().unwrap().clone();
    for record in [
        "INFO myapp the program's own record",
        "DEBUG myapp::detail a first detail",
        "TRACE moler::raw ",
        "INFO moler moler's record",
        "DEBUG myapp::detail a second detail",
        "INFO moler after the logs stopped",
    ] {
        assert!(seen.iter().any(|s| s == record), "the program's layer got {record:?}: {seen:#?}");
    }
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let (main, debug, device) = (read("moler.log"), read("moler.debug.log"), read("moler.D.log"));
    assert!(main.contains("moler's record"), "{main}");
    assert!(!main.contains("the program's own record"), "not moler's: {main}");
    assert!(!main.contains("after the logs stopped"), "{main}");
    assert!(device.contains("moler's record"), "{device}");
    assert!(debug.contains("a second detail"), "the debug log on: {debug}");
    assert!(!debug.contains("a first detail"), "the debug log was off: {debug}");
    assert!(!std::fs::exists(dir.join("moler.D.raw.log")).unwrap(), "RAW_LOG is off");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Beside a layer whose filter decides per event (its call sites' interest is "sometimes",
/// as `dynamic_filter_fn` gives), every event asks moler's filter again: moler's records still reach
/// its files, and the program's own records still do not.
#[test]
fn beside_a_filter_that_decides_per_event_moler_still_decides_for_its_logs() {
    use tracing_subscriber::Layer as _;
    let (_one, dir) = logs_for("per-event");
    let logger = moler::config::Logger { path: Some(dir.clone()), ..Default::default() };
    let seen = Seen::default();
    let per_event =
        tracing_subscriber::filter::dynamic_filter_fn(|m, _| m.target() != "myapp::hidden");
    let subscriber = tracing_subscriber::registry()
        .with(seen.clone().with_filter(per_event))
        .with(moler::logging::layer());
    tracing::subscriber::with_default(subscriber, || {
        let logs = moler::logging::configure(&logger).unwrap();
        tracing::info!(target: moler::logging::MAIN, device = "E", "moler's record, asked per event");
        tracing::info!(target: "myapp", "the program's record, asked per event");
        tracing::info!(target: "myapp::hidden", "hidden from the program's layer");
        logs.flush();
        moler::logging::stop();
    });
    let seen = seen.0.lock().unwrap().clone();
    assert!(seen.iter().any(|s| s.ends_with("moler's record, asked per event")), "{seen:#?}");
    assert!(seen.iter().any(|s| s.ends_with("the program's record, asked per event")), "{seen:#?}");
    assert!(!seen.iter().any(|s| s.contains("hidden")), "{seen:#?}");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let (main, device) = (read("moler.log"), read("moler.E.log"));
    assert!(main.contains("moler's record, asked per event"), "{main}");
    assert!(device.contains("moler's record, asked per event"), "{device}");
    assert!(!main.contains("the program's record") && !main.contains("hidden"), "{main}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// moler's layer alone (what `configure` installs when the program has no subscriber): what
/// the logs do not want is off at its call site, and on again when the logs come to want it.
#[test]
fn molers_layer_alone_follows_the_debug_logs_switch() {
    let (_one, dir) = logs_for("alone");
    let logger = moler::config::Logger { path: Some(dir.clone()), ..Default::default() };
    with_molers_layer(&logger, |logs| {
        detail("a first detail");
        logs.set_debug_log(true);
        detail("a second detail");
        logs.set_debug_log(false);
        detail("a third detail");
        logs.set_debug_log(true);
        detail("a fourth detail");
    });
    let debug = std::fs::read_to_string(dir.join("moler.debug.log")).unwrap_or_default();
    for (text, written) in [("first", false), ("second", true), ("third", false), ("fourth", true)]
    {
        let line = format!("a {text} detail");
        assert_eq!(debug.contains(&line), written, "{line:?} in the debug log: {debug}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A connection's traffic (a transcript's records) goes to the device log once, to the debug
/// log once, and to the program's own layer as `moler::io` events.
#[test]
fn traffic_is_logged_once_and_given_to_the_programs_layer() {
    let (_one, dir) = logs_for("traffic");
    let logger = moler::config::Logger {
        path: Some(dir.clone()),
        debug_level: Some("INFO".into()),
        raw_log: true,
        ..Default::default()
    };
    let seen = Seen::default();
    let subscriber =
        tracing_subscriber::registry().with(seen.clone()).with(moler::logging::layer());
    tracing::subscriber::with_default(subscriber, || {
        let logs = moler::logging::configure(&logger).unwrap();
        let mut conn =
            moler_core::Connection::new("T").with_transcript(moler::logging::transcript("T"));
        conn.sendline("typed here");
        let mut out = Vec::new();
        let _ = conn.poll_transmit(&mut out);
        conn.handle_input(b"typed here\nanswered there\n", std::time::Instant::now());
        logs.flush();
        moler::logging::stop();
    });
    let seen = seen.0.lock().unwrap().clone();
    let io: Vec<&String> = seen.iter().filter(|s| s.starts_with("INFO moler::io")).collect();
    assert_eq!(io.len(), 2, "sent and received, as events: {seen:#?}");
    assert_eq!(seen.iter().filter(|s| s.starts_with("TRACE moler::raw")).count(), 2, "{seen:#?}");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let (device, debug, raw) =
        (read("moler.T.log"), read("moler.debug.log"), read("moler.T.raw.log"));
    assert_eq!(device.matches(" >|typed here").count(), 1, "{device}");
    assert_eq!(device.matches(" <|typed here").count(), 1, "{device}");
    assert_eq!(device.matches("|answered there").count(), 1, "{device}");
    assert_eq!(debug.matches("moler::io").count(), 2, "{debug}");
    assert_eq!(debug.matches("answered there").count(), 1, "{debug}");
    assert_eq!(raw, "typed here\ntyped here\nanswered there\n", "both ways, as they went");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Events a program (or a transport of its own, without a transcript) writes at moler's
/// targets land where moler's own would: `moler::io` in the device's log as traffic, its
/// bytes at `moler::raw` in the device's raw log as they are; a `moler` record at DEBUG only
/// in the debug log, and another target's record only there too, never in `moler.log`.
#[test]
fn a_programs_events_at_molers_targets_land_in_molers_files() {
    let (_one, dir) = logs_for("targets");
    let logger = moler::config::Logger {
        path: Some(dir.clone()),
        debug_level: Some("DEBUG".into()),
        raw_log: true,
        ..Default::default()
    };
    with_molers_layer(&logger, |_| {
        use moler::logging::{IO, MAIN, RAW};
        tracing::info!(target: IO, device = "P", dir = ">", data = "typed by the program");
        tracing::info!(target: IO, device = "P", dir = "<", data = "its answer");
        tracing::trace!(target: RAW, device = "P", dir = "<", bytes = &b"\x01its answer\xff\r\n"[..]);
        tracing::debug!(target: MAIN, device = "P", "a detail of moler's");
        tracing::info!(target: "myapp", "the program's own record");
        // moler's crates' own modules are moler's too.
        tracing::info!(target: "moler::device::x", "from a module of moler's");
        tracing::info!(target: "moler_core::x", "from another crate of moler's");
    });
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_default();
    let text = |name: &str| String::from_utf8(read(name)).unwrap();
    let (main, device, debug) = (text("moler.log"), text("moler.P.log"), text("moler.debug.log"));
    assert!(device.contains(" >|typed by the program"), "{device}");
    assert!(device.contains(" <|its answer"), "{device}");
    assert_eq!(read("moler.P.raw.log"), b"\x01its answer\xff\r\n", "the bytes as they came");
    for record in ["typed by the program", "a detail of moler's", "the program's own record"] {
        assert!(debug.contains(record), "{record:?} in the debug log: {debug}");
        assert!(!main.contains(record), "{record:?} is no record of moler.log: {main}");
    }
    assert!(!device.contains("a detail of moler's"), "DEBUG is not the device log's: {device}");
    for record in ["from a module of moler's", "from another crate of moler's"] {
        assert!(main.contains(record), "{record:?} in moler.log: {main}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `DEBUG_LEVEL` keeps the records at or above it in the debug log, as Python's logging does
/// with a handler's level; turning the debug log on while it is on says nothing, turning it
/// off says so once.
#[test]
fn the_debug_log_keeps_what_is_at_or_above_its_level() {
    let (_one, dir) = logs_for("levels");
    let levels = ["ERROR", "WARNING", "INFO", "DEBUG", "TRACE"];
    for (at, level) in levels.iter().enumerate() {
        let sub = dir.join(level);
        let logger = moler::config::Logger {
            path: Some(sub.clone()),
            debug_level: Some((*level).into()),
            ..Default::default()
        };
        with_molers_layer(&logger, |logs| {
            tracing::error!(target: "myapp", "record at ERROR");
            tracing::warn!(target: "myapp", "record at WARNING");
            tracing::info!(target: "myapp", "record at INFO");
            tracing::debug!(target: "myapp", "record at DEBUG");
            tracing::trace!(target: "myapp", "record at TRACE");
            logs.set_debug_log(true);
            logs.set_debug_log(false);
            logs.set_debug_log(false);
        });
        let read = |name: &str| std::fs::read_to_string(sub.join(name)).unwrap_or_default();
        let debug = read("moler.debug.log");
        for (i, record) in levels.iter().enumerate() {
            let line = format!("record at {record}");
            assert_eq!(debug.contains(&line), i <= at, "DEBUG_LEVEL {level}, {line:?}: {debug}");
        }
        let main = read("moler.log");
        assert_eq!(main.matches("Debug log is disabled").count(), 1, "{level}: {main}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without `RAW_LOG`, a connection's traffic goes to its device log and no raw log is made.
#[test]
fn no_raw_log_without_raw_log() {
    let (_one, dir) = logs_for("no-raw");
    let logger = moler::config::Logger { path: Some(dir.clone()), ..Default::default() };
    with_molers_layer(&logger, |_| {
        let mut conn =
            moler_core::Connection::new("N").with_transcript(moler::logging::transcript("N"));
        conn.handle_input(b"an answer\n", std::time::Instant::now());
    });
    let device = std::fs::read_to_string(dir.join("moler.N.log")).unwrap_or_default();
    assert!(device.contains("|an answer"), "{device}");
    assert!(!std::fs::exists(dir.join("moler.N.raw.log")).unwrap(), "RAW_LOG is off");
    let _ = std::fs::remove_dir_all(&dir);
}
