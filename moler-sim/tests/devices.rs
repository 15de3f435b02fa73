//! The ready-made devices of `moler-sim/devices/`, each served over the transport it is reached
//! by in the lab and driven by moler: the Juniper EX switch as the login shell of the test
//! sshd's simulator user (moler's SSH transport, and a device's `ssh` hop), the ATEN PDU and
//! the SCPI instrument on telnet listeners (the `telnet` client in a local bash, moler's
//! `telnet` hop command), the AT modem behind `socat` on a pty pair (a serial line), the adb
//! shell on stdio (an `adb` that runs the simulator). Each reproduces Moler's reference outputs
//! (`tests/fixtures/<family>`: Moler 4.13.1's cases, BSD-3-Clause, Nokia, copied from
//! `../shared/moler-fixtures` with a note of their origin): what moler reads between the echo
//! and the prompt is the case's output there, line for line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::commands::unix::Telnet;
use moler::prelude::*;
use moler_io::process::{self, ProcessOptions};
use moler_io::ssh::{self, HostKeyPolicy};
use moler_io::terminal::TerminalOptions;
use moler_io::Greeting;
use moler_sim::{Device, Listener, Protocol};
use moler_testkit::sshd::Sshd;
use serde_json::Value;

const T: Duration = Duration::from_secs(20);
const SIM: &str = env!("CARGO_BIN_EXE_moler-sim");
const DEVICES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/devices");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn device_file(name: &str) -> PathBuf {
    Path::new(DEVICES).join(name)
}

fn device(name: &str) -> Arc<Device> {
    Arc::new(Device::from_file(device_file(name)).unwrap())
}

/// A reference case's output as lines: the echo of `command` (after a prompt, in some cases),
/// what the device printed, and the prompt (or, for a modem, nothing) as the last line.
fn reference(family: &str, case: &str, command: &str) -> Vec<String> {
    let path = Path::new(FIXTURES).join(family).join(format!("{case}.json"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let output = json["output"].as_str().unwrap();
    let lines: Vec<String> =
        output.strip_prefix('\n').unwrap_or(output).split('\n').map(str::to_owned).collect();
    assert!(lines[0].ends_with(command), "{case}: echo {:?}, not of {command:?}", lines[0]);
    lines
}

/// What a reference case shows between the echo of `command` and the prompt.
fn between_echo_and_prompt(family: &str, case: &str, command: &str) -> Vec<String> {
    let lines = reference(family, case, command);
    lines[1..lines.len() - 1].to_vec()
}

/// The program's `--check` (what `moler sim --check` runs) passes on every device file, and
/// every file loads.
#[test]
fn every_ready_made_device_file_checks() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(DEVICES).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            let out = std::process::Command::new(SIM).arg("--check").arg(&path).output().unwrap();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let listing = String::from_utf8_lossy(&out.stdout);
            assert!(listing.starts_with(&format!("device {stem}: ")), "{listing}");
            Device::from_file(&path).unwrap();
            names.push(stem);
        }
    }
    names.sort();
    assert_eq!(
        names,
        ["adb_shell", "at_modem", "juniper_ex", "pdu_aten", "scpi", "uboot_board", "unix_host"]
    );
}

// --- Juniper EX over ssh ------------------------------------------------------------------------

const CLI: &str = "^admin@switch> $";
const CONFIGURE: &str = "^admin@switch# $";

/// The device file in a folder the simulator's ssh user can read.
fn readable_copy(name: &str, tag: &str) -> moler_testkit::TempFile {
    let dir = moler_testkit::TempDir::new(&format!("sim-{tag}"));
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let file = moler_testkit::TempFile::new(dir, name);
    std::fs::copy(device_file(name), &file).unwrap();
    file
}

#[test]
fn juniper_ex_over_openssh_answers_as_junos_and_as_molers_cases() {
    let file = readable_copy("juniper_ex.yml", "junos");
    let Some(sshd) = Sshd::require_sim(Path::new(SIM), &file) else { return };
    let user = sshd.sim_user().unwrap();
    let mut options = ssh::SshOptions::new("127.0.0.1", &user.name)
        .port(sshd.port())
        .password(&user.password)
        .host_key_policy(HostKeyPolicy::Off);
    options.greeting = Some(Greeting {
        marker: "admin@switch> ".into(),
        prompt: "admin@switch> ".into(),
        timeout: T,
    });
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let ex = runner.spawn("ex", ssh::connect(&options).unwrap()).unwrap();
    let run = |command: &str, prompt: &str| ex.run(Command::lines(command, prompt), T).unwrap();

    let version = run("show version", CLI);
    assert_eq!(version[..3], ["fpc0:", &"-".repeat(74), "Hostname: switch"], "{version:?}");
    assert!(version.iter().any(|l| l == "Model: ex2300-24t"), "{version:?}");
    assert_eq!(version.last().unwrap(), "", "an empty line before the prompt");
    let terse = run("show interfaces terse", CLI);
    assert!(terse[0].starts_with("Interface               Admin Link Proto"), "{terse:?}");
    assert!(terse.iter().any(|l| l.starts_with("me0.0") && l.ends_with("10.0.0.2/24")));
    let uptime = run("show system uptime", CLI);
    assert!(uptime.iter().any(|l| l.starts_with("Current time: ")), "{uptime:?}");
    // A word Junos does not know: a caret under it (the prompt is 14 characters wide).
    assert_eq!(run("shwo version", CLI), ["              ^", "unknown command.", ""]);
    assert_eq!(
        run("show frobnicate", CLI),
        ["                   ^", "syntax error, expecting <command>.", ""]
    );

    // Moler's cases: `configure`, then `exit`.
    assert_eq!(
        run("configure", CONFIGURE),
        between_echo_and_prompt("juniper", "configure__default", "configure")
    );
    let set =
        ex.run(Command::lines("set interfaces ge-0/0/1 description uplink", CONFIGURE), T).unwrap();
    assert_eq!(set, ["", "[edit]"], "nothing said; `[edit]` above the prompt");
    assert_eq!(
        run("commit", CONFIGURE),
        ["configuration check succeeds", "commit complete", "", "[edit]"]
    );
    assert_eq!(run("frobnicate", CONFIGURE), ["              ^", "unknown command.", "", "[edit]"]);
    assert_eq!(
        run("exit", CLI),
        between_echo_and_prompt("juniper", "exit_configure__default", "exit")
    );
    run("configure", CONFIGURE);
    assert_eq!(run("exit configuration-mode", CLI), ["Exiting configuration mode"]);
    // `exit` in operational mode ends the session, and ssh with it.
    let err = ex.run(Command::lines("exit", CLI), T).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err}");
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[test]
fn a_device_hops_over_openssh_into_the_juniper_cli_and_back() {
    let file = readable_copy("juniper_ex.yml", "junos-hop");
    let Some(sshd) = Sshd::require_sim(Path::new(SIM), &file) else { return };
    let user = sshd.sim_user().unwrap();
    let known_hosts = file.parent().unwrap().join("known_hosts");
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=ask -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1",
        known_hosts.display()
    );
    // As Moler's JuniperEX device reaches its CLI: ssh, no shell settings sent.
    let yaml = format!(
        r#"
DEVICES:
  EX:
    DEVICE_CLASS: moler.device.unixremote.UnixRemote
    INITIAL_STATE: UNIX_LOCAL
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            port: {port}
            login: {login}
            password: {password}
            expected_prompt: '{CLI}'
            set_timeout: null
            options: {options}
"#,
        port = sshd.port(),
        login = user.name,
        password = quote(&user.password),
        options = quote(&options),
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let ex = devices.get("EX").unwrap();
    ex.goto_state("UNIX_REMOTE").unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    let uptime = ex.observe(Command::lines("show system uptime", CLI)).unwrap().run().unwrap();
    assert!(uptime.iter().any(|l| l.contains("up 28 days")), "{uptime:?}");
    ex.goto_state("UNIX_LOCAL").unwrap();
    assert_eq!(ex.state(), "UNIX_LOCAL");
    devices.remove_all();
}

// --- ATEN PDU and SCPI instrument over telnet ---------------------------------------------------

const TELNET: &str = "/usr/bin/telnet";

/// A bash with the `telnet` client logged in to `port` by moler's `telnet` command (None: no
/// client here, skipped loudly).
fn telnet_in(
    port: u16,
    expected_prompt: &str,
    login: Option<(&str, &str)>,
) -> Option<ConnectionHandle> {
    if !Path::new(TELNET).exists() {
        moler_testkit::skip(
            "the telnet devices' tests",
            "no telnet client (scripts/test.sh installs it as root)",
        );
        return None;
    }
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let shell = moler::local_shell_on(&runner, &TerminalOptions::default()).unwrap();
    // As Moler's PduAten and Scpi devices configure their telnet hop: no settings sent, and
    // no Enter at connection (the device shows its dialog or prompt by itself).
    let mut telnet = Telnet::new("127.0.0.1", port, expected_prompt)
        .with("set_timeout", Value::Null)
        .unwrap()
        .with("send_enter_after_connection", false)
        .unwrap();
    if let Some((user, password)) = login {
        telnet = telnet.with("login", user).unwrap().with("password", password).unwrap();
    }
    shell.run(telnet.command_with_prompt(LOCAL_PROMPT), T).unwrap();
    Some(shell)
}

const PDU: &str = "^>$";

#[test]
fn aten_pdu_over_telnet_switches_outlets_and_answers_as_molers_cases() {
    let listener = Listener::bind("127.0.0.1:0", device("pdu_aten.yml"), Protocol::Telnet).unwrap();
    let Some(pdu) = telnet_in(listener.addr().port(), PDU, Some(("teladmin", "telpwd"))) else {
        return;
    };
    // Moler's PDU commands fail on the device's refusals.
    let run = |command: &str| {
        pdu.run(Command::lines(command, PDU).failure("Not Support|Invalid command"), T).unwrap()
    };
    let case = |case: &str, command: &str| {
        assert_eq!(run(command), between_echo_and_prompt("pdu_aten", case, command), "{case}");
    };
    case("read_status__simple", "read status o01");
    case("read_status__default", "read status o01 format");
    case("read_meter__default", "read meter dev volt");
    case("read_meter__simple", "read meter olt o01 volt simple");
    assert_eq!(run("read meter olt o01 curr simple"), [" 0.52", ""]);
    // Switching o01 off: read status and its current say so, until it is on again.
    case("sw__off", "sw o01 off imme");
    assert_eq!(run("read status o01 simple"), ["off", ""]);
    assert_eq!(run("read status o01 format"), [" Outlet 01 off", ""]);
    assert_eq!(run("read meter olt o01 curr simple"), [" 0.00", ""]);
    assert_eq!(run("read status o02 format"), [" Outlet 02 on", ""], "the others stay on");
    case("sw__on", "sw o01 on");
    case("read_status__simple", "read status o01");
    assert_eq!(run("sw o01 off imme"), [" Outlet<01> command is setting", ""]);
    case("sw__reboot", "sw o01 reboot");
    assert_eq!(run("read status o01"), ["on", ""], "back on after a reboot");
    assert_eq!(run("sw o01 off delay"), [" Outlet<01> command is setting", ""]);
    assert_eq!(run("sw o01 on imme"), [" Outlet<01> command is setting", ""]);
    case("read_status__default", "read status o01 format");
    let err = pdu.run(Command::lines("frobnicate", PDU).failure("Invalid command"), T).unwrap_err();
    assert!(err.to_string().contains("Invalid command"), "{err}");
    let err =
        pdu.run(Command::lines("sw o01 sideways", PDU).failure("Not Support"), T).unwrap_err();
    assert!(err.to_string().contains("Not Support"), "{err}");
    // `quit`: the PDU says goodbye and hangs up; the telnet client says so, bash is back.
    let quit = pdu.run(Command::lines("quit", LOCAL_PROMPT), T).unwrap();
    assert_eq!(quit, between_echo_and_prompt("pdu_aten", "quit__default", "quit"));
}

const SCPI: &str = "^SCPI>$";

#[test]
fn scpi_instrument_over_telnet_answers_as_molers_cases_and_queues_errors() {
    let listener = Listener::bind("127.0.0.1:0", device("scpi.yml"), Protocol::Telnet).unwrap();
    let Some(scpi) = telnet_in(listener.addr().port(), SCPI, None) else { return };
    let run =
        |command: &str| scpi.run(Command::lines(command, SCPI).ret_required(false), T).unwrap();
    for (case, command) in [
        ("idn__default", "*idn?"),
        ("read__default", "READ?"),
        ("run_command__abs", "INP1:LEV1:ABS 1V"),
        ("run_command__conf", "CONF:FREQ 1, (@1)"),
    ] {
        assert_eq!(run(command), between_echo_and_prompt("scpi", case, command), "{case}");
    }
    assert_eq!(run("*IDN?"), ["Agilent Technologies,N9020A,MY53420262,A.13.15"]);
    assert_eq!(run("MEAS:VOLT:DC?"), ["+2.31458201E+000"]);
    assert_eq!(run("measure:voltage:dc?"), ["+2.31458201E+000"], "long form, any case");
    assert_eq!(run("MEAS:FREQ?"), ["+1.00000187E+003"]);
    // An unknown command prints nothing; the error waits in the queue until read.
    assert_eq!(run("SYST:ERR?"), [r#"+0,"No error""#]);
    assert!(run("FROB:NICATE 3").is_empty());
    assert_eq!(run("READ?"), ["+8.59803192358089E-005"], "the queue does not stop it");
    assert_eq!(run("SYST:ERR?"), [r#"-113,"Undefined header""#]);
    assert_eq!(run("SYST:ERR?"), [r#"+0,"No error""#]);
    assert!(run("FROB:NICATE 3").is_empty());
    assert!(run("*CLS").is_empty());
    assert_eq!(run("SYSTem:ERRor?"), [r#"+0,"No error""#]);
}

// --- AT modem on a serial line ------------------------------------------------------------------

/// A process that dies with the test.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn at_modem_behind_socat_on_a_pty_pair_answers_as_molers_cases() {
    if !Path::new("/usr/bin/socat").exists() {
        moler_testkit::skip("the AT modem test", "no socat (scripts/test.sh installs it as root)");
        return;
    }
    let dir = moler_testkit::TempDir::new("sim-modem");
    let tty = dir.join("ttyUSB0");
    let _ = std::fs::remove_file(&tty);
    let modem = device_file("at_modem.yml");
    let _socat = Reaped(
        std::process::Command::new("/usr/bin/socat")
            .arg(format!("pty,raw,echo=0,link={}", tty.display()))
            .arg(format!("exec:{SIM} {},pty,raw,echo=0,setsid,ctty", modem.display()))
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + T;
    while !tty.exists() {
        assert!(Instant::now() < deadline, "socat made no pty");
        // Test support: socat says nothing when its pty is there.
        std::thread::sleep(Duration::from_millis(10));
    }
    // moler on the line, through a process that copies the tty both ways. A modem prints
    // nothing until asked.
    let options = ProcessOptions::new(
        "/usr/bin/socat",
        ["-".to_owned(), format!("{},raw,echo=0", tty.display())],
    );
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let at = runner.spawn("modem", process::spawn(&options).unwrap()).unwrap();
    // No prompt: a command ends with its final `OK`.
    let run =
        |command: &str| at.run(Command::lines(command, "^OK$").ret_required(false), T).unwrap();
    let case = |case: &str, command: &str| {
        let mut want = between_echo_and_prompt("at", case, command);
        // The last line of an AT case is the empty one after `OK` (or after the answer, for
        // the few cases that end without it; the modem says `OK` there too).
        assert_eq!(reference("at", case, command).last().unwrap(), "", "{case}");
        if want.last().is_some_and(|l| l == "OK") {
            want.pop();
        }
        assert_eq!(run(command), want, "{case}");
    };
    case("at__ver_execute", "AT");
    case("enable_echo__ver_execute", "ATE1");
    case("get_imsi__ver_execute", "AT+CIMI");
    case("get_imei__ver_default", "AT+CGSN");
    case("get_imei__ver_imei", "AT+CGSN=1");
    case("get_manufacturer_id__ver_execute", "AT+CGMI");
    case("get_revision_id__ver_execute", "AT+CGMR");
    case("get_product_info__nokia", "ATI");
    case("get_apns__ip", "AT+CGDCONT?");
    case("get_functionality_level__fun_level", "AT+CFUN?");
    case("set_functionality_level__default_parameters", "AT+CFUN=1");
    case("set_apn__default_parameter", r#"AT+CGDCONT=1,"IPV4V6","5gkrk""#);
    case("set_apn__all_parameter", r#"AT+CGDCONT=4,"IP","5gkrk""#);
    case("set_functionality_level__all_parameters", "AT+CFUN=1,1");
    // Registration (the first case of each; the others are other network states).
    case("get_cell_id__cell_id_v1", "AT+CREG?");
    case("get_cell_id_gprs__cell_id_gprs_v1", "AT+CGREG?");
    case("get_cell_id_lte__cell_id_lte_v1", "AT+CEREG?");
    case("get_cell_id_nr__cell_id_nr_v1_1", "AT+C5GREG?");
    case("set_cell_id__cell_on_with_data", "AT+CREG=2");
    case("set_cell_id__cell_off", "AT+CREG=0");
    case("set_cell_id_gprs__gprs_off", "AT+CGREG=0");
    case("set_cell_id_gprs__gprs_on_with_data", "AT+CGREG=2");
    case("set_cell_id_lte__lte_off", "AT+CEREG=0");
    case("set_cell_id_lte__lte_on_with_data", "AT+CEREG=2");
    case("set_cell_id_nr__nr_off", "AT+C5GREG=0");
    case("set_cell_id_nr__nr_on_with_data", "AT+C5GREG=2");
    case("set_mode__automatic_lower", "AT+COPS=0");
    case("set_mode__lte_upper", "AT+COPS=0,0,0,7");
    case("set_mode__nsa_upper", "AT+COPS=0,0,0,13");
    case("create_pdu_session__ver_execute", "AT$QCRMCALL=1,1");
    case("release_pdu_session__ver_execute", "AT$QCRMCALL=0,1");
    // Detached at power-on; attached after AT+CGATT=1, with an address; detached again.
    case("get_attach_state__ver_detached", "AT+CGATT?");
    case("get_ip__no_ip", "AT+CGPADDR=1");
    case("attach__ver_execute", "AT+CGATT=1");
    case("get_attach_state__ver_attached", "AT+CGATT?");
    case("get_ip__ip", "AT+CGPADDR=1");
    case("detach__ver_execute", "AT+CGATT=0");
    case("get_attach_state__ver_detached", "AT+CGATT?");
    assert_eq!(run("AT+COPS?"), [r#"+COPS: 0,0,"TEST PLMN 001-01",7"#, ""]);
    // What the modem does not know: ERROR instead of OK.
    let unknown = at.run(Command::lines("AT+FROB", "^ERROR$").ret_required(false), T).unwrap();
    assert!(unknown.is_empty(), "{unknown:?}");
    // ATE0 (itself still echoed) turns echo off until ATE1; the attach state stays.
    run("ATE0");
    let quiet = |command: &str| {
        at.run(Command::lines(command, "^OK$").ret_required(false).expect_echo(false), T).unwrap()
    };
    assert_eq!(quiet("AT+CIMI"), ["440801200189934"]);
    assert_eq!(quiet("AT+CGATT=1"), Vec::<String>::new());
    assert_eq!(quiet("AT+CGATT?"), ["+CGATT: 1"]);
    assert_eq!(quiet("ATE1"), Vec::<String>::new());
    case("get_attach_state__ver_attached", "AT+CGATT?");
}

// --- adb shell on stdio -------------------------------------------------------------------------

const ADB: &str = r"^shell@adbhost:/ \$ $";

#[test]
fn adb_shell_behind_an_adb_that_runs_the_simulator_answers_as_molers_cases() {
    // `adb [-s SERIAL] shell` opens the device's shell on the terminal: here the simulator.
    let dir = moler_testkit::TempDir::new("sim-adb");
    let adb = dir.join("adb");
    std::fs::write(
        &adb,
        format!(
            "#!/bin/sh\n\
             case \"$*\" in\n\
             \x20 shell|\"-s f57e6b77 shell\") exec {SIM} {} ;;\n\
             \x20 *) echo \"adb (test): only 'adb [-s f57e6b77] shell'\" >&2; exit 1 ;;\n\
             esac\n",
            device_file("adb_shell.yml").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&adb, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let shell = moler::local_shell_on(&runner, &TerminalOptions::default()).unwrap();
    let run = |command: &str, prompt: &str| {
        shell.run(Command::lines(command, prompt).ret_required(false), T).unwrap()
    };
    run(&format!("export PATH={}:$PATH", dir.display()), LOCAL_PROMPT);

    let case = |case: &str, command: &str| {
        assert_eq!(run(command, ADB), between_echo_and_prompt("adb", case, command), "{case}");
    };
    case("adb_shell__one_device", "adb shell");
    assert_eq!(run("getprop ro.product.model", ADB), ["Pixel 4a"]);
    let packages = run("pm list packages", ADB);
    assert!(packages.iter().all(|p| p.starts_with("package:")), "{packages:?}");
    assert!(packages.iter().any(|p| p == "package:com.android.settings"), "{packages:?}");
    // Android's shell saying it has no such program fails the command, with its words.
    let unknown = shell.run(Command::lines("frobnicate", ADB).ret_required(false), T);
    assert!(
        matches!(&unknown, Err(moler::Error::CommandFailure { line, .. })
            if line == "/system/bin/sh: frobnicate: not found"),
        "{unknown:?}"
    );
    run("su", r"^root@adbhost:/ # $");
    assert_eq!(run("whoami", r"^root@adbhost:/ # $"), ["root"]);
    run("exit", ADB);
    // `exit` ends the shell, and so adb: bash is back.
    assert!(run("exit", LOCAL_PROMPT).is_empty());

    case("adb_shell__selected_device", "adb -s f57e6b77 shell");
    run("exit", LOCAL_PROMPT);

    // Moler's prompt from the serial number: `export PS1=…` at the first prompt.
    let lines =
        reference("adb", "adb_shell__serial_number_generated_prompt", "adb -s f57e6b77 shell");
    let export = lines[2].strip_prefix("shell@adbhost:/ $ ").unwrap();
    let prompt = lines.last().unwrap();
    assert_eq!(prompt, "adb_shell@f57e6b77 $ ");
    run("adb -s f57e6b77 shell", ADB);
    assert!(run(export, r"^adb_shell@f57e6b77 \$ $").is_empty());
    assert_eq!(run("getprop ro.serialno", r"^adb_shell@f57e6b77 \$ $"), ["f57e6b77"]);
    run("exit", LOCAL_PROMPT);
}
