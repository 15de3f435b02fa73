//! A transport's greeting on every runner, over the memory transport: the commands queue
//! behind it, it is found after a long banner and a long wait between its marker and its
//! prompt, it times out on its own timeout, and its error says what it waited for.

use std::time::{Duration, Instant};

use moler_core::Command;
use moler_io::memory::MemoryDevice;
use moler_io::Greeting;
use moler_runners::{CompletionExt, ConnectionHandle};

#[macro_use]
mod support;
use support::Rig;

const WAIT: Duration = Duration::from_secs(20);
const PROMPT: &str = "^moler_bash# $";

/// A connection whose transport waits for `marker` then `prompt` within `timeout`.
fn greeted(
    rig: &Rig,
    marker: &str,
    prompt: &str,
    timeout: Duration,
) -> (ConnectionHandle, MemoryDevice) {
    rig.pair_with("greeted", |io| {
        io.greeting = Some(Greeting { marker: marker.into(), prompt: prompt.into(), timeout });
    })
}

on_every_runner!(
    a_command_waits_for_the_greeting_after_a_long_banner,
    the_greeting_times_out_on_its_own_timeout_and_names_what_it_waited_for,
    an_anchored_marker_or_prompt_gets_the_plain_text_hint,
);

/// Waits until `device` has nothing unread, or fails after [`WAIT`].
fn drained(device: &MemoryDevice) {
    let since = Instant::now();
    while device.unread() > 0 {
        assert!(since.elapsed() < WAIT, "the connection stopped reading");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// 24 KiB of banner in many-byte characters (the greeting keeps only a tail of what it saw,
/// cut on a character boundary), then the marker, 3,000 bytes more, and the prompt: the
/// greeting still finds the marker, and the command queued behind it is typed only then.
fn a_command_waits_for_the_greeting_after_a_long_banner(rig: &Rig) {
    let (conn, device) = greeted(rig, "Welcome to the board", "moler_bash# ", WAIT);
    let greeting = conn.greeting().expect("the handle knows the transport's greeting");
    assert_eq!((greeting.marker.as_str(), greeting.timeout), ("Welcome to the board", WAIT));
    let cmd = conn.start(Command::lines("uname", PROMPT));
    for _ in 0..12 {
        device.inject("żółw ".repeat(256) + "\r\n"); // 2 KiB a line, 1 to 3 bytes a character
    }
    device.inject("Welcome to the board\r\n");
    device.inject("x".repeat(3000) + "\r\n");
    drained(&device);
    assert_eq!(device.take_written(), b"", "nothing is typed before the greeting's prompt");
    device.respond_on_next_write("uname\r\nLinux\r\nmoler_bash# ");
    device.inject("moler_bash# ");
    assert_eq!(cmd.wait(WAIT).unwrap(), ["Linux"]);
    assert_eq!(device.take_written(), b"uname\n");
}

/// The greeting's timeout, not the command's, ends a greeting that never comes. The
/// connection closes (nothing may be typed into a device in an unknown state), and the
/// command's error says why: the greeting, quoting its marker and prompt, and what came.
fn the_greeting_times_out_on_its_own_timeout_and_names_what_it_waited_for(rig: &Rig) {
    let timeout = Duration::from_millis(300);
    let (conn, device) = greeted(rig, "Welcome", "login: ", timeout);
    device.inject("Welcome\r\nPassword: ");
    let started = Instant::now();
    let err = conn.run(Command::lines("uname", PROMPT), WAIT).unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout && elapsed < WAIT / 2, "{elapsed:?}: {err}");
    assert!(err.is_closed(), "{err}");
    let text = err.to_string();
    assert!(text.contains(r#"greeting ("Welcome" then the prompt "login: ") timed out"#), "{text}");
    assert!(text.contains(r#"last received: "Welcome\r\nPassword: ""#), "{text}");
    assert!(!text.contains("plain text"), "plain text waited for: no hint: {text}");
    assert_eq!(device.take_written(), b"", "the command was never typed");
}

/// A marker that starts with `^`, or a prompt that ends with `$`, is looked for as written:
/// when it times out, the error says that both are plain text.
fn an_anchored_marker_or_prompt_gets_the_plain_text_hint(rig: &Rig) {
    for (marker, prompt) in [("^Welcome", "login: "), ("Welcome", "login: $")] {
        let (conn, device) = greeted(rig, marker, prompt, Duration::from_millis(100));
        device.inject("Welcome\r\nlogin: ");
        let err = conn.run(Command::lines("uname", PROMPT), WAIT).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("plain text, not regexes"), "{marker} {prompt}: {text}");
    }
}
