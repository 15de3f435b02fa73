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
    // A required one misspelt: the message says which key it may be.
    let yaml = "DEVICES:\n  R3:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
                UNIX_REMOTE:\n          execute_command: ssh\n          command_params:\n            \
                hots: 10.0.0.5\n            login: tester\n            pasword: secret\n            \
                expected_prompt: 'x'\n            colour: red\n";
    let (kinds, text) = errors(yaml);
    assert_eq!(kinds, [ErrorKind::MissingParameter]);
    assert_eq!(
        text,
        "<yaml string>:7:11: device R3 (UnixRemote): hop UNIX_LOCAL -> UNIX_REMOTE (ssh) needs \
         command_params `host`, `password`; `hots` is no parameter of ssh: did you mean host?; \
         `pasword` is no parameter of ssh: did you mean password?"
    );
    // The class that starts in a local shell, on a connection that is the remote shell
    // already: the hop's parameters are not what is missing.
    let yaml = "DEVICES:\n  R4:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_DESC:\n      \
                io_type: sshshell\n      host: 10.0.0.5\n      login: tester\n      password: x\n";
    let (kinds, text) = errors(yaml);
    assert_eq!(kinds, [ErrorKind::MissingParameter]);
    assert!(
        text.ends_with(
            "needs command_params `host`, `login`, `password`, `expected_prompt`; on io_type \
             sshshell the connection itself is the remote shell, which UnixRemote reaches from a \
             local one with this hop: use UnixRemote2 (also UnixRemote3), which opens straight \
             into it"
        ),
        "{text}"
    );
    // The variant loads (the connection opens when the device is first taken).
    let loaded = Devices::from_yaml(&yaml.replace("UnixRemote\n", "UnixRemote3\n"));
    assert!(loaded.is_ok_and(|d| d.names() == ["R4"]));
}

/// A value of the wrong shape is shown where it was written, with what the parameter takes
/// (and without the list of every parameter: its name is right); a number where text is wanted
/// is no mistake (it is the text written).
#[test]
fn a_parameter_value_of_the_wrong_shape_is_shown_where_it_was_written() {
    let hop = |password: &str| {
        format!(
            "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
             UNIX_REMOTE:\n          execute_command: ssh\n          command_params:\n            \
             host: 10.0.0.5\n            login: tester\n            password: {password}\n            \
             expected_prompt: 'x'\n"
        )
    };
    let (kinds, text) = errors(&hop("{first: 1}"));
    assert_eq!(kinds, [ErrorKind::InvalidValue]);
    assert_eq!(
        text,
        "<yaml string>:11:13: device R: hop UNIX_LOCAL -> UNIX_REMOTE (ssh): ssh: parameter \
         `password`: expected a password (text) or a list of passwords"
    );
    let (_, text) = errors(&hop("[a, [b]]"));
    assert!(text.starts_with("<yaml string>:11:13: "), "{text}");
    // Refused by the command sudo embeds: shown at `cmd_params`, with that command's words.
    let yaml = "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_REMOTE:\n        \
                UNIX_REMOTE_ROOT:\n          execute_command: sudo\n          command_params:\n            \
                cmd_class_name: ls\n            cmd_params: {path: [a]}\n            expected_prompt: 'r#'\n";
    let (_, text) = errors(yaml);
    assert_eq!(
        text.lines().nth(1),
        Some(
            "<yaml string>:10:13: device R: hop UNIX_REMOTE -> UNIX_REMOTE_ROOT (sudo): sudo: ls: \
             parameter `path`: invalid type: sequence, expected a string"
        ),
        "{text}"
    );
    for number in ["1234", "0123", "[1234, abc]"] {
        let loaded = Devices::from_yaml(&hop(number));
        assert!(loaded.is_ok(), "password: {number}: {:?}", loaded.err().map(|e| e.to_string()));
    }
    // A value every command refuses for a reason of its own (a timeout not a positive number,
    // `.inf` included: YAML reads it, JSON has no such number), and a regex that does not
    // compile: shown at the parameter too, with no list of the others.
    let cases = [
        (
            "pass\n            timeout: -1",
            "12:13",
            "parameter `timeout`: must be a positive number of seconds, not -1",
        ),
        (
            "pass\n            timeout: .inf",
            "12:13",
            "parameter `timeout`: must be a positive number of seconds, not \".inf\"",
        ),
        (
            "pass\n            prompt_after_login: '(x'",
            "12:13",
            "invalid prompt_after_login regex \"(x\"",
        ),
    ];
    for (password, at, says) in cases {
        let (kinds, text) = errors(&hop(password));
        assert_eq!(kinds, [ErrorKind::InvalidValue], "{text}");
        let expected = format!(
            "<yaml string>:{at}: device R: hop UNIX_LOCAL -> UNIX_REMOTE (ssh): ssh: {says}"
        );
        assert_eq!(text.lines().next(), Some(expected.as_str()), "{text}");
    }
    // A command's own check of a parameter (a serial port's name going into a shell line).
    let yaml = "DEVICES:\n  M:\n    DEVICE_CLASS: AtRemote\n    CONNECTION_HOPS:\n      UNIX_REMOTE:\n        \
                AT_REMOTE:\n          execute_command: cu\n          command_params:\n            \
                serial_devname: '5; reboot'\n";
    let (_, text) = errors(yaml);
    assert!(
        text.contains(
            "<yaml string>:9:13: device M: hop UNIX_REMOTE -> AT_REMOTE (cu): cu: parameter \
             `serial_devname`: must be a serial port's name (letters, digits, `-_.:`), not \"5; reboot\""
        ),
        "{text}"
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

/// The resources copied from Moler (see their first lines).
fn moler_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resources/moler").join(name)
}

fn hop(info: &moler::device::DeviceInfo, from: &str, to: &str) -> (String, Option<String>) {
    let h = info.hops.iter().find(|h| h.from == from && h.to == to);
    let h = h.unwrap_or_else(|| panic!("{}: no hop {from} -> {to}: {:?}", info.name, info.hops));
    (h.command.clone(), h.prompt.clone())
}

/// Moler's examples/command/my_devices.yml: `set_timeout: False` is "no timeout".
#[test]
fn molers_example_my_devices_loads() {
    let config = moler::config::Config::from_file(moler_file("my_devices.yml")).unwrap();
    let devices = Devices::load(config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(devices.names(), ["MyMachine", "RebexTestMachine"]);
    let rebex = devices.info("RebexTestMachine").unwrap();
    assert_eq!(hop(&rebex, "UNIX_LOCAL", "UNIX_REMOTE"), ("ssh".into(), Some("demo@".into())));
    let params =
        devices.config().device("RebexTestMachine").unwrap().hops[0].command_params.to_json();
    assert_eq!(params["set_timeout"], false);
    let ssh = moler::commands::Registry::default().command("ssh", &params);
    assert!(ssh.is_ok(), "ssh takes set_timeout: false: {:?}", ssh.err());
}

/// The other YAML files of Moler's repository (its examples, test resources and trainings),
/// unchanged: each loads with its devices and named connections. The one whose default variant
/// is a name Moler's example registers in Python code loads once the variant is registered
/// (`Loader::connection`), and before that says which name is unknown, where.
#[test]
fn every_other_yaml_file_of_molers_repository_loads() {
    let files: [(&str, &[&str], &[&str]); 8] = [
        ("examples_layer_3_connection_variant.yml", &[], &[]),
        ("examples_layer_3_named_connections.yml", &[], &["net_1", "net_2", "net_11", "net_21"]),
        ("test_resources_added_device_config.yml", &["ADDED_UNIX_LOCAL"], &[]),
        ("test_resources_www_servers_connections.yml", &[], &["www_server_1"]),
        ("trainings_intro_my_devices.yml", &["MyRemoteMachine"], &[]),
        ("trainings_workshop1_config_my_devices.yml", &["MyMachine1", "MyMachine2"], &[]),
        ("trainings_workshop1_step1_my_devices.yml", &["MyMachine1", "MyMachine2"], &[]),
        ("trainings_workshop1_step2_my_devices.yml", &["MyMachine1", "MyMachine2"], &[]),
    ];
    for (file, devices, connections) in files {
        let config = moler::config::Config::from_file(moler_file(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        for name in connections {
            assert!(config.connection(name).is_some(), "{file}: connection {name}");
        }
        // Loaded, not made: their LOGGER folders are Moler's machines' (/home/moler/…).
        let loaded = Devices::load(config).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut names = loaded.names();
        names.sort();
        assert_eq!(names, devices, "{file}");
    }
    let remote = moler::config::Config::from_file(moler_file("trainings_intro_my_devices.yml"));
    let remote = Devices::load(remote.unwrap()).unwrap();
    let info = remote.info("MyRemoteMachine").unwrap();
    let ssh = hop(&info, "UNIX_LOCAL", "UNIX_REMOTE");
    assert_eq!(ssh, ("ssh".into(), Some("moler@ute-image".into())));

    let path = moler_file("examples_layer_3_connections_new_variant.yml");
    let err = moler::config::Config::from_file(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}:5:14: unknown variant `threaded-and-logged` for io_type tcp; expected one of \
             threaded, tokio, smol",
            path.display()
        )
    );
    let loader = moler::config::Loader::new().connection("tcp", "threaded-and-logged", |_, o| {
        Err(moler::config::Error::Open {
            what: o.name.to_owned(),
            source: std::io::Error::other("not here"),
        })
    });
    let config = loader.from_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.default_variant("tcp").unwrap().value, "threaded-and-logged");
}

/// Moler's test/resources/device_config.yml, unchanged: every device loads (unix, Juniper,
/// SCPI, PDU, AT and ADB, with and without a proxy, the *3 classes); a hop that changes only
/// `command_params` keeps the class's command; the AT and ADB states' prompts are made from
/// their hops' parameters as Moler makes them.
#[test]
fn molers_device_config_loads() {
    let config = moler::config::Config::from_file(moler_file("device_config.yml")).unwrap();
    let devices = Devices::load(config).unwrap_or_else(|e| panic!("{e}"));
    let mut names = devices.names();
    names.sort();
    assert_eq!(
        names,
        [
            "ADB_REMOTE",
            "ADB_REMOTE3",
            "ADB_REMOTE_PROXY_PC",
            "ADB_REMOTE_PROXY_PC3",
            "AT_REMOTE",
            "AT_REMOTE3",
            "AT_REMOTE_PROXY_PC",
            "AT_REMOTE_PROXY_PC3",
            "JUNIPER_EX",
            "JUNIPER_EX3",
            "JUNIPER_EX_PROXY_PC",
            "JUNIPER_EX_PROXY_PC3",
            "PDU",
            "PDU3",
            "PDU_PROXY_PC",
            "PDU_PROXY_PC3",
            "SCPI",
            "SCPI3",
            "SCPI_PROXY_PC",
            "SCPI_PROXY_PC3",
            "UNIX_LOCAL",
            "UNIX_LOCAL_CLONED_VIA_YAML",
            "UNIX_LOCAL_TO_CLONE",
            "UNIX_REMOTE",
            "UNIX_REMOTE3",
            "UNIX_REMOTE3_PROXY_PC",
            "UNIX_REMOTE3_REAL_IO",
            "UNIX_REMOTE_PROXY_PC",
            "UNIX_REMOTE_REAL_IO",
        ]
    );
    for name in ["UNIX_REMOTE_PROXY_PC", "UNIX_REMOTE3_PROXY_PC"] {
        let info = devices.info(name).unwrap();
        assert_eq!(
            hop(&info, "UNIX_REMOTE", "PROXY_PC"),
            ("exit".into(), Some("proxy_pc#".into())),
            "{name}: the class's exit, with the prompt given"
        );
        assert_eq!(hop(&info, "PROXY_PC", "UNIX_REMOTE").0, "ssh");
    }
    for name in ["ADB_REMOTE", "ADB_REMOTE3", "ADB_REMOTE_PROXY_PC", "ADB_REMOTE_PROXY_PC3"] {
        let adb = devices.info(name).unwrap();
        assert_eq!(adb.states[adb.states.len() - 2..], ["ADB_SHELL", "ADB_SHELL_ROOT"], "{name}");
        let shell = r"^adb_shell@f57e6b77 \$";
        assert_eq!(hop(&adb, "UNIX_REMOTE", "ADB_SHELL"), ("adb_shell".into(), Some(shell.into())));
        assert_eq!(
            hop(&adb, "ADB_SHELL", "ADB_SHELL_ROOT"),
            ("su".into(), Some(r"^adb_shell@f57e6b77 \#".into()))
        );
        assert_eq!(hop(&adb, "ADB_SHELL_ROOT", "ADB_SHELL"), ("exit".into(), Some(shell.into())));
        assert_eq!(hop(&adb, "ADB_SHELL", "UNIX_REMOTE"), ("exit".into(), Some("remote#".into())));
    }
    for name in ["AT_REMOTE", "AT_REMOTE3", "AT_REMOTE_PROXY_PC", "AT_REMOTE_PROXY_PC3"] {
        let at = devices.info(name).unwrap();
        assert_eq!(at.states.last(), Some(&"AT_REMOTE"), "{name}");
        let prompt = r"COM5> port READY|^\s*(OK|NO CARRIER|ERROR|\+CM[ES]\s+ERROR:\s*\S.+)\s*$";
        assert_eq!(
            hop(&at, "UNIX_REMOTE", "AT_REMOTE"),
            ("plink_serial".into(), Some(prompt.into()))
        );
        assert_eq!(hop(&at, "AT_REMOTE", "UNIX_REMOTE"), ("ctrl_c".into(), Some("remote#".into())));
    }
    // The families: their states, and their hops by the states' families.
    let pdu = devices.info("PDU_PROXY_PC").unwrap();
    assert_eq!(pdu.states, ["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT", "PROXY_PC", "PDU"]);
    assert_eq!(hop(&pdu, "PROXY_PC", "PDU").0, "telnet");
    assert_eq!(hop(&pdu, "PDU", "PROXY_PC").0, "pdu_aten.exit_telnet");
    let scpi = devices.info("SCPI").unwrap();
    assert_eq!(scpi.states, ["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT", "SCPI"]);
    assert_eq!(hop(&scpi, "SCPI", "UNIX_LOCAL").0, "scpi.exit_telnet");
    let ex = devices.info("JUNIPER_EX_PROXY_PC").unwrap();
    assert_eq!(hop(&ex, "CLI", "CONFIGURE").0, "juniper.configure");
    assert_eq!(ex.initial_state, "UNIX_LOCAL", "the config's INITIAL_STATE");
    assert_eq!(devices.info("JUNIPER_EX").unwrap().states.last(), Some(&"CONFIGURE"));
    let clone = devices.info("UNIX_LOCAL_CLONED_VIA_YAML").unwrap();
    assert_eq!(clone.class, devices.info("UNIX_LOCAL_TO_CLONE").unwrap().class);
}

#[test]
fn a_hop_without_execute_command_needs_a_class_hop_to_take_it_from() {
    let yaml = "DEVICES:\n  L:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_HOPS:\n      UNIX_LOCAL_ROOT:\n        UNIX_LOCAL:\n          command_params: {expected_prompt: 'x#'}\n      UNIX_LOCAL:\n        UNIX_LOCAL_ROOT:\n          command_params: {password: secret, expected_prompt: 'root#'}\n";
    let devices = Devices::load(moler::config::Config::from_yaml(yaml).unwrap()).unwrap();
    let info = devices.info("L").unwrap();
    assert_eq!(hop(&info, "UNIX_LOCAL", "UNIX_LOCAL_ROOT"), ("su".into(), Some("root#".into())));
    assert_eq!(hop(&info, "UNIX_LOCAL_ROOT", "UNIX_LOCAL").0, "exit");

    let yaml = "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL_ROOT:\n        UNIX_REMOTE:\n          command_params: {host: h}\n";
    let (kinds, text) = errors(yaml);
    assert!(kinds.contains(&ErrorKind::MissingParameter), "{kinds:?}");
    assert!(
        text.contains(
            "device R (UnixRemote): hop UNIX_LOCAL_ROOT -> UNIX_REMOTE needs `execute_command`: \
             the class has no hop between these states to take it from"
        ),
        "{text}"
    );
}

/// A `set_prompt` that sets a plain prompt which `expected_prompt` does not match would leave
/// the hop waiting for its whole timeout (90 s for ssh): refused at load, at expected_prompt,
/// saying where the login prompt goes. A prompt the shell would change (`\\u`, `$HOSTNAME`)
/// is not checked.
#[test]
fn an_expected_prompt_the_set_prompt_does_not_give_is_reported_at_load() {
    let hop = |set: &str, expected: &str| {
        format!(
            "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
             UNIX_REMOTE:\n          execute_command: ssh\n          command_params:\n            \
             host: 10.0.0.5\n            login: tester\n            password: secret\n            \
             expected_prompt: '{expected}'\n            set_prompt: \"{set}\"\n"
        )
    };
    let (kinds, text) = errors(&hop("export PS1='moler_remote$ '", "tester@box:~\\$ "));
    assert_eq!(kinds, [ErrorKind::InvalidValue]);
    assert_eq!(
        text,
        "<yaml string>:12:13: device R: hop UNIX_LOCAL -> UNIX_REMOTE (ssh): expected_prompt \
         \"tester@box:~\\\\$ \" does not match the prompt set_prompt sets (\"moler_remote$ \"), so \
         the hop would wait for it until it timed out: expected_prompt is the prompt after \
         set_prompt (the one right after login goes in prompt_after_login)"
    );
    // Unquoted, and in double quotes.
    assert_eq!(errors(&hop("PS1=remote#", "^box# $")).0, [ErrorKind::InvalidValue]);
    assert_eq!(errors(&hop(r#"export PS1=\"remote> \""#, "^box# $")).0, [ErrorKind::InvalidValue]);
    // What matches loads; what the shell would change is not judged.
    for (set, expected) in [
        ("export PS1='moler_remote$ '", "^moler_remote\\$ $"),
        ("PS1=remote#; export PS1", "remote#"),
        ("export PS1='\\\\u@\\\\h$ '", "^box# $"),
        ("export PS1='$HOSTNAME# '", "^box# $"),
        ("export MYPS1='x'", "^box# $"),
        ("unset PROMPT_COMMAND", "^box# $"),
    ] {
        let yaml = hop(set, expected);
        assert!(
            Devices::from_yaml(&yaml).is_ok(),
            "{set} / {expected}: {:?}",
            Devices::from_yaml(&yaml).err()
        );
    }
}
