//! The simulator on a terminal line ([`moler_sim::serve_terminal`], [`moler_sim::serve_tty`]),
//! here both ends of a pseudo-terminal pair: a session until the line hangs up, which ends it
//! without an error; any other failure is reported.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use moler_sim::Device;
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};

const PLAIN: &str = "states: {S: {prompt: '$ ', commands: [{match: hi, answer: hello}]}}\n";
const WAIT: Duration = Duration::from_secs(20);

fn device() -> Arc<Device> {
    Device::from_yaml(PLAIN).unwrap().into()
}

/// A pseudo-terminal's master side and the path of its slave side.
fn pty_pair() -> (OwnedFd, PathBuf) {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    (master, PathBuf::from(name.into_string().unwrap()))
}

fn open_line(path: &PathBuf) -> File {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(path)
        .unwrap()
}

/// Reads `line` until what was read ends with `end` (failing if nothing comes for [`WAIT`]).
fn read_until(line: &mut File, end: &[u8]) -> Vec<u8> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !seen.ends_with(end) {
        let timeout = Timespec { tv_sec: WAIT.as_secs() as i64, tv_nsec: 0 };
        let ready = poll(&mut [PollFd::new(line, PollFlags::IN)], Some(&timeout)).unwrap();
        assert!(ready > 0, "nothing for {WAIT:?}; so far {:?}", String::from_utf8_lossy(&seen));
        let n = line.read(&mut buf).unwrap();
        assert!(n > 0, "the line ended; so far {:?}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    seen
}

/// Runs `serve` on a thread of its own: its result, awaited at most [`WAIT`].
fn served(
    serve: impl FnOnce() -> std::io::Result<()> + Send + 'static,
) -> mpsc::Receiver<std::io::Result<()>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(serve());
    });
    rx
}

/// As the client on `line`: the prompt, a command and its answer; then the client goes, and
/// the session (its `result`) ends without an error.
fn converse_and_hang_up(mut line: File, result: &mpsc::Receiver<std::io::Result<()>>) {
    read_until(&mut line, b"$ ");
    line.write_all(b"hi\r").unwrap();
    assert_eq!(read_until(&mut line, b"$ "), b"hi\r\nhello\r\n$ ");
    drop(line);
    let ended = result.recv_timeout(WAIT).expect("the session outlived its line");
    assert!(ended.is_ok(), "a hang-up is the session's end, not an error: {ended:?}");
}

/// The device on a pty's master side, a client on its slave side: prompt, command, answer;
/// the client closes the line, and the session ends without an error (the hang-up).
#[test]
fn serve_terminal_answers_until_the_line_hangs_up() {
    let (master, slave) = pty_pair();
    let client = open_line(&slave);
    let result = served(move || moler_sim::serve_terminal(device(), master));
    converse_and_hang_up(client, &result);
}

/// The device on a line by its path (the pty's slave side), the client on the master side:
/// the same session, ended when the client goes.
#[test]
fn serve_tty_answers_on_the_line_at_a_path() {
    let (master, slave) = pty_pair();
    let result = served(move || moler_sim::serve_tty(device(), slave));
    converse_and_hang_up(File::from(master), &result);
}

/// A failure that is not a hang-up is reported: a line the device cannot write to.
#[test]
fn serve_terminal_reports_a_line_it_cannot_write_to() {
    let read_only = OwnedFd::from(File::open("/dev/null").unwrap());
    let result = served(move || moler_sim::serve_terminal(device(), read_only));
    let ended = result.recv_timeout(WAIT).expect("the session never ended");
    let err = ended.expect_err("writing the prompt to a read-only line failed");
    assert_eq!(err.raw_os_error(), Some(rustix::io::Errno::BADF.raw_os_error()), "{err}");
}
