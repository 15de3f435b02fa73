//! Through real OpenSSH: the test sshd lets in the simulator's user, whose login shell is the
//! simulator on a device file (moler-testkit's `Sshd::start_sim`). A moler device hops there
//! with the `ssh` client from a local bash, as it would to a lab host, and moler's own SSH
//! transport (libssh2) lands there too.

use std::path::Path;
use std::time::Duration;

use moler::commands::unix::Whoami;
use moler::prelude::*;
use moler_io::ssh::{self, HostKeyPolicy};
use moler_io::Greeting;
use moler_testkit::sshd::Sshd;

const T: Duration = Duration::from_secs(30);
const SIM: &str = env!("CARGO_BIN_EXE_moler-sim");
const PROMPT: &str = r"^molersim@simbox:~\$ $";
const ROOT_PROMPT: &str = r"^root@simbox:/home/molersim# $";

/// A remote host: sshd did the login, so the device shows its banner and prompt at once.
fn device_yaml(sudo_password: &str) -> String {
    format!(
        r##"
banner: "simbox: a simulated host behind OpenSSH"
unknown_command: "-bash: {{word}}: command not found"
states:
  UNIX_REMOTE:
    prompt: "molersim@simbox:~$ "
    commands:
      - {{match: whoami, answer: molersim}}
      - {{match: hostname, answer: simbox}}
      # What moler's ssh sends at the first prompt (set_timeout): bash says nothing.
      - {{regex: 'export \w+=.*'}}
      - match: sudo -s
        ask: {{prompt: "[sudo] password for molersim: ", expect: '{sudo_password}', wrong: "Sorry, try again."}}
        goto: ROOT
      - {{match: exit, answer: logout, close: true}}
  ROOT:
    prompt: "root@simbox:/home/molersim# "
    commands:
      - {{match: whoami, answer: root}}
      - {{match: exit, goto: back}}
"##
    )
}

/// A folder the simulator's user can read, with the device file in it.
fn device_file(tag: &str, sudo_password: &str) -> moler_testkit::TempFile {
    let dir = moler_testkit::TempDir::new(&format!("sim-sshd-{tag}"));
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let file = moler_testkit::TempFile::new(dir, "simbox.yml");
    std::fs::write(&file, device_yaml(sudo_password)).unwrap();
    file
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[test]
fn a_device_hops_over_openssh_into_the_simulated_host_and_back() {
    let file = device_file("hop", "not yet");
    let Some(sshd) = Sshd::require_sim(Path::new(SIM), &file) else { return };
    let sim_user = sshd.sim_user().unwrap().name.clone();
    // The simulator reads its file when a session starts: sudo's password can be set now.
    let password = sshd.sim_user().unwrap().password.clone();
    std::fs::write(&file, device_yaml(&password)).unwrap();
    let known_hosts = file.parent().unwrap().join("known_hosts");
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=ask -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1",
        known_hosts.display()
    );
    let yaml = format!(
        r#"
DEVICES:
  SIMBOX:
    DEVICE_CLASS: moler.device.unixremote.UnixRemote
    INITIAL_STATE: UNIX_LOCAL
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            port: {port}
            login: {sim_user}
            password: {password}
            expected_prompt: '{PROMPT}'
            options: {options}
      UNIX_REMOTE:
        UNIX_REMOTE_ROOT:
          execute_command: sudo
          command_params:
            password: {password}
            sudo_params: -s
            expected_prompt: '{ROOT_PROMPT}'
"#,
        port = sshd.port(),
        password = quote(&password),
        options = quote(&options),
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let dev = devices.get("SIMBOX").unwrap();
    dev.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    assert_eq!(dev.run(Whoami::new()).unwrap().user, "molersim", "the simulated host answers");
    let host = dev.cmd("hostname", serde_json::json!({})).unwrap().run().unwrap();
    assert_eq!(host["hostname"], "simbox", "{host}");
    dev.goto_state("UNIX_REMOTE_ROOT").unwrap();
    assert_eq!(dev.run(Whoami::new()).unwrap().user, "root");
    // Down: `exit` in ROOT goes back; `exit` on the host ends the session, and ssh with it.
    dev.goto_state("UNIX_LOCAL").unwrap();
    assert_eq!(dev.state(), "UNIX_LOCAL");
    devices.remove_all();
}

#[test]
fn molers_ssh_transport_lands_in_the_simulated_device() {
    let file = device_file("transport", "unused");
    let Some(sshd) = Sshd::require_sim(Path::new(SIM), &file) else { return };
    let user = sshd.sim_user().unwrap();
    let password = user.password.clone();
    let mut options = ssh::SshOptions::new("127.0.0.1", &user.name)
        .port(sshd.port())
        .password(&password)
        .host_key_policy(HostKeyPolicy::Off);
    options.greeting = Some(Greeting {
        marker: "simbox: a simulated host behind OpenSSH".into(),
        prompt: "molersim@simbox:~$ ".into(),
        timeout: T,
    });
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let dev = runner.spawn("simbox", ssh::connect(&options).unwrap()).unwrap();
    assert_eq!(dev.run(Command::lines("hostname", PROMPT), T).unwrap(), ["simbox"]);
    let err = dev.run(Command::lines("frobnicate", PROMPT), T).unwrap_err();
    assert!(err.to_string().contains("-bash: frobnicate: command not found"), "{err}");
    // A wrong sudo password: the device's own refusal, and the prompt it started from.
    dev.run(
        Command::lines("sudo -s", r"^\[sudo\] password for molersim: $").ret_required(false),
        T,
    )
    .unwrap();
    let out =
        dev.run(Command::lines("nope", PROMPT).expect_echo(false).ret_required(false), T).unwrap();
    assert!(out.iter().any(|l| l == "Sorry, try again."), "{out:?}");
    let err = dev.run(Command::lines("exit", PROMPT), T).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "the shell ended: {err}");
}
