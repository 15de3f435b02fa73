//! Device logs are written in the background (`moler::logging::FLUSH_INTERVAL`), yet a process
//! that ends normally loses none of its records: returning from `main` and
//! `std::process::exit` both write out what waits, while the thread that wrote them still runs
//! (as a runner's thread does). And records reach the file on the timer without anyone
//! flushing.
//!
//! Its own `main` (harness = false): the test runs this binary again as a child that writes
//! and ends, then reads what the child left. It answers `--list` as libtest does, so
//! `cargo nextest run` (which lists every test binary first) and `cargo test -- --list` see
//! it as the one test `log_exit`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHILD: &str = "MOLER_LOG_EXIT_CHILD";
const RECORDS: usize = 1000;

fn logger(dir: &Path) -> moler::config::Logger {
    moler::config::Logger { path: Some(dir.to_owned()), ..Default::default() }
}

/// Writes `RECORDS` lines through a device's transcript, as a connection's thread does.
fn write_records(device: &str) {
    let mut transcript = moler::logging::transcript(device);
    for i in 0..RECORDS {
        transcript.sent(&format!("echo record-{i}\n"));
    }
}

/// Writes the records on a thread that stays alive (its end would write them out), and
/// returns when they are written.
fn write_on_a_lasting_thread(device: &'static str) {
    let (done, written) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        write_records(device);
        done.send(()).expect("the caller waits");
        loop {
            std::thread::park();
        }
    });
    written.recv().expect("the writer says when it wrote");
}

/// The child: logs on, a thread writes records and stays alive, then the process ends as
/// `how` says, without stopping the logs.
fn child(dir: PathBuf, how: &str) {
    moler::logging::configure(&logger(&dir)).expect("logs");
    write_on_a_lasting_thread("CHILD");
    if how == "exit" {
        std::process::exit(0);
    }
}

/// Waits (30 s at most) until every record of `device` is in its log in `dir`, written there
/// by the logs' flusher (nobody flushes).
fn flushed_by_the_flusher(dir: &Path, device: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while records_in(dir, device) < RECORDS {
        assert!(Instant::now() < deadline, "the flusher wrote {}", records_in(dir, device));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// This process's threads named as the logs' flusher is.
fn flushers() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "moler-log-flush")
        .count()
}

fn records_in(dir: &Path, device: &str) -> usize {
    let log = std::fs::read_to_string(dir.join(format!("moler.{device}.log"))).unwrap_or_default();
    (0..RECORDS).filter(|i| log.contains(&format!(" >|echo record-{i}\n"))).count()
}

fn main() {
    if !moler_testkit::harness::own_test("log_exit") {
        return;
    }
    if let Ok(spec) = std::env::var(CHILD) {
        let (how, dir) = spec.split_once(':').expect("how:dir");
        return child(PathBuf::from(dir), how);
    }
    let base = std::env::temp_dir().join(format!("moler-log-exit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    for how in ["return", "exit"] {
        let dir = base.join(how);
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD, format!("{how}:{}", dir.display()))
            .status()
            .expect("run the child");
        assert!(status.success(), "{how}: the child failed: {status}");
        assert_eq!(records_in(&dir, "CHILD"), RECORDS, "{how}: every record is in the log");
        println!("log_exit: a child ending by {how} left all {RECORDS} records");
    }

    // The timer: written by another thread, nobody flushes, the records arrive.
    let dir = base.join("timer");
    let logs = moler::logging::configure(&logger(&dir)).expect("logs");
    write_on_a_lasting_thread("TIMER");
    flushed_by_the_flusher(&dir, "TIMER");
    println!("log_exit: the flusher wrote all {RECORDS} records without being asked");
    drop(logs);
    moler::logging::stop();

    // Logs set up, written and stopped again and again leave no flusher thread behind: each
    // ends with its logs, also one waiting for the next record (it wrote what there was).
    for i in 0..5 {
        let dir = base.join(format!("again-{i}"));
        let logs = moler::logging::configure(&logger(&dir)).unwrap();
        write_records("AGAIN");
        flushed_by_the_flusher(&dir, "AGAIN");
        drop(logs);
        moler::logging::stop();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while flushers() > 0 {
        assert!(Instant::now() < deadline, "{} flusher threads outlived their logs", flushers());
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("log_exit: logs set up and stopped 5 times left no flusher thread");
    std::fs::remove_dir_all(&base).unwrap();
}
