//! A device's logs with `MODE: write` lose nothing: a suffix there and back, the device removed
//! and made again, the config loaded again. One test in its own binary: logging is
//! process-wide, so no other test's devices write to these files.

use std::path::Path;

use moler::commands::unix::Echo;
use moler::prelude::*;

mod common;

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// Where each `mark-…` of `marks` first appears in `text`, panicking with the file if one is
/// missing; the positions must grow (the marks are in this order).
fn in_order(text: &str, marks: &[&str], what: &str) {
    let mut at = 0;
    for mark in marks {
        match text[at..].find(mark) {
            Some(i) => at += i + mark.len(),
            None => panic!("{what}: {mark:?} missing or out of order in:\n{text}"),
        }
    }
}

/// Descriptors of this process open on files of `dir`.
fn open_in(dir: &Path) -> Vec<String> {
    common::fd_list().into_iter().filter(|f| f.contains(&*dir.to_string_lossy())).collect()
}

fn echo(devices: &Devices, mark: &str) {
    let out = devices.get("LOCAL").unwrap().run(Echo::new().text(mark)).unwrap();
    assert_eq!(out.result, [mark]);
}

#[test]
fn write_mode_logs_keep_everything_across_suffixes_removals_and_reloads() {
    let dir = std::env::temp_dir().join(format!("moler-device-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("moler.LOCAL.log"), "mark-earlier-run\n").unwrap();
    let yaml = format!(
        "LOGGER: {{PATH: '{}', MODE: write, RAW_LOG: true, DEBUG_LEVEL: INFO}}\n\
         DEVICES:\n  LOCAL: {{DEVICE_CLASS: UnixLocal}}\n",
        dir.display()
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    echo(&devices, "mark-login");

    let logs = moler::logging::active().expect("the LOGGER section set logs up");
    logs.set_suffix(Some(".step2")).unwrap();
    echo(&devices, "mark-step2");
    logs.set_suffix(None).unwrap();
    echo(&devices, "mark-back");

    devices.remove("LOCAL").unwrap();
    let open = open_in(&dir);
    assert!(
        open.iter().all(|f| !f.contains("moler.LOCAL.")),
        "a removed device's files are closed: {open:?}"
    );
    echo(&devices, "mark-made-again");

    // Loaded again, as a second test of the same process does: still write mode.
    drop(devices);
    let devices = Devices::from_yaml(&yaml).unwrap();
    echo(&devices, "mark-reloaded");
    devices.remove("LOCAL").unwrap();
    // Made again, used and removed on a tokio runtime (`get_async`, `remove_async`): the same
    // records, in the same order.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let local = devices.get_async("LOCAL").await.unwrap();
        let out = local.start(Echo::new().text("mark-tokio")).unwrap().await.unwrap();
        assert_eq!(out.result, ["mark-tokio"]);
        devices.remove_async("LOCAL").await.unwrap();
    });
    devices.remove_all();
    moler::logging::stop();
    assert!(open_in(&dir).is_empty(), "stop closes every file: {:?}", open_in(&dir));

    let device = read(&dir, "moler.LOCAL.log");
    assert!(!device.contains("mark-earlier-run"), "the first open truncates:\n{device}");
    let kept = ["mark-login", "mark-back", "mark-made-again", "mark-reloaded", "mark-tokio"];
    in_order(&device, &kept, "moler.LOCAL.log");
    // A removal's last words reach the device log before its file closes: the connection's
    // close, then the removal, each time.
    let ends = ["connection closed", "device removed"];
    in_order(&device, &[&["mark-back"], &ends[..], &["mark-made-again"]].concat(), "first removal");
    in_order(&device, &[&["mark-reloaded"], &ends[..], &["mark-tokio"]].concat(), "third removal");
    in_order(&device, &[&["mark-tokio"], &ends[..]].concat(), "the removal on tokio");
    assert!(!device.contains("mark-step2"), "{device}");
    in_order(&read(&dir, "moler.LOCAL.raw.log"), &kept, "moler.LOCAL.raw.log");
    in_order(&read(&dir, "moler.debug.log"), &kept, "moler.debug.log");
    for name in ["moler.LOCAL.step2.log", "moler.LOCAL.raw.step2.log", "moler.debug.step2.log"] {
        let step2 = read(&dir, name);
        in_order(&step2, &["mark-step2"], name);
        assert!(!step2.contains("mark-back") && !step2.contains("mark-login"), "{name}:\n{step2}");
    }
    let main = read(&dir, "moler.log");
    assert_eq!(main.matches("device removed").count(), 3, "moler.log:\n{main}");
    assert_eq!(main.matches("logging to").count(), 2, "both loads:\n{main}");
    std::fs::remove_dir_all(dir).unwrap();
}
