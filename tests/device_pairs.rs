//! Every ordered pair of states of Moler's unix device classes (`UnixLocal`, `ProxyPc`,
//! `UnixRemote` with and without a proxy), walked on every runner: the local shell is a real
//! bash in a pty, the proxy and the remote are the test sshd's user (OpenSSH, a real bash), the
//! remote reached from the proxy by a second ssh. After each move, a command that ends only on
//! the state's own prompt (each state sets one) proves where the device is.

use std::path::Path;

use moler::prelude::*;
use moler_testkit::is_root;
use moler_testkit::sshd::Sshd;

mod common;
use common::quote;

/// The hops every device here has: su to UNIX_LOCAL_ROOT (root asks no password).
const LOCAL_ROOT: &str = "        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params:
            expected_prompt: '^moler_local_root# '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='moler_local_root# '\"
";

/// An ssh hop to the test sshd's user, with a prompt of its own.
fn ssh_hop(sshd: &Sshd, to: &str, prompt: &str, known_hosts: &str) -> String {
    let options = format!(
        "-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=no -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1"
    );
    format!(
        "        {to}:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            port: {port}
            login: {user}
            password: {password}
            expected_prompt: '^{prompt}\\$ '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='{prompt}$ '\"
            options: {options}
",
        port = sshd.port(),
        user = sshd.user().name,
        password = quote(&sshd.user().password),
        options = quote(&options),
    )
}

fn remote_root(sshd: &Sshd) -> String {
    format!(
        "      UNIX_REMOTE:
        UNIX_REMOTE_ROOT:
          execute_command: sudo
          command_params:
            password: {password}
            sudo_params: -s
            expected_prompt: '^moler_remote_root# '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='moler_remote_root# '\"
",
        password = quote(&sshd.user().password)
    )
}

/// Who each state's shell runs as.
fn user_of(state: &str, sshd: &Sshd) -> String {
    match state {
        "UNIX_LOCAL" | "UNIX_LOCAL_ROOT" | "UNIX_REMOTE_ROOT" => "root".into(),
        _ => sshd.user().name.clone(),
    }
}

fn walk_every_pair(device: &Device, sshd: &Sshd, what: &str) {
    let states: Vec<&str> = device.states().to_vec();
    for target in moler_testkit::every_ordered_pair(&states) {
        device.goto_state(target).unwrap_or_else(|e| panic!("{what}: to {target}: {e}"));
        assert_eq!(device.state(), target, "{what}");
        if target == "NOT_CONNECTED" {
            continue;
        }
        let prompt = device.prompt().unwrap().to_owned();
        let out = device.observe(Command::lines("whoami", &prompt)).unwrap().run().unwrap();
        assert_eq!(out, [user_of(target, sshd)], "{what}: in {target}");
    }
}

#[test]
fn every_pair_of_states_of_the_unix_classes_on_every_runner() {
    let Some(sshd) = Sshd::require() else { return };
    if !is_root() {
        moler_testkit::skip(
            "the unix classes' state pairs",
            "UNIX_LOCAL_ROOT through su needs root",
        );
        return;
    }
    if !Path::new("/usr/bin/sudo").exists() {
        moler_testkit::skip(
            "the unix classes' state pairs",
            "no sudo (scripts/setup-sshd.sh installs it)",
        );
        return;
    }
    // The inner ssh runs as the test user: its known hosts are its own business.
    let nowhere = "/dev/null";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        let desc = format!("    CONNECTION_DESC: {{io_type: terminal, variant: {variant}}}\n");
        let yaml = format!(
            "DEVICES:
  LOCAL:
    DEVICE_CLASS: UnixLocal
{desc}    CONNECTION_HOPS:
      UNIX_LOCAL:
{LOCAL_ROOT}  PROXY:
    DEVICE_CLASS: ProxyPc
{desc}    CONNECTION_HOPS:
      UNIX_LOCAL:
{LOCAL_ROOT}{proxy}  REMOTE:
    DEVICE_CLASS: UnixRemote
{desc}    CONNECTION_HOPS:
      UNIX_LOCAL:
{LOCAL_ROOT}{remote}{remote_root}  VIA_PROXY:
    DEVICE_CLASS: UnixRemote
{desc}    CONNECTION_HOPS:
      UNIX_LOCAL:
{LOCAL_ROOT}{proxy}      PROXY_PC:
{inner}{remote_root}",
            proxy = ssh_hop(&sshd, "PROXY_PC", "moler_proxy", nowhere),
            remote = ssh_hop(&sshd, "UNIX_REMOTE", "moler_remote", nowhere),
            inner = ssh_hop(&sshd, "UNIX_REMOTE", "moler_remote", nowhere),
            remote_root = remote_root(&sshd),
        );
        let loader = moler::config::Loader::new()
            .runner(moler::TokioRunner::with_handle(runtime.handle().clone()));
        let config = loader.from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let devices = Devices::from_config(config).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        for (name, states) in [
            ("LOCAL", &["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT"][..]),
            ("PROXY", &["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT", "PROXY_PC"]),
            (
                "REMOTE",
                &[
                    "NOT_CONNECTED",
                    "UNIX_LOCAL",
                    "UNIX_LOCAL_ROOT",
                    "UNIX_REMOTE",
                    "UNIX_REMOTE_ROOT",
                ],
            ),
            (
                "VIA_PROXY",
                &[
                    "NOT_CONNECTED",
                    "UNIX_LOCAL",
                    "UNIX_LOCAL_ROOT",
                    "PROXY_PC",
                    "UNIX_REMOTE",
                    "UNIX_REMOTE_ROOT",
                ],
            ),
        ] {
            let device = devices.get(name).unwrap_or_else(|e| panic!("{variant} {name}: {e}"));
            assert_eq!(device.states(), states, "{name}");
            walk_every_pair(&device, &sshd, &format!("{variant} {name}"));
        }
        devices.remove_all();
    }
}
