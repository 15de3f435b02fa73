//! What Moler's users leave empty: a key written with nothing after it (YAML's null, also `~`)
//! means "not given", wherever a mapping, a list or a name belongs. And a few value rules of
//! the same sections: log modes' short names, a negative count, a class found by its alias in
//! the same file, a misspelt DEVICE_CLASS reported once.

use moler_config::{Config, ErrorKind, WriteMode};

#[test]
fn empty_keys_mean_not_given() {
    let config = Config::from_yaml(
        "LOGGER:
  MODE: a
NAMED_CONNECTIONS:
  sh: {io_type: terminal, variant: ~}
IO_TYPES:
DEVICE_CLASSES:
  Box:
    ALIASES:
    BASE: ~
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
DEVICES:
  One:
    DEVICE_CLASS: Box
    ADDITIONAL_PARAMS:
  Two:
    DEVICE_CLASS: UnixRemote
    CONNECTION_HOPS:
      UNIX_REMOTE:
        UNIX_LOCAL:
          execute_command: exit
          command_params:
",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.logger.mode, WriteMode::Append);
    assert!(config.connection("sh").unwrap().spec.variant.is_none());
    assert!(config.default_variants.is_empty());
    let class = &config.device_classes[0];
    assert!(class.aliases.is_empty() && class.base.is_none());
    assert!(config.device("One").unwrap().additional_params.is_none());
    let hop = config.device("Two").unwrap().hop_between("UNIX_REMOTE", "UNIX_LOCAL").unwrap();
    assert_eq!(hop.command_params.to_json(), serde_json::json!({}));
    // The hop is found by both its ends, not either.
    assert!(config.device("Two").unwrap().hop_between("UNIX_REMOTE", "UNIX_REMOTE").is_none());
    assert!(config.device("Two").unwrap().hop_between("UNIX_LOCAL", "UNIX_LOCAL").is_none());

    let empty = Config::from_yaml("NAMED_CONNECTIONS:\nDEVICES:\nDEVICE_CLASSES: ~\n").unwrap();
    assert!(empty.connections.is_empty() && empty.devices.list.is_empty());
}

#[test]
fn log_modes_have_short_and_long_names() {
    for (written, mode) in [
        ("a", WriteMode::Append),
        ("append", WriteMode::Append),
        ("w", WriteMode::Write),
        ("Write", WriteMode::Write),
    ] {
        let config = Config::from_yaml(&format!("LOGGER:\n  MODE: {written}\n")).unwrap();
        assert_eq!(config.logger.mode, mode, "{written}");
    }
}

#[test]
fn a_count_cannot_be_negative() {
    let e = Config::from_yaml("LOGGER:\n  LOG_ROTATION:\n    BACKUP_COUNT: -1\n").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WrongType);
    assert!(e.to_string().contains("a whole number (0 or more)"), "{e}");
    let ok = Config::from_yaml("LOGGER:\n  LOG_ROTATION:\n    BACKUP_COUNT: 0\n").unwrap();
    assert_eq!(ok.logger.rotation.backup_count, 0);
}

#[test]
fn a_class_of_the_same_file_is_found_by_its_alias() {
    let config = Config::from_yaml(
        "DEVICE_CLASSES:
  Box:
    ALIASES: [lab.Box, lab.OldBox]
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
DEVICES:
  ByName: {DEVICE_CLASS: Box}
  ByAlias: {DEVICE_CLASS: lab.OldBox}
",
    )
    .unwrap();
    for name in ["ByName", "ByAlias"] {
        assert_eq!(config.device(name).unwrap().class.value.name, "Box", "{name}");
    }
    // A misspelt one is hinted at from the file's own classes too.
    let e = Config::from_yaml(
        "DEVICE_CLASSES:\n  LabBox:\n    CONNECTED_STATE: A\n    STATES:\n      A: {PROMPT: '^a> $'}\n\
         DEVICES:\n  D: {DEVICE_CLASS: LabBx}\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown device class `LabBx`; did you mean LabBox?"), "{e}");
    let e = Config::from_yaml(
        "DEVICE_CLASSES:\n  LabBox:\n    CONNECTED_STATE: A\n    STATES:\n      A: {PROMPT: '^a> $'}\n\
         DEVICES:\n  D: {DEVICE_CLASS: Zzzzzzzz}\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("available: LabBox, UnixLocal,"), "{e}");
    let mut config = Config::from_yaml(
        "DEVICE_CLASSES:\n  LabBox:\n    CONNECTED_STATE: A\n    STATES:\n      A: {PROMPT: '^a> $'}\n",
    )
    .unwrap();
    let e = config.add_device(moler_config::DeviceSpec::new("D", "LabBx")).unwrap_err();
    assert!(e.to_string().contains("did you mean LabBox?"), "{e}");
}

#[test]
fn a_misspelt_device_class_key_is_one_problem() {
    let e = Config::from_yaml("DEVICES:\n  Box:\n    DEVICE_CLAS: UnixLocal\n").unwrap_err();
    assert_eq!(e.problems().len(), 1, "{e}");
    assert!(e.to_string().contains("did you mean DEVICE_CLASS?"), "{e}");
}
