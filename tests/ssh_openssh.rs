//! `sshshell` through the OpenSSH client in a pseudo-terminal (`client: openssh`, and what a
//! build without libssh2 gets by itself), against the test sshd: a shell logged in by the
//! transport, commands, a refused password named without the secret, a refused host key, a
//! *2 device opening on the remote with its prompt detected.

use std::time::Duration;

use moler::prelude::*;
use moler_testkit::sshd::Sshd;

const WAIT: Duration = Duration::from_secs(30);

/// A named sshshell connection to the test sshd, with `extra` keys.
fn yaml(sshd: &Sshd, name: &str, extra: &str) -> String {
    format!("NAMED_CONNECTIONS:\n  {name}: {}\n", sshd.sshshell_yaml(extra))
}

#[test]
fn the_openssh_client_logs_in_and_runs_commands() {
    let Some(sshd) = Sshd::require() else { return };
    let user = sshd.user();
    let config = moler::config::Config::from_yaml(&yaml(
        &sshd,
        "remote",
        "client: openssh, moler_prompt: true",
    ))
    .unwrap();
    let choice = config.transport_choice(&config.connections[0].spec);
    assert!(choice.starts_with("sshshell: client: openssh ("), "{choice}");
    let remote = config.open("remote").unwrap();
    assert_eq!(remote.transport(), format!("openssh:{}@127.0.0.1:{}", user.name, sshd.port()));
    let who = remote.run(Command::lines("whoami", moler::SSH_PROMPT), WAIT).unwrap();
    assert_eq!(who, [user.name.as_str()]);
    let many = remote.run(Command::lines("seq 1 2000", moler::SSH_PROMPT), WAIT).unwrap();
    assert_eq!(many.len(), 2000);
    assert_eq!(many[1999], "2000");
    // Closing ends the client, and the remote session with it (the test sshd is on this
    // machine: its shell is a process here).
    let shell = remote.run(Command::lines("echo $$", moler::SSH_PROMPT), WAIT).unwrap().remove(0);
    let alive = std::path::PathBuf::from(format!("/proc/{shell}"));
    assert!(alive.exists(), "{shell}");
    remote.close();
    let deadline = std::time::Instant::now() + WAIT;
    while alive.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the remote shell {shell} outlived the close"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_wrong_password_or_host_key_is_named_without_the_secret() {
    let Some(sshd) = Sshd::require() else { return };
    // The test user's connection with another password (a key given twice is an error at
    // load, so the mapping is written out here).
    let user = sshd.user();
    let wrong = format!(
        "NAMED_CONNECTIONS:\n  wrong: {{io_type: sshshell, client: openssh, host: 127.0.0.1, port: {}, \
         login: {}, password: not-the-password, known_hosts: {}/known_hosts}}\n",
        sshd.port(),
        user.name,
        sshd.dir().display()
    );
    let config = moler::config::Config::from_yaml(&wrong).unwrap();
    let err = config.open("wrong").unwrap_err();
    let text = moler::Report(&err).to_string();
    assert!(text.contains("(OpenSSH client): log in"), "{text}");
    assert!(text.contains("password"), "{text}");
    assert!(!text.contains("not-the-password"), "no secret: {text}");

    // A known-hosts file that holds another key for the server: refused, named.
    let dir = std::env::temp_dir().join(format!("moler-openssh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let known = dir.join("known_hosts");
    std::fs::write(
        &known,
        format!(
            "[127.0.0.1]:{} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMOLERmolerMOLERmolerMOLERmolerMOLERmolerMOLE\n",
            sshd.port()
        ),
    )
    .unwrap();
    let yaml = format!(
        "NAMED_CONNECTIONS:\n  changed: {{io_type: sshshell, client: openssh, host: 127.0.0.1, port: {}, \
         login: {}, password: '{}', known_hosts: {}, host_key_policy: strict}}\n",
        sshd.port(),
        user.name,
        user.password.replace('\'', "''"),
        known.display()
    );
    let config = moler::config::Config::from_yaml(&yaml).unwrap();
    let err = config.open("changed").unwrap_err();
    let text = moler::Report(&err).to_string();
    assert!(
        text.contains("Host key verification failed")
            || text.contains("IDENTIFICATION HAS CHANGED"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A connection with no password (and no key: this machine's root has none) to a server that
/// asks for one: the opening fails saying so, at OpenSSH's first question.
#[test]
fn a_password_asked_for_and_not_given_is_named() {
    let Some(sshd) = Sshd::require() else { return };
    let yaml = format!(
        "NAMED_CONNECTIONS:\n  nopass: {{io_type: sshshell, client: openssh, host: 127.0.0.1, port: {}, \
         login: {}, known_hosts: {}/known_hosts}}\n",
        sshd.port(),
        sshd.user().name,
        sshd.dir().display()
    );
    let config = moler::config::Config::from_yaml(&yaml).unwrap();
    let err = config.open("nopass").unwrap_err();
    let text = moler::Report(&err).to_string();
    assert!(text.contains("OpenSSH asks for a password; none was given"), "{text}");
}

#[test]
fn an_unknown_client_is_an_error_at_load_naming_the_choices() {
    let err = moler::config::Config::from_yaml(
        "NAMED_CONNECTIONS:\n  r: {io_type: sshshell, host: h, client: putty}\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("client \"putty\" must be libssh2 or openssh"), "{err}");
}

/// A build without libssh2 takes the OpenSSH client by itself, and says so.
#[cfg(not(feature = "ssh"))]
#[test]
fn without_libssh2_sshshell_is_the_openssh_client() {
    let Some(sshd) = Sshd::require() else { return };
    let user = sshd.user();
    let config =
        moler::config::Config::from_yaml(&yaml(&sshd, "remote", "moler_prompt: true")).unwrap();
    let choice = config.transport_choice(&config.connections[0].spec);
    assert!(choice.contains("in a pty: this build has no libssh2"), "{choice}");
    let remote = config.open("remote").unwrap();
    let who = remote.run(Command::lines("whoami", moler::SSH_PROMPT), WAIT).unwrap();
    assert_eq!(who, [user.name.as_str()]);
    let err = moler::config::Config::from_yaml(
        "NAMED_CONNECTIONS:\n  r: {io_type: sshshell, host: h, client: libssh2}\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("left out"), "{err}");
}

#[test]
fn a_unix_remote2_over_the_openssh_client_detects_its_prompt() {
    let Some(sshd) = Sshd::require() else { return };
    let user = sshd.user();
    let yaml = format!(
        "DEVICES:\n  REMOTE:\n    DEVICE_CLASS: UnixRemote2\n    CONNECTION_DESC: {}\n",
        sshd.sshshell_yaml("client: openssh")
    );
    let devices = Devices::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let remote = devices.get("REMOTE").unwrap();
    assert_eq!(remote.state(), "UNIX_REMOTE");
    let prompt = remote.prompt().unwrap().to_owned();
    assert!(prompt.contains(&user.name), "{prompt}");
    let who = remote.run(moler::commands::unix::Whoami::new()).unwrap();
    assert_eq!(who.user, user.name);
    devices.remove_all();
}
