//! Moler's command knobs on every runner, against a simulated device over real TCP: a line
//! that breaks a running tool, a timeout without Ctrl-C, a timeout changed from the handle
//! while the command runs, a command path, a callback when a command is done.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_io::tcp::{self, TcpOptions};
use moler_io::Greeting;
use moler_testkit::{on_every_runner, Rig};

const WAIT: Duration = Duration::from_secs(30);
const PROMPT: &str = "^sim> $";

/// A device whose `ping` prints a reply every 50 ms until Ctrl-C, then its statistics.
const DEVICE: &str = r#"
states:
  S:
    prompt: "sim> "
    commands:
      - regex: 'ping (\S+)'
        answer: "PING {1} 56(84) bytes of data."
        stream:
          line: "64 bytes from {1}: icmp_seq={n} ttl=64 time=0.04 ms"
          every_ms: 50
          interrupted: "--- {1} ping statistics ---\n{n} packets transmitted, {n} received"
      - regex: '(/usr/local/bin/)?hello'
        answer: "hello from {command}"
      - match: hang
        answer: "never"
        delay_ms: 600000
"#;

fn device(rig: &Rig) -> (moler_sim::Listener, ConnectionHandle) {
    let device = moler_sim::Device::from_yaml(DEVICE).unwrap();
    let sim =
        moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw).unwrap();
    let options = TcpOptions {
        greeting: Some(Greeting { marker: "sim> ".into(), prompt: "sim> ".into(), timeout: WAIT }),
        ..Default::default()
    };
    let port = sim.addr().port();
    let conn = rig.runner.spawn("sim", tcp::connect("127.0.0.1", port, &options).unwrap()).unwrap();
    (sim, conn)
}

on_every_runner!(
    a_line_breaks_a_running_tool_and_what_follows_is_parsed,
    a_timeout_without_break_leaves_the_tool_running,
    a_timeout_changed_from_the_handle_while_it_runs,
    a_command_path_and_a_done_callback,
    an_inactivity_callback_repeats_and_can_cancel
);

/// Moler's inactivity timeout: a command the device leaves silent gets the callback after each
/// 100 ms of silence; the third call cancels it (Ctrl-C, the prompt returns).
fn an_inactivity_callback_repeats_and_can_cancel(rig: &Rig) {
    let (_sim, conn) = device(rig);
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&calls);
    let period = Duration::from_millis(100);
    let hang = Command::lines("hang", PROMPT).on_inactivity(period, move |_cx| {
        if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == 3 {
            OnInactivity::Cancel
        } else {
            OnInactivity::KeepWaiting
        }
    });
    let started = Instant::now();
    let err = conn.start(hang).wait(WAIT).unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(started.elapsed() >= 3 * period, "three periods of silence: {:?}", started.elapsed());
    // The cancel's Ctrl-C interrupted the device: the next command runs.
    assert_eq!(
        conn.start(Command::lines("hello", PROMPT)).wait(WAIT).unwrap(),
        ["hello from hello"]
    );
}

fn a_line_breaks_a_running_tool_and_what_follows_is_parsed(rig: &Rig) {
    let (_sim, conn) = device(rig);
    let ping = Command::lines("ping 10.0.0.1", PROMPT).break_exec(r"icmp_seq=3 ");
    let out = conn.start(ping).wait(WAIT).unwrap();
    assert_eq!(out[0], "PING 10.0.0.1 56(84) bytes of data.");
    assert!(out[3].contains("icmp_seq=3 "), "{out:?}");
    assert!(out.iter().all(|l| l != "^C"), "the Ctrl-C's echo is not output: {out:?}");
    assert!(out.iter().any(|l| l.contains("ping statistics")), "parsed after the break: {out:?}");
    // The shell is at its prompt: the next command runs.
    assert_eq!(
        conn.start(Command::lines("hello", PROMPT)).wait(WAIT).unwrap(),
        ["hello from hello"]
    );
}

fn a_timeout_without_break_leaves_the_tool_running(rig: &Rig) {
    let (_sim, conn) = device(rig);
    let ping = Command::lines("ping 10.0.0.2", PROMPT)
        .timeout(Duration::from_millis(200))
        .break_on_timeout(false);
    let started = Instant::now();
    let err = conn.start(ping).wait(WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no terminating period: {:?}",
        started.elapsed()
    );
    // No Ctrl-C went out: the replies go on.
    let more = Wait4::new([r"icmp_seq=(\d+) "]).unwrap().till_occurs_times(3);
    let replies = conn.start(more).wait(WAIT).unwrap();
    assert_eq!(replies.len(), 3);
    let stop = Command::lines("", PROMPT).sends("\x03", false).ret_required(false);
    conn.start(stop).wait(WAIT).unwrap();
}

fn a_timeout_changed_from_the_handle_while_it_runs(rig: &Rig) {
    let (_sim, conn) = device(rig);
    // Ten replies take 500 ms: more than the command's 300 ms, made 30 s from its handle.
    let ping = Command::lines("ping 10.0.0.3", PROMPT)
        .timeout(Duration::from_millis(300))
        .break_exec(r"icmp_seq=10 ");
    let running = conn.start(ping);
    running.extend_timeout(Duration::from_secs(30));
    let out = running.wait(WAIT).unwrap();
    assert!(out.iter().any(|l| l.contains("icmp_seq=10 ")), "{out:?}");
    // And cut short: a new timeout of 100 ms from its start.
    let never =
        conn.start(Command::lines("ping 10.0.0.4", PROMPT).timeout(Duration::from_secs(60)));
    never.set_timeout(Duration::from_millis(100));
    let started = Instant::now();
    let err = never.wait(WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    // The timeout's Ctrl-C brought the prompt back.
    assert_eq!(
        conn.start(Command::lines("hello", PROMPT)).wait(WAIT).unwrap(),
        ["hello from hello"]
    );
}

fn a_command_path_and_a_done_callback(rig: &Rig) {
    let (_sim, conn) = device(rig);
    let hello = Command::lines("hello", PROMPT).command_path("/usr/local/bin/");
    assert_eq!(hello.command(), "/usr/local/bin/hello");
    let running = conn.start(hello);
    let (tx, rx) = mpsc::channel();
    running.on_done(move |r| {
        let _ = tx.send(r.as_ref().map(|lines| lines.len()).map_err(|e| e.to_string()));
    });
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Ok(1));
    assert_eq!(
        running.wait(WAIT).unwrap(),
        ["hello from /usr/local/bin/hello"],
        "the result stays"
    );
    // Only on failure: the success callback stays silent.
    let (tx, rx) = mpsc::channel();
    let failing = conn.start(Command::lines("nosuch", PROMPT));
    let on_success = tx.clone();
    failing.on_success(move |_| {
        let _ = on_success.send("success");
    });
    failing.on_failure(move |e| {
        let _ = tx.send(if e.to_string().contains("command not found") { "failure" } else { "?" });
    });
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "failure");
    assert!(failing.wait(WAIT).is_err());
    assert!(rx.try_recv().is_err(), "one callback only");
    // Added after it ended: called at once.
    let (tx, rx) = mpsc::channel();
    let failed = conn.start(Command::lines("nosuch", PROMPT));
    let _ = failed.wait(WAIT);
    failed.on_done(move |r| {
        let _ = tx.send(r.is_ok());
    });
    assert!(rx.try_recv().is_err(), "a result already taken calls nothing");
}
