//! `moler::testing::BackgroundFailures` (Moler's `raise_background_exceptions`) in plain and
//! tokio tests, against a real bash.

use std::time::Duration;

use moler::prelude::*;
use moler::testing::BackgroundFailures;

mod common;

const T: Duration = Duration::from_secs(30);

/// Starts `ls` of a missing file in the background and lets it fail, unread.
fn fail_in_background(shell: &ConnectionHandle) -> Completion<Vec<String>> {
    let failing = shell.start(Command::lines("ls /nonexistent/moler", LOCAL_PROMPT));
    shell.run(Command::lines("echo after", LOCAL_PROMPT), T).expect("the shell works on");
    assert!(failing.is_done(), "commands run in order: it failed before `echo` ran");
    failing
}

#[test]
#[should_panic(expected = "1 observer(s) failed in the background and nobody read the result:\n  \
                           command 'ls /nonexistent/moler'")]
fn an_unread_failure_fails_the_test_at_its_end() {
    let _failures = BackgroundFailures::new();
    let shell = moler::local_shell().unwrap();
    let _handle = fail_in_background(&shell);
}

#[test]
fn a_failure_that_was_read_does_not() {
    let failures = BackgroundFailures::new();
    let shell = moler::local_shell().unwrap();
    let handle = fail_in_background(&shell);
    assert_eq!(failures.unread().len(), 1);
    let err = handle.wait(T).unwrap_err();
    assert!(err.to_string().contains("No such file or directory"), "{err}");
    assert!(failures.unread().is_empty());
}

#[test]
fn check_reports_midway_and_forgets() {
    let failures = BackgroundFailures::new();
    let shell = moler::local_shell().unwrap();
    drop(fail_in_background(&shell));
    let report = failures.check().unwrap_err();
    assert!(report.contains("No such file or directory"), "{report}");
    assert!(failures.check().is_ok());
}

#[test]
fn cancels_and_clean_closes_do_not_count() {
    let failures = BackgroundFailures::new();
    let shell = moler::local_shell().unwrap();
    let sleeping = shell.start(Command::lines("sleep 30", LOCAL_PROMPT));
    sleeping.cancel();
    let event = shell.start(Wait4::new(["never shows"]).unwrap());
    shell.run(Command::lines("echo ok", LOCAL_PROMPT), T).unwrap();
    shell.close();
    common::eventually("the close reaches the event", || event.is_done());
    assert!(sleeping.is_done());
    assert!(failures.unread().is_empty(), "{:?}", failures.unread());
}

#[cfg(feature = "tokio")]
#[tokio::test]
#[should_panic(expected = "nobody read the result")]
async fn in_a_tokio_test_too() {
    let _failures = BackgroundFailures::new();
    let shell = moler::local_shell().unwrap();
    let failing = shell.start(Command::lines("ls /nonexistent/moler", LOCAL_PROMPT));
    shell.start(Command::lines("echo after", LOCAL_PROMPT)).await.unwrap();
    assert!(failing.is_done());
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn in_a_tokio_test_an_awaited_failure_is_read() {
    let _failures = BackgroundFailures::new();
    let shell = moler::local_shell().unwrap();
    let failing = shell.start(Command::lines("ls /nonexistent/moler", LOCAL_PROMPT));
    assert!(failing.await.is_err());
}
