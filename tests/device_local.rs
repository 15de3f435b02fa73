//! UnixLocal devices on real shells: the factory (cache, clone, code), commands bound to their
//! state, each state's newline, a shell that ends, async state changes.

use std::time::Duration;

use moler::commands::unix::{Ls, Ping, Pwd};
use moler::config::DeviceSpec;
use moler::prelude::*;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

fn local_devices() -> Devices {
    Devices::from_yaml("DEVICES:\n  LOCAL:\n    DEVICE_CLASS: moler.device.unixlocal.UnixLocal\n")
        .unwrap()
}

fn shell_pid(device: &Device) -> String {
    let prompt = device.prompt().unwrap().to_owned();
    let out = device.observe(Command::lines("echo $$", &prompt)).unwrap().run().unwrap();
    out.into_iter().find(|l| !l.trim().is_empty()).unwrap()
}

#[test]
fn local_device_runs_commands_by_name_and_typed() {
    let devices = local_devices();
    let local = devices.get("LOCAL").unwrap();
    assert_eq!(local.state(), "UNIX_LOCAL");
    assert_eq!(local.class(), "UnixLocal");
    assert_eq!(local.states(), ["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT"]);
    let pwd = local.cmd("pwd", json!({})).unwrap().run().unwrap();
    assert!(pwd["full_path"].as_str().unwrap().starts_with('/'), "{pwd}");
    let typed = local.run(Pwd::new()).unwrap();
    assert_eq!(typed.full_path, pwd["full_path"].as_str().unwrap());
    let ls = local.start(Ls::new().path("/")).unwrap().wait(WAIT).unwrap();
    assert!(ls.files.contains_key("etc"), "{:?}", ls.files.keys());
    let (tx, rx) = std::sync::mpsc::channel();
    let params = json!({"detect_patterns": ["^MARK (\\d+)$"], "till_occurs_times": 1});
    let marks = local.event_with("wait4", params, move |o| drop(tx.send(o["line"].clone())));
    let marks = marks.unwrap().start();
    local.cmd("echo", json!({"text": "MARK 7"})).unwrap().run().unwrap();
    let found = marks.wait(WAIT).unwrap();
    assert_eq!(found[0]["groups"][0], 7, "a number, as Moler converts it: {found}");
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [json!("MARK 7")], "the callback saw it");
    // Typed: the event's own occurrences, with their time.
    let typed = moler::commands::events::Wait4Event {
        detect_patterns: vec!["^MARK (\\d+)$".into()],
        till_occurs_times: Some(1),
        ..Default::default()
    };
    let before = std::time::Instant::now();
    let marks = local.watch(typed).unwrap();
    local.cmd("echo", json!({"text": "MARK 8"})).unwrap().run().unwrap();
    let found = marks.wait(WAIT).unwrap();
    let moler::commands::events::LineRecord::One(mark) = &found[0] else { panic!("{found:?}") };
    assert_eq!((mark.groups[0].clone(), mark.time >= before), (json!(8), true));
    let err = local.cmd("lss", json!({})).unwrap_err().to_string();
    assert!(err.starts_with("device LOCAL: unknown command 'lss' (did you mean 'ls'?)"), "{err}");
    let err = local.cmd("ls", json!({"option": "-l"})).unwrap_err().to_string();
    let unknown = "ls: unknown parameter `option` (did you mean `options`?); accepted parameters: \
                   options, path, prompt, timeout, newline_chars";
    assert!(err.starts_with("device LOCAL: ") && err.ends_with(unknown), "{err}");
    devices.remove("LOCAL").unwrap();
    assert_eq!(local.state(), "NOT_CONNECTED");
    assert!(matches!(local.run(Pwd::new()), Err(DeviceError::Removed { .. })));
}

#[test]
fn the_factory_caches_clones_and_takes_devices_from_code() {
    let devices = local_devices();
    let a = devices.get("LOCAL").unwrap();
    let b = devices.get("LOCAL").unwrap();
    assert_eq!(a, b, "cached by name");
    assert_eq!(shell_pid(&a), shell_pid(&b), "one connection");
    let clone = devices.get_cloned("LOCAL", "LOCAL_2").unwrap();
    assert_ne!(clone, a);
    assert_eq!(clone.name(), "LOCAL_2");
    assert_ne!(shell_pid(&clone), shell_pid(&a), "a clone has its own shell");
    assert_eq!(devices.made(), ["LOCAL", "LOCAL_2"]);

    devices.add(DeviceSpec::new("CODE", "UnixLocal")).unwrap();
    let code = devices.get("CODE").unwrap();
    assert_eq!(code.run(Pwd::new()).unwrap().full_path.chars().next(), Some('/'));
    let err = devices.add(DeviceSpec::new("CODE2", "UnixLocal").initial_state("UNIX_LOKAL"));
    assert_eq!(
        err.unwrap_err().to_string(),
        "<code>: device CODE2: UnixLocal has no state UNIX_LOKAL; did you mean UNIX_LOCAL?"
    );
    let err = devices.get("LOCLA").unwrap_err().to_string();
    assert_eq!(err, "no device named LOCLA; did you mean LOCAL?");
    devices.remove_all();
    assert!(devices.made().is_empty());
    // Made again on demand, with a new connection.
    assert_eq!(devices.get("LOCAL").unwrap().state(), "UNIX_LOCAL");
    devices.remove_all();
}

#[test]
fn states_are_checked_and_followed() {
    let devices = local_devices();
    let local = devices.get("LOCAL").unwrap();
    let err = local.goto_state("UNIX_REMOTE").unwrap_err().to_string();
    assert_eq!(
        err,
        "device LOCAL (UnixLocal) has no state UNIX_REMOTE; it has NOT_CONNECTED, UNIX_LOCAL, \
         UNIX_LOCAL_ROOT"
    );
    let stale = local.observe(Pwd::new().build(local.prompt())).unwrap();
    local.goto_state("NOT_CONNECTED").unwrap();
    assert!(local.connection().is_none());
    let err = local.run(Pwd::new()).unwrap_err().to_string();
    assert_eq!(
        err,
        "device LOCAL is NOT_CONNECTED: `pwd` needs a connected device (goto_state first)"
    );
    assert!(stale.run().unwrap_err().to_string().contains("closed"), "its connection is gone");
    local.goto_state("UNIX_LOCAL").unwrap();
    assert!(local.run(Pwd::new()).is_ok(), "a new connection");

    // The shell ends by itself: the device notices (NOT_CONNECTED) and reconnects on demand.
    let prompt = local.prompt().unwrap().to_owned();
    let exit = local.observe(Command::lines("exit", &prompt)).unwrap().start();
    local.wait_for_state("NOT_CONNECTED", WAIT).unwrap();
    assert!(exit.wait(WAIT).unwrap_err().is_closed());
    // Its dead connection is no connection: a command is refused as on a device never opened.
    let err = local.run(Pwd::new()).unwrap_err().to_string();
    assert_eq!(
        err,
        "device LOCAL is NOT_CONNECTED: `pwd` needs a connected device (goto_state first)"
    );
    local.goto_state("UNIX_LOCAL").unwrap();
    assert!(local.run(Pwd::new()).is_ok());
    devices.remove_all();
}

/// A device that shows whether each line it receives ended with "\r\n": the newline of
/// UNIX_LOCAL comes from its hop's `target_newline`, as in Moler.
#[test]
fn each_state_sends_its_own_newline() {
    let dir = std::env::temp_dir().join(format!("moler-device-newline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("dev.sh"),
        "printf 'moler_bash# '\nwhile IFS= read -r l; do case \"$l\" in *$(printf '\\r')) \
         echo \"CRLF ${l%?}\";; *) echo \"LF $l\";; esac; printf 'moler_bash# '; done\n",
    )
    .unwrap();
    let yaml =
        "DEVICES:\n  DEV:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_DESC: {io_type: process, \
                program: sh, args: [dev.sh], cwd: ., ready_prompt: 'moler_bash# '}\n    \
                CONNECTION_HOPS:\n      UNIX_LOCAL_ROOT:\n        UNIX_LOCAL:\n          \
                execute_command: exit\n          command_params: {target_newline: \"\\r\\n\"}\n";
    std::fs::write(dir.join("devices.yml"), yaml).unwrap();
    let devices = Devices::from_file(dir.join("devices.yml")).unwrap();
    let dev = devices.get("DEV").unwrap();
    assert_eq!(dev.newline_of("UNIX_LOCAL"), "\r\n");
    assert_eq!(dev.newline_of("UNIX_LOCAL_ROOT"), "\n");
    let out = dev
        .observe(Command::lines("hello", "^moler_bash# ").expect_echo(false))
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(out, ["CRLF hello"]);
    devices.remove_all();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "tokio")]
#[test]
fn async_scripts_await_devices_and_state_changes_on_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    rt.unwrap().block_on(async {
        let devices = local_devices();
        let local = devices.get_async("LOCAL").await.unwrap();
        assert_eq!(local.connection().unwrap().runner(), RunnerKind::Tokio, "autodetected");
        let pwd = local.start(Pwd::new()).unwrap().await.unwrap();
        assert!(pwd.full_path.starts_with('/'));
        local.goto_state_bg("NOT_CONNECTED").await.unwrap();
        assert_eq!(local.state(), "NOT_CONNECTED");
        local.goto_state_bg("UNIX_LOCAL").await.unwrap();
        let ls = local.start(Ls::new().path("/")).unwrap().await.unwrap();
        assert!(ls.files.contains_key("etc"));
        let err = local.run(Pwd::new()).unwrap_err().to_string();
        assert!(err.contains("blocking wait inside a tokio runtime"), "{err}");
        devices.remove_all();
    });
}

#[cfg(feature = "smol")]
#[test]
fn async_scripts_await_state_changes_on_smol() {
    let yaml = "DEVICES:\n  LOCAL:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_DESC: \
                {io_type: terminal, variant: smol}\n";
    let devices = Devices::from_yaml(yaml).unwrap();
    smol::block_on(async {
        let local = devices.get_async("LOCAL").await.unwrap();
        assert_eq!(local.connection().unwrap().runner(), RunnerKind::Smol);
        let pwd = local.start(Pwd::new()).unwrap().await.unwrap();
        assert!(pwd.full_path.starts_with('/'));
        local.goto_state_bg("NOT_CONNECTED").await.unwrap();
        local.goto_state_bg("UNIX_LOCAL").await.unwrap();
        assert!(local.start(Pwd::new()).unwrap().await.is_ok());
    });
    devices.remove_all();
}

#[test]
fn a_background_state_change_can_be_waited_on() {
    let devices = local_devices();
    let local = devices.get("LOCAL").unwrap();
    let change = local.goto_state_bg("NOT_CONNECTED");
    change.wait(WAIT).unwrap();
    assert_eq!(local.state(), "NOT_CONNECTED");
    let bad = local.goto_state_bg("UNIX_REMOTE");
    assert!(bad.is_done(), "an unknown state fails at once");
    assert!(matches!(bad.wait(WAIT), Err(DeviceError::UnknownState { .. })));
    local.goto_state_bg("UNIX_LOCAL").wait(WAIT).unwrap();
    assert!(local.run(Pwd::new()).is_ok());
    devices.remove_all();
}

/// Typed calls take a timeout (`run_for`, `start_for`) over the command's default, and a ping's
/// default follows its `-c`: a real short one runs to its end in the background.
#[test]
fn typed_commands_take_a_timeout_and_a_ping_gets_one_from_its_count() {
    if !moler_testkit::require_tools(&["ping"]) {
        return;
    }
    let devices = local_devices();
    let local = devices.get("LOCAL").unwrap();
    let _failures = moler::testing::BackgroundFailures::new();
    let quick = Ping::new("127.0.0.1").options("-c 3 -i 0.2");
    let stats = local.start(quick).unwrap().wait(WAIT).unwrap();
    assert_eq!((stats.packets_transmitted, stats.packets_received), (3, 3));
    let stats = local.run_for(Ping::new("127.0.0.1").options("-c 2 -i 0.2"), WAIT).unwrap();
    assert_eq!(stats.packets_transmitted, 2);

    // 100 s of ping, cut at 1.5 s: a timeout naming it, and the shell works on.
    let long = || Ping::new("127.0.0.1").options("-c 100 -i 1");
    let started = std::time::Instant::now();
    let err = local.run_for(long(), Duration::from_millis(1500)).unwrap_err();
    assert!(matches!(err, DeviceError::Observer(Error::Timeout { .. })), "{err}");
    assert!(err.to_string().contains("ping 127.0.0.1 -c 100 -i 1"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    let background = local.start_for(long(), Duration::from_millis(1500)).unwrap();
    let err = background.wait(WAIT).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "timed out by itself: {err}");
    assert!(local.run(Pwd::new()).unwrap().full_path.starts_with('/'));
    devices.remove_all();
}

/// A hop left with Moler's placeholder prompt (the class defaults' `local_root_prompt`, which
/// no shell shows) could only time out after typing `su`: it fails at once, says what to
/// give, and sends nothing (the shell is as it was). Also where the config gives the hop
/// other parameters (its password) but not its prompt.
#[test]
fn a_hop_left_with_the_class_placeholder_prompt_fails_at_once_and_sends_nothing() {
    let with_password = "DEVICES:
  LOCAL:
    DEVICE_CLASS: UnixLocal
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_LOCAL_ROOT:
          command_params:
            password: secret
";
    for devices in [local_devices(), Devices::from_yaml(with_password).unwrap()] {
        placeholder_hop_is_refused(devices);
    }
}

fn placeholder_hop_is_refused(devices: Devices) {
    let local = devices.get("LOCAL").unwrap();
    let before = shell_pid(&local);
    let started = std::time::Instant::now();
    let err = local.goto_state("UNIX_LOCAL_ROOT").unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(
        err,
        "device LOCAL: cannot go from UNIX_LOCAL to UNIX_LOCAL_ROOT: hop UNIX_LOCAL -> \
         UNIX_LOCAL_ROOT (su) failed: its expected_prompt is `local_root_prompt`, the placeholder \
         of the class's defaults (Moler's), which no shell shows: give the prompt of \
         UNIX_LOCAL_ROOT (and what else the hop needs, such as the password) in the device's \
         CONNECTION_HOPS; nothing was sent"
    );
    assert_eq!(local.state(), "UNIX_LOCAL");
    assert_eq!(shell_pid(&local), before, "the same shell: no su was typed");
    devices.remove_all();
}
