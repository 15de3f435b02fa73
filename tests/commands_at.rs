//! The AT family through real transports against the simulated modem
//! (`moler-sim/devices/at_modem.yml`): over TCP to the simulator, typed and by name; and as in
//! the lab, from a real bash through Debian's `cu` on a serial line (a pty pair made by
//! `socat`, whose far end is the simulator). Results are checked against what the modem was
//! made to say, and the modem's `+CME ERROR` fails the command that got it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use moler::commands::at::*;
use moler::commands::{Registry, UnixCommand};
use moler::prelude::*;
use moler_io::tcp::{self, TcpOptions};
use moler_sim::{Device, Listener, Protocol};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(20);
const MODEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/moler-sim/devices/at_modem.yml");

/// The simulated modem on a TCP port of 127.0.0.1.
fn modem() -> Listener {
    let device = Arc::new(Device::from_file(MODEM).expect("the modem's description loads"));
    Listener::bind("127.0.0.1:0", device, Protocol::Raw).unwrap()
}

fn by_name(line: &ConnectionHandle, name: &str, params: Value) -> moler::Result<Value> {
    line.run(Registry::default().command(name, &params).unwrap(), T)
}

/// Runs the representative set on a connection to the modem, wherever it is (straight over
/// TCP, or behind cu). The modem starts detached and leaves detached.
fn representative_set(line: &ConnectionHandle) {
    line.run(At::new().command(), T).unwrap();
    line.run(EnableEcho::new().command(), T).unwrap();
    assert_eq!(line.run(GetImsi::new().command(), T).unwrap().imsi, "440801200189934");
    let imei = line.run(GetImei::new().command(), T).unwrap();
    assert_eq!(imei.imei.as_deref(), Some("490154203237518"));
    let imei = line.run(GetImei::new().sn_type("imei").command(), T).unwrap();
    assert_eq!(
        (imei.tac.as_deref(), imei.snr.as_deref(), imei.cd.as_deref()),
        (Some("49015420"), Some("323751"), Some("8"))
    );
    let maker = line.run(GetManufacturerId::new().command(), T).unwrap();
    assert_eq!(maker.manufacturer, "QUALCOMM INCORPORATED");

    // Attach changes what the modem says: state, then an address.
    assert_eq!(line.run(GetAttachState::new().command(), T).unwrap().state, "detached");
    assert_eq!(line.run(GetIp::new(1).command(), T).unwrap().ip, "0.0.0.0");
    line.run(Attach::new().command(), T).unwrap();
    assert_eq!(line.run(GetAttachState::new().command(), T).unwrap().state, "attached");
    assert_eq!(line.run(GetIp::new(1).command(), T).unwrap().ip, "40.1.1.105");

    // APNs: the modem answers OK only to a well-formed line.
    line.run(SetApn::new("internet").command(), T).unwrap();
    line.run(SetApn::new("\"ims\"").context_identifier(2).pdp_type("IPV6").command(), T).unwrap();
    let apns = line.run(GetApns::new().command(), T).unwrap();
    assert_eq!(apns.len(), 4);
    assert_eq!((apns[3].apn_num.as_str(), apns[3].apn_name.as_str()), ("4", "site.server.com"));

    // The modem's +CME ERROR fails the command, which quotes it; the line stays usable.
    let err = line.run(SetApn::new("internet").context_identifier(16).command(), T).unwrap_err();
    assert!(
        matches!(&err, moler::Error::CommandFailure { line, .. } if line == "+CME ERROR: 50"),
        "{err}"
    );
    let err = by_name(line, "at.get_ip", json!({"context_identifier": "99"})).unwrap_err();
    assert_eq!(err.to_string(), "command 'AT+CGPADDR=99' failed: +CME ERROR: 50");
    // A line the modem does not know: ERROR.
    let err = by_name(line, "at.run_script", json!({"script_command": "AT+FROB"})).unwrap_err();
    assert!(err.to_string().contains("AT+FROB"), "{err}");

    // By name, with Moler's result shapes.
    let info = by_name(line, "at.get_product_info", json!({})).unwrap();
    assert_eq!((&info["Model"], &info["IMEI"]), (&json!("334"), &json!("353139110019915")));
    let lte = by_name(line, "get_cell_id_lte", json!({})).unwrap();
    assert_eq!(lte, json!({"raw_output": "1,11", "n": "1", "stat": "11"}));
    let cells = by_name(line, "at.fibocom_get_cell_info", json!({})).unwrap();
    assert_eq!(cells["cells"].as_array().map(Vec::len), Some(3));
    assert_eq!(cells["cells"][0]["technology"], "LTE");
    assert_eq!(by_name(line, "at.set_mode", json!({"selected_mode": "LTE"})).unwrap(), json!({}));
    let fun = json!({"fun_level": 1, "rst": 0});
    assert_eq!(by_name(line, "at.set_functionality_level", fun).unwrap(), json!({}));
    let level = line.run(GetFunctionalityLevel::new().command(), T).unwrap();
    assert_eq!(level.functionality_level, "1");

    line.run(Detach::new().command(), T).unwrap();
    assert_eq!(line.run(GetAttachState::new().command(), T).unwrap().state, "detached");
}

#[test]
fn at_commands_run_over_tcp_against_the_simulated_modem() {
    let listener = modem();
    let runner = Runner::new(RunnerKind::Thread).unwrap();
    let transport = tcp::connect("127.0.0.1", listener.addr().port(), &TcpOptions::default());
    let line = runner.spawn("modem", transport.unwrap()).unwrap();
    representative_set(&line);
    line.close();
}

/// A process that dies with the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A serial line whose far end is the simulated modem: a pty pair made by socat, one end linked
/// at `/dev/ttyS<name>` (where cu looks), the other end copied to the simulator over TCP.
struct SerialLine {
    name: String,
    path: String,
    _socat: Reaped,
}

impl SerialLine {
    fn to(listener: &Listener) -> SerialLine {
        let name = format!("moler{}", std::process::id());
        let path = format!("/dev/ttyS{name}");
        let _ = std::fs::remove_file(&path);
        // cu run by root drops to the uucp user before it opens the line: the pty is theirs.
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let owner = if passwd.lines().any(|l| l.starts_with("uucp:")) { ",user=uucp" } else { "" };
        // `-d -d`: socat says when both ends are open (the pty linked, the TCP connected).
        let mut socat = std::process::Command::new("/usr/bin/socat")
            .args(["-d", "-d"])
            .arg(format!("pty,raw,echo=0,link={path}{owner}"))
            .arg(format!("tcp:127.0.0.1:{}", listener.addr().port()))
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = BufReader::new(socat.stderr.take().expect("piped"));
        let (ready, open) = mpsc::channel();
        // Reads socat's log to its end (a full pipe would stop socat).
        std::thread::spawn(move || {
            let mut said = Vec::new();
            for line in log.lines().map_while(Result::ok) {
                if line.contains("starting data transfer loop") {
                    let _ = ready.send(Ok(()));
                }
                said.push(line);
            }
            let _ = ready.send(Err(said.join("\n")));
        });
        let line = SerialLine { name, path, _socat: Reaped(socat) };
        match open.recv_timeout(T) {
            Ok(Ok(())) => {}
            Ok(Err(said)) => panic!("socat ended before the line was open:\n{said}"),
            Err(e) => panic!("socat did not open the line within {T:?}: {e}"),
        }
        assert!(Path::new(&line.path).exists(), "socat's pty is linked at {}", line.path);
        line
    }
}

impl Drop for SerialLine {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where cu from a real bash cannot run here, why (skips are loud, and CI forbids them).
fn cu_missing() -> Option<&'static str> {
    if !Path::new("/usr/bin/cu").exists() {
        return Some("no cu (package cu; scripts/test.sh installs it as root)");
    }
    if !Path::new("/usr/bin/socat").exists() {
        return Some("no socat (scripts/test.sh installs it as root)");
    }
    // The pty's link goes where cu looks for serial lines, /dev/ttyS*.
    let probe = format!("/dev/ttySmoler-probe-{}", std::process::id());
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(_) => Some("/dev is not writable here (cu opens /dev/ttyS<N>): run as root"),
    }
}

#[test]
fn cu_from_a_real_bash_reaches_the_modem_on_a_serial_line() {
    if let Some(why) = cu_missing() {
        moler_testkit::skip("cu over a pty pair to the simulated modem", why);
        return;
    }
    let listener = modem();
    let serial = SerialLine::to(&listener);
    let shell = local_shell().expect("bash starts");

    // A port that is not there: cu complains, bash is back, the hop has failed.
    let nope = Cu::new(format!("{}-nope", serial.name)).command_with_prompt(LOCAL_PROMPT);
    let err = shell.run(nope, T).unwrap_err();
    assert!(matches!(err, moler::Error::CommandFailure { .. }), "{err}");
    assert!(err.to_string().contains(&format!("/dev/ttyS{}-nope", serial.name)), "{err}");

    // The hop into AT_REMOTE: cu's `Connected.`, then the modem answers through cu.
    shell.run(Cu::new(serial.name.as_str()).command_with_prompt(LOCAL_PROMPT), T).unwrap();
    representative_set(&shell);

    // Back to bash with cu's escape (`-E '-'`: `-.` at the start of a line, which for cu is
    // after a carriage return).
    let leave = Command::new("-.", moler::Lines::default())
        .sends("\r-.", false)
        .expect_echo(false)
        .ret_required(false)
        .prompt(LOCAL_PROMPT);
    shell.run(leave, T).unwrap();
    let back = shell.run(Command::lines("echo back in bash", LOCAL_PROMPT), T).unwrap();
    assert_eq!(back, ["back in bash"]);
}
