//! Waiting on many handles at once (Moler's `EventAwaiter`), commands and events mixed, on
//! every runner, over real TCP to the device simulator; and the async form on tokio.

use std::time::{Duration, Instant};

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

fn once(pattern: &str) -> Wait4 {
    Wait4::new([pattern]).unwrap().till_occurs_times(1)
}

on_every_runner!(
    all_and_any_wake_on_results_and_leave_them_in_the_handles,
    a_timeout_cancels_nothing_and_cancel_all_ends_what_is_left
);

fn all_and_any_wake_on_results_and_leave_them_in_the_handles(rig: &Rig) {
    let sim_ = Simulator::start().unwrap();
    let conn = sim(rig, &sim_);
    let third = conn.start(once("^line 3$"));
    let fifth = conn.start(once("^line 5$"));
    let count = conn.start(Command::lines("count 5", SIM_PROMPT_RE));
    assert!(wait_for_all(&[&third, &fifth, &count], WAIT).unwrap());
    assert_eq!(separate_done(&[&third, &fifth, &count]), (vec![0, 1, 2], vec![]));
    assert_eq!(count.try_result().unwrap().unwrap().len(), 5, "results stay in the handles");
    assert_eq!(fifth.try_result().unwrap().unwrap()[0].line, "line 5");

    // Events first, then a command once one of them occurred: the first done is named.
    let never = conn.start(once("^never$"));
    let hello = conn.start(once("^hello from"));
    let started = Instant::now();
    let greet = conn.start(Command::lines("hello", SIM_PROMPT_RE));
    assert_eq!(wait_for_any(&[&never, &hello], WAIT).unwrap(), Some(1));
    assert!(started.elapsed() < WAIT / 2, "woken by the occurrence, not by the timeout");
    greet.wait(WAIT).unwrap();
    never.cancel();
}

fn a_timeout_cancels_nothing_and_cancel_all_ends_what_is_left(rig: &Rig) {
    let sim_ = Simulator::start().unwrap();
    let conn = sim(rig, &sim_);
    let never = conn.start(once("^never$"));
    // A command the simulator answers after 500 ms (it does not read Ctrl-C while it sleeps).
    let slow = conn.start(Command::lines("sleep 500", SIM_PROMPT_RE).ret_required(false));
    let started = Instant::now();
    assert!(!wait_for_all(&[&never, &slow], Duration::from_millis(100)).unwrap());
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(wait_for_any(&[&never, &slow], Duration::from_millis(50)).unwrap(), None);
    assert_eq!(separate_done(&[&never, &slow]), (vec![], vec![0, 1]), "still running");
    assert!(wait_for_all(&[&slow], WAIT).unwrap(), "the command ends by itself");
    assert_eq!(separate_done(&[&never, &slow]), (vec![1], vec![0]));
    cancel_all(&[&never, &slow]);
    assert!(wait_for_all(&[&never, &slow], WAIT).unwrap());
    assert!(matches!(never.try_result(), Some(Err(Error::Cancelled { .. }))));
    assert!(slow.try_result().unwrap().is_ok(), "a finished handle is not cancelled");
    assert_eq!(conn.start(Command::lines("echo ok", SIM_PROMPT_RE)).wait(WAIT).unwrap(), ["ok"]);
}

#[test]
fn async_code_awaits_all_and_any_and_blocking_waits_are_refused_there() {
    let sim_ = Simulator::start().unwrap();
    let rig = Rig::new(RunnerKind::Tokio);
    let conn = sim(&rig, &sim_);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let up = conn.start(once("^line 2$"));
        let count = conn.start(Command::lines("count 2", SIM_PROMPT_RE));
        all_done(&[&up, &count]).await;
        assert_eq!(count.await.unwrap(), ["line 1", "line 2"]);
        let never = conn.start(once("^never$"));
        let hello = conn.start(Command::lines("hello", SIM_PROMPT_RE));
        assert_eq!(any_done(&[&never, &hello]).await, 1);
        let refused = wait_for_all(&[&never], WAIT).unwrap_err();
        assert!(matches!(refused, Error::WrongUsage(_)), "{refused}");
        never.cancel();
    });
}
