//! The serial transports on every runner, against real components: a `socat` pty pair whose
//! far end the simulator serves (`moler_sim::serve_tty`); the same line behind Debian's
//! `ser2net`, reached over RFC 2217 (the baud rate the negotiation set is read back from the
//! pty with `stty`) and over a raw TCP port; the line vanishing (socat killed) and coming back;
//! and RFC 2217 servers that refuse or stay silent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_io::rfc2217::{self, Rfc2217Options};
use moler_io::serial::{self, FlowControl, Parity, SerialOptions, SerialSettings, StopBits};
use moler_io::tcp::{self, TcpOptions};
use moler_io::telnet::codec::{DO, DONT, IAC, SB, SE, WILL};
use moler_io::Greeting;
use moler_sim::Device;
use moler_testkit::{on_every_runner, Rig, ServerPort};

const WAIT: Duration = Duration::from_secs(20);
const SOCAT: &str = "/usr/bin/socat";
const SER2NET: &str = "/usr/sbin/ser2net";

const MODEM: &str = r#"
line_end: "\r\n"
echo: true
states:
  READY:
    prompt: "modem> "
    commands:
      - {match: AT, answer: "OK"}
      - {regex: 'echo (?P<text>.*)', answer: "{text}"}
      - {regex: 'count (\d+)', answer: "counting", stream: {line: "line {n}", every_ms: 0, count: "{1}"}}
"#;

fn cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, "^modem> $")
}

fn greeting() -> Option<Greeting> {
    Some(Greeting { marker: "modem> ".into(), prompt: "modem> ".into(), timeout: WAIT })
}

/// A process that dies with the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn missing(tools: &[&str]) -> Option<String> {
    tools
        .iter()
        .find(|t| !Path::new(t).exists())
        .map(|t| format!("no {t} (scripts/test.sh installs socat and ser2net as root)"))
}

/// A temporary directory, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("moler-{what}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A serial line: a pty pair made by socat, its ends linked at `a` (ours) and `b` (the
/// device's).
struct PtyPair {
    a: PathBuf,
    b: PathBuf,
    socat: Option<Reaped>,
}

impl PtyPair {
    fn start(dir: &Path) -> PtyPair {
        let (a, b) = (dir.join("a"), dir.join("b"));
        let mut socat = std::process::Command::new(SOCAT)
            .args(["-d", "-d"])
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = BufReader::new(socat.stderr.take().unwrap());
        let (tx, rx) = mpsc::channel();
        // Reads socat's log to its end (a full pipe would stop it).
        std::thread::spawn(move || {
            let mut said = Vec::new();
            for line in log.lines().map_while(Result::ok) {
                if line.contains("starting data transfer loop") {
                    let _ = tx.send(Ok(()));
                }
                said.push(line);
            }
            let _ = tx.send(Err(said.join("\n")));
        });
        match rx.recv_timeout(WAIT) {
            Ok(Ok(())) => {}
            other => panic!("socat did not make the pty pair: {other:?}"),
        }
        PtyPair { a, b, socat: Some(Reaped(socat)) }
    }

    /// The simulated modem on end `b`, one session, on a thread.
    fn serve(&self) -> JoinHandle<std::io::Result<()>> {
        let device = Arc::new(Device::from_yaml(MODEM).unwrap());
        let b = self.b.clone();
        std::thread::spawn(move || moler_sim::serve_tty(device, b))
    }

    /// Pulls the cable: socat goes, and both ends hang up.
    fn vanish(&mut self) {
        self.socat = None;
    }
}

fn serial_options(pair: &PtyPair) -> SerialOptions {
    SerialOptions {
        port: pair.a.clone(),
        settings: SerialSettings { baud_rate: 57_600, ..Default::default() },
        greeting: greeting(),
    }
}

on_every_runner!(
    a_local_port_runs_commands_on_the_simulated_modem,
    a_vanishing_port_is_an_error_naming_it_and_reopening_works,
    rfc2217_through_ser2net_sets_the_line_and_runs_commands,
    a_raw_console_server_port_is_just_tcp,
    yaml_opens_serial_rfc2217_and_telnet_on_this_variant,
);

fn a_local_port_runs_commands_on_the_simulated_modem(rig: &Rig) {
    if let Some(why) = missing(&[SOCAT]) {
        return moler_testkit::skip("serial over a socat pty pair", &why);
    }
    let dir = TempDir::new("serial");
    let pair = PtyPair::start(&dir.0);
    let transport = serial::open(&serial_options(&pair)).unwrap();
    let dev = rig.runner.spawn("modem", transport).unwrap();
    let _sim = pair.serve();
    assert_eq!(dev.transport(), format!("serial:{}", pair.a.display()));
    assert_eq!(dev.run(cmd("AT"), WAIT).unwrap(), ["OK"]);
    assert_eq!(dev.run(cmd("echo over a serial line"), WAIT).unwrap(), ["over a serial line"]);
    let lines = dev.run(cmd("count 300"), WAIT).unwrap();
    assert_eq!(lines.len(), 301, "{lines:?}");
    assert_eq!(lines[300], "line 300");
    // The settings are on the port: read back through the control and by stty.
    let control = dev.control().expect("a serial port has a control");
    assert_eq!(control.serial_settings().unwrap().to_string(), "57600 8N1");
    let stty = std::process::Command::new("stty").arg("-F").arg(&pair.a).output().unwrap();
    let stty = String::from_utf8_lossy(&stty.stdout);
    assert!(stty.contains("speed 57600 baud"), "{stty}");
    // A break (a pty takes it and does nothing), and the line still works.
    dev.send_break().unwrap();
    assert_eq!(dev.run(cmd("AT"), WAIT).unwrap(), ["OK"]);
}

fn a_vanishing_port_is_an_error_naming_it_and_reopening_works(rig: &Rig) {
    if let Some(why) = missing(&[SOCAT]) {
        return moler_testkit::skip("serial over a socat pty pair", &why);
    }
    let dir = TempDir::new("serial-vanish");
    let mut pair = PtyPair::start(&dir.0);
    let dev = rig.runner.spawn("modem", serial::open(&serial_options(&pair)).unwrap()).unwrap();
    let sim = pair.serve();
    assert_eq!(dev.run(cmd("AT"), WAIT).unwrap(), ["OK"]);
    let never = dev.start(Wait4::new(["never"]).unwrap().till_occurs_times(1));
    let started = Instant::now();
    pair.vanish();
    let err = never.wait(WAIT).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let moler::Error::ConnectionClosed { reason: Some(reason), .. } = &err else {
        panic!("expected a closed connection with a reason, got {err}");
    };
    let text = moler::Report(reason.as_ref()).to_string();
    assert!(text.contains(&format!("serial:{}", pair.a.display())), "{text}");
    assert!(text.contains("hung up"), "{text}");
    assert!(dev.is_closed());
    // The simulator's end hung up too: its session ended.
    sim.join().unwrap().unwrap();

    // Plugged in again: the same path opens and works.
    let pair = PtyPair::start(&dir.0);
    let dev = rig.runner.spawn("modem", serial::open(&serial_options(&pair)).unwrap()).unwrap();
    let _sim = pair.serve();
    assert_eq!(dev.run(cmd("echo back"), WAIT).unwrap(), ["back"]);
}

/// ser2net in the foreground, exporting `port` on a TCP port of 127.0.0.1 with `accepter`
/// (`telnet(rfc2217),tcp` or `tcp`).
struct Ser2net {
    port: u16,
    _child: Reaped,
    kept: ServerPort,
}

impl Ser2net {
    fn start(dir: &Path, device: &Path, accepter: &str) -> Ser2net {
        // Kept for ser2net (it binds with SO_REUSEADDR): no other listener can appear there, so
        // one listening on the port is ser2net's.
        let kept = ServerPort::new();
        let port = kept.port();
        let config = dir.join("ser2net.yaml");
        std::fs::write(
            &config,
            format!(
                "%YAML 1.1\n---\nconnection: &moler\n  accepter: {accepter},127.0.0.1,{port}\n  \
                 connector: serialdev,{},9600n81,local\n  options:\n    kickolduser: true\n",
                device.display()
            ),
        )
        .unwrap();
        let child = std::process::Command::new(SER2NET)
            .args(["-n", "-u", "-c"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Ser2net { port, _child: Reaped(child), kept };
        // Setup, not a hot path: wait until it listens. Not by connecting: a probe makes
        // ser2net open the line and close it again (a flush) while the test's own client
        // connects, and what the device says then is lost.
        assert!(server.kept.wait_listening(WAIT), "ser2net did not listen on {port}");
        server
    }
}

fn stty(path: &Path) -> String {
    let out = std::process::Command::new("stty").arg("-F").arg(path).arg("-a").output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rfc2217_through_ser2net_sets_the_line_and_runs_commands(rig: &Rig) {
    if let Some(why) = missing(&[SOCAT, SER2NET]) {
        return moler_testkit::skip("RFC 2217 through ser2net", &why);
    }
    let dir = TempDir::new("rfc2217");
    let pair = PtyPair::start(&dir.0);
    let server = Ser2net::start(&dir.0, &pair.a, "telnet(rfc2217),tcp");
    let settings = SerialSettings {
        baud_rate: 19_200,
        data_bits: 8,
        parity: Parity::None,
        stop_bits: StopBits::Two,
        flow_control: FlowControl::Hardware,
    };
    let options = Rfc2217Options { settings, greeting: greeting(), ..Default::default() };
    let transport = rfc2217::connect("127.0.0.1", server.port, &options).unwrap();
    let dev = rig.runner.spawn("modem", transport).unwrap();
    assert_eq!(dev.transport(), format!("rfc2217:127.0.0.1:{}", server.port));
    // What the negotiation set is on ser2net's end of the line (not just what it said). A
    // pty keeps the speed, the stop bits and the flow control, but forces 8 data bits and no
    // parity: those are checked by the server's acknowledgments only.
    let line = stty(&pair.a);
    assert!(line.contains("speed 19200 baud"), "{line}");
    assert!(line.contains(" cstopb") && line.contains(" crtscts"), "{line}");
    assert_eq!(dev.control().unwrap().serial_settings(), Some(settings));
    let _sim = pair.serve();
    assert_eq!(dev.run(cmd("AT"), WAIT).unwrap(), ["OK"]);
    let lines = dev.run(cmd("count 500"), WAIT).unwrap();
    assert_eq!(lines.len(), 501);
    // A break goes as SET-CONTROL BREAK-ON/OFF inside the stream, which still works after.
    dev.send_break().unwrap();
    assert_eq!(dev.run(cmd("echo after the break"), WAIT).unwrap(), ["after the break"]);
    dev.close();

    // Another speed the next time: the line follows.
    let options = Rfc2217Options {
        settings: SerialSettings { baud_rate: 4800, ..Default::default() },
        ..Default::default()
    };
    let again = rfc2217::connect("127.0.0.1", server.port, &options).unwrap();
    let line = stty(&pair.a);
    assert!(
        line.contains("speed 4800 baud") && line.contains(" -cstopb") && line.contains(" -crtscts"),
        "{line}"
    );
    drop(again);
}

fn a_raw_console_server_port_is_just_tcp(rig: &Rig) {
    if let Some(why) = missing(&[SOCAT, SER2NET]) {
        return moler_testkit::skip("a raw console server port through ser2net", &why);
    }
    let dir = TempDir::new("raw");
    let pair = PtyPair::start(&dir.0);
    let server = Ser2net::start(&dir.0, &pair.a, "tcp");
    let options = TcpOptions { greeting: greeting(), ..Default::default() };
    let dev = rig
        .runner
        .spawn("modem", tcp::connect("127.0.0.1", server.port, &options).unwrap())
        .unwrap();
    // ser2net opens the line once a client is connected; the modem answers after that.
    let line = {
        let deadline = Instant::now() + WAIT;
        loop {
            let line = stty(&pair.a);
            if line.contains("speed 9600 baud") || Instant::now() > deadline {
                break line;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert!(line.contains("speed 9600 baud"), "the server's own settings: {line}");
    let _sim = pair.serve();
    assert_eq!(dev.run(cmd("echo raw"), WAIT).unwrap(), ["raw"]);
}

/// A hand-made RFC 2217 server: `answer` gets what the client's opening was and the socket.
fn server(answer: impl FnOnce(&mut std::net::TcpStream) + Send + 'static) -> u16 {
    server_on(TcpListener::bind("127.0.0.1:0").unwrap(), answer)
}

/// [`server`] on a listener of one's own.
fn server_on(
    listener: TcpListener,
    answer: impl FnOnce(&mut std::net::TcpStream) + Send + 'static,
) -> u16 {
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut peer, _)) = listener.accept() {
            answer(&mut peer);
            let mut rest = [0; 256];
            let _ = peer.set_read_timeout(Some(WAIT));
            while matches!(peer.read(&mut rest), Ok(n) if n > 0) {}
        }
    });
    port
}

#[test]
fn a_server_refusing_the_com_port_option_is_a_clear_error() {
    let port = server(|peer| {
        let mut opening = [0; 3];
        peer.read_exact(&mut opening).unwrap();
        assert_eq!(opening, [IAC, WILL, 44], "COM-PORT-OPTION offered first");
        peer.write_all(&[IAC, DONT, 44]).unwrap();
    });
    let err = rfc2217::connect("127.0.0.1", port, &Rfc2217Options::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported, "{err}");
    let text = moler::Report(&err).to_string();
    assert!(text.starts_with(&format!("rfc2217:127.0.0.1:{port}: negotiate")), "{text}");
    assert!(text.contains("refuses the COM-PORT-OPTION"), "{text}");
}

/// Over IPv6 the error names the server `rfc2217:[::1]:PORT`, from code and from YAML's
/// `port: '[::1]:PORT'`.
#[test]
fn an_ipv6_server_is_named_in_brackets() {
    let refuse = |peer: &mut std::net::TcpStream| {
        let mut opening = [0; 3];
        peer.read_exact(&mut opening).unwrap();
        peer.write_all(&[IAC, DONT, 44]).unwrap();
    };
    for from_yaml in [false, true] {
        let Ok(listener) = TcpListener::bind("[::1]:0") else {
            return moler_testkit::skip("RFC 2217 over IPv6", "no IPv6 loopback (::1) here");
        };
        let port = server_on(listener, refuse);
        let text = if from_yaml {
            let yaml = format!(
                "NAMED_CONNECTIONS:\n  console: {{io_type: serial, port: '[::1]:{port}'}}\n"
            );
            let config = moler::config::Loader::new().from_yaml(&yaml).unwrap();
            let err = config.open("console").map(drop).unwrap_err();
            moler::Report(&err).to_string()
        } else {
            let err = rfc2217::connect("::1", port, &Rfc2217Options::default()).unwrap_err();
            moler::Report(&err).to_string()
        };
        assert!(text.contains(&format!("rfc2217:[::1]:{port}: negotiate")), "{text}");
    }
}

/// Reads from `peer` until `count` subnegotiations (`IAC SE`) came, or the peer closed;
/// returns everything read.
fn read_subnegotiations(peer: &mut std::net::TcpStream, count: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0; 256];
    peer.set_read_timeout(Some(WAIT)).unwrap();
    while got.windows(2).filter(|w| w == &[IAC, SE]).count() < count {
        match peer.read(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    got
}

/// A COM-PORT-OPTION subnegotiation.
fn com_port(payload: &[u8]) -> Vec<u8> {
    [&[IAC, SB, 44][..], payload, &[IAC, SE]].concat()
}

/// Agrees to the COM-PORT-OPTION, takes the five settings and acknowledges them with a baud
/// rate of `baud`; the acknowledgment of the default 8N1 without flow control otherwise.
fn acknowledge(peer: &mut std::net::TcpStream, baud: u32) {
    peer.write_all(&[IAC, DO, 44]).unwrap();
    let asked = read_subnegotiations(peer, 5);
    assert!(memchr::memmem::find(&asked, &com_port(&[1, 0, 1, 0xc2, 0])).is_some(), "{asked:?}");
    let mut acks = com_port(&[&[101][..], &baud.to_be_bytes()].concat());
    for payload in [[102, 8], [103, 1], [104, 1], [105, 1]] {
        acks.extend(com_port(&payload));
    }
    peer.write_all(&acks).unwrap();
}

#[test]
fn a_server_that_sets_another_speed_fails_the_opening_saying_both() {
    let port = server(|peer| acknowledge(peer, 9600));
    let err = rfc2217::connect("127.0.0.1", port, &Rfc2217Options::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
    let text = moler::Report(&err).to_string();
    assert!(text.contains("negotiate the port settings"), "{text}");
    assert!(text.contains("asked for 115200 8N1, the server set 9600 8N1"), "{text}");
}

/// An RFC 2217 transport to a server that acknowledges the settings, then sends what the next
/// two subnegotiations were (a break's) to the receiver.
fn connected_for_a_break() -> (moler_io::Transport, mpsc::Receiver<Vec<u8>>) {
    let (tx, rx) = mpsc::channel();
    let port = server(move |peer| {
        acknowledge(peer, 115_200);
        let _ = tx.send(read_subnegotiations(peer, 2));
    });
    (rfc2217::connect("127.0.0.1", port, &Rfc2217Options::default()).unwrap(), rx)
}

/// SET-CONTROL BREAK-ON, then SET-CONTROL BREAK-OFF.
fn break_on_then_off() -> Vec<u8> {
    [com_port(&[5, 5]), com_port(&[5, 6])].concat()
}

#[test]
fn a_break_goes_to_the_server_as_break_on_then_off() {
    let (transport, rx) = connected_for_a_break();
    let control = transport.control.clone().expect("an RFC 2217 transport has a control");
    assert_eq!(control.serial_settings(), Some(SerialSettings::default()));
    let started = Instant::now();
    control.send_break().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250), "the break lasts 250 ms");
    let got = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(got, break_on_then_off(), "BREAK-ON, BREAK-OFF");
}

/// From async code the break is awaited: the executor (here a current-thread tokio runtime)
/// runs its other tasks during the 250 ms, and the server gets BREAK-ON, BREAK-OFF.
#[test]
fn a_break_awaited_in_async_code_holds_up_no_other_task() {
    let (transport, rx) = connected_for_a_break();
    let dev = ThreadRunner::new().spawn("modem", transport).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let (broken, ticked) = rt.block_on(async {
        let brk = async {
            dev.send_break_async().await.unwrap();
            Instant::now()
        };
        let tick = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Instant::now()
        };
        tokio::join!(brk, tick)
    });
    assert!(ticked < broken, "the other task waited for the break");
    let got = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(got, break_on_then_off(), "BREAK-ON, BREAK-OFF");
    let shell = moler::local_shell().unwrap();
    let err = rt.block_on(shell.send_break_async()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported, "{err}");
}

#[test]
fn a_silent_server_times_out_naming_the_step() {
    let port = server(|_| std::thread::sleep(Duration::from_secs(3)));
    let options =
        Rfc2217Options { connect_timeout: Duration::from_millis(500), ..Default::default() };
    let started = Instant::now();
    let err = rfc2217::connect("127.0.0.1", port, &options).unwrap_err();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(2), "{waited:?}");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(err.to_string().contains("negotiate the port settings"), "{err}");
}

#[test]
fn ports_that_are_not_there_or_no_tty_name_themselves() {
    let err = serial::open(&SerialOptions::new("/dev/ttyMolerNoSuch")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(err.to_string(), "serial:/dev/ttyMolerNoSuch: open");
    let dir = TempDir::new("notty");
    let file = dir.0.join("plain-file");
    std::fs::write(&file, b"").unwrap();
    let err = serial::open(&SerialOptions::new(&file)).unwrap_err();
    assert_eq!(err.to_string(), format!("serial:{}: read the line settings", file.display()));
}

#[test]
fn a_connection_without_a_control_cannot_send_a_break() {
    let shell = moler::local_shell().unwrap();
    let err = shell.send_break().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
    assert!(err.to_string().contains("cannot send a break"), "{err}");
}

fn variant(rig: &Rig) -> &'static str {
    match rig.runner.kind() {
        RunnerKind::Thread => "threaded",
        RunnerKind::Tokio => "tokio",
        RunnerKind::Smol => "smol",
    }
}

fn yaml_opens_serial_rfc2217_and_telnet_on_this_variant(rig: &Rig) {
    if let Some(why) = missing(&[SOCAT, SER2NET]) {
        return moler_testkit::skip("serial and rfc2217 from YAML", &why);
    }
    let dir = TempDir::new("yaml");
    std::fs::create_dir_all(dir.0.join("local")).unwrap();
    std::fs::create_dir_all(dir.0.join("remote")).unwrap();
    let local = PtyPair::start(&dir.0.join("local"));
    let remote = PtyPair::start(&dir.0.join("remote"));
    let server = Ser2net::start(&dir.0.join("remote"), &remote.a, "telnet(rfc2217),tcp");
    let switch = Arc::new(Device::from_yaml(
        "states: {EXEC: {prompt: 'switch> ', commands: [{match: show clock, answer: '12:00'}]}}",
    )
    .unwrap());
    let sim =
        moler_sim::Listener::bind("127.0.0.1:0", switch, moler_sim::Protocol::Telnet).unwrap();
    let v = variant(rig);
    let yaml = format!(
        "NAMED_CONNECTIONS:\n  \
         modem: {{io_type: serial, variant: {v}, port: local/a, baud_rate: 38400, \
         ready_prompt: 'modem> '}}\n  \
         remote_modem: {{io_type: serial, variant: {v}, port: '127.0.0.1:{}', baud_rate: 2400, \
         stop_bits: 2, ready_prompt: 'modem> '}}\n  \
         switch: {{io_type: telnet, variant: {v}, host: 127.0.0.1, port: {}, ready_prompt: 'switch> '}}\n",
        server.port,
        sim.addr().port()
    );
    let file = dir.0.join("connections.yml");
    std::fs::write(&file, yaml).unwrap();
    let config = moler::config::Loader::new().runner(rig.runner.clone()).from_file(&file).unwrap();

    // A relative port is the config file's folder's.
    let modem = config.open("modem").unwrap();
    assert_eq!(modem.runner(), rig.runner.kind());
    let _local_sim = local.serve();
    assert_eq!(modem.run(cmd("AT"), WAIT).unwrap(), ["OK"]);
    assert_eq!(modem.control().unwrap().serial_settings().unwrap().baud_rate, 38_400);

    let remote_modem = config.open("remote_modem").unwrap();
    assert_eq!(remote_modem.transport(), format!("rfc2217:127.0.0.1:{}", server.port));
    assert!(stty(&remote.a).contains("speed 2400 baud"));
    let _remote_sim = remote.serve();
    assert_eq!(remote_modem.run(cmd("echo far away"), WAIT).unwrap(), ["far away"]);

    let switch = config.open("switch").unwrap();
    assert_eq!(switch.run(Command::lines("show clock", "^switch> $"), WAIT).unwrap(), ["12:00"]);
}

/// A local serial port from code that awaits in a current-thread tokio runtime
/// (`#[tokio::test]`), where the awaiting task drives the connection itself: commands one
/// after another, a long answer, a break in between.
#[test]
#[cfg(feature = "tokio")]
fn a_local_port_awaited_on_a_current_thread_runtime() {
    if let Some(why) = missing(&[SOCAT]) {
        return moler_testkit::skip("serial over a socat pty pair", &why);
    }
    let dir = TempDir::new("serial-ct");
    let pair = PtyPair::start(&dir.0);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _sim = pair.serve();
    rt.block_on(async {
        let transport = serial::open(&serial_options(&pair)).unwrap();
        let dev = moler::TokioRunner::new().unwrap().spawn("modem", transport).unwrap();
        for i in 0..50 {
            assert_eq!(dev.start(cmd("AT")).await.unwrap(), ["OK"]);
            let out = dev.start(cmd(&format!("echo serial {i}"))).await.unwrap();
            assert_eq!(out, [format!("serial {i}")]);
        }
        let lines = tokio::time::timeout(WAIT, dev.start(cmd("count 300"))).await.unwrap().unwrap();
        assert_eq!(lines.len(), 301, "{lines:?}");
        dev.send_break().unwrap();
        assert_eq!(dev.start(cmd("AT")).await.unwrap(), ["OK"]);
    });
}
