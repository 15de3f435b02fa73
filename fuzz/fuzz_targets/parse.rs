//! A captured output parsed offline by any command or event of the registry, with any JSON
//! parameters, fed in reads whose size the input picks: a result or a clear error, never a
//! panic or a hang.
//!
//! Input: a byte choosing the read size (0: the whole capture at once, 1: line by line, n: n-1
//! bytes at a time), then the name on the first line (an unknown name picks one by its bytes,
//! so that every input reaches a parser), the parameters as JSON on the second line (not JSON:
//! no parameters), then the capture.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use moler::commands::{offline, Registry};
use serde_json::Value;

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::default);

/// Commands and events, commands first, each list in the registry's order.
static NAMES: LazyLock<Vec<(bool, String)>> = LazyLock::new(|| {
    let commands = REGISTRY.command_names().map(|n| (true, n.to_owned()));
    commands.chain(REGISTRY.event_names().map(|n| (false, n.to_owned()))).collect()
});

fn line<'a>(data: &mut &'a [u8]) -> &'a [u8] {
    let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let line = &data[..end];
    *data = &data[(end + 1).min(data.len())..];
    line
}

fuzz_target!(|data: &[u8]| {
    let Some((&read_size, mut data)) = data.split_first() else { return };
    let name = line(&mut data);
    let params = line(&mut data);
    let captured = data;

    let name = String::from_utf8_lossy(name);
    let (is_command, name) = match NAMES.iter().find(|(_, n)| *n == name) {
        Some(found) => found,
        None => {
            let pick = name.bytes().map(usize::from).sum::<usize>() % NAMES.len();
            &NAMES[pick]
        }
    };
    let params: Value = serde_json::from_slice(params).unwrap_or(Value::Null);
    let observer =
        if *is_command { REGISTRY.command(name, &params) } else { REGISTRY.event(name, &params) };
    let observer = match observer {
        Ok(o) => o,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let result = match read_size {
        0 => offline::parse(observer, [captured]),
        1 => offline::parse(observer, offline::lines_of(captured)),
        n => offline::parse(observer, captured.chunks(usize::from(n - 1))),
    };
    match result {
        Ok(value) => drop(serde_json::to_string(&value).expect("JSON values print")),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
