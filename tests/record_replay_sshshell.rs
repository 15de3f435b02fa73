//! Record once, replay in CI, for a device whose connection is the remote shell itself
//! (`UnixRemote3` over `sshshell` to the test sshd): its prompt is detected when the connection
//! opens, by lines typed before the shell said anything. The recording answers them after the
//! banner, so the same script against the simulator detects the same prompt and gives the same
//! results. One test in its own binary: logging is process-wide.

use moler::prelude::*;
use moler_testkit::sshd::Sshd;
use serde_json::{json, Value};

mod common;

use common::quote;

fn script(device: &Device) -> Vec<Value> {
    let mut results = Vec::new();
    for (name, params) in [
        ("whoami", json!({})),
        ("pwd", json!({})),
        ("uname", json!({"options": "-s"})),
        ("echo", json!({"text": "replayed"})),
    ] {
        let out = device.cmd(name, params).unwrap().run().unwrap();
        results.push(json!({"state": device.state().as_str(), name: out}));
    }
    results
}

#[test]
fn a_recorded_sshshell_session_replays_with_its_prompt_detected() {
    let Some(sshd) = Sshd::require() else { return };
    let dir = std::env::temp_dir().join(format!("moler-record-sshshell-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let logs = dir.join("logs");
    // The test sshd's own known-hosts file: not ~/.ssh/known_hosts, where a later run's sshd
    // (a new host key) on the same port would be a mismatch.
    let yaml = format!(
        "LOGGER: {{PATH: {}}}\nDEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote3\n    CONNECTION_DESC: {}\n",
        quote(&logs.display().to_string()),
        sshd.sshshell_yaml(""),
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let live = script(&devices.get("R").unwrap());
    devices.remove_all();
    moler::logging::stop();
    assert_eq!(live[0]["whoami"]["USER"], sshd.user().name.as_str(), "{live:?}");

    let log = std::fs::read_to_string(logs.join("moler.R.log")).unwrap();
    let sim_yaml = moler::record::simulator_yaml(&log, "moler.R.log").unwrap();
    assert!(!sim_yaml.contains("SCREEN_"), "the lines typed ahead made a screen:\n{sim_yaml}");
    let device =
        moler_sim::Device::from_yaml(&sim_yaml).unwrap_or_else(|e| panic!("{e}\n{sim_yaml}"));
    let listener =
        moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw).unwrap();
    let replay = format!(
        "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote3\n    CONNECTION_DESC: \
         {{io_type: tcp, host: 127.0.0.1, port: {}}}\n",
        listener.addr().port()
    );
    let devices = Devices::from_yaml(&replay).unwrap();
    let replayed = script(&devices.get("R").unwrap());
    devices.remove_all();
    assert_eq!(live, replayed, "\nrecording:\n{sim_yaml}");
    drop(listener);
    std::fs::remove_dir_all(&dir).unwrap();
}
