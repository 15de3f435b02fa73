//! The ready-made devices of `moler-sim/devices/`, each served over the transport it is reached
//! by in the lab and driven by moler: the Juniper EX switch as the login shell of the test
//! sshd's simulator user (moler's SSH transport, and a device's `ssh` hop). Each reproduces
//! Moler's reference outputs (`tests/fixtures/<family>`: Moler 4.13.1's cases, BSD-3-Clause,
//! Nokia, copied from `../shared/moler-fixtures` with a note of their origin): what moler reads
//! between the echo and the prompt is the case's output there, line for line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use moler::prelude::*;
use moler_io::ssh::{self, HostKeyPolicy};
use moler_io::Greeting;
use moler_sim::Device;
use moler_testkit::sshd::Sshd;
use serde_json::Value;

const T: Duration = Duration::from_secs(20);
const SIM: &str = env!("CARGO_BIN_EXE_moler-sim");
const DEVICES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/devices");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn device_file(name: &str) -> PathBuf {
    Path::new(DEVICES).join(name)
}

/// A reference case's output as lines: the echo of `command` (after a prompt, in some cases),
/// what the device printed, and the prompt (or, for a modem, nothing) as the last line.
fn reference(family: &str, case: &str, command: &str) -> Vec<String> {
    let path = Path::new(FIXTURES).join(family).join(format!("{case}.json"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let output = json["output"].as_str().unwrap();
    let lines: Vec<String> =
        output.strip_prefix('\n').unwrap_or(output).split('\n').map(str::to_owned).collect();
    assert!(lines[0].ends_with(command), "{case}: echo {:?}, not of {command:?}", lines[0]);
    lines
}

/// What a reference case shows between the echo of `command` and the prompt.
fn between_echo_and_prompt(family: &str, case: &str, command: &str) -> Vec<String> {
    let lines = reference(family, case, command);
    lines[1..lines.len() - 1].to_vec()
}

/// The program's `--check` (what `moler sim --check` runs) passes on every device file, and
/// every file loads.
#[test]
fn every_ready_made_device_file_checks() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(DEVICES).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            let out = std::process::Command::new(SIM).arg("--check").arg(&path).output().unwrap();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let listing = String::from_utf8_lossy(&out.stdout);
            assert!(listing.starts_with(&format!("device {stem}: ")), "{listing}");
            Device::from_file(&path).unwrap();
            names.push(stem);
        }
    }
    names.sort();
    assert_eq!(names, ["juniper_ex", "unix_host"]);
}

// --- Juniper EX over ssh ------------------------------------------------------------------------

const CLI: &str = "^admin@switch> $";
const CONFIGURE: &str = "^admin@switch# $";

/// The device file in a folder the simulator's ssh user can read.
fn readable_copy(name: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moler-sim-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let file = dir.join(name);
    std::fs::copy(device_file(name), &file).unwrap();
    file
}

#[test]
fn juniper_ex_over_openssh_answers_as_junos_and_as_molers_cases() {
    let file = readable_copy("juniper_ex.yml", "junos");
    let Some(sshd) = Sshd::require_sim(Path::new(SIM), &file) else { return };
    let user = sshd.sim_user().unwrap();
    let mut options = ssh::SshOptions::new("127.0.0.1", &user.name)
        .port(sshd.port())
        .password(&user.password)
        .host_key_policy(HostKeyPolicy::Off);
    options.greeting = Some(Greeting {
        marker: "admin@switch> ".into(),
        prompt: "admin@switch> ".into(),
        timeout: T,
    });
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let ex = runner.spawn("ex", ssh::connect(&options).unwrap()).unwrap();
    let run = |command: &str, prompt: &str| ex.run(Command::lines(command, prompt), T).unwrap();

    let version = run("show version", CLI);
    assert_eq!(version[..3], ["fpc0:", &"-".repeat(74), "Hostname: switch"], "{version:?}");
    assert!(version.iter().any(|l| l == "Model: ex2300-24t"), "{version:?}");
    assert_eq!(version.last().unwrap(), "", "an empty line before the prompt");
    let terse = run("show interfaces terse", CLI);
    assert!(terse[0].starts_with("Interface               Admin Link Proto"), "{terse:?}");
    assert!(terse.iter().any(|l| l.starts_with("me0.0") && l.ends_with("10.0.0.2/24")));
    let uptime = run("show system uptime", CLI);
    assert!(uptime.iter().any(|l| l.starts_with("Current time: ")), "{uptime:?}");
    // A word Junos does not know: a caret under it (the prompt is 14 characters wide).
    assert_eq!(run("shwo version", CLI), ["              ^", "unknown command.", ""]);
    assert_eq!(
        run("show frobnicate", CLI),
        ["                   ^", "syntax error, expecting <command>.", ""]
    );

    // Moler's cases: `configure`, then `exit`.
    assert_eq!(
        run("configure", CONFIGURE),
        between_echo_and_prompt("juniper", "configure__default", "configure")
    );
    let set =
        ex.run(Command::lines("set interfaces ge-0/0/1 description uplink", CONFIGURE), T).unwrap();
    assert_eq!(set, ["", "[edit]"], "nothing said; `[edit]` above the prompt");
    assert_eq!(
        run("commit", CONFIGURE),
        ["configuration check succeeds", "commit complete", "", "[edit]"]
    );
    assert_eq!(run("frobnicate", CONFIGURE), ["              ^", "unknown command.", "", "[edit]"]);
    assert_eq!(
        run("exit", CLI),
        between_echo_and_prompt("juniper", "exit_configure__default", "exit")
    );
    run("configure", CONFIGURE);
    assert_eq!(run("exit configuration-mode", CLI), ["Exiting configuration mode"]);
    // `exit` in operational mode ends the session, and ssh with it.
    let err = ex.run(Command::lines("exit", CLI), T).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err}");
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[test]
fn a_device_hops_over_openssh_into_the_juniper_cli_and_back() {
    let file = readable_copy("juniper_ex.yml", "junos-hop");
    let Some(sshd) = Sshd::require_sim(Path::new(SIM), &file) else { return };
    let user = sshd.sim_user().unwrap();
    let known_hosts = file.parent().unwrap().join("known_hosts");
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=ask -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1",
        known_hosts.display()
    );
    // As Moler's JuniperEX device reaches its CLI: ssh, no shell settings sent.
    let yaml = format!(
        r#"
DEVICES:
  EX:
    DEVICE_CLASS: moler.device.unixremote.UnixRemote
    INITIAL_STATE: UNIX_LOCAL
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            port: {port}
            login: {login}
            password: {password}
            expected_prompt: '{CLI}'
            set_timeout: null
            options: {options}
"#,
        port = sshd.port(),
        login = user.name,
        password = quote(&user.password),
        options = quote(&options),
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let ex = devices.get("EX").unwrap();
    ex.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    let uptime = ex.observe(Command::lines("show system uptime", CLI)).unwrap().run().unwrap();
    assert!(uptime.iter().any(|l| l.contains("up 28 days")), "{uptime:?}");
    ex.goto_state("UNIX_LOCAL").unwrap();
    assert_eq!(ex.state(), "UNIX_LOCAL");
    devices.remove_all();
}
