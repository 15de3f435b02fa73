//! # moler-sim: devices described in YAML, served over real transports
//!
//! A simulated device is a YAML file: states with prompts, and per state the commands it
//! answers (exactly or by regex) with text, after a delay, asking a question first, a page at
//! a time, streaming lines until Ctrl-C, moving to another state, closing the connection or
//! rebooting. One sans-IO engine ([`Session`]) runs it; thin servers put it on real transports:
//!
//! ```text
//!   device.yml --Device::from_file--> Device (checked: file:line:column errors)
//!                                        |
//!                      Session::new(device, now)   (sans-IO: no clock, no I/O, no blocking)
//!          bytes in -> feed(bytes, now) -> bytes out
//!          deadline <- poll_timeout()   ;  handle_timeout(now) -> bytes out
//!                                        |
//!   +-----------------+--------------------------------+---------------------------+
//!   | serve_stdio     | Listener (TCP, raw or telnet)  | memory::transport         |
//!   | a pty, a login  | many sessions, one thread,     | in-process, poll-based,   |
//!   | shell, socat    | tokio current-thread runtime   | any moler runner          |
//!   +-----------------+--------------------------------+---------------------------+
//! ```
//!
//! `moler sim FILE` serves on stdin/stdout, `moler sim --listen 127.0.0.1:2323 [--telnet]
//! FILE` on TCP, `moler sim --check FILE` validates and lists the states. The `moler-sim`
//! program of this crate does the same (`moler-sim [--listen ADDR [--telnet] | --serial TTY]
//! [--check] FILE`), and `--serial /tmp/x/b` serves one session on a terminal (a serial line,
//! one end of a `socat` pty pair: [`serve_tty`]); run with no file it takes
//! `$MOLER_SIM_DEVICE`, so it can be a user's login shell.
//!
//! ## The format
//!
//! ```yaml
//! line_end: "\r\n"          # the device's line end: "\r\n" (default), "\n" or "\r"
//! echo: true                # the device echoes what is typed (default true)
//! banner: "Welcome"         # shown when a session starts and after a reboot
//! login:                    # optional: a login dialog before the first prompt
//!   user_prompt: "login: "              # default
//!   password_prompt: "Password: "       # default; the password is never echoed
//!   users: {admin: secret}              # name: password
//!   refusal: "Login incorrect"          # default; then the user prompt again
//!   last_login: "Last login: Mon Nov 30 06:00:01 2026 from 10.0.0.1"
//!   attempts: 3                         # failed logins before the device hangs up (default: never)
//! initial_state: SHELL      # default: the first state
//! unknown_command: "-bash: {word}: command not found"   # default "{word}: command not found"
//! stopped: "[1]+  Stopped                 {command}"    # Ctrl-Z's line (this is the default)
//! states:
//!   SHELL:
//!     prompt: "{user}@host:~$ "         # {user}: who logged in (empty without a login)
//!     echo: true                        # optional: overrides the device's echo here
//!     unknown_command: "..."            # optional: overrides the device's here
//!     commands:                         # tried in order; the first that matches answers
//!       - match: uname -a               # exact text (surrounding blanks ignored)
//!         answer: "Linux host 6.1.0 x86_64 GNU/Linux"
//!       - regex: 'echo (?P<text>.*)'    # a regex over the whole line
//!         answer: "{text}"              # {1}, {name}: its groups; {command}: the line
//!       - match: ls -l
//!         answer_file: outputs/ls_l.txt # relative to the YAML file
//!         delay_ms: 200                 # thinks first; Ctrl-C interrupts
//!       - match: date                  # typed again, the next answer (then the last again):
//!         answers: ["Mon Nov 30 07:00:00 UTC 2026", {answer_file: outputs/date2.txt}]
//!       - match: cat /var/log/messages
//!         answer_file: outputs/messages.txt
//!         page: {lines: 20, more: "--More--"}   # space: a page, Enter: a line, q or ^C: stop
//!       - match: su
//!         ask: {prompt: "Password: ", echo: false, expect: root, wrong: "su: Authentication failure"}
//!         goto: ROOT                    # a state; `goto: back` returns to where it came from
//!       - regex: 'ping (\S+)'
//!         answer: "PING {1} 56(84) bytes of data."
//!         stream:                       # then a line every every_ms until ^C (or count)
//!           line: "[{epoch}] 64 bytes from {1}: icmp_seq={n} ttl=64 time=0.04 ms"
//!           every_ms: 1000
//!           count: null                 # a template: "{2}" takes it from the command line
//!           interrupted: "--- {1} ping statistics ---\n{n} packets transmitted, {n} received"
//!           done: "..."                 # printed after `count` lines
//!       - match: reboot
//!         answer: "The system is going down for reboot NOW!"
//!         reboot: {after_ms: 2000}      # TCP: closes, refuses connections until back
//!       - match: logout
//!         close: true
//!   ROOT:
//!     prompt: "root@host:~# "
//!     commands:
//!       - {match: exit, answer: logout, goto: back}
//!   COUNTDOWN:                          # a boot loader counting down
//!     prompt: "Hit any key to stop autoboot:  3 "
//!     any_key: LOADER                   # a key (any byte, no Enter) goes there
//!     idle: {after_ms: 3000, answer_file: outputs/boot.txt, goto: SHELL}  # else, after 3 s
//! ```
//!
//! Ctrl-C prints `^C` and the prompt, interrupting a delay, a stream (which then prints its
//! `interrupted` text), a question, a pager or the line being typed. Ctrl-Z prints `^Z` and the
//! `stopped` line for a running command. Answers are written with `\n`; the device prints its
//! own line end, and every answer ends with one. A device file's mistakes are all reported at
//! once, as `file:line:column: message`, unknown keys with a "did you mean".
//!
//! Recorded sessions fit the same form: a recorder writes one state per prompt seen, one
//! `match:` per command typed there, its output as `answer` or `answer_file` (`answers:` when
//! the same command printed different things over the session, which then replays in order),
//! `goto:` where the prompt changed and `delay_ms` for the time it took.
//!
//! ## Ready-made devices
//!
//! `moler-sim/devices/` holds one file per device family (`devices/unix_host.yml` is a complete
//! example of the format). Their outputs are Moler 4.13.1's reference cases (BSD-3-Clause,
//! Nokia) where Moler has one: the tests (`tests/devices.rs`; the unix host in
//! `tests/transports.rs`) serve each over the transport it is reached by in the lab, drive it
//! with moler, and check that what moler reads between the echo and the prompt is the case's
//! output, line for line.
//!
//! | file | what it is | reached by | Moler's cases it reproduces |
//! |---|---|---|---|
//! | `unix_host.yml` | a Debian host: login dialog, user shell, root by `su`, ping, pager, reboot | a console, telnet or TCP, a pty | `unix` outputs of `whoami`, `uname -a`, `id`, `ls -l`, `ps`, `df`, `ip addr`, `ping` (parsed by moler's typed commands) |
//! | `juniper_ex.yml` | a Juniper EX switch's Junos CLI (`admin@switch> `), `configure` mode (`[edit]` above `admin@switch# `), `show version`, `show interfaces terse`, `show system uptime`, `set`, `commit`, Junos's caret errors | ssh: the login shell of an ssh user (`MOLER_SIM_DEVICE`) | `juniper`: `configure`, `exit_configure` |
//! | `pdu_aten.yml` | an ATEN PDU: `Login:`/`Password:` (teladmin/telpwd), `>` prompt, `read status`, `read meter`, `sw` (outlet o01's power is kept: states OUTLET_ON, OUTLET_OFF), `quit` | telnet (`--listen ADDR --telnet`) | `pdu_aten`: `read_status` (both), `read_meter` (both), `sw` (on, off, reboot), `quit` |
//! | `scpi.yml` | a SCPI instrument (`SCPI>`): `*IDN?`, `READ?`, `MEAS:…?`, settings, unknown commands queued as errors for `SYST:ERR?` | telnet (`--listen ADDR --telnet`) | `scpi`: `idn`, `read`, `run_command` (both) |
//! | `at_modem.yml` | a cellular modem: no prompt, `OK`/`ERROR`, `+CME ERROR: 50` for a context it lacks, `ATE0`/`ATE1`, `AT+CIMI`, `AT+CGSN`, `AT+CGATT` changing the attach state, `AT+CGDCONT`, `AT+CGPADDR`, `AT+CREG?` and kin, `AT+COPS`, `ATI`, Fibocom's `AT+GTCCINFO?` | a serial line (`socat` pty pair) | `at`: `at`, `enable_echo`, `attach`, `detach`, `get_attach_state` (both), `get_imsi`, `get_imei` (both), `get_manufacturer_id`, `get_revision_id`, `get_product_info` (nokia), `get_apns` (ip), `get_functionality_level`, `set_functionality_level` (both), `get_ip` (both), `set_apn` (both), `get_cell_id`, `get_cell_id_gprs`, `get_cell_id_lte`, `get_cell_id_nr` (the first case of each), `set_cell_id`, `set_cell_id_gprs`, `set_cell_id_lte`, `set_cell_id_nr` (all), `set_mode` (all), `create_pdu_session`, `release_pdu_session`, `fibocom_get_cell_info` (LTE cells) |
//! | `uboot_board.yml` | an embedded board's serial console: U-Boot's banner and `Hit any key to stop autoboot` countdown (a key stops it at `=> `, left alone it boots), `boot` (a kernel log), the console login (root / board123), a root shell, `reboot`/`reset` | a serial line (`--serial TTY`, a `socat` pty pair) | none (not a Moler family: the project's `uboot` commands) |
//! | `adb_shell.yml` | an Android shell (`shell@adbhost:/ $ `): `getprop`, `pm list packages`, `su`, Moler's `export PS1=…`, `exit` | stdio, where `adb shell` runs | `adb`: `adb_shell` (all three) |
//!
//! ## Example
//!
//! ```
//! use std::time::{Duration, Instant};
//! use moler_sim::{Device, Session};
//!
//! let device = Device::from_file("devices/unix_host.yml").unwrap();
//! let t0 = Instant::now();
//! let mut s = Session::new(device.into(), t0);
//! s.take_output();                                   // banner and `login: `
//! s.feed(b"molertest\r", t0);
//! s.feed(b"moler123\r", t0);                         // logged in: the prompt
//! let out = s.feed(b"whoami\r", t0);
//! assert_eq!(String::from_utf8_lossy(&out), "whoami\r\nmolertest\r\nmolertest@debian:~$ ");
//! s.feed(b"ping 127.0.0.1\r", t0);                   // a line now, then every second
//! let out = s.handle_timeout(t0 + Duration::from_secs(2));
//! assert_eq!(String::from_utf8_lossy(&out).matches("icmp_seq=").count(), 2);
//! let out = s.feed(b"\x03", t0 + Duration::from_secs(2));
//! assert!(String::from_utf8_lossy(&out).starts_with("^C\r\n\r\n--- 127.0.0.1 ping statistics ---"));
//! ```

pub mod device;
mod load;
pub mod memory;
pub mod server;
pub mod session;
pub mod telnet;

pub use device::{Ask, Device, Goto, Idle, Login, Matcher, Page, Rule, State, Streaming};
pub use moler_config::ConfigError;
pub use server::{serve_stdio, serve_terminal, serve_tty, Listener, Protocol};
pub use session::Session;

/// The environment variable the `moler-sim` program reads its device file from when it is
/// given none (as a login shell is).
pub const DEVICE_VAR: &str = "MOLER_SIM_DEVICE";
