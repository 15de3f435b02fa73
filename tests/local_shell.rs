//! End to end against a real bash in a real pseudo-terminal, driven by the thread runner.

use std::time::{Duration, Instant};

use moler::prelude::*;

/// Generous: these tests are about behaviour, not speed, and CI machines are busy.
const WAIT: Duration = Duration::from_secs(20);

fn cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, LOCAL_PROMPT)
}

#[test]
fn sequential_commands_each_get_their_own_output() {
    let shell = local_shell().unwrap();
    for i in 0..30 {
        let out = shell.run(cmd(&format!("echo line_{i}")), WAIT).unwrap();
        assert_eq!(out, [format!("line_{i}")]);
    }
    let out = shell.run(cmd("printf 'a\\nb\\n\\nc\\n'"), WAIT).unwrap();
    assert_eq!(out, ["a", "b", "", "c"]);
}

#[test]
fn commands_started_together_run_one_after_another() {
    let shell = local_shell().unwrap();
    let handles: Vec<_> = (0..10).map(|i| shell.start(cmd(&format!("echo q{i}")))).collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.wait(WAIT).unwrap(), [format!("q{i}")]);
    }
}

#[test]
fn a_background_event_catches_lines_while_commands_run() {
    let shell = local_shell().unwrap();
    let mut event = Wait4::new([r"^MARK (?P<n>\d+)$"]).unwrap().till_occurs_times(3);
    let live = event.occurrences();
    let marks = shell.start(event);
    let other = shell.start(Wait4::new(["^never printed$"]).unwrap());
    for i in 1..=3 {
        shell.run(cmd(&format!("echo MARK {i}; echo noise")), WAIT).unwrap();
    }
    let found = marks.wait(WAIT).unwrap();
    let numbers: Vec<_> = found.iter().map(|o| o.named_groups["n"].clone().unwrap()).collect();
    assert_eq!(numbers, ["1", "2", "3"], "the echoed command lines do not match ^MARK");
    assert_eq!(live.count(), 3, "the iterator saw the same occurrences and ended");
    assert!(!other.is_done());
    other.cancel();
    assert!(matches!(other.wait(WAIT), Err(Error::Cancelled { .. })));
}

#[test]
fn a_timeout_interrupts_the_command_and_leaves_the_shell_usable() {
    let shell = local_shell().unwrap();
    let started = Instant::now();
    let err = shell.run(cmd("sleep 5").timeout(Duration::from_millis(500)), WAIT).unwrap_err();
    let took = started.elapsed();
    match &err {
        Error::Timeout { observer, timeout, .. } => {
            assert!(observer.contains("sleep 5"), "{err}");
            assert_eq!(*timeout, Duration::from_millis(500));
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(took < Duration::from_secs(4), "Ctrl-C ended it early, took {took:?}");
    assert_eq!(shell.run(cmd("echo after"), WAIT).unwrap(), ["after"]);
}

#[test]
fn a_wait_that_gives_up_times_the_command_out() {
    let shell = local_shell().unwrap();
    let err = shell.run(cmd("sleep 5"), Duration::from_millis(300)).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(shell.run(cmd("echo next"), WAIT).unwrap(), ["next"]);
}

#[test]
fn cancel_interrupts_and_the_next_command_works() {
    let shell = local_shell().unwrap();
    let sleeping = shell.start(cmd("sleep 5"));
    std::thread::sleep(Duration::from_millis(200));
    sleeping.cancel();
    assert!(matches!(sleeping.wait(WAIT), Err(Error::Cancelled { .. })));
    assert_eq!(shell.run(cmd("echo alive"), WAIT).unwrap(), ["alive"]);
}

#[test]
fn output_matching_a_failure_pattern_fails_the_command_with_that_line() {
    let shell = local_shell().unwrap();
    let err = shell.run(cmd("ls /definitely/not/here"), WAIT).unwrap_err();
    match &err {
        Error::CommandFailure { line, .. } => assert!(line.contains("No such file"), "{err}"),
        other => panic!("expected a command failure, got {other}"),
    }
    let err = shell.run(cmd("echo custom BOOM happened").failure("BOOM"), WAIT).unwrap_err();
    assert!(err.to_string().contains("custom BOOM happened"), "{err}");
    assert_eq!(shell.run(cmd("echo fine"), WAIT).unwrap(), ["fine"], "shell still usable");
}

#[test]
fn closing_fails_a_running_command_at_once() {
    let shell = local_shell().unwrap();
    let running = shell.start(cmd("sleep 10"));
    std::thread::sleep(Duration::from_millis(300));
    let closed_at = Instant::now();
    shell.close();
    let err = running.wait(WAIT).unwrap_err();
    let took = closed_at.elapsed();
    assert!(err.is_closed(), "{err}");
    assert!(took < Duration::from_millis(100), "closed-connection error after {took:?}");
    let late = shell.run(cmd("echo late"), WAIT).unwrap_err();
    assert!(late.is_closed(), "{late}");
    assert!(shell.is_closed());
}

#[test]
fn invalid_utf8_output_becomes_replacement_characters() {
    let shell = local_shell().unwrap();
    let out = shell.run(cmd(r"printf 'a\xff\xfeb\n'"), WAIT).unwrap();
    assert_eq!(out, ["a\u{fffd}\u{fffd}b"]);
    assert_eq!(shell.run(cmd("echo 'ünïcødé €'"), WAIT).unwrap(), ["ünïcødé €"]);
}

#[test]
fn a_long_command_echo_that_wraps_is_recognised() {
    let shell = local_shell().unwrap();
    let word = "x".repeat(700);
    let out = shell.run(cmd(&format!("echo {word}")), WAIT).unwrap();
    assert_eq!(out, [word]);
}

#[test]
fn commands_without_output_finish_with_ret_required_off() {
    let shell = local_shell().unwrap();
    let dir = std::env::temp_dir();
    let out = shell.run(cmd(&format!("cd {}", dir.display())).ret_required(false), WAIT).unwrap();
    assert!(out.is_empty());
    assert_eq!(shell.run(cmd("pwd"), WAIT).unwrap(), [dir.display().to_string()]);
}
