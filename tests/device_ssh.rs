//! A UnixRemote device end to end, the way Moler does it: the local shell (a real bash in a pty)
//! runs the OpenSSH client against the test sshd on 127.0.0.1. UNIX_LOCAL -> UNIX_REMOTE (host-key
//! question, password) -> UNIX_REMOTE_ROOT (sudo, its password) -> back; UNIX_LOCAL_ROOT through
//! su; `ls` on the remote; the remote shell killed -> the device is back in UNIX_LOCAL by itself;
//! a wrong password -> a state change failure naming the hop.

use std::path::Path;
use std::time::Duration;

use moler::commands::unix::{Ls, Pwd, Whoami};
use moler::prelude::*;
use moler_testkit::is_root;
use moler_testkit::sshd::Sshd;
use serde_json::json;

mod common;

use common::{quote, remote_device_yaml};

const T: Duration = Duration::from_secs(60);

fn scratch(tag: &str) -> moler_testkit::TempDir {
    moler_testkit::TempDir::new(&format!("device-{tag}"))
}

#[test]
fn remote_device_hops_over_real_ssh_and_follows_the_shell() {
    let Some(sshd) = Sshd::require() else { return };
    let dir = scratch("hops");
    let known_hosts = dir.join("known_hosts");
    std::fs::write(dir.join("remote_file.txt"), "x").unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let password = sshd.user().password.clone();
    // Logs (process-wide, as in Moler): checked for content and for secrets at the end.
    let logs = dir.join("logs");
    let _ = std::fs::remove_dir_all(&logs);
    let yaml = format!(
        "LOGGER: {{PATH: {}, RAW_LOG: true, DEBUG_LEVEL: DEBUG, DATE_FORMAT: '%H:%M:%S'}}\nDEVICES:{}{}",
        quote(&logs.display().to_string()),
        remote_device_yaml("REMOTE", &sshd, &known_hosts, &password, "ask"),
        remote_device_yaml("REMOTE_BAD", &sshd, &known_hosts, "not-the-password", "ask")
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let remote = devices.get("REMOTE").unwrap();
    assert_eq!(remote.state(), "UNIX_LOCAL", "INITIAL_STATE");
    assert_eq!(remote.prompt(), Some("^moler_bash#"), "Moler's default local prompt");

    // UNIX_LOCAL -> UNIX_REMOTE: the host-key question and the password dialog.
    remote.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    assert_eq!(remote.state(), "UNIX_REMOTE");
    assert!(!std::fs::read_to_string(&known_hosts).unwrap().trim().is_empty(), "host key taken");
    let who = remote.cmd("whoami", json!({})).unwrap().run().unwrap();
    assert_eq!(who["USER"], sshd.user().name.as_str());
    let ls = remote.run(Ls::new().path(dir.to_str().unwrap())).unwrap();
    assert!(ls.files.contains_key("remote_file.txt"), "ls on the remote: {:?}", ls.files);

    // UNIX_REMOTE -> UNIX_REMOTE_ROOT with sudo (the test user may, with its password).
    if Path::new("/usr/bin/sudo").exists() {
        remote.goto_state("UNIX_REMOTE_ROOT").unwrap();
        assert_eq!(remote.run(Whoami::new()).unwrap().user, "root");
        assert_eq!(remote.prompt(), Some("^moler_remote_root# "));
    } else {
        moler_testkit::skip(
            "UNIX_REMOTE_ROOT",
            "no sudo (scripts/setup-sshd.sh installs it as root)",
        );
    }

    // Down through UNIX_REMOTE and UNIX_LOCAL (two exits), then up to UNIX_LOCAL_ROOT with su.
    if is_root() {
        remote.goto_state("UNIX_LOCAL_ROOT").unwrap();
        assert_eq!(remote.state(), "UNIX_LOCAL_ROOT");
        assert_eq!(remote.run(Whoami::new()).unwrap().user, "root");
        remote.goto_state("UNIX_LOCAL").unwrap();
    } else {
        moler_testkit::skip("UNIX_LOCAL_ROOT", "su without a password needs root");
        remote.goto_state("UNIX_LOCAL").unwrap();
    }
    let local_pwd = remote.run(Pwd::new()).unwrap();
    assert!(local_pwd.full_path.starts_with('/'));

    // Back on the remote; its shell is killed: the ssh client ends, the local prompt shows, and
    // the prompts event puts the device back in UNIX_LOCAL by itself.
    remote.goto_state("UNIX_REMOTE").unwrap();
    let prompt = remote.prompt().unwrap().to_owned();
    let pid = remote.observe(Command::lines("echo $$", &prompt)).unwrap().run().unwrap();
    let pid: u32 =
        pid.iter().find_map(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("{pid:?}"));
    let stale = remote.observe(Pwd::new().build(remote.prompt())).unwrap();
    let status = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    assert!(status.unwrap().success());
    remote.wait_for_state("UNIX_LOCAL", T).unwrap();
    let err = stale.run().unwrap_err().to_string();
    assert!(
        err.contains("made for state UNIX_REMOTE of device REMOTE")
            && err.contains("in UNIX_LOCAL now"),
        "{err}"
    );
    assert!(remote.run(Pwd::new()).is_ok(), "the local shell works on");

    // A wrong password: the hop fails, named, without the secret; the device stays local.
    let bad = devices.get("REMOTE_BAD").unwrap();
    let err = bad.goto_state("UNIX_REMOTE").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "device REMOTE_BAD: cannot go from UNIX_LOCAL to UNIX_REMOTE: hop UNIX_LOCAL -> \
             UNIX_REMOTE (ssh) failed:"
        ),
        "{text}"
    );
    assert!(text.contains("Permission denied"), "{text}");
    assert!(!text.contains("not-the-password"), "no secret in the message: {text}");
    assert!(matches!(err, DeviceError::StateChange { .. }));
    assert_eq!(bad.state(), "UNIX_LOCAL");
    assert!(bad.run(Pwd::new()).is_ok());

    devices.remove_all();
    assert_eq!(remote.state(), "NOT_CONNECTED");
    assert!(matches!(remote.run(Pwd::new()), Err(DeviceError::Removed { .. })));
    check_logs(&logs, &[&password, "not-the-password"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every log file is there and says what happened, and no secret reached any of them.
fn check_logs(logs: &Path, secrets: &[&str]) {
    let read =
        |name: &str| std::fs::read(logs.join(name)).unwrap_or_else(|e| panic!("log {name}: {e}"));
    let main = String::from_utf8(read("moler.log")).unwrap();
    for expected in [
        "device REMOTE (UnixRemote) made",
        "hop UNIX_LOCAL -> UNIX_REMOTE (ssh)",
        "changed state from UNIX_LOCAL to UNIX_REMOTE",
        "changed state from UNIX_REMOTE to UNIX_REMOTE_ROOT",
        "changed state from UNIX_REMOTE to UNIX_LOCAL",
        "command 'whoami' started in UNIX_REMOTE",
        "REMOTE_BAD          |device REMOTE_BAD: cannot go from UNIX_LOCAL to UNIX_REMOTE",
        "device removed",
    ] {
        assert!(main.contains(expected), "moler.log lacks {expected:?}:\n{main}");
    }
    assert!(main.contains(" s\n") && main.contains("finished in "), "durations:\n{main}");
    let device = String::from_utf8(read("moler.REMOTE.log")).unwrap();
    assert!(device.contains(" >|whoami\n"), "what was sent:\n{device}");
    assert!(device.contains(" <|whoami"), "what came back (the echo):\n{device}");
    assert!(device.contains(" >|********\n"), "the passwords, masked:\n{device}");
    let bad = String::from_utf8(read("moler.REMOTE_BAD.log")).unwrap();
    assert!(bad.contains(" >|********\n"), "the wrong password, masked:\n{bad}");
    assert!(!read("moler.REMOTE.raw.log").is_empty(), "RAW_LOG");
    assert!(!read("moler.debug.log").is_empty(), "DEBUG_LEVEL");
    let files: Vec<_> = std::fs::read_dir(logs).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for secret in secrets {
            assert!(
                memchr_find(&bytes, secret.as_bytes()).is_none(),
                "{} holds a secret",
                file.display()
            );
        }
    }
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
