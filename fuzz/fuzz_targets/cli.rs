//! `moler parse NAME --params TEXT --prompt REGEX < capture`, minus the process: the same
//! function builds the command from the arguments (`offline::command_from_text`), the capture
//! is fed whole as the CLI feeds what it read, and the result printed as the CLI prints it.
//!
//! A library call rather than the built binary: a process per input would run a few hundred
//! inputs a second, and the CLI's own part around this call is clap's argument parsing and a
//! `read_to_end`.
//!
//! Input: the name on the first line, the `--params` text on the second (JSON or YAML; empty:
//! none), the `--prompt` regex on the third (empty: none), then the capture.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use moler::commands::{offline, Registry};

/// The CLI makes one per run; one per process here, as building it is not what is fuzzed.
static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::default);

fn line<'a>(data: &mut &'a [u8]) -> &'a [u8] {
    let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let line = &data[..end];
    *data = &data[(end + 1).min(data.len())..];
    line
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    // Arguments reach the CLI as UTF-8 (clap refuses anything else); the capture is bytes.
    let Ok(name) = std::str::from_utf8(line(&mut data)) else { return };
    let Ok(params) = std::str::from_utf8(line(&mut data)) else { return };
    let Ok(prompt) = std::str::from_utf8(line(&mut data)) else { return };
    let prompt = (!prompt.is_empty()).then_some(prompt);
    let command = match offline::command_from_text(&REGISTRY, name, params, prompt) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    match offline::parse(command, [data]) {
        Ok(value) => drop(serde_json::to_string_pretty(&value).expect("JSON values print")),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
