//! The thread runner over the memory transport: requests from many threads, deadlines, close.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_core::{Command, Error, Wait4};
use moler_runners::ThreadRunner;

const WAIT: Duration = Duration::from_secs(20);

/// A request whose wake-up finds the connection locked must still be taken: with a lost
/// wake-up, a cancel would only be noticed when the wait gives up, and the result would be a
/// timeout instead of a cancellation.
#[test]
fn requests_from_many_threads_are_never_lost_while_data_flows() {
    let (io, device) = moler_io::memory::pair("race");
    let conn = ThreadRunner::new().spawn("race", io).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let (device, stop) = (device.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                device.inject("noise line that matches nothing\n".repeat(20));
                std::thread::yield_now();
            }
        })
    };
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let conn = conn.clone();
            std::thread::spawn(move || {
                for i in 0..300 {
                    let ev = Wait4::new([format!("never {w} {i}")]).unwrap();
                    // A timeout, so every start and end moves the deadline and wakes the
                    // deadline thread: it too takes the connection lock.
                    let ev = conn.start(ev.timeout(Duration::from_secs(60)));
                    ev.cancel();
                    match ev.wait(Duration::from_secs(2)) {
                        Err(Error::Cancelled { .. }) => {}
                        other => panic!("worker {w} round {i}: {other:?}"),
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    feeder.join().unwrap();
}

#[test]
fn an_observer_timeout_fires_at_its_deadline_without_data() {
    let (io, _device) = moler_io::memory::pair("deadline");
    let conn = ThreadRunner::new().spawn("deadline", io).unwrap();
    let started = Instant::now();
    let ev = conn.start(Wait4::new(["x"]).unwrap().timeout(Duration::from_millis(200)));
    let err = ev.wait(WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn several_observers_run_at_once_and_the_peer_closing_fails_the_rest() {
    let (io, device) = moler_io::memory::pair("dut");
    device.set_echo(true);
    let conn = ThreadRunner::new().spawn("dut", io).unwrap();
    let events: Vec<_> = (0..20)
        .map(|i| conn.start(Wait4::new([format!("^ev{i}$")]).unwrap().till_occurs_times(1)))
        .collect();
    let cmd = conn.start(Command::lines("hello", "^moler_bash# $"));
    device.inject("\r\n");
    for i in 0..10 {
        device.inject(format!("ev{i}\r\n"));
    }
    for e in &events[..10] {
        assert_eq!(e.wait(WAIT).unwrap().len(), 1);
    }
    device.close();
    for e in &events[10..] {
        assert!(e.wait(WAIT).unwrap_err().is_closed());
    }
    let got = cmd.wait(WAIT).unwrap_err();
    assert!(got.is_closed(), "{got}");
    let deadline = Instant::now() + WAIT;
    while !conn.is_closed() {
        assert!(Instant::now() < deadline, "the handle never saw the close");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(device.take_written(), b"hello\n");
}

#[test]
fn dropping_the_last_handle_closes_the_connection() {
    let (io, device) = moler_io::memory::pair("drop");
    let conn = ThreadRunner::new().spawn("drop", io).unwrap();
    let ev = conn.start(Wait4::new(["x"]).unwrap());
    drop(conn);
    assert!(ev.wait(WAIT).unwrap_err().is_closed());
    device.inject("x\n"); // nobody reads it any more, and nothing panics
}
