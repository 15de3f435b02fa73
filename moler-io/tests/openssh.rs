//! The OpenSSH client as a transport, against servers that fail the login in ways a lab's
//! gear does: one that speaks only SSH-1, one that never says anything. The client is the real
//! `ssh`; the servers are sockets of this test (a login that works is tested against a real
//! sshd in the root package's tests/ssh_openssh.rs).

use std::io::{self, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use moler_io::openssh::{self, OpenSshOptions};

/// Whether the OpenSSH client is here; a loud skip if not, a failure under CI.
fn have_ssh() -> bool {
    if moler_io::terminal::on_path("ssh").is_some() {
        return true;
    }
    let why = "no OpenSSH client (`ssh`) on PATH: scripts/test.sh installs openssh-client";
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("SKIPPED: {why}");
    false
}

/// A server on a port of its own that sends `banner` to its first client, then holds the
/// connection `for_how_long` and closes it.
fn server(banner: &'static [u8], for_how_long: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        let _ = peer.write_all(banner);
        thread::sleep(for_how_long);
    });
    port
}

/// The error and its sources, as one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text += &format!(": {e}");
        source = e.source();
    }
    text
}

/// Logs in to a server of [`server`]'s with `connect_timeout` of `timeout`, on a thread of its
/// own: how long the failure took, its kind and its words. Fails, rather than hangs, if the
/// opening does not return in 30 s.
fn fail_to_log_in(banner: &'static [u8], hold: Duration, timeout: Duration) -> Failure {
    let port = server(banner, hold);
    let mut o = OpenSshOptions::new("127.0.0.1", "nobody");
    o.port = port;
    o.password = Some("unused".into());
    o.known_hosts_file = Some("/dev/null".into());
    o.connect_timeout = timeout;
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let started = Instant::now();
        let err = openssh::connect(&o).expect_err("no login");
        let _ = tx.send(Failure { took: started.elapsed(), kind: err.kind(), text: chain(&err) });
    });
    let failure = rx.recv_timeout(Duration::from_secs(30)).expect("the opening returns (no hang)");
    let target = format!("nobody@127.0.0.1:{port}");
    assert!(failure.text.contains(&target) && failure.text.contains("log in"), "{}", failure.text);
    failure
}

struct Failure {
    took: Duration,
    kind: io::ErrorKind,
    text: String,
}

/// A server that speaks only SSH-1 (old network gear): the opening fails with OpenSSH's own
/// words, all of its lines, not a bare "ended".
#[test]
fn an_ssh1_server_is_named_in_opensshs_words() {
    if !have_ssh() {
        return;
    }
    let f = fail_to_log_in(b"SSH-1.5-OldGear\r\n", Duration::from_secs(2), Duration::from_secs(30));
    assert!(f.text.contains("Protocol major versions differ"), "{}", f.text);
    assert!(f.text.contains("could not read protocol version"), "{}", f.text);
    assert_eq!(f.kind, io::ErrorKind::ConnectionAborted, "{}", f.text);
}

/// A server that accepts and says nothing: OpenSSH gives up at `connect_timeout` and says
/// so; the transport returns its words as a timeout, not a guess of its own made earlier.
#[test]
fn a_silent_server_times_out_in_opensshs_words() {
    if !have_ssh() {
        return;
    }
    let f = fail_to_log_in(b"", Duration::from_secs(20), Duration::from_secs(1));
    assert!(f.text.contains("timed out during banner exchange"), "{}", f.text);
    assert_eq!(f.kind, io::ErrorKind::TimedOut, "{}", f.text);
    assert!(f.took >= Duration::from_secs(1) && f.took < Duration::from_secs(15), "{:?}", f.took);
}

/// A server that sends its banner and then nothing (a hung daemon): OpenSSH itself would wait
/// for ever, so the transport gives up `connect_timeout` (plus its 5 s of grace) after it
/// began, saying what it waited for and what OpenSSH had said.
#[test]
fn a_server_that_hangs_after_its_banner_fails_the_login_at_the_timeout() {
    if !have_ssh() {
        return;
    }
    let f = fail_to_log_in(b"SSH-2.0-Hung\r\n", Duration::from_secs(30), Duration::from_secs(1));
    assert_eq!(f.kind, io::ErrorKind::TimedOut, "{}", f.text);
    assert!(f.text.contains("no login within 1s"), "{}", f.text);
    assert!(f.took >= Duration::from_secs(6) && f.took < Duration::from_secs(20), "{:?}", f.took);
}
