//! `moler record`: a device log (any text, the format's records or not) turned into a simulated
//! device, as users record a session once to replay it in CI.
//!
//! Checks: no panic; a log that reads is recorded into YAML that `moler-sim` loads (the recorder
//! must never write a device file the simulator refuses); reading stays bounded.
//!
//! Input: the log's text (lossy UTF-8, as `moler record` reads a file).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let log = String::from_utf8_lossy(data);
    let Ok(yaml) = moler::record::simulator_yaml(&log, "fuzz.log") else { return };
    if let Err(e) = moler_sim::Device::from_yaml(&yaml) {
        panic!("the recording does not load: {e}\n--- log:\n{log}\n--- recording:\n{yaml}");
    }
});
