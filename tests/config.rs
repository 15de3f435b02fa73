//! Connections opened from YAML with real parts: a bash in a pty, the TCP device simulator, a
//! child process, the test sshd; the variant choosing the runner (explicit > IO_TYPES default >
//! autodetect); users' own constructors; failures that name the connection or point into the
//! file. The variants need the `tokio` and `smol` runners (default features).
#![cfg(all(feature = "tokio", feature = "smol"))]

use std::path::{Path, PathBuf};
use std::time::Duration;

use moler::config::{Config, Error as ConfigOpenError, ErrorKind, Loader, Opening, Params};
use moler::prelude::*;
use moler_testkit::{Simulator, SIM_PROMPT_RE};

const WAIT: Duration = Duration::from_secs(20);

fn folder(case: &str) -> moler_testkit::TempDir {
    moler_testkit::TempDir::new(&format!("config-e2e-{case}"))
}

fn load(dir: &Path, yaml: &str) -> (Config, PathBuf) {
    let file = dir.join("config.yml");
    std::fs::write(&file, yaml).unwrap();
    (Config::from_file(&file).unwrap(), file)
}

fn echo(shell: &ConnectionHandle, text: &str) -> Vec<String> {
    shell.run(Command::lines(format!("echo {text}"), LOCAL_PROMPT), WAIT).unwrap()
}

#[test]
fn a_named_terminal_opens_on_each_variant() {
    let dir = folder("variants");
    let (config, _) = load(
        &dir,
        "NAMED_CONNECTIONS:\n  threaded: {io_type: terminal, variant: threaded}\n  \
         tokio: {io_type: terminal, variant: tokio}\n  smol: {io_type: terminal, variant: smol}\n  \
         moler_name: {io_type: terminal_no_fork, variant: multi-threaded}\n",
    );
    let sh = config.open("threaded").unwrap();
    assert_eq!(sh.runner(), RunnerKind::Thread);
    assert_eq!(sh.name(), "threaded");
    assert_eq!(echo(&sh, "on threads"), ["on threads"]);

    let sh = config.open("moler_name").unwrap();
    assert_eq!(sh.runner(), RunnerKind::Thread, "Moler's variant name");
    assert_eq!(echo(&sh, "moler names"), ["moler names"]);

    let sh = config.open("smol").unwrap();
    assert_eq!(sh.runner(), RunnerKind::Smol);
    let out = smol::block_on(sh.start(Command::lines("echo on smol", LOCAL_PROMPT))).unwrap();
    assert_eq!(out, ["on smol"]);

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sh = config.open("tokio").unwrap();
        assert_eq!(sh.runner(), RunnerKind::Tokio);
        let out = sh.start(Command::lines("echo on tokio", LOCAL_PROMPT)).await.unwrap();
        assert_eq!(out, ["on tokio"]);
    });
}

#[test]
fn the_variant_is_explicit_else_the_configured_default_else_autodetected() {
    let sim = Simulator::start().unwrap();
    let dir = folder("precedence");
    let (config, _) = load(
        &dir,
        &format!(
            "NAMED_CONNECTIONS:\n  by_default: {{io_type: terminal}}\n  \
             explicit: {{io_type: terminal, variant: threaded}}\n  \
             detected: {{io_type: tcp, host: 127.0.0.1, port: {}, ready_prompt: 'sim> '}}\n\
             IO_TYPES:\n  default_variant: {{terminal: smol}}\n",
            sim.port()
        ),
    );
    assert_eq!(config.open("by_default").unwrap().runner(), RunnerKind::Smol);
    assert_eq!(config.open("explicit").unwrap().runner(), RunnerKind::Thread);
    assert_eq!(config.open("detected").unwrap().runner(), RunnerKind::Thread, "no runtime here");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _inside = rt.enter();
    assert_eq!(config.open("detected").unwrap().runner(), RunnerKind::Tokio, "inside tokio");
}

#[test]
fn a_named_tcp_device_answers_commands() {
    let sim = Simulator::start().unwrap();
    let dir = folder("tcp");
    let (config, _) = load(
        &dir,
        &format!(
            "NAMED_CONNECTIONS:\n  console:\n    io_type: tcp\n    host: 127.0.0.1\n    \
             port: {}\n    ready_marker: moler device simulator\n    ready_prompt: 'sim> '\n  \
             quoted: {{io_type: tcp, host: 127.0.0.1, port: '{}', ready_prompt: 'sim> '}}\n",
            sim.port(),
            sim.port()
        ),
    );
    // The port quoted, as a Python user may write it: the same console.
    let quoted = config.open("quoted").unwrap();
    let out = quoted.run(Command::lines("hello", SIM_PROMPT_RE), WAIT).unwrap();
    assert_eq!(out, ["hello from the simulator"]);
    let console = config.open("console").unwrap();
    let out = console.run(Command::lines("hello", SIM_PROMPT_RE), WAIT).unwrap();
    assert_eq!(out, ["hello from the simulator"]);
    let out = console.run(Command::lines("count 3", SIM_PROMPT_RE), WAIT).unwrap();
    assert_eq!(out, ["line 1", "line 2", "line 3"]);
}

#[test]
fn a_refused_connection_names_the_connection_and_the_address() {
    let refused = moler_testkit::RefusedPort::new();
    let port = refused.port();
    let dir = folder("refused");
    let (config, _) = load(
        &dir,
        &format!("NAMED_CONNECTIONS:\n  gone: {{io_type: tcp, host: 127.0.0.1, port: {port}}}\n"),
    );
    let e = config.open("gone").unwrap_err();
    assert!(matches!(e, ConfigOpenError::Open { .. }), "{e:?}");
    // The error names the connection; the address and the refusal are its causes.
    assert_eq!(e.to_string(), "cannot open NAMED_CONNECTIONS.gone (io_type tcp)");
    assert_eq!(
        moler::Report(&e).to_string(),
        format!(
            "cannot open NAMED_CONNECTIONS.gone (io_type tcp): connect to 127.0.0.1:{port}: \
             Connection refused (os error 111)"
        )
    );
}

#[test]
fn a_process_connection_runs_its_program() {
    let dir = folder("process");
    std::fs::write(
        dir.join("device.sh"),
        "echo ready\nprintf 'dev> '\nwhile read -r l; do echo \"got $l\"; printf 'dev> '; done\n",
    )
    .unwrap();
    let (config, _) = load(
        &dir,
        "NAMED_CONNECTIONS:\n  dev:\n    io_type: process\n    program: sh\n    args: [device.sh]\n    \
         cwd: .\n    ready_marker: ready\n    ready_prompt: 'dev> '\n",
    );
    let dev = config.open("dev").unwrap();
    let out = dev.run(Command::lines("ping", "^dev> $").expect_echo(false), WAIT).unwrap();
    assert_eq!(out, ["got ping"], "cwd `.` is the config's folder, where device.sh is");
}

#[test]
fn terminal_parameters_reach_the_shell() {
    let dir = folder("terminal-params");
    std::fs::create_dir_all(dir.join("work")).unwrap();
    let (config, _) = load(
        &dir,
        "NAMED_CONNECTIONS:\n  sh: {io_type: terminal, cwd: work, env: {MOLER_GREETING: hi there}, cols: 200}\n",
    );
    let sh = config.open("sh").unwrap();
    assert_eq!(echo(&sh, "\"$MOLER_GREETING\""), ["hi there"]);
    let pwd = sh.run(Command::lines("pwd -P", LOCAL_PROMPT), WAIT).unwrap();
    assert_eq!(pwd, [dir.join("work").canonicalize().unwrap().display().to_string()]);
    assert_eq!(echo(&sh, "$COLUMNS"), ["200"]);
    // Written as numbers, as written: a folder named 2026, a variable 010; a size quoted.
    std::fs::create_dir_all(dir.join("2026")).unwrap();
    let (config, _) = load(
        &dir,
        "NAMED_CONNECTIONS:\n  sh: {io_type: terminal, cwd: 2026, env: {MOLER_N: 010}, cols: '120'}\n",
    );
    let sh = config.open("sh").unwrap();
    let pwd = sh.run(Command::lines("pwd -P", LOCAL_PROMPT), WAIT).unwrap();
    assert_eq!(pwd, [dir.join("2026").canonicalize().unwrap().display().to_string()]);
    assert_eq!(echo(&sh, "$MOLER_N $COLUMNS"), ["010 120"]);
}

#[test]
fn a_tokio_variant_outside_a_runtime_is_a_clear_error_or_uses_a_given_runtime() {
    let yaml = "NAMED_CONNECTIONS:\n  sh: {io_type: terminal, variant: tokio}\n";
    let dir = folder("no-runtime");
    let (config, file) = load(&dir, yaml);
    let e = config.open("sh").unwrap_err();
    let ConfigOpenError::Config(c) = &e else { panic!("{e:?}") };
    assert_eq!(c.kind(), ErrorKind::InvalidValue);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:36: NAMED_CONNECTIONS.sh (io_type terminal): variant tokio: runner tokio needs a \
             running runtime: call it from inside one, or pass a handle (TokioRunner::with_handle), \
             or give the config a runner (Loader::runner)",
            file.display()
        )
    );
    // With a runtime handed over, sync code opens tokio connections.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = Loader::new()
        .runner(moler::TokioRunner::with_handle(rt.handle().clone()))
        .from_file(&file)
        .unwrap();
    let sh = config.open("sh").unwrap();
    assert_eq!(sh.runner(), RunnerKind::Tokio);
    assert_eq!(echo(&sh, "from sync code"), ["from sync code"]);
}

/// Moler's `asyncio-in-thread` (an event loop in a thread of its own): from sync code the
/// connections run on moler's own tokio runtime, shared; inside a runtime, on the caller's.
/// Moler's YAML that names it works unchanged, for connections and devices.
#[test]
fn asyncio_in_thread_runs_on_a_runtime_of_its_own_from_sync_code() {
    let yaml = "NAMED_CONNECTIONS:\n  a: {io_type: terminal, variant: asyncio-in-thread}\n  \
                b: {io_type: terminal, variant: Asyncio-In-Thread}\nDEVICES:\n  LOCAL:\n    \
                DEVICE_CLASS: moler.device.unixlocal.UnixLocal\n    CONNECTION_DESC: {io_type: \
                terminal, variant: asyncio-in-thread}\n";
    let dir = folder("asyncio-in-thread");
    let (config, file) = load(&dir, yaml);
    let (a, b) = (config.open("a").unwrap(), config.open("b").unwrap());
    assert_eq!((a.runner(), b.runner()), (RunnerKind::Tokio, RunnerKind::Tokio));
    // Both at once: two shells on the one runtime thread, each answering its own.
    let (on_a, on_b) = (
        a.start(Command::lines("sleep 0.2; echo from a", LOCAL_PROMPT)),
        b.start(Command::lines("echo from b", LOCAL_PROMPT)),
    );
    assert_eq!(on_b.wait(WAIT).unwrap(), ["from b"]);
    assert_eq!(on_a.wait(WAIT).unwrap(), ["from a"]);
    let devices = Devices::from_config(Config::from_file(&file).unwrap()).unwrap();
    let local = devices.get("LOCAL").unwrap();
    assert_eq!(local.state(), "UNIX_LOCAL");
    let out = local.cmd("echo", serde_json::json!({"text": "device"})).unwrap().run().unwrap();
    assert_eq!(out["RESULT"], serde_json::json!(["device"]));
    devices.remove_all();
    // Inside a runtime (here a current-thread one, as `#[tokio::test]` makes): that one.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let sh = config.open("a").unwrap();
        let out = sh.start(Command::lines("echo awaited", LOCAL_PROMPT)).await.unwrap();
        assert_eq!(out, ["awaited"]);
    });
}

#[test]
fn users_register_io_types_and_variant_constructors() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = folder("register");
    let opened = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&opened);
    let loader = Loader::new()
        // An io_type of our own, on every variant: a bash that starts in a given folder.
        .io_type("lab_shell", |p: &mut Params| {
            let folder: Option<PathBuf> = p.required("folder");
            p.finish()?;
            let options = moler_io::terminal::TerminalOptions { cwd: folder, ..Default::default() };
            moler_io::terminal::open(&options)
                .map_err(|e| ConfigOpenError::Open { what: p.what().to_owned(), source: e.into() })
        })
        // A constructor for one (io_type, variant) pair, with a variant name of our own.
        .connection("terminal", "counted", move |p: &mut Params, o: &Opening<'_>| {
            p.finish()?;
            counter.fetch_add(1, Ordering::SeqCst);
            let transport = moler_io::terminal::open(&Default::default())
                .map_err(|e| ConfigOpenError::Open { what: o.name.to_owned(), source: e.into() })?;
            ThreadRunner::new()
                .spawn(o.name, transport)
                .map_err(|source| ConfigOpenError::Open { what: o.name.to_owned(), source })
        });
    std::fs::create_dir_all(dir.join("lab")).unwrap();
    let file = dir.join("config.yml");
    std::fs::write(
        &file,
        "NAMED_CONNECTIONS:\n  lab: {io_type: lab_shell, variant: smol, folder: lab}\n  \
         counted: {io_type: terminal, variant: counted}\n  typo: {io_type: lab_shell, fodler: x}\n",
    )
    .unwrap();
    let config = loader.from_file(&file).unwrap();

    let lab = config.open("lab").unwrap();
    assert_eq!(lab.runner(), RunnerKind::Smol);
    let pwd = lab.run(Command::lines("pwd -P", LOCAL_PROMPT), WAIT).unwrap();
    assert_eq!(pwd, [dir.join("lab").canonicalize().unwrap().display().to_string()]);

    let counted = config.open("counted").unwrap();
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    assert_eq!(echo(&counted, "counted"), ["counted"]);

    // The constructor's own parameters are checked when it opens, pointing into the file.
    let e = config.open("typo").unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{f}:4:30: NAMED_CONNECTIONS.typo (io_type lab_shell): unknown parameter `fodler`; did you mean folder?",
            f = file.display()
        )
    );
}

#[test]
fn an_unknown_connection_name_gets_a_suggestion() {
    let dir = folder("unknown-name");
    let (config, _) = load(&dir, "NAMED_CONNECTIONS:\n  net_1: {io_type: tcp, port: 1}\n");
    let e = config.open("net1").unwrap_err();
    assert_eq!(e.to_string(), "<code>: no connection named net1; did you mean net_1?");
}

/// `host_key_policy` from YAML, written as Moler's users write it (`off` unquoted, which YAML
/// reads as false), reaches each SSH client: strict refuses a host missing from known_hosts,
/// off logs in and records nothing (libssh2), accept-new logs in and records the key.
#[test]
fn host_key_policy_from_yaml_reaches_each_ssh_client() {
    let Some(sshd) = moler_testkit::sshd::Sshd::require() else { return };
    let user = sshd.user();
    let dir = folder("host-key-policy");
    let clients: &[&str] =
        if cfg!(feature = "ssh") { &["libssh2", "openssh"] } else { &["openssh"] };
    let mut yaml = String::from("NAMED_CONNECTIONS:\n");
    for client in clients {
        for policy in ["strict", "off", "accept-new"] {
            yaml.push_str(&format!(
                "  {client}-{policy}: {{io_type: sshshell, client: {client}, host: 127.0.0.1, \
                 port: {port}, login: {login}, password: '{password}', moler_prompt: true, \
                 host_key_policy: {policy}, known_hosts: {dir}/{client}-{policy}}}\n",
                port = sshd.port(),
                login = user.name,
                password = user.password,
                dir = dir.display(),
            ));
        }
    }
    let (config, _) = load(&dir, &yaml);
    let known = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    for client in clients {
        let e = config.open(&format!("{client}-strict")).unwrap_err();
        let text = moler::Report(&e).to_string();
        assert!(
            text.contains("cannot open NAMED_CONNECTIONS.") && text.contains("strict"),
            "{text}"
        );
        for policy in ["off", "accept-new"] {
            let name = format!("{client}-{policy}");
            let remote = config.open(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
            let who = remote.run(Command::lines("whoami", moler::SSH_PROMPT), WAIT).unwrap();
            assert_eq!(who, [user.name.as_str()], "{name}");
            remote.close();
        }
        assert!(!known(&format!("{client}-accept-new")).is_empty(), "{client}: accept-new records");
    }
    if cfg!(feature = "ssh") {
        assert_eq!(
            known("libssh2-off"),
            "",
            "libssh2 with the policy off checks and records nothing"
        );
    }
}

#[cfg(feature = "ssh")]
#[test]
fn an_sshshell_connection_logs_in_to_the_test_sshd() {
    let Some(sshd) = moler_testkit::sshd::Sshd::require() else { return };
    let user = sshd.user();
    let yaml = format!(
        "NAMED_CONNECTIONS:\n  remote:\n    io_type: sshshell\n    host: 127.0.0.1\n    port: {port}\n    \
         login: {login}\n    password: '{password}'\n    known_hosts: {dir}/known_hosts\n    \
         moler_prompt: true\n  wrong:\n    io_type: sshshell\n    host: 127.0.0.1\n    port: {port}\n    \
         username: {login}\n    password: not-the-password\n    known_hosts: {dir}/known_hosts\n",
        port = sshd.port(),
        login = user.name,
        password = user.password,
        dir = sshd.dir().display(),
    );
    let dir = folder("ssh");
    let (config, _) = load(&dir, &yaml);
    let remote = config.open("remote").unwrap();
    let who = remote.run(Command::lines("whoami", moler::SSH_PROMPT), WAIT).unwrap();
    assert_eq!(who, [user.name.as_str()]);

    let e = config.open("wrong").unwrap_err();
    let ConfigOpenError::Open { source, .. } = &e else { panic!("{e:?}") };
    assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
    let text = moler::Report(&e).to_string();
    assert!(
        text.starts_with("cannot open NAMED_CONNECTIONS.wrong (io_type sshshell): ssh "),
        "{text}"
    );
    assert!(!text.contains("not-the-password"), "{text}");
}
