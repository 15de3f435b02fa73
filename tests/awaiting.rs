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

/// A connection turned by the futures that await its results, fed `input` one piece per turn
/// (what an async runner's assist does with the descriptor's bytes).
struct Feed {
    conn: std::sync::Mutex<moler::moler_core::Connection>,
    input: std::sync::Mutex<Vec<&'static [u8]>>,
}

impl moler::moler_core::Assist for Feed {
    fn poll(&self, _: &mut std::task::Context<'_>) -> bool {
        let mut conn = self.conn.lock().unwrap();
        conn.handle_requests(Instant::now());
        if let Some(piece) = self.input.lock().unwrap().pop() {
            conn.handle_input(piece, Instant::now());
        }
        true
    }
    fn leave(&self) {}
}

/// A turn of the connection that finishes the observer does not wake the task that runs it
/// (that task looks at the result right after, in the same poll: waking it made async-io's
/// `block_on` pass through the reactor once more per command, and tokio's too); a turn that
/// does not finish it leaves the task's waker in, woken once when the result comes.
#[test]
fn an_assisting_turn_that_finishes_the_observer_does_not_wake_its_own_task() {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    let mut conn = moler::moler_core::Connection::new("assisted");
    let echo = conn.start(Command::lines("echo hi", "^\\$ $"), Instant::now());
    let pwd = conn.start(Command::lines("pwd", "^\\$ $"), Instant::now());
    let mailbox = Arc::clone(conn.mailbox());
    // Popped from the end: the echo's answer in two pieces, then pwd's.
    let input: Vec<&'static [u8]> = vec![b"pwd\r\n/root\r\n$ ", b"hi\r\n$ ", b"echo hi\r\n"];
    let feed = Arc::new(Feed { conn: Mutex::new(conn), input: Mutex::new(input) });
    mailbox.set_assist(Arc::clone(&feed) as Arc<dyn moler::moler_core::Assist>);

    // The task's waker as tokio's `block_on` gives it: not recognized in its clones.
    let count = Arc::new(AtomicUsize::new(0));
    let waker = moler_testkit::waker_unlike_its_clones(&count);
    assert!(!waker.will_wake(&waker.clone()), "the test waker is what it stands for");
    let mut cx = Context::from_waker(&waker);
    let mut echo = std::pin::pin!(echo);
    assert!(echo.as_mut().poll(&mut cx).is_pending(), "the echo alone came");
    let Poll::Ready(out) = echo.as_mut().poll(&mut cx) else { panic!("the prompt came") };
    assert_eq!(out.unwrap(), ["hi"]);
    assert_eq!(count.load(Ordering::SeqCst), 0, "its own turn finished it: no wake-up");

    // Polled once with nothing to read, then finished by another turn (another task's, a
    // runner's): the waker left in is woken, once.
    let mut pwd = std::pin::pin!(pwd);
    let answer = feed.input.lock().unwrap().pop().expect("pwd's answer, not fed yet");
    assert!(pwd.as_mut().poll(&mut cx).is_pending(), "nothing came for it");
    feed.conn.lock().unwrap().handle_input(answer, Instant::now());
    assert_eq!(count.load(Ordering::SeqCst), 1, "woken by the turn that finished it");
    let Poll::Ready(out) = pwd.as_mut().poll(&mut cx) else { panic!("finished") };
    assert_eq!(out.unwrap(), ["/root"]);
}

/// A task polling a result through `&self` again and again, in its clones too (tokio's
/// `block_on` waker, which `will_wake` does not recognize in them), is kept once, and another
/// task is another: each is woken once.
#[test]
fn a_task_polling_again_is_kept_once_even_where_will_wake_cannot_tell() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Context;

    let mut conn = moler::moler_core::Connection::new("polled");
    let pwd = conn.start(Command::lines("pwd", "^\\$ $"), Instant::now());
    let count = Arc::new(AtomicUsize::new(0));
    let waker = moler_testkit::waker_unlike_its_clones(&count);
    for _ in 0..3 {
        assert!(pwd.poll_result(&mut Context::from_waker(&waker.clone())).is_pending());
        assert!(pwd.poll_result(&mut Context::from_waker(&waker)).is_pending());
    }
    let other_count = Arc::new(AtomicUsize::new(0));
    let other = moler_testkit::waker_unlike_its_clones(&other_count);
    assert!(pwd.poll_result(&mut Context::from_waker(&other)).is_pending());
    conn.handle_input(b"pwd\r\n/root\r\n$ ", Instant::now());
    assert_eq!(count.load(Ordering::SeqCst), 1, "one task polling again: woken once");
    assert_eq!(other_count.load(Ordering::SeqCst), 1, "another task is another");
}

/// A result awaited where its connection cannot be driven (the runner's assist says so: inside
/// a turn of it, as a greeting is polled by the turn that reads it) did not assist, so its end
/// is not an assisting task leaving: only a future that drove says it left.
#[test]
fn only_a_future_that_drove_the_connection_says_it_left() {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    struct Gate {
        drives: bool,
        left: AtomicUsize,
    }
    impl moler::moler_core::Assist for Gate {
        fn poll(&self, _: &mut std::task::Context<'_>) -> bool {
            self.drives
        }
        fn leave(&self) {
            self.left.fetch_add(1, Ordering::SeqCst);
        }
    }
    for drives in [false, true] {
        let mut conn = moler::moler_core::Connection::new("gated");
        let pwd = conn.start(Command::lines("pwd", "^\\$ $"), Instant::now());
        let gate = Arc::new(Gate { drives, left: AtomicUsize::new(0) });
        conn.mailbox().set_assist(Arc::clone(&gate) as Arc<dyn moler::moler_core::Assist>);
        let mut pwd = std::pin::pin!(pwd);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(pwd.as_mut().poll(&mut cx).is_pending());
        conn.handle_input(b"pwd\r\n/root\r\n$ ", Instant::now());
        assert!(matches!(pwd.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
        assert_eq!(gate.left.load(Ordering::SeqCst), usize::from(drives), "drove: {drives}");
    }
}
