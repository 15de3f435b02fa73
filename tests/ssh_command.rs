//! The `ssh` and `su` commands of the library run by a real bash against the test sshd on
//! 127.0.0.1: the host-key question, the password dialog, the settings after login, a wrong
//! password (a clear failure, and the local shell still usable), and `su -c` embedding a command.

use std::time::Duration;

use moler::commands::unix::*;
use moler::commands::{Registry, UnixCommand};
use moler::prelude::*;
use moler_testkit::sshd::Sshd;
use serde_json::json;

const T: Duration = Duration::from_secs(60);
const REMOTE: &str = r"^moler_remote\$ $";

/// ssh from the local shell to the test sshd, with a known-hosts file of its own (so the
/// host-key question comes) and passwords only.
fn ssh_to(sshd: &Sshd, known_hosts: &std::path::Path, password: &str) -> Ssh {
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=ask -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1",
        known_hosts.display()
    );
    Ssh::new("127.0.0.1", &sshd.user().name, password, REMOTE)
        .with("port", sshd.port())
        .and_then(|s| s.with("options", options))
        .and_then(|s| s.with("prompt_after_login", r"[$#>]\s*$"))
        .and_then(|s| s.with("set_prompt", r#"export PS1='moler_remote$ '"#))
        .unwrap()
}

#[test]
fn ssh_logs_in_answers_the_dialogs_and_comes_back() {
    let Some(sshd) = Sshd::require() else { return };
    let dir = std::env::temp_dir().join(format!("moler-ssh-cmd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let known_hosts = dir.join("known_hosts");
    let sh = local_shell().unwrap();

    let login = sh.run(
        ssh_to(&sshd, &known_hosts, &sshd.user().password).command_with_prompt(LOCAL_PROMPT),
        T,
    );
    let login = login.unwrap_or_else(|e| panic!("ssh: {e}\nsshd log:\n{}", sshd.log()));
    assert!(
        login.lines.iter().any(|l| l.contains("yes/no")),
        "the host-key question was answered: {login:?}"
    );
    // Recorded (maybe hashed, as Debian's ssh does): the second login below asks nothing.
    assert!(!std::fs::read_to_string(&known_hosts).unwrap().trim().is_empty(), "and recorded");
    let home = sh.run(Pwd::new().command_with_prompt(REMOTE), T).unwrap();
    assert_eq!(home.full_path, sshd.user().home.to_str().unwrap(), "we are the test user there");
    let who = Registry::default().command_for_prompt("whoami", &json!({}), Some(REMOTE)).unwrap();
    assert_eq!(sh.run(who, T).unwrap()["USER"], sshd.user().name.as_str());
    sh.run(Exit::new(LOCAL_PROMPT).command(), T).unwrap();

    // Known now: no question the second time; then a wrong password.
    let again = sh.run(
        ssh_to(&sshd, &known_hosts, &sshd.user().password).command_with_prompt(LOCAL_PROMPT),
        T,
    );
    assert!(!again.unwrap().lines.iter().any(|l| l.contains("yes/no")));
    sh.run(Exit::new(LOCAL_PROMPT).command(), T).unwrap();
    let wrong = sh
        .run(ssh_to(&sshd, &known_hosts, "not-the-password").command_with_prompt(LOCAL_PROMPT), T);
    let err = wrong.unwrap_err().to_string();
    assert!(err.contains("Permission denied"), "{err}");
    assert!(!err.contains("not-the-password"), "no secret in the message: {err}");
    let echo = sh.run(Echo::new().text("still here").command_with_prompt(LOCAL_PROMPT), T).unwrap();
    assert_eq!(echo.result, ["still here"], "the local shell is usable after the refusal");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn su_runs_an_embedded_command_as_another_user() {
    let Some(sshd) = Sshd::require() else { return };
    if !moler_testkit::is_root() {
        moler_testkit::skip("su", "needs root (su without a password)");
        return;
    }
    let user = &sshd.user().name;
    let sh = local_shell().unwrap();
    let su = Registry::default().command_for_prompt(
        "su",
        &json!({"login": user, "cmd_class_name": "moler.cmd.unix.whoami.Whoami"}),
        Some(LOCAL_PROMPT),
    );
    assert_eq!(sh.run(su.unwrap(), T).unwrap(), json!({"USER": user}));
    let typed = Sudo::new().wrap(&Whoami::new(), Some(LOCAL_PROMPT));
    assert_eq!(typed.command(), "sudo whoami");
    let line =
        Su { login: Some(user.clone()), cmd_class_name: Some("pwd".into()), ..Default::default() };
    assert_eq!(line.command_line().unwrap(), format!("su -c 'pwd' {user}"));
}
