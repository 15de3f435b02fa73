//! The runner's own tasks on every runner: `sleep_until` never ends early and many sleeps
//! end in deadline order (the thread runner's shared `moler-tasks` thread keeps their timers),
//! `unblock` runs a blocking call where blocking is allowed (tokio's blocking pool, else a
//! thread of its own) and hands its result to whoever awaits it, and `block_on_until` gives a
//! result or gives up at its deadline.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moler_runners::{block_on_until, Runner, RunnerKind, ThreadRunner};

#[macro_use]
mod support;
use support::Rig;

const WAIT: Duration = Duration::from_secs(20);

on_every_runner!(
    sleeps_end_no_sooner_than_their_deadlines_and_in_their_order,
    unblock_runs_where_blocking_is_allowed_and_gives_the_result,
);

/// Five sleeps started at once, deadlines 250, 200, …, 50 ms on: each ends at or after its
/// own, and the five end in deadline order (not the order they were started in).
fn sleeps_end_no_sooner_than_their_deadlines_and_in_their_order(rig: &Rig) {
    let ended = Arc::new(Mutex::new(Vec::new()));
    let t0 = Instant::now();
    for i in (1..=5u32).rev() {
        let at = t0 + Duration::from_millis(50) * i;
        let sleep = rig.runner.sleep_until(at);
        let ended = Arc::clone(&ended);
        rig.runner.spawn_task(async move {
            sleep.await;
            ended.lock().unwrap().push((i, Instant::now() >= at));
        });
    }
    let since = Instant::now();
    while ended.lock().unwrap().len() < 5 {
        assert!(since.elapsed() < WAIT, "{:?}", ended.lock().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    let ended = ended.lock().unwrap().clone();
    assert_eq!(ended, [(1, true), (2, true), (3, true), (4, true), (5, true)]);
    // A deadline already passed: ready at once.
    assert_eq!(block_on_until(rig.runner.sleep_until(t0), Some(Instant::now() + WAIT)), Some(()));
}

fn unblock_runs_where_blocking_is_allowed_and_gives_the_result(rig: &Rig) {
    let call = rig.runner.unblock(|| {
        std::thread::sleep(Duration::from_millis(20)); // it may block
        (
            moler_runners::blocking_allowed().is_ok(),
            std::thread::current().name().map(str::to_owned),
        )
    });
    let (allowed, thread) = block_on_until(call, Some(Instant::now() + WAIT))
        .expect("the call's result came")
        .expect("the call ran");
    assert!(allowed, "blocking is allowed where it runs");
    let thread = thread.unwrap_or_default();
    match rig.runner.kind() {
        // The runtime's blocking pool: tokio's own threads.
        RunnerKind::Tokio => assert!(thread.starts_with("tokio"), "{thread}"),
        _ => assert_eq!(thread, "moler-unblock"),
    }
}

/// `block_on_until` gives the future's output when it is ready in time, `None` at the
/// deadline when it is not; without a deadline it waits.
#[test]
fn block_on_until_gives_the_output_or_gives_up_at_the_deadline() {
    let soon = Instant::now() + Duration::from_millis(50);
    assert_eq!(block_on_until(std::future::ready(7), Some(soon)), Some(7));
    assert_eq!(block_on_until(std::future::pending::<u8>(), Some(soon)), None);
    assert!(Instant::now() >= soon, "not before its deadline");
    let runner = Runner::from(ThreadRunner::new());
    let slept = runner.sleep_until(Instant::now() + Duration::from_millis(30));
    assert_eq!(block_on_until(slept, None), Some(()));
}
