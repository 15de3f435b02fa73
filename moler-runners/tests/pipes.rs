//! A stream over two descriptors, reading one pipe and writing another (a child's stdout and
//! stdin, as the process transport has), on every runner: a write that fills its pipe waits on
//! that pipe, not on the one the connection reads, and the answer still comes.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use moler_io::fd::FdStream;
use moler_io::{Close, Stream, Transport};
use moler_runners::CompletionExt;

#[macro_use]
mod support;
use support::{Rig, WAIT};

on_every_runner!(a_write_that_fills_its_pipe_waits_on_that_pipe);

struct NoClose;

impl Close for NoClose {
    fn close(&self) {}
}

/// Far more than a pipe holds (64 KiB here).
const BIG: usize = 1 << 20;

fn a_write_that_fills_its_pipe_waits_on_that_pipe(rig: &Rig) {
    let (from_device, device_out) = std::io::pipe().unwrap();
    let (device_in, to_device) = std::io::pipe().unwrap();
    let stream = FdStream::pair(OwnedFd::from(from_device), OwnedFd::from(to_device)).unwrap();
    let transport = Transport {
        name: "pipes".into(),
        stream: Stream::Fd(Box::new(stream)),
        closer: Arc::new(NoClose),
        greeting: None,
        control: None,
    };
    let conn = rig.runner.spawn("pipes", transport).unwrap();
    let done = conn.start(moler_core::Wait4::new(["^got (\\d+)$"]).unwrap().till_occurs_times(1));
    // The device reads only once the connection's write has filled its pipe, then says how
    // much it got.
    let device = std::thread::spawn(move || {
        let (mut input, mut output) = (device_in, device_out);
        std::thread::sleep(Duration::from_millis(200));
        let mut got = vec![0u8; BIG];
        input.read_exact(&mut got).unwrap();
        writeln!(output, "got {}", got.len()).unwrap();
        (input, output)
    });
    conn.send("x".repeat(BIG));
    let seen = done.wait(WAIT).unwrap();
    assert_eq!(seen[0].groups[0].as_deref(), Some(BIG.to_string().as_str()));
    let _ends = device.join().unwrap();
}
