//! Every runner over the memory transport: requests from many threads while data flows,
//! deadlines without data, many observers, close and drop. The same scenarios run on each
//! compiled-in runner.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_core::{Command, Error, Wait4};
use moler_io::memory::MemoryDevice;
use moler_runners::{CompletionExt, ConnectionHandle, Runner, ThreadRunner};

const WAIT: Duration = Duration::from_secs(20);

/// A runner and the runtime it needs, alive for one test.
struct Rig {
    runner: Runner,
    #[cfg(feature = "tokio")]
    _tokio: Option<tokio::runtime::Runtime>,
}

impl Rig {
    fn thread() -> Rig {
        Rig {
            runner: ThreadRunner::new().into(),
            #[cfg(feature = "tokio")]
            _tokio: None,
        }
    }

    #[cfg(feature = "tokio")]
    fn tokio() -> Rig {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        let rt = rt.unwrap();
        let runner = moler_runners::TokioRunner::with_handle(rt.handle().clone()).into();
        Rig { runner, _tokio: Some(rt) }
    }

    #[cfg(feature = "smol")]
    fn smol() -> Rig {
        Rig {
            runner: moler_runners::SmolRunner::new().into(),
            #[cfg(feature = "tokio")]
            _tokio: None,
        }
    }

    fn pair(&self, name: &str) -> (ConnectionHandle, MemoryDevice) {
        let (io, device) = moler_io::memory::pair(name);
        (self.runner.spawn(name, io).unwrap(), device)
    }
}

macro_rules! on_every_runner {
    ($($scenario:ident),* $(,)?) => {
        mod on_thread {
            $( #[test] fn $scenario() { super::$scenario(&super::Rig::thread()) } )*
        }
        #[cfg(feature = "tokio")]
        mod on_tokio {
            $( #[test] fn $scenario() { super::$scenario(&super::Rig::tokio()) } )*
        }
        #[cfg(feature = "smol")]
        mod on_smol {
            $( #[test] fn $scenario() { super::$scenario(&super::Rig::smol()) } )*
        }
    };
}

on_every_runner!(
    requests_from_many_threads_are_never_lost_while_data_flows,
    an_observer_timeout_fires_at_its_deadline_without_data,
    several_observers_run_at_once_and_the_peer_closing_fails_the_rest,
    dropping_the_last_handle_closes_the_connection,
);

/// A request whose wake-up finds the connection locked must still be taken: with a lost
/// wake-up, a cancel would only be noticed when the wait gives up, and the result would be a
/// timeout instead of a cancellation.
fn requests_from_many_threads_are_never_lost_while_data_flows(rig: &Rig) {
    let (conn, device) = rig.pair("race");
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
                    // A timeout, so every start and end moves the deadline: the driver and
                    // the starting thread both touch the connection.
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

fn an_observer_timeout_fires_at_its_deadline_without_data(rig: &Rig) {
    let (conn, _device) = rig.pair("deadline");
    let started = Instant::now();
    let ev = conn.start(Wait4::new(["x"]).unwrap().timeout(Duration::from_millis(200)));
    let err = ev.wait(WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(200));
}

fn several_observers_run_at_once_and_the_peer_closing_fails_the_rest(rig: &Rig) {
    let (conn, device) = rig.pair("dut");
    device.set_echo(true);
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

fn dropping_the_last_handle_closes_the_connection(rig: &Rig) {
    let (conn, device) = rig.pair("drop");
    let ev = conn.start(Wait4::new(["x"]).unwrap());
    drop(conn);
    assert!(ev.wait(WAIT).unwrap_err().is_closed());
    device.inject("x\n"); // nobody reads it any more, and nothing panics
}
