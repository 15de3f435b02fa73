//! Arbitrary text as a Moler YAML config, then the devices it describes resolved as
//! `moler check-config` resolves them: the result must be a config or a clear error, never a
//! panic or a hang.
//!
//! `Devices::load` and not `Devices::from_config`: both resolve every device the same way
//! (classes, states, hops, prompts), but `from_config` also acts on the config, setting up the
//! log files of its `LOGGER` section and opening every connection under `CREATE_AT_STARTUP`
//! (a `process` connection runs whatever program the input names). A fuzzer must not write
//! files or start programs chosen by its input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use moler::{Config, Devices};

fuzz_target!(|data: &[u8]| {
    // Files are read as UTF-8; lossy decoding lets every input reach the YAML parser.
    let text = String::from_utf8_lossy(data);
    let config = match Config::from_yaml(&text) {
        Ok(config) => config,
        Err(e) => {
            // Errors are for people: they must print, and say where.
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    // Loading the same text twice and merging, as `Loader::from_files` does for two files
    // defining the same names the same way.
    if let Ok(again) = Config::from_yaml(&text) {
        let mut merged = config.clone();
        let _ = merged.merge(again);
    }
    match Devices::load(config) {
        Ok(devices) => {
            for name in devices.names() {
                let info = devices.info(&name).expect("a listed device has its info");
                let _ = format!("{info:?}");
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
