//! A peer that resets the TCP connection while a command waits for its output, on every runner,
//! over a real socket: the command fails at once with a closed connection whose reason is the
//! reset (not an end of stream, not a wait for ever).

use std::time::{Duration, Instant};

use moler_core::Command;
use moler_runners::CompletionExt;

#[macro_use]
mod support;
use support::{close_reason, Rig, WAIT};

on_every_runner!(a_reset_while_output_is_awaited_closes_with_the_reset);

fn a_reset_while_output_is_awaited_closes_with_the_reset(rig: &Rig) {
    let (conn, peer) = rig.connected();
    let waiting = conn.start(Command::lines("x", "^never$").timeout(Duration::from_secs(600)));
    // The command's line arrives and stays unread: closing a socket with unread data sends a
    // reset instead of an end of stream.
    peer.set_read_timeout(Some(WAIT)).unwrap();
    assert!(peer.peek(&mut [0u8; 1]).expect("the command's line arrived") > 0);
    let started = Instant::now();
    drop(peer);
    let err = waiting.wait(WAIT).unwrap_err();
    assert_eq!(close_reason(&err).kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "failed after {:?}", started.elapsed());
    assert!(conn.is_closed());
}
