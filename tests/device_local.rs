//! UnixLocal devices on a real bash in a pty: states, commands for a state, the factory.

use std::time::Duration;

use moler::commands::unix::{Ls, Pwd};
use moler::prelude::*;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn local_device_runs_commands_by_name_and_typed() {
    let devices = Devices::from_yaml(
        "DEVICES:\n  LOCAL:\n    DEVICE_CLASS: moler.device.unixlocal.UnixLocal\n",
    )
    .unwrap();
    let local = devices.get("LOCAL").unwrap();
    assert_eq!(local.state(), "UNIX_LOCAL");
    let pwd = local.cmd("pwd", json!({})).unwrap().run().unwrap();
    assert!(pwd["full_path"].as_str().unwrap().starts_with('/'), "{pwd}");
    let typed = local.run(Pwd::new()).unwrap();
    assert_eq!(typed.full_path, pwd["full_path"].as_str().unwrap());
    let ls = local.start(Ls::new().path("/")).unwrap().wait(WAIT).unwrap();
    assert!(ls.files.contains_key("etc"), "{:?}", ls.files.keys());
    devices.remove("LOCAL").unwrap();
    assert_eq!(local.state(), "NOT_CONNECTED");
}
