//! The process transport on every runner: a child over pipes answering commands, stderr merged,
//! its exit closing the connection, a missing program named in the error.

use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_io::process::{self, ProcessOptions, Stderr};
use moler_io::Greeting;

mod common;
use common::Rig;
use moler_testkit::on_every_runner;

const WAIT: Duration = Duration::from_secs(20);

/// A line-oriented "device": a prompt, an answer per line, stderr for errors, `exit` to quit.
const SCRIPT: &str = r#"echo 'proc ready'
printf 'proc> '
while IFS= read -r l; do
  case "$l" in
    exit) exit 3 ;;
    pid) echo "$$" ;;
    err*) echo "error: $l" >&2 ;;
    *) echo "got $l" ;;
  esac
  printf 'proc> '
done"#;

fn cmd(line: &str) -> Command<moler::Lines> {
    // Pipes do not echo: the output starts right away.
    Command::lines(line, "^proc> $").expect_echo(false)
}

fn child(rig: &Rig, stderr: Stderr) -> ConnectionHandle {
    child_running(rig, SCRIPT, stderr)
}

/// A connection to `sh -c script`, which greets as [`SCRIPT`] does.
fn child_running(rig: &Rig, script: &str, stderr: Stderr) -> ConnectionHandle {
    child_with_grace(rig, script, stderr, process::TERM_GRACE)
}

/// [`child_running`] with `grace` between SIGTERM and SIGKILL.
fn child_with_grace(
    rig: &Rig,
    script: &str,
    stderr: Stderr,
    term_grace: Duration,
) -> ConnectionHandle {
    let greeting = Greeting {
        marker: "proc ready".into(),
        prompt: "proc> ".into(),
        timeout: Duration::from_secs(10),
    };
    let options = ProcessOptions {
        stderr,
        greeting: Some(greeting),
        term_grace,
        ..ProcessOptions::new("sh", ["-c", script])
    };
    rig.runner.spawn("proc", process::spawn(&options).unwrap()).unwrap()
}

/// Waits until process `pid` is gone (neither running nor a zombie), failing after [`WAIT`].
fn wait_gone(pid: &str, what: &str) {
    let alive = std::path::PathBuf::from(format!("/proc/{pid}"));
    let deadline = Instant::now() + WAIT;
    while alive.exists() {
        assert!(Instant::now() < deadline, "child {pid} {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

on_every_runner!(
    a_child_answers_commands_over_pipes,
    stderr_is_merged_by_default_and_can_be_dropped,
    the_child_exiting_closes_the_connection,
    closing_the_connection_ends_the_child,
    closing_the_connection_ends_a_child_deaf_to_sigterm,
    closing_the_connection_lets_the_child_clean_up,
    a_child_in_its_grace_holds_up_no_other_connection,
);

fn a_child_answers_commands_over_pipes(rig: &Rig) {
    let proc = child(rig, Stderr::Merge);
    for i in 0..20 {
        assert_eq!(proc.run(cmd(&format!("n{i}")), WAIT).unwrap(), [format!("got n{i}")]);
    }
}

fn stderr_is_merged_by_default_and_can_be_dropped(rig: &Rig) {
    let proc = child(rig, Stderr::Merge);
    assert_eq!(proc.run(cmd("err1"), WAIT).unwrap(), ["error: err1"]);
    let quiet = child(rig, Stderr::Null);
    let out = quiet.run(cmd("err2").ret_required(false), WAIT).unwrap();
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(quiet.run(cmd("after"), WAIT).unwrap(), ["got after"]);
}

fn the_child_exiting_closes_the_connection(rig: &Rig) {
    let proc = child(rig, Stderr::Merge);
    proc.run(cmd("up"), WAIT).unwrap();
    let started = Instant::now();
    let err = proc.run(cmd("exit"), WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
    assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
    assert!(proc.is_closed());
}

fn closing_the_connection_ends_the_child(rig: &Rig) {
    let proc = child(rig, Stderr::Merge);
    let pid = proc.run(cmd("pid"), WAIT).unwrap().remove(0);
    let alive = std::path::PathBuf::from(format!("/proc/{pid}"));
    assert!(alive.exists());
    proc.close();
    assert!(proc.run(cmd("late"), WAIT).unwrap_err().is_closed());
    // SIGTERM, then reaped when the transport is dropped: no process, no zombie.
    wait_gone(&pid, "still there after the close");
}

/// A child deaf to SIGTERM and to the end of its input is killed all the same, and reaped.
fn closing_the_connection_ends_a_child_deaf_to_sigterm(rig: &Rig) {
    let deaf = "trap '' TERM; echo 'proc ready'; printf 'proc> '; read -r l; echo $$; \
                printf 'proc> '; exec sleep 1000";
    let proc = child_running(rig, deaf, Stderr::Merge);
    let pid = proc.run(cmd("pid"), WAIT).unwrap().remove(0);
    proc.close();
    wait_gone(&pid, "deaf to SIGTERM, still there");
}

/// SIGTERM comes first, and the child has time to act on it: its trap runs (before, the
/// transport's drop killed it microseconds after the SIGTERM).
fn closing_the_connection_lets_the_child_clean_up(rig: &Rig) {
    let dir = moler_testkit::TempDir::new("trap");
    let file = dir.join("cleaned");
    // Not reading its input: only the signal ends it (`sleep` ends in 50 ms, then the trap).
    let polite = format!(
        "trap 'echo cleaned > {}; exit 0' TERM; echo 'proc ready'; printf 'proc> '; read -r l; \
         echo $$; printf 'proc> '; while :; do sleep 0.05; done",
        file.display()
    );
    let proc = child_running(rig, &polite, Stderr::Merge);
    let pid = proc.run(cmd("pid"), WAIT).unwrap().remove(0);
    proc.close();
    wait_gone(&pid, "still there after the close");
    let cleaned = std::fs::read_to_string(&file);
    assert_eq!(cleaned.unwrap_or_default(), "cleaned\n", "the SIGTERM trap did not run");
}

/// The wait for a child that does not end on SIGTERM runs on a thread of its own: another
/// connection of the runner is answered meanwhile (on smol's one-thread executor a wait in the
/// transport's drop held up every connection for the grace).
fn a_child_in_its_grace_holds_up_no_other_connection(rig: &Rig) {
    let other = child(rig, Stderr::Merge);
    let deaf = "trap '' TERM; echo 'proc ready'; printf 'proc> '; read -r l; echo $$; \
                printf 'proc> '; exec sleep 1000";
    let grace = Duration::from_secs(600);
    let proc = child_with_grace(rig, deaf, Stderr::Merge, grace);
    let pid = proc.run(cmd("pid"), WAIT).unwrap().remove(0);
    proc.close();
    assert!(proc.run(cmd("late"), WAIT).unwrap_err().is_closed());
    for i in 0..3 {
        assert_eq!(other.run(cmd(&format!("n{i}")), WAIT).unwrap(), [format!("got n{i}")]);
    }
    let state = moler_testkit::process_state(&pid);
    assert!(
        matches!(state, Some(s) if s != 'Z' && s != 'X'),
        "the deaf child, in its grace, runs: {state:?}"
    );
    // Its end, now: the thread that waits for it reaps it (no zombie is left).
    std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    wait_gone(&pid, "killed, but not reaped");
}

#[test]
fn a_missing_program_is_named() {
    let err = process::spawn(&ProcessOptions::new("/no/such/program", ["x"])).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("/no/such/program"), "{err}");
}
