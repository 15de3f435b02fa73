//! Layer 4: a device test script. Takes two devices from YAML: `ps` on the local machine, then
//! a `ping` in the background there while `ls` runs on a remote machine reached over ssh (the
//! local shell runs the ssh client, as Moler does), then the ping's result.
//!
//! ```text
//! cargo run --example device_script -- examples/my_devices.yml
//! cargo run --example device_script -- examples/my_devices.yml --host 10.0.0.5 --user tester --password secret
//! ```
//!
//! `--host`, `--port`, `--user`, `--password` and `--known-hosts` replace RemoteBox's ssh
//! parameters. Exit codes: 0 done, 1 a device failed, 2 a broken config or command line.

use std::process::ExitCode;
use std::time::Duration;

use moler::commands::unix::{Ls, Ping, Ps};
use moler::config::{Config, Node};
use moler::prelude::*;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "examples/my_devices.yml".into());
    let mut config = match Config::from_file(&path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = ssh_overrides(&mut config, args) {
        eprintln!("device_script: {e}");
        return ExitCode::from(2);
    }
    let devices = match Devices::from_config(config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}", Report(&e));
            return ExitCode::from(2);
        }
    };
    let result = script(&devices);
    devices.remove_all();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The whole chain: `cannot open …: connect to …: Connection refused …`.
            eprintln!("device_script: {}", Report(&e));
            ExitCode::FAILURE
        }
    }
}

fn script(devices: &Devices) -> Result<(), DeviceError> {
    let local = devices.get("MyMachine")?;
    let ps = local.run(Ps::new().options("-e -o pid,comm"))?;
    println!("MyMachine ({}): {} processes", local.state(), ps.rows.len());

    // In the background on MyMachine, while RemoteBox works.
    let ping = local.start(Ping::new("127.0.0.1").options("-c 3 -i 0.2"))?;

    let remote = devices.get("RemoteBox")?; // its initial state: UNIX_REMOTE, so ssh runs now
    let files = remote.run(Ls::new().options("-a"))?;
    let names: Vec<&str> = files.files.keys().collect();
    println!("RemoteBox ({}): ls -a: {}", remote.state(), names.join(" "));
    remote.goto_state("UNIX_LOCAL")?; // exit
    println!("RemoteBox is back in {}", remote.state());

    let stats = ping.wait(Duration::from_secs(30))?;
    println!(
        "ping 127.0.0.1 from MyMachine: {} sent, {} received, {}% loss",
        stats.packets_transmitted, stats.packets_received, stats.packet_loss
    );
    Ok(())
}

/// Replaces parameters of RemoteBox's ssh hop with `--host`, `--port`, `--user`, `--password`,
/// `--known-hosts` given on the command line.
fn ssh_overrides(
    config: &mut Config,
    mut args: impl Iterator<Item = String>,
) -> Result<(), String> {
    let mut given = serde_json::Map::new();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--host" => given.insert("host".into(), value.into()),
            "--user" => given.insert("login".into(), value.into()),
            "--password" => given.insert("password".into(), value.into()),
            "--port" => {
                let port: u16 = value.parse().map_err(|_| format!("--port {value}: not a port"))?;
                given.insert("port".into(), port.into())
            }
            "--known-hosts" => given.insert(
                "options".into(),
                format!("-o UserKnownHostsFile={value} -o StrictHostKeyChecking=ask").into(),
            ),
            other => {
                return Err(format!(
                    "unknown option {other}; expected --host, --port, --user, --password, --known-hosts"
                ))
            }
        };
    }
    if given.is_empty() {
        return Ok(());
    }
    let device = config.devices.list.iter_mut().find(|d| d.name.value == "RemoteBox");
    let hop = device
        .and_then(|d| {
            d.hops.iter_mut().find(|h| h.from.value == "UNIX_LOCAL" && h.to.value == "UNIX_REMOTE")
        })
        .ok_or("the config has no RemoteBox with a UNIX_LOCAL -> UNIX_REMOTE hop")?;
    let mut params = hop.command_params.to_json();
    if !params.is_object() {
        params = serde_json::json!({});
    }
    for (k, v) in given {
        params[k] = v;
    }
    hop.command_params = Node::from_json(&params);
    Ok(())
}
