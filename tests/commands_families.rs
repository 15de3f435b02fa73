//! The other families' commands (adb, juniper, pdu_aten, scpi) run for real against moler-sim's
//! ready-made devices: the Juniper EX switch on a TCP listener (moler's TCP transport), the ATEN
//! PDU and the SCPI instrument on the simulator's telnet listener, reached by Debian's `telnet`
//! client from a real bash in a pty (as the lab reaches them; moler-sim's own tests do the
//! same), and the Android shell behind an `adb` that, in that bash's terminal, is a TCP client
//! (`socat`) of the simulator's listener.
//! Typed commands and the registry's JSON path (qualified names, as configs use) both run, and
//! the parsed values are checked; the refusals of each device fail the command that caused them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use moler::commands::adb::AdbShell;
use moler::commands::juniper::{Configure, ExitConfigure};
use moler::commands::pdu_aten::{ExitTelnet, Quit, ReadMeter, ReadStatus, Sw};
use moler::commands::scpi::{Idn, Read, RunCommand};
use moler::commands::unix::Telnet;
use moler::prelude::*;
use moler_io::tcp::{self, TcpOptions};
use moler_io::terminal::TerminalOptions;
use moler_io::Greeting;
use moler_sim::{Device, Listener, Protocol};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(20);
const TELNET: &str = "/usr/bin/telnet";
const SOCAT: &str = "/usr/bin/socat";

fn device_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("moler-sim/devices").join(name)
}

fn device(name: &str) -> Arc<Device> {
    Arc::new(Device::from_file(device_file(name)).unwrap())
}

/// Runs the registry's command `name` with `params` in a shell whose prompt is `prompt`.
fn by_name(
    conn: &ConnectionHandle,
    name: &str,
    params: Value,
    prompt: &str,
) -> moler::Result<Value> {
    let cmd = Registry::default().command_for_prompt(name, &params, Some(prompt)).unwrap();
    conn.run(cmd, T)
}

// --- Juniper EX over TCP ------------------------------------------------------------------------

const CLI: &str = "^admin@switch> $";
const CONFIGURE: &str = "^admin@switch# $";

#[test]
fn juniper_configure_and_exit_configure_over_tcp() {
    let listener = Listener::bind("127.0.0.1:0", device("juniper_ex.yml"), Protocol::Raw).unwrap();
    let options = TcpOptions {
        greeting: Some(Greeting {
            marker: "admin@switch> ".into(),
            prompt: "admin@switch> ".into(),
            timeout: T,
        }),
        ..Default::default()
    };
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let ex = runner
        .spawn("ex", tcp::connect("127.0.0.1", listener.addr().port(), &options).unwrap())
        .unwrap();
    let lines = |command: &str, prompt: &str| ex.run(Command::lines(command, prompt), T).unwrap();

    // Typed, then by name; each move is proven by the next command's prompt.
    ex.run(Configure::new().expected_prompt(CONFIGURE).command_with_prompt(CLI), T).unwrap();
    let commit = lines("commit", CONFIGURE);
    assert!(commit.iter().any(|l| l == "commit complete"), "{commit:?}");
    ex.run(ExitConfigure::new().expected_prompt(CLI).command_with_prompt(CONFIGURE), T).unwrap();
    assert!(lines("show version", CLI).iter().any(|l| l == "Model: ex2300-24t"));
    let done = by_name(&ex, "juniper.configure", json!({"expected_prompt": CONFIGURE}), CLI);
    assert_eq!(done.unwrap(), json!({}));
    let done = by_name(&ex, "exit_configure", json!({"expected_prompt": CLI}), CONFIGURE);
    assert_eq!(done.unwrap(), json!({}), "the short name is unambiguous");
    assert!(lines("show system uptime", CLI).iter().any(|l| l.contains("up 28 days")));

    assert!(lines("show version", CLI).iter().any(|l| l == "Hostname: switch"));
}

// --- ATEN PDU and SCPI instrument over telnet ---------------------------------------------------

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
    log_in(&shell, port, expected_prompt, login);
    Some(shell)
}

/// Moler's PduAten and Scpi devices' telnet hop: no settings, no Enter at connection.
fn log_in(shell: &ConnectionHandle, port: u16, expected_prompt: &str, login: Option<(&str, &str)>) {
    let mut telnet = Telnet::new("127.0.0.1", port, expected_prompt)
        .with("set_timeout", Value::Null)
        .unwrap()
        .with("send_enter_after_connection", false)
        .unwrap();
    if let Some((user, password)) = login {
        telnet = telnet.with("login", user).unwrap().with("password", password).unwrap();
    }
    shell.run(telnet.command_with_prompt(LOCAL_PROMPT), T).unwrap();
}

const PDU: &str = "^>$";
const PDU_LOGIN: Option<(&str, &str)> = Some(("teladmin", "telpwd"));

#[test]
fn aten_pdu_commands_over_telnet_switch_and_read_outlets() {
    let listener = Listener::bind("127.0.0.1:0", device("pdu_aten.yml"), Protocol::Telnet).unwrap();
    let port = listener.addr().port();
    let Some(pdu) = telnet_in(port, PDU, PDU_LOGIN) else { return };
    let status = |outlet: &str| pdu.run(ReadStatus::new(outlet).command_with_prompt(PDU), T);

    let on = status("o01").unwrap();
    assert_eq!((on.status.as_str(), on.outlet.len()), ("on", 0));
    let formatted = by_name(
        &pdu,
        "pdu_aten.read_status",
        json!({"outlet": "o02", "output_format": "format"}),
        PDU,
    );
    assert_eq!(formatted.unwrap(), json!({"STATUS": "on", "OUTLET": {"02": "on"}}));
    let volts = pdu.run(ReadMeter::new("dev", "volt").command_with_prompt(PDU), T).unwrap();
    assert_eq!((volts.kind.as_str(), volts.value_raw.as_str()), ("V", "233.03"));
    assert_eq!(volts.value.as_f64(), Some(233.03));
    let amps = by_name(
        &pdu,
        "read_meter",
        json!({"target": "olt", "outlet": "o01", "measurement": "curr", "output_format": "simple"}),
        PDU,
    );
    assert_eq!(amps.unwrap(), json!({"TYPE": "", "VALUE_RAW": "0.52", "VALUE": 0.52}));

    // Off: status and current say so; then on again.
    pdu.run(Sw::new("o01", "off").option("imme").command_with_prompt(PDU), T).unwrap();
    assert_eq!(status("o01").unwrap().status, "off");
    let off =
        pdu.run(ReadMeter::new("olt", "curr").outlet("o01").command_with_prompt(PDU), T).unwrap();
    assert_eq!((off.kind.as_str(), off.value.as_f64()), ("A", Some(0.0)));
    let done = by_name(&pdu, "pdu_aten.sw", json!({"outlet": "o01", "control": "on"}), PDU);
    assert_eq!(done.unwrap(), json!({}));
    assert_eq!(status("o01").unwrap().status, "on");

    // The PDU's refusals fail the command, and the PDU stays usable.
    let err = pdu.run(Sw::new("o01", "sideways").command_with_prompt(PDU), T).unwrap_err();
    assert!(err.to_string().contains("Not Support"), "{err}");
    let err = status("o42").unwrap_err();
    assert!(err.to_string().contains("Not Support"), "{err}");
    let err = Registry::default()
        .command_for_prompt("pdu_aten.read_meter", &json!({"target": "dev"}), Some(PDU))
        .err()
        .expect("a missing parameter");
    assert!(err.to_string().contains("parameter `measurement` is required"), "{err}");

    // Out through the telnet client's escape: Ctrl-], `q`, bash's prompt.
    let out = by_name(&pdu, "pdu_aten.exit_telnet", json!({"expected_prompt": LOCAL_PROMPT}), PDU);
    assert_eq!(out.unwrap(), json!({}));
    let echo = pdu.run(Command::lines("echo back in bash", LOCAL_PROMPT), T).unwrap();
    assert_eq!(echo, ["back in bash"]);

    // In again, and out by the PDU's own `quit`: it hangs up, telnet ends.
    log_in(&pdu, port, PDU, PDU_LOGIN);
    assert_eq!(status("o01").unwrap().status, "on");
    pdu.run(Quit::new().expected_prompt(LOCAL_PROMPT).command_with_prompt(PDU), T).unwrap();
    let echo = pdu.run(Command::lines("echo back again", LOCAL_PROMPT), T).unwrap();
    assert_eq!(echo, ["back again"]);
}

const SCPI: &str = "^SCPI>$";

#[test]
fn scpi_commands_over_telnet_read_the_instrument() {
    let listener = Listener::bind("127.0.0.1:0", device("scpi.yml"), Protocol::Telnet).unwrap();
    let Some(scpi) = telnet_in(listener.addr().port(), SCPI, None) else { return };

    let idn = scpi.run(Idn::new().command_with_prompt(SCPI), T).unwrap();
    assert_eq!(idn.raw_output, ["Agilent Technologies,N9020A,MY53420262,A.13.15"]);
    let read = scpi.run(Read::new().command_with_prompt(SCPI), T).unwrap();
    assert_eq!(
        (read.value_raw.as_str(), read.value_float),
        ("+8.59803192358089E-005", 8.59803192358089e-5)
    );
    let read = by_name(&scpi, "scpi.read", json!({}), SCPI).unwrap();
    assert_eq!(read["VALUE_FLOAT"], json!(8.59803192358089e-5));
    let idn = by_name(&scpi, "idn", json!({}), SCPI).unwrap();
    assert_eq!(idn["RAW_OUTPUT"][0], "Agilent Technologies,N9020A,MY53420262,A.13.15");

    let conf = by_name(&scpi, "scpi.run_command", json!({"command": "CONF:FREQ 1, (@1)"}), SCPI);
    assert_eq!(conf.unwrap(), json!({}));
    scpi.run(RunCommand::new("INP1:LEV1:ABS 1V").command_with_prompt(SCPI), T).unwrap();
    // An unknown command prints nothing; the queued error fails a query whose error_regex
    // says what an error looks like.
    scpi.run(RunCommand::new("FROB:NICATE 3").command_with_prompt(SCPI), T).unwrap();
    let syst_err = RunCommand::new("SYST:ERR?").error_regex(Some(r"^-\d+,"));
    let err = scpi.run(syst_err.command_with_prompt(SCPI), T).unwrap_err();
    assert!(err.to_string().contains(r#"-113,"Undefined header""#), "{err}");
    scpi.run(syst_err.command_with_prompt(SCPI), T).unwrap();

    let out =
        scpi.run(ExitTelnet::new().expected_prompt(LOCAL_PROMPT).command_with_prompt(SCPI), T);
    out.unwrap();
    let echo = scpi.run(Command::lines("echo back in bash", LOCAL_PROMPT), T).unwrap();
    assert_eq!(echo, ["back in bash"]);
}

// --- adb shell ----------------------------------------------------------------------------------

const ADB: &str = r"^shell@adbhost:/ \$ $";

#[test]
fn adb_shell_enters_the_android_shell_behind_adb() {
    if !Path::new(SOCAT).exists() {
        moler_testkit::skip("the adb test", "no socat (scripts/test.sh installs it as root)");
        return;
    }
    // `adb [-s SERIAL] shell` opens the device's shell on the terminal: here a TCP client of
    // the simulated device (raw, no echo of its own: the device echoes).
    let listener = Listener::bind("127.0.0.1:0", device("adb_shell.yml"), Protocol::Raw).unwrap();
    let dir = moler_testkit::TempDir::new("families-adb");
    let adb = dir.join("adb");
    std::fs::write(
        &adb,
        format!(
            "#!/bin/sh\n\
             case \"$*\" in\n\
             \x20 shell|\"-s f57e6b77 shell\") exec {SOCAT} -,raw,echo=0 TCP:127.0.0.1:{} ;;\n\
             \x20 \"-s \"*) echo \"error: device '$2' not found\" >&2; exit 1 ;;\n\
             \x20 *) echo \"adb (test): only 'adb [-s SERIAL] shell'\" >&2; exit 1 ;;\n\
             esac\n",
            listener.addr().port()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&adb, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let shell = moler::local_shell_on(&runner, &TerminalOptions::default()).unwrap();
    let lines = |command: &str, prompt: &str| {
        shell.run(Command::lines(command, prompt).ret_required(false), T).unwrap()
    };
    lines(&format!("export PATH={}:$PATH", dir.display()), LOCAL_PROMPT);

    shell.run(AdbShell::new().expected_prompt(ADB).command_with_prompt(LOCAL_PROMPT), T).unwrap();
    assert_eq!(lines("getprop ro.product.model", ADB), ["Pixel 4a"]);
    lines("exit", LOCAL_PROMPT);

    // Moler's prompt from the serial number: `export PS1=…` sent at the first prompt.
    let params = json!({"serial_number": "f57e6b77", "prompt_from_serial_number": true});
    assert_eq!(by_name(&shell, "adb.adb_shell", params, LOCAL_PROMPT).unwrap(), json!({}));
    assert_eq!(lines("getprop ro.serialno", r"^adb_shell@f57e6b77 \$ $"), ["f57e6b77"]);
    lines("exit", LOCAL_PROMPT);

    // A device adb does not know: adb's `error:` fails the command once bash is back.
    let missing = AdbShell::new().serial_number("0badc0de").expected_prompt(ADB);
    let err = shell.run(missing.command_with_prompt(LOCAL_PROMPT), T).unwrap_err();
    assert!(err.to_string().contains("error: device '0badc0de' not found"), "{err}");
    assert_eq!(lines("echo still bash", LOCAL_PROMPT), ["still bash"]);
}
