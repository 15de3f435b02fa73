//! Moler's device families as data (moler-config/src/classes.yml), each made from a Moler-style
//! config and walked through every ordered pair of its states on every runner, against the
//! ready-made simulated devices over the transports the lab uses: the ATEN PDU and the SCPI
//! instrument behind Debian's `telnet` client in a real bash (the simulator's telnet
//! listener), the Juniper EX switch behind OpenSSH (the test sshd's simulator user). Where the
//! device believes it is is checked each time by a command that only that state answers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use moler::prelude::*;
use moler_sim::{Device as SimDevice, Listener, Protocol};
use moler_testkit::is_root;
use moler_testkit::sshd::Sshd;
use serde_json::json;

const T: Duration = Duration::from_secs(30);
const SIM: &str = env!("CARGO_BIN_EXE_moler-sim");
const DEVICES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/devices");

/// UNIX_LOCAL_ROOT as the tests reach it: `su` as root asks nothing; a prompt of its own.
/// (A hop from UNIX_LOCAL: it goes under that key, after the device's own.)
const LOCAL_ROOT_HOP: &str = "        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params:
            expected_prompt: '^moler_local_root# '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='moler_local_root# '\"
";

fn sim_device(name: &str) -> Arc<SimDevice> {
    Arc::new(SimDevice::from_file(Path::new(DEVICES).join(name)).unwrap())
}

/// The devices of `yaml` on the runner of `variant` (tokio on a runtime of the test's).
fn devices(yaml: &str, runtime: &tokio::runtime::Runtime) -> Devices {
    let loader = moler::config::Loader::new()
        .runner(moler::TokioRunner::with_handle(runtime.handle().clone()));
    let config = loader.from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    Devices::from_config(config).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// Lines of `line` run in the device's current state (ending on that state's prompt).
fn run(device: &Device, line: &str) -> Vec<String> {
    let prompt = device.prompt().unwrap().to_owned();
    let cmd = Command::lines(line, &prompt).ret_required(false);
    device.observe(cmd).unwrap().run_within(T).unwrap_or_else(|e| {
        panic!("`{line}` in {}: {e}", device.state());
    })
}

/// Walks every ordered pair of the device's states (each pair once, as consecutive stops of
/// one tour); after each arrival, `check` proves the state from what the device prints.
fn every_pair(device: &Device, check: impl Fn(&Device, &str)) {
    let states: Vec<&str> = device.states().to_vec();
    for target in moler_testkit::every_ordered_pair(&states) {
        device.goto_state(target).unwrap_or_else(|e| panic!("{} to {target}: {e}", device.name()));
        assert_eq!(device.state(), target);
        if target != "NOT_CONNECTED" {
            check(device, target);
        }
    }
}

/// The PDU state: by the family's name, as a Moler script asks (`read_status` is the PDU's).
fn check_pdu(device: &Device, variant: &str) {
    let status = device.cmd("read_status", json!({"outlet": "o01"})).unwrap().run().unwrap();
    assert_eq!(status["STATUS"], "on", "{variant}: {status}");
}

/// AT_REMOTE: only the simulated modem knows its IMSI.
fn check_modem(device: &Device, variant: &str) {
    let imsi = device.cmd("get_imsi", json!({})).unwrap().run_within(T).unwrap();
    assert_eq!(imsi["imsi"], "440801200189934", "{variant}: {imsi}");
}

/// The local states: each prompt is the state's own, so a command that ends proves it.
fn check_local(device: &Device, state: &str) -> bool {
    match state {
        "UNIX_LOCAL" | "UNIX_LOCAL_ROOT" => {
            assert_eq!(run(device, "whoami"), ["root"]);
            true
        }
        _ => false,
    }
}

fn telnet_and_root() -> bool {
    if !Path::new("/usr/bin/telnet").exists() {
        moler_testkit::skip(
            "the telnet families",
            "no telnet client (scripts/test.sh installs it)",
        );
        return false;
    }
    if !is_root() {
        moler_testkit::skip("the telnet families", "UNIX_LOCAL_ROOT through su needs root");
        return false;
    }
    true
}

/// A device of Moler's class `moler.device.<class>` (no proxy) whose telnet hop from the local
/// shell goes to the simulator on `port`, on the runner of `variant`.
fn telnet_device(name: &str, class: &str, state: &str, port: u16, variant: &str) -> String {
    format!(
        "DEVICES:
  {name}:
    DEVICE_CLASS: moler.device.{class}
    CONNECTION_DESC: {{io_type: terminal, variant: {variant}}}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        {state}:
          execute_command: telnet
          command_params: {{host: 127.0.0.1, port: {port}}}
{LOCAL_ROOT_HOP}"
    )
}

#[test]
fn pdu_aten_walks_every_pair_of_states_on_every_runner() {
    if !telnet_and_root() {
        return;
    }
    let listener =
        Listener::bind("127.0.0.1:0", sim_device("pdu_aten.yml"), Protocol::Telnet).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        // Moler's own example without a proxy: only the host is given (port added here).
        let yaml =
            telnet_device("PDU_1", "pdu_aten.PduAten", "PDU", listener.addr().port(), variant);
        let devices = devices(&yaml, &runtime);
        let pdu = devices.get("PDU_1").unwrap();
        assert_eq!(pdu.state(), "PDU", "Moler's initial state");
        assert_eq!(pdu.states(), ["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT", "PDU"]);
        assert_eq!(pdu.command_families("PDU"), ["pdu_aten"]);
        every_pair(&pdu, |d, state| {
            if !check_local(d, state) {
                check_pdu(d, variant);
            }
        });
        devices.remove_all();
    }
}

#[test]
fn scpi_walks_every_pair_of_states_on_every_runner() {
    if !telnet_and_root() {
        return;
    }
    let listener = Listener::bind("127.0.0.1:0", sim_device("scpi.yml"), Protocol::Telnet).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        let yaml = telnet_device("SCPI_1", "scpi.Scpi", "SCPI", listener.addr().port(), variant);
        let devices = devices(&yaml, &runtime);
        let scpi = devices.get("SCPI_1").unwrap();
        assert_eq!(scpi.state(), "SCPI");
        every_pair(&scpi, |d, state| {
            if !check_local(d, state) {
                let idn = d.cmd("idn", json!({})).unwrap().run().unwrap();
                assert!(idn.to_string().contains("N9020A"), "{variant}: {idn}");
            }
        });
        devices.remove_all();
    }
}

/// A copy of a device file the simulator user can read.
fn readable_copy(name: &str, tag: &str) -> moler_testkit::TempFile {
    let dir = moler_testkit::TempDir::new(&format!("families-{tag}"));
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let file = moler_testkit::TempFile::new(dir, name);
    std::fs::copy(Path::new(DEVICES).join(name), &file).unwrap();
    file
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[test]
fn juniper_ex_walks_every_pair_of_states_on_every_runner() {
    let file = readable_copy("juniper_ex.yml", "junos");
    let Some(sshd) = Sshd::require_sim(Path::new(SIM), &file) else { return };
    if !is_root() {
        moler_testkit::skip("JuniperEX's UNIX_LOCAL_ROOT", "su needs root");
        return;
    }
    let user = sshd.sim_user().unwrap();
    let known_hosts = file.parent().unwrap().join("known_hosts");
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=accept-new -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1",
        known_hosts.display()
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        // Moler's own example without a proxy: host, login and password.
        let yaml = format!(
            "DEVICES:
  JUNIPER_EX:
    DEVICE_CLASS: moler.device.juniper_ex.JuniperEX
    CONNECTION_DESC: {{io_type: terminal, variant: {variant}}}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        CLI:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            port: {port}
            login: {login}
            password: {password}
            options: {options}
{LOCAL_ROOT_HOP}",
            port = sshd.port(),
            login = user.name,
            password = quote(&user.password),
            options = quote(&options),
        );
        let devices = devices(&yaml, &runtime);
        let ex = devices.get("JUNIPER_EX").unwrap();
        assert_eq!(ex.state(), "CLI");
        assert_eq!(
            ex.states(),
            ["NOT_CONNECTED", "UNIX_LOCAL", "UNIX_LOCAL_ROOT", "CLI", "CONFIGURE"]
        );
        every_pair(&ex, |d, state| match state {
            "CLI" => assert!(run(d, "show version").iter().any(|l| l == "Hostname: switch")),
            "CONFIGURE" => assert!(run(d, "commit").iter().any(|l| l == "commit complete")),
            _ => assert!(check_local(d, state), "{state}"),
        });
        devices.remove_all();
    }
}

/// The test user's ssh login (OpenSSH in the local bash) and the hops every remote family
/// shares: UNIX_LOCAL -> UNIX_REMOTE, UNIX_LOCAL_ROOT, UNIX_REMOTE -> UNIX_REMOTE_ROOT (sudo).
fn remote_hops(sshd: &Sshd, known_hosts: &Path) -> String {
    let user = sshd.user();
    let options = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=accept-new -o PubkeyAuthentication=no \
         -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1",
        known_hosts.display()
    );
    format!(
        "      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params:
            host: 127.0.0.1
            port: {port}
            login: {login}
            password: {password}
            expected_prompt: '^moler_remote\\$ '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='moler_remote$ '\"
            options: {options}
{LOCAL_ROOT_HOP}      UNIX_REMOTE:
{root}",
        port = sshd.port(),
        login = user.name,
        password = quote(&user.password),
        options = quote(&options),
        root = sudo_hop(&user.password),
    )
}

/// UNIX_REMOTE -> UNIX_REMOTE_ROOT with sudo (the test user may, with its password), for
/// under a `UNIX_REMOTE:` key.
fn sudo_hop(password: &str) -> String {
    format!(
        "        UNIX_REMOTE_ROOT:
          execute_command: sudo
          command_params:
            password: {}
            sudo_params: -s
            expected_prompt: '^moler_remote_root# '
            prompt_after_login: '[$#>]\\s*$'
            set_prompt: \"export PS1='moler_remote_root# '\"
",
        quote(password)
    )
}

/// The remote states, each proved by what its shell answers (the local ones too).
fn check_remote(device: &Device, state: &str, user: &str) -> bool {
    match state {
        "UNIX_REMOTE" => assert_eq!(run(device, "whoami"), [user]),
        "UNIX_REMOTE_ROOT" => assert_eq!(run(device, "whoami"), ["root"]),
        _ => return check_local(device, state),
    }
    true
}

/// The phone's states: only the simulated phone knows its serial number and Android's `id`.
fn check_adb(device: &Device, state: &str) {
    assert_eq!(run(device, "getprop ro.serialno"), ["f57e6b77"], "{state}");
    let id = run(device, "id");
    let root = state == "ADB_SHELL_ROOT";
    assert_eq!(id[0].starts_with("uid=0(root)"), root, "{state}: {id:?}");
    assert_eq!(id[0].starts_with("uid=2000(shell)"), !root, "{state}: {id:?}");
}

/// An sshd whose sessions find `adb` (the test user's ~/bin/adb, from scripts/setup-sshd.sh)
/// serving the simulated phone.
fn adb_sshd(tag: &str) -> Option<(Sshd, moler_testkit::TempFile)> {
    let file = readable_copy("adb_shell.yml", tag);
    let extra = format!("SetEnv \"MOLER_SIM={SIM}\" \"MOLER_SIM_ADB={}\"", file.display());
    let sshd = Sshd::require_with(&[moler_testkit::sshd::HostKey::Ed25519], &extra)?;
    if !sshd.user().home.join("bin/adb").exists() {
        moler_testkit::skip(
            "AdbRemote",
            "no ~/bin/adb for the test user (scripts/setup-sshd.sh makes it)",
        );
        return None;
    }
    Some((sshd, file))
}

#[test]
fn adb_remote_walks_every_pair_of_states_on_every_runner() {
    if !is_root() {
        moler_testkit::skip("AdbRemote's UNIX_LOCAL_ROOT", "su needs root");
        return;
    }
    let Some((sshd, file)) = adb_sshd("adb") else { return };
    let user = sshd.user().name.clone();
    let known_hosts = file.parent().unwrap().join("known_hosts");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        // Moler's example (moler/device/adbremote.py): the serial number is all the phone needs.
        let yaml = format!(
            "DEVICES:
  ADB_1:
    DEVICE_CLASS: moler.device.adbremote.AdbRemote
    CONNECTION_DESC: {{io_type: terminal, variant: {variant}}}
    CONNECTION_HOPS:
{hops}        ADB_SHELL:
          execute_command: adb_shell
          command_params:
            serial_number: f57e6b77
",
            hops = remote_hops(&sshd, &known_hosts)
        );
        let devices = devices(&yaml, &runtime);
        let phone = devices.get("ADB_1").unwrap();
        assert_eq!(phone.state(), "ADB_SHELL", "{variant}: Moler's initial state");
        assert_eq!(phone.prompt(), Some(r"^adb_shell@f57e6b77 \$"));
        assert_eq!(phone.prompt_of("ADB_SHELL_ROOT"), Some(r"^adb_shell@f57e6b77 \#"));
        assert_eq!(phone.command_families("ADB_SHELL"), ["unix", "adb"]);
        every_pair(&phone, |d, state| {
            if !check_remote(d, state, &user) {
                check_adb(d, state);
            }
        });
        devices.remove_all();
    }
}

#[test]
fn adb_remote2_over_sshshell_opens_on_the_remote_and_walks_every_pair() {
    let Some((sshd, _file)) = adb_sshd("adb2") else { return };
    let user = sshd.user();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        let yaml = format!(
            "DEVICES:
  ADB_2:
    DEVICE_CLASS: moler.device.adbremote2.AdbRemote2
    CONNECTION_DESC: {conn}
    CONNECTION_HOPS:
      UNIX_REMOTE:
        ADB_SHELL:
          command_params: {{serial_number: f57e6b77}}
{root}",
            conn = sshshell_desc(&sshd, variant),
            root = sudo_hop(&user.password),
        );
        let devices = devices(&yaml, &runtime);
        let phone = devices.get("ADB_2").unwrap();
        assert_eq!(
            phone.states(),
            ["NOT_CONNECTED", "UNIX_REMOTE", "UNIX_REMOTE_ROOT", "ADB_SHELL", "ADB_SHELL_ROOT"]
        );
        assert_eq!(phone.state(), "ADB_SHELL", "{variant}");
        every_pair(&phone, |d, state| {
            if !check_remote(d, state, &user.name) {
                check_adb(d, state);
            }
        });
        devices.remove_all();
    }
}

/// The simulated modem on a serial line: a pty pair from Debian's `socat`, one end linked as
/// `/dev/ttyS<n>` (where Moler's `cu` looks: `cu -l /dev/ttyS<n>`), the other end the
/// simulator. Killed, with its link and cu's lock, on drop.
struct SerialModem {
    socat: std::process::Child,
    n: u32,
    /// The simulator's device file, kept while socat runs: the simulator socat starts may read
    /// it after `start` returns (on a busy machine it did, and found it gone).
    _file: moler_testkit::TempFile,
}

impl SerialModem {
    fn start() -> Option<SerialModem> {
        for tool in ["/usr/bin/socat", "/usr/bin/cu"] {
            if !Path::new(tool).exists() {
                moler_testkit::skip(
                    "AtRemote over cu",
                    &format!("no {tool} (scripts/test.sh installs it)"),
                );
                return None;
            }
        }
        // A number no real port has, different for each test process and each modem in it
        // (the tests of a process run in parallel).
        static MODEMS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let k = MODEMS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 8;
        let n = 200 + (std::process::id() % 100) * 8 + k;
        let file = readable_copy("at_modem.yml", "modem");
        let socat = std::process::Command::new("socat")
            .arg(format!("pty,raw,echo=0,link=/dev/ttyS{n},mode=666"))
            .arg(format!("exec:{SIM} {},pty,raw,echo=0", file.display()))
            .spawn()
            .expect("socat");
        let modem = SerialModem { socat, n, _file: file };
        let link = modem.path();
        let deadline = std::time::Instant::now() + T;
        while !link.exists() {
            assert!(std::time::Instant::now() < deadline, "socat made no {}", link.display());
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(modem)
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(format!("/dev/ttyS{}", self.n))
    }
}

impl Drop for SerialModem {
    fn drop(&mut self) {
        let _ = self.socat.kill();
        let _ = self.socat.wait();
        let _ = std::fs::remove_file(self.path());
        let _ = std::fs::remove_file(format!("/run/lock/LCK..ttyS{}", self.n));
    }
}

#[test]
fn at_remote_over_cu_walks_every_pair_of_states_on_every_runner() {
    if !is_root() {
        moler_testkit::skip("AtRemote over cu", "a /dev/ttyS link and su need root");
        return;
    }
    let Some(sshd) = Sshd::require() else { return };
    let Some(modem) = SerialModem::start() else { return };
    let user = sshd.user().name.clone();
    let hosts = moler_testkit::TempDir::new("at-known-hosts");
    let known_hosts = hosts.join("known_hosts");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        // Moler's example with cu for plink_serial; cu ends by its escape, not by Ctrl-C.
        let yaml = format!(
            "DEVICES:
  MODEM:
    DEVICE_CLASS: moler.device.atremote.AtRemote
    CONNECTION_DESC: {{io_type: terminal, variant: {variant}}}
    CONNECTION_HOPS:
{hops}        AT_REMOTE:
          execute_command: cu
          command_params: {{serial_devname: '{n}'}}
      AT_REMOTE:
        UNIX_REMOTE:
          execute_command: at.exit_cu
",
            hops = remote_hops(&sshd, &known_hosts),
            n = modem.n,
        );
        let devices = devices(&yaml, &runtime);
        let at = devices.get("MODEM").unwrap();
        assert_eq!(at.state(), "AT_REMOTE", "{variant}: Moler's initial state");
        assert_eq!(at.command_families("AT_REMOTE"), ["at"]);
        every_pair(&at, |d, state| {
            if !check_remote(d, state, &user) {
                assert_eq!(state, "AT_REMOTE");
                check_modem(d, variant);
            }
        });
        devices.remove_all();
    }
    let _ = std::fs::remove_file(known_hosts);
}

/// An `sshshell` connection to the test user, on the runner of `variant`.
fn sshshell_desc(sshd: &Sshd, variant: &str) -> String {
    sshd.sshshell_yaml(&format!("variant: {variant}"))
}

#[test]
fn pdu_aten3_over_sshshell_opens_on_the_proxy_and_walks_every_pair() {
    if !Path::new("/usr/bin/telnet").exists() {
        moler_testkit::skip(
            "PduAten3 over sshshell",
            "no telnet client (scripts/test.sh installs it)",
        );
        return;
    }
    let Some(sshd) = Sshd::require() else { return };
    let user = sshd.user().name.clone();
    let listener =
        Listener::bind("127.0.0.1:0", sim_device("pdu_aten.yml"), Protocol::Telnet).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        // No local shell: the proxy is where the connection lands, its prompt detected; the
        // PDU is telnet from there.
        let yaml = format!(
            "DEVICES:
  PDU_3:
    DEVICE_CLASS: moler.device.pdu_aten3.PduAten3
    CONNECTION_DESC: {conn}
    CONNECTION_HOPS:
      PROXY_PC:
        PDU:
          execute_command: telnet
          command_params: {{host: 127.0.0.1, port: {port}}}
",
            conn = sshshell_desc(&sshd, variant),
            port = listener.addr().port(),
        );
        let devices = devices(&yaml, &runtime);
        let pdu = devices.get("PDU_3").unwrap();
        assert_eq!(pdu.states(), ["NOT_CONNECTED", "PROXY_PC", "PDU"]);
        assert_eq!(pdu.state(), "PDU", "{variant}");
        every_pair(&pdu, |d, state| match state {
            "PROXY_PC" => assert_eq!(run(d, "whoami"), [user.as_str()]),
            _ => {
                check_pdu(d, variant);
            }
        });
        devices.remove_all();
    }
}

#[test]
fn at_remote3_over_sshshell_opens_on_the_remote_and_walks_every_pair() {
    if !is_root() {
        moler_testkit::skip("AtRemote3 over cu", "a /dev/ttyS link needs root");
        return;
    }
    let Some(sshd) = Sshd::require() else { return };
    let Some(modem) = SerialModem::start() else { return };
    let user = sshd.user().name.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        let yaml = format!(
            "DEVICES:
  MODEM_3:
    DEVICE_CLASS: moler.device.atremote3.AtRemote3
    CONNECTION_DESC: {conn}
    CONNECTION_HOPS:
      UNIX_REMOTE:
        AT_REMOTE:
          execute_command: cu
          command_params: {{serial_devname: '{n}'}}
      AT_REMOTE:
        UNIX_REMOTE:
          execute_command: at.exit_cu
",
            conn = sshshell_desc(&sshd, variant),
            n = modem.n,
        );
        let devices = devices(&yaml, &runtime);
        let at = devices.get("MODEM_3").unwrap();
        assert_eq!(at.states(), ["NOT_CONNECTED", "UNIX_REMOTE", "UNIX_REMOTE_ROOT", "AT_REMOTE"]);
        assert_eq!(at.state(), "AT_REMOTE", "{variant}");
        // UNIX_REMOTE_ROOT has the class's `su` with a placeholder password: not walked.
        for target in
            moler_testkit::every_ordered_pair(&["NOT_CONNECTED", "UNIX_REMOTE", "AT_REMOTE"])
        {
            at.goto_state(target).unwrap_or_else(|e| panic!("{variant}: to {target}: {e}"));
            match target {
                "UNIX_REMOTE" => assert_eq!(run(&at, "whoami"), [user.as_str()]),
                "AT_REMOTE" => check_modem(&at, variant),
                _ => {}
            }
        }
        devices.remove_all();
    }
}
