//! The async assist (smol): a task that awaits a result drives the connection itself, and the
//! connection's own task takes it back when nobody does, so nothing waits on a future that is
//! not polled.
#![cfg(feature = "smol")]

mod support;

use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moler_core::{Command, Wait4};
use moler_runners::{CompletionExt, ConnectionHandle, SmolRunner};
use support::{echoes, Where};

const PROMPT: &str = "^moler_bash# ";
const WAIT: Duration = Duration::from_secs(20);

fn pair(runner: &SmolRunner) -> (ConnectionHandle, moler_io::memory::MemoryDevice) {
    let (io, device) = moler_io::memory::pair("assist");
    (runner.spawn("assist", io).unwrap(), device)
}

/// The name of the thread an answer was handled on.
fn thread_name() -> Option<String> {
    std::thread::current().name().map(str::to_owned)
}

/// On smol's global executor the connection's task runs on `smol-N` threads; an awaited
/// command's answer is handled by the awaiting thread itself (no hand-off through `smol-N`).
///
/// Not how many: the connection's own task takes an answer that comes before the awaiting task
/// first polls (the command is written when it starts), or while that task is away longer than
/// the home task waits for it (a loaded machine: CI under load, 2026-12-02, when that wait was
/// 2 ms: the first 12 answers of 20 on `smol-1`, the 8 after them on the awaiting thread). What the
/// assist saves is the `roundtrip` bench's to measure; here, that answers are handled on the
/// awaiting thread at all: ten of them, within 400 commands.
#[test]
fn an_awaited_answer_is_handled_by_the_awaiting_task() {
    let (conn, device) = pair(&SmolRunner::new());
    let threads = Arc::new(Mutex::new(Vec::new()));
    let assisted = |threads: &[Option<String>]| {
        threads.iter().filter(|t| t.as_deref() == Some("awaiting")).count()
    };
    std::thread::Builder::new()
        .name("awaiting".into())
        .spawn({
            let threads = Arc::clone(&threads);
            move || {
                smol::block_on(async {
                    for i in 0..400 {
                        if assisted(&threads.lock().unwrap()) >= 10 {
                            break;
                        }
                        device.respond_on_next_write(format!("echo {i}\r\n{i}\r\nmoler_bash# "));
                        let line = format!("echo {i}");
                        let threads = Arc::clone(&threads);
                        conn.start(Where { line, seen: threads, here: thread_name }).await.unwrap();
                    }
                })
            }
        })
        .unwrap()
        .join()
        .unwrap();
    let threads = threads.lock().unwrap();
    let here = assisted(&threads);
    assert!(here >= 10, "answers handled on the awaiting thread: {here} of {}", threads.len());
    assert!(
        threads.iter().all(|t| matches!(t.as_deref(), Some("awaiting"))
            || t.as_deref().is_some_and(|t| t.starts_with("smol-"))),
        "answers are handled by the awaiting thread or the connection's task: {threads:?}"
    );
}

/// A future that assisted once and is then kept without being polled (as `select!` leaves
/// the branch that lost) must not stall the connection: its own task takes it back.
#[test]
fn a_future_polled_once_and_kept_does_not_stall_the_connection() {
    // smol's global executor, then an executor of the test's own (run by a thread beside the
    // test's, so the connection's task runs while the test blocks in `join`).
    for own in [None, Some(Arc::new(smol::Executor::new()))] {
        let runner = match &own {
            Some(ex) => SmolRunner::with_executor(Arc::clone(ex)),
            None => SmolRunner::new(),
        };
        let (conn, device) = pair(&runner);
        let event = conn.start(Wait4::new(["link up"]).unwrap().till_occurs_times(1));
        let run = async {
            let slow = conn.start(Command::lines("slow", PROMPT));
            let mut slow = pin!(slow);
            assert!(smol::future::poll_once(&mut slow).await.is_none(), "no answer yet");
            // The line comes now; only the connection's own task can notice it.
            device.inject("link up\n");
            let waiter = std::thread::spawn(move || event.wait(WAIT));
            let started = Instant::now();
            let found = waiter.join().unwrap().unwrap();
            assert_eq!(found[0].line, "link up");
            assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
            device.inject("slow\r\nok\r\nmoler_bash# ");
            assert_eq!(slow.await.unwrap(), ["ok"]);
        };
        match own {
            Some(ex) => {
                let (stop, stopped) = smol::channel::bounded::<()>(1);
                let beside = std::thread::spawn({
                    let ex = Arc::clone(&ex);
                    move || smol::block_on(ex.run(async { stopped.recv().await.ok() }))
                });
                smol::block_on(ex.run(run));
                stop.send_blocking(()).unwrap();
                beside.join().unwrap();
            }
            None => smol::block_on(run),
        }
    }
}

/// After an awaited command, output nobody awaits (an event's line, a deadline) is handled by
/// the connection's own task, promptly.
#[test]
fn output_nobody_awaits_is_handled_after_an_awaited_command() {
    let (conn, device) = pair(&SmolRunner::new());
    smol::block_on(async {
        let event = conn.start(Wait4::new(["alarm"]).unwrap().till_occurs_times(1));
        device.respond_on_next_write("pwd\r\n/root\r\nmoler_bash# ");
        assert_eq!(conn.start(Command::lines("pwd", PROMPT)).await.unwrap(), ["/root"]);
        device.inject("alarm raised\n");
        // `try_result` only looks: nothing drives the connection from here.
        let started = Instant::now();
        while !event.is_done() {
            assert!(started.elapsed() < Duration::from_secs(5), "the event was never handled");
            smol::Timer::after(Duration::from_millis(1)).await;
        }
        assert!(event.try_result().unwrap().unwrap()[0].line.ends_with("alarm raised"));
        // A deadline nobody awaits fires too.
        let quiet = conn.start(Wait4::new(["never"]).unwrap().timeout(Duration::from_millis(50)));
        let started = Instant::now();
        while !quiet.is_done() {
            assert!(started.elapsed() < Duration::from_secs(5), "the deadline never fired");
            smol::Timer::after(Duration::from_millis(1)).await;
        }
        assert!(quiet.try_result().unwrap().unwrap_err().is_timeout());
    });
}

/// A task that awaited a command gives the connection back as its result comes, so an event's
/// line right after it is handled at once by the connection's own task. Without that hand-back
/// the line's wake-up goes to the task that left, and the connection's task takes over only
/// after it has watched for a whole stall (50 ms, `assist::STALL`): every round here was then
/// 50 ms or more late. The fastest of five rounds must take under half of that (a busy machine
/// may delay some rounds, hardly all five).
#[test]
fn a_task_that_awaited_gives_the_connection_back_at_once() {
    let (conn, device) = pair(&SmolRunner::new());
    let mut took = Vec::new();
    smol::block_on(async {
        for round in 0..5 {
            let alarm = format!("alarm {round}");
            let event = conn.start(Wait4::new([alarm.as_str()]).unwrap().till_occurs_times(1));
            device.respond_on_next_write("pwd\r\n/root\r\nmoler_bash# ");
            assert_eq!(conn.start(Command::lines("pwd", PROMPT)).await.unwrap(), ["/root"]);
            let started = Instant::now();
            device.inject(format!("{alarm}\n"));
            // Only looks: nothing drives the connection from here.
            while !event.is_done() {
                assert!(started.elapsed() < WAIT, "round {round}: the event was never handled");
                smol::Timer::after(Duration::from_micros(200)).await;
            }
            took.push(started.elapsed());
        }
    });
    let fastest = took.iter().min().unwrap();
    assert!(*fastest < Duration::from_millis(25), "the event's line waited: {took:?}");
}

/// Dropping the last handle right after awaited commands closes the transport at once.
#[test]
fn dropping_the_handle_after_awaited_commands_closes_the_transport() {
    let (conn, device) = pair(&SmolRunner::new());
    smol::block_on(async {
        echoes(&conn, &device, 0..5).await;
    });
    let ev = conn.start(Wait4::new(["x"]).unwrap());
    drop(conn);
    assert!(ev.wait(WAIT).unwrap_err().is_closed());
}

/// An executor of your own that nobody runs: a result you await still comes (your task
/// drives the connection), where before the await waited for the executor for ever.
#[test]
fn an_awaited_result_comes_even_when_your_executor_is_not_run() {
    let ex = Arc::new(smol::Executor::new());
    let (conn, device) = pair(&SmolRunner::with_executor(Arc::clone(&ex)));
    device.respond_on_next_write("uname\r\nLinux\r\nmoler_bash# ");
    let out = smol::block_on(async {
        let limit = async {
            smol::Timer::after(WAIT).await;
            panic!("the awaited command never finished");
        };
        smol::future::or(conn.start(Command::lines("uname", PROMPT)), limit).await
    });
    assert_eq!(out.unwrap(), ["Linux"]);
}

/// The connections of an executor of your own are its tasks: what nobody awaits (an event's
/// line) waits for the executor to run, and dropping the executor fails what is still running
/// with a closed connection, saying so.
#[test]
fn your_executor_runs_the_connection_and_dropping_it_closes_the_connection() {
    let ex = Arc::new(smol::Executor::new());
    let (conn, device) = pair(&SmolRunner::with_executor(Arc::clone(&ex)));
    let line = conn.start(Wait4::new(["^hello$"]).unwrap().till_occurs_times(1));
    let never = conn.start(Wait4::new(["^never$"]).unwrap());
    device.inject("hello\r\n");
    std::thread::sleep(Duration::from_millis(100));
    assert!(line.try_result().is_none(), "nobody ran the executor yet");
    assert!(device.unread() > 0, "and nobody read the line");
    // Run it until the line was seen.
    let seen = smol::block_on(ex.run(async {
        let limit = async {
            smol::Timer::after(WAIT).await;
            panic!("the executor ran, the line never came");
        };
        smol::future::or(line, limit).await
    }));
    assert_eq!(seen.unwrap().len(), 1);
    drop(ex);
    let err = never.wait(WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
}
