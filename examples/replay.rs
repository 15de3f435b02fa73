//! Test your scripts without the lab: record once, replay in CI.
//!
//! 1. A script runs on a real local shell with the device log on (`LOGGER`).
//! 2. `moler::record` turns `moler.<DEVICE>.log` into a simulated device (`moler record LOG`
//!    on the command line).
//! 3. The simulator serves it over TCP (`moler sim --listen 127.0.0.1:2323 FILE`), and the same
//!    script runs against it, with only the device's `CONNECTION_DESC` changed.
//!
//! ```text
//! cargo run --example replay
//! ```

use std::process::ExitCode;

use moler::prelude::*;
use serde_json::{json, Value};

/// The script under test: what a lab script does, by command name.
fn script(device: &Device) -> Result<Vec<Value>, DeviceError> {
    let mut results = Vec::new();
    for (name, params) in [
        ("whoami", json!({})),
        ("uname", json!({"options": "-a"})),
        ("pwd", json!({})),
        ("date", json!({})),
    ] {
        results.push(device.cmd(name, params)?.run()?);
    }
    Ok(results)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("replay: {}", moler::Report(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("moler-replay-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let logs = dir.join("logs");

    // 1. Live, with the device log on.
    let live_yaml = format!(
        "LOGGER: {{PATH: '{}'}}\nDEVICES:\n  BOX: {{DEVICE_CLASS: UnixLocal}}\n",
        logs.display()
    );
    let devices = Devices::from_yaml(&live_yaml)?;
    let live = script(&devices.get("BOX")?)?;
    devices.remove_all();
    moler::logging::stop();

    // 2. Recorded.
    let log = std::fs::read_to_string(logs.join("moler.BOX.log"))?;
    let recording = moler::record::simulator_yaml(&log, "moler.BOX.log")?;
    let file = dir.join("box.sim.yml");
    std::fs::write(&file, &recording)?;
    println!("recorded {} lines of simulator into {}", recording.lines().count(), file.display());

    // 3. Replayed: the simulator on TCP, the same device reached through it.
    let device = moler_sim::Device::from_file(&file)?;
    let sim = moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw)?;
    let replay_yaml = format!(
        "DEVICES:\n  BOX:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_DESC: {{io_type: tcp, host: \
         127.0.0.1, port: {}, ready_prompt: 'moler_bash# '}}\n",
        sim.addr().port()
    );
    let devices = Devices::from_yaml(&replay_yaml)?;
    let replayed = script(&devices.get("BOX")?)?;
    devices.remove_all();

    for (live, replayed) in live.iter().zip(&replayed) {
        println!("live:     {live}\nreplayed: {replayed}");
        if live != replayed {
            return Err("the replay differs from the live run".into());
        }
    }
    println!("{} results replayed identically", live.len());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
