//! The async assist on a tokio current-thread runtime: a task that awaits a result drives the
//! connection itself, and the connection's own task takes it back when nobody does, so nothing
//! waits on a future that is not polled. (The smol runner's: `async_assist.rs`.)
#![cfg(feature = "tokio")]

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use std::sync::{Arc, Mutex};

use moler_core::{Command, Wait4};
use moler_runners::{CompletionExt, ConnectionHandle, TokioRunner};
use support::{echoes, Where};
use tokio::runtime::{Builder, Runtime};

const PROMPT: &str = "^moler_bash# ";
const WAIT: Duration = Duration::from_secs(20);

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn pair(rt: &Runtime) -> (ConnectionHandle, moler_io::memory::MemoryDevice) {
    let (io, device) = moler_io::memory::pair("assist");
    (TokioRunner::with_handle(rt.handle().clone()).spawn("assist", io).unwrap(), device)
}

/// Polls `fut` once with a waker that does nothing: `Some` if it was ready.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    match std::pin::Pin::new(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Waits (asynchronously, 1 ms at a time, nothing driving the connection from here) until
/// `done` says so.
async fn until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(5), "{what} never happened");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Commands awaited one after another in `#[tokio::test]` style code get their answers.
#[test]
fn awaited_commands_get_their_answers() {
    let rt = current_thread();
    let (conn, device) = pair(&rt);
    rt.block_on(async {
        echoes(&conn, &device, 0..50).await;
    });
}

/// The answer to an awaited command is handled where it is awaited (in `block_on`, in a task
/// of the runtime), not in the connection's own task, which would then have to wake it.
///
/// Not how many: the connection's own task takes an answer that comes before the awaiting task
/// first polls (the command is written when it starts), or while that task is away longer than
/// the home task waits for it, which a loaded machine makes common (the smol runner's test
/// failed so in CI under load). What the assist saves is the `roundtrip` bench's to measure; here, that answers
/// are handled where they are awaited at all: ten of them, within 400 commands, each way.
#[test]
fn an_awaited_answer_is_handled_by_the_awaiting_task() {
    let rt = current_thread();
    let (conn, device) = pair(&rt);
    let tasks = Arc::new(Mutex::new(Vec::new()));
    let run = |conn: ConnectionHandle, tasks: Arc<Mutex<Vec<_>>>| {
        let device = device.clone();
        async move {
            // `None` in `block_on`.
            let me = tokio::task::try_id();
            for i in 0..400 {
                if tasks.lock().unwrap().iter().filter(|t| **t == me).count() >= 10 {
                    break;
                }
                device.respond_on_next_write(format!("echo {i}\r\n{i}\r\nmoler_bash# "));
                let tasks = Arc::clone(&tasks);
                let here = tokio::task::try_id;
                conn.start(Where { line: format!("echo {i}"), seen: tasks, here }).await.unwrap();
            }
        }
    };
    rt.block_on(run(conn.clone(), Arc::clone(&tasks)));
    let in_block_on = std::mem::take(&mut *tasks.lock().unwrap());
    let task = rt.spawn(run(conn, Arc::clone(&tasks)));
    let id = task.id();
    rt.block_on(task).unwrap();
    let in_task = std::mem::take(&mut *tasks.lock().unwrap());
    let here = in_block_on.iter().filter(|t| t.is_none()).count();
    assert!(
        here >= 10,
        "answers handled in block_on: {here} of {} ({in_block_on:?})",
        in_block_on.len()
    );
    let here = in_task.iter().filter(|t| **t == Some(id)).count();
    assert!(
        here >= 10,
        "answers handled in the awaiting task: {here} of {} ({in_task:?})",
        in_task.len()
    );
}

/// A future that assisted once and is then kept without being polled (as `select!` leaves
/// the branch that lost) must not stall the connection: its own task takes it back.
#[test]
fn a_future_polled_once_and_kept_does_not_stall_the_connection() {
    let rt = current_thread();
    let (conn, device) = pair(&rt);
    rt.block_on(async {
        let event = conn.start(Wait4::new(["link up"]).unwrap().till_occurs_times(1));
        let mut slow = pin!(conn.start(Command::lines("slow", PROMPT)));
        assert!(poll_once(&mut slow).is_none(), "no answer yet");
        // The line comes now; only the connection's own task can notice it.
        device.inject("link up\n");
        until("the event's line", || event.is_done()).await;
        assert_eq!(event.try_result().unwrap().unwrap()[0].line, "link up");
        device.inject("slow\r\nok\r\nmoler_bash# ");
        assert_eq!(slow.await.unwrap(), ["ok"]);
    });
}

/// After an awaited command, output nobody awaits (an event's line, a deadline) is handled by
/// the connection's own task, promptly.
#[test]
fn output_nobody_awaits_is_handled_after_an_awaited_command() {
    let rt = current_thread();
    let (conn, device) = pair(&rt);
    rt.block_on(async {
        let event = conn.start(Wait4::new(["alarm"]).unwrap().till_occurs_times(1));
        device.respond_on_next_write("pwd\r\n/root\r\nmoler_bash# ");
        assert_eq!(conn.start(Command::lines("pwd", PROMPT)).await.unwrap(), ["/root"]);
        device.inject("alarm raised\n");
        until("the event's line", || event.is_done()).await;
        assert!(event.try_result().unwrap().unwrap()[0].line.ends_with("alarm raised"));
        // A deadline nobody awaits fires too.
        let quiet = conn.start(Wait4::new(["never"]).unwrap().timeout(Duration::from_millis(50)));
        until("the deadline", || quiet.is_done()).await;
        assert!(quiet.try_result().unwrap().unwrap_err().is_timeout());
    });
}

/// A runtime driven by short `block_on` calls, one per command (the runtime does not run
/// between them): every answer comes, and output that came between two calls is not lost.
#[test]
fn short_block_on_calls_one_per_command() {
    let rt = current_thread();
    let (conn, device) = pair(&rt);
    let event = conn.start(Wait4::new(["between"]).unwrap().till_occurs_times(1));
    for i in 0..10 {
        device.respond_on_next_write(format!("echo {i}\r\n{i}\r\nmoler_bash# "));
        let out = rt.block_on(conn.start(Command::lines(format!("echo {i}"), PROMPT))).unwrap();
        assert_eq!(out, [i.to_string()]);
        if i == 4 {
            device.inject("between calls\n");
        }
    }
    let found = rt.block_on(async { tokio::time::timeout(WAIT, event).await }).unwrap().unwrap();
    assert!(found[0].line.ends_with("between calls"), "{found:?}");
}

/// Dropping the last handle right after awaited commands closes the transport at once.
#[test]
fn dropping_the_handle_after_awaited_commands_closes_the_transport() {
    let rt = current_thread();
    let (conn, device) = pair(&rt);
    rt.block_on(async {
        echoes(&conn, &device, 0..5).await;
        let ev = conn.start(Wait4::new(["x"]).unwrap());
        drop(conn);
        let closed = tokio::time::timeout(WAIT, ev).await.expect("closed at once");
        assert!(closed.unwrap_err().is_closed());
    });
}

/// A connection of a current-thread runtime awaited from another thread while that runtime
/// runs on its own thread: the answer comes (the awaiting future drives the connection; the
/// runtime's thread dispatches its readiness).
#[test]
fn awaited_from_another_thread_than_the_runtime_s() {
    let rt = Arc::new(current_thread());
    let (conn, device) = pair(&rt);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runs = std::thread::spawn({
        let (rt, stop) = (Arc::clone(&rt), Arc::clone(&stop));
        move || rt.block_on(until("the test's end", move || stop.load(SeqCst)))
    });
    for i in 0..10 {
        device.respond_on_next_write(format!("echo {i}\r\n{i}\r\nmoler_bash# "));
        let out = conn.start(Command::lines(format!("echo {i}"), PROMPT)).wait(WAIT).unwrap();
        assert_eq!(out, [i.to_string()]);
    }
    let awaited = std::thread::spawn(move || {
        park_block_on(async {
            device.respond_on_next_write("uname\r\nLinux\r\nmoler_bash# ");
            conn.start(Command::lines("uname", PROMPT)).await
        })
    });
    assert_eq!(awaited.join().unwrap().unwrap(), ["Linux"]);
    stop.store(true, SeqCst);
    runs.join().unwrap();
}

/// A minimal `block_on` of this test's own (no runtime): parks until woken.
fn park_block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    let started = Instant::now();
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        assert!(started.elapsed() < WAIT, "the awaited command never finished");
        std::thread::park_timeout(WAIT);
    }
}

/// A blocking `run` from a plain thread on a current-thread runtime that no `block_on` runs,
/// over TCP (a descriptor: its readiness comes only from the runtime's reactor): the command
/// is typed (from the waiting thread) but its answer is not read; the timeout says why.
#[test]
fn a_blocking_run_nobody_reads_for_says_why() {
    let rt = current_thread();
    let conn = rt.block_on(async {
        let transport = moler_io::tcp::connect("127.0.0.1", support::device(), &Default::default());
        TokioRunner::new().unwrap().spawn("idle", transport.unwrap()).unwrap()
    });
    let err = std::thread::spawn({
        let conn = conn.clone();
        move || conn.run(Command::lines("cmd 1", support::PROMPT), Duration::from_millis(300))
    })
    .join()
    .unwrap()
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, moler_core::Error::Timeout { .. }), "{text}");
    assert!(text.contains("tokio current-thread runtime, which reads its answers only"), "{text}");
    // Inside `block_on` the connection reads again.
    let out = rt.block_on(conn.start(Command::lines("cmd 2", support::PROMPT))).unwrap();
    assert_eq!(out, ["ok 2"]);
}

/// A turn the awaiting task missed because a plain thread held the connection, starting an
/// observer of its own, is taken when that thread lets the connection go, also before the
/// connection's first turn: that thread wakes whoever drives, and before any turn nobody had
/// said who that was, so the wake-up was lost and the answer never read (the stress test hung
/// so at the start of a round, in 4 of about 200 runs with both CPUs busy).
#[test]
fn a_turn_missed_to_a_thread_starting_an_observer_is_taken_when_it_lets_go() {
    let rt = current_thread();
    let (conn, device) = pair(&rt);
    device.respond_on_next_write("echo 1\r\n1\r\nmoler_bash# ");
    // Written at once (the connection is free): only its answer is left to read.
    let cmd = conn.start(Command::lines("echo 1", PROMPT).timeout(WAIT));
    let (entered, held) = std::sync::mpsc::channel();
    let (open, gate) = std::sync::mpsc::channel();
    let holder = {
        let conn = conn.clone();
        std::thread::spawn(move || drop(conn.start(support::HoldsOnStart { entered, gate })))
    };
    held.recv_timeout(WAIT).expect("the other thread's start holds the connection");
    let opener = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let _ = open.send(());
    });
    let since = Instant::now();
    // (The timeout's own wake-up polls the command again, which then reads the answer: so the
    // time it took says whether the wake-up was lost.)
    let out = rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), cmd).await });
    let took = since.elapsed();
    assert!(took < Duration::from_secs(5), "the answer read after {took:?}: a wake-up was lost");
    assert_eq!(out.expect("answered").unwrap(), ["1"]);
    holder.join().unwrap();
    opener.join().unwrap();
}
