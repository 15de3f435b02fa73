//! Layer 4, devices (local only, no ssh needed): a device from Moler's YAML, commands typed and
//! by name, an event in the background, and the logs it writes.
//!
//! `cargo run --example layer4` (logs go to a temporary folder, printed at the end). With the
//! test sshd, `examples/device_script.rs` also hops to a remote over ssh.

use std::time::Duration;

use moler::commands::unix::{Ls, Uname};
use moler::prelude::*;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let logs = std::env::temp_dir().join(format!("moler-layer4-logs-{}", std::process::id()));
    let yaml = format!(
        "
LOGGER:
  PATH: {logs}
  DATE_FORMAT: '%H:%M:%S'
DEVICES:
  MyMachine:
    DEVICE_CLASS: moler.device.unixlocal.UnixLocal
",
        logs = logs.display()
    );
    let devices = Devices::from_yaml(&yaml)?; // checked: file:line:column on mistakes
    let local = devices.get("MyMachine")?; // opens a bash, goes to UNIX_LOCAL
    println!("{} is {} in {}", local.name(), local.class(), local.state());

    // An event by name, in the background: the first line that says "ready".
    let ready = local
        .event("wait4", json!({"detect_patterns": ["^ready (\\d+)$"], "till_occurs_times": 1}))?
        .start();
    // Commands: typed, and by name with Moler's JSON result.
    let uname = local.run(Uname::new().options("-s"))?;
    let echo = local.cmd("echo", json!({"text": "ready 1"}))?.run()?;
    let files = local.run(Ls::new().options("-a").path("/"))?;
    println!("uname -s: {:?}; echo: {}; / has {} entries", uname.result, echo, files.files.len());
    let seen = ready.wait(Duration::from_secs(10))?;
    println!("event saw {seen}");

    devices.remove_all(); // exits, closes the shell, ends its threads
    for name in ["moler.log", "moler.MyMachine.log"] {
        let text = std::fs::read_to_string(logs.join(name))?;
        println!("--- {name} (first lines of {})", logs.join(name).display());
        for line in text.lines().take(8) {
            println!("{line}");
        }
    }
    std::fs::remove_dir_all(&logs)?;
    Ok(())
}
