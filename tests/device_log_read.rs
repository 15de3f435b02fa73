//! A device log read back (`moler::logging::read`) gives what the device sent, exactly, however
//! the reads cut it: what `moler record` builds simulators from. Its own binary: logging is
//! process-wide.

use moler::logging::read::{read_device_log, received_text, RecordKind};
use moler::prelude::*;

#[test]
fn a_device_log_read_back_gives_the_received_text_exactly() {
    let dir = std::env::temp_dir().join(format!("moler-log-read-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = format!(
        "LOGGER: {{PATH: '{}', MODE: write}}\nDEVICES:\n  LOCAL: {{DEVICE_CLASS: UnixLocal}}\n",
        dir.display()
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let local = devices.get("LOCAL").unwrap();
    let prompt = local.prompt().unwrap().to_owned();
    // About 110 KB: the pty hands it over in many reads, cut anywhere.
    let out = local.observe(Command::lines("seq 1 20000", &prompt)).unwrap().run().unwrap();
    assert_eq!(out.len(), 20000);
    devices.remove_all();
    moler::logging::stop();

    let text = std::fs::read_to_string(dir.join("moler.LOCAL.log")).unwrap();
    let records = read_device_log(&text).unwrap();
    let pieces = records.iter().filter(|r| r.kind == RecordKind::Received).count();
    assert!(pieces > 3, "the output came in {pieces} pieces");
    assert!(records.iter().any(|r| r.kind == RecordKind::Sent && r.text == "seq 1 20000"));
    assert!(records.iter().any(|r| r.kind == RecordKind::Note && r.text.contains("finished")));
    let received = received_text(&records);
    let numbers: String = (1..=20000).map(|n| format!("{n}\n")).collect();
    assert!(
        received.contains(&format!("seq 1 20000\n{numbers}moler_bash# ")),
        "pieces joined wrongly"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
