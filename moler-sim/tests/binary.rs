//! The `moler-sim` program as sshd, socat or a user runs it: its options, `--check`'s summary
//! of a device file, and its use as a login shell.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use moler_sim::Device;

const SIM: &str = env!("CARGO_BIN_EXE_moler-sim");

/// A device with one of everything `--check` lists: a login, an initial state that is not the
/// first, exact and regex commands, a question, a delay, pages, a stream, moves to a state and
/// back, a reboot, a close.
const EVERYTHING: &str = r##"
banner: "Welcome"
login:
  users: {admin: secret, guest: guest}
initial_state: SHELL
states:
  BOOT:
    prompt: "boot> "
    commands:
      - match: go
        goto: SHELL
  SHELL:
    prompt: "$ "
    commands:
      - match: hi
        answer: hello
      - regex: 'echo (?P<text>.*)'
        answer: "{text}"
        delay_ms: 200
      - match: su
        ask: {prompt: "Password: ", expect: root}
        goto: ROOT
      - match: more
        answer: "a\nb"
        page: {lines: 1}
      - regex: 'ping (\S+)'
        answer: "PING {1}"
        stream: {line: "pong", every_ms: 10}
      - match: reboot
        reboot: {after_ms: 100}
      - match: logout
        close: true
  ROOT:
    prompt: "# "
    commands:
      - match: exit
        goto: back
"##;

/// A device with no login: its prompt comes at once.
const PLAIN: &str = "states: {S: {prompt: '$ ', commands: [{match: hi, answer: hello}]}}\n";

fn sim(args: &[&str], device_var: Option<&std::path::Path>, input: &str) -> Output {
    let mut command = Command::new(SIM);
    command.args(args).env_remove(moler_sim::DEVICE_VAR);
    if let Some(file) = device_var {
        command.env(moler_sim::DEVICE_VAR, file);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("moler-sim runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_summarizes_every_state_and_command() {
    let dir = moler_testkit::TempDir::new("sim-binary-check");
    let file = dir.join("everything.yml");
    std::fs::write(&file, EVERYTHING).unwrap();
    let out = sim(&["--check", file.to_str().unwrap()], None, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        r##"device everything: 3 states, login (2 users)
  BOOT: prompt "boot> "
    "go" [-> SHELL]
  SHELL (initial): prompt "$ "
    "hi"
    /echo (?P<text>.*)/ [delay 200 ms]
    "su" [ask, -> ROOT]
    "more" [paged]
    /ping (\S+)/ [streams]
    "reboot" [reboots (100 ms)]
    "logout" [closes]
  ROOT: prompt "# "
    "exit" [-> back]
"##
    );
}

#[test]
fn it_says_how_to_use_it_and_refuses_what_it_does_not_know() {
    for help in ["-h", "--help"] {
        let out = sim(&[help], None, "");
        assert!(out.status.success(), "{help}");
        let usage = text(&out.stdout);
        assert!(usage.starts_with("usage: moler-sim [--listen ADDR [--telnet]"), "{usage}");
        assert!(usage.contains(moler_sim::DEVICE_VAR), "{usage}");
    }
    let out = sim(&["--frobnicate", "x.yml"], None, "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "moler-sim: unknown option --frobnicate\n");
    let out = sim(&[], None, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("moler-sim: no device file"), "{}", text(&out.stderr));
}

/// sshd runs a user's login shell as `SHELL -c COMMAND` for `ssh host COMMAND`: the device is
/// the shell whatever the command, from `$MOLER_SIM_DEVICE`, on its standard input and output.
#[test]
fn as_a_login_shell_it_ignores_the_command_and_serves_its_device() {
    let dir = moler_testkit::TempDir::new("sim-binary-shell");
    let file = dir.join("plain.yml");
    std::fs::write(&file, PLAIN).unwrap();
    let out = sim(&["-c", "uname -a"], Some(&file), "hi\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = text(&out.stdout);
    assert!(seen.starts_with("$ hi\r\nhello\r\n$ "), "{seen:?}");
}

/// `--listen ADDR --telnet` serves the device over telnet: the first bytes a client gets are
/// the server's offers (IAC WILL ECHO, IAC WILL SGA); without `--telnet`, raw TCP.
#[test]
fn listen_serves_telnet_when_asked() {
    let dir = moler_testkit::TempDir::new("sim-binary-listen");
    let file = dir.join("plain.yml");
    std::fs::write(&file, PLAIN).unwrap();
    for (telnet, protocol, first) in [(true, "Telnet", &[255u8, 251, 1][..]), (false, "Raw", b"$ ")]
    {
        let mut args = vec!["--listen", "127.0.0.1:0"];
        if telnet {
            args.push("--telnet");
        }
        args.push(file.to_str().unwrap());
        let mut child = Command::new(SIM)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut said = String::new();
        BufReader::new(child.stderr.take().unwrap()).read_line(&mut said).unwrap();
        let rest = said.trim().strip_prefix(&format!("moler-sim: serving {} on ", file.display()));
        let addr = rest
            .and_then(|r| r.strip_suffix(&format!(" ({protocol})")))
            .unwrap_or_else(|| panic!("{said:?}"));
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut got = vec![0u8; first.len()];
        c.read_exact(&mut got).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(got, first, "{protocol}");
    }
}

#[test]
fn a_state_is_found_by_its_name() {
    let device = Device::from_yaml(EVERYTHING).unwrap();
    assert_eq!(device.state("ROOT").map(|s| s.prompt.as_str()), Some("# "));
    assert_eq!(device.state("SHELL").map(|s| s.commands.len()), Some(7));
    assert!(device.state("NOWHERE").is_none());
}

#[test]
fn a_listener_shows_where_it_listens() {
    let device = Device::from_yaml(PLAIN).unwrap();
    let l =
        moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw).unwrap();
    assert_eq!(format!("{l:?}"), format!("Listener {{ addr: {}, .. }}", l.addr()));
}
