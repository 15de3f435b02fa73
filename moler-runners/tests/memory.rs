//! Every runner over the memory transport: requests from many threads while data flows,
//! deadlines without data, many observers, close and drop. The same scenarios run on each
//! compiled-in runner.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_core::{Command, Error, Wait4};
use moler_runners::CompletionExt;

#[macro_use]
mod support;
use support::Rig;

const WAIT: Duration = Duration::from_secs(20);

on_every_runner!(
    requests_from_many_threads_are_never_lost_while_data_flows,
    an_observer_timeout_fires_at_its_deadline_without_data,
    several_observers_run_at_once_and_the_peer_closing_fails_the_rest,
    dropping_the_last_handle_closes_the_connection,
    a_command_never_taken_by_its_deadline_is_never_sent,
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

/// A command whose connection is held past the command's deadline (an occurrence callback
/// that blocks, on the thread that drives it) was never taken: at the deadline it is taken
/// back, so it is not typed afterwards and interrupted at once, and its timeout says why.
fn a_command_never_taken_by_its_deadline_is_never_sent(rig: &Rig) {
    let (conn, device) = rig.pair("held");
    let (held, release) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let event = Wait4::new(["^hold$"]).unwrap().on_occurrence({
        let (held, release) = (Arc::clone(&held), Arc::clone(&release));
        move |_| {
            held.store(true, Ordering::SeqCst);
            let since = Instant::now();
            while !release.load(Ordering::SeqCst) && since.elapsed() < WAIT {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    let event = conn.start(event);
    device.inject("hold\r\n");
    let since = Instant::now();
    while !held.load(Ordering::SeqCst) {
        assert!(since.elapsed() < WAIT, "the callback never ran");
        std::thread::sleep(Duration::from_millis(1));
    }
    let err = conn.run(Command::lines("pwd", "^moler_bash# $"), Duration::from_millis(200));
    let err = err.unwrap_err();
    release.store(true, Ordering::SeqCst);
    let text = err.to_string();
    assert!(matches!(err, Error::Timeout { .. }), "{text}");
    assert!(text.contains("never started and nothing was sent"), "{text}");
    // The connection goes on: the next command is typed and answered, `pwd` never was.
    device.respond_on_next_write("uname\r\nLinux\r\nmoler_bash# ");
    let out = conn.run(Command::lines("uname", "^moler_bash# $"), WAIT).unwrap();
    assert_eq!(out, ["Linux"]);
    assert_eq!(String::from_utf8_lossy(&device.take_written()), "uname\n");
    event.cancel();
}

/// Records the size of each piece of input the connection hands it, until `until` bytes came.
struct Pieces {
    sizes: Vec<usize>,
    until: usize,
}

impl moler_core::Observer for Pieces {
    type Output = Vec<usize>;
    fn describe(&self) -> String {
        "pieces".into()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(WAIT)
    }
    fn on_data(
        &mut self,
        data: &str,
        _cx: &mut moler_core::Context<'_>,
    ) -> moler_core::Step<Vec<usize>> {
        self.sizes.push(data.len());
        if self.sizes.iter().sum::<usize>() >= self.until {
            return moler_core::Step::Done(Ok(std::mem::take(&mut self.sizes)));
        }
        moler_core::Step::Pending
    }
}

/// `read_buffer(N)` on each runner: no read hands the connection more than N bytes, and what
/// came is all there, in reads of N while more waits.
#[test]
fn a_runners_read_buffer_bounds_each_read() {
    #[cfg_attr(not(any(feature = "tokio", feature = "smol")), allow(unused_mut))]
    let mut runners: Vec<(&str, moler_runners::Runner)> =
        vec![("thread", moler_runners::ThreadRunner::new().read_buffer(7).into())];
    #[cfg(feature = "tokio")]
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    #[cfg(feature = "tokio")]
    let rt = rt.unwrap();
    #[cfg(feature = "tokio")]
    runners.push((
        "tokio",
        moler_runners::TokioRunner::with_handle(rt.handle().clone()).read_buffer(7).into(),
    ));
    #[cfg(feature = "smol")]
    runners.push(("smol", moler_runners::SmolRunner::new().read_buffer(7).into()));
    let text = "0123456789".repeat(10);
    for (kind, runner) in runners {
        let (io, device) = moler_io::memory::pair(kind);
        let conn = runner.spawn(kind, io).unwrap();
        let pieces = conn.start(Pieces { sizes: Vec::new(), until: text.len() });
        device.inject(text.clone());
        let sizes = pieces.wait(WAIT).unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), text.len(), "{kind}: {sizes:?}");
        assert!(sizes.iter().all(|&n| n <= 7), "{kind}: {sizes:?}");
        assert!(sizes.iter().filter(|&&n| n == 7).count() >= 14, "{kind}: {sizes:?}");
    }
}
