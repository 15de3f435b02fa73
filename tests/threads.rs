//! What costs no thread costs no thread: background state changes without a runtime, periodic
//! jobs on every runner. One test in its own binary, so no other test's threads come and go
//! while it counts this process's threads.

use std::time::{Duration, Instant};

use moler::moler_runners::{Every, Job};
use moler::prelude::*;
use moler_io::tcp::{self, TcpOptions};
use moler_io::Greeting;
use moler_testkit::{Rig, SimOptions, Simulator, SIM_BANNER, SIM_PROMPT, SIM_PROMPT_RE};

const SLOW: Duration = Duration::from_millis(400);
const WAIT: Duration = Duration::from_secs(60);

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// `n` UnixLocal devices over TCP to `sim`, whose `su` hop takes `SLOW`.
fn devices(sim: &Simulator, n: usize) -> Devices {
    let mut yaml = String::from("DEVICES:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  SIM{i}:
    DEVICE_CLASS: UnixLocal
    CONNECTION_DESC: {{io_type: tcp, host: 127.0.0.1, port: {}, ready_prompt: 'moler_bash# ', ready_timeout: 60}}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params: {{password: sim, expected_prompt: '^root@sim# ', timeout: 60}}
",
            sim.port()
        ));
    }
    Devices::from_yaml(&yaml).unwrap()
}

#[test]
fn background_walks_and_periodic_jobs_add_no_thread_each() {
    background_state_changes_without_a_runtime();
    for kind in [RunnerKind::Thread, RunnerKind::Tokio, RunnerKind::Smol] {
        periodic_jobs_on(&Rig::new(kind));
    }
}

fn background_state_changes_without_a_runtime() {
    const N: usize = 8;
    let options = SimOptions::default().prompt("moler_bash# ").hop_after(SLOW);
    let sim = Simulator::start_with(([127, 0, 0, 1], 0).into(), options).unwrap();
    let devices = devices(&sim, N);
    let all: Vec<Device> = (0..N).map(|i| devices.get(&format!("SIM{i}")).unwrap()).collect();
    let before = threads();
    let started = Instant::now();
    let changes: Vec<StateChange> =
        all.iter().map(|d| d.goto_state_bg("UNIX_LOCAL_ROOT")).collect();
    // While they wait for the slow hop: at most the shared `moler-tasks` thread was added.
    std::thread::sleep(SLOW / 2);
    let during = threads();
    assert!(changes.iter().all(|c| !c.is_done()), "each hop takes {SLOW:?}");
    for c in changes {
        c.wait(WAIT).unwrap();
    }
    let took = started.elapsed();
    assert!(during <= before + 1, "{before} threads before, {during} during {N} state changes");
    assert!(all.iter().all(|d| d.state() == "UNIX_LOCAL_ROOT"));
    // The hops overlapped: together well under N one after the other.
    assert!(took < SLOW * N as u32 / 2, "{N} background hops took {took:?}");
    all[0].wait_for_state("UNIX_LOCAL_ROOT", Duration::from_secs(1)).unwrap();
    devices.remove_all();
    assert!(all.iter().all(|d| d.state() == "NOT_CONNECTED"));
}

fn periodic_jobs_on(rig: &Rig) {
    let sim = Simulator::start().unwrap();
    let options = TcpOptions {
        greeting: Some(Greeting {
            marker: SIM_BANNER.into(),
            prompt: SIM_PROMPT.into(),
            timeout: WAIT,
        }),
        ..Default::default()
    };
    let conn =
        rig.runner.spawn("sim", tcp::connect("127.0.0.1", sim.port(), &options).unwrap()).unwrap();
    // Warm: the runner's own threads (smol's executor, the shared task thread) exist.
    let warm = conn.clone();
    let first: Job =
        rig.runner.every(Every::new(Duration::from_millis(5)).run_at_start(true), move || {
            let beat = warm.start(Command::lines("echo warm", SIM_PROMPT_RE));
            async move { beat.await.map(drop) }
        });
    let deadline = Instant::now() + WAIT;
    while first.runs() < 2 {
        assert!(Instant::now() < deadline, "{first:?} {:?}", first.errors());
        std::thread::sleep(Duration::from_millis(5));
    }
    let before = threads();
    let jobs: Vec<Job> = (0..50)
        .map(|_| {
            let conn = conn.clone();
            rig.runner.every(Every::new(Duration::from_millis(10)), move || {
                let beat = conn.start(Command::lines("echo beat", SIM_PROMPT_RE));
                async move { beat.await.map(drop) }
            })
        })
        .collect();
    while jobs.iter().any(|j| j.runs() < 2) {
        assert!(Instant::now() < deadline, "jobs did not run");
        std::thread::sleep(Duration::from_millis(5));
    }
    let during = threads();
    for j in jobs.iter().chain([&first]) {
        j.cancel();
        assert!(j.wait_ended(WAIT));
        assert!(j.errors().is_empty(), "{:?}", j.errors());
    }
    assert!(
        during <= before,
        "{} runner: {before} threads before, {during} with 50 more jobs",
        rig.runner.kind()
    );
}
