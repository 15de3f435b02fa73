//! The SSH transport against a real OpenSSH `sshd` that each test starts on 127.0.0.1 with its
//! own configuration (see `moler_testkit::sshd`): logins, host keys, old algorithms, commands
//! on every runner, and every fault ending in a clear error. Where no sshd can run (not root,
//! no test user), each test prints a loud SKIPPED line; `MOLER_NO_SKIP=1` (set by
//! `.ci/run`) makes that a failure.
#![cfg(feature = "ssh")]

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as Process;
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler::SSH_PROMPT;
use moler_io::ssh::{self, Algorithms, HostKeyPolicy, SshOptions};
use moler_testkit::sshd::{HostKey, Sshd};
use moler_testkit::Simulator;

mod common;
use common::Rig;
use moler_testkit::on_every_runner;

const WAIT: Duration = Duration::from_secs(20);

fn cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, SSH_PROMPT)
}

/// Password login to the test daemon, moler prompt, known hosts in the daemon's own folder.
fn options(sshd: &Sshd) -> SshOptions {
    SshOptions::new("127.0.0.1", &sshd.user().name)
        .port(sshd.port())
        .password(&sshd.user().password)
        .known_hosts_file(sshd.dir().join("known_hosts"))
        .with_moler_prompt()
}

fn open(rig: &Rig, options: &SshOptions) -> ConnectionHandle {
    let shell = moler::ssh_shell_on(&rig.runner, options).unwrap();
    assert_eq!(shell.runner(), rig.runner.kind());
    shell
}

/// Lines of the daemon's log that contain `what`.
fn log_count(sshd: &Sshd, what: &str) -> usize {
    sshd.log().lines().filter(|l| l.contains(what)).count()
}

on_every_runner!(
    commands_and_events_run_over_ssh,
    a_large_output_arrives_whole,
    a_stalled_command_times_out_at_its_deadline_and_the_shell_stays_usable,
    the_remote_shell_exiting_closes_the_connection,
    sshd_killed_mid_command_fails_it_at_once,
    keepalives_are_sent_on_an_idle_connection,
    opening_again_after_a_drop_works,
    a_closed_connection_says_goodbye,
);

fn commands_and_events_run_over_ssh(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let remote = open(rig, &options(&sshd));
    assert_eq!(remote.transport(), format!("ssh:{}@127.0.0.1:{}", sshd.user().name, sshd.port()));
    assert_eq!(remote.run(cmd("whoami"), WAIT).unwrap(), [sshd.user().name.clone()]);
    let ticks = remote.start(Wait4::new([r"^tick (\d)$"]).unwrap().till_occurs_times(3));
    let out = remote.run(cmd("for i in 1 2 3; do echo tick $i; sleep 0.05; done"), WAIT).unwrap();
    assert_eq!(out, ["tick 1", "tick 2", "tick 3"]);
    let seen: Vec<_> = ticks.wait(WAIT).unwrap().iter().map(|o| o.line.clone()).collect();
    assert_eq!(seen, ["tick 1", "tick 2", "tick 3"]);
    for i in 0..20 {
        assert_eq!(
            remote.run(cmd(&format!("echo round {i}")), WAIT).unwrap(),
            [format!("round {i}")]
        );
    }
    let err = remote.run(cmd("no-such-tool-here").failure("command not found"), WAIT).unwrap_err();
    assert!(matches!(err, Error::CommandFailure { .. }), "{err}");
    // Standard error comes through the pty like standard output.
    assert_eq!(remote.run(cmd("echo to-stderr >&2"), WAIT).unwrap(), ["to-stderr"]);
}

fn a_large_output_arrives_whole(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let remote = open(rig, &options(&sshd));
    // About 1.3 MB: many SSH window adjustments and packets larger than one read.
    let lines = remote.run(cmd("seq 1 200000"), Duration::from_secs(60)).unwrap();
    assert_eq!(lines.len(), 200_000);
    assert!(
        lines.iter().enumerate().all(|(i, l)| *l == (i + 1).to_string()),
        "a line lost or mangled"
    );
    assert_eq!(remote.run(cmd("echo after"), WAIT).unwrap(), ["after"]);
}

fn a_stalled_command_times_out_at_its_deadline_and_the_shell_stays_usable(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let remote = open(rig, &options(&sshd));
    remote.run(cmd("echo warm"), WAIT).unwrap();
    let started = Instant::now();
    let err = remote.run(cmd("sleep 30").timeout(Duration::from_millis(500)), WAIT).unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err}");
    assert!(
        took >= Duration::from_millis(450) && took <= Duration::from_millis(550),
        "timed out after {took:?}, deadline 500 ms"
    );
    remote.run(Command::lines("\x03", SSH_PROMPT).timeout(Duration::from_secs(10)), WAIT).ok();
    assert_eq!(remote.run(cmd("echo still here"), WAIT).unwrap(), ["still here"]);
}

fn the_remote_shell_exiting_closes_the_connection(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let remote = open(rig, &options(&sshd));
    remote.run(cmd("echo hi"), WAIT).unwrap();
    let started = Instant::now();
    let err = remote.run(cmd("exit"), WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let err = remote.run(cmd("echo again"), WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
}

fn sshd_killed_mid_command_fails_it_at_once(rig: &Rig) {
    let Some(mut sshd) = Sshd::require() else { return };
    let remote = open(rig, &options(&sshd));
    remote.run(cmd("echo hi"), WAIT).unwrap();
    let sleeping = remote.start(cmd("sleep 30").timeout(Duration::from_secs(60)));
    std::thread::sleep(Duration::from_millis(200));
    let killed = Instant::now();
    sshd.kill();
    let err = sleeping.wait(WAIT).unwrap_err();
    let took = killed.elapsed();
    assert!(err.is_closed(), "{err}");
    assert!(took < Duration::from_millis(500), "closed-connection error {took:?} after the kill");
    assert!(remote.is_closed());
    // The reason names the connection and what failed on it.
    let text = moler::Report(&err).to_string();
    let target = format!("ssh {}@127.0.0.1:{}: ", sshd.user().name, sshd.port());
    assert!(text.contains(&format!("{target}read")), "{text}");
}

fn keepalives_are_sent_on_an_idle_connection(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let mut opts = options(&sshd);
    opts.keepalive = Some(Duration::from_secs(2));
    let opened = Instant::now();
    let remote = open(rig, &opts);
    remote.run(cmd("echo hi"), WAIT).unwrap();
    let before = log_count(&sshd, "keepalive@libssh2.org");
    // The first comes a whole interval after the login, not at once (libssh2 sends one at
    // its first call): none in the first 2 s, one more per 2 s after that.
    let due = opened.elapsed().as_secs() / 2;
    assert!(before <= due as usize, "{before} keepalives {:?} after opening", opened.elapsed());
    std::thread::sleep(Duration::from_millis(4500)); // idle: two keepalives are due
    let sent = log_count(&sshd, "keepalive@libssh2.org") - before;
    assert!((1..=3).contains(&sent), "{sent} keepalives in 4.5 s at one per 2 s");
    assert_eq!(remote.run(cmd("echo after"), WAIT).unwrap(), ["after"]);
}

fn opening_again_after_a_drop_works(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    for round in 0..3 {
        let remote = open(rig, &options(&sshd));
        let out = remote.run(cmd(&format!("echo round {round}")), WAIT).unwrap();
        assert_eq!(out, [format!("round {round}")]);
        drop(remote);
    }
}

/// Reads `io` into `seen` until `done(seen)`, waiting for the descriptor `blocked_on` names
/// when a read would block (with nothing left inside the stream). Returns the last read's size.
fn read_until(
    io: &mut dyn moler_io::FdIo,
    seen: &mut String,
    until: &str,
    buf: usize,
    done: impl Fn(&str) -> bool,
) -> usize {
    let deadline = Instant::now() + WAIT;
    let mut chunk = vec![0; buf];
    loop {
        match io.read(&mut chunk) {
            Ok(0) => panic!("the stream ended before {until:?}; read: {seen:?}"),
            Ok(n) => {
                seen.push_str(&String::from_utf8_lossy(&chunk[..n]));
                if done(seen) {
                    return n;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                assert!(!left.is_zero(), "no {until:?} within {WAIT:?}; read: {seen:?}");
                let (fd, interest) = io.blocked_on(moler_io::Op::Read);
                wait_ready(fd, interest, left);
            }
            Err(e) => panic!("read: {e}; read so far: {seen:?}"),
        }
    }
}

/// Waits until `fd` is ready for `interest` (what a stream's `blocked_on` says), `left` at most.
fn wait_ready(fd: std::os::fd::BorrowedFd<'_>, interest: moler_io::Interest, left: Duration) {
    let flags = match interest {
        moler_io::Interest::Readable => rustix::event::PollFlags::IN,
        moler_io::Interest::Writable => rustix::event::PollFlags::OUT,
    };
    let mut fds = [rustix::event::PollFd::new(&fd, flags)];
    let timeout = rustix::event::Timespec::try_from(left).unwrap();
    rustix::event::poll(&mut fds, Some(&timeout)).unwrap();
}

/// The SSH transport's stream to the test daemon, read past its greeting as a runner waits for
/// it: its marker, then the first prompt at the end of the output (nothing comes after it).
/// With the greeting and what was read.
fn past_the_greeting(sshd: &Sshd) -> (Box<dyn moler_io::FdIo>, moler_io::Greeting, String) {
    let transport = ssh::connect(&options(sshd)).unwrap();
    let moler_io::Stream::Fd(mut io) = transport.stream else {
        panic!("the SSH transport is a descriptor stream")
    };
    let greeting = transport.greeting.expect("a shell with moler's prompt has a greeting");
    let mut seen = String::new();
    read_until(io.as_mut(), &mut seen, "the greeting", 4096, |seen| {
        seen.split_once(greeting.marker.as_str())
            .is_some_and(|(_, after)| after.ends_with(greeting.prompt.as_str()))
    });
    (io, greeting, seen)
}

/// `FdIo::drained` on the SSH stream, which lets a runner wait for the socket right after a
/// read instead of reading it once more first: true only when that read found the socket
/// empty and left nothing inside libssh2. A true while libssh2 still holds input would leave
/// that input unread until the peer sends more (a command hanging on its own answer), so the
/// case of input left behind by a small read is checked, and that what is left is all there.
#[test]
fn drained_only_when_the_socket_was_found_empty_and_nothing_is_left_inside() {
    let Some(sshd) = Sshd::require() else { return };
    let (mut io, greeting, mut seen) = past_the_greeting(&sshd);
    let io = io.as_mut();
    assert!(io.drained(), "the prompt read last, nothing more sent: {seen:?}");
    assert!(!io.has_buffered_input());

    // One packet of 300 characters (and the echo, and the prompt): a one-byte read leaves the
    // rest of the packet inside libssh2, not in the socket.
    let line = "x".repeat(300);
    let written = io.write(format!("echo {line}\n").as_bytes()).unwrap();
    assert_eq!(written, line.len() + 6);
    seen.clear();
    let n = read_until(io, &mut seen, "an x", 1, |seen| seen.contains('x'));
    assert_eq!(n, 1);
    assert!(io.has_buffered_input(), "the rest of the packet is inside libssh2");
    assert!(!io.drained(), "input waits inside libssh2: a wait for the socket would miss it");
    // What is left is read without waiting for the socket, to the prompt; then empty again.
    let output = format!("\r\n{line}\r\n{}", greeting.prompt);
    read_until(io, &mut seen, "the output and the prompt", 64 * 1024, |seen| {
        seen.ends_with(&output)
    });
    assert!(io.drained(), "all read, prompt last: {seen:?}");
    let err = io.read(&mut [0; 1024]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert!(io.drained(), "a read that found the socket empty");
}

/// The channel's end, taken from the socket by the read that took the data before it: the
/// stream then says it holds input (a read gives the end at once) and is not drained. It said
/// drained, and a runner waited on a socket with nothing more to give: a shell that ran `exit`
/// ended the connection only at the command's deadline (1 run in 3 of moler-sim's sshd test).
#[test]
fn the_channels_end_read_with_its_last_data_is_input_not_an_empty_socket() {
    let Some(sshd) = Sshd::require() else { return };
    let (mut io, _, mut seen) = past_the_greeting(&sshd);
    let io = io.as_mut();
    io.write(b"echo bye; exit\n").unwrap();
    // The output, the channel's end and its close are all in the socket by then: the first
    // read takes every packet into libssh2.
    std::thread::sleep(Duration::from_millis(500));
    seen.clear();
    let mut buf = vec![0; 64 * 1024];
    let deadline = Instant::now() + WAIT;
    loop {
        let (drained, buffered) = (io.drained(), io.has_buffered_input());
        match io.read(&mut buf) {
            Ok(0) => {
                assert!(!drained, "drained, with the channel's end inside libssh2: {seen:?}");
                assert!(buffered, "the channel's end inside libssh2 is input: {seen:?}");
                break;
            }
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no end within {WAIT:?}; read: {seen:?}");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("read: {e}; read so far: {seen:?}"),
        }
    }
    assert!(seen.contains("\r\nbye\r\n"), "{seen:?}");
}

/// A connection closed while idle says goodbye (an SSH disconnect the server logs with its
/// reason), instead of the server finding the socket shut; once. So does a transport dropped
/// before any runner drove it.
fn a_closed_connection_says_goodbye(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let remote = open(rig, &options(&sshd));
    assert_eq!(remote.run(cmd("echo hi"), WAIT).unwrap(), ["hi"]);
    remote.close();
    wait_for_log(&sshd, "closed by moler");
    drop(remote);
    drop(ssh::connect(&options(&sshd)).unwrap());
    wait_for_logs(&sshd, "closed by moler", 2);
    assert_eq!(log_count(&sshd, "closed by moler"), 2, "{}", sshd.log());
    assert_eq!(log_count(&sshd, "Received disconnect"), 2, "{}", sshd.log());
}

/// The stream's keepalive ticks (what a runner calls when `next_tick` is due): each moves the
/// next one into the future, by what libssh2 says is left (the first tick sends one at once,
/// libssh2 having sent none). A next tick in the past would make a runner tick again at once,
/// spinning on an idle connection.
#[test]
fn a_keepalive_tick_sets_the_next_one_in_the_future() {
    let Some(sshd) = Sshd::require() else { return };
    let mut opts = options(&sshd);
    opts.keepalive = Some(Duration::from_secs(2));
    let opened = Instant::now();
    let moler_io::Stream::Fd(mut io) = ssh::connect(&opts).unwrap().stream else {
        panic!("the SSH transport is a descriptor stream")
    };
    let first = io.next_tick().expect("keepalives are on");
    assert!(first >= opened + Duration::from_secs(2), "the first tick is due at once");
    for round in 0..3 {
        io.tick().unwrap();
        let next = io.next_tick().expect("keepalives stay on");
        assert!(next > Instant::now(), "round {round}: the next tick is already due");
    }
    wait_for_log(&sshd, "keepalive@libssh2.org");
    assert!(log_count(&sshd, "keepalive@libssh2.org") >= 1, "{}", sshd.log());
}

/// A write the peer's window holds back (the remote shell runs `sleep` and reads nothing, its
/// terminal's buffer fills, sshd stops granting window): the stream waits to read (the window
/// adjustment comes as input), not to write. Waiting for the socket to be writable, which it
/// is, a runner would spin and never read the adjustment that lets the write go on. A socket
/// that is full on the way (sshd slower than this test) is waited out, and the same bytes
/// written again, as libssh2 requires.
#[test]
fn a_write_the_peers_window_holds_back_waits_to_read() {
    let Some(sshd) = Sshd::require() else { return };
    let (mut io, _, _) = past_the_greeting(&sshd);
    let io = io.as_mut();
    io.write(b"sleep 30\n").unwrap();
    let line = format!("{}\n", "x".repeat(99));
    let deadline = Instant::now() + WAIT;
    let mut written = 0;
    loop {
        match io.write(line.as_bytes()) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let (fd, interest) = io.blocked_on(moler_io::Op::Write);
                if interest == moler_io::Interest::Readable {
                    break;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                assert!(!left.is_zero(), "only waits to write, {written} bytes written");
                wait_ready(fd, interest, left);
            }
            Err(e) => panic!("write: {e} after {written} bytes"),
        }
        assert!(written < 64 << 20, "64 MiB taken: the window never closed");
    }
    // (OpenSSH grants 2 MiB, and the terminal holds a few KiB.)
    assert!(written >= 1 << 20, "the window closed after {written} bytes");
}

#[test]
fn a_key_file_logs_in() {
    let Some(sshd) = Sshd::require() else { return };
    let mut opts = options(&sshd);
    opts.password = None;
    opts.key_file = Some(sshd.user().key_file.clone());
    let remote = moler::ssh_shell(&opts).unwrap();
    assert_eq!(remote.run(cmd("whoami"), WAIT).unwrap(), [sshd.user().name.clone()]);
    assert_eq!(log_count(&sshd, "Accepted publickey"), 1, "{}", sshd.log());
}

#[test]
fn a_wrong_password_fails_once_and_clearly() {
    let Some(sshd) = Sshd::require() else { return };
    let started = Instant::now();
    let err = ssh::connect(&options(&sshd).password("not-the-password")).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let text = err.to_string();
    assert!(text.contains("authentication failed"), "{text}");
    assert!(text.contains(&format!("{}@127.0.0.1:{}", sshd.user().name, sshd.port())), "{text}");
    assert!(text.contains("password"), "{text}");
    assert!(!text.contains("not-the-password"), "the error shows the secret: {text}");
    // Typed: the one method tried, with libssh2's refusal kept.
    let moler_io::Error::Authentication { tried, .. } = &err else { panic!("{err:?}") };
    assert_eq!(tried.len(), 1, "{err}");
    assert_eq!(tried[0].method, "password");
    assert!(tried[0].refusal.is_some(), "{err}");
    assert!(!text.contains("no password or key file given"), "{text}");
    // One attempt, not a retry storm.
    wait_for_log(&sshd, "Failed password");
    assert_eq!(log_count(&sshd, "Failed password"), 1, "{}", sshd.log());
}

#[test]
fn a_wrong_key_fails_clearly() {
    let Some(sshd) = Sshd::require() else { return };
    let stranger = sshd.dir().join("stranger_key");
    keygen(&stranger);
    let mut opts = options(&sshd);
    opts.password = None;
    opts.key_file = Some(stranger.clone());
    let err = ssh::connect(&opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains(&format!("key {}", stranger.display())), "{err}");
    // A key file that does not exist is named as such.
    opts.key_file = Some(sshd.dir().join("missing_key"));
    let err = ssh::connect(&opts).unwrap_err();
    assert!(err.to_string().contains("missing_key does not exist"), "{err}");
}

#[test]
fn no_secret_at_all_is_a_clear_error() {
    let Some(sshd) = Sshd::require() else { return };
    let mut opts = options(&sshd);
    opts.password = None;
    let err = ssh::connect(&opts).unwrap_err();
    assert!(err.to_string().contains("no password or key file given"), "{err}");
}

#[test]
fn accept_new_records_the_host_and_strict_then_trusts_it() {
    let Some(sshd) = Sshd::require() else { return };
    let known = sshd.dir().join("known_hosts");
    // Strict, host unknown: refused.
    let strict = options(&sshd).host_key_policy(HostKeyPolicy::Strict);
    let err = ssh::connect(&strict).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("is not in"), "{err}");
    assert!(err.to_string().contains("strict"), "{err}");
    assert!(!known.exists(), "strict must not write the file");
    // Accept-new (the default): recorded, as OpenSSH writes it.
    drop(ssh::connect(&options(&sshd)).unwrap());
    let recorded = std::fs::read_to_string(&known).unwrap();
    let public = sshd.host_public_key();
    let mut parts = public.split_whitespace();
    let (kind, key) = (parts.next().unwrap(), parts.next().unwrap());
    assert_eq!(recorded, format!("[127.0.0.1]:{} {kind} {key}\n", sshd.port()));
    // Now strict trusts it, and accept-new adds nothing more.
    drop(ssh::connect(&strict).unwrap());
    drop(ssh::connect(&options(&sshd)).unwrap());
    assert_eq!(std::fs::read_to_string(&known).unwrap(), recorded);
    // OpenSSH's own client agrees with the line we wrote.
    let status = Process::new("ssh-keygen")
        .args(["-F", &format!("[127.0.0.1]:{}", sshd.port()), "-f"])
        .arg(&known)
        .output()
        .unwrap();
    assert!(status.status.success(), "ssh-keygen -F does not find the entry");
    // A file in folders that do not exist yet: they are made, private (as ~/.ssh is).
    let deeper = sshd.dir().join("home/.ssh/known_hosts");
    drop(ssh::connect(&options(&sshd).known_hosts_file(&deeper)).unwrap());
    assert_eq!(std::fs::read_to_string(&deeper).unwrap(), recorded);
    let mode = std::fs::metadata(deeper.parent().unwrap()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
}

#[test]
fn a_changed_host_key_is_refused_under_strict_and_accept_new() {
    let Some(sshd) = Sshd::require() else { return };
    let known = sshd.dir().join("known_hosts");
    let impostor = sshd.dir().join("impostor_key");
    keygen(&impostor);
    let public = std::fs::read_to_string(impostor.with_extension("pub")).unwrap();
    let mut parts = public.split_whitespace();
    let (kind, key) = (parts.next().unwrap(), parts.next().unwrap());
    std::fs::write(
        &known,
        format!("# a comment\n@cert-authority *.example.com {kind} {key}\n[127.0.0.1]:{} {kind} {key}\n", sshd.port()),
    )
    .unwrap();
    for policy in [HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew] {
        let err = ssh::connect(&options(&sshd).host_key_policy(policy)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        let text = err.to_string();
        assert!(text.contains("mismatch"), "{text}");
        let name = if policy == HostKeyPolicy::Strict { "strict" } else { "accept-new" };
        assert!(text.contains(&format!("(policy {name})")), "{text}");
        assert!(text.contains("SHA256:"), "the fingerprint is shown: {text}");
    }
    assert_eq!(log_count(&sshd, "Accepted password"), 0, "no login may happen");
    // Off checks nothing.
    drop(ssh::connect(&options(&sshd).host_key_policy(HostKeyPolicy::Off)).unwrap());
}

#[test]
fn sha1_era_gear_is_reached_with_the_defaults() {
    // A server that speaks only what switches from ~2010 speak: SHA-1 key exchange, ssh-rsa,
    // CBC, hmac-sha1. The pinned libssh2 offers them after the modern algorithms.
    let Some(sshd) = Sshd::require_with(
        &[HostKey::Rsa],
        "KexAlgorithms diffie-hellman-group14-sha1\n\
         HostKeyAlgorithms ssh-rsa\n\
         Ciphers aes128-cbc\n\
         MACs hmac-sha1\n",
    ) else {
        return;
    };
    let remote = moler::ssh_shell(&options(&sshd)).unwrap();
    assert_eq!(remote.run(cmd("echo old"), WAIT).unwrap(), ["old"]);
    let log = sshd.log();
    assert!(log.contains("kex: algorithm: diffie-hellman-group14-sha1"), "{log}");
    assert!(log.contains("kex: host key algorithm: ssh-rsa"), "{log}");
    assert!(log.contains("cipher: aes128-cbc MAC: hmac-sha1"), "{log}");
}

#[test]
fn the_oldest_gear_is_reached_and_modern_lists_refuse_it() {
    let Some(sshd) = Sshd::require_with(
        &[HostKey::Rsa],
        "KexAlgorithms diffie-hellman-group1-sha1\n\
         HostKeyAlgorithms ssh-rsa\n\
         Ciphers 3des-cbc\n\
         MACs hmac-md5\n",
    ) else {
        return;
    };
    let remote = moler::ssh_shell(&options(&sshd)).unwrap();
    assert_eq!(remote.run(cmd("echo oldest"), WAIT).unwrap(), ["oldest"]);
    let log = sshd.log();
    assert!(log.contains("kex: algorithm: diffie-hellman-group1-sha1"), "{log}");
    assert!(log.contains("cipher: 3des-cbc MAC: hmac-md5"), "{log}");
    // A lab that must refuse old crypto: the error names the failed step.
    let mut opts = options(&sshd);
    opts.algorithms = Algorithms::modern();
    let err = ssh::connect(&opts).unwrap_err();
    assert!(err.to_string().contains("handshake"), "{err}");
}

#[test]
fn a_peer_that_is_not_ssh_fails_the_handshake_in_time() {
    // No sshd needed: the device simulator greets with a banner, not an SSH version.
    let sim = Simulator::start().unwrap();
    let mut opts = SshOptions::new("127.0.0.1", "nobody").port(sim.port()).password("x");
    opts.connect_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = ssh::connect(&opts).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(err.to_string().contains("handshake"), "{err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{}", sim.port())), "{err}");
}

/// A peer that hangs up at once (a console server's port in use, a firewall's reset): the
/// handshake fails as an aborted connection, which a caller can tell from a refusal or a
/// timeout by its kind.
#[test]
fn a_peer_that_hangs_up_in_the_handshake_is_an_aborted_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || drop(listener.accept().unwrap()));
    let err =
        ssh::connect(&SshOptions::new("127.0.0.1", "u").port(port).password("p")).unwrap_err();
    peer.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::ConnectionAborted, "{err}");
    assert!(err.to_string().contains("handshake"), "{err}");
}

/// A known-hosts file that cannot be read (here a directory) is an error naming it, under
/// every policy that checks: not an empty file that lets any key in. One whose comments are
/// not UTF-8 (latin-1, as OpenSSH accepts) is read all the same.
#[test]
fn an_unreadable_known_hosts_file_refuses_and_a_latin_1_one_is_read() {
    let Some(sshd) = Sshd::require() else { return };
    let folder = sshd.dir().join("known_hosts.d");
    std::fs::create_dir(&folder).unwrap();
    for policy in [HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew] {
        let opts = options(&sshd).known_hosts_file(&folder).host_key_policy(policy);
        let err = ssh::connect(&opts).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        let text = moler::Report(&err).to_string();
        assert!(text.contains(&format!("check: read {}", folder.display())), "{text}");
    }
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0, "nothing was written there");
    assert_eq!(log_count(&sshd, "Accepted password"), 0, "no login may happen");
    // The host's own key, between comments in latin-1 (é is the byte 0xE9).
    let public = sshd.host_public_key();
    let mut parts = public.split_whitespace();
    let (kind, key) = (parts.next().unwrap(), parts.next().unwrap());
    let known = sshd.dir().join("known_hosts");
    let mut lines = b"# r\xe9seau du labo\n".to_vec();
    lines.extend(format!("[127.0.0.1]:{} {kind} {key} caf", sshd.port()).as_bytes());
    lines.extend(b"\xe9\n");
    std::fs::write(&known, &lines).unwrap();
    let strict = options(&sshd).host_key_policy(HostKeyPolicy::Strict);
    drop(ssh::connect(&strict).unwrap());
    assert_eq!(std::fs::read(&known).unwrap(), lines, "strict writes nothing");
}

#[test]
fn a_refused_connection_names_host_and_port() {
    let refused = moler_testkit::RefusedPort::new();
    let port = refused.port();
    let err =
        ssh::connect(&SshOptions::new("127.0.0.1", "u").port(port).password("p")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
}

fn keygen(path: &Path) {
    let status = Process::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// sshd writes its log a moment after it answered.
fn wait_for_log(sshd: &Sshd, what: &str) {
    wait_for_logs(sshd, what, 1);
}

/// Waits (10 s at most) until the daemon's log has `n` lines that contain `what`.
fn wait_for_logs(sshd: &Sshd, what: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while log_count(sshd, what) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A server that wants two methods (`AuthenticationMethods publickey,password`): a key it
/// accepts is not a login. With only the key the login fails saying more was needed; with
/// both, both are used and the shell opens, in either order the server asks for them.
#[test]
fn a_login_that_needs_two_methods_is_not_done_after_one() {
    let Some(sshd) =
        Sshd::require_with(&[HostKey::Ed25519], "AuthenticationMethods publickey,password\n")
    else {
        return;
    };
    let mut opts = options(&sshd);
    opts.password = None;
    opts.key_file = Some(sshd.user().key_file.clone());
    let err = ssh::connect(&opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let text = err.to_string();
    assert!(text.contains("(more needed)") && text.contains("offers password"), "{text}");
    let remote = moler::ssh_shell(&opts.password(&sshd.user().password)).unwrap();
    assert_eq!(remote.run(cmd("whoami"), WAIT).unwrap(), [sshd.user().name.clone()]);
    let log = sshd.log();
    assert!(log.contains("Partial publickey") && log.contains("Accepted password"), "{log}");
    // The password first, then the key: the same.
    let Some(sshd) =
        Sshd::require_with(&[HostKey::Ed25519], "AuthenticationMethods password,publickey\n")
    else {
        return;
    };
    let mut opts = options(&sshd);
    opts.key_file = Some(sshd.user().key_file.clone());
    let remote = moler::ssh_shell(&opts).unwrap();
    assert_eq!(remote.run(cmd("whoami"), WAIT).unwrap(), [sshd.user().name.clone()]);
    let log = sshd.log();
    assert!(log.contains("Partial password") && log.contains("Accepted publickey"), "{log}");
}

/// A server that hangs up when asked which methods it takes (here sshd with `MaxAuthTries 0`,
/// which ends the session at the first request): a login failure saying so, not a login.
#[test]
fn a_server_that_hangs_up_at_the_first_login_request_is_no_login() {
    let Some(sshd) = Sshd::require_with(&[HostKey::Ed25519], "MaxAuthTries 0\n") else {
        return;
    };
    let err = ssh::connect(&options(&sshd)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("asking for the methods"), "{err}");
    assert_eq!(log_count(&sshd, "Accepted"), 0, "{}", sshd.log());
}

#[test]
fn a_password_goes_through_keyboard_interactive_when_that_is_all_the_server_offers() {
    // Many network devices only offer keyboard-interactive; sshd does it through PAM.
    let Some(sshd) = Sshd::require_with(
        &[HostKey::Ed25519],
        "UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no\n\
         AuthenticationMethods keyboard-interactive\n",
    ) else {
        return;
    };
    let remote = moler::ssh_shell(&options(&sshd)).unwrap();
    assert_eq!(remote.run(cmd("whoami"), WAIT).unwrap(), [sshd.user().name.clone()]);
    assert_eq!(log_count(&sshd, "Accepted keyboard-interactive"), 1, "{}", sshd.log());
    let err = ssh::connect(&options(&sshd).password("wrong")).unwrap_err();
    assert!(err.to_string().contains("keyboard-interactive"), "{err}");
}
