//! A device's state is verified, never assumed (issue 18), end to end on a real bash in a pty
//! and the real test sshd, on every runner.
//!
//! Every failed hop here must fail fast (long before the 90 s login timeout), name the hop,
//! quote what the client printed, send nothing meant for the target shell to the shell it
//! started from, and leave the device where it really is: proven with a marker variable that
//! only that shell has.

#![cfg(all(feature = "tokio", feature = "smol"))]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::commands::unix::{Pwd, Whoami};
use moler::config::Loader;
use moler::prelude::*;
use moler_testkit::on_every_runner;
use moler_testkit::sshd::Sshd;
use moler_testkit::RefusedPort;

mod common;

use common::Rig;

const T: Duration = Duration::from_secs(60);
/// A failed hop must be reported within this, where it used to take the 90 s login timeout.
/// Generous for a busy 2-core machine; the measured times are printed.
const FAST: Duration = Duration::from_secs(15);

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moler-safety-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Devices from `devices_yaml` whose terminals run on `rig`'s runner.
fn devices_on(rig: &Rig, devices_yaml: &str) -> Devices {
    let yaml = format!(
        "DEVICES:\n  DEFAULT_CONNECTION:\n    CONNECTION_DESC: {{io_type: terminal, variant: {}}}\n{devices_yaml}",
        rig.runner.kind().name()
    );
    let config = Loader::new().runner(rig.runner.clone()).from_yaml(&yaml).unwrap();
    Devices::from_config(config).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// Runs `line` in the device's current state and returns its output lines.
fn sh(device: &Device, line: &str) -> Vec<String> {
    let prompt = device.prompt().unwrap().to_owned();
    device.observe(Command::lines(line, &prompt).ret_required(false)).unwrap().run().unwrap()
}

/// Marks the shell the device is in now with a variable only that shell has.
fn mark(device: &Device, value: &str) {
    sh(device, &format!("export MOLER_MARK={value}"));
}

/// The device's shell is still the one marked `value`, and (`local`) nothing meant for another
/// shell reached it: no `TMOUT` from a hop's settings.
fn assert_marked(device: &Device, value: &str, local: bool) {
    let out = sh(device, "echo \"mark=$MOLER_MARK tmout=[$TMOUT]\"");
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].starts_with(&format!("mark={value} ")), "{out:?}");
    if local {
        assert!(out[0].ends_with("tmout=[]"), "a hop's settings reached this shell: {out:?}");
    }
}

/// The README's example device (examples/my_devices.yml, RemoteBox) aimed at `host:port`, with
/// the test user and ssh options that keep the test hermetic. `extra` adds ssh options.
fn readme_remote(
    sshd: &Sshd,
    host: &str,
    port: u16,
    password: &str,
    known_hosts: &Path,
    extra: &str,
) -> String {
    let example = std::fs::read_to_string("examples/my_devices.yml").unwrap();
    let start = example.find("  RemoteBox:").expect("the README's example has RemoteBox");
    let mut remote = example[start..].to_owned();
    // The README's device starts on the remote; these tests start it at home, marked.
    let class = "DEVICE_CLASS: moler.device.unixremote.UnixRemote\n";
    assert!(remote.contains(class), "examples/my_devices.yml changed");
    remote = remote.replacen(class, &format!("{class}    INITIAL_STATE: UNIX_LOCAL\n"), 1);
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=accept-new -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1 {extra}",
        known_hosts.display()
    );
    for (from, to) in [
        (
            "host: localhost\n".to_owned(),
            format!(
                "host: {host}\n            port: {port}\n            options: {}\n",
                quote(&options)
            ),
        ),
        ("login: tester\n".to_owned(), format!("login: {}\n", sshd.user().name)),
        ("password: change-me\n".to_owned(), format!("password: {}\n", quote(password))),
    ] {
        assert!(remote.contains(&from), "examples/my_devices.yml changed: {from:?} not found");
        remote = remote.replacen(&from, &to, 1);
    }
    remote
}

/// The same device with generic prompts, as users write them: `prompt_after_login` and
/// `expected_prompt` that the local prompt `moler_bash# ` matches or nearly matches.
fn generic_remote(readme: &str) -> String {
    let generic = readme
        .replace(r"expected_prompt: '^moler_remote\$ '", r"expected_prompt: '\$\s*$'")
        .replace("RemoteBox:", "GenericBox:");
    assert_ne!(generic, readme.replace("RemoteBox:", "GenericBox:"), "expected_prompt replaced");
    generic
}

/// A hop from the local shell that must fail: how, and what the error must quote.
struct Refusal {
    what: &'static str,
    host: &'static str,
    port: u16,
    password: String,
    options: &'static str,
    quotes: &'static [&'static str],
}

fn refusals(sshd: &Sshd, refused_port: u16, stalled_port: u16) -> Vec<Refusal> {
    vec![
        Refusal {
            what: "refused port",
            host: "127.0.0.1",
            port: refused_port,
            password: "x".into(),
            options: "",
            quotes: &["Connection refused"],
        },
        Refusal {
            what: "unknown host",
            host: "nosuchhost.invalid",
            port: 22,
            password: "x".into(),
            options: "",
            quotes: &["Could not resolve hostname"],
        },
        Refusal {
            what: "ConnectTimeout",
            host: "127.0.0.1",
            port: stalled_port,
            password: "x".into(),
            options: "-o ConnectTimeout=1",
            quotes: &["timed out"],
        },
        Refusal {
            what: "wrong password",
            host: "127.0.0.1",
            port: sshd.port(),
            password: "not-the-password".into(),
            options: "",
            quotes: &["Permission denied"],
        },
    ]
}

/// Every refused ssh hop, with the README's config and with generic prompts, on `rig`.
fn failed_ssh_hops_leave_the_device_local(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let dir = scratch(&format!("ssh-{}", rig.runner.kind()));
    let known_hosts = dir.join("known_hosts");
    // A server that takes the connection and never says a word: ssh's ConnectTimeout.
    let stall = TcpListener::bind("127.0.0.1:0").unwrap();
    let stalled_port = stall.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let staller = std::thread::spawn({
        let stop = Arc::clone(&stop);
        move || {
            let mut held = Vec::new();
            for s in stall.incoming() {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                held.push(s);
            }
        }
    });
    let refused = RefusedPort::new();
    for case in refusals(&sshd, refused.port(), stalled_port) {
        let readme =
            readme_remote(&sshd, case.host, case.port, &case.password, &known_hosts, case.options);
        for (config, yaml) in [("README", readme.clone()), ("generic", generic_remote(&readme))] {
            let devices = devices_on(rig, &yaml);
            let name = if config == "README" { "RemoteBox" } else { "GenericBox" };
            let device = devices.get(name).unwrap();
            assert_eq!(device.state(), "UNIX_LOCAL");
            mark(&device, "local-shell");
            let started = Instant::now();
            let err = device.goto_state("UNIX_REMOTE").unwrap_err();
            let took = started.elapsed();
            let text = err.to_string();
            eprintln!(
                "{} / {config} / {}: failed in {took:.2?}: {text}",
                rig.runner.kind(),
                case.what
            );
            assert!(matches!(err, DeviceError::StateChange { .. }), "{text}");
            assert!(
                text.contains("hop UNIX_LOCAL -> UNIX_REMOTE (ssh) failed"),
                "{} / {config}: the hop is named: {text}",
                case.what
            );
            assert!(
                case.quotes.iter().any(|q| text.contains(q)),
                "{} / {config}: the client's own line is quoted ({:?}): {text}",
                case.what,
                case.quotes
            );
            assert!(!text.contains("not-the-password"), "no secret in the message: {text}");
            assert!(took < FAST, "{} / {config}: took {took:?}", case.what);
            assert_eq!(device.state(), "UNIX_LOCAL", "{} / {config}", case.what);
            assert_marked(&device, "local-shell", true);
            assert_eq!(
                sh(&device, "echo \"$PS1\""),
                [r"m\[\]oler_bash# "],
                "set_prompt never ran here"
            );
            devices.remove_all();
        }
    }
    // Ends the stalled server's accept loop.
    stop.store(true, Ordering::Release);
    drop(std::net::TcpStream::connect(("127.0.0.1", stalled_port)));
    staller.join().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `sudo -s -u nosuchuser` from the remote shell: the hop fails, the device stays on the remote.
fn an_unknown_sudo_user_leaves_the_device_on_the_remote(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    if !Path::new("/usr/bin/sudo").exists() {
        moler_testkit::skip(
            "the unknown sudo user",
            "no sudo (scripts/setup-sshd.sh installs it as root)",
        );
        return;
    }
    let dir = scratch(&format!("sudo-{}", rig.runner.kind()));
    let password = sshd.user().password.clone();
    let readme =
        readme_remote(&sshd, "127.0.0.1", sshd.port(), &password, &dir.join("known_hosts"), "");
    let sudo = format!(
        "      UNIX_REMOTE:
        UNIX_REMOTE_ROOT:
          execute_command: sudo
          command_params:
            password: {}
            sudo_params: -s -u nosuchuser
            expected_prompt: '^moler_remote_root# '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='moler_remote_root# '\"
",
        quote(&password)
    );
    let devices = devices_on(rig, &format!("{readme}{sudo}"));
    let device = devices.get("RemoteBox").unwrap();
    device.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    mark(&device, "remote-shell");
    let started = Instant::now();
    let err = device.goto_state("UNIX_REMOTE_ROOT").unwrap_err();
    let took = started.elapsed();
    let text = err.to_string();
    eprintln!("{}: unknown sudo user failed in {took:.2?}: {text}", rig.runner.kind());
    assert!(text.contains("hop UNIX_REMOTE -> UNIX_REMOTE_ROOT (sudo) failed"), "{text}");
    assert!(text.contains("unknown user"), "sudo's own line: {text}");
    assert!(took < FAST, "took {took:?}");
    assert_eq!(device.state(), "UNIX_REMOTE");
    assert_marked(&device, "remote-shell", false);
    assert_eq!(device.run(Whoami::new()).unwrap().user, sshd.user().name, "not root");
    devices.remove_all();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A command running on the remote fails as soon as the device learns its shell is gone, not
/// at its own timeout.
fn a_command_in_flight_fails_when_its_shell_dies(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let dir = scratch(&format!("inflight-{}", rig.runner.kind()));
    let password = sshd.user().password.clone();
    let readme =
        readme_remote(&sshd, "127.0.0.1", sshd.port(), &password, &dir.join("known_hosts"), "");
    let devices = devices_on(rig, &readme);
    let device = devices.get("RemoteBox").unwrap();
    device.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    let pid: u32 = sh(&device, "echo $$").iter().find_map(|l| l.trim().parse().ok()).unwrap();
    let prompt = device.prompt().unwrap().to_owned();
    // 60 s of its own timeout: only the shell's death can end it early.
    let sleeping =
        device.observe(Command::lines("sleep 50; echo woke", &prompt).timeout(T)).unwrap().start();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let killed = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    assert!(killed.unwrap().success());
    let err = sleeping.wait(T).unwrap_err();
    let took = started.elapsed();
    eprintln!(
        "{}: the command in flight failed {took:.2?} after the kill: {err}",
        rig.runner.kind()
    );
    assert!(moler::device::WrongState::of(&err).is_some(), "{err}");
    assert!(err.to_string().contains("in UNIX_LOCAL now"), "{err}");
    assert!(took < FAST, "took {took:?}");
    assert_eq!(device.state(), "UNIX_LOCAL");
    assert!(device.run(Pwd::new()).is_ok(), "the local shell works on");
    devices.remove_all();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Printing `$PS1`, or the prompt's text inside other output, does not end a command, and the
/// next command gets its own output.
fn printing_the_prompt_variable_does_not_end_a_command(rig: &Rig) {
    let shell = rig.shell();
    let out = shell
        .run(Command::lines(r#"echo before; echo "$PS1"; echo after"#, LOCAL_PROMPT), T)
        .unwrap();
    assert_eq!(out, ["before", r"m\[\]oler_bash# ", "after"]);
    assert_eq!(shell.run(Command::lines("echo next", LOCAL_PROMPT), T).unwrap(), ["next"]);
    let out = shell.run(Command::lines("declare -p PS1; echo after", LOCAL_PROMPT), T).unwrap();
    assert_eq!(out.last().map(String::as_str), Some("after"), "{out:?}");
}

/// A blocking call inside an async task is refused before it sends anything; from
/// `spawn_blocking` it works, on both kinds of tokio runtime.
#[test]
fn blocking_device_calls_are_refused_in_async_tasks_before_anything_is_sent() {
    // No variant: inside the runtime the device opens on it (autodetected).
    let yaml = "DEVICES:\n  LOCAL:\n    DEVICE_CLASS: UnixLocal\n";
    let dir = scratch("blocking");
    for multi in [false, true] {
        let rt = if multi {
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
        } else {
            tokio::runtime::Builder::new_current_thread().enable_all().build()
        }
        .unwrap();
        rt.block_on(async {
            let devices = Devices::from_yaml(yaml).unwrap();
            // Devices::get blocks: refused here, before anything is made or opened.
            let err = devices.get("LOCAL").unwrap_err().to_string();
            assert!(err.contains("blocking wait inside a tokio runtime"), "{err}");
            assert!(devices.made().is_empty(), "refused before the device was made");
            let local = devices.get_async("LOCAL").await.unwrap();
            let prompt = local.prompt().unwrap().to_owned();
            let level = local
                .observe(Command::lines("echo $SHLVL", &prompt))
                .unwrap()
                .start()
                .await
                .unwrap();

            // A refused command was never sent: its file does not exist once a later command ran.
            let marker = dir.join(format!("sent-{multi}"));
            let touch =
                Command::lines(format!("touch {}", marker.display()), &prompt).ret_required(false);
            let err = local.observe(touch).unwrap().run().unwrap_err().to_string();
            assert!(err.contains("blocking wait inside a tokio runtime"), "{err}");
            // A refused state change sent no hop either: the shell level is the same.
            let err = local.goto_state("UNIX_LOCAL_ROOT").unwrap_err().to_string();
            assert!(err.contains("blocking wait inside a tokio runtime"), "{err}");
            let again = local
                .observe(Command::lines("echo $SHLVL", &prompt))
                .unwrap()
                .start()
                .await
                .unwrap();
            assert_eq!(again, level, "no su ran");
            assert!(!marker.exists(), "the refused command was not sent");
            assert_eq!(local.state(), "UNIX_LOCAL");

            // From spawn_blocking the same blocking calls work.
            let device = local.clone();
            let pwd = tokio::task::spawn_blocking(move || device.run(Pwd::new())).await.unwrap();
            assert!(pwd.unwrap().full_path.starts_with('/'));
            let device = local.clone();
            let moved = tokio::task::spawn_blocking(move || {
                device.goto_state("NOT_CONNECTED")?;
                device.goto_state("UNIX_LOCAL")
            });
            moved.await.unwrap().unwrap();
            assert_eq!(local.state(), "UNIX_LOCAL");
            let d = devices.clone();
            tokio::task::spawn_blocking(move || d.remove_all()).await.unwrap();
        });
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A UnixRemote whose ssh hop expects `remote` and whose sudo hop expects `root`, each hop
/// setting `PS1` to its `…_ps1` if given.
fn remote_yaml(
    remote: &str,
    remote_ps1: Option<&str>,
    root: &str,
    root_ps1: Option<&str>,
) -> String {
    let set = |ps1: Option<&str>| {
        ps1.map(|p| format!("\n            set_prompt: \"export PS1='{p}'\"")).unwrap_or_default()
    };
    let (remote_set, root_set) = (set(remote_ps1), set(root_ps1));
    format!(
        "DEVICES:
  REMOTE:
    DEVICE_CLASS: UnixRemote
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            login: a
            password: b
            expected_prompt: '{remote}'{remote_set}
      UNIX_REMOTE:
        UNIX_REMOTE_ROOT:
          execute_command: sudo
          command_params:
            password: b
            expected_prompt: '{root}'{root_set}
"
    )
}

/// Prompts that match another state's prompt are refused at load, with their place and both
/// states named: the configs that made a device move by itself.
#[test]
fn prompts_that_match_another_states_prompt_are_load_errors() {
    let local_root = "DEVICES:
  LOCAL:
    DEVICE_CLASS: UnixLocal
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params:
            expected_prompt: '#\\s*$'
";
    let err = Devices::from_yaml(local_root).unwrap_err().to_string();
    assert!(
        err.starts_with("<yaml string>:9:13: device LOCAL: the prompt of UNIX_LOCAL_ROOT"),
        "{err}"
    );
    assert!(err.contains("also matches \"moler_bash# \", the prompt of UNIX_LOCAL"), "{err}");

    let remote = remote_yaml("[$#>]\\s*$", None, "^root# ", Some("remote# "));
    let err = Devices::from_yaml(&remote).unwrap_err().to_string();
    assert!(
        err.contains(
            "<yaml string>:12:13: device REMOTE: the prompt of UNIX_REMOTE \"[$#>]\\\\s*$\""
        ),
        "{err}"
    );
    assert!(err.contains("the prompt of UNIX_LOCAL"), "{err}");
    assert!(err.contains("\"root# \", the prompt of UNIX_REMOTE_ROOT"), "{err}");

    // A literal prompt set with set_prompt is known too.
    let set = remote_yaml("^box\\S* ", Some("box# "), "# $", None);
    let err = Devices::from_yaml(&set).unwrap_err().to_string();
    assert!(
        err.contains(
            "also matches \"box# \", the prompt of UNIX_REMOTE (set by hop UNIX_LOCAL -> \
             UNIX_REMOTE (ssh), set_prompt)"
        ),
        "{err}"
    );

    // The README's example loads: its prompts tell every state apart.
    Devices::from_file("examples/my_devices.yml").unwrap();
}

/// A state's prompt written as plain text, and the same text set with `set_prompt`, is that
/// state's own prompt: matching it is no clash, and a config whose every prompt is such a
/// literal loads.
#[test]
fn a_state_whose_prompt_is_its_own_literal_loads() {
    let literal = remote_yaml("^remote\\$ ", Some("remote$ "), "^remote_root# ", None);
    let devices = Devices::from_yaml(&literal).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(devices.names(), ["REMOTE"]);
}

on_every_runner!(
    failed_ssh_hops_leave_the_device_local,
    an_unknown_sudo_user_leaves_the_device_on_the_remote,
    a_command_in_flight_fails_when_its_shell_dies,
    printing_the_prompt_variable_does_not_end_a_command,
    output_showing_another_states_prompt_leaves_the_device_where_it_is,
);

/// `cat` of a transcript full of the other state's prompt, on the remote and at home, and in
/// the background: reads end inside such lines (`moler_bash# ls` cut after its prompt), which
/// is not the shell waiting there. The command gets its whole output and the device stays
/// where it is.
fn output_showing_another_states_prompt_leaves_the_device_where_it_is(rig: &Rig) {
    let Some(sshd) = Sshd::require() else { return };
    let dir = scratch(&format!("transcript-{}", rig.runner.kind()));
    let password = sshd.user().password.clone();
    let readme =
        readme_remote(&sshd, "127.0.0.1", sshd.port(), &password, &dir.join("known_hosts"), "");
    let devices = devices_on(rig, &readme);
    let device = devices.get("RemoteBox").unwrap();
    let transcript = |prompt: &str, name: &str| {
        // Long lines: a read ending right after the prompt's text, where a line could be a
        // prompt, is rare (the test is about the reads that end inside the rest).
        let text: String =
            (0..20_000).map(|i| format!("{prompt}echo {i} {:-<100}\n{i}\n", "")).collect();
        let path = std::env::temp_dir().join(format!(
            "{name}-{}-{}",
            rig.runner.kind(),
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        // Readable by the remote user (the test sshd's user is not root).
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        path
    };
    let at_home = transcript("moler_remote$ ", "moler-remote-transcript");
    let remote = transcript("moler_bash# ", "moler-local-transcript");
    let cat = |path: &Path, state: &str| {
        let out = sh(&device, &format!("cat {}", path.display()));
        assert_eq!(out.len(), 40_000, "{state}");
        assert_eq!(device.state(), state);
    };
    cat(&at_home, "UNIX_LOCAL");
    device.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    mark(&device, "remote");
    cat(&remote, "UNIX_REMOTE");
    assert_marked(&device, "remote", false);
    // The same output from a background job, with no command running: it starts once the
    // test says so (a file), after `sh` has returned (a job starting after a fixed delay could,
    // on a busy machine, print before that command's prompt was read), and says when `cat` is
    // done (its last lines are in the terminal by then: the device has read all but those).
    let flag = |what: &str| {
        let name = format!("moler-transcript-{what}-{}-{}", rig.runner.kind(), std::process::id());
        std::env::temp_dir().join(name)
    };
    let (go, done) = (flag("go"), flag("done"));
    let cat = format!("cat {}", remote.display());
    let job = format!("( ({}) & )", common::once_file_exists(&go, &cat, &done));
    sh(&device, &job);
    std::fs::write(&go, "").unwrap();
    common::eventually("the background cat ending", || done.exists());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(device.state(), "UNIX_REMOTE");
    assert_marked(&device, "remote", false);
    devices.remove_all();
    for path in [at_home, remote, go, done] {
        std::fs::remove_file(path).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A TCP console whose `ready_prompt` never comes (it stops at a login question): opening the
/// device fails within `ready_timeout`, saying what the greeting waited for and what came, the
/// device stays NOT_CONNECTED, and nothing at all is typed into that login question: not the
/// device's first command, not a prompt probe. Before, the greeting's timeout let the device's
/// own first step (queued behind it) succeed in the same instant: `get` returned a device in
/// UNIX_LOCAL, and a command queued behind the greeting was typed before the connection
/// closed. On each runner (`variant`).
#[test]
fn a_greeting_that_never_comes_opens_nothing_and_types_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    std::thread::spawn({
        let received = Arc::clone(&received);
        move || {
            for socket in listener.incoming() {
                let Ok(mut socket) = socket else { return };
                let received = Arc::clone(&received);
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let _ = socket.write_all(b"Welcome to the console server\r\nlogin: ");
                    let mut buf = [0; 1024];
                    while let Ok(n @ 1..) = socket.read(&mut buf) {
                        received.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                });
            }
        }
    });
    for variant in ["threaded", "tokio", "smol"] {
        let yaml = format!(
            "DEVICES:\n  CONSOLE:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_DESC: {{io_type: tcp, \
             variant: {variant}, host: 127.0.0.1, port: {port}, ready_prompt: 'moler_bash# ', \
             ready_timeout: 1}}\n"
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        let _in_tokio = (variant == "tokio").then(|| rt.enter());
        let devices = Devices::from_yaml(&yaml).unwrap();
        let started = Instant::now();
        let err = devices.get("CONSOLE").map(drop).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(15), "{variant}: {:?}", started.elapsed());
        let text = moler::Report(&err).to_string();
        assert!(text.contains("cannot go from NOT_CONNECTED to UNIX_LOCAL"), "{variant}: {text}");
        assert!(text.contains("greeting") && text.contains("timed out"), "{variant}: {text}");
        assert!(
            text.contains(r#"last received: "Welcome to the console server\r\nlogin: ""#),
            "{text}"
        );
        // Whatever could have been typed has had time to arrive.
        std::thread::sleep(Duration::from_millis(300));
        let typed = std::mem::take(&mut *received.lock().unwrap());
        assert_eq!(String::from_utf8_lossy(&typed), "", "{variant}: typed into the login question");
        devices.remove_all();
    }
}
