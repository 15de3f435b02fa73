//! The classic embedded-test flow over a serial console, on every runner: a board class
//! written as data (`DEVICE_CLASSES`), its connection a serial line (one end of a `socat` pty
//! pair) to the simulated board (moler-sim/devices/uboot_board.yml on the other end). The
//! board is powered on after the console opened; an event sees U-Boot's countdown and sends
//! the key that stops it; the prompts put the device in UBOOT; it boots Linux and logs in
//! (`uboot.boot`), reboots back into U-Boot (`uboot.stop_autoboot` with `reboot`), closes and
//! reopens the console. Each state is proved by what only it answers.
#![cfg(all(feature = "tokio", feature = "smol"))]

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_core::Wait4;

const T: Duration = Duration::from_secs(30);
const SOCAT: &str = "/usr/bin/socat";

/// A board's class, as a user writes it: where the console opens nobody knows yet (CONSOLE,
/// no prompt), U-Boot's prompt, Linux's from the login hop.
const CLASS: &str = r#"
DEVICE_CLASSES:
  UBootBoard:
    CONNECTED_STATE: CONSOLE
    INITIAL_STATE: CONSOLE
    STATES:
      CONSOLE: {COMMANDS: [uboot]}
      UBOOT: {PROMPT: '^=> ', COMMANDS: [uboot]}
      LINUX: {PROMPT_FROM: [UBOOT], COMMANDS: [unix]}
    CONNECTION_HOPS:
      CONSOLE:
        UBOOT: {execute_command: uboot.stop_autoboot}
      UBOOT:
        LINUX:
          execute_command: uboot.boot
          required_command_params: [expected_prompt]
      LINUX:
        UBOOT: {execute_command: uboot.stop_autoboot, command_params: {command: reboot}}
"#;

/// A `socat` pty pair: `console` for the device, `board` for the simulator; gone on drop.
struct Line {
    socat: Child,
    dir: PathBuf,
}

impl Line {
    fn new(tag: &str) -> Line {
        let dir = std::env::temp_dir().join(format!("moler-board-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let socat = Process::new(SOCAT)
            .arg(format!("pty,raw,echo=0,link={}", dir.join("console").display()))
            .arg(format!("pty,raw,echo=0,link={}", dir.join("board").display()))
            .spawn()
            .unwrap();
        let line = Line { socat, dir };
        let deadline = Instant::now() + T;
        while !(line.path("console").exists() && line.path("board").exists()) {
            assert!(Instant::now() < deadline, "socat made no pty pair");
            std::thread::sleep(Duration::from_millis(20));
        }
        line
    }

    fn path(&self, end: &str) -> PathBuf {
        self.dir.join(end)
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let _ = self.socat.kill();
        let _ = self.socat.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(device: &Device, line: &str) -> Vec<String> {
    let prompt = device.prompt().unwrap().to_owned();
    let cmd = Command::lines(line, &prompt).ret_required(false);
    device.observe(cmd).unwrap().run_within(T).unwrap_or_else(|e| panic!("`{line}`: {e}"))
}

fn power_on(line: &Line) -> std::thread::JoinHandle<std::io::Result<()>> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("moler-sim/devices/uboot_board.yml");
    let board = Arc::new(moler_sim::Device::from_file(file).unwrap());
    let tty = line.path("board");
    std::thread::spawn(move || moler_sim::serve_tty(board, tty))
}

#[test]
fn a_board_on_its_serial_console_is_stopped_in_u_boot_then_boots_linux_on_every_runner() {
    if !Path::new(SOCAT).exists() {
        moler_testkit::skip(
            "a board on a serial console",
            "no socat (scripts/test.sh installs it)",
        );
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        let line = Line::new(variant);
        let yaml = format!(
            "{CLASS}DEVICES:
  BOARD:
    DEVICE_CLASS: UBootBoard
    CONNECTION_DESC: {{io_type: serial, port: {port}, baud_rate: 115200, variant: {variant}}}
    CONNECTION_HOPS:
      UBOOT:
        LINUX:
          command_params: {{password: board123, expected_prompt: '^root@moler-board:~# '}}
",
            port = line.path("console").display()
        );
        let loader = moler::config::Loader::new()
            .runner(moler::TokioRunner::with_handle(runtime.handle().clone()));
        let config = loader.from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let devices = Devices::from_config(config).unwrap_or_else(|e| panic!("{e}"));
        let board = devices.get("BOARD").unwrap();
        assert_eq!(board.state(), "CONSOLE", "{variant}: nothing known of the board yet");
        assert_eq!(board.states(), ["NOT_CONNECTED", "CONSOLE", "UBOOT", "LINUX"]);

        // The event that stops the countdown: it answers with a key on the console.
        let key = board.connection().unwrap();
        let countdown = board
            .observe(
                Wait4::new(["Hit any key to stop autoboot"])
                    .unwrap()
                    .match_partial_lines(true)
                    .till_occurs_times(1)
                    .on_occurrence(move |_| key.send(" ")),
            )
            .unwrap()
            .start();
        let sim = power_on(&line);
        countdown.wait(T).unwrap_or_else(|e| panic!("{variant}: {e}"));
        // U-Boot's prompt tells the device where it is.
        board.wait_for_state("UBOOT", T).unwrap_or_else(|e| panic!("{variant}: {e}"));
        assert_eq!(run(&board, "printenv bootcmd"), ["bootcmd=run distro_bootcmd"]);

        // Linux: booted and logged in on the console.
        board.goto_state("LINUX").unwrap_or_else(|e| panic!("{variant}: {e}"));
        assert_eq!(board.prompt(), Some("^root@moler-board:~# "));
        assert_eq!(run(&board, "cat /proc/device-tree/model"), ["Moler Sim Board"]);
        let uname = board.run(moler::commands::unix::Uname::new().options("-a")).unwrap();
        assert!(uname.result.iter().any(|l| l.contains("aarch64")), "{uname:?}");

        // Back into U-Boot by a reboot whose countdown the hop stops.
        board.goto_state("UBOOT").unwrap_or_else(|e| panic!("{variant}: {e}"));
        assert!(run(&board, "version").iter().any(|l| l.starts_with("U-Boot 2023.04")));

        // The console closed (no hop leads back to CONSOLE: the port is just closed) and
        // opened again: the board sits at U-Boot's prompt, which an Enter shows.
        board.goto_state("NOT_CONNECTED").unwrap();
        board.goto_state("UBOOT").unwrap_or_else(|e| panic!("{variant}: {e}"));
        assert_eq!(run(&board, "echo again"), ["again"]);
        devices.remove_all();
        drop(line);
        let _ = sim.join();
    }
}

#[test]
fn a_wrong_password_on_the_console_fails_the_hop_and_names_it() {
    if !Path::new(SOCAT).exists() {
        moler_testkit::skip(
            "a board on a serial console",
            "no socat (scripts/test.sh installs it)",
        );
        return;
    }
    let line = Line::new("wrong");
    let yaml = format!(
        "{CLASS}DEVICES:
  BOARD:
    DEVICE_CLASS: UBootBoard
    CONNECTION_DESC: {{io_type: serial, port: {port}}}
    CONNECTION_HOPS:
      UBOOT:
        LINUX:
          command_params: {{password: nope, expected_prompt: '^root@moler-board:~# '}}
",
        port = line.path("console").display()
    );
    let devices = Devices::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let board = devices.get("BOARD").unwrap();
    let sim = power_on(&line);
    // No event this time: the hop from CONSOLE stops the countdown itself.
    board.goto_state("UBOOT").unwrap();
    let err = board.goto_state("LINUX").unwrap_err().to_string();
    assert!(err.contains("hop UBOOT -> LINUX (uboot.boot) failed"), "{err}");
    assert!(err.contains("Login incorrect"), "{err}");
    assert!(!err.contains("nope"), "no password in the message: {err}");
    assert_ne!(board.state(), "LINUX");
    devices.remove_all();
    drop(line);
    let _ = sim.join();
}
