//! `moler::testing::MolerTest` (Moler's `MolerTest`): messages to `moler.log` with the caller's
//! place, errors and missing `steps_end` failing the test at its end, in plain and tokio tests.

use moler::testing::MolerTest;

#[test]
fn errors_fail_the_test_at_its_end_with_their_place_and_the_log_has_them() {
    let dir = std::env::temp_dir().join(format!("moler-test-helpers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config =
        moler::Config::from_yaml(&format!("LOGGER: {{PATH: '{}'}}\n", dir.display())).unwrap();
    moler::logging::configure(&config.logger).unwrap();

    let test = MolerTest::start();
    test.info("step one");
    test.warning("the link is slow");
    test.error_dump("link down", &["eth0"]);
    test.steps_end();
    let report = test.check().unwrap_err();
    assert!(
        report.starts_with(
            "1 error(s) reported during the test: link down: [\"eth0\"] (tests/moler_test.rs:"
        ),
        "{report}"
    );
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(test)));
    assert!(dropped.is_err(), "its drop fails the test");
    // The debug log on and off (no DEBUG_LEVEL configured: off, then on at DEBUG).
    tracing::debug!("debug one");
    MolerTest::enable_debug_log();
    tracing::debug!("debug two");
    MolerTest::disable_debug_log();
    tracing::debug!("debug three");
    moler::logging::stop();
    let debug = std::fs::read_to_string(dir.join("moler.debug.log")).unwrap();
    assert!(debug.contains("debug two"), "{debug}");
    assert!(!debug.contains("debug one") && !debug.contains("debug three"), "{debug}");
    let log = std::fs::read_to_string(dir.join("moler.log")).unwrap();
    for want in [
        "step one (tests/moler_test.rs:",
        "the link is slow (tests/moler_test.rs:",
        "link down: [\"eth0\"]",
        "Debug log is disabled",
    ] {
        assert!(log.contains(want), "{want:?} not in moler.log:\n{log}");
    }
    assert!(log.contains("WARNING") && log.contains("ERROR"), "{log}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_test_that_stops_half_way_fails() {
    let test = MolerTest::start();
    let report = test.check().unwrap_err();
    assert_eq!(report, "the test did not reach its end: steps_end() was not called");
    test.steps_end();
    assert_eq!(test.check(), Ok(()));
}

#[test]
fn run_wraps_a_body_and_background_failures_count() {
    use moler::prelude::*;
    let result = std::panic::catch_unwind(|| {
        MolerTest::run(|test| {
            let shell = moler::local_shell().unwrap();
            let _ls = shell.start(Command::lines("ls /nonexistent", LOCAL_PROMPT));
            shell
                .run(Command::lines("echo done", LOCAL_PROMPT), std::time::Duration::from_secs(30))
                .unwrap();
            test.steps_end();
        })
    });
    let message = *result.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("failed in the background and nobody read the result"), "{message}");
}

#[tokio::test]
async fn it_works_in_tokio_tests() {
    let test = MolerTest::start();
    test.info("inside tokio");
    test.steps_end();
    assert_eq!(test.check(), Ok(()));
}
