//! Broken configs and the messages they get: each names the file, line and column, and says
//! what was expected. `{f}` stands for the config file's path.

use moler_config::{Config, ErrorKind, Loader};

/// A fresh folder for one case.
fn folder(case: &str) -> moler_testkit::TempDir {
    moler_testkit::TempDir::new(&format!("config-broken-{case}"))
}

/// Loads `yaml` from a file and checks the whole message and the first problem's kind.
#[track_caller]
fn broken(case: &str, yaml: &str, kind: ErrorKind, expected: &[&str]) {
    let dir = folder(case);
    let file = dir.join("config.yml");
    std::fs::write(&file, yaml).unwrap();
    let e = match Config::from_file(&file) {
        Ok(config) => panic!("{case}: loaded, but should fail: {config:#?}"),
        Err(e) => e,
    };
    let f = file.display().to_string();
    let want: Vec<String> = expected.iter().map(|l| l.replace("{f}", &f)).collect();
    let got = e.to_string();
    assert_eq!(got, want.join("\n"), "{case}");
    assert_eq!(e.kind(), kind, "{case}: {got}");
    for p in e.problems() {
        assert_eq!(p.origin.path(), Some(file.as_path()), "{case}: every problem names the file");
        assert!(p.origin.line() > 0 && p.origin.column() > 0, "{case}: {p}");
    }
}

#[test]
fn yaml_syntax_unclosed_list() {
    broken(
        "syntax-list",
        "NAMED_CONNECTIONS:\n  net_1: {io_type: tcp, port: [1, 2\n",
        ErrorKind::Syntax,
        // The place is the bracket left open.
        &["{f}:2:31: invalid YAML: unclosed bracket '['"],
    );
}

#[test]
fn yaml_syntax_bad_indentation() {
    broken(
        "syntax-indent",
        "DEVICES:\n  MyMachine:\n    DEVICE_CLASS: UnixLocal\n   INITIAL_STATE: UNIX_LOCAL\n",
        ErrorKind::Syntax,
        &["{f}:4:4: invalid YAML: while parsing a block mapping, did not find expected key"],
    );
}

#[test]
fn yaml_syntax_unterminated_quote() {
    broken(
        "syntax-quote",
        "LOGGER:\n  PATH: \"./logs\n",
        ErrorKind::Syntax,
        &["{f}:2:9: invalid YAML: unclosed quote"],
    );
}

#[test]
fn top_level_must_be_a_mapping() {
    broken(
        "top-list",
        "- LOGGER\n- DEVICES\n",
        ErrorKind::WrongType,
        &["{f}:1:1: a config must be a mapping with the sections LOGGER, NAMED_CONNECTIONS, IO_TYPES and DEVICES, found a list"],
    );
}

#[test]
fn unknown_section_with_did_you_mean() {
    broken(
        "top-typo",
        "DEVICE:\n  MyMachine:\n    DEVICE_CLASS: UnixLocal\n",
        ErrorKind::UnknownKey,
        &["{f}:1:1: unknown key `DEVICE` at the top level; did you mean DEVICES?"],
    );
}

#[test]
fn unknown_section_without_a_close_name_lists_the_sections() {
    broken(
        "top-unknown",
        "RUNNERS: {}\n",
        ErrorKind::UnknownKey,
        &["{f}:1:1: unknown key `RUNNERS` at the top level; expected one of LOGGER, NAMED_CONNECTIONS, IO_TYPES, DEVICE_CLASSES, DEVICES"],
    );
}

#[test]
fn logger_unknown_key() {
    broken(
        "logger-key",
        "LOGGER:\n  PATH: logs\n  RAW_LOGS: true\n",
        ErrorKind::UnknownKey,
        &["{f}:3:3: unknown key `RAW_LOGS` in LOGGER; did you mean RAW_LOG?"],
    );
}

#[test]
fn logger_wrong_type() {
    broken(
        "logger-type",
        "LOGGER:\n  RAW_LOG: sometimes\n",
        ErrorKind::WrongType,
        &["{f}:2:12: LOGGER.RAW_LOG must be true or false, found text \"sometimes\""],
    );
}

#[test]
fn logger_mode_and_level() {
    broken(
        "logger-mode",
        "LOGGER:\n  MODE: overwrite\n  DEBUG_LEVEL: DEBGU\n",
        ErrorKind::InvalidValue,
        &[
            "{f}:2:9: LOGGER.MODE \"overwrite\" must be append (a) or write (w)",
            "{f}:3:16: LOGGER.DEBUG_LEVEL \"DEBGU\" is not a level; did you mean DEBUG?",
        ],
    );
}

/// What would fail the logs when they start fails the config when it loads, at its place: a
/// date format strftime cannot use, a log folder where a file is.
#[test]
fn logger_date_format_and_a_file_for_a_folder() {
    broken(
        "logger-format",
        "LOGGER:\n  DATE_FORMAT: '%d %H:%'\n  PATH: /dev/null/logs\n",
        ErrorKind::InvalidValue,
        &[
            "{f}:2:16: LOGGER.DATE_FORMAT \"%d %H:%\" is not a valid strftime format: strftime formatting failed: invalid format string, expected byte after `%`, but found end of format string",
            "{f}:3:9: LOGGER.PATH /dev/null/logs: /dev/null is not a folder",
        ],
    );
}

#[test]
fn log_rotation_kind_and_interval() {
    broken(
        "rotation",
        "LOGGER:\n  LOG_ROTATION:\n    KIND: daily\n    INTERVAL: 10k\n",
        ErrorKind::InvalidValue,
        &[
            "{f}:3:11: LOGGER.LOG_ROTATION.KIND \"daily\" must be size or time",
            "{f}:4:15: LOGGER.LOG_ROTATION.INTERVAL must be a whole number (0 or more), found text \"10k\"",
        ],
    );
}

#[test]
fn duplicate_key_with_different_values() {
    broken(
        "dup-key",
        "LOGGER:\n  PATH: a\n  RAW_LOG: true\n  PATH: b\n",
        ErrorKind::DuplicateKey,
        &["{f}:4:3: LOGGER.PATH is given twice with different values (first at {f}:2:3)"],
    );
}

#[test]
fn connection_without_io_type() {
    broken(
        "no-io-type",
        "NAMED_CONNECTIONS:\n  net_1: {host: localhost, port: 5671}\n",
        ErrorKind::MissingParameter,
        &["{f}:2:10: NAMED_CONNECTIONS.net_1: missing required parameter `io_type` (one of terminal, terminal_no_fork, terminal_fork, tcp, telnet, serial, rfc2217, sshshell, process)"],
    );
}

#[test]
fn unknown_io_type_with_did_you_mean() {
    broken(
        "io-type-typo",
        "NAMED_CONNECTIONS:\n  net_1: {io_type: tpc, port: 5671}\n",
        ErrorKind::UnknownIoType,
        &["{f}:2:20: unknown io_type `tpc`; did you mean tcp?"],
    );
}

#[test]
fn unknown_io_type_lists_the_known_ones() {
    broken(
        "io-type-unknown",
        "NAMED_CONNECTIONS:\n  console: {io_type: modbus, device: /dev/ttyS0}\n",
        ErrorKind::UnknownIoType,
        &["{f}:2:22: unknown io_type `modbus`; expected one of terminal, terminal_no_fork, terminal_fork, tcp, telnet, serial, rfc2217, sshshell, process"],
    );
}

#[test]
fn memory_cannot_be_opened_from_a_config() {
    broken(
        "memory",
        "NAMED_CONNECTIONS:\n  m: {io_type: memory}\n",
        ErrorKind::UnknownIoType,
        &["{f}:2:16: io_type memory cannot be opened from a config: its other end lives in your test (use moler_io::memory::pair)"],
    );
}

#[test]
fn tcp_without_port() {
    broken(
        "tcp-no-port",
        "NAMED_CONNECTIONS:\n  net_1:\n    io_type: tcp\n    host: localhost\n",
        ErrorKind::MissingParameter,
        &["{f}:3:5: NAMED_CONNECTIONS.net_1 (io_type tcp): missing required parameter `port`"],
    );
}

#[test]
fn tcp_port_of_the_wrong_type_and_out_of_range() {
    broken(
        "tcp-port",
        "NAMED_CONNECTIONS:\n  a: {io_type: tcp, port: telnet}\n  b: {io_type: tcp, port: 70000}\n  \
         c: {io_type: tcp, port: '2 3'}\n  d: {io_type: tcp, port: '-23'}\n  e: {io_type: tcp, port: ''}\n",
        ErrorKind::WrongType,
        &[
            "{f}:2:27: NAMED_CONNECTIONS.a (io_type tcp): `port` must be a port number (1-65535), found text \"telnet\"",
            "{f}:3:27: NAMED_CONNECTIONS.b (io_type tcp): `port` must be a port number (1-65535), found a number (70000)",
            "{f}:4:27: NAMED_CONNECTIONS.c (io_type tcp): `port` must be a port number (1-65535), found text \"2 3\"",
            "{f}:5:27: NAMED_CONNECTIONS.d (io_type tcp): `port` must be a port number (1-65535), found text \"-23\"",
            "{f}:6:27: NAMED_CONNECTIONS.e (io_type tcp): `port` must be a port number (1-65535), found text \"\"",
        ],
    );
}

/// A whole number quoted, as a Python user may write it (`port: "23"`), is that number.
#[test]
fn a_whole_number_written_as_text_is_that_number() {
    let config = Config::from_yaml(
        "NAMED_CONNECTIONS:\n  a: {io_type: tcp, host: localhost, port: \"23\"}\n  \
         b: {io_type: terminal, cols: '120'}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(config.connection("a").is_some() && config.connection("b").is_some());
}

#[test]
fn unknown_parameter_with_did_you_mean() {
    broken(
        "tcp-prot",
        "NAMED_CONNECTIONS:\n  net_1: {io_type: tcp, host: localhost, prot: 5671}\n",
        ErrorKind::UnknownKey,
        &["{f}:2:42: NAMED_CONNECTIONS.net_1 (io_type tcp): unknown parameter `prot`; did you mean port?"],
    );
}

#[test]
fn unknown_variant_lists_the_runners() {
    broken(
        "variant-unknown",
        "NAMED_CONNECTIONS:\n  net_1: {io_type: tcp, variant: twisted, port: 1}\n",
        ErrorKind::UnknownVariant,
        &["{f}:2:34: unknown variant `twisted` for io_type tcp; expected one of threaded, tokio, smol"],
    );
}

#[test]
fn misspelt_variant_in_defaults() {
    broken(
        "variant-typo",
        "IO_TYPES:\n  default_variant:\n    terminal: threded\n",
        ErrorKind::UnknownVariant,
        &["{f}:3:15: unknown variant `threded` for io_type terminal; did you mean threaded?"],
    );
}

#[test]
fn io_types_unknown_key_and_io_type() {
    broken(
        "io-types",
        "IO_TYPES:\n  default_variants: {tcp: threaded}\n",
        ErrorKind::UnknownKey,
        &["{f}:2:3: unknown key `default_variants` in IO_TYPES; did you mean default_variant?"],
    );
    broken(
        "io-types-2",
        "IO_TYPES:\n  default_variant: {modbus: threaded}\n",
        ErrorKind::UnknownIoType,
        &["{f}:2:21: unknown io_type `modbus`; expected one of terminal, terminal_no_fork, terminal_fork, tcp, telnet, serial, rfc2217, sshshell, process"],
    );
}

#[test]
fn unknown_device_class_with_did_you_mean() {
    broken(
        "class-typo",
        "DEVICES:\n  MyMachine:\n    DEVICE_CLASS: moler.device.unixlocal.UnixLocl\n",
        ErrorKind::UnknownDeviceClass,
        &["{f}:3:19: DEVICES.MyMachine.DEVICE_CLASS: unknown device class `moler.device.unixlocal.UnixLocl`; did you mean moler.device.unixlocal.UnixLocal?"],
    );
}

#[test]
fn every_moler_device_class_is_known() {
    // Each of Moler's classes (moler/device/*.py) by its dotted name loads.
    for class in [
        "unixlocal.UnixLocal",
        "proxy_pc.ProxyPc",
        "proxy_pc2.ProxyPc2",
        "proxy_pc3.ProxyPc3",
        "unixremote.UnixRemote",
        "unixremote2.UnixRemote2",
        "unixremote3.UnixRemote3",
        "adbremote.AdbRemote",
        "adbremote2.AdbRemote2",
        "adbremote3.AdbRemote3",
        "atremote.AtRemote",
        "atremote3.AtRemote3",
        "pdu_aten.PduAten",
        "pdu_aten3.PduAten3",
        "scpi.Scpi",
        "scpi3.Scpi3",
        "junipergeneric.JuniperGeneric",
        "junipergeneric3.JuniperGeneric3",
        "juniper_ex.JuniperEX",
        "juniper_ex3.JuniperEX3",
    ] {
        let yaml = format!("DEVICES:\n  D:\n    DEVICE_CLASS: moler.device.{class}\n");
        let config = Config::from_yaml(&yaml).unwrap_or_else(|e| panic!("{class}: {e}"));
        assert!(config.devices.list[0].class.value.name.len() > 3, "{class}");
    }
}

#[test]
fn device_without_class() {
    broken(
        "no-class",
        "DEVICES:\n  MyMachine:\n    INITIAL_STATE: UNIX_LOCAL\n",
        ErrorKind::MissingParameter,
        &["{f}:2:3: DEVICES.MyMachine: missing required key `DEVICE_CLASS` (or CLONED_FROM)"],
    );
}

#[test]
fn device_unknown_key() {
    broken(
        "device-key",
        "DEVICES:\n  MyMachine:\n    DEVICE_CLASS: UnixLocal\n    INITIAL_STAT: UNIX_LOCAL\n",
        ErrorKind::UnknownKey,
        &["{f}:4:5: unknown key `INITIAL_STAT` in DEVICES.MyMachine; did you mean INITIAL_STATE?"],
    );
}

#[test]
fn devices_special_key_misspelt() {
    broken(
        "create-at-startup",
        "DEVICES:\n  CREATE_AT_START_UP: true\n  MyMachine:\n    DEVICE_CLASS: UnixLocal\n",
        ErrorKind::UnknownKey,
        &["{f}:2:3: unknown key `CREATE_AT_START_UP` in DEVICES; did you mean CREATE_AT_STARTUP?"],
    );
}

#[test]
fn device_wrong_types() {
    broken(
        "device-types",
        "DEVICES:\n  MyMachine:\n    DEVICE_CLASS: UnixLocal\n    LAZY_CMDS_EVENTS: lazy\n    ADDITIONAL_PARAMS: [1, 2]\n",
        ErrorKind::WrongType,
        &[
            "{f}:4:23: DEVICES.MyMachine.LAZY_CMDS_EVENTS must be true or false, found text \"lazy\"",
            "{f}:5:24: DEVICES.MyMachine.ADDITIONAL_PARAMS must be a mapping, found a list",
        ],
    );
}

#[test]
fn device_defined_twice_differently_in_one_file() {
    broken(
        "device-twice",
        "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixLocal\n  Box:\n    DEVICE_CLASS: UnixRemote\n",
        ErrorKind::DeviceDefinedTwice,
        &["{f}:4:3: device Box is defined twice differently (first at {f}:2:3)"],
    );
}

#[test]
fn device_defined_twice_the_same_way_is_fine() {
    let dir = folder("device-same");
    let file = dir.join("config.yml");
    std::fs::write(&file, "DEVICES:\n  Box: {DEVICE_CLASS: UnixLocal}\n  Box: {DEVICE_CLASS: moler.device.unixlocal.UnixLocal}\n")
        .unwrap();
    // The dotted and the short name are different text: that is a different definition.
    assert_eq!(Config::from_file(&file).unwrap_err().kind(), ErrorKind::DeviceDefinedTwice);
    std::fs::write(
        &file,
        "DEVICES:\n  Box: {DEVICE_CLASS: UnixLocal}\n  Box: {DEVICE_CLASS: UnixLocal}\n",
    )
    .unwrap();
    let config = Config::from_file(&file).unwrap();
    assert_eq!(config.devices.list.len(), 1);
}

#[test]
fn device_defined_twice_differently_across_files() {
    let dir = folder("device-two-files");
    let (a, b) = (dir.join("a.yml"), dir.join("b.yml"));
    std::fs::write(&a, "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixLocal\n").unwrap();
    std::fs::write(
        &b,
        "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        UNIX_LOCAL_ROOT: {execute_command: su}\n",
    )
    .unwrap();
    let e = Loader::new().from_files([&a, &b]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DeviceDefinedTwice);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:3: device Box is defined twice differently: CONNECTION_HOPS differs (first at {}:2:3)",
            b.display(),
            a.display()
        )
    );
    // The same again with Config::merge, Moler's second load_config.
    let mut first = Config::from_file(&a).unwrap();
    let e = first.merge(Config::from_file(&b).unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DeviceDefinedTwice);
}

#[test]
fn cloned_from_an_unknown_device() {
    broken(
        "clone-unknown",
        "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixLocal\n  Box2:\n    CLONED_FROM: Bx\n",
        ErrorKind::UnknownClonedFrom,
        &["{f}:5:18: device Box2 is CLONED_FROM Bx, which is not defined; did you mean Box?"],
    );
}

#[test]
fn cloned_from_in_a_loop() {
    broken(
        "clone-loop",
        "DEVICES:\n  A:\n    CLONED_FROM: B\n  B:\n    CLONED_FROM: A\n",
        ErrorKind::UnknownClonedFrom,
        &[
            "{f}:3:18: device A is CLONED_FROM B, which is cloned from it in turn (a loop)",
            "{f}:5:18: device B is CLONED_FROM A, which is cloned from it in turn (a loop)",
        ],
    );
}

#[test]
fn topology_names_an_unknown_device() {
    broken(
        "topology",
        "DEVICES:\n  LOGICAL_TOPOLOGY:\n    Box: [Remote]\n  Box:\n    DEVICE_CLASS: UnixLocal\n  Remot:\n    DEVICE_CLASS: UnixRemote\n",
        ErrorKind::UnknownDevice,
        &["{f}:3:11: LOGICAL_TOPOLOGY names device Remote, which is not defined; did you mean Remot?"],
    );
}

#[test]
fn hop_with_a_misspelt_execute_command() {
    broken(
        "hop",
        "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        UNIX_REMOTE:\n          execute_cmd: ssh\n          command_params: {host: h}\n",
        ErrorKind::UnknownKey,
        &[
            "{f}:7:11: unknown key `execute_cmd` in DEVICES.Box.CONNECTION_HOPS.UNIX_LOCAL.UNIX_REMOTE; did you mean execute_command?",
        ],
    );
}

#[test]
fn hop_command_params_must_be_a_mapping() {
    broken(
        "hop-params",
        "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        UNIX_REMOTE: {execute_command: ssh, command_params: [host]}\n",
        ErrorKind::WrongType,
        &["{f}:6:61: DEVICES.Box.CONNECTION_HOPS.UNIX_LOCAL.UNIX_REMOTE.command_params must be a mapping, found a list"],
    );
}

#[test]
fn device_connection_desc_is_checked() {
    broken(
        "device-conn",
        "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_DESC:\n      io_type: terminal\n      colums: 120\n",
        ErrorKind::UnknownKey,
        &["{f}:6:7: DEVICES.Box.CONNECTION_DESC (io_type terminal): unknown parameter `colums`; did you mean cols?"],
    );
}

#[cfg(feature = "ssh")]
#[test]
fn ssh_username_and_login_both_given() {
    broken(
        "ssh-both",
        "NAMED_CONNECTIONS:\n  r: {io_type: sshshell, host: h, username: a, login: b, host_key_policy: lax}\n",
        ErrorKind::InvalidValue,
        &[
            "{f}:2:55: NAMED_CONNECTIONS.r (io_type sshshell): `login` and `username` are the same; give one of them",
            "{f}:2:75: NAMED_CONNECTIONS.r (io_type sshshell): `host_key_policy` \"lax\" must be strict, accept-new or off",
        ],
    );
}

#[test]
fn terminal_window_and_process_stderr() {
    broken(
        "terminal-cols",
        "NAMED_CONNECTIONS:\n  t: {io_type: terminal, cols: 0}\n  p: {io_type: process, program: cat, stderr: both}\n",
        ErrorKind::InvalidValue,
        &[
            "{f}:2:32: NAMED_CONNECTIONS.t (io_type terminal): `cols` must be between 1 and 65535",
            "{f}:3:47: NAMED_CONNECTIONS.p (io_type process): `stderr` \"both\" must be merge, null or inherit",
        ],
    );
    broken(
        "process-term-grace",
        "NAMED_CONNECTIONS:\n  p: {io_type: process, program: cat, term_grace: -1}\n",
        ErrorKind::WrongType,
        &["{f}:2:51: NAMED_CONNECTIONS.p (io_type process): `term_grace` must be a number of seconds (0 or more), found a number (-1)"],
    );
}

#[test]
fn a_key_that_is_a_mapping() {
    broken(
        "complex-key",
        "? {a: 1}\n: x\n",
        ErrorKind::WrongType,
        &["{f}:1:3: a key must be a name, found a mapping"],
    );
}

#[test]
fn every_problem_at_once_in_file_order() {
    broken(
        "many",
        "LOGGER:\n  RAW_LOG: 01\nNAMED_CONNECTIONS:\n  n: {io_type: tcp}\nDEVICES:\n  D: {DEVICE_CLASS: Unix}\n",
        ErrorKind::WrongType,
        &[
            // The number as written.
            "{f}:2:12: LOGGER.RAW_LOG must be true or false, found a number (01)",
            "{f}:4:6: NAMED_CONNECTIONS.n (io_type tcp): missing required parameter `port`",
            "{f}:6:21: DEVICES.D.DEVICE_CLASS: unknown device class `Unix`; available: UnixLocal, ProxyPc, UnixRemote, PduAten, Scpi, JuniperGeneric, JuniperEX, AdbRemote, AtRemote, ProxyPc2, UnixRemote2, AdbRemote2, AtRemote3, PduAten3, Scpi3, JuniperGeneric3, JuniperEX3",
        ],
    );
}

#[test]
fn a_file_that_is_not_utf8() {
    let dir = folder("utf8");
    let file = dir.join("config.yml");
    std::fs::write(&file, b"LOGGER:\n  PATH: caf\xe9\n").unwrap();
    let e = Config::from_file(&file).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Read);
    assert_eq!(
        e.to_string(),
        format!("{}:2:12: the config is not UTF-8 text (save it as UTF-8)", file.display())
    );
}

#[test]
fn a_file_that_is_missing() {
    let dir = folder("missing");
    let file = dir.join("nope.yml");
    let e = Config::from_file(&file).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Read);
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read the config: No such file or directory (os error 2)",
            file.display()
        )
    );
}

#[test]
fn a_yaml_string_is_named_as_such() {
    let e = Config::from_yaml("NAMED_CONNECTIONS:\n  n: {io_type: tcp, port: 0}\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "<yaml string>:2:27: NAMED_CONNECTIONS.n (io_type tcp): `port` must be a port number (1-65535), found a number (0)"
    );
}

#[cfg(not(feature = "ssh"))]
#[test]
fn sshshell_in_a_build_without_ssh() {
    // No libssh2 built in: an sshshell is the OpenSSH client where `ssh` is on PATH (the file
    // may be shared with builds that have libssh2), and asking for libssh2 says what is missing.
    let config =
        Config::from_yaml("NAMED_CONNECTIONS:\n  r: {io_type: sshshell, host: h}\n").unwrap();
    let choice = config.transport_choice(&config.connections[0].spec);
    let has_ssh = moler_io::terminal::on_path("ssh").is_some();
    if has_ssh {
        assert!(choice.ends_with("in a pty: this build has no libssh2"), "{choice}");
    } else {
        assert!(choice.starts_with("sshshell: unavailable: "), "{choice}");
    }
    let dir = folder("no-ssh-feature");
    let file = dir.join("config.yml");
    std::fs::write(
        &file,
        "NAMED_CONNECTIONS:\n  r: {io_type: sshshell, host: h, client: libssh2}\n",
    )
    .unwrap();
    let e = Config::from_file(&file).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotCompiled);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:43: NAMED_CONNECTIONS.r (io_type sshshell): client libssh2 needs moler's `ssh` \
             feature, which this build left out",
            file.display()
        )
    );
}

#[cfg(not(feature = "tokio"))]
#[test]
fn a_tokio_variant_in_a_build_without_tokio() {
    let dir = folder("no-tokio-feature");
    let file = dir.join("config.yml");
    std::fs::write(&file, "NAMED_CONNECTIONS:\n  t: {io_type: terminal, variant: tokio}\n")
        .unwrap();
    let config = Config::from_file(&file).unwrap();
    let e = config.open("t").unwrap_err();
    let moler_config::Error::Config(c) = &e else { panic!("{e:?}") };
    assert_eq!(c.kind(), ErrorKind::NotCompiled);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:35: NAMED_CONNECTIONS.t (io_type terminal): variant tokio: runner tokio is not \
             compiled in: enable the `tokio` feature of moler (or moler-runners)",
            file.display()
        )
    );
}

#[test]
fn serial_settings_out_of_range() {
    broken(
        "serial-settings",
        "NAMED_CONNECTIONS:\n  modem:\n    io_type: serial\n    port: /dev/ttyUSB0\n    \
         data_bits: 9\n    parity: evn\n    stop_bits: 3\n    flow_control: rts\n    baud_rate: fast\n",
        ErrorKind::InvalidValue,
        &[
            "{f}:5:16: NAMED_CONNECTIONS.modem (io_type serial): `data_bits` must be 5, 6, 7 or 8",
            "{f}:6:13: NAMED_CONNECTIONS.modem (io_type serial): `parity` \"evn\" must be none, odd, even, mark or space",
            "{f}:7:16: NAMED_CONNECTIONS.modem (io_type serial): `stop_bits` must be 1, 1.5 or 2",
            "{f}:8:19: NAMED_CONNECTIONS.modem (io_type serial): `flow_control` \"rts\" must be none, xonxoff (software) or rtscts (hardware)",
            "{f}:9:16: NAMED_CONNECTIONS.modem (io_type serial): `baud_rate` must be a whole number (0 or more), found text \"fast\"",
        ],
    );
}

#[test]
fn serial_without_port_and_misspelt_parameters() {
    broken(
        "serial-no-port",
        "NAMED_CONNECTIONS:\n  modem: {io_type: serial, baud: 9600}\n  \
         console: {io_type: telnet, host: r1, prot: 23}\n  \
         server: {io_type: rfc2217, host: cs1, port: 4001, partiy: even}\n",
        ErrorKind::MissingParameter,
        &[
            "{f}:2:10: NAMED_CONNECTIONS.modem (io_type serial): missing required parameter `port`",
            "{f}:2:28: NAMED_CONNECTIONS.modem (io_type serial): unknown parameter `baud`; expected one of baud_rate, connect_timeout, data_bits, flow_control, name, parity, port, ready_marker, ready_prompt, ready_timeout, stop_bits",
            "{f}:3:40: NAMED_CONNECTIONS.console (io_type telnet): unknown parameter `prot`; did you mean port?",
            "{f}:4:53: NAMED_CONNECTIONS.server (io_type rfc2217): unknown parameter `partiy`; did you mean parity?",
        ],
    );
}

#[test]
fn a_local_serial_port_takes_no_connect_timeout() {
    broken(
        "serial-timeout",
        "NAMED_CONNECTIONS:\n  modem: {io_type: serial, port: /dev/ttyS0, connect_timeout: 3}\n",
        ErrorKind::InvalidValue,
        &["{f}:2:63: NAMED_CONNECTIONS.modem (io_type serial): `connect_timeout` is for a `host:port` (RFC 2217) port only"],
    );
}
