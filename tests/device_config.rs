//! Device definitions checked when the config loads: every mistake at once, each at its
//! `file:line:column`, with what was expected. And the class defaults merged with the user's
//! hops (states, prompts, newlines), as Moler merges them.

use moler::config::ErrorKind;
use moler::prelude::*;

fn errors(yaml: &str) -> (Vec<ErrorKind>, String) {
    match Devices::from_yaml(yaml) {
        Ok(_) => panic!("loaded: {yaml}"),
        Err(DeviceError::Config(e)) => {
            (e.problems().iter().map(|p| p.kind).collect(), e.to_string())
        }
        Err(e) => panic!("not a config error: {e}"),
    }
}

const SSH_HOP: &str = "
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 10.0.0.5
            login: tester
            password: secret
            expected_prompt: 'tester@box:~\\$'
";

#[test]
fn missing_required_hop_parameters_are_reported_at_load() {
    let yaml = "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
                UNIX_REMOTE:\n          execute_command: ssh\n          command_params:\n            \
                host: 10.0.0.5\n";
    let (kinds, text) = errors(yaml);
    assert_eq!(kinds, [ErrorKind::MissingParameter]);
    assert_eq!(
        text,
        "<yaml string>:7:11: device R (UnixRemote): hop UNIX_LOCAL -> UNIX_REMOTE (ssh) needs \
         command_params `login`, `password`, `expected_prompt`"
    );
    // No hops at all: the class default names the device.
    let (_, text) = errors("DEVICES:\n  R2:\n    DEVICE_CLASS: UnixRemote\n");
    assert_eq!(
        text,
        "<yaml string>:2:3: device R2 (UnixRemote): hop UNIX_LOCAL -> UNIX_REMOTE (ssh) needs \
         command_params `host`, `login`, `password`, `expected_prompt`"
    );
}

#[test]
fn unknown_states_commands_and_parameters_are_all_reported() {
    let yaml = "DEVICES:
  R:
    DEVICE_CLASS: UnixRemote
    INITIAL_STATE: UNIX_REMOTE_ROOOT
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 10.0.0.5
            login: tester
            passwd: secret
            password: secret
            expected_prompt: 'tester@box:~\\$'
      UNIX_REMOT:
        UNIX_LOCAL:
          execute_command: exit
      UNIX_LOCAL_ROOT:
        UNIX_LOCAL:
          execute_command: exiit
  L:
    DEVICE_CLASS: UnixLocal
    CONNECTION_HOPS:
      UNIX_LOCAL:
        PROXY_PC:
          execute_command: ssh
";
    let (kinds, text) = errors(yaml);
    assert_eq!(
        kinds,
        [
            ErrorKind::UnknownState,
            ErrorKind::UnknownKey,
            ErrorKind::UnknownState,
            ErrorKind::UnknownCommand,
            ErrorKind::UnknownState
        ]
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "<yaml string>:4:20: device R: UnixRemote has no state UNIX_REMOTE_ROOOT; did you mean UNIX_REMOTE_ROOT?"
    );
    assert_eq!(
        lines[1],
        "<yaml string>:12:13: device R: hop UNIX_LOCAL -> UNIX_REMOTE (ssh): ssh has no parameter `passwd`; did you mean password?"
    );
    assert_eq!(
        lines[2],
        "<yaml string>:15:7: device R: UnixRemote has no state UNIX_REMOT; did you mean UNIX_REMOTE?"
    );
    assert_eq!(
        lines[3],
        "<yaml string>:20:28: device R: hop UNIX_LOCAL_ROOT -> UNIX_LOCAL: unknown command `exiit`; did you mean exit?"
    );
    assert_eq!(
        lines[4],
        "<yaml string>:25:9: device L: UnixLocal has no state PROXY_PC; it has NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT"
    );
}

#[test]
fn prompts_must_be_valid_and_unique() {
    let yaml = format!(
        "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote{SSH_HOP}      UNIX_REMOTE:\n        UNIX_REMOTE_ROOT:\n          \
         execute_command: su\n          command_params: {{expected_prompt: 'tester@box:~\\$'}}\n  \
         S:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        UNIX_LOCAL_ROOT:\n          \
         execute_command: su\n          command_params: {{expected_prompt: 'root(#'}}\n"
    );
    let (kinds, text) = errors(&yaml);
    assert_eq!(kinds, [ErrorKind::InvalidValue, ErrorKind::InvalidValue], "{text}");
    assert!(text.contains(
        "<yaml string>:2:3: device R: states UNIX_REMOTE and UNIX_REMOTE_ROOT have the same prompt \"tester@box:~\\\\$\"; each state needs its own"
    ), "{text}");
    assert!(text.contains("device S: hop UNIX_LOCAL -> UNIX_LOCAL_ROOT (su): expected_prompt \"root(#\" is not a valid regex"), "{text}");
}

#[test]
fn class_defaults_merge_with_the_hops_given() {
    let yaml =
        format!("DEVICES:\n  R:\n    DEVICE_CLASS: moler.device.unixremote.UnixRemote{SSH_HOP}");
    let devices = Devices::from_yaml(&yaml).unwrap();
    let config = devices.config();
    assert_eq!(config.devices.list.len(), 1);
    // Checked without connecting: a device is made on `get`.
    assert!(devices.made().is_empty());

    // With PROXY_PC named, the class has it, and its prompts come from its hops.
    let proxy = "DEVICES:
  P:
    DEVICE_CLASS: UnixRemote
    CONNECTION_HOPS:
      UNIX_LOCAL:
        PROXY_PC:
          execute_command: ssh
          command_params: {host: proxy, login: a, password: b, expected_prompt: 'proxy\\$', target_newline: \"\\r\\n\"}
      PROXY_PC:
        UNIX_REMOTE:
          execute_command: ssh
          command_params: {host: box, login: c, password: d, expected_prompt: 'box\\$'}
";
    let devices = Devices::from_yaml(proxy).unwrap();
    assert_eq!(devices.names(), ["P"]);
}
