//! A thousand commands recorded from a real bash replay through the simulator with the same
//! results (issue 21's goal: a 1,000-command script, identical results, under a second of
//! simulator time). Its own binary: logging is process-wide.

use std::time::{Duration, Instant};

use moler::prelude::*;
use serde_json::{json, Value};

const N: usize = 1000;

/// The script: N commands by name, a mix whose outputs change as it goes (echo of a counter,
/// date) and repeat (whoami, pwd).
fn script(device: &Device) -> Vec<Value> {
    (0..N)
        .map(|i| {
            let (name, params) = match i % 5 {
                0 => ("echo", json!({"text": format!("line {i}")})),
                1 => ("whoami", json!({})),
                2 => ("pwd", json!({})),
                3 => ("uname", json!({"options": "-s"})),
                _ => ("date", json!({})),
            };
            device.cmd(name, params).unwrap().run().unwrap()
        })
        .collect()
}

#[test]
fn a_thousand_recorded_commands_replay_identically() {
    let dir = std::env::temp_dir().join(format!("moler-replay-1000-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let logs = dir.join("logs");
    let yaml = format!(
        "LOGGER: {{PATH: '{}'}}\nDEVICES:\n  BOX: {{DEVICE_CLASS: UnixLocal}}\n",
        logs.display()
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let started = Instant::now();
    let live = script(&devices.get("BOX").unwrap());
    let live_took = started.elapsed();
    devices.remove_all();
    moler::logging::stop();

    let log = std::fs::read_to_string(logs.join("moler.BOX.log")).unwrap();
    let recording = moler::record::simulator_yaml(&log, "moler.BOX.log").unwrap();
    let device = moler_sim::Device::from_yaml(&recording).unwrap();
    let sim =
        moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw).unwrap();
    let replay_yaml = format!(
        "DEVICES:\n  BOX:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_DESC: {{io_type: tcp, host: \
         127.0.0.1, port: {}, ready_prompt: 'moler_bash# '}}\n",
        sim.addr().port()
    );
    let devices = Devices::from_yaml(&replay_yaml).unwrap();
    let started = Instant::now();
    let replayed = script(&devices.get("BOX").unwrap());
    let replay_took = started.elapsed();
    devices.remove_all();
    let differ: Vec<usize> = (0..N).filter(|&i| live[i] != replayed[i]).collect();
    assert!(differ.is_empty(), "{} of {N} results differ, first at {}", differ.len(), differ[0]);
    eprintln!(
        "{N} commands: live on bash {live_took:.2?}, replayed through the simulator over TCP \
         {replay_took:.2?} (this includes moler's own side; debug build)"
    );
    assert!(replay_took < Duration::from_secs(120), "{replay_took:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
