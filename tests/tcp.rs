//! The TCP transport against the project's device simulator on 127.0.0.1, on every runner:
//! commands and events, and every fault ending in a clear error within its time.

use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_io::tcp::{self, TcpOptions};
use moler_io::Greeting;
use moler_testkit::{Simulator, SIM_BANNER, SIM_PROMPT, SIM_PROMPT_RE};

mod common;
use common::Rig;
use moler_testkit::on_every_runner;

const WAIT: Duration = Duration::from_secs(20);

fn cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, SIM_PROMPT_RE)
}

fn options() -> TcpOptions {
    TcpOptions {
        greeting: Some(Greeting {
            marker: SIM_BANNER.into(),
            prompt: SIM_PROMPT.into(),
            timeout: Duration::from_secs(10),
        }),
        ..Default::default()
    }
}

fn device(rig: &Rig, sim: &Simulator) -> ConnectionHandle {
    let transport = tcp::connect("127.0.0.1", sim.port(), &options()).unwrap();
    rig.runner.spawn("sim", transport).unwrap()
}

on_every_runner!(
    commands_and_events_run_over_tcp,
    the_peer_closing_mid_command_fails_it_at_once,
    a_reset_is_reported_as_a_reset,
    a_stalled_peer_times_the_command_out_at_its_deadline,
    opening_again_after_a_drop_works,
);

fn commands_and_events_run_over_tcp(rig: &Rig) {
    let sim = Simulator::start().unwrap();
    let dev = device(rig, &sim);
    let last = dev.start(Wait4::new(["^line 500$"]).unwrap().till_occurs_times(1));
    assert_eq!(dev.run(cmd("hello"), WAIT).unwrap(), ["hello from the simulator"]);
    assert_eq!(dev.run(cmd("echo over tcp"), WAIT).unwrap(), ["over tcp"]);
    let lines = dev.run(cmd("count 500"), WAIT).unwrap();
    assert_eq!(lines.len(), 500);
    assert_eq!(lines[499], "line 500");
    assert_eq!(last.wait(WAIT).unwrap()[0].line, "line 500");
    let err = dev.run(cmd("frobnicate").failure("command not found"), WAIT).unwrap_err();
    assert!(matches!(err, Error::CommandFailure { .. }), "{err}");
}

fn the_peer_closing_mid_command_fails_it_at_once(rig: &Rig) {
    let sim = Simulator::start().unwrap();
    let dev = device(rig, &sim);
    dev.run(cmd("hello"), WAIT).unwrap();
    let started = Instant::now();
    let err = dev.run(cmd("close-after 300"), WAIT).unwrap_err();
    let took = started.elapsed();
    assert!(err.is_closed(), "{err}");
    // The peer closes 300 ms after the command; the error follows within 100 ms.
    assert!(took < Duration::from_millis(400), "closed-connection error after {took:?}");
    assert!(dev.is_closed());
}

fn a_reset_is_reported_as_a_reset(rig: &Rig) {
    let sim = Simulator::start().unwrap();
    let dev = device(rig, &sim);
    dev.run(cmd("hello"), WAIT).unwrap();
    let started = Instant::now();
    let err = dev.run(cmd("reset-after 200"), WAIT).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(300), "{:?}", started.elapsed());
    match &err {
        Error::ConnectionClosed { reason: Some(reason), .. } => {
            assert_eq!(reason.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
        }
        other => panic!("expected a closed connection with the reset as reason, got {other}"),
    }
    assert!(err.to_string().contains("reset"), "{err}");
}

fn a_stalled_peer_times_the_command_out_at_its_deadline(rig: &Rig) {
    let sim = Simulator::start().unwrap();
    let dev = device(rig, &sim);
    dev.run(cmd("hello"), WAIT).unwrap();
    let started = Instant::now();
    let err = dev.run(cmd("stall").timeout(Duration::from_millis(500)), WAIT).unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err}");
    assert!(
        took >= Duration::from_millis(450) && took <= Duration::from_millis(550),
        "timed out after {took:?}, deadline 500 ms"
    );
}

fn opening_again_after_a_drop_works(rig: &Rig) {
    let sim = Simulator::start().unwrap();
    for round in 0..3 {
        let dev = device(rig, &sim);
        let out = dev.run(cmd(&format!("echo round {round}")), WAIT).unwrap();
        assert_eq!(out, [format!("round {round}")]);
        drop(dev);
    }
    assert_eq!(sim.accepted(), 3);
}

#[test]
fn a_refused_connection_names_host_and_port() {
    let refused = moler_testkit::RefusedPort::new();
    let port = refused.port();
    let started = Instant::now();
    let err = tcp::connect("127.0.0.1", port, &TcpOptions::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
    // Typed, with the refusal kept as the source and not repeated in the text.
    let moler_io::Error::Connect { source, .. } = &err else { panic!("{err:?}") };
    assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(!err.to_string().contains(&source.to_string()), "{err}");
    assert!(moler::Report(&err).to_string().ends_with(&source.to_string()));
    assert!(started.elapsed() < Duration::from_secs(2));
    let err = tcp::connect("no-such-host.invalid", 23, &TcpOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no-such-host.invalid:23"), "{err}");
}

/// An IPv6 host is named in brackets, in the transport's name and in a refusal
/// (`tcp:[::1]:7002`, not `tcp:::1:7002`, where the port reads as the address's last group).
#[test]
fn an_ipv6_address_is_named_in_brackets() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        return moler_testkit::skip("IPv6 names", "this machine has no IPv6 loopback (::1)");
    };
    let port = listener.local_addr().unwrap().port();
    let transport = tcp::connect("::1", port, &TcpOptions::default()).unwrap();
    assert_eq!(transport.name, format!("tcp:[::1]:{port}"));
    // Written in brackets (as a URL or a known_hosts file has it): the same address and name.
    let transport = tcp::connect("[::1]", port, &TcpOptions::default()).unwrap();
    assert_eq!(transport.name, format!("tcp:[::1]:{port}"));
    for _ in 0..2 {
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip(), std::net::Ipv6Addr::LOCALHOST, "both reached the listener on ::1");
    }
    drop(listener);
    let err = tcp::connect("::1", port, &TcpOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), format!("connect to [::1]:{port}"));
}

/// A greeting whose prompt is written as a regex (`…$`, as Moler users write prompts) never
/// matches, because it is plain text: the error, within its timeout, says so.
#[test]
fn a_greeting_written_as_a_regex_times_out_saying_it_is_plain_text() {
    let sim = Simulator::start().unwrap();
    let timeout = Duration::from_secs(1);
    let greeting = |prompt: String| TcpOptions {
        greeting: Some(Greeting { marker: SIM_BANNER.into(), prompt, timeout }),
        ..Default::default()
    };
    let open = |options: &TcpOptions| {
        let transport = tcp::connect("127.0.0.1", sim.port(), options).unwrap();
        ThreadRunner::new().spawn("sim", transport).unwrap()
    };
    let started = Instant::now();
    let err = open(&greeting(format!("{SIM_PROMPT}$"))).run(cmd("hello"), WAIT).unwrap_err();
    assert!(started.elapsed() < timeout + Duration::from_secs(5), "{:?}", started.elapsed());
    let text = moler::Report(&err).to_string();
    assert!(text.contains("greeting") && text.contains("timed out"), "{text}");
    assert!(text.contains("plain text, not regexes"), "{text}");
    // The same greeting as plain text works, and a plain-text greeting that times out (the
    // prompt never comes) gives no such hint.
    assert_eq!(open(&greeting(SIM_PROMPT.into())).run(cmd("hello"), WAIT).unwrap().len(), 1);
    let err = open(&greeting("never# ".into())).run(cmd("hello"), WAIT).unwrap_err();
    let text = moler::Report(&err).to_string();
    assert!(text.contains("timed out") && !text.contains("plain text"), "{text}");
}
