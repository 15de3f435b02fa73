//! Reads of a plain descriptor on the async runners: a wait for the device's answer starts with
//! no read that finds nothing, and none follows an answer read whole. Each read is counted on a
//! real TCP socket. A file of its own: the runtimes' threads would otherwise compete with the
//! thread runner's timing tests in tests/assist.rs.
#![cfg(any(feature = "tokio", feature = "smol"))]

mod support;

use std::sync::atomic::Ordering;

use support::counted_run_on;

/// Over 64 commands to a device 2 ms slow: no read that finds nothing before waiting for the
/// answer (after the first four, but one in eight that checks the device is still slow: 12
/// here), none after the answer was read whole.
fn waits_for_a_slow_device_without_a_read_first(runner: moler_runners::Runner) {
    let commands = 64;
    let [repeated, after_short, after_write, _] = counted_run_on(runner, "slow", commands);
    let after_write = after_write.load(Ordering::Relaxed);
    assert!(
        after_write <= 4 + commands / 4,
        "{after_write} first reads after a command found nothing, over {commands} commands"
    );
    let after_short = after_short.load(Ordering::Relaxed);
    assert!(
        after_short < commands / 4,
        "{after_short} reads found nothing right after a short read, over {commands} commands"
    );
    let repeated = repeated.load(Ordering::Relaxed);
    assert!(
        repeated < commands / 4,
        "{repeated} reads found nothing right after one that did not either, over {commands} commands"
    );
}

/// On tokio, a read that returned less than asked clears the readiness it was made under (as
/// tokio's own streams do), so the next wait for the device needs no read first. Before, the
/// readiness the last answer left made every wait start with a read that found nothing: 51
/// of 64 first reads after a command; the scale bench's 10,000 connections made 2.5 reads per
/// command, now 1.3.
#[cfg(feature = "tokio")]
#[test]
fn tokio_waits_for_a_slow_device_without_a_read_first() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let rt = rt.unwrap();
    waits_for_a_slow_device_without_a_read_first(
        moler_runners::TokioRunner::with_handle(rt.handle().clone()).into(),
    );
}

/// On smol, async-io reports a descriptor's event once, to the first readiness poll after it:
/// the event that allowed a read is taken after it (`SmolRegistration::take_event`), and a wait
/// polls readiness twice, for an event left by a wake-up that was not seen. Without either,
/// that old event made the descriptor look ready, and 59 of 64 waits began with a read that
/// found nothing. (Either alone suffices: mutation testing leaves `take_event` alive.)
#[cfg(feature = "smol")]
#[test]
fn smol_waits_for_a_slow_device_without_a_read_first() {
    waits_for_a_slow_device_without_a_read_first(moler_runners::SmolRunner::new().into());
}
