//! Periodic jobs ([`Runner::every`]) on every runner, without a connection: when the first run
//! comes, that runs never overlap and late ones skip the missed periods instead of catching
//! up, what cancel and `cancel_on_error` stop, and what a job reports (runs, errors in order,
//! running or not, its end awaited or waited for).
//!
//! Times are checked from below only (a run comes no sooner than it should), which a busy
//! machine cannot break; upper bounds are generous (the one on the schedule too).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moler_runners::{Every, Job};

#[macro_use]
mod support;
use support::Rig;

const WAIT: Duration = Duration::from_secs(20);

on_every_runner!(
    the_first_run_comes_after_one_period_or_at_once_if_asked,
    a_long_run_delays_the_next_and_missed_periods_are_skipped,
    runs_shorter_than_the_period_keep_to_its_schedule,
    cancel_stops_it_and_its_end_is_seen,
    errors_are_kept_in_order_and_stop_it_only_when_asked,
);

/// A job that notes when each run starts, and makes its `nth` run (from 1) last `length(nth)`
/// if that says so (the job awaits the runner's own sleep).
fn noting(
    rig: &Rig,
    every: Every,
    length: impl Fn(usize) -> Option<Duration> + Send + Sync + 'static,
) -> (Job, Arc<Mutex<Vec<Instant>>>) {
    let starts = Arc::new(Mutex::new(Vec::new()));
    let noted = Arc::clone(&starts);
    let runner = rig.runner.clone();
    let job = rig.runner.every(every, move || {
        let nth = {
            let mut starts = noted.lock().unwrap();
            starts.push(Instant::now());
            starts.len()
        };
        let sleep = length(nth).map(|d| runner.sleep_until(Instant::now() + d));
        async move {
            if let Some(sleep) = sleep {
                sleep.await;
            }
            Ok::<(), String>(())
        }
    });
    (job, starts)
}

/// Waits until `job` made `n` runs.
fn runs(job: &Job, n: u64) {
    let since = Instant::now();
    while job.runs() < n {
        assert!(since.elapsed() < WAIT, "{} runs of {n}", job.runs());
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn the_first_run_comes_after_one_period_or_at_once_if_asked(rig: &Rig) {
    let period = Duration::from_millis(150);
    let called = Instant::now();
    let (job, starts) = noting(rig, Every::new(period), |_| None);
    runs(&job, 1);
    job.cancel();
    assert!(starts.lock().unwrap()[0] >= called + period, "not before one period");

    // At once: a period of a minute, and the first run still comes now.
    let (job, starts) =
        noting(rig, Every::new(Duration::from_secs(60)).run_at_start(true), |_| None);
    runs(&job, 1);
    job.cancel();
    assert!(job.wait_ended(WAIT));
    assert_eq!(starts.lock().unwrap().len(), 1);
}

/// Period 40 ms; the second run takes 300 ms (7 periods). The third starts a whole period
/// after the second ended, not right after it (no catching up), and the fourth a period
/// after that.
fn a_long_run_delays_the_next_and_missed_periods_are_skipped(rig: &Rig) {
    let period = Duration::from_millis(40);
    let long = Duration::from_millis(300);
    let (job, starts) =
        noting(rig, Every::new(period).run_at_start(true), move |n| (n == 2).then_some(long));
    runs(&job, 4);
    job.cancel();
    assert!(job.wait_ended(WAIT));
    let starts = starts.lock().unwrap().clone();
    // Runs keep to a schedule, one period apart: a run woken late starts its successor's
    // period early, so two starts may be a little less than a period apart, never much.
    assert!(starts[1] >= starts[0] + period / 2, "{starts:?}");
    assert!(starts[2] >= starts[1] + long + period, "skipped, not made up: {starts:?}");
    assert!(starts[3] >= starts[2] + period / 2, "{starts:?}");
}

/// Period 200 ms, each run 150 ms: a run starts a period after the one before it started, not
/// a period after it ended (which would put the sixth run 1.75 s after the first instead of
/// 1 s). The one upper bound in this file, with 400 ms to spare: a run woken late does not
/// move the schedule, so lateness does not add up.
fn runs_shorter_than_the_period_keep_to_its_schedule(rig: &Rig) {
    let period = Duration::from_millis(200);
    let each = |_| Some(Duration::from_millis(150));
    let (job, starts) = noting(rig, Every::new(period).run_at_start(true), each);
    runs(&job, 6);
    job.cancel();
    assert!(job.wait_ended(WAIT));
    let starts = starts.lock().unwrap().clone();
    let five_periods = starts[5] - starts[0];
    assert!(five_periods >= period * 4, "{five_periods:?}");
    assert!(five_periods < Duration::from_millis(1400), "the schedule slipped: {five_periods:?}");
}

fn cancel_stops_it_and_its_end_is_seen(rig: &Rig) {
    let (job, starts) = noting(rig, Every::new(Duration::from_millis(5)), |_| None);
    runs(&job, 3);
    assert!(job.is_running());
    assert!(format!("{job:?}").contains("running: true"), "{job:?}");
    job.cancel();
    assert!(job.wait_ended(WAIT), "ended soon after the cancel");
    assert!(!job.is_running());
    let after = job.runs();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(job.runs(), after, "no run after the end");
    assert_eq!(starts.lock().unwrap().len() as u64, after);
    // Its end, awaited, is ready at once; a wait for a job still running gives up.
    assert_eq!(moler_runners::block_on_until(job.ended(), None), Some(()));
    let (forever, _) = noting(rig, Every::new(Duration::from_secs(60)), |_| None);
    assert!(!forever.wait_ended(Duration::from_millis(50)));
    assert!(forever.is_running());
    forever.cancel();
    assert!(forever.wait_ended(WAIT), "a cancel wakes a job asleep for a minute");
    assert_eq!(forever.runs(), 0);
}

fn errors_are_kept_in_order_and_stop_it_only_when_asked(rig: &Rig) {
    let failing = |n: &Arc<Mutex<u32>>| {
        let n = Arc::clone(n);
        move || {
            let mut n = n.lock().unwrap();
            *n += 1;
            let result = if n.is_multiple_of(2) { Err(format!("run {n} failed")) } else { Ok(()) };
            async move { result }
        }
    };
    // Kept going: every other run fails, each error kept, in order.
    let job = rig.runner.every(Every::new(Duration::from_millis(5)), failing(&Arc::default()));
    runs(&job, 5);
    job.cancel();
    assert!(job.wait_ended(WAIT));
    let errors = job.errors();
    assert!(errors.len() >= 2, "{errors:?}");
    assert_eq!(errors[..2], ["run 2 failed", "run 4 failed"]);
    // Stopped at the first.
    let every = Every::new(Duration::from_millis(5)).cancel_on_error(true);
    let job = rig.runner.every(every, failing(&Arc::default()));
    assert!(job.wait_ended(WAIT), "stopped by its error");
    assert_eq!((job.runs(), job.errors()), (2, vec!["run 2 failed".to_owned()]));
}
