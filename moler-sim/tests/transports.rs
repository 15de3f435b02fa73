//! The simulator on real transports, driven by moler: the `moler-sim` program in a real pty
//! (bash's terminal execs it) and on pipes, the TCP server (raw: many sessions at once,
//! Ctrl-Z, a reboot; telnet: the negotiation byte for byte), and in-process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::commands::unix::{Ls, Ping, Whoami};
use moler::prelude::*;
use moler_io::process::{self, ProcessOptions};
use moler_io::tcp::{self, TcpOptions};
use moler_io::terminal::TerminalOptions;
use moler_io::Greeting;
use moler_sim::telnet::{DO, DONT, ECHO, IAC, SB, SE, SGA, WILL};
use moler_sim::{Device, Listener, Protocol};

const T: Duration = Duration::from_secs(20);
const SIM: &str = env!("CARGO_BIN_EXE_moler-sim");
const UNIX_HOST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/devices/unix_host.yml");
const LOGIN: &str = "^debian login: $";
const USER: &str = r"^molertest@debian:~\$ $";
const ROOT: &str = r"^root@debian:/home/molertest# $";

fn unix_host() -> Arc<Device> {
    Arc::new(Device::from_file(UNIX_HOST).unwrap())
}

/// What the device shows before its first prompt: commands wait for it.
fn greeting() -> Greeting {
    Greeting {
        marker: "Debian GNU/Linux 9 debian ttyS0".into(),
        prompt: "debian login: ".into(),
        timeout: T,
    }
}

fn tcp_options() -> TcpOptions {
    TcpOptions { greeting: Some(greeting()), ..Default::default() }
}

/// Logs in at the device's `login:` prompt (already shown) and checks the greeting.
fn log_in(dev: &ConnectionHandle) {
    dev.run(Command::lines("molertest", "^Password: $").ret_required(false), T).unwrap();
    // The password is not echoed: nothing to wait for but the prompt.
    let greeting = dev
        .run(Command::lines("moler123", USER).expect_echo(false).ret_required(false), T)
        .unwrap();
    assert!(greeting.iter().any(|l| l.starts_with("Last login: ")), "{greeting:?}");
}

/// The session every transport gets: typed Moler commands parse the device's answers, a
/// streaming ping ends by its count, another one is interrupted by the Ctrl-C of a timed-out
/// command, `su` with its password reaches root and `exit` comes back.
fn scenario(dev: &ConnectionHandle) {
    log_in(dev);
    assert_eq!(dev.run(Whoami::new().command_with_prompt(USER), T).unwrap().user, "molertest");
    let ls = dev.run(Ls::new().options("-l").command_with_prompt(USER), T).unwrap();
    assert!(ls.files.contains_key("bin") && ls.files.contains_key("logsremote"), "{ls:?}");
    let ping =
        dev.run(Ping::new("127.0.0.1").options("-c 2").command_with_prompt(USER), T).unwrap();
    assert_eq!((ping.packets_transmitted, ping.packets_received), (2, 2));
    let err =
        dev.run(Command::lines("ping 10.0.0.1", USER), Duration::from_millis(1500)).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    // The timed-out command sent Ctrl-C: the stream stopped and the prompt is back.
    assert_eq!(dev.run(Command::lines("hostname", USER), T).unwrap(), ["debian"]);
    let err = dev.run(Command::lines("frobnicate", USER), T).unwrap_err();
    assert!(err.to_string().contains("-bash: frobnicate: command not found"), "{err}");
    dev.run(Command::lines("su", "^Password: $").ret_required(false), T).unwrap();
    dev.run(Command::lines("root123", ROOT).expect_echo(false).ret_required(false), T).unwrap();
    assert_eq!(dev.run(Whoami::new().command_with_prompt(ROOT), T).unwrap().user, "root");
    dev.run(Command::lines("exit", USER).ret_required(false), T).unwrap();
}

#[test]
fn the_program_in_a_real_pty_through_the_terminal_transport() {
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let shell = moler::local_shell_on(&runner, &TerminalOptions::default()).unwrap();
    // bash's terminal becomes the device's: the program puts it in raw mode (so Ctrl-C is a
    // byte for the device, not a signal) and echoes by itself.
    let banner = shell
        .run(Command::lines(format!("exec {SIM} {UNIX_HOST}"), LOGIN).ret_required(false), T)
        .unwrap();
    assert_eq!(banner, ["Debian GNU/Linux 9 debian ttyS0"]);
    scenario(&shell);
    // `exit` ends the program, and with it the terminal (bash was replaced by it).
    let err = shell.run(Command::lines("exit", USER), T).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err}");
}

#[test]
fn the_program_on_pipes_through_the_process_transport() {
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let mut options = ProcessOptions::new(SIM, [UNIX_HOST]);
    options.greeting = Some(greeting());
    let dev = runner.spawn("sim-pipes", process::spawn(&options).unwrap()).unwrap();
    scenario(&dev);
}

#[test]
fn in_process_on_a_poll_based_transport() {
    for kind in [RunnerKind::Thread, RunnerKind::Smol] {
        let runner = Runner::new(kind).unwrap();
        let mut transport = moler_sim::memory::transport(unix_host(), "unit");
        transport.greeting = Some(greeting());
        let dev = runner.spawn("sim-mem", transport).unwrap();
        scenario(&dev);
        // `exit` closes the device, and so the connection.
        let err = dev.run(Command::lines("exit", USER), T).unwrap_err();
        assert!(matches!(err, Error::ConnectionClosed { .. }), "{kind:?}: {err}");
    }
}

#[test]
fn tcp_serves_many_sessions_at_once() {
    let listener = Listener::bind("127.0.0.1:0", unix_host(), Protocol::Raw).unwrap();
    let port = listener.addr().port();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    const SESSIONS: usize = 200;
    let started = Instant::now();
    let results = rt.block_on(async move {
        let runner = Runner::new(RunnerKind::Tokio).unwrap();
        let mut tasks = Vec::new();
        for i in 0..SESSIONS {
            let runner = runner.clone();
            tasks.push(tokio::spawn(async move {
                let t = tcp::connect("127.0.0.1", port, &tcp_options()).unwrap();
                let dev = runner.spawn(&format!("s{i}"), t).unwrap();
                dev.start(Command::lines("molertest", "^Password: $").ret_required(false))
                    .await
                    .unwrap();
                dev.start(Command::lines("moler123", USER).expect_echo(false).ret_required(false))
                    .await
                    .unwrap();
                let mut got = Vec::new();
                for n in 0..5 {
                    let out =
                        dev.start(Command::lines(format!("echo {i}-{n}"), USER)).await.unwrap();
                    got.push(out.join(""));
                }
                // A slow answer (50 ms) in every session at once: the delays overlap.
                let df = dev.start(Command::lines("df -BM -T -P", USER)).await.unwrap();
                assert_eq!(df.len(), 8, "{df:?}");
                dev.close();
                got
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.unwrap());
        }
        all
    });
    let took = started.elapsed();
    for (i, got) in results.iter().enumerate() {
        assert_eq!(*got, (0..5).map(|n| format!("{i}-{n}")).collect::<Vec<_>>());
    }
    assert_eq!(listener.accepted(), SESSIONS);
    eprintln!(
        "tcp: {SESSIONS} sessions at once, 9 commands each (login included), in {:.0} ms",
        took.as_secs_f64() * 1e3
    );
}

#[test]
fn tcp_round_trips_per_second_of_one_session() {
    let listener = Listener::bind("127.0.0.1:0", unix_host(), Protocol::Raw).unwrap();
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let t = tcp::connect("127.0.0.1", listener.addr().port(), &tcp_options()).unwrap();
    let dev = runner.spawn("rt", t).unwrap();
    log_in(&dev);
    let n = 1000;
    let started = Instant::now();
    for i in 0..n {
        assert_eq!(dev.run(Command::lines(format!("echo {i}"), USER), T).unwrap(), [i.to_string()]);
    }
    let took = started.elapsed();
    eprintln!(
        "tcp: {n} commands in one session in {:.0} ms ({:.0} commands/s, moler command round trips)",
        took.as_secs_f64() * 1e3,
        n as f64 / took.as_secs_f64()
    );
}

/// Reads from `c` until the bytes end with `end`; everything read.
fn read_until(c: &mut TcpStream, end: &[u8]) -> Vec<u8> {
    c.set_read_timeout(Some(T)).unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.ends_with(end) {
        let n = c
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("{e}; so far {:?}", String::from_utf8_lossy(&seen)));
        assert!(n > 0, "closed; so far {:?}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    seen
}

fn raw_login(c: &mut TcpStream) {
    read_until(c, b"debian login: ");
    c.write_all(b"molertest\r").unwrap();
    read_until(c, b"Password: ");
    c.write_all(b"moler123\r").unwrap();
    read_until(c, b"molertest@debian:~$ ");
}

#[test]
fn ctrl_z_stops_a_running_command_over_tcp() {
    let listener = Listener::bind("127.0.0.1:0", unix_host(), Protocol::Raw).unwrap();
    let mut c = TcpStream::connect(listener.addr()).unwrap();
    raw_login(&mut c);
    c.write_all(b"sleep 5\r").unwrap();
    read_until(&mut c, b"sleep 5\r\n");
    c.write_all(b"\x1a").unwrap();
    let out = read_until(&mut c, b"molertest@debian:~$ ");
    assert_eq!(out, b"^Z\r\n[1]+  Stopped                 sleep 5\r\nmolertest@debian:~$ ");
}

#[test]
fn a_reboot_closes_refuses_connections_then_comes_back() {
    let listener = Listener::bind("127.0.0.1:0", unix_host(), Protocol::Raw).unwrap();
    let mut c = TcpStream::connect(listener.addr()).unwrap();
    raw_login(&mut c);
    c.write_all(b"su\r").unwrap();
    read_until(&mut c, b"Password: ");
    c.write_all(b"root123\r").unwrap();
    read_until(&mut c, b"root@debian:/home/molertest# ");
    let t0 = Instant::now();
    c.write_all(b"reboot\r").unwrap();
    read_until(&mut c, b"The system is going down for reboot NOW!\r\n");
    let mut buf = [0u8; 64];
    assert_eq!(c.read(&mut buf).unwrap(), 0, "the device hangs up");
    // While it boots, a new connection ends at once, with nothing said.
    let mut early = TcpStream::connect(listener.addr()).unwrap();
    early.set_read_timeout(Some(T)).unwrap();
    assert_eq!(early.read(&mut buf).unwrap(), 0);
    // Back after its 1 s: banner and login again.
    while t0.elapsed() < Duration::from_millis(1100) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut again = TcpStream::connect(listener.addr()).unwrap();
    let out = read_until(&mut again, b"debian login: ");
    assert_eq!(out, b"Debian GNU/Linux 9 debian ttyS0\r\ndebian login: ");
}

#[test]
fn telnet_negotiates_byte_for_byte_and_strips_commands_from_the_input() {
    let listener = Listener::bind("127.0.0.1:0", unix_host(), Protocol::Telnet).unwrap();
    let mut c = TcpStream::connect(listener.addr()).unwrap();
    let first = read_until(&mut c, b"debian login: ");
    let mut want = vec![IAC, WILL, ECHO, IAC, WILL, SGA];
    want.extend_from_slice(b"Debian GNU/Linux 9 debian ttyS0\r\ndebian login: ");
    assert_eq!(first, want, "the offer comes first");
    // A client agrees (DO ECHO, DO SGA), offers window size (WILL NAWS = 31) and sends its
    // subnegotiation, all mixed with the user name, which ends with telnet's CR NUL.
    let mut input = vec![IAC, DO, ECHO, b'm', b'o', IAC, DO, SGA, IAC, WILL, 31];
    input.extend_from_slice(&[b'l', b'e', IAC, SB, 31, 0, 80, 0, 24, IAC, SE]);
    input.extend_from_slice(b"rtest\r\0");
    c.write_all(&input).unwrap();
    let out = read_until(&mut c, b"Password: ");
    assert_eq!(
        out,
        [&[IAC, DONT, 31][..], b"molertest\r\nPassword: "].concat(),
        "NAWS refused; only the data echoed"
    );
    // Split across writes: an IAC at the end of one, its command in the next.
    c.write_all(&[b'm', b'o', b'l', IAC]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    c.write_all(&[DO, SGA, b'e', b'r', b'1', b'2', b'3', b'\r', b'\n']).unwrap();
    let out = read_until(&mut c, b"molertest@debian:~$ ");
    assert!(out.starts_with(b"\r\nLast login: "), "{:?}", String::from_utf8_lossy(&out));
    c.write_all(b"whoami\r\n").unwrap();
    assert_eq!(
        read_until(&mut c, b"molertest@debian:~$ "),
        b"whoami\r\nmolertest\r\nmolertest@debian:~$ "
    );
}

/// A process that dies with the test.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn behind_socat_on_a_pty_pair_as_a_serial_console() {
    if !Path::new("/usr/bin/socat").exists() {
        moler_testkit::skip(
            "the serial console test",
            "no socat (scripts/test.sh installs it as root)",
        );
        return;
    }
    let dir = moler_testkit::TempDir::new("sim-serial");
    let tty = dir.join("ttyS0");
    let _ = std::fs::remove_file(&tty);
    // The device's end: the program on a pty of its own; the line's end: a pty whose name is
    // `tty`, as a serial adapter's /dev/ttyUSB0 would be.
    let _socat = Reaped(
        std::process::Command::new("/usr/bin/socat")
            .arg(format!("pty,raw,echo=0,link={}", tty.display()))
            .arg(format!("exec:{SIM} {UNIX_HOST},pty,raw,echo=0,setsid,ctty"))
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + T;
    while !tty.exists() {
        assert!(Instant::now() < deadline, "socat made no pty");
        // Test support: socat says nothing when its pty is there.
        std::thread::sleep(Duration::from_millis(10));
    }
    // moler on the line's end, as on a console server's line: through a process that copies
    // the tty both ways.
    let mut options = ProcessOptions::new(
        "/usr/bin/socat",
        ["-".to_owned(), format!("{},raw,echo=0", tty.display())],
    );
    options.greeting = Some(greeting());
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let dev = runner.spawn("serial", process::spawn(&options).unwrap()).unwrap();
    scenario(&dev);
}

/// Reads `r` until what was read ends with `end`.
fn read_stream_until(r: &mut impl Read, end: &[u8]) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.ends_with(end) {
        let n = r.read(&mut buf).unwrap();
        assert!(n > 0, "ended; so far {:?}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    seen
}

#[test]
fn on_a_console_a_reboot_goes_quiet_and_the_device_comes_back() {
    let mut child = Reaped(
        std::process::Command::new(SIM)
            .arg(UNIX_HOST)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdin = child.0.stdin.take().unwrap();
    let mut stdout = child.0.stdout.take().unwrap();
    read_stream_until(&mut stdout, b"debian login: ");
    stdin.write_all(b"molertest\nmoler123\nsu\nroot123\n").unwrap();
    read_stream_until(&mut stdout, b"root@debian:/home/molertest# ");
    let t0 = Instant::now();
    stdin.write_all(b"reboot\nwhoami\n").unwrap();
    let out = read_stream_until(&mut stdout, b"debian login: ");
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.ends_with("NOW!\r\nDebian GNU/Linux 9 debian ttyS0\r\ndebian login: "),
        "what was typed while it booted is lost: {text:?}"
    );
    assert!(t0.elapsed() >= Duration::from_millis(1000), "back after its 1 s");
    stdin.write_all(b"molertest\nmoler123\nwhoami\n").unwrap();
    let out = read_stream_until(&mut stdout, b"whoami\r\nmolertest\r\nmolertest@debian:~$ ");
    assert!(String::from_utf8_lossy(&out).contains("Last login: "));
}

#[test]
fn in_process_a_reboot_ends_the_link() {
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let mut transport = moler_sim::memory::transport(unix_host(), "reboot");
    transport.greeting = Some(greeting());
    let dev = runner.spawn("sim-mem", transport).unwrap();
    log_in(&dev);
    dev.run(Command::lines("su", "^Password: $").ret_required(false), T).unwrap();
    dev.run(Command::lines("root123", ROOT).expect_echo(false).ret_required(false), T).unwrap();
    let err = dev.run(Command::lines("reboot", ROOT), T).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err}");
}

/// Dropping a listener stops it: its sessions end (a client reads the end) and nobody can
/// connect any more.
#[test]
fn dropping_a_listener_closes_its_sessions_and_its_port() {
    let l = Listener::bind("127.0.0.1:0", unix_host(), Protocol::Raw).unwrap();
    let addr = l.addr();
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(T)).unwrap();
    read_until(&mut c, b"debian login: ");
    drop(l);
    let mut buf = [0u8; 64];
    assert_eq!(c.read(&mut buf).expect("the session ended, not timed out"), 0);
    let again = TcpStream::connect(addr);
    assert!(again.is_err(), "still listening after the drop");
}
