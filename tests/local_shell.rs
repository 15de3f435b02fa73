//! End to end against a real bash in a real pseudo-terminal: every scenario runs on every
//! runner (thread, tokio, smol) from one definition. Waits here are blocking calls from the
//! test's own thread, which works on every runner; `tests/async_runners.rs` awaits.

use std::time::{Duration, Instant};

use moler::prelude::*;

mod common;
use common::Rig;
use moler_testkit::on_every_runner;

/// Generous: these tests are about behaviour, not speed, and CI machines are busy.
const WAIT: Duration = Duration::from_secs(20);

fn cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, LOCAL_PROMPT)
}

on_every_runner!(
    sequential_commands_each_get_their_own_output,
    commands_started_together_run_one_after_another,
    a_background_event_catches_lines_while_commands_run,
    many_observers_at_once_from_many_threads,
    a_timeout_interrupts_the_command_and_leaves_the_shell_usable,
    a_wait_that_gives_up_times_the_command_out,
    cancel_interrupts_and_the_next_command_works,
    output_matching_a_failure_pattern_fails_the_command_with_that_line,
    closing_fails_a_running_command_at_once,
    dropping_the_last_handle_fails_what_runs,
    invalid_utf8_output_becomes_replacement_characters,
    a_long_command_echo_that_wraps_is_recognised,
    commands_without_output_finish_with_ret_required_off,
    events_keep_catching_output_between_blocking_runs,
    another_threads_short_deadline_fires_while_a_run_waits,
);

fn sequential_commands_each_get_their_own_output(rig: &Rig) {
    let shell = rig.shell();
    for i in 0..30 {
        let out = shell.run(cmd(&format!("echo line_{i}")), WAIT).unwrap();
        assert_eq!(out, [format!("line_{i}")]);
    }
    let out = shell.run(cmd("printf 'a\\nb\\n\\nc\\n'"), WAIT).unwrap();
    assert_eq!(out, ["a", "b", "", "c"]);
}

fn commands_started_together_run_one_after_another(rig: &Rig) {
    let shell = rig.shell();
    let handles: Vec<_> = (0..10).map(|i| shell.start(cmd(&format!("echo q{i}")))).collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.wait(WAIT).unwrap(), [format!("q{i}")]);
    }
}

fn a_background_event_catches_lines_while_commands_run(rig: &Rig) {
    let shell = rig.shell();
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
    assert_eq!(live.blocking_iter().count(), 3, "the iterator saw the same occurrences and ended");
    assert!(!other.is_done());
    other.cancel();
    assert!(matches!(other.wait(WAIT), Err(Error::Cancelled { .. })));
}

/// Four threads start events and commands on one shell at the same time; every observer gets
/// exactly what is its own.
fn many_observers_at_once_from_many_threads(rig: &Rig) {
    let shell = rig.shell();
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let shell = shell.clone();
            std::thread::spawn(move || {
                let event =
                    shell.start(Wait4::new([format!("^W{w} done$")]).unwrap().till_occurs_times(1));
                let outs: Vec<_> =
                    (0..5).map(|i| shell.start(cmd(&format!("echo W{w} n{i}")))).collect();
                for (i, out) in outs.into_iter().enumerate() {
                    assert_eq!(out.wait(WAIT).unwrap(), [format!("W{w} n{i}")]);
                }
                shell.run(cmd(&format!("echo W{w} done")), WAIT).unwrap();
                assert_eq!(event.wait(WAIT).unwrap()[0].line, format!("W{w} done"));
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}

fn a_timeout_interrupts_the_command_and_leaves_the_shell_usable(rig: &Rig) {
    let shell = rig.shell();
    shell.run(cmd("echo ready"), WAIT).unwrap(); // the timing below starts at a live prompt
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

fn a_wait_that_gives_up_times_the_command_out(rig: &Rig) {
    let shell = rig.shell();
    shell.run(cmd("echo ready"), WAIT).unwrap();
    let err = shell.run(cmd("sleep 5"), Duration::from_millis(300)).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(shell.run(cmd("echo next"), WAIT).unwrap(), ["next"]);
}

fn cancel_interrupts_and_the_next_command_works(rig: &Rig) {
    let shell = rig.shell();
    let sleeping = shell.start(cmd("sleep 5"));
    std::thread::sleep(Duration::from_millis(200));
    sleeping.cancel();
    assert!(matches!(sleeping.wait(WAIT), Err(Error::Cancelled { .. })));
    assert_eq!(shell.run(cmd("echo alive"), WAIT).unwrap(), ["alive"]);
}

fn output_matching_a_failure_pattern_fails_the_command_with_that_line(rig: &Rig) {
    let shell = rig.shell();
    let err = shell.run(cmd("ls /definitely/not/here"), WAIT).unwrap_err();
    match &err {
        Error::CommandFailure { line, .. } => assert!(line.contains("No such file"), "{err}"),
        other => panic!("expected a command failure, got {other}"),
    }
    let err = shell.run(cmd("echo custom BOOM happened").failure("BOOM"), WAIT).unwrap_err();
    assert!(err.to_string().contains("custom BOOM happened"), "{err}");
    assert_eq!(shell.run(cmd("echo fine"), WAIT).unwrap(), ["fine"], "shell still usable");
}

fn closing_fails_a_running_command_at_once(rig: &Rig) {
    let shell = rig.shell();
    shell.run(cmd("echo ready"), WAIT).unwrap();
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

fn dropping_the_last_handle_fails_what_runs(rig: &Rig) {
    let shell = rig.shell();
    let running = shell.start(cmd("sleep 10"));
    let event = shell.start(Wait4::new(["^never$"]).unwrap());
    let second = shell.clone();
    drop(shell);
    assert!(!second.is_closed(), "a clone keeps the connection open");
    drop(second);
    let err = running.wait(WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
    assert!(event.wait(WAIT).unwrap_err().is_closed());
}

fn invalid_utf8_output_becomes_replacement_characters(rig: &Rig) {
    let shell = rig.shell();
    let out = shell.run(cmd(r"printf 'a\xff\xfeb\n'"), WAIT).unwrap();
    assert_eq!(out, ["a\u{fffd}\u{fffd}b"]);
    assert_eq!(shell.run(cmd("echo 'ünïcødé €'"), WAIT).unwrap(), ["ünïcødé €"]);
}

fn a_long_command_echo_that_wraps_is_recognised(rig: &Rig) {
    let shell = rig.shell();
    let word = "x".repeat(700);
    let out = shell.run(cmd(&format!("echo {word}")), WAIT).unwrap();
    assert_eq!(out, [word]);
}

fn commands_without_output_finish_with_ret_required_off(rig: &Rig) {
    let shell = rig.shell();
    let dir = std::env::temp_dir();
    let out = shell.run(cmd(&format!("cd {}", dir.display())).ret_required(false), WAIT).unwrap();
    assert!(out.is_empty());
    assert_eq!(shell.run(cmd("pwd"), WAIT).unwrap(), [dir.display().to_string()]);
}

/// A blocking `run` on the thread runner drives the connection itself; once it returns, the
/// connection's own thread must watch the transport again for the events still running.
fn events_keep_catching_output_between_blocking_runs(rig: &Rig) {
    let shell = rig.shell();
    let kind = rig.runner.kind();
    let dir = std::env::temp_dir().join(format!("moler-late-{}-{kind}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Not anchored at the start: the line follows the prompt bash already printed.
    let late = shell.start(Wait4::new(["LATE ([0-9])$"]).unwrap().till_occurs_times(3));
    for i in 0..3 {
        // Returns at once; the line comes once the test says so (a file), after `run` has
        // returned: never glued to the prompt `run` ends on (on a busy machine a job printing
        // after a fixed delay could beat a late prompt, and `moler_bash# LATE 2` is no prompt
        // line).
        let (go, printed) = (dir.join(format!("go{i}")), dir.join(format!("printed{i}")));
        let job =
            format!("({}) &", common::once_file_exists(&go, &format!("echo LATE {i}"), &printed));
        shell.run(cmd(&job), WAIT).unwrap();
        std::fs::write(&go, "").unwrap();
        // The line is printed while nobody waits on the connection: this thread watches the
        // file system, not the shell (setup, not a hot path).
        common::eventually(&format!("job {i} printing its line"), || printed.exists());
        std::thread::sleep(Duration::from_millis(100));
    }
    // Parked, not driving the connection (a blocking `wait` on the thread runner may drive it
    // itself and so hide the bug): only the connection's own thread can see the lines now.
    let caught = moler::wait_for_all(&[&late], WAIT).unwrap();
    assert!(caught, "the event missed a line printed while no thread waited");
    let seen: Vec<_> =
        late.wait(WAIT).unwrap().iter().map(|o| o.groups[0].clone().unwrap()).collect();
    assert_eq!(seen, ["0", "1", "2"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// While one thread waits in `run` (driving the connection), another starts an event with a
/// short timeout: it must time out at its own deadline, not at the end of the long command.
fn another_threads_short_deadline_fires_while_a_run_waits(rig: &Rig) {
    let shell = rig.shell();
    shell.run(cmd("echo warm"), WAIT).unwrap();
    std::thread::scope(|s| {
        let long = s.spawn(|| shell.run(cmd("sleep 1.5; echo slept"), WAIT));
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let never = shell
            .start(Wait4::new(["^never printed$"]).unwrap().timeout(Duration::from_millis(300)));
        let err = never.wait(WAIT).unwrap_err();
        let took = started.elapsed();
        assert!(err.is_timeout(), "{err}");
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_millis(800),
            "the event timed out after {took:?}, its timeout is 300 ms"
        );
        assert_eq!(long.join().unwrap().unwrap(), ["slept"]);
    });
}
