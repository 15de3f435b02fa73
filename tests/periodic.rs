//! Periodic jobs (Moler's `Scheduler`) on every runner, over real TCP to the device simulator,
//! and on a device with a real bash: a command every period, cancel, cancel on error, no thread
//! per job.

use std::sync::mpsc;
use std::time::Duration;

use moler::commands::unix::Uptime;
use moler::moler_runners::{Every, Job};
use moler::prelude::*;
use moler_io::tcp::{self, TcpOptions};
use moler_io::Greeting;
use moler_testkit::{on_every_runner, Rig, Simulator, SIM_BANNER, SIM_PROMPT, SIM_PROMPT_RE};

const WAIT: Duration = Duration::from_secs(30);

fn sim(rig: &Rig, sim: &Simulator) -> ConnectionHandle {
    let options = TcpOptions {
        greeting: Some(Greeting {
            marker: SIM_BANNER.into(),
            prompt: SIM_PROMPT.into(),
            timeout: WAIT,
        }),
        ..Default::default()
    };
    rig.runner.spawn("sim", tcp::connect("127.0.0.1", sim.port(), &options).unwrap()).unwrap()
}

/// Every 20 ms, `line` on `conn`; each result goes to the returned channel.
fn beacon(
    rig: &Rig,
    conn: &ConnectionHandle,
    line: &'static str,
    every: Every,
) -> (Job, mpsc::Receiver<Vec<String>>) {
    let (tx, rx) = mpsc::channel();
    let conn = conn.clone();
    let job = rig.runner.every(every, move || {
        let beat = conn.start(Command::lines(line, SIM_PROMPT_RE));
        let tx = tx.clone();
        async move {
            let out = beat.await?;
            let _ = tx.send(out);
            Ok::<(), Error>(())
        }
    });
    (job, rx)
}

on_every_runner!(
    a_command_runs_every_period_until_cancelled,
    the_first_error_stops_a_job_that_says_so
);

fn a_command_runs_every_period_until_cancelled(rig: &Rig) {
    let sim_ = Simulator::start().unwrap();
    let conn = sim(rig, &sim_);
    let (job, beats) = beacon(rig, &conn, "echo beat", Every::new(Duration::from_millis(20)));
    let others: Vec<_> = (0..10)
        .map(|_| beacon(rig, &conn, "hello", Every::new(Duration::from_secs(3600))))
        .collect();
    for _ in 0..3 {
        assert_eq!(beats.recv_timeout(WAIT).unwrap(), ["beat"]);
    }
    job.cancel();
    assert!(job.wait_ended(WAIT));
    assert!(!job.is_running());
    assert!(job.runs() >= 3 && job.errors().is_empty(), "{job:?} {:?}", job.errors());
    for (other, _) in &others {
        assert_eq!(other.runs(), 0, "an hour has not passed");
        other.cancel();
        assert!(other.wait_ended(WAIT), "a job asleep ends at once when cancelled");
    }
    // The connection is quiet after the last run: a command of the test goes through.
    assert_eq!(
        conn.start(Command::lines("echo after", SIM_PROMPT_RE)).wait(WAIT).unwrap(),
        ["after"]
    );
}

fn the_first_error_stops_a_job_that_says_so(rig: &Rig) {
    let sim_ = Simulator::start().unwrap();
    let conn = sim(rig, &sim_);
    let every = Every::new(Duration::from_millis(20)).cancel_on_error(true).run_at_start(true);
    let (job, _beats) = beacon(rig, &conn, "nosuchtool", every);
    assert!(job.wait_ended(WAIT), "stopped by its error");
    assert_eq!(job.runs(), 1);
    let errors = job.errors();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("command not found"), "{errors:?}");
    // Without cancel_on_error it goes on.
    let (going, _beats) = beacon(rig, &conn, "nosuchtool", Every::new(Duration::from_millis(20)));
    let deadline = std::time::Instant::now() + WAIT;
    while going.errors().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "{going:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(going.is_running());
    going.cancel();
    assert!(going.wait_ended(WAIT));
}

#[test]
fn a_device_runs_a_typed_command_every_period() {
    let devices = Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n").unwrap();
    let local = devices.get("LOCAL").unwrap();
    let (tx, rx) = mpsc::channel();
    let job = local.every(Every::new(Duration::from_millis(50)).run_at_start(true), move |d| {
        let _ = tx.send(());
        d.start(Uptime::new())
    });
    for _ in 0..2 {
        rx.recv_timeout(WAIT).unwrap();
    }
    job.cancel();
    assert!(job.wait_ended(WAIT));
    assert!(job.errors().is_empty(), "{:?}", job.errors());
    // A run that cannot start (the device left its state) is an error of the job.
    let stuck = local.every(Every::new(Duration::from_millis(10)).cancel_on_error(true), |d| {
        d.start(Uptime::new())
    });
    local.goto_state("NOT_CONNECTED").unwrap();
    assert!(stuck.wait_ended(WAIT));
    assert!(stuck.errors()[0].contains("NOT_CONNECTED"), "{:?}", stuck.errors());
    devices.remove_all();
}

/// A task that polls a job's end and a timer of the shared thread again and again (a
/// `select!` loop) is kept once by each, and woken once, also where `will_wake` does not
/// recognize its waker in its clones (tokio's `block_on`).
#[test]
fn a_task_polling_again_is_woken_once() {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Context;
    let count = Arc::new(AtomicUsize::new(0));
    let waker = moler_testkit::waker_unlike_its_clones(&count);
    let mut cx = Context::from_waker(&waker);
    let runner = Runner::Thread(ThreadRunner::new());

    let job = runner.every(Every::new(Duration::from_secs(3600)), || async { Ok::<_, String>(()) });
    let mut ended = std::pin::pin!(job.ended());
    for _ in 0..100 {
        assert!(ended.as_mut().poll(&mut cx).is_pending());
    }
    job.cancel();
    assert!(job.wait_ended(WAIT));
    assert_eq!(count.swap(0, Ordering::SeqCst), 1, "the job's end wakes the task once");

    // Far enough ahead to be polled a hundred times first on a busy machine.
    let at = std::time::Instant::now() + Duration::from_millis(500);
    let mut sleep = std::pin::pin!(runner.sleep_until(at));
    for _ in 0..100 {
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
    }
    // The shared thread fires its timers in order: when the later one has, so has this one,
    // as many times as it was kept.
    moler::moler_runners::block_on(runner.sleep_until(at + Duration::from_millis(10)));
    assert_eq!(count.load(Ordering::SeqCst), 1, "the timer wakes the task once");
    assert!(sleep.as_mut().poll(&mut cx).is_ready());
}
