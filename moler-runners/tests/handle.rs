//! A connection's handle on every runner: what it says of itself, what it sends, its timeout
//! action, a transport's control (a break), closing, and where a blocking wait is refused
//! (inside an observer's callback, on a tokio task).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_core::{Command, Context, Error, Observer, Step, TimeoutAction, Wait4};
use moler_io::memory::MemoryDevice;
use moler_runners::{CompletionExt, ConnectionHandle};

#[macro_use]
mod support;
use support::Rig;

const WAIT: Duration = Duration::from_secs(20);

on_every_runner!(
    a_handle_names_its_connection_transport_and_runner,
    send_and_sendline_write_in_order_and_close_ends_it,
    the_timeout_action_is_the_connections_and_commands_use_it,
    a_sooner_deadline_moves_the_armed_timer,
    a_break_goes_to_the_transports_control_or_is_unsupported,
    a_blocking_wait_inside_a_callback_is_refused,
);

/// Waits until `device` was written `expected`, or fails after [`WAIT`].
fn written(device: &MemoryDevice, expected: &str) {
    let since = Instant::now();
    let mut got = Vec::new();
    while got != expected.as_bytes() {
        assert!(since.elapsed() < WAIT, "got {:?}", String::from_utf8_lossy(&got));
        got.extend(device.take_written());
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn a_handle_names_its_connection_transport_and_runner(rig: &Rig) {
    let (conn, _device) = rig.pair("dut-7");
    assert_eq!(conn.name(), "dut-7");
    assert_eq!(conn.transport(), "memory:dut-7");
    assert!(conn.greeting().is_none(), "a memory transport waits for nothing");
    assert_eq!(conn.runner(), rig.runner.kind());
    let debug = format!("{conn:?}");
    assert!(debug.contains("dut-7") && debug.contains("memory:dut-7"), "{debug}");
    assert!(debug.contains(&format!("{:?}", rig.runner.kind())), "{debug}");
    assert!(conn.control().is_none());
}

fn send_and_sendline_write_in_order_and_close_ends_it(rig: &Rig) {
    let (conn, device) = rig.pair("dut");
    conn.send("ab");
    conn.sendline("cd");
    conn.send("");
    conn.sendline("");
    written(&device, "abcd\n\n");
    assert!(!conn.is_closed());
    let event = conn.start(Wait4::new(["never"]).unwrap());
    conn.close();
    assert!(event.wait(WAIT).unwrap_err().is_closed(), "what waits on it fails at once");
    let since = Instant::now();
    while !conn.is_closed() {
        assert!(since.elapsed() < WAIT, "the handle never saw the close");
        std::thread::sleep(Duration::from_millis(1));
    }
    conn.sendline("after"); // nowhere to go, and no panic
    assert!(device.take_written().is_empty());
}

/// The connection's timeout action (Ctrl-C unless set) is what a command that times out
/// sends, and every handle of the connection sees a change.
fn the_timeout_action_is_the_connections_and_commands_use_it(rig: &Rig) {
    let (conn, device) = rig.pair("dut");
    assert_eq!(conn.timeout_action(), TimeoutAction::CtrlC);
    let other = conn.clone();
    other.set_timeout_action(TimeoutAction::CtrlZ);
    assert_eq!(conn.timeout_action(), TimeoutAction::CtrlZ);
    let cmd = Command::lines("sleep 9", "^moler_bash# $").timeout(Duration::from_millis(100));
    let err = conn.run(cmd, WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    written(&device, "sleep 9\n\u{1a}");
}

/// A deadline sooner than the one the connection's timer is armed for (an event with a short
/// timeout started after one with a long timeout) fires on time: the timer is moved earlier,
/// not left at the long one.
fn a_sooner_deadline_moves_the_armed_timer(rig: &Rig) {
    let (conn, device) = rig.pair("dut");
    let long = conn.start(Wait4::new(["^never$"]).unwrap().timeout(Duration::from_secs(600)));
    // A round trip after it: the connection has taken the long deadline and waits for it.
    device.respond_on_next_write("pwd\r\n/root\r\nmoler_bash# ");
    conn.run(Command::lines("pwd", "^moler_bash# $"), WAIT).unwrap();
    let started = Instant::now();
    let short = conn.start(Wait4::new(["^never$"]).unwrap().timeout(Duration::from_millis(300)));
    let err = short.wait(WAIT).unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err}");
    assert!(took >= Duration::from_millis(300), "timed out after {took:?}");
    // Generous for a busy machine; left at the long deadline, it waited out `WAIT`.
    assert!(took < Duration::from_secs(10), "timed out after {took:?}");
    assert!(long.try_result().is_none(), "the long one still waits");
}

/// Counts its breaks.
struct Breaks(AtomicUsize);

impl moler_io::Control for Breaks {
    fn send_break(&self) -> std::io::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn a_break_goes_to_the_transports_control_or_is_unsupported(rig: &Rig) {
    let breaks = Arc::new(Breaks(AtomicUsize::new(0)));
    let (conn, _device) = rig.pair_with("serial", |io| io.control = Some(breaks.clone()));
    assert!(conn.control().is_some());
    conn.send_break().unwrap();
    conn.send_break().unwrap();
    assert_eq!(breaks.0.load(Ordering::SeqCst), 2);
    // From async code: on a thread of its own, awaited.
    smol::block_on(conn.send_break_async()).unwrap();
    assert_eq!(breaks.0.load(Ordering::SeqCst), 3);

    let (plain, _device) = rig.pair("plain");
    let err = plain.send_break().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
    assert_eq!(err.to_string(), "plain: transport memory:plain cannot send a break");
    let err = smol::block_on(plain.send_break_async()).unwrap_err();
    assert_eq!(err.to_string(), "plain: transport memory:plain cannot send a break");
}

/// On `go`, runs a command by the blocking `run` from inside its own callback, and ends with
/// what that gave.
struct BlocksInside {
    conn: ConnectionHandle,
}

impl Observer for BlocksInside {
    type Output = String;
    fn describe(&self) -> String {
        "blocks inside".into()
    }
    fn on_data(&mut self, data: &str, _: &mut Context<'_>) -> Step<String> {
        if !data.contains("go") {
            return Step::Pending;
        }
        let got = self.conn.run(Command::lines("pwd", "^# $"), Duration::from_secs(1));
        Step::Done(Ok(match got {
            Err(Error::WrongUsage(why)) => why,
            other => format!("not refused: {other:?}"),
        }))
    }
}

/// A blocking wait inside an observer's callback would stall the connection that must answer
/// it: refused at once, saying why, and `blocking_allowed` says so there; outside, allowed.
fn a_blocking_wait_inside_a_callback_is_refused(rig: &Rig) {
    assert!(moler_runners::blocking_allowed().is_ok(), "a plain thread may block");
    let (conn, device) = rig.pair("dut");
    let inside = conn.start(BlocksInside { conn: conn.clone() });
    device.inject("go\n");
    let why = inside.wait(WAIT).unwrap();
    assert!(why.contains("inside an observer callback"), "{why}");
}

/// On a tokio runtime's task a blocking wait is refused (it would block a worker); inside
/// `spawn_blocking` and on a plain thread it is allowed.
#[cfg(feature = "tokio")]
#[test]
fn a_blocking_wait_on_a_tokio_task_is_refused() {
    for multi in [false, true] {
        let rt = if multi {
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
        } else {
            tokio::runtime::Builder::new_current_thread().enable_all().build()
        };
        let rt = rt.unwrap();
        let (io, _device) = moler_io::memory::pair("dut");
        let runner = moler_runners::Runner::from(moler_runners::TokioRunner::with_handle(
            rt.handle().clone(),
        ));
        assert_eq!(runner.kind(), moler_runners::RunnerKind::Tokio);
        let conn = runner.spawn("dut", io).unwrap();
        let on_task = rt.block_on(async { moler_runners::blocking_allowed() });
        let err = on_task.unwrap_err();
        assert!(err.to_string().contains("inside a tokio runtime"), "{err}");
        let spawned = rt.block_on(rt.spawn({
            let conn = conn.clone();
            async move { conn.run(Command::lines("pwd", "^# $"), Duration::from_secs(1)) }
        }));
        let err = spawned.unwrap().unwrap_err();
        assert!(matches!(err, Error::WrongUsage(_)), "{err}");
        let blocking = rt.block_on(rt.spawn_blocking(moler_runners::blocking_allowed));
        assert!(blocking.unwrap().is_ok(), "spawn_blocking may block");
        // Unrelated to any runtime, the thread may block even while the runtime lives.
        assert!(moler_runners::blocking_allowed().is_ok());
    }
}
