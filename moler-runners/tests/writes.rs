//! Writes larger than a socket takes at once, on every runner, over a real TCP socket: a send
//! of megabytes to a peer that reads slowly arrives whole and in order (a full socket buffer
//! is a wait, not an error), whether it is sent from the caller's thread or by an observer
//! inside the driver; and a peer that goes away while such a write waits closes the connection
//! with the error instead of leaving it waiting for ever.

use std::io::Read;
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use moler_core::{Command, Context, Observer, Step};
use moler_runners::CompletionExt;

#[macro_use]
mod support;
use support::Rig;

const WAIT: Duration = Duration::from_secs(30);
/// Far more than a loopback socket's buffers hold (a few MiB at most, both ends together).
const BIG: usize = 24 << 20;

on_every_runner!(
    a_send_larger_than_the_socket_takes_arrives_whole_to_a_slow_reader,
    an_observer_sending_megabytes_from_inside_the_driver_is_not_cut,
    a_peer_gone_while_a_write_waits_closes_the_connection,
);

/// `BIG` bytes of a pattern no two neighbouring lines share: a byte lost, doubled or moved
/// shows.
fn pattern() -> String {
    let mut text = String::with_capacity(BIG + 64);
    let mut i = 0u64;
    while text.len() < BIG {
        text.push_str(&format!("{i:012}\n"));
        i += 1;
    }
    text
}

/// Reads `len` bytes from `peer`, slowly at first (the writer finds the socket full), and
/// sends them back on `done`, with the socket (still open).
fn read_slowly(mut peer: TcpStream, len: usize) -> mpsc::Receiver<(Vec<u8>, TcpStream)> {
    let (done, got) = mpsc::channel();
    std::thread::spawn(move || {
        peer.set_read_timeout(Some(WAIT)).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let mut all = Vec::with_capacity(len);
        let mut buf = vec![0; 64 << 10];
        while all.len() < len {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
            if all.len() < 4 << 20 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let _ = done.send((all, peer));
    });
    got
}

/// From the caller's thread: the connection writes what the socket takes now and the rest as
/// the peer reads, and stays open; a command after it is typed after the whole of it.
fn a_send_larger_than_the_socket_takes_arrives_whole_to_a_slow_reader(rig: &Rig) {
    let (conn, peer) = rig.connected();
    let text = pattern();
    let got = read_slowly(peer, text.len() + "after\n".len());
    conn.send(text.clone());
    let after = conn.start(Command::lines("after", "^never$").ret_required(false));
    let (got, _peer) = got.recv_timeout(WAIT).expect("the peer got everything in time");
    assert_eq!(got.len(), text.len() + 6, "every byte, once");
    assert!(got[..text.len()] == *text.as_bytes(), "in order");
    assert_eq!(&got[text.len()..], b"after\n");
    assert!(!conn.is_closed(), "a full socket is a wait, not an error");
    after.cancel();
}

/// Sends `text` when it sees `go`, then waits for `stop`.
struct Flood {
    text: Option<String>,
}

impl Observer for Flood {
    type Output = ();
    fn describe(&self) -> String {
        "flood".into()
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<()> {
        if data.contains("go") {
            if let Some(text) = self.text.take() {
                cx.send(&text);
            }
        }
        if data.contains("stop") {
            return Step::Done(Ok(()));
        }
        Step::Pending
    }
}

/// From inside the driver (an observer answering what it read): written out in full while the
/// driver goes on reading.
fn an_observer_sending_megabytes_from_inside_the_driver_is_not_cut(rig: &Rig) {
    let (conn, peer) = rig.connected();
    let text = pattern();
    let flood = conn.start(Flood { text: Some(text.clone()) });
    let mut writer = peer.try_clone().unwrap();
    let got = read_slowly(peer, text.len());
    std::io::Write::write_all(&mut writer, b"go\n").unwrap();
    let (got, _peer) = got.recv_timeout(WAIT).expect("the peer got everything in time");
    assert!(got == text.as_bytes(), "{} of {} bytes, in order", got.len(), text.len());
    std::io::Write::write_all(&mut writer, b"stop\n").unwrap();
    flood.wait(WAIT).unwrap();
}

/// The peer stops reading, then closes while the connection still has megabytes to write: the
/// connection closes with an error, and an observer waiting on it fails at once instead of at
/// its deadline (or never).
fn a_peer_gone_while_a_write_waits_closes_the_connection(rig: &Rig) {
    let (conn, peer) = rig.connected();
    let waiting = conn.start(Command::lines("x", "^never$").timeout(Duration::from_secs(600)));
    conn.send(pattern());
    std::thread::sleep(Duration::from_millis(200)); // the socket fills; nobody reads
    drop(peer); // unread data: the kernel answers with a reset
    let err = waiting.wait(WAIT).unwrap_err();
    assert!(err.is_closed(), "{err}");
    assert!(conn.is_closed());
}
