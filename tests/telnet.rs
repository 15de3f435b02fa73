//! The native telnet transport on every runner: against a real telnet daemon (Debian's
//! inetutils `telnetd`, behind `socat` on 127.0.0.1, running a bash), against the simulator's
//! telnet listener (moler-sim), and against hand-made servers for what real ones do rarely: a
//! reset, garbage option bytes, `0xFF` in the data.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_io::telnet::codec::{DO, DONT, IAC, SB, SE, WILL, WONT};
use moler_io::telnet::{self, TelnetOptions};
use moler_io::Greeting;
use moler_sim::{Device, Listener, Protocol};
use moler_testkit::{on_every_runner, Rig};

const WAIT: Duration = Duration::from_secs(20);
const TELNETD: &str = "/usr/sbin/telnetd";
const SOCAT: &str = "/usr/bin/socat";
const TD_PROMPT: &str = "moler_telnetd# ";

/// A process that dies with the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// inetutils `telnetd` on 127.0.0.1: `socat` accepts (forking per connection) and execs
/// telnetd on the socket, as inetd would; telnetd runs a bash with a known prompt in a pty.
/// Each telnetd traces its negotiation and reads (`--debug`: Debian's build writes
/// `/run/telnet/debug.PID`) for [`Telnetd::trace`]; the files go with the `Telnetd`.
struct Telnetd {
    port: u16,
    _socat: Reaped,
    dir: PathBuf,
}

impl Drop for Telnetd {
    fn drop(&mut self) {
        for file in self.traces() {
            let _ = std::fs::remove_file(file);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Telnetd {
    fn missing() -> Option<&'static str> {
        if !Path::new(TELNETD).exists() {
            return Some(
                "no telnetd (package inetutils-telnetd; scripts/test.sh installs it as root)",
            );
        }
        if !Path::new(SOCAT).exists() {
            return Some("no socat (scripts/test.sh installs it as root)");
        }
        None
    }

    fn start() -> Telnetd {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("moler-telnetd-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("inputrc"), "set enable-bracketed-paste off\n").unwrap();
        let shell = dir.join("shell.sh");
        std::fs::write(
            &shell,
            format!(
                "#!/bin/sh\necho $PPID >> {dir}/telnetd.pids\n\
                 export PS1='{TD_PROMPT}' INPUTRC={dir}/inputrc TERM=dumb\n\
                 exec /bin/bash --norc --noprofile -i\n",
                dir = dir.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&shell, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let mut socat = std::process::Command::new(SOCAT)
            .args(["-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork"])
            .arg(format!(
                "EXEC:{TELNETD} --debug=options --debug=report -h -E {},nofork",
                shell.display()
            ))
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = BufReader::new(socat.stderr.take().unwrap());
        let (tx, rx) = mpsc::channel();
        // Reads socat's log to its end (a full pipe would stop it).
        std::thread::spawn(move || {
            for line in log.lines().map_while(Result::ok) {
                if let Some(at) = line.find("listening on AF=2 127.0.0.1:") {
                    let port = line[at + "listening on AF=2 127.0.0.1:".len()..].trim().parse();
                    let _ = tx.send(port.ok());
                }
            }
            let _ = tx.send(None);
        });
        let port = rx.recv_timeout(WAIT).ok().flatten().expect("socat listens and says where");
        Telnetd { port, _socat: Reaped(socat), dir }
    }

    /// The trace files of this daemon's telnetds so far: the shell telnetd starts writes down
    /// its parent's pid.
    fn traces(&self) -> Vec<PathBuf> {
        let pids = std::fs::read_to_string(self.dir.join("telnetd.pids")).unwrap_or_default();
        pids.lines().map(|pid| PathBuf::from(format!("/run/telnet/debug.{}", pid.trim()))).collect()
    }

    /// What each telnetd so far negotiated, for a failure's message.
    fn trace(&self) -> String {
        let mut all = String::new();
        for file in self.traces() {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| format!("(no trace: {e})\n"))
                .replace('\r', "");
            all.push_str(&format!("--- {}\n{text}", file.display()));
        }
        all
    }

    fn options(&self) -> TelnetOptions {
        TelnetOptions {
            greeting: Some(Greeting {
                marker: TD_PROMPT.into(),
                prompt: TD_PROMPT.into(),
                timeout: Duration::from_secs(15),
            }),
            ..Default::default()
        }
    }
}

fn td_cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, "^moler_telnetd# $")
}

on_every_runner!(
    a_real_telnetd_runs_commands,
    a_real_telnetd_closing_ends_the_connection,
    the_simulators_telnet_listener_runs_commands,
    a_reset_is_an_error_naming_the_transport,
    garbage_options_are_refused_and_the_data_survives,
);

fn a_real_telnetd_runs_commands(rig: &Rig) {
    if let Some(why) = Telnetd::missing() {
        return moler_testkit::skip("telnet to a real telnetd", why);
    }
    let td = Telnetd::start();
    let dev = rig
        .runner
        .spawn("telnetd", telnet::connect("127.0.0.1", td.port, &td.options()).unwrap())
        .unwrap();
    assert_eq!(dev.transport(), format!("telnet:127.0.0.1:{}", td.port));
    assert_eq!(dev.run(td_cmd("echo $((6*7))"), WAIT).unwrap(), ["42"]);
    // The window size went over NAWS, the terminal type over TERMINAL-TYPE.
    let size = dev.run(td_cmd("stty size"), WAIT).unwrap();
    if size != ["50 300"] {
        // Seen once in CI ("0 0"), never reproduced: say whether the size came late or never,
        // and what telnetd negotiated.
        std::thread::sleep(Duration::from_secs(1));
        let later = dev.run(td_cmd("stty size"), WAIT);
        panic!("stty size: {size:?}, a second later: {later:?}\ntelnetd's trace:\n{}", td.trace());
    }
    let lines = dev.run(td_cmd("seq 1 2000"), WAIT).unwrap();
    assert_eq!(lines.len(), 2000);
    assert_eq!(lines[1999], "2000");
    // Bytes with the high bit and a bare CR pass as they are.
    let out = dev.run(td_cmd("printf 'a\\377b\\n'"), WAIT).unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with('a') && out[0].ends_with('b'), "{out:?}");
    dev.close();
    // Opening again works.
    let again = rig
        .runner
        .spawn("telnetd", telnet::connect("127.0.0.1", td.port, &td.options()).unwrap())
        .unwrap();
    // Seen once in CI (2026-12-06): the second telnetd reset the connection at this command,
    // never reproduced alone (36 runs): say what the telnetds negotiated if it comes again.
    let echoed = again.run(td_cmd("echo again"), WAIT);
    let echoed = echoed.unwrap_or_else(|e| panic!("{e}\ntelnetd's trace:\n{}", td.trace()));
    assert_eq!(echoed, ["again"]);
}

fn a_real_telnetd_closing_ends_the_connection(rig: &Rig) {
    if let Some(why) = Telnetd::missing() {
        return moler_testkit::skip("telnet to a real telnetd", why);
    }
    let td = Telnetd::start();
    let dev = rig
        .runner
        .spawn("telnetd", telnet::connect("127.0.0.1", td.port, &td.options()).unwrap())
        .unwrap();
    assert_eq!(dev.run(td_cmd("echo up"), WAIT).unwrap(), ["up"]);
    let started = Instant::now();
    let err = dev.run(td_cmd("exit"), WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(dev.is_closed());
}

const SIM_DEVICE: &str = r#"
banner: "Welcome to the simulated switch"
login:
  users: {admin: secret}
states:
  EXEC:
    prompt: "switch> "
    commands:
      - {match: show version, answer: "Version 1.2.3\nUptime 5 days"}
      - {regex: 'echo (?P<text>.*)', answer: "{text}"}
      - {match: quit, close: true}
"#;

/// Telnet to [`SIM_DEVICE`]: connected once its banner and login prompt are there.
fn sim_options() -> TelnetOptions {
    TelnetOptions {
        greeting: Some(Greeting {
            marker: "Welcome to the simulated switch".into(),
            prompt: "login: ".into(),
            timeout: WAIT,
        }),
        ..Default::default()
    }
}

fn the_simulators_telnet_listener_runs_commands(rig: &Rig) {
    let device = Arc::new(Device::from_yaml(SIM_DEVICE).unwrap());
    let sim = Listener::bind("127.0.0.1:0", device, Protocol::Telnet).unwrap();
    // The login dialog is the device's, over the bytes the transport carries: wait for the
    // user prompt, answer it, then the password.
    let options = sim_options();
    let transport = telnet::connect("127.0.0.1", sim.addr().port(), &options).unwrap();
    let dev = rig.runner.spawn("switch", transport).unwrap();
    // Nothing but the next prompt follows each: no output is the answer (and the password
    // is not echoed).
    dev.run(Command::lines("admin", "^Password: $").ret_required(false), WAIT).unwrap();
    dev.run(Command::lines("secret", "^switch> $").ret_required(false).expect_echo(false), WAIT)
        .unwrap();
    let prompt = "^switch> $";
    assert_eq!(
        dev.run(Command::lines("show version", prompt), WAIT).unwrap(),
        ["Version 1.2.3", "Uptime 5 days"]
    );
    assert_eq!(
        dev.run(Command::lines("echo telnet works", prompt), WAIT).unwrap(),
        ["telnet works"]
    );
    let err = dev.run(Command::lines("quit", prompt), WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
}

/// A hand-made telnet server on 127.0.0.1: `serve` gets each accepted socket.
fn server(serve: impl FnOnce(std::net::TcpStream) + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((peer, _)) = listener.accept() {
            serve(peer);
        }
    });
    port
}

fn a_reset_is_an_error_naming_the_transport(rig: &Rig) {
    let (go, reset) = mpsc::channel::<()>();
    let port = server(move |mut peer| {
        peer.write_all(&[IAC, WILL, 1]).unwrap();
        peer.write_all(b"router> ").unwrap();
        let _ = reset.recv_timeout(WAIT);
        rustix::net::sockopt::set_socket_linger(&peer, Some(Duration::ZERO)).unwrap();
        drop(peer); // an RST, as the linger is zero
    });
    let dev = rig
        .runner
        .spawn("router", telnet::connect("127.0.0.1", port, &TelnetOptions::default()).unwrap())
        .unwrap();
    let marks = dev.start(Wait4::new(["never"]).unwrap().till_occurs_times(1));
    std::thread::sleep(Duration::from_millis(100));
    go.send(()).unwrap();
    let err = marks.wait(WAIT).unwrap_err();
    match &err {
        moler::Error::ConnectionClosed { reason: Some(reason), .. } => {
            assert_eq!(reason.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
            assert!(
                reason.to_string().contains(&format!("telnet:127.0.0.1:{port}: read")),
                "{reason}"
            );
        }
        other => panic!("expected a closed connection with the reset as reason, got {other}"),
    }
}

fn garbage_options_are_refused_and_the_data_survives(rig: &Rig) {
    let (tx, answers) = mpsc::channel();
    let (go, wait) = mpsc::channel::<()>();
    let port = server(move |mut peer| {
        peer.set_read_timeout(Some(WAIT)).unwrap();
        let mut opening = [0; 6];
        peer.read_exact(&mut opening).unwrap();
        assert_eq!(opening, [IAC, WILL, 31, IAC, DO, 3], "offers NAWS, asks for SGA");
        // Once the test watches for the line.
        let _ = wait.recv_timeout(WAIT);
        let mut garbage = vec![IAC, WILL, 200, IAC, DO, 201, IAC, 17, IAC, WONT, 202];
        garbage.extend_from_slice(&[IAC, SB, 99, 1, 2, IAC, IAC, IAC, SE]);
        garbage.extend_from_slice(b"bin \xFF\xFF ok\r\n");
        garbage.extend_from_slice(&[IAC, SB, 98, 5]); // never ended: cut by the next command
        garbage.extend_from_slice(&[IAC, DONT, 203, IAC, 241]);
        garbage.extend_from_slice(b"ready> ");
        peer.write_all(&garbage).unwrap();
        let mut got = Vec::new();
        let mut buf = [0; 256];
        // The client's two refusals.
        while got.len() < 6 {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        tx.send(got).unwrap();
        // Keep the connection open until the client goes.
        let _ = peer.read(&mut buf);
    });
    let dev = rig
        .runner
        .spawn("odd", telnet::connect("127.0.0.1", port, &TelnetOptions::default()).unwrap())
        .unwrap();
    let line = dev.start(Wait4::new([r"^bin (.+) ok$"]).unwrap().till_occurs_times(1));
    go.send(()).unwrap();
    let seen = line.wait(WAIT).unwrap();
    assert_eq!(seen[0].line, "bin \u{FFFD} ok", "0xFF arrives once (not valid UTF-8 alone)");
    let got = answers.recv_timeout(WAIT).unwrap();
    assert_eq!(
        got,
        [IAC, DONT, 200, IAC, WONT, 201],
        "refused once each; WONT and DONT for what was never on unanswered"
    );
    dev.close();
}

#[test]
fn a_refused_connection_names_host_and_port() {
    let refused = moler_testkit::RefusedPort::new();
    let port = refused.port();
    let err = telnet::connect("127.0.0.1", port, &TelnetOptions::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    assert_eq!(err.to_string(), format!("connect to 127.0.0.1:{port}"));
}

/// Over IPv6: the simulator's telnet listener on ::1, reached and named `telnet:[::1]:PORT`.
#[test]
fn the_simulators_telnet_listener_on_ipv6_is_named_in_brackets() {
    let device = Arc::new(Device::from_yaml(SIM_DEVICE).unwrap());
    let Ok(sim) = Listener::bind("[::1]:0", device, Protocol::Telnet) else {
        return moler_testkit::skip("telnet over IPv6", "this machine has no IPv6 loopback (::1)");
    };
    let port = sim.addr().port();
    let transport = telnet::connect("::1", port, &sim_options()).unwrap();
    assert_eq!(transport.name, format!("telnet:[::1]:{port}"));
    let dev = Runner::from(ThreadRunner::new()).spawn("switch", transport).unwrap();
    dev.run(Command::lines("admin", "^Password: $").ret_required(false), WAIT).unwrap();
    dev.close();
}

/// `client: telnet`: Debian's telnet client in a pty, from YAML, against the simulator's
/// telnet listener; the login question waited for by the connection's greeting, the password
/// question answered with `ConnectionHandle::sendline` as an event sees it.
#[test]
fn the_telnet_client_in_a_pty_reaches_the_simulator() {
    if !Path::new("/usr/bin/telnet").exists() {
        moler_testkit::skip("client: telnet", "no telnet client (scripts/test.sh installs it)");
        return;
    }
    let device = Arc::new(Device::from_yaml(SIM_DEVICE).unwrap());
    let sim = Listener::bind("127.0.0.1:0", device, Protocol::Telnet).unwrap();
    // The first question comes as soon as the client connects, maybe before a script could
    // start an event for it: the connection's greeting waits for it (as the native
    // transport's test does), and an event is started before the next answer is sent.
    let yaml = format!(
        "NAMED_CONNECTIONS:\n  sw: {{io_type: telnet, client: telnet, host: 127.0.0.1, port: {}, \
         ready_marker: Welcome to the simulated switch, ready_prompt: 'login: '}}\n",
        sim.addr().port()
    );
    let config = moler::config::Config::from_yaml(&yaml).unwrap();
    let choice = config.transport_choice(&config.connections[0].spec);
    assert!(
        choice.starts_with("telnet: client: telnet (") && choice.ends_with("in a pty"),
        "{choice}"
    );
    let dev = config.open("sw").unwrap();
    assert!(dev.transport().starts_with("telnet-client:127.0.0.1:"), "{}", dev.transport());
    let ask = |pattern: &str| {
        moler_core::Wait4::new([pattern]).unwrap().match_partial_lines(true).till_occurs_times(1)
    };
    // The first command waits for the greeting (the login question) before it answers it.
    dev.run(Command::lines("admin", "^Password: $").ret_required(false), WAIT).unwrap();
    let prompt = dev.start(ask("^switch> $"));
    dev.sendline("secret");
    prompt.wait(WAIT).unwrap();
    assert_eq!(
        dev.run(Command::lines("show version", "^switch> $"), WAIT).unwrap(),
        ["Version 1.2.3", "Uptime 5 days"]
    );
    dev.close();

    let err = moler::config::Config::from_yaml(
        "NAMED_CONNECTIONS:\n  t: {io_type: telnet, host: h, client: putty}\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`client` \"putty\" must be native or telnet"), "{err}");
}

/// The simulator's telnet listener from code that awaits in a current-thread tokio runtime
/// (`#[tokio::test]`), where the awaiting task drives the connection itself: the login, many
/// commands one after another, output that comes in pieces.
#[test]
#[cfg(feature = "tokio")]
fn the_simulators_telnet_listener_awaited_on_a_current_thread_runtime() {
    let device = Arc::new(Device::from_yaml(SIM_DEVICE).unwrap());
    let sim = Listener::bind("127.0.0.1:0", device, Protocol::Telnet).unwrap();
    let options = sim_options();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let transport = telnet::connect("127.0.0.1", sim.addr().port(), &options).unwrap();
        let dev = moler::TokioRunner::new().unwrap().spawn("switch", transport).unwrap();
        let login = Command::lines("admin", "^Password: $").ret_required(false);
        dev.start(login).await.unwrap();
        let password =
            Command::lines("secret", "^switch> $").ret_required(false).expect_echo(false);
        dev.start(password).await.unwrap();
        let prompt = "^switch> $";
        for i in 0..100 {
            let out = dev.start(Command::lines(format!("echo line {i}"), prompt)).await.unwrap();
            assert_eq!(out, [format!("line {i}")]);
        }
        let version = dev.start(Command::lines("show version", prompt));
        let version = tokio::time::timeout(WAIT, version).await.expect("in time").unwrap();
        assert_eq!(version, ["Version 1.2.3", "Uptime 5 days"]);
        let err = dev.start(Command::lines("quit", prompt)).await.unwrap_err();
        assert!(err.is_closed(), "{err}");
    });
}
