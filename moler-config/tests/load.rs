//! Configs that load: Moler's files unchanged, paths, clones, several files, configs built in
//! Rust.

use std::path::{Path, PathBuf};

use moler_config::{
    Config, ConnectionSpec, DeviceSpec, ErrorKind, Loader, RotationKind, Value, WriteMode,
};
use moler_runners::CompletionExt;

fn folder(case: &str) -> moler_testkit::TempDir {
    moler_testkit::TempDir::new(&format!("config-load-{case}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A config as Moler users write them (after Moler's own docs and examples).
const MOLER_FILE: &str = r#"
LOGGER:
  PATH: ./logs
  RAW_LOG: True
  DEBUG_LEVEL: TRACE
  DATE_FORMAT: "%H:%M:%S"
  MODE: write
  ERROR_LOG_STACK: false
  CONSOLE_LOGS: [moler, MyMachine]
  LOG_ROTATION:
    KIND: size
    INTERVAL: 1048576
    BACKUP_COUNT: 5
    COMPRESS_AFTER_ROTATION: yes
    COMPRESS_COMMAND: "gzip -9 {log_input}"
    COMPRESSED_FILE_EXTENSION: ".gz"

NAMED_CONNECTIONS:
  net_1:
    io_type: tcp
    host: localhost
    port: 5671
    receive_buffer_size: 65536
  www_svr:
    io_type: tcp
    port: 80

IO_TYPES:
  default_variant:
    tcp: threaded
    terminal: multi-threaded
    sshshell: threaded
    memory: threaded

DEVICES:
  DEFAULT_CONNECTION:
    CONNECTION_DESC:
      io_type: terminal
      variant: threaded

  CREATE_AT_STARTUP: false

  LOGICAL_TOPOLOGY:
    MyMachine: [RebexTestMachine]

  MyMachine:
    DEVICE_CLASS: moler.device.unixlocal.UnixLocal
    INITIAL_STATE: UNIX_LOCAL

  RebexTestMachine:
    DEVICE_CLASS: moler.device.unixremote.UnixRemote
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            expected_prompt: demo@
            host: test.rebex.net
            login: demo
            password: password
            set_timeout: null
            answer: y
            permanent: yes
      UNIX_REMOTE:
        UNIX_REMOTE_ROOT:
          execute_command: su
          command_params:
            password: root_password
            expected_prompt: 'root@'
    LAZY_CMDS_EVENTS: True
    ADDITIONAL_PARAMS:
      prompt_detector_timeout: 0.5

  RebexClone:
    CLONED_FROM: RebexTestMachine
    INITIAL_STATE: UNIX_REMOTE

  SshBox:
    DEVICE_CLASS: UnixRemote3
    CONNECTION_DESC:
      io_type: sshshell
      host: 10.0.0.5
      login: tester
      password: secret
"#;

#[test]
fn a_moler_file_loads_unchanged() {
    let dir = folder("moler");
    let file = write(&dir, "moler.yml", MOLER_FILE);
    let config = Config::from_file(&file).unwrap();

    let l = &config.logger;
    assert_eq!(l.path.as_deref(), Some(dir.join("logs").as_path()), "relative to the file");
    assert!(l.raw_log);
    assert_eq!(l.debug_level.as_deref(), Some("TRACE"));
    assert_eq!(l.date_format, "%H:%M:%S");
    assert_eq!(l.mode, WriteMode::Write);
    assert_eq!(l.console_logs, ["moler", "MyMachine"]);
    assert_eq!(l.rotation.kind, Some(RotationKind::Size));
    assert_eq!(l.rotation.interval, 1_048_576);
    assert_eq!(l.rotation.backup_count, 5);
    assert!(l.rotation.compress_after_rotation);
    assert_eq!(l.rotation.compress_command, "gzip -9 {log_input}");
    assert_eq!(l.rotation.compressed_file_extension, ".gz");

    let names: Vec<_> = config.connections.iter().map(|c| c.name.value.as_str()).collect();
    assert_eq!(names, ["net_1", "www_svr"]);
    let net_1 = config.connection("net_1").unwrap();
    assert_eq!(net_1.spec.io_type.value, "tcp");
    assert_eq!(net_1.spec.origin.line(), 20, "the mapping starts at its first key");
    assert_eq!(config.default_variant("terminal").unwrap().value, "multi-threaded");
    assert_eq!(config.default_variant("tcp").unwrap().value, "threaded");

    // receive_buffer_size is Moler's and means nothing here: a warning, not an error.
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    let w = config.warnings[0].to_string();
    assert!(w.starts_with(&format!("{}:23:26: warning:", file.display())), "{w}");
    assert!(w.contains("`receive_buffer_size` is Moler's"), "{w}");

    let d = &config.devices;
    assert!(!d.create_at_startup);
    assert_eq!(d.topology[0].0.value, "MyMachine");
    assert_eq!(d.topology[0].1[0].value, "RebexTestMachine");
    let names: Vec<_> = d.list.iter().map(|x| x.name.value.as_str()).collect();
    assert_eq!(names, ["MyMachine", "RebexTestMachine", "RebexClone", "SshBox"]);

    let local = config.device("MyMachine").unwrap();
    assert_eq!(local.class.value.name, "UnixLocal");
    assert_eq!(local.class.value.written, "moler.device.unixlocal.UnixLocal");
    assert_eq!(local.connection.io_type.value, "terminal", "DEFAULT_CONNECTION");
    assert_eq!(local.connection.variant.as_ref().unwrap().value, "threaded");
    assert_eq!(local.initial_state.as_ref().unwrap().value, "UNIX_LOCAL");

    let remote = config.device("RebexTestMachine").unwrap();
    assert_eq!(remote.class.value.name, "UnixRemote");
    assert!(remote.lazy_cmds_events);
    assert_eq!(remote.hops.len(), 2);
    let ssh = remote.hop_between("UNIX_LOCAL", "UNIX_REMOTE").unwrap();
    assert_eq!(ssh.execute_command.as_ref().unwrap().value, "ssh");
    let params = ssh.command_params.to_json();
    assert_eq!(params["host"], "test.rebex.net");
    assert_eq!(params["set_timeout"], serde_json::Value::Null);
    // PyYAML's reading: `y` is text, `yes` is true.
    assert_eq!(params["answer"], "y");
    assert_eq!(params["permanent"], true);
    assert_eq!(ssh.command_params.get("login").unwrap().origin.line(), 59);
    let extra = remote.additional_params.as_ref().unwrap().to_json();
    assert_eq!(extra["prompt_detector_timeout"], 0.5);

    let clone = config.device("RebexClone").unwrap();
    assert_eq!(clone.cloned_from.as_ref().unwrap().value, "RebexTestMachine");
    assert_eq!(clone.class.value.name, "UnixRemote", "class from the source");
    assert_eq!(clone.hops, remote.hops, "hops from the source");
    assert_eq!(clone.initial_state.as_ref().unwrap().value, "UNIX_REMOTE", "its own");
    assert!(!clone.lazy_cmds_events, "its own, as in Moler");

    let ssh_box = config.device("SshBox").unwrap();
    // Moler's UnixRemote3 is our UnixRemote2: on an sshshell, no local states.
    assert_eq!(ssh_box.class.value.name, "UnixRemote2");
    assert_eq!(ssh_box.connection.io_type.value, "sshshell");
    let shown = format!("{ssh_box:?}");
    assert!(!shown.contains("secret") && !shown.contains("root_password"), "{shown}");
}

#[test]
fn the_design_example_loads() {
    let config = Config::from_yaml(
        r#"
LOGGER: {PATH: ./logs, RAW_LOG: true, DATE_FORMAT: "%H:%M:%S"}
NAMED_CONNECTIONS:
  net_1: {io_type: tcp, host: localhost, port: 5671}
IO_TYPES:
  default_variant: {tcp: threaded, terminal: threaded}
DEVICES:
  DEFAULT_CONNECTION:
    CONNECTION_DESC: {io_type: terminal, variant: threaded}
  MyMachine:
    DEVICE_CLASS: moler.device.unixlocal.UnixLocal
  RemoteBox:
    DEVICE_CLASS: moler.device.unixremote.UnixRemote
    INITIAL_STATE: UNIX_LOCAL
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params: {host: 127.0.0.1, port: 2222, login: tester, password: secret,
                           expected_prompt: 'tester@', set_timeout: null}
"#,
    )
    .unwrap();
    assert_eq!(config.devices.list.len(), 2);
    let hop = config.device("RemoteBox").unwrap().hop_between("UNIX_LOCAL", "UNIX_REMOTE").unwrap();
    assert_eq!(hop.command_params.to_json()["port"], 2222);
    assert_eq!(hop.origin.to_string(), "<yaml string>:18:11");
    // From a string, relative paths stay relative to the current folder.
    assert_eq!(config.logger.path.as_deref(), Some(Path::new("./logs")));
}

#[test]
fn an_empty_file_is_an_empty_config() {
    let dir = folder("empty");
    let config = Config::from_file(write(&dir, "empty.yml", "# nothing yet\n")).unwrap();
    assert!(config.connections.is_empty() && config.devices.list.is_empty());
    assert_eq!(config.logger, moler_config::Logger::default());
}

#[test]
fn paths_resolve_from_the_config_folder() {
    let dir = folder("paths");
    let file = write(
        &dir,
        "c.yml",
        "LOGGER: {PATH: out/logs}\nNAMED_CONNECTIONS:\n  sh: {io_type: terminal, cwd: work}\n  abs: {io_type: terminal, cwd: /tmp}\n",
    );
    let config = Config::from_file(&file).unwrap();
    assert_eq!(config.logger.path.as_deref(), Some(dir.join("out/logs").as_path()));
    let mut p = config.connection("sh").unwrap().spec.params();
    assert_eq!(p.get::<PathBuf>("cwd"), Some(dir.join("work")));
    let mut p = config.connection("abs").unwrap().spec.params();
    assert_eq!(p.get::<PathBuf>("cwd"), Some(PathBuf::from("/tmp")));

    // A file named by a relative path: still from its folder, made absolute.
    let cwd = std::env::current_dir().unwrap();
    let relative = pathdiff(&file, &cwd);
    let config = Config::from_file(&relative).unwrap();
    assert_eq!(
        config.logger.path.as_deref(),
        Some(cwd.join(relative.parent().unwrap()).join("out/logs").as_path())
    );
}

/// `target` relative to `base` (both absolute).
fn pathdiff(target: &Path, base: &Path) -> PathBuf {
    let up = base.components().count() - 1;
    let mut p = PathBuf::new();
    for _ in 0..up {
        p.push("..");
    }
    p.join(target.strip_prefix("/").unwrap())
}

#[test]
fn old_style_rotation_keys_load_with_a_warning() {
    let config = Config::from_yaml("LOGGER:\n  KIND: time\n  INTERVAL: 3600\n").unwrap();
    assert_eq!(config.logger.rotation.kind, Some(RotationKind::Time));
    assert_eq!(config.logger.rotation.interval, 3600);
    let w: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        [
            "<yaml string>:2:9: warning: LOGGER.KIND is Moler's old style; it belongs in LOGGER.LOG_ROTATION",
            "<yaml string>:3:13: warning: LOGGER.INTERVAL is Moler's old style; it belongs in LOGGER.LOG_ROTATION",
        ]
    );
}

#[test]
fn clones_resolve_across_files_and_through_clones() {
    let dir = folder("clones");
    let a = write(
        &dir,
        "a.yml",
        "DEVICES:\n  Base:\n    DEVICE_CLASS: UnixLocal\n    INITIAL_STATE: UNIX_LOCAL\n",
    );
    let b = write(
        &dir,
        "b.yml",
        "DEVICES:\n  Second:\n    CLONED_FROM: First\n  First:\n    CLONED_FROM: Base\n",
    );
    let config = Loader::new().from_files([&a, &b]).unwrap();
    for name in ["First", "Second"] {
        let d = config.device(name).unwrap();
        assert_eq!(d.class.value.name, "UnixLocal", "{name}");
        assert_eq!(d.initial_state.as_ref().unwrap().value, "UNIX_LOCAL", "{name}: the source's");
    }
    // The same device in both files, defined the same way, is fine (Moler reloads configs).
    let c = write(
        &dir,
        "c.yml",
        "DEVICES:\n  Base:\n    DEVICE_CLASS: UnixLocal\n    INITIAL_STATE: UNIX_LOCAL\n",
    );
    let config = Loader::new().from_files([&a, &c]).unwrap();
    assert_eq!(config.devices.list.len(), 1);
}

#[test]
fn a_clone_ignores_the_keys_it_takes_from_its_source_with_a_warning() {
    let config = Config::from_yaml(
        "DEVICES:\n  A: {DEVICE_CLASS: UnixLocal}\n  B: {CLONED_FROM: A, DEVICE_CLASS: UnixRemote}\n",
    )
    .unwrap();
    assert_eq!(config.device("B").unwrap().class.value.name, "UnixLocal");
    assert_eq!(config.warnings.len(), 1);
    assert!(
        config.warnings[0].message.contains("DEVICE_CLASS is ignored"),
        "{}",
        config.warnings[0]
    );
}

#[test]
fn a_config_built_in_rust() {
    let mut config = Config::new();
    config
        .add_connection(
            "net",
            ConnectionSpec::new("tcp").param("host", "127.0.0.1").param("port", 2323),
        )
        .unwrap();
    config.set_default_variant("tcp", "threaded").unwrap();
    config
        .add_device(DeviceSpec::new("Remote", "UnixRemote").initial_state("UNIX_LOCAL").hop(
            "UNIX_LOCAL",
            "UNIX_REMOTE",
            "ssh",
            serde_json::json!({"host": "h", "login": "me"}),
        ))
        .unwrap();
    assert_eq!(
        config.connection("net").unwrap().spec.params().node("port").unwrap().value,
        Value::Int(2323)
    );
    let hop = config.device("Remote").unwrap().hop_between("UNIX_LOCAL", "UNIX_REMOTE").unwrap();
    assert_eq!(hop.command_params.to_json()["login"], "me");

    // The same checks as for YAML, without a place to point at.
    let e = config.add_connection("bad", ConnectionSpec::new("tcp").param("prot", 1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownKey);
    assert!(
        e.to_string().starts_with("<code>: connection bad (io_type tcp): unknown parameter `prot`"),
        "{e}"
    );
    let e = config.set_default_variant("tcp", "twisted").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownVariant);
    let e = config.add_device(DeviceSpec::new("X", "Router")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownDeviceClass);
    let e = config.add_device(DeviceSpec::new("Remote", "UnixLocal")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DeviceDefinedTwice);
    assert_eq!(
        e.to_string(),
        "<code>: device Remote is defined twice differently: DEVICE_CLASS, CONNECTION_HOPS, INITIAL_STATE differ (first at <code>)"
    );
}

#[test]
fn registered_device_classes_and_io_types_are_known_when_loading() {
    let loader = Loader::new().device_class("Router", &["mylab.devices.Router"]).io_type(
        "serial",
        |p: &mut moler_config::Params| {
            p.finish()?;
            Err(moler_config::Error::Open {
                what: "serial".into(),
                source: std::io::ErrorKind::Unsupported.into(),
            })
        },
    );
    let config = loader
        .from_yaml("NAMED_CONNECTIONS:\n  s: {io_type: serial, device: /dev/ttyS0}\nDEVICES:\n  R: {DEVICE_CLASS: mylab.devices.Router}\n")
        .unwrap();
    assert_eq!(config.device("R").unwrap().class.value.name, "Router");
    // Its parameters are the constructor's to check, when it opens; `device` is not read.
    let e = config.open("s").unwrap_err().to_string();
    assert_eq!(
        e,
        "<yaml string>:2:24: NAMED_CONNECTIONS.s (io_type serial): unknown parameter `device`"
    );
}

#[test]
fn two_files_must_agree_on_default_variants() {
    let dir = folder("variants");
    let a = write(&dir, "a.yml", "IO_TYPES:\n  default_variant: {tcp: threaded}\n");
    let b = write(&dir, "b.yml", "IO_TYPES:\n  default_variant: {tcp: smol, terminal: tokio}\n");
    let e = Loader::new().from_files([&a, &b]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DuplicateKey);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:26: the default variant of tcp is smol here but threaded at {}:2:26",
            b.display(),
            a.display()
        )
    );
    let same =
        write(&dir, "c.yml", "IO_TYPES:\n  default_variant: {tcp: threaded, terminal: tokio}\n");
    let config = Loader::new().from_files([&a, &same]).unwrap();
    assert_eq!(config.default_variant("terminal").unwrap().value, "tokio");
}

/// A hop that only changes parameters (Moler's test/resources/device_config.yml does it for
/// the way back from a remote) loads without a command: the device class's hop gives it.
#[test]
fn a_hop_without_execute_command_loads_and_keeps_none() {
    let yaml = "DEVICES:\n  Box:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_REMOTE:\n        UNIX_LOCAL: {command_params: {expected_prompt: 'local#'}}\n";
    let config = Config::from_yaml(yaml).unwrap();
    let hop = config.device("Box").unwrap().hop_between("UNIX_REMOTE", "UNIX_LOCAL").unwrap();
    assert!(hop.execute_command.is_none());
    assert_eq!(hop.command_params.to_json()["expected_prompt"], "local#");
    // Written with a wrong type it is still an error.
    let yaml = yaml.replace("{command_params", "{execute_command: [ssh], command_params");
    let e = Config::from_yaml(&yaml).unwrap_err().to_string();
    assert!(e.contains("UNIX_LOCAL.execute_command"), "{e}");
}

/// Everything a connection prints until it closes.
struct All(String);

impl moler_core::Observer for All {
    type Output = String;
    fn describe(&self) -> String {
        "all the output".into()
    }
    fn on_data(&mut self, data: &str, _: &mut moler_core::Context<'_>) -> moler_core::Step<String> {
        self.0.push_str(data);
        moler_core::Step::Pending
    }
    fn on_close(&mut self, _: moler_core::Error) -> moler_core::Result<String> {
        Ok(std::mem::take(&mut self.0))
    }
}

#[test]
fn a_process_stderr_is_merged_dropped_or_inherited_as_written() {
    let mut yaml = String::from("NAMED_CONNECTIONS:\n");
    for (name, mode) in
        [("merge", "merge"), ("null", "null"), ("inherit", "inherit"), ("quoted", "'null'")]
    {
        yaml.push_str(&format!(
            "  {name}: {{io_type: process, program: sh, args: ['-c', 'read go; echo to-err: inherited on purpose by a test >&2; \
             echo to-out'], stderr: {mode}}}\n"
        ));
    }
    let config = Config::from_yaml(&yaml).unwrap();
    let output = |mode: &str| {
        let conn = config.open(mode).unwrap();
        // The child prints only once told to, after the observer started: output that comes
        // while nobody watches is not kept for a later observer.
        let all = conn.start(All(String::new()));
        conn.sendline("go");
        all.wait(std::time::Duration::from_secs(20)).unwrap()
    };
    let merged = output("merge");
    assert!(merged.contains("to-err") && merged.contains("to-out"), "{merged:?}");
    for mode in ["null", "inherit", "quoted"] {
        let out = output(mode);
        assert!(out.contains("to-out") && !out.contains("to-err"), "{mode}: {out:?}");
    }
}

/// `term_grace`: how long a process connection's child gets between SIGTERM and SIGKILL when
/// the connection closes (0.5 s unless given). A child deaf to SIGTERM given 600 s is still
/// running well after the default's 0.5 s; without the key it is gone.
#[test]
fn a_process_term_grace_is_the_childs_time_to_end() {
    let deaf = "trap '' TERM; read go; echo $$; exec sleep 1000";
    let yaml = format!(
        "NAMED_CONNECTIONS:\n  patient: {{io_type: process, program: sh, args: ['-c', \"{deaf}\"], \
         term_grace: 600}}\n  default: {{io_type: process, program: sh, args: ['-c', \"{deaf}\"]}}\n"
    );
    let config = Config::from_yaml(&yaml).unwrap();
    let wait = std::time::Duration::from_secs(20);
    let closed_child = |name: &str| {
        let conn = config.open(name).unwrap();
        // The child prints once told to, after the observer started (see `All`).
        let all = conn.start(All(String::new()));
        conn.sendline("go");
        std::thread::sleep(std::time::Duration::from_millis(300));
        conn.close();
        all.wait(wait).unwrap().trim().to_owned()
    };
    let default = closed_child("default");
    let deadline = std::time::Instant::now() + wait;
    while moler_testkit::process_state(&default).is_some() {
        assert!(std::time::Instant::now() < deadline, "the default grace never ended it");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let patient = closed_child("patient");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let alive = moler_testkit::process_state(&patient);
    std::process::Command::new("kill").args(["-KILL", &patient]).status().unwrap();
    assert!(matches!(alive, Some(s) if s != 'Z'), "600 s of grace: {alive:?}");
}

/// Documented values that YAML reads as something else when unquoted: `stderr: null` (YAML's
/// null) and `host_key_policy: off` (YAML 1.1's false, as PyYAML reads it) mean what they say.
#[test]
fn yaml_keywords_among_the_documented_values_mean_what_they_say() {
    let config = Config::from_yaml(
        "NAMED_CONNECTIONS:\n  \
         s: {io_type: sshshell, host: h, login: u, host_key_policy: off}\n  \
         q: {io_type: sshshell, host: h, login: u, host_key_policy: 'off'}\n",
    )
    .unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    // A true is no policy: the error says what is allowed.
    let e = Config::from_yaml(
        "NAMED_CONNECTIONS:\n  s: {io_type: sshshell, host: h, login: u, host_key_policy: on}\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("`host_key_policy` must be text, found a boolean"), "{e}");
}

/// Every spelling of a serial line's settings that the docs give is taken.
#[test]
fn serial_settings_take_every_documented_spelling() {
    let mut yaml = String::from("NAMED_CONNECTIONS:\n");
    let parities = ["none", "n", "odd", "o", "even", "e", "mark", "m", "space", "S"];
    let flows = ["none", "xonxoff", "software", "rtscts", "Hardware"];
    for (i, parity) in parities.iter().enumerate() {
        let flow = flows[i % flows.len()];
        yaml.push_str(&format!(
            "  s{i}: {{io_type: serial, port: /dev/ttyS{i}, parity: {parity}, flow_control: {flow}, \
             stop_bits: 1.5}}\n"
        ));
    }
    let config = Config::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.connections.len(), parities.len());
    let e =
        Config::from_yaml("NAMED_CONNECTIONS:\n  s: {io_type: serial, port: /dev/x, parity: q}\n")
            .unwrap_err();
    assert!(e.to_string().contains("must be none, odd, even, mark or space"), "{e}");
}
