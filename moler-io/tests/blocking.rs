//! `BlockingStream`: blocking `Read` and `Write` over a transport, for code without a runner
//! (moler's own logins over a terminal and OpenSSH use it). Over real sockets, a real
//! pseudo-terminal and the memory transport: a read waits for what comes later, a write waits
//! for room, an error is returned and not waited on, and a close from another thread ends a
//! read that waits.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use moler_io::blocking::BlockingStream;
use moler_io::tcp::{self, TcpOptions};

/// Generous: a busy machine may be slow, and a failure here is a wait that never ends.
const PATIENCE: Duration = Duration::from_secs(20);

/// A TCP connection to a listener of this test: the transport as a blocking stream, and the
/// peer's socket.
fn tcp_pair() -> (BlockingStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let io = tcp::connect("127.0.0.1", port, &TcpOptions::default()).unwrap().into_blocking();
    let (peer, _) = listener.accept().unwrap();
    (io, peer)
}

/// Runs `f` on a thread of its own and returns what it gives, failing (not hanging) when it
/// takes longer than [`PATIENCE`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(PATIENCE).unwrap_or_else(|e| panic!("{what}: no return in {PATIENCE:?} ({e})"))
}

#[test]
fn a_read_waits_for_bytes_the_peer_sends_later() {
    let (mut io, mut peer) = tcp_pair();
    assert_eq!(io.name(), format!("tcp:127.0.0.1:{}", peer.local_addr().unwrap().port()));
    assert!(format!("{io:?}").contains(io.name()), "{io:?}");
    let reader = thread::spawn(move || {
        let mut buf = [0; 64];
        let n = io.read(&mut buf).unwrap();
        (io, buf[..n].to_vec())
    });
    thread::sleep(Duration::from_millis(100)); // the read waits in poll(2) by now
    peer.write_all(b"later").unwrap();
    let (mut io, got) = within("the read", move || reader.join().unwrap());
    assert_eq!(got, b"later");
    // And the other way.
    io.write_all(b"back").unwrap();
    let mut back = [0; 4];
    peer.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"back");
}

/// A write larger than the socket's buffers waits for the peer to read, and all of it arrives
/// in order.
#[test]
fn a_write_waits_for_room_and_loses_nothing() {
    let (mut io, mut peer) = tcp_pair();
    let data: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
    let sent = data.clone();
    let writer = thread::spawn(move || {
        io.write_all(&sent).unwrap();
        io.flush().unwrap();
        io
    });
    thread::sleep(Duration::from_millis(200)); // the buffers fill, the writer waits
    let mut got = vec![0; data.len()];
    peer.read_exact(&mut got).unwrap();
    within("the write", move || writer.join().unwrap());
    assert!(got == data, "the bytes arrived changed or out of order");
}

/// A reset is an error for the caller, not something to wait out (nor a quiet end).
#[test]
fn a_reset_connection_is_an_error() {
    let (mut io, peer) = tcp_pair();
    rustix::net::sockopt::set_socket_linger(&peer, Some(Duration::ZERO)).unwrap();
    drop(peer); // an RST, not a FIN
    let got = within("the read", move || io.read(&mut [0; 16]).map_err(|e| e.kind()));
    assert_eq!(got, Err(io::ErrorKind::ConnectionReset));
}

/// A `closer` used on another thread ends a read that waits: it returns the end of the stream.
#[test]
fn a_closer_ends_a_read_that_waits() {
    let (mut io, _peer) = tcp_pair();
    let closer = io.closer();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let got = io.read(&mut [0; 16]).map_err(|e| e.kind());
        tx.send(()).unwrap();
        got
    });
    thread::sleep(Duration::from_millis(100));
    assert!(rx.try_recv().is_err(), "the read returned before the close");
    closer.close();
    assert_eq!(within("the read", move || reader.join().unwrap()), Ok(0));
}

/// `close` on the stream: a read then returns the end of the stream (after what the socket
/// held), and a write fails.
#[test]
fn a_closed_stream_reads_its_end() {
    let (mut io, mut peer) = tcp_pair();
    peer.write_all(b"x").unwrap();
    io.close();
    let got = within("the reads", move || {
        let mut buf = [0; 16];
        let mut n = io.read(&mut buf).unwrap();
        if n > 0 {
            n = io.read(&mut buf).unwrap();
        }
        (n, io.write_all(b"more").map_err(|e| e.kind()))
    });
    assert_eq!(got, (0, Err(io::ErrorKind::BrokenPipe)));
}

/// A poll-based stream (the memory transport) parks the reading thread until its waker fires.
#[test]
fn a_poll_based_read_wakes_when_the_device_answers() {
    let (transport, device) = moler_io::memory::pair("blocking");
    let mut io = transport.into_blocking();
    assert_eq!(io.name(), "memory:blocking");
    assert!(io.control().is_none(), "the memory transport has no control");
    io.write_all(b"cmd\n").unwrap();
    assert_eq!(device.take_written(), b"cmd\n");
    let reader = thread::spawn(move || {
        let mut buf = [0; 64];
        let n = io.read(&mut buf).unwrap();
        (io, buf[..n].to_vec())
    });
    thread::sleep(Duration::from_millis(100)); // the reader is parked by now
    device.inject("answer");
    let (io, got) = within("the read", move || reader.join().unwrap());
    assert_eq!(got, b"answer");
    // Back to a transport and blocking again: what was read stays read.
    device.inject("rest");
    let mut io = io.into_transport().into_blocking();
    let mut buf = [0; 64];
    let n = io.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"rest");
    device.close();
    assert_eq!(io.read(&mut buf).unwrap(), 0);
}

/// A serial port's control (its break) is there on the blocking stream; a socket has none.
#[test]
fn a_serial_ports_control_is_kept() {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let slave = ptsname(&master, Vec::new()).unwrap();
    let options = moler_io::serial::SerialOptions::new(slave.to_str().unwrap());
    let mut io = moler_io::serial::open(&options).unwrap().into_blocking();
    assert!(io.control().is_some(), "a serial port's break");
    io.write_all(b"AT\r").unwrap();
    let mut got = [0; 3];
    let mut seen = 0;
    while seen < 3 {
        seen += rustix::io::read(&master, &mut got[seen..]).unwrap();
    }
    assert_eq!(&got, b"AT\r");
    let (tcp, _peer) = tcp_pair();
    assert!(tcp.control().is_none(), "a socket has no control");
}
