//! Remote shells behave as the local one (issue 19), on a real bash in a pty and the real test
//! sshd: the first commands after every hop (ssh, sudo, su, exit) give exactly what they give
//! locally, and removing a device leaves each remote shell with `exit` (as a user would), not by
//! closing the pty under it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use moler::device::REMOVAL_HOP_CAP;
use moler::prelude::*;
use moler_testkit::is_root;
use moler_testkit::sshd::Sshd;

mod common;

use common::{quote, remote_device_yaml};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moler-shells-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The remote user and root write here too.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    dir
}

fn has_sudo() -> bool {
    let there = Path::new("/usr/bin/sudo").exists();
    if !there {
        moler_testkit::skip("UNIX_REMOTE_ROOT", "no sudo (scripts/setup-sshd.sh installs it)");
    }
    there
}

/// A UnixRemote device `name` on `sshd`: ssh to UNIX_REMOTE, sudo -s to UNIX_REMOTE_ROOT, su to
/// UNIX_LOCAL_ROOT. `logs`: a LOGGER section.
fn devices(name: &str, sshd: &Sshd, dir: &Path, logs: Option<&Path>) -> Devices {
    let logger = logs
        .map(|l| {
            format!(
                "LOGGER: {{PATH: {}, DATE_FORMAT: '%H:%M:%S'}}\n",
                quote(&l.display().to_string())
            )
        })
        .unwrap_or_default();
    let device = remote_device_yaml(
        name,
        sshd,
        &dir.join("known_hosts"),
        &sshd.user().password,
        "accept-new",
    );
    let yaml = format!("{logger}DEVICES:{device}");
    Devices::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// Runs `line` in the device's current state: its output lines.
fn sh(device: &Device, line: &str) -> Vec<String> {
    let prompt = device.prompt().unwrap().to_owned();
    device.observe(Command::lines(line, &prompt).ret_required(false)).unwrap().run().unwrap()
}

/// Commands whose output starts in different ways: a line, an empty line, nothing.
const PROBES: [&str; 4] = ["echo hi", "echo; echo hi", "true", "printf 'a\\nb\\n'"];

#[test]
fn the_first_commands_after_every_hop_give_the_local_result() {
    let Some(sshd) = Sshd::require() else { return };
    let dir = scratch("lines");
    let devices = devices("SHELLS", &sshd, &dir, None);
    let device = devices.get("SHELLS").unwrap();
    let local: Vec<Vec<String>> = PROBES.iter().map(|p| sh(&device, p)).collect();
    assert_eq!(local[0], ["hi"], "the local shell");
    assert_eq!(local[1], ["", "hi"]);
    assert!(local[2].is_empty());
    assert_eq!(local[3], ["a", "b"]);

    let mut walk = vec!["UNIX_REMOTE"];
    if has_sudo() {
        walk.extend(["UNIX_REMOTE_ROOT", "UNIX_REMOTE"]);
    }
    walk.push("UNIX_LOCAL");
    if is_root() {
        walk.extend(["UNIX_LOCAL_ROOT", "UNIX_LOCAL"]);
    } else {
        moler_testkit::skip("UNIX_LOCAL_ROOT", "su without a password needs root");
    }
    for state in walk {
        let from = device.state();
        device.goto_state(state).unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
        // Right after the hop: whatever the hop left behind would land in these.
        for (probe, want) in PROBES.iter().zip(&local) {
            assert_eq!(&sh(&device, probe), want, "{probe:?} after {from} -> {state}");
        }
    }
    devices.remove_all();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Makes the shell the device is in write to `dir/ended.<tag>`, as it exits, the command that
/// made it exit: `exit` when it left by itself, an older one when its terminal went away under
/// it (bash then exits on end of input). Returns its pid.
fn record_end(device: &Device, dir: &Path, tag: &str) -> u32 {
    let file = dir.join(format!("ended.{tag}"));
    sh(device, &format!("trap 'echo \"$BASH_COMMAND\" >> {}' EXIT", file.display()));
    let pid = sh(device, "echo $$");
    pid.iter().find_map(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("{pid:?}"))
}

/// Waits until shell `tag` (`pid`) is gone: what it wrote as it exited.
fn ended(dir: &Path, tag: &str, pid: u32) -> String {
    let proc = format!("/proc/{pid}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Path::new(&proc).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!Path::new(&proc).exists(), "shell {tag} ({pid}) still runs");
    std::fs::read_to_string(dir.join(format!("ended.{tag}"))).unwrap_or_default()
}

/// The lines of `log` about `device`.
fn lines_of(log: &str, device: &str) -> Vec<String> {
    let mark = format!(" {device} ");
    log.lines().filter(|l| l.contains(&mark)).map(str::to_owned).collect()
}

#[test]
fn removal_exits_each_remote_shell_and_falls_back_to_closing_with_a_warning() {
    let Some(sshd) = Sshd::require() else { return };
    if !has_sudo() {
        return;
    }
    let dir = scratch("removal");
    let logs = dir.join("logs");
    let devices = devices("TEARDOWN", &sshd, &dir, Some(&logs));

    // A normal teardown from UNIX_REMOTE_ROOT: two exits, then the pty closes.
    let device = devices.get("TEARDOWN").unwrap();
    device.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    let user_shell = record_end(&device, &dir, "user");
    device.goto_state("UNIX_REMOTE_ROOT").unwrap();
    let root_shell = record_end(&device, &dir, "root");
    let started = Instant::now();
    devices.remove("TEARDOWN").unwrap();
    let took = started.elapsed();
    eprintln!("removal from UNIX_REMOTE_ROOT took {took:.2?}");
    assert!(took < 2 * REMOVAL_HOP_CAP, "bounded by the cap per hop: {took:?}");
    assert_eq!(device.state(), "NOT_CONNECTED");
    assert_eq!(ended(&dir, "root", root_shell), "exit\n", "the root shell left by `exit`");
    assert_eq!(ended(&dir, "user", user_shell), "exit\n", "the user shell left by `exit`");

    let main = std::fs::read_to_string(logs.join("moler.log")).unwrap();
    let main = lines_of(&main, "TEARDOWN");
    let text = main.join("\n");
    for expected in [
        "INFO         TEARDOWN            |removing: walking down from UNIX_REMOTE_ROOT to NOT_CONNECTED",
        "INFO         TEARDOWN            |hop UNIX_REMOTE_ROOT -> UNIX_REMOTE (exit)",
        "INFO         TEARDOWN            |hop UNIX_REMOTE -> UNIX_LOCAL (exit)",
        "INFO         TEARDOWN            |changed state from UNIX_LOCAL to NOT_CONNECTED",
        "INFO         TEARDOWN            |device removed",
    ] {
        assert!(text.contains(expected), "moler.log lacks {expected:?}:\n{text}");
    }
    assert!(
        !text.contains("ERROR") && !text.contains("WARNING"),
        "a normal teardown is no error:\n{text}"
    );
    let sent = std::fs::read_to_string(logs.join("moler.TEARDOWN.log")).unwrap();
    let exits = sent.matches(" >|exit\n").count();
    assert_eq!(exits, 2, "one exit per shell, before the connection closed:\n{sent}");
    assert!(sent.find(" >|exit\n") < sent.find("connection closed"), "{sent}");

    // A shell that refuses to go (stopped jobs): the hop fails, the removal says so at WARNING
    // and closes the connection, within the cap.
    let device = devices.get("TEARDOWN").unwrap();
    device.goto_state("UNIX_REMOTE").unwrap();
    let stuck_shell = record_end(&device, &dir, "stuck");
    sh(&device, "sleep 600 & kill -STOP $!");
    // bash refuses `exit` only once it has seen its job stop (a SIGCHLD it handles when it
    // gets to it): on a busy machine the job may stop, or bash notice it, after the next
    // command came. Its own job table says when: `jobs -s` lists the stopped jobs. (An
    // `exit` right after `jobs` is let through, the jobs having been shown: `true` between.)
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sh(&device, "jobs -s").iter().any(|l| l.contains("Stopped")) {
        assert!(Instant::now() < deadline, "bash never listed its stopped job");
        std::thread::sleep(Duration::from_millis(20));
    }
    sh(&device, "true");
    let started = Instant::now();
    devices.remove_all();
    let took = started.elapsed();
    eprintln!("removal with a shell that refuses exit took {took:.2?}");
    assert!(took < REMOVAL_HOP_CAP + Duration::from_secs(5), "{took:?}");
    assert_eq!(device.state(), "NOT_CONNECTED");
    // Gone all the same: closing the connection took it (its `exit` was refused).
    ended(&dir, "stuck", stuck_shell);
    let main = std::fs::read_to_string(logs.join("moler.log")).unwrap();
    let main = lines_of(&main, "TEARDOWN");
    let fallback = main.iter().skip_while(|l| !l.contains("device removed")).skip(1);
    let text = fallback.cloned().collect::<Vec<_>>().join("\n");
    assert!(
        text.contains(
            "WARNING      TEARDOWN            |removing: device TEARDOWN: cannot go from \
             UNIX_REMOTE to UNIX_LOCAL: hop UNIX_REMOTE -> UNIX_LOCAL (exit) failed"
        ) && text.to_lowercase().contains("stopped")
            && text.contains("closing the connection in UNIX_REMOTE instead"),
        "the fallback is a warning naming the hop and why:\n{text}"
    );
    assert!(!text.contains("ERROR"), "never an error:\n{text}");
    assert!(text.contains("INFO         TEARDOWN            |device removed"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
