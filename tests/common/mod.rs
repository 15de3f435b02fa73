//! What the end-to-end tests share: a runner with its runtime (`moler_testkit::Rig`; its macro
//! `moler_testkit::on_every_runner!` turns one scenario into a test on every runner), and the
//! counts of what a process holds (threads, descriptors, child processes) for the tests of what
//! dropping leaves behind.
#![allow(dead_code)]

/// A runner with its runtime (moler-testkit's, with the `on_every_runner!` macro that gives each
/// scenario one). Not every test crate that shares this module runs scenarios.
#[allow(unused_imports)]
pub use moler_testkit::Rig;

/// This process's threads.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// This process's open file descriptors.
pub fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// What each open descriptor is, for failure messages.
pub fn fd_list() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            Some(format!("{}->{}", e.file_name().to_string_lossy(), target.display()))
        })
        .collect();
    v.sort();
    v
}

/// Processes whose parent is this one (the shells).
pub fn children() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
            let rest = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
            rest.split_whitespace().nth(1) == Some(me.as_str())
        })
        .count()
}

/// A shell script that waits until `go` exists, runs `then`, and creates `done`: a background
/// job that prints when the test says so (after the command that started it returned, never
/// glued to that command's prompt) and says when it has printed, with no fixed delay.
pub fn once_file_exists(go: &std::path::Path, then: &str, done: &std::path::Path) -> String {
    format!(
        "while [ ! -e {} ]; do sleep 0.02; done; {then}; touch {}",
        go.display(),
        done.display()
    )
}

/// Polls `f` until it holds; counts settle within milliseconds, the 20 s deadline is for busy
/// machines.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: threads {}, children {}, fds {} {:?}",
            threads(),
            children(),
            fds(),
            fd_list()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `s` as a single-quoted YAML scalar.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One UnixRemote device named `name` (a `DEVICES` entry) logging in to `sshd` with
/// `password`: ssh to UNIX_REMOTE, sudo -s to UNIX_REMOTE_ROOT, su to UNIX_LOCAL_ROOT, each
/// setting a prompt of its own. `host_keys`: ssh's `StrictHostKeyChecking` (`ask` answers the
/// host-key question in the dialog).
pub fn remote_device_yaml(
    name: &str,
    sshd: &moler_testkit::sshd::Sshd,
    known_hosts: &std::path::Path,
    password: &str,
    host_keys: &str,
) -> String {
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking={host_keys} -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1",
        known_hosts.display()
    );
    format!(
        r#"
  {name}:
    DEVICE_CLASS: moler.device.unixremote.UnixRemote
    INITIAL_STATE: UNIX_LOCAL
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            port: {port}
            login: {user}
            password: {password}
            expected_prompt: '^moler_remote\$ '
            prompt_after_login: '[$#>]\s*$'
            set_prompt: "export PS1='moler_remote$ '"
            options: {options}
        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params:
            expected_prompt: '^moler_local_root# '
            prompt_after_login: '[$#>]\s*$'
            set_prompt: "export PS1='moler_local_root# '"
      UNIX_REMOTE:
        UNIX_REMOTE_ROOT:
          execute_command: sudo
          command_params:
            password: {password}
            sudo_params: -s
            expected_prompt: '^moler_remote_root# '
            prompt_after_login: '[$#>]\s*$'
            set_prompt: "export PS1='moler_remote_root# '"
"#,
        port = sshd.port(),
        user = sshd.user().name,
        password = quote(password),
        options = quote(&options),
    )
}
