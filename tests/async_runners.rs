//! The async side: handles awaited on tokio and smol, blocking waits refused where they would
//! stall a runtime, runtimes dropped under running observers, the shell's greeting.

#![cfg(all(feature = "tokio", feature = "smol"))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler::{SmolRunner, TokioRunner};
use moler_io::terminal::TerminalOptions;

const WAIT: Duration = Duration::from_secs(20);

fn cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, LOCAL_PROMPT)
}

/// Commands on several shells at once, awaited together.
async fn fan_out(shells: &[ConnectionHandle]) {
    let started: Vec<Vec<_>> = shells
        .iter()
        .enumerate()
        .map(|(s, sh)| (0..4).map(|i| sh.start(cmd(&format!("echo s{s} i{i}")))).collect())
        .collect();
    for (s, outs) in started.into_iter().enumerate() {
        for (i, out) in outs.into_iter().enumerate() {
            assert_eq!(out.await.unwrap(), [format!("s{s} i{i}")]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_multi_thread_awaits_commands_on_several_shells() {
    let shells: Vec<_> = (0..4).map(|_| moler::local_shell().unwrap()).collect();
    assert!(shells.iter().all(|s| s.runner() == RunnerKind::Tokio), "autodetected");
    fan_out(&shells).await;
}

#[tokio::test] // current-thread: the connection runs on the test's own thread
async fn tokio_current_thread_awaits_commands_and_events() {
    let shell = moler::local_shell().unwrap();
    let mark = shell.start(Wait4::new(["^MARK$"]).unwrap().till_occurs_times(1));
    assert_eq!(shell.start(cmd("echo MARK")).await.unwrap(), ["MARK"]);
    assert_eq!(mark.await.unwrap()[0].line, "MARK");
    let err = shell.start(cmd("sleep 5").timeout(Duration::from_millis(300))).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(shell.start(cmd("echo after")).await.unwrap(), ["after"]);
}

#[test]
fn smol_awaits_commands_on_several_shells() {
    let runner: Runner = SmolRunner::new().into();
    let shells: Vec<_> =
        (0..4).map(|_| local_shell_on(&runner, &TerminalOptions::default()).unwrap()).collect();
    smol::block_on(fan_out(&shells));
}

/// Handles of a thread-runner connection are futures too.
#[test]
fn a_thread_runner_handle_can_be_awaited() {
    let shell = local_shell_on(&ThreadRunner::new().into(), &TerminalOptions::default()).unwrap();
    let out = smol::block_on(shell.start(cmd("echo awaited")));
    assert_eq!(out.unwrap(), ["awaited"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(rt.block_on(shell.start(cmd("echo again"))).unwrap(), ["again"]);
}

#[test]
fn smol_on_an_executor_of_your_own() {
    let ex = Arc::new(smol::Executor::new());
    let runner: Runner = SmolRunner::with_executor(Arc::clone(&ex)).into();
    let shells: Vec<_> =
        (0..3).map(|_| local_shell_on(&runner, &TerminalOptions::default()).unwrap()).collect();
    smol::block_on(ex.run(fan_out(&shells)));
}

#[tokio::test]
async fn a_blocking_wait_inside_tokio_is_refused_not_deadlocked() {
    let shell = moler::local_shell().unwrap();
    let started = Instant::now();
    let err = shell.run(cmd("echo hi"), WAIT).unwrap_err();
    assert!(
        matches!(&err, Error::WrongUsage(m) if m.contains("tokio") && m.contains(".await")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "refused at once");
    // The command itself was started and still works when awaited.
    assert_eq!(shell.start(cmd("echo still")).await.unwrap(), ["still"]);
}

#[test]
fn a_blocking_wait_on_a_smol_thread_is_refused() {
    let shell = local_shell_on(&SmolRunner::new().into(), &TerminalOptions::default()).unwrap();
    let inner = shell.clone();
    let err =
        smol::block_on(smol::spawn(async move { inner.run(cmd("echo hi"), WAIT) })).unwrap_err();
    assert!(matches!(&err, Error::WrongUsage(m) if m.contains("smol")), "{err}");
}

/// An observer that blocks on another observer's handle from its own callback.
struct WaitsInside(Option<moler::Completion<Vec<String>>>);

impl Observer for WaitsInside {
    type Output = String;
    fn describe(&self) -> String {
        "waits inside a callback".into()
    }
    fn on_start(&mut self, _cx: &mut moler::Context<'_>) -> moler::Step<String> {
        let other = self.0.take().unwrap();
        moler::Step::Done(match other.wait(WAIT) {
            Err(Error::WrongUsage(m)) => Ok(m),
            other => Ok(format!("unexpected: {other:?}")),
        })
    }
    fn on_data(&mut self, _: &str, _: &mut moler::Context<'_>) -> moler::Step<String> {
        moler::Step::Pending
    }
}

#[test]
fn a_blocking_wait_inside_an_observer_callback_is_refused() {
    for runner in [Runner::from(ThreadRunner::new()), SmolRunner::new().into()] {
        let shell = local_shell_on(&runner, &TerminalOptions::default()).unwrap();
        let other = shell.start(cmd("echo other"));
        let msg = shell.run(WaitsInside(Some(other)), WAIT).unwrap();
        assert!(msg.contains("observer callback"), "{}: {msg}", runner.kind());
    }
}

#[test]
fn dropping_the_tokio_runtime_fails_running_observers_and_closes_the_shell() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
    let rt = rt.unwrap();
    let shell = local_shell_on(
        &TokioRunner::with_handle(rt.handle().clone()).into(),
        &TerminalOptions::default(),
    )
    .unwrap();
    shell.run(cmd("echo up"), WAIT).unwrap();
    let running = shell.start(cmd("sleep 10"));
    let event = shell.start(Wait4::new(["^never$"]).unwrap());
    drop(rt);
    for err in [running.wait(WAIT).unwrap_err(), event.wait(WAIT).unwrap_err().clone()] {
        assert!(err.is_closed(), "{err}");
        assert!(err.to_string().contains("runner driving this connection stopped"), "{err}");
    }
    assert!(shell.is_closed());
    let started = Instant::now();
    assert!(shell.run(cmd("echo late"), WAIT).unwrap_err().is_closed());
    assert!(started.elapsed() < Duration::from_secs(1), "a late start fails at once");
}

#[test]
fn dropping_your_own_smol_executor_fails_running_observers() {
    let ex = Arc::new(smol::Executor::new());
    let runner: Runner = SmolRunner::with_executor(Arc::clone(&ex)).into();
    let shell = local_shell_on(&runner, &TerminalOptions::default()).unwrap();
    let up = shell.start(cmd("echo up"));
    assert_eq!(smol::block_on(ex.run(up)).unwrap(), ["up"]);
    let running = shell.start(cmd("sleep 10"));
    drop(runner); // the runner holds the executor too
    drop(ex); // the last reference: its tasks are dropped
    let err = running.wait(WAIT).unwrap_err();
    assert!(err.to_string().contains("runner driving this connection stopped"), "{err}");
}

#[test]
fn a_shell_that_never_shows_its_prompt_fails_the_first_command_clearly() {
    let dir = std::env::temp_dir().join(format!("moler-silent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("silent-shell");
    std::fs::write(&script, "#!/bin/sh\necho 'this is not bash'\nexec sleep 30\n").unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let options = TerminalOptions {
        shell: script.display().to_string(),
        ready_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    for runner in [Runner::from(ThreadRunner::new()), SmolRunner::new().into()] {
        let shell = local_shell_on(&runner, &options).unwrap();
        let started = Instant::now();
        let err = shell.run(cmd("echo hi"), WAIT).unwrap_err();
        let text = err.to_string();
        assert!(err.is_closed(), "{text}");
        assert!(text.contains("this is not bash") && text.contains("timed out"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }
    let missing = TerminalOptions { shell: "/no/such/shell".into(), ..Default::default() };
    let err = moler::local_shell_with(&missing).unwrap_err();
    assert!(err.to_string().contains("/no/such/shell"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

/// smol: many tasks await commands on one connection at once (a real socket to the device
/// simulator), on the global executor's threads and on the test's own, and every fifth await
/// gives up at once (a timer wins the race and the future is dropped, assisting or not): every
/// result awaited to the end is right, none hangs, and a plain thread's blocking run works
/// after.
#[test]
fn smol_many_tasks_awaiting_one_connection_some_giving_up() {
    use moler_io::tcp::{self, TcpOptions};
    use moler_testkit::{Simulator, SIM_BANNER, SIM_PROMPT, SIM_PROMPT_RE};
    use std::time::Duration;

    let sim = Simulator::start().unwrap();
    let greeting =
        moler_io::Greeting { marker: SIM_BANNER.into(), prompt: SIM_PROMPT.into(), timeout: WAIT };
    let options = TcpOptions { greeting: Some(greeting), ..Default::default() };
    let transport = tcp::connect("127.0.0.1", sim.port(), &options).unwrap();
    let conn = SmolRunner::new().spawn("many", transport).unwrap();
    let task = |t: usize| {
        let conn = conn.clone();
        async move {
            let mut awaited = 0;
            for i in 0..25 {
                let cmd = conn.start(Command::lines(format!("echo {t}-{i}"), SIM_PROMPT_RE));
                if i % 5 == 4 {
                    let gave_up = async {
                        smol::Timer::after(Duration::from_micros(1)).await;
                        None
                    };
                    // Dropped here whichever finished first.
                    let _ = smol::future::or(async { Some(cmd.await) }, gave_up).await;
                    continue;
                }
                assert_eq!(cmd.await.unwrap(), [format!("{t}-{i}")]);
                awaited += 1;
            }
            awaited
        }
    };
    let spawned: Vec<_> = (0..6).map(|t| smol::spawn(task(t))).collect();
    let all = async {
        let here = smol::future::zip(task(6), task(7)).await;
        let mut total = here.0 + here.1;
        for s in spawned {
            total += s.await;
        }
        total
    };
    let limit = async {
        smol::Timer::after(Duration::from_secs(120)).await;
        panic!("the tasks did not finish in 120 s");
    };
    assert_eq!(smol::block_on(smol::future::or(all, limit)), 8 * 20);
    let done = conn.run(Command::lines("echo done", SIM_PROMPT_RE), WAIT).unwrap();
    assert_eq!(done, ["done"]);
}
