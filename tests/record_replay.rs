//! Record once, replay in CI: a script runs against a real local bash and, over a real ssh hop,
//! the test sshd, with the device log on; `moler::record` turns that log into a simulated
//! device; the same script against the simulator (over TCP) gives the same results, hop by hop.
//! One test in its own binary: logging is process-wide.

use std::path::Path;
use std::time::Instant;

use moler::prelude::*;
use moler_testkit::sshd::Sshd;
use serde_json::{json, Value};

mod common;

use common::{quote, remote_device_yaml};

/// The script: commands by name in UNIX_LOCAL, a hop to UNIX_REMOTE over ssh, commands there,
/// back. Every result, in order.
fn script(device: &Device, dir: &Path) -> Vec<Value> {
    let mut results = Vec::new();
    let mut run = |name: &str, params: Value| {
        let out = device.cmd(name, params).unwrap().run().unwrap();
        results.push(json!({"state": device.state().as_str(), name: out}));
    };
    run("whoami", json!({}));
    run("pwd", json!({}));
    run("uname", json!({"options": "-a"}));
    run("ls", json!({"path": dir.to_str().unwrap(), "options": "-l"}));
    run("echo", json!({"text": "recorded {braces} and 'quotes'"}));
    run("date", json!({}));
    device.goto_state("UNIX_REMOTE").unwrap();
    run("whoami", json!({}));
    run("id", json!({}));
    run("ls", json!({"path": dir.to_str().unwrap(), "options": "-l"}));
    run("date", json!({}));
    device.goto_state("UNIX_LOCAL").unwrap();
    run("whoami", json!({}));
    results
}

#[test]
fn a_recorded_session_replays_with_the_same_results() {
    let Some(sshd) = Sshd::require() else { return };
    let dir = std::env::temp_dir().join(format!("moler-record-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "x").unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let known_hosts = dir.join("known_hosts");
    let logs = dir.join("logs");
    let password = sshd.user().password.clone();

    // Live.
    let yaml = format!(
        "LOGGER: {{PATH: {}}}\nDEVICES:{}",
        quote(&logs.display().to_string()),
        remote_device_yaml("BOX", &sshd, &known_hosts, &password, "no")
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let live = script(&devices.get("BOX").unwrap(), &dir);
    devices.remove_all();
    moler::logging::stop();

    // Recorded.
    let log = std::fs::read_to_string(logs.join("moler.BOX.log")).unwrap();
    let sim_yaml = moler::record::simulator_yaml(&log, "moler.BOX.log").unwrap();
    assert!(!sim_yaml.contains(&password), "the password is not in the recording");
    let sim_file = dir.join("box.sim.yml");
    std::fs::write(&sim_file, &sim_yaml).unwrap();
    let device =
        moler_sim::Device::from_file(&sim_file).unwrap_or_else(|e| panic!("{e}\n{sim_yaml}"));
    let listener =
        moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw).unwrap();

    // Replayed: the same device, its connection TCP to the simulator; the sshd is not asked.
    let replay_yaml = yaml.replacen(
        "  BOX:\n    DEVICE_CLASS: moler.device.unixremote.UnixRemote\n",
        &format!(
            "  BOX:\n    DEVICE_CLASS: moler.device.unixremote.UnixRemote\n    CONNECTION_DESC: \
             {{io_type: tcp, host: 127.0.0.1, port: {}, ready_prompt: 'moler_bash# '}}\n",
            listener.addr().port()
        ),
        1,
    );
    assert_ne!(replay_yaml, yaml);
    let replay_yaml = replay_yaml.replacen(
        &format!("LOGGER: {{PATH: {}}}\n", quote(&logs.display().to_string())),
        "",
        1,
    );
    let devices = Devices::from_yaml(&replay_yaml).unwrap();
    let started = Instant::now();
    let replayed = script(&devices.get("BOX").unwrap(), &dir);
    let took = started.elapsed();
    devices.remove_all();
    assert_eq!(replayed.len(), live.len());
    for (l, r) in live.iter().zip(&replayed) {
        assert_eq!(l, r, "\nrecording:\n{sim_yaml}");
    }
    eprintln!("{} results replayed identically in {took:?}", live.len());
    if std::env::var_os("SHOW_RECORDING").is_some() {
        eprintln!("{sim_yaml}");
    }
    drop(listener);
    std::fs::remove_dir_all(&dir).unwrap();
}
