//! # moler: automated testing of devices through text streams
//!
//! Moler (Python, nokia/moler) for Rust. Open a connection to a device (a local shell, a remote
//! shell over SSH, a TCP console, a child process), run **commands** on it as blocking calls or
//! in the background, and watch for **events** at the same time. Results are typed; handles can
//! be waited on from plain code or awaited in async code.
//!
//! The pieces, from the bottom up (each is its own crate, re-exported here):
//! - [`moler_core`]: the sans-IO connection, the observer contract, the generic [`Command`] and
//!   the [`Wait4`] line event;
//! - [`moler_io`]: transports (memory, local terminal, TCP, telnet, serial ports local and over
//!   RFC 2217, child process, SSH);
//! - [`moler_runners`]: the runners that drive a connection over a transport: [`ThreadRunner`]
//!   (always), [`TokioRunner`] and [`SmolRunner`] (features `tokio` and `smol`, both on by
//!   default), picked at run time through [`Runner`];
//! - [`moler_config`] ([`config`]): Moler's YAML, typed, with errors that point at
//!   `file:line:column`, and the connection factory ([`Config::open`]).
//! - [`device`] (this crate): devices as state machines ([`Device`]) and their factory
//!   ([`Devices`]): `Devices::from_file("my_devices.yml")?.get("RemoteBox")?` logs in over ssh
//!   as the config's hops say, and hands out commands for the state the device is in.
//!
//! ```
//! use moler::prelude::*;
//! use std::time::Duration;
//!
//! let shell = moler::local_shell()?;
//! let marks = shell.start(Wait4::new([r"^MARK (\d+)$"])?.till_occurs_times(1));
//! let out = shell.run(Command::lines("echo MARK 7", LOCAL_PROMPT), Duration::from_secs(10))?;
//! assert_eq!(out, ["MARK 7"]);
//! assert_eq!(marks.wait(Duration::from_secs(10))?[0].groups[0].as_deref(), Some("7"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same in async code (tokio here; smol alike): handles are futures.
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use moler::prelude::*;
//! let shell = moler::local_shell()?; // inside a tokio runtime: the tokio runner
//! assert_eq!(shell.runner(), RunnerKind::Tokio);
//! let out = shell.start(Command::lines("echo hi", LOCAL_PROMPT)).await?;
//! assert_eq!(out, ["hi"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::io;

pub mod device;
pub mod logging;
pub mod record;
pub mod testing;
pub use device::{
    Device, DeviceError, DeviceObserver, Devices, Goto, State, StateChange, WrongState,
};

pub use moler_core::{
    all_done, any_done, cancel_all, separate_done, Awaitable, Command, Completion, Connection,
    Context, Error, Inactivity, Kind, Lines, MatchMode, Observer, ObserverExt, Occurrence,
    Occurrences, OnInactivity, ParseError, ParseResult, Parser, Publisher, Report, Result, Step,
    Subscription, TimeoutAction, Wait4,
};
#[cfg(feature = "smol")]
pub use moler_runners::SmolRunner;
#[cfg(feature = "tokio")]
pub use moler_runners::TokioRunner;
pub use moler_runners::{
    wait_for_all, wait_for_any, CompletionExt, ConnectionHandle, OccurrencesExt, Runner,
    RunnerKind, ThreadRunner,
};
pub use {moler_commands, moler_config, moler_core, moler_io, moler_runners};

/// Ends every transport's child on SIGINT (Ctrl-C), SIGTERM or SIGHUP too, not only at the
/// program's normal end: opt-in, see [`moler_io::end_children_on_signals`].
pub use moler_io::end_children_on_signals;
/// The signal ending the program after [`end_children_on_signals`], once it came.
pub use moler_io::ending_on_signal;

/// Moler's YAML config and the connection factory (crate `moler-config`):
/// `moler::config::Config::from_file("my.yml")?.open("net_1")?`.
pub use moler_config as config;
pub use moler_config::Config;

/// Moler's unix commands and events (crate `moler-commands`): `moler::commands::unix::Ls`,
/// `moler::commands::Registry`.
pub use moler_commands as commands;

use moler_io::terminal::TerminalOptions;

/// The prompt regex of a shell opened by [`local_shell`].
pub const LOCAL_PROMPT: &str = "^moler_bash# $";

/// Opens a local `bash` in a pseudo-terminal (prompt `moler_bash# `, 300 columns, no bracketed
/// paste) on the autodetected runner: inside a tokio runtime the tokio runner, otherwise the
/// thread runner.
///
/// It returns once bash is started, without waiting for its first prompt: the first command
/// waits for it. A shell that never shows its prompt closes the connection; commands then fail
/// with a closed-connection error that quotes what the shell printed.
pub fn local_shell() -> io::Result<ConnectionHandle> {
    local_shell_on(&Runner::autodetect(), &TerminalOptions::default())
}

/// [`local_shell`] with options (shell, size, directory, environment).
pub fn local_shell_with(options: &TerminalOptions) -> io::Result<ConnectionHandle> {
    local_shell_on(&Runner::autodetect(), options)
}

/// [`local_shell`] on a runner of your choice.
pub fn local_shell_on(runner: &Runner, options: &TerminalOptions) -> io::Result<ConnectionHandle> {
    runner.spawn("local", moler_io::terminal::open(options)?)
}

/// The prompt regex of a remote shell opened with the moler prompt set: `moler_prompt: true`
/// in a config, `with_moler_prompt()` in code, on either SSH client (libssh2's
/// `moler_io::ssh`, the OpenSSH client's [`moler_io::openssh`]).
pub const SSH_PROMPT: &str = "^moler_ssh# $";

/// Opens a shell over SSH on the autodetected runner (see [`moler_io::ssh`] for the options:
/// password or key, host-key policy, keepalive, old algorithms).
///
/// The handshake and the login happen here, before it returns, each step within
/// [`SshOptions::connect_timeout`](moler_io::ssh::SshOptions::connect_timeout); a wrong password
/// or host key fails here with an error naming the target. In async code, call it from a
/// blocking-friendly place (`tokio::task::spawn_blocking`) if a slow login must not hold up
/// other tasks.
///
/// ```no_run
/// use moler::moler_io::ssh::SshOptions;
/// use moler::prelude::*;
/// use std::time::Duration;
///
/// let options = SshOptions::new("10.0.0.5", "tester").password("secret").with_moler_prompt();
/// let remote = moler::ssh_shell(&options)?;
/// let out = remote.run(Command::lines("uname -s", moler::SSH_PROMPT), Duration::from_secs(10))?;
/// assert_eq!(out, ["Linux"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "ssh")]
pub fn ssh_shell(options: &moler_io::ssh::SshOptions) -> io::Result<ConnectionHandle> {
    ssh_shell_on(&Runner::autodetect(), options)
}

/// [`ssh_shell`] on a runner of your choice.
#[cfg(feature = "ssh")]
pub fn ssh_shell_on(
    runner: &Runner,
    options: &moler_io::ssh::SshOptions,
) -> io::Result<ConnectionHandle> {
    runner.spawn("ssh", moler_io::ssh::connect(options)?)
}

/// Opens a telnet session to `host:port` on the autodetected runner (see [`moler_io::telnet`]:
/// option negotiation, `IAC` escaping, `CR NUL`). The connection carries the console's bytes;
/// a login dialog is the device's (its hops, or commands that answer `login:`).
///
/// ```no_run
/// use moler::moler_io::telnet::TelnetOptions;
/// use moler::prelude::*;
/// use std::time::Duration;
///
/// let console = moler::telnet("10.0.0.7", 23, &TelnetOptions::default())?;
/// console.run(Command::lines("admin", "^Password: $").ret_required(false), Duration::from_secs(10))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn telnet(
    host: &str,
    port: u16,
    options: &moler_io::telnet::TelnetOptions,
) -> io::Result<ConnectionHandle> {
    telnet_on(&Runner::autodetect(), host, port, options)
}

/// [`telnet`] on a runner of your choice.
pub fn telnet_on(
    runner: &Runner,
    host: &str,
    port: u16,
    options: &moler_io::telnet::TelnetOptions,
) -> io::Result<ConnectionHandle> {
    runner.spawn("telnet", moler_io::telnet::connect(host, port, options)?)
}

/// Opens a local serial port (`/dev/ttyUSB0`) with its line settings on the autodetected
/// runner (see [`moler_io::serial`]). [`ConnectionHandle::send_break`] sends a break
/// ([`ConnectionHandle::send_break_async`] from async code);
/// [`ConnectionHandle::control`] reads the settings back.
///
/// ```no_run
/// use moler::moler_io::serial::SerialOptions;
/// use moler::prelude::*;
/// use std::time::Duration;
///
/// let modem = moler::serial(&SerialOptions::new("/dev/ttyUSB0").baud_rate(9600))?;
/// assert_eq!(modem.run(Command::lines("AT", "^OK$"), Duration::from_secs(5))?, Vec::<String>::new());
/// modem.send_break()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn serial(options: &moler_io::serial::SerialOptions) -> io::Result<ConnectionHandle> {
    serial_on(&Runner::autodetect(), options)
}

/// [`serial`] on a runner of your choice.
pub fn serial_on(
    runner: &Runner,
    options: &moler_io::serial::SerialOptions,
) -> io::Result<ConnectionHandle> {
    runner.spawn("serial", moler_io::serial::open(options)?)
}

/// Opens a serial port behind a console server (`ser2net`) over RFC 2217 on the autodetected
/// runner: the line settings are set on the server's port before it returns (see
/// [`moler_io::rfc2217`]). A raw TCP port of a console server is [`moler_io::tcp`] instead.
pub fn rfc2217(
    host: &str,
    port: u16,
    options: &moler_io::rfc2217::Rfc2217Options,
) -> io::Result<ConnectionHandle> {
    rfc2217_on(&Runner::autodetect(), host, port, options)
}

/// [`rfc2217`] on a runner of your choice.
pub fn rfc2217_on(
    runner: &Runner,
    host: &str,
    port: u16,
    options: &moler_io::rfc2217::Rfc2217Options,
) -> io::Result<ConnectionHandle> {
    runner.spawn("rfc2217", moler_io::rfc2217::connect(host, port, options)?)
}

/// What a test script needs, in one `use`.
pub mod prelude {
    /// Waiting on many handles at once (Moler's `EventAwaiter`).
    pub use crate::{
        all_done, any_done, cancel_all, separate_done, wait_for_all, wait_for_any, Awaitable,
    };
    pub use crate::{
        local_shell, local_shell_on, Command, Completion, Config, ConnectionHandle, Device,
        DeviceError, Devices, Error, MatchMode, Observer, ObserverExt, Occurrence, OnInactivity,
        ParseError, ParseResult, Parser, Report, Runner, RunnerKind, State, StateChange,
        ThreadRunner, TimeoutAction, Wait4, LOCAL_PROMPT,
    };
    #[cfg(feature = "ssh")]
    pub use crate::{moler_io::ssh::SshOptions, ssh_shell, ssh_shell_on, SSH_PROMPT};
    /// The blocking waits (`completion.wait(timeout)`, `occurrences.next_timeout(timeout)`):
    /// the core's handles are futures, these traits block on them.
    pub use crate::{CompletionExt, OccurrencesExt};
    pub use moler_commands::{unix, Registry, UnixCommand, UnixEvent};
}

/// The README's code blocks, compiled (and run, but for those marked `no_run`) as doc tests,
/// so the user's guide cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
