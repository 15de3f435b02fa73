//! The terminal's shell: bash when the machine has it, else sh; each set up so that the
//! prompt is `moler_bash# ` and the greeting is the setup's marker.

use std::io::{Read, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use moler_io::terminal::{self, choose_shell, TerminalOptions};

/// Runs `line` in a terminal of `shell` and returns what came up to `until`.
fn run_in(shell: &str, line: &str, until: &str) -> String {
    let options = TerminalOptions { shell: shell.into(), ..Default::default() };
    let transport = terminal::open(&options).unwrap();
    assert_eq!(transport.name, format!("terminal:{shell}"));
    let mut io = transport.into_blocking();
    let mut seen = Vec::new();
    let mut buf = [0; 4096];
    let deadline = Instant::now() + Duration::from_secs(20);
    // A shell that never answers fails the test at the deadline rather than hanging it: the
    // watchdog closes the terminal, and the reads then return its end.
    let (done, finished) = mpsc::channel::<()>();
    let closer = io.closer();
    std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(20)) == Err(RecvTimeoutError::Timeout) {
            closer.close();
        }
    });
    // The greeting first: the marker and the prompt.
    while !String::from_utf8_lossy(&seen).contains("MOLER_READY\r\nmoler_bash# ") {
        assert!(
            Instant::now() < deadline,
            "{shell}: no greeting: {:?}",
            String::from_utf8_lossy(&seen)
        );
        let n = io.read(&mut buf).unwrap();
        seen.extend_from_slice(&buf[..n]);
    }
    seen.clear();
    io.write_all(format!("{line}\n").as_bytes()).unwrap();
    while !String::from_utf8_lossy(&seen).contains(until) {
        assert!(Instant::now() < deadline, "{shell}: {:?}", String::from_utf8_lossy(&seen));
        let n = io.read(&mut buf).unwrap();
        seen.extend_from_slice(&buf[..n]);
    }
    io.close();
    drop(done);
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn a_posix_sh_gets_the_same_prompt_and_greeting_as_bash() {
    for shell in ["bash", "sh"] {
        let out = run_in(shell, "echo $((6*7))", "42\r\nmoler_bash# ");
        assert!(out.starts_with("echo $((6*7))\r\n"), "{shell}: {out:?}");
    }
}

#[test]
fn without_bash_on_path_the_terminal_takes_sh() {
    let dir = std::env::temp_dir().join(format!("moler-shells-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("with")).unwrap();
    std::fs::create_dir_all(dir.join("without")).unwrap();
    let bash = terminal::on_path("bash").unwrap();
    std::os::unix::fs::symlink(&bash, dir.join("with/bash")).unwrap();
    let with = choose_shell(Some(dir.join("with").as_os_str()));
    assert_eq!((with.shell, with.why), ("bash", "bash is on PATH"));
    let without = choose_shell(Some(dir.join("without").as_os_str()));
    assert_eq!((without.shell, without.why), ("sh", "no bash on PATH"));
    assert_eq!(choose_shell(None).shell, "sh");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_shell_that_is_not_there_is_a_clear_error() {
    let options = TerminalOptions { shell: "/no/such/shell".into(), ..Default::default() };
    let err = terminal::open(&options).err().unwrap();
    assert!(err.to_string().starts_with("terminal /no/such/shell: start the shell"), "{err}");
}

/// A program on PATH is an executable file: a directory or a file nobody may run of the same
/// name, earlier on PATH, is passed over.
#[test]
fn a_program_on_path_is_an_executable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("moler-programs-{}", std::process::id()));
    for sub in ["dir", "plain", "runnable"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::create_dir_all(dir.join("dir/prog")).unwrap();
    std::fs::set_permissions(dir.join("dir/prog"), std::fs::Permissions::from_mode(0o755)).unwrap();
    for (sub, mode) in [("plain", 0o644), ("runnable", 0o700)] {
        std::fs::write(dir.join(sub).join("prog"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(dir.join(sub).join("prog"), std::fs::Permissions::from_mode(mode))
            .unwrap();
    }
    let path = std::env::join_paths(["dir", "plain", "runnable"].map(|s| dir.join(s))).unwrap();
    let found = terminal::find_program("prog", Some(&path));
    assert_eq!(found, Some(dir.join("runnable/prog")));
    let none = std::env::join_paths(["dir", "plain"].map(|s| dir.join(s))).unwrap();
    assert_eq!(terminal::find_program("prog", Some(&none)), None);
    std::fs::remove_dir_all(&dir).unwrap();
}
