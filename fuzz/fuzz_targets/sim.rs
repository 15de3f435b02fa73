//! The simulator (moler-sim), as users run it in CI to replay recorded devices: a device file
//! (one of the ready-made ones, or the input as YAML) and a session fed arbitrary keystrokes
//! with a synthetic clock.
//!
//! Checks: no panic (a device file is a user's: a mistake is a located error, never a crash);
//! each step's work bounded (a due time never in the past once handled, so `handle_timeout`
//! cannot spin; the output of one step bounded).
//!
//! Input: a first byte; below 0x80 it picks a ready-made device and the rest is operations
//! (one byte each, most with an argument byte): feed the next N bytes, let time pass, take the
//! output. From 0x80 the rest is a device file's YAML for `Device::from_yaml`, and a session of
//! that device is fed the YAML's own bytes.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use moler_sim::{Device, Session};

const DEVICES: [&str; 7] = [
    "unix_host.yml",
    "uboot_board.yml",
    "at_modem.yml",
    "adb_shell.yml",
    "juniper_ex.yml",
    "pdu_aten.yml",
    "scpi.yml",
];

/// What one step may print: a screenful of answers, not a runaway stream.
const MOST_PER_STEP: usize = 4 << 20;

fn devices() -> &'static [Arc<Device>] {
    static DEVICES_LOADED: OnceLock<Vec<Arc<Device>>> = OnceLock::new();
    DEVICES_LOADED.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../moler-sim/devices/");
        DEVICES
            .iter()
            .map(|name| Arc::new(Device::from_file(format!("{dir}{name}")).expect(name)))
            .collect()
    })
}

/// Feeds `ops` to a session of `device`, checking each step.
fn run(device: Arc<Device>, ops: &[u8]) {
    let start = Instant::now();
    let mut now = start;
    let mut session = Session::new(device, now);
    let _ = session.take_output();
    let mut i = 0;
    while i < ops.len() && !session.is_closed() {
        let (op, arg) = (ops[i], ops.get(i + 1).copied().unwrap_or(0) as usize);
        i = (i + 2).min(ops.len());
        let out = match op % 4 {
            // Keystrokes: the next `arg` bytes.
            0 | 1 => {
                let end = (i + arg).min(ops.len());
                let typed = &ops[i..end];
                i = end;
                session.feed(typed, now)
            }
            // Time passes: up to 25.5 s, in 100 ms steps.
            2 => {
                now += Duration::from_millis(100 * arg as u64);
                let out = session.handle_timeout(now);
                if let Some(due) = session.poll_timeout() {
                    assert!(due > now, "a due time {:?} not after now once handled", due - start);
                }
                out
            }
            // Ctrl-C, Enter.
            _ => session.feed(if arg % 2 == 0 { b"\x03" } else { b"\r" }, now),
        };
        assert!(out.len() <= MOST_PER_STEP, "one step printed {} bytes", out.len());
        let _ = (session.state(), session.answered(), session.down_until());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    if first < 0x80 {
        let devices = devices();
        run(Arc::clone(&devices[first as usize % devices.len()]), rest);
    } else if let Ok(text) = std::str::from_utf8(rest) {
        if let Ok(device) = Device::from_yaml(text) {
            // The YAML's own bytes as keystrokes, with time passing between lines.
            let ops: Vec<u8> = text
                .lines()
                .take(64)
                .flat_map(|l| {
                    let l = &l.as_bytes()[..l.len().min(250)];
                    [&[0u8, l.len() as u8][..], l, &[2, 10, 3, 1][..]].concat()
                })
                .collect();
            run(Arc::new(device), &ops);
        }
    }
});
