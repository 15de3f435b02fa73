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
    let greeting = Greeting {
        marker: "proc ready".into(),
        prompt: "proc> ".into(),
        timeout: Duration::from_secs(10),
    };
    let options = ProcessOptions {
        stderr,
        greeting: Some(greeting),
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

#[test]
fn a_missing_program_is_named() {
    let err = process::spawn(&ProcessOptions::new("/no/such/program", ["x"])).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("/no/such/program"), "{err}");
}
