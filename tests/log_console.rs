//! What a program's console shows of moler's logs. `LOGGER.CONSOLE_LOGS` prints the records of
//! the loggers it names on standard output as they are written, as Moler's console handlers do:
//! a device's (`moler.<device>`: its events and its traffic) and the main log's (`moler`), and
//! nothing of the loggers it does not name. And a program that installed a `tracing` subscriber
//! of its own without moler's layer is told once, on standard error, why moler's files stay
//! empty; one that included the layer, or had none, is told nothing. A log that cannot be
//! written (a full disk) is said once, whatever number of records fail.
//!
//! Its own `main` (harness = false): the test runs this binary again as a child that logs, and
//! reads what the child printed.

use std::path::{Path, PathBuf};

const CHILD: &str = "MOLER_LOG_CONSOLE_CHILD";

/// The child: logs on with `console` as the console loggers, records of each kind written.
fn console_child(dir: PathBuf, console: &str) {
    let logger = moler::config::Logger {
        path: Some(dir),
        console_logs: console.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
        ..Default::default()
    };
    let logs = moler::logging::configure(&logger).expect("logs");
    let mut con = moler::logging::transcript("CON");
    con.sent("echo typed-to-con\n");
    con.received(b"answer-from-con\r\n", "answer-from-con\r\n");
    let mut other = moler::logging::transcript("OTHER");
    other.sent("echo typed-to-other\n");
    tracing::info!(target: moler::logging::MAIN, device = "CON", "event-of-con");
    tracing::info!(target: moler::logging::MAIN, device = "OTHER", "event-of-other");
    tracing::info!(target: moler::logging::MAIN, "event-of-main");
    drop(logs);
    moler::logging::stop();
}

/// The child: the program's own global subscriber as `own` says (`none`, `without` moler's
/// layer, `with` it), then logs on and one record of moler's written.
fn subscriber_child(dir: PathBuf, own: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    match own {
        "none" => {}
        "without" => tracing::subscriber::set_global_default(tracing_subscriber::registry())
            .expect("the first global subscriber"),
        "with" => tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(moler::logging::layer()),
        )
        .expect("the first global subscriber"),
        other => panic!("no such child: {other}"),
    }
    let logs =
        moler::logging::configure(&moler::config::Logger { path: Some(dir), ..Default::default() })
            .expect("logs");
    tracing::info!(target: moler::logging::MAIN, "a record of moler's");
    drop(logs);
    moler::logging::stop();
}

/// The child: logs on in `dir`, whose `moler.log` is `/dev/full` (every write fails with
/// ENOSPC), and `records` records of moler's written and flushed one by one.
fn full_child(dir: PathBuf, records: &str) {
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.join("moler.log")).unwrap();
    let logs =
        moler::logging::configure(&moler::config::Logger { path: Some(dir), ..Default::default() })
            .expect("logs");
    for i in 0..records.parse::<usize>().unwrap() {
        tracing::info!(target: moler::logging::MAIN, "record {i} for a full disk");
        logs.flush();
    }
    drop(logs);
    moler::logging::stop();
}

/// What a child `kind` (`console`, `subscriber`) given `arg` printed: (stdout, stderr). Its
/// files in `dir`.
fn printed(kind: &str, arg: &str, dir: &Path) -> (String, String) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD, format!("{kind}:{arg}:{}", dir.display()))
        .output()
        .expect("run the child");
    assert!(out.status.success(), "{kind} {arg}: the child failed: {out:?}");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (text(out.stdout), text(out.stderr))
}

fn main() {
    if !moler_testkit::harness::own_test("log_console") {
        return;
    }
    if let Ok(spec) = std::env::var(CHILD) {
        let mut parts = spec.splitn(3, ':');
        let (kind, arg, dir) = (parts.next().unwrap(), parts.next().unwrap(), parts.next());
        let dir = PathBuf::from(dir.expect("kind:arg:dir"));
        return match kind {
            "console" => console_child(dir, arg),
            "full" => full_child(dir, arg),
            _ => subscriber_child(dir, arg),
        };
    }
    let base = std::env::temp_dir().join(format!("moler-log-console-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let every = [
        "typed-to-con",
        "answer-from-con",
        "event-of-con",
        "typed-to-other",
        "event-of-other",
        "event-of-main",
    ];
    // (console loggers, what they print: the rest of `every` must not be printed)
    let cases: [(&str, &[&str]); 4] = [
        ("", &[]),
        ("moler.CON", &["typed-to-con", "answer-from-con", "event-of-con"]),
        // The main log holds every event, a device's or not; no traffic.
        ("moler", &["event-of-con", "event-of-other", "event-of-main"]),
        ("moler.CON,moler.OTHER", &[&every[..5]].concat()),
    ];
    for (i, (console, shown)) in cases.iter().enumerate() {
        let (out, _) = printed("console", console, &base.join(i.to_string()));
        for mark in every {
            let times = out.matches(mark).count();
            let expected = usize::from(shown.contains(&mark));
            assert_eq!(
                times, expected,
                "CONSOLE_LOGS {console:?}: {mark} printed {times} times:\n{out}"
            );
        }
        // Printed as the files have it: the device log's record of the answer.
        if console.contains("moler.CON") {
            let con =
                std::fs::read_to_string(base.join(i.to_string()).join("moler.CON.log")).unwrap();
            let line = con.lines().find(|l| l.contains("answer-from-con")).unwrap();
            assert!(out.lines().any(|l| l == line), "{line:?} in:\n{out}");
        }
        println!("log_console: CONSOLE_LOGS {console:?} printed {} of the records", shown.len());
    }

    let told = "a tracing subscriber is installed already, so moler's log files stay empty \
                unless it includes moler::logging::layer()";
    for (own, warned) in [("none", false), ("without", true), ("with", false)] {
        let dir = base.join(format!("own-{own}"));
        let (_, err) = printed("subscriber", own, &dir);
        assert_eq!(err.matches(told).count(), usize::from(warned), "own subscriber {own}:\n{err}");
        let main = std::fs::read_to_string(dir.join("moler.log")).unwrap_or_default();
        assert_eq!(main.contains("a record of moler's"), !warned, "own subscriber {own}:\n{main}");
        println!("log_console: own subscriber {own}: warned {warned}");
    }

    let (_, err) = printed("full", "3", &base.join("full"));
    let said = format!("moler: cannot write the log {}", base.join("full/moler.log").display());
    assert_eq!(err.matches(&said).count(), 1, "said once:\n{err}");
    assert!(err.contains("No space left on device"), "{err}");
    println!("log_console: a full disk was said once for 3 records");
    std::fs::remove_dir_all(&base).unwrap();
}
