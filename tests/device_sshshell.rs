//! Moler's `*2`/`*3` classes over an `sshshell` connection (libssh2, no local shell), against
//! the test sshd: the device opens straight into the remote state, with no UNIX_LOCAL states,
//! and the remote shell's prompt detected from what it echoes (`echo DETECTING PROMPT`, as
//! Moler's ProxyPc2 does); every ordered pair of its states walked on every runner, each state
//! proved by what the shell answers. On a terminal the same class has its local states.
#![cfg(all(feature = "ssh", feature = "tokio", feature = "smol"))]

use std::time::Duration;

use moler::prelude::*;
use moler_testkit::sshd::Sshd;
use serde_json::json;

const T: Duration = Duration::from_secs(60);

fn sshshell(sshd: &Sshd, variant: &str) -> String {
    sshd.sshshell_yaml(&format!("variant: {variant}"))
}

/// A UnixRemote2 over `sshshell` (`variant`) whose hop to root has these `command_params`
/// lines (indented under it).
fn remote2_yaml(sshd: &Sshd, variant: &str, root_params: &str) -> String {
    format!(
        "DEVICES:
  REMOTE:
    DEVICE_CLASS: moler.device.unixremote2.UnixRemote2
    CONNECTION_DESC: {conn}
    CONNECTION_HOPS:
      UNIX_REMOTE:
        UNIX_REMOTE_ROOT:
{root_params}",
        conn = sshshell(sshd, variant)
    )
}

fn whoami(device: &Device) -> String {
    device.cmd("whoami", json!({})).unwrap().run_within(T).unwrap()["USER"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn unix_remote2_over_sshshell_opens_into_the_remote_with_its_prompt_detected() {
    let Some(sshd) = Sshd::require() else { return };
    let user = sshd.user().name.clone();
    let password = sshd.user().password.replace('\'', "''");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        let root = format!(
            "          execute_command: sudo
          command_params:
            password: '{password}'
            sudo_params: -s
            expected_prompt: '^moler_remote_root# '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='moler_remote_root# '\"
"
        );
        let yaml = remote2_yaml(&sshd, variant, &root);
        let loader = moler::config::Loader::new()
            .runner(moler::TokioRunner::with_handle(runtime.handle().clone()));
        let config = loader.from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let devices = Devices::from_config(config).unwrap_or_else(|e| panic!("{e}"));
        let remote = devices.get("REMOTE").unwrap();
        assert_eq!(remote.states(), ["NOT_CONNECTED", "UNIX_REMOTE", "UNIX_REMOTE_ROOT"]);
        assert_eq!(remote.connected_state(), "UNIX_REMOTE");
        assert_eq!(remote.state(), "UNIX_REMOTE", "{variant}");
        // The remote bash's own prompt (`user@host:~$`), detected and escaped.
        let prompt = remote.prompt().unwrap().to_owned();
        assert!(prompt.starts_with('^') && prompt.contains(&user), "{variant}: {prompt:?}");
        assert_eq!(whoami(&remote), user);
        let err = remote.goto_state("UNIX_LOCAL").unwrap_err().to_string();
        assert!(err.contains("no state UNIX_LOCAL"), "{err}");
        let states: Vec<&str> = remote.states().to_vec();
        for target in moler_testkit::every_ordered_pair(&states) {
            remote.goto_state(target).unwrap_or_else(|e| panic!("{variant}: to {target}: {e}"));
            assert_eq!(remote.state(), target);
            match target {
                "UNIX_REMOTE" => {
                    assert_eq!(whoami(&remote), user);
                    assert_eq!(remote.prompt(), Some(prompt.as_str()), "detected again");
                }
                "UNIX_REMOTE_ROOT" => assert_eq!(whoami(&remote), "root"),
                _ => {}
            }
        }
        devices.remove_all();
    }
}

#[test]
fn proxy_pc2_over_sshshell_opens_into_the_proxy_and_on_a_terminal_into_the_local_shell() {
    let Some(sshd) = Sshd::require() else { return };
    let user = sshd.user().name.clone();
    let yaml = format!(
        "DEVICES:
  PROXY:
    DEVICE_CLASS: moler.device.proxy_pc2.ProxyPc2
    CONNECTION_DESC: {conn}
  LOCAL_PROXY:
    DEVICE_CLASS: moler.device.proxy_pc2.ProxyPc2
    CONNECTION_DESC: {{io_type: terminal}}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        PROXY_PC:
          execute_command: ssh
          command_params: {{host: 127.0.0.1, login: x, password: y, expected_prompt: 'x\\$'}}
",
        conn = sshshell(&sshd, "threaded")
    );
    let devices = Devices::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let proxy = devices.get("PROXY").unwrap();
    assert_eq!(proxy.states(), ["NOT_CONNECTED", "PROXY_PC"]);
    assert_eq!(proxy.state(), "PROXY_PC");
    assert_eq!(whoami(&proxy), user);
    proxy.goto_state("NOT_CONNECTED").unwrap();
    proxy.goto_state("PROXY_PC").unwrap();
    assert_eq!(whoami(&proxy), user);
    let local = devices.get("LOCAL_PROXY").unwrap();
    assert_eq!(local.states(), ["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT", "PROXY_PC"]);
    assert_eq!(local.state(), "UNIX_LOCAL");
    devices.remove_all();
}

#[test]
fn a_local_state_named_on_an_sshshell_connection_is_an_error_at_load() {
    let yaml = "DEVICES:
  REMOTE:
    DEVICE_CLASS: UnixRemote2
    CONNECTION_DESC: {io_type: sshshell, host: 127.0.0.1, login: a, password: b}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE: {command_params: {host: h, login: l, password: p, expected_prompt: x}}
";
    let err = Devices::from_yaml(yaml).unwrap_err().to_string();
    assert!(
        err.contains(
            "<yaml string>:6:7: device REMOTE: UnixRemote2 on io_type sshshell has no state UNIX_LOCAL: \
             it opens straight into UNIX_REMOTE"
        ),
        "{err}"
    );
}

#[test]
fn a_connection_of_the_other_kind_is_refused_by_exchange_connection() {
    let devices = Devices::from_yaml(
        "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote2\n    INITIAL_STATE: UNIX_LOCAL\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
         UNIX_REMOTE: {command_params: {host: h, login: l, password: p, expected_prompt: x}}\n",
    )
    .unwrap();
    let r = devices.get("R").unwrap();
    assert_eq!(r.state(), "UNIX_LOCAL");
    let spec = moler::config::ConnectionSpec::new("sshshell").param("host", "127.0.0.1");
    let err = r.exchange_connection(spec).unwrap_err().to_string();
    assert!(
        err.contains("class UnixRemote2 has other states on io_type sshshell than on terminal"),
        "{err}"
    );
    assert_eq!(r.state(), "UNIX_LOCAL", "the old connection is kept");
    assert!(r.run(moler::commands::unix::Pwd::new()).is_ok());
    // The same kind is taken.
    r.exchange_connection(moler::config::ConnectionSpec::new("terminal")).unwrap();
    assert_eq!(r.state(), "UNIX_LOCAL");
    devices.remove_all();
}

/// The detected prompt stands in only for the state it was detected in: a hop into another
/// state whose config gives no prompt (only the password) keeps the class's placeholder and
/// is refused before anything is typed, not sent off to wait for the detected user prompt.
#[test]
fn the_detected_prompt_is_only_the_detected_states() {
    let Some(sshd) = Sshd::require() else { return };
    let user = sshd.user().name.clone();
    let password = sshd.user().password.replace('\'', "''");
    let root = format!("          command_params:\n            password: '{password}'\n");
    let yaml = remote2_yaml(&sshd, "threaded", &root);
    let devices = Devices::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let remote = devices.get("REMOTE").unwrap();
    let err = remote.goto_state("UNIX_REMOTE_ROOT").unwrap_err().to_string();
    assert!(err.contains("the placeholder of the class's defaults"), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(remote.state(), "UNIX_REMOTE");
    assert_eq!(whoami(&remote), user, "still the user's shell");
    devices.remove_all();
}
