//! Devices (layer 4): a connection and a state machine that moves it between shells.
//!
//! A [`Device`] is made by [`Devices`] (the factory) from a config's `DEVICES` section or from
//! code. Its states come from its class (`UnixLocal`: NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT;
//! `ProxyPc`: + PROXY_PC; `UnixRemote`: + UNIX_REMOTE, UNIX_REMOTE_ROOT, and PROXY_PC when the
//! config names it); the hops between them are commands of the registry (`ssh`, `su`, `sudo`,
//! `exit`, `telnet`…) with the class defaults merged with the config's `CONNECTION_HOPS`.
//!
//! - [`Device::goto_state`] routes through intermediate states (UNIX_REMOTE_ROOT → UNIX_LOCAL runs
//!   `exit` twice); [`Device::goto_state_bg`] does it in the background and can be awaited.
//! - The state is verified, never assumed. A hop succeeds only on the prompt of the state it
//!   leads to, and fails as soon as the prompt of the state it started from comes back (ssh
//!   refused, sudo to an unknown user), quoting what the client printed. Each state has its own
//!   prompt and newline; a prompt regex that matches another state's prompt is an error at load.
//!   A prompt watch runs for the whole life of the connection: the line a shell leaves open
//!   while it waits moves the device to the one state whose prompt it matches (a line matching
//!   two moves it nowhere), so a remote shell that ends puts the device back in UNIX_LOCAL as
//!   soon as the local prompt shows, and a command still running there fails at once.
//! - Blocking calls ([`Device::goto_state`], [`Devices::get`], `run`) are refused inside an async
//!   task before they send anything; `spawn_blocking` threads and plain threads may block.
//! - Observers for the current state (its prompt filled in, its newline used), one way per
//!   kind; an observer started after the device left the state it was made for fails with
//!   [`WrongState`] ([`DeviceError::WrongState`] from `run`):
//!
//! | you have | run it now (blocking) | in the background (a [`Completion`] to await or wait on) |
//! |---|---|---|
//! | a typed command (`unix::Ls`) | [`Device::run`] (`run_for`: another timeout) | [`Device::start`] (`start_for`) |
//! | a typed event (`events::PingResponse`) | — | [`Device::watch`] |
//! | a command or event by Moler's name and JSON parameters | [`Device::cmd`]`(..)?.run()` / [`Device::event`]`(..)?.run()` | `.start()` |
//! | any [`Observer`] of your own | [`Device::observe`]`(..)?.run()` | `.start()` |
//!
//!   `Device::command(&spec)` is gone: `run`/`start` take the spec, and
//!   `observe(spec.build(device.prompt()))` makes the same observer to start later.
//! - Async at heart: opening, hops, walks and removal are futures over the connection's
//!   completions. [`Device::goto_state`] and [`Devices::get`] block a plain thread on them;
//!   [`Device::goto_state_async`] and [`Devices::get_async`] await them in the caller's task;
//!   [`Device::goto_state_bg`] runs the walk as a task on the caller's runtime (the shared
//!   `moler-tasks` thread where there is none), not on a thread of its own.

mod class;
mod error;
mod factory;
mod prompts;
mod state;
#[cfg(test)]
mod test_log;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use moler_commands::{Registry, UnixCommand, UnixEvent};
use moler_config::{Config, ConnectionSpec};
use moler_core::{Completion, Connection, Context, Error, Kind, LineSplitter, Observer, Step};
use moler_runners::{ConnectionHandle, Runner};
use serde_json::Value;

pub use class::{
    NOT_CONNECTED, PROXY_PC, UNIX_LOCAL, UNIX_LOCAL_ROOT, UNIX_REMOTE, UNIX_REMOTE_ROOT,
};
pub use error::{DeviceError, WrongState};
pub use factory::{DeviceInfo, Devices, HopInfo};
pub use state::{State, StateChange};

/// How [`Device::goto_state_with`] moves a device (Moler's `goto_state` keyword arguments).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Goto {
    /// The whole walk's timeout (each hop gets what is left of it, at most its own); none by
    /// default: each hop has its command's.
    pub timeout: Option<Duration>,
    /// How many times a failed walk is tried again from where the device got to (Moler's
    /// `rerun`; default 0).
    pub rerun: u32,
    /// Send an Enter once there and wait for the prompt (Moler's
    /// `send_enter_after_changed_state`).
    pub send_enter_after_changed_state: bool,
    /// Go back to the state by itself whenever it is lost (a reboot, a shell that ends), until
    /// the next state change asked for (Moler's `keep_state`).
    pub keep_state: bool,
}

impl Goto {
    /// No timeout of its own, no rerun, no Enter.
    pub fn new() -> Goto {
        Goto::default()
    }

    /// The whole walk's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Goto {
        self.timeout = Some(timeout);
        self
    }

    /// Tries a failed walk `times` more times.
    pub fn rerun(mut self, times: u32) -> Goto {
        self.rerun = times;
        self
    }

    /// Sends an Enter in the new state and waits for its prompt.
    pub fn send_enter_after_changed_state(mut self, on: bool) -> Goto {
        self.send_enter_after_changed_state = on;
        self
    }

    /// Keeps the device in the state: when it is lost, the device walks back by itself (a
    /// background task, not a thread), until another state change is asked for.
    pub fn keep_state(mut self, on: bool) -> Goto {
        self.keep_state = on;
        self
    }
}

use state::{ChangeSlot, StateCell};

use class::Machine;

use crate::logging;

/// `; did you mean X?` for a likely typo of one of `known`; else `; {list_as} a, b, c`, or
/// nothing without `list_as`.
fn suggest(given: &str, known: &[&str], list_as: Option<&str>) -> String {
    match (moler_config::did_you_mean(given, known.iter().copied()), list_as) {
        (Some(near), _) => format!("; did you mean {near}?"),
        (None, Some(label)) => format!("; {label} {}", known.join(", ")),
        (None, None) => String::new(),
    }
}

/// The `expected_prompt`s of Moler's class defaults that stand for a prompt the user gives
/// (`moler-config/src/classes.yml`, as in Moler's device classes).
const PLACEHOLDER_PROMPTS: [&str; 3] =
    ["local_root_prompt", "remote_root_prompt", "remote_user_prompt"];

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An observer bound to the state it was made for: it refuses to start in another one, and
/// sends with that state's newline. A command (but a hop, which moves the device itself) also
/// fails at once when the device leaves that state while it runs: the shell it was typed into
/// is gone, and its output will never come.
struct InState<O> {
    inner: O,
    cell: Arc<StateCell>,
    made_for: &'static str,
    newline: String,
    device: String,
    /// Fails when the device leaves `made_for` while it runs.
    follows_state: bool,
    /// Refuses to start outside `made_for` (off only by [`DeviceObserver::check_state`]).
    check_state: bool,
    /// A hop's: the state its success moves the device to, on the connection of that
    /// generation. Moved as the hop ends, in the stream's order (see [`InState::stepped`]).
    moves_to: Option<(u64, &'static str)>,
    /// A timeout in place of the observer's own (the removal caps its hops).
    timeout: Option<Duration>,
    /// The wake-up the inner observer asked for: the slot is shared with `check_at`.
    inner_wake: Option<Instant>,
    /// When to look at the state again after output: while commands run, the prompt watch
    /// moves the device once a prompt stayed the last thing received for its quiet time, and
    /// no output may follow (the shell this command was typed into is gone).
    check_at: Option<Instant>,
}

impl<O: Observer> Observer for InState<O> {
    type Output = O::Output;
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn kind(&self) -> Kind {
        self.inner.kind()
    }
    fn timeout(&self) -> Option<Duration> {
        self.timeout.or_else(|| self.inner.timeout())
    }
    fn literals(&self) -> Option<moler_core::Literals> {
        self.inner.literals()
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        if let Some(error) = self.left_state().filter(|_| self.check_state) {
            tracing::warn!(target: logging::MAIN, device = %self.device, "{error}");
            return Step::Done(Err(error));
        }
        tracing::info!(target: logging::MAIN, device = %self.device, "{} started in {}", self.inner.describe(), self.made_for);
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_start(cx));
        self.stepped(step, cx, false)
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<Self::Output> {
        // The prompt watch saw this text first (it started with the connection): a prompt in
        // it that moved the device is known here.
        if self.follows_state {
            if let Some(error) = self.left_state() {
                return self.log_end(Step::Done(Err(error)), cx.elapsed());
            }
            // A prompt this text ends with moves the device once nothing follows it.
            self.check_at = cx.now().checked_add(prompts::PromptsWatch::QUIET + WATCH_MARGIN);
        }
        // The inner observer's own wake-up stands unless it asks for another.
        cx.wake_in_at(self.inner_wake);
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_data(data, cx));
        self.stepped(step, cx, true)
    }
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_timeout(cx));
        self.stepped(step, cx, false)
    }
    fn on_cancel(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_cancel(cx));
        self.stepped(step, cx, false)
    }
    fn on_close(&mut self, error: Error) -> moler_core::Result<Self::Output> {
        let result = self.inner.on_close(error);
        if let Err(e) = &result {
            tracing::warn!(target: logging::MAIN, device = %self.device, "{} failed: {}", self.inner.describe(), moler_core::Report(e));
        }
        result
    }
    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        cx.with_newline(&self.newline, |cx| self.inner.on_linger(data, cx))
    }
    fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let now = cx.now();
        if self.check_at.is_some_and(|at| at <= now) {
            self.check_at = None;
            if let Some(error) = self.left_state() {
                return self.log_end(Step::Done(Err(error)), cx.elapsed());
            }
        }
        if self.inner_wake.is_none_or(|at| at > now) {
            // Not the inner observer's time yet.
            cx.wake_in_at(self.inner_wake);
            self.share_wake(&Step::Pending, cx);
            return Step::Pending;
        }
        self.inner_wake = None;
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_wake(cx));
        self.stepped(step, cx, true)
    }
    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        cx.with_newline(&self.newline, |cx| self.inner.on_linger_wake(cx))
    }
}

impl<O: Observer> InState<O> {
    /// After a call of the inner observer: keeps its wake-up, moves the device as a hop's
    /// success says, and logs its end. `on_output`: the call was for output or a wake-up, so
    /// a command that ended there ended at the line its shell waits on, and the prompt the
    /// watch noted there, if any, is where the device is (before the next command starts).
    ///
    /// A hop that succeeded moves the device to its state first, then that prompt applies: a
    /// hop can end at a whole line inside what was read (`b# `), and the line left open at the
    /// end of it is later output (a shell that ended at once: `logout`, then the prompt it fell
    /// back to). Moved after the hop, by the walk, the device believed the hop's state, with
    /// the shell it fell back to waiting at its prompt.
    fn stepped(
        &mut self,
        step: Step<O::Output>,
        cx: &mut Context<'_>,
        on_output: bool,
    ) -> Step<O::Output> {
        self.share_wake(&step, cx);
        let succeeded = matches!(&step, Step::Done(Ok(_)) | Step::Linger { result: Ok(_), .. });
        if let Some((generation, to)) = self.moves_to.take_if(|_| succeeded) {
            self.cell.set_if(generation, to);
        }
        if on_output && matches!(step, Step::Done(_)) && self.inner.kind() == Kind::Command {
            self.cell.apply_pending();
        }
        self.log_end(step, cx.elapsed())
    }

    /// After a call of the inner observer that left it running: keeps the wake-up it asked
    /// for, and asks for the earlier of it and [`InState::check_at`] (a lingering or finished
    /// observer's slot is left alone).
    fn share_wake(&mut self, step: &Step<O::Output>, cx: &mut Context<'_>) {
        if !matches!(step, Step::Pending) {
            return;
        }
        self.inner_wake = cx.wake_at();
        let first = [self.inner_wake, self.check_at].into_iter().flatten().min();
        cx.wake_in_at(first);
    }

    /// The error for an observer whose device is no longer in the state it was made for.
    fn left_state(&self) -> Option<Error> {
        let current = self.cell.get();
        (current != self.made_for).then(|| {
            Error::Other(Arc::new(WrongState {
                observer: self.inner.describe(),
                device: self.device.clone(),
                made_for: self.made_for.to_owned(),
                current: current.to_owned(),
            }))
        })
    }

    /// Logs the end of the observer, if `step` is one, and hands it on.
    fn log_end(&self, step: Step<O::Output>, elapsed: Duration) -> Step<O::Output> {
        let result = match &step {
            Step::Pending => return step,
            Step::Done(r) | Step::Linger { result: r, .. } => r,
        };
        let took = elapsed.as_secs_f64();
        match result {
            Ok(_) => {
                tracing::info!(target: logging::MAIN, device = %self.device, "{} finished in {took:.3} s", self.inner.describe())
            }
            Err(e) => {
                tracing::warn!(target: logging::MAIN, device = %self.device, "{} failed after {took:.3} s: {}", self.inner.describe(), moler_core::Report(e))
            }
        }
        step
    }
}

/// Ends as soon as it starts, with the connection's last line (the prompt its peer waits on,
/// when it had a greeting). A command, so it starts only once the commands before it ended:
/// the transport's greeting, which a runner starts first.
struct AfterGreeting;

impl Observer for AfterGreeting {
    type Output = Option<String>;
    fn describe(&self) -> String {
        "the connection's greeting (its first prompt)".into()
    }
    fn kind(&self) -> Kind {
        Kind::Command
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<Option<String>> {
        Step::Done(Ok(cx.last_line().map(std::borrow::Cow::into_owned)))
    }
    fn on_data(&mut self, _: &str, cx: &mut Context<'_>) -> Step<Option<String>> {
        self.on_start(cx)
    }
}

/// A command or event made by a device for its current state: start it (a handle to await or
/// wait on) or run it (blocking).
pub struct DeviceObserver<T: Send + 'static> {
    observer: InState<Box<dyn Observer<Output = T>>>,
    connection: ConnectionHandle,
}

impl<T: Send + 'static> std::fmt::Debug for DeviceObserver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceObserver")
            .field("observer", &self.observer.describe())
            .field("device", &self.observer.device)
            .field("made_for", &self.observer.made_for)
            .finish()
    }
}

impl<T: Send + 'static> DeviceObserver<T> {
    /// What it is (`command 'ls -l'`).
    pub fn describe(&self) -> String {
        self.observer.describe()
    }

    /// The state it was made for.
    pub fn made_for(&self) -> &str {
        self.observer.made_for
    }

    /// Whether it refuses to run unless the device is in the state it was made for (on by
    /// default; Moler's `check_state`). Off, it runs in whatever state the device is in, typed
    /// into whatever shell is there: only for a command meant to run across a state change
    /// the device cannot see. Turning it off is logged as a warning.
    ///
    /// ```
    /// let devices = moler::Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n")?;
    /// let local = devices.get("LOCAL")?;
    /// // Made for UNIX_LOCAL_ROOT while in UNIX_LOCAL: refused, unless the check is off.
    /// let pwd = local.cmd_for("pwd", serde_json::json!({}), "UNIX_LOCAL_ROOT")?;
    /// assert!(pwd.run().unwrap_err().to_string().contains("UNIX_LOCAL_ROOT"));
    /// let pwd = local.cmd_for("pwd", serde_json::json!({}), "UNIX_LOCAL")?.check_state(false);
    /// assert!(pwd.run()?["full_path"].is_string());
    /// devices.remove_all();
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn check_state(mut self, on: bool) -> Self {
        if !on {
            tracing::warn!(target: logging::MAIN, device = %self.observer.device, "{}: the state check is off: it runs in whatever state the device is in", self.observer.describe());
        }
        self.observer.check_state = on;
        self.observer.follows_state &= on;
        self
    }

    /// Starts it in the background.
    pub fn start(self) -> Completion<T> {
        self.connection.start(self.observer)
    }

    /// Runs it and blocks until its result (within its own timeout; an event without one
    /// waits until it ends).
    pub fn run(self) -> Result<T, DeviceError> {
        let timeout = self.observer.timeout().unwrap_or(Duration::MAX);
        self.run_within(timeout)
    }

    /// Runs it and blocks until its result, timing it out after `timeout` (instead of its own).
    pub fn run_within(self, timeout: Duration) -> Result<T, DeviceError> {
        Ok(self.connection.run(self.observer, timeout)?)
    }
}

/// The longest the removal waits for a closed connection to take its close.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// How long after the prompt watch's quiet time a command bound to a state looks at the state
/// again: the watch's wake-up comes first.
const WATCH_MARGIN: Duration = Duration::from_millis(1);

/// The longest the removal waits for one hop down (`exit`), below the hop's own timeout: a
/// shell that does not answer is then closed instead. A removal takes at most this per hop.
pub const REMOVAL_HOP_CAP: Duration = Duration::from_secs(10);

struct Live {
    handle: ConnectionHandle,
    prompts: Completion<()>,
}

struct Inner {
    name: String,
    machine: Machine,
    config: Arc<Config>,
    /// How its connection opens (replaced by [`Device::exchange_connection`]).
    connection: Mutex<ConnectionSpec>,
    registry: Arc<Registry>,
    cell: Arc<StateCell>,
    live: Mutex<Option<Live>>,
    /// One state change at a time, in the order asked (a fair async lock: a walk waits for
    /// its turn without blocking a thread).
    turn: Arc<async_lock::Mutex<()>>,
    removed: AtomicBool,
    /// The generation of the keeping watcher ([`Goto::keep_state`]): every walk
    /// asked for changes the generation, so an older watcher ends.
    keeping: AtomicU64,
    /// The prompt detected when the connection opened ([`Machine::detect`]'s state), kept for
    /// the life of the process as states are ([`class::intern`]).
    detected: Mutex<Option<&'static str>>,
}

/// The turn of a state change: held for the whole walk.
type Turn = async_lock::MutexGuardArc<()>;

/// How a walk opens a connection whose opening may wait on the network (an SSH handshake, a
/// TCP connect to another host): right there (a plain thread that asked to block), or on a
/// thread where blocking is allowed (a walk polled by an async runtime or the shared
/// `moler-tasks` thread).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opening {
    Inline,
    Unblocked,
}

/// A device: one connection and the state machine of its class. Cheap to clone (clones share
/// the device).
///
/// ```no_run
/// use moler::prelude::*;
/// use serde_json::json;
///
/// let devices = Devices::from_file("my_devices.yml")?;
/// let remote = devices.get("RemoteBox")?;             // logs in: its initial state
/// let who = remote.cmd("whoami", json!({}))?.run()?;  // by name: Moler's JSON result
/// let files = remote.run(unix::Ls::new())?;           // typed
/// remote.goto_state("UNIX_LOCAL")?;                   // exit
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// At heart a device is async: opening, hops, walks and removal are futures over the
/// connection's [`Completion`]s. The blocking calls ([`Device::goto_state`], [`Devices::get`])
/// block a plain thread on them; [`Device::goto_state_async`], [`Devices::get_async`] and
/// [`Device::goto_state_bg`] (a task on the caller's runtime, no thread of its own) are the
/// same walks for async code.
#[derive(Clone)]
pub struct Device {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("name", &self.inner.name)
            .field("class", &self.inner.machine.class)
            .field("state", &self.state())
            .finish()
    }
}

/// Two handles are equal when they are the same device.
impl PartialEq for Device {
    fn eq(&self, other: &Device) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Device {}

impl Device {
    fn new(
        name: String,
        machine: Machine,
        config: Arc<Config>,
        connection: ConnectionSpec,
        registry: Arc<Registry>,
    ) -> Device {
        Device {
            inner: Arc::new(Inner {
                cell: Arc::new(StateCell::new(name.clone(), &machine.states)),
                name,
                machine,
                config,
                connection: Mutex::new(connection),
                registry,
                live: Mutex::new(None),
                turn: Arc::new(async_lock::Mutex::new(())),
                removed: AtomicBool::new(false),
                keeping: AtomicU64::new(0),
                detected: Mutex::new(None),
            }),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Its class (`UnixLocal`, `ProxyPc`, `UnixRemote`).
    pub fn class(&self) -> &str {
        self.inner.machine.class
    }

    /// The state it is in now.
    pub fn state(&self) -> State {
        State::new(self.inner.cell.get())
    }

    /// Its states, NOT_CONNECTED first.
    pub fn states(&self) -> &[&'static str] {
        &self.inner.machine.states
    }

    /// The state it goes to when created (`INITIAL_STATE`, else its class's).
    pub fn initial_state(&self) -> State {
        State::new(self.inner.machine.initial)
    }

    /// The prompt regex of the current state (none while NOT_CONNECTED).
    pub fn prompt(&self) -> Option<&str> {
        self.state_prompt(self.inner.cell.get())
    }

    /// The prompt regex of `state`.
    pub fn prompt_of(&self, state: impl AsRef<str>) -> Option<&str> {
        self.state_prompt(state.as_ref())
    }

    /// The newline sent in `state` (`\n` unless its hop's `target_newline` says otherwise).
    pub fn newline_of(&self, state: impl AsRef<str>) -> &str {
        self.inner.machine.newline(state.as_ref())
    }

    /// Gives this device's own log files a suffix of their own (Moler's
    /// `device.set_logging_suffix`): `Some(".step2")` writes `moler.<DEVICE>.step2.log` from
    /// now on, `None` goes back. Nothing without logs configured.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("moler-doc-device-suffix-{}", std::process::id()));
    /// let yaml = format!("LOGGER: {{PATH: '{}'}}\nDEVICES:\n  LOCAL: {{DEVICE_CLASS: UnixLocal}}\n", dir.display());
    /// let devices = moler::Devices::from_yaml(&yaml)?;
    /// let local = devices.get("LOCAL")?;
    /// local.set_logging_suffix(Some(".step2"))?;
    /// local.run(moler::commands::unix::Pwd::new())?;
    /// local.disable_logging();
    /// local.run(moler::commands::unix::Pwd::new())?; // not in the device log
    /// local.enable_logging();
    /// devices.remove_all();
    /// moler::logging::stop();
    /// let step2 = std::fs::read_to_string(dir.join("moler.LOCAL.step2.log"))?;
    /// assert_eq!(step2.matches(">|pwd").count(), 1, "typed once while logged:\n{step2}");
    /// assert!(step2.contains("device removed"), "logged again:\n{step2}");
    /// # std::fs::remove_dir_all(dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_logging_suffix(&self, suffix: Option<&str>) -> Result<(), DeviceError> {
        if let Some(logs) = logging::active() {
            logs.set_device_suffix(&self.inner.name, suffix)?;
        }
        Ok(())
    }

    /// Stops writing this device's own logs (its device log and raw log); `moler.log` goes on
    /// (Moler's `device.disable_logging`).
    pub fn disable_logging(&self) {
        if let Some(logs) = logging::active() {
            logs.set_device_logging(&self.inner.name, false);
        }
    }

    /// Writes this device's own logs again (Moler's `device.enable_logging`).
    pub fn enable_logging(&self) {
        if let Some(logs) = logging::active() {
            logs.set_device_logging(&self.inner.name, true);
        }
    }

    /// The command families valid in `state` (its class's `COMMANDS`: `unix`, `at`, …; empty
    /// for NOT_CONNECTED or a state the device does not have).
    pub fn command_families(&self, state: impl AsRef<str>) -> &[String] {
        let state = state.as_ref();
        let families = &self.inner.machine.families;
        families.iter().find(|(s, _)| *s == state).map_or(&[], |(_, f)| f.as_slice())
    }

    /// The state the connection opens into (UNIX_LOCAL for Moler's unix classes).
    pub fn connected_state(&self) -> State {
        State::new(self.inner.machine.connected)
    }

    /// The connection, while connected.
    pub fn connection(&self) -> Option<ConnectionHandle> {
        lock(&self.inner.live).as_ref().map(|l| l.handle.clone())
    }

    /// A state's prompt: the class's, or the one detected when the connection opened.
    fn state_prompt(&self, state: &str) -> Option<&str> {
        if self.inner.machine.detect == Some(state) {
            if let Some(p) = *lock(&self.inner.detected) {
                return Some(p);
            }
        }
        self.inner.machine.prompt(state)
    }

    fn known_state(&self, state: &str) -> Result<&'static str, DeviceError> {
        let states = &self.inner.machine.states;
        states.iter().copied().find(|s| *s == state).ok_or_else(|| DeviceError::UnknownState {
            device: self.inner.name.clone(),
            class: self.inner.machine.class.to_owned(),
            state: state.to_owned(),
            hint: suggest(state, states, Some("it has")),
        })
    }

    /// Moves the device to `state`, through the states between (blocking). A failed hop fails
    /// with [`DeviceError::StateChange`] naming it; the device stays where it got to. In async
    /// code use [`Device::goto_state_async`] (or [`Device::goto_state_bg`]).
    ///
    /// ```
    /// use moler::Devices;
    ///
    /// let devices = Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n")?;
    /// let local = devices.get("LOCAL")?;
    /// local.goto_state("NOT_CONNECTED")?; // closes the shell
    /// assert_eq!(local.state(), "NOT_CONNECTED");
    /// local.goto_state("UNIX_LOCAL")?; // opens a new one
    /// let err = local.goto_state("UNIX_REMOTE").unwrap_err().to_string();
    /// assert!(err.contains("has no state UNIX_REMOTE"), "{err}");
    /// devices.remove_all();
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn goto_state(&self, state: impl AsRef<str>) -> Result<(), DeviceError> {
        self.goto_state_with(state, Goto::default())
    }

    /// [`Device::goto_state`] with Moler's options: a timeout for the whole walk, reruns of a
    /// walk that failed, an Enter once there.
    ///
    /// ```
    /// use moler::{Devices, Goto};
    /// use std::time::Duration;
    ///
    /// let devices = Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n")?;
    /// let local = devices.get("LOCAL")?;
    /// local.goto_state("NOT_CONNECTED")?;
    /// let how = Goto::new().timeout(Duration::from_secs(30)).rerun(1).send_enter_after_changed_state(true);
    /// local.goto_state_with("UNIX_LOCAL", how)?;
    /// assert_eq!(local.state(), "UNIX_LOCAL");
    /// devices.remove_all();
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn goto_state_with(&self, state: impl AsRef<str>, how: Goto) -> Result<(), DeviceError> {
        let target = self.known_state(state.as_ref())?;
        // Refused before the first hop sends anything.
        moler_runners::blocking_allowed()?;
        let turn = self.inner.turn.lock_arc_blocking();
        let runner = Runner::autodetect();
        moler_runners::block_on(self.route(turn, target, &runner, Opening::Inline, &how))
    }

    /// [`Device::goto_state_with`] for async code.
    pub async fn goto_state_with_async(
        &self,
        state: impl AsRef<str>,
        how: Goto,
    ) -> Result<(), DeviceError> {
        let target = self.known_state(state.as_ref())?;
        let turn = self.inner.turn.lock_arc().await;
        self.route(turn, target, &Runner::autodetect(), Opening::Unblocked, &how).await
    }

    /// [`Device::goto_state`] for async code: the walk runs in the caller's task, and a
    /// connection opened on the way runs on the caller's runtime. An opening that may wait on
    /// the network (SSH, TCP to another host) runs on the runtime's blocking pool.
    ///
    /// ```
    /// use moler::Devices;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let devices = Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n").unwrap();
    /// let local = devices.get_async("LOCAL").await.unwrap();
    /// local.goto_state_async("NOT_CONNECTED").await.unwrap();
    /// assert_eq!(local.state(), "NOT_CONNECTED");
    /// devices.remove_all_async().await;
    /// # });
    /// ```
    pub async fn goto_state_async(&self, state: impl AsRef<str>) -> Result<(), DeviceError> {
        let target = self.known_state(state.as_ref())?;
        let turn = self.inner.turn.lock_arc().await;
        self.route(turn, target, &Runner::autodetect(), Opening::Unblocked, &Goto::default()).await
    }

    /// Starts moving the device to `state` in the background; the handle can be awaited or
    /// waited on. State changes run one at a time, in the order asked. The walk is a task on
    /// the caller's runtime (inside tokio: a tokio task; elsewhere: the shared `moler-tasks`
    /// thread), not a thread of its own.
    pub fn goto_state_bg(&self, state: impl AsRef<str>) -> StateChange {
        let slot = Arc::new(ChangeSlot::default());
        let change = StateChange {
            slot: Arc::clone(&slot),
            device: self.inner.name.clone(),
            target: state.as_ref().to_owned(),
        };
        let target = match self.known_state(state.as_ref()) {
            Ok(t) => t,
            Err(e) => {
                slot.complete(Err(e));
                return change;
            }
        };
        let device = self.clone();
        // A connection opened on the way uses the runner of the caller's context (inside a
        // tokio runtime: that runtime).
        let runner = Runner::autodetect();
        let walker = runner.clone();
        runner.spawn_task(async move {
            let turn = device.inner.turn.lock_arc().await;
            let how = Goto::default();
            slot.complete(device.route(turn, target, &walker, Opening::Unblocked, &how).await);
        });
        change
    }

    /// Blocks until the device is in `state` (moved there by a state change or by what the
    /// connection shows: a remote shell that ends puts it back in UNIX_LOCAL).
    pub fn wait_for_state(
        &self,
        state: impl AsRef<str>,
        timeout: Duration,
    ) -> Result<(), DeviceError> {
        let target = self.known_state(state.as_ref())?;
        moler_runners::blocking_allowed()?;
        let deadline = Instant::now().checked_add(timeout);
        match moler_runners::block_on_until(self.inner.cell.reached(target), deadline) {
            Some(()) => Ok(()),
            None => Err(DeviceError::StateTimeout {
                device: self.inner.name.clone(),
                state: target.to_owned(),
                waited: timeout,
            }),
        }
    }

    /// [`Device::wait_for_state`] for async code, without a timeout of its own (wrap it in
    /// your runtime's).
    pub async fn wait_for_state_async(&self, state: impl AsRef<str>) -> Result<(), DeviceError> {
        let target = self.known_state(state.as_ref())?;
        self.inner.cell.reached(target).await;
        Ok(())
    }

    fn removed(&self) -> Result<(), DeviceError> {
        if self.inner.removed.load(Ordering::Acquire) {
            return Err(DeviceError::Removed { device: self.inner.name.clone() });
        }
        Ok(())
    }

    /// The walk to `target` in its turn, as `how` says, logged when it fails.
    async fn route(
        &self,
        turn: Turn,
        target: &'static str,
        runner: &Runner,
        opening: Opening,
        how: &Goto,
    ) -> Result<(), DeviceError> {
        // Any walk asked for ends the keeping of an earlier one.
        let keep = self.end_keeping();
        let deadline = how.timeout.and_then(|t| Some((Instant::now().checked_add(t)?, t)));
        let from = self.inner.cell.get();
        let mut result = self.walk(target, false, runner, opening, deadline).await;
        for attempt in 1..=how.rerun {
            let Err(e) = &result else { break };
            if self.removed().is_err() || deadline.is_some_and(|(d, _)| Instant::now() >= d) {
                break;
            }
            tracing::warn!(target: logging::MAIN, device = %self.inner.name, "{} (rerun {attempt} of {})", moler_core::Report(e), how.rerun);
            result = self.walk(target, false, runner, opening, deadline).await;
        }
        if result.is_ok() && how.send_enter_after_changed_state && from != target {
            result = self.enter(target).await;
        }
        if result.is_ok() && how.keep_state {
            let device = self.clone();
            let on = runner.clone();
            runner.spawn_task(async move { device.keep(target, keep, on).await });
        }
        drop(turn);
        if let Err(e) = &result {
            tracing::error!(target: logging::MAIN, device = %self.inner.name, "{}", moler_core::Report(e));
        }
        result
    }

    /// The walk to `target`, one hop at a time from wherever the device is (the caller holds
    /// the turn). `removing` lets the removal walk down to NOT_CONNECTED.
    async fn walk(
        &self,
        target: &'static str,
        removing: bool,
        runner: &Runner,
        opening: Opening,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<(), DeviceError> {
        let machine = &self.inner.machine;
        // Each state at most twice: a device that keeps falling back is not followed for ever.
        let mut hops_left = machine.states.len() * 2;
        loop {
            if !removing {
                self.removed()?;
            }
            let from = self.inner.cell.get();
            if from == target {
                return Ok(());
            }
            if hops_left == 0 {
                return Err(self.change_error(
                    from,
                    target,
                    "the walk".into(),
                    format!("the device kept changing state by itself; it is in {from}").into(),
                ));
            }
            hops_left -= 1;
            let Some(next) = machine.next_step(from, target) else {
                return Err(self.change_error(
                    from,
                    target,
                    "finding a way".into(),
                    format!("no hops lead from {from} to {target}").into(),
                ));
            };
            // The removal's hops wait at most REMOVAL_HOP_CAP each: teardown must end; a walk
            // with a timeout gives each hop what is left of it.
            let left = match deadline.map(|(d, t)| (d.saturating_duration_since(Instant::now()), t))
            {
                Some((left, waited)) if left.is_zero() => {
                    return Err(DeviceError::StateTimeout {
                        device: self.inner.name.clone(),
                        state: target.to_owned(),
                        waited,
                    })
                }
                left => left.map(|(left, _)| left),
            };
            let cap = match (removing.then_some(REMOVAL_HOP_CAP), left) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match (from, next) {
                (NOT_CONNECTED, _) => self.open(runner, opening).await?,
                (_, NOT_CONNECTED) => {
                    let prompts = self.close();
                    if removing {
                        self.closed(prompts, runner).await;
                    }
                }
                _ => self.hop(from, next, cap).await?,
            }
        }
    }

    fn change_error(
        &self,
        from: &str,
        to: &str,
        hop: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    ) -> DeviceError {
        let source: Arc<dyn std::error::Error + Send + Sync> = Arc::from(source);
        DeviceError::StateChange {
            device: self.inner.name.clone(),
            from: from.to_owned(),
            to: to.to_owned(),
            hop,
            source,
        }
    }

    async fn open(&self, runner: &Runner, opening: Opening) -> Result<(), DeviceError> {
        let spec = &lock(&self.inner.connection).clone();
        let name = &self.inner.name;
        let what = format!("opening the connection (io_type {})", spec.io_type.value);
        let connected = self.inner.machine.connected;
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
            self.change_error(NOT_CONNECTED, connected, what.clone(), e)
        };
        let connection = Connection::new(name).with_transcript(logging::transcript(name));
        let opened = if opening == Opening::Unblocked && waits_on_network(spec) {
            let (config, spec, on) = (Arc::clone(&self.inner.config), spec.clone(), runner.clone());
            runner
                .unblock(move || config.open_spec_on(connection, &spec, &on))
                .await
                .map_err(|e| failed(e.into()))?
        } else {
            self.inner.config.open_spec_on(connection, spec, runner)
        };
        let handle = opened.map_err(|e| failed(e.into()))?;
        let machine = &self.inner.machine;
        let mut regexes = Vec::new();
        for (state, prompt) in &machine.prompts {
            let regex = moler_core::cached_regex(prompt).map_err(|e| {
                self.change_error(NOT_CONNECTED, connected, "the prompts event".into(), e.into())
            })?;
            regexes.push((*state, regex));
        }
        // The transport's greeting (a terminal's setup marker and first prompt, a TCP
        // device's `ready_prompt`) runs as a command: this one starts only after it, so the
        // device is in its connected state (UNIX_LOCAL) once the shell showed it is ready, not
        // when the socket opened.
        let shown = match handle.start(AfterGreeting).await {
            Ok(shown) => shown,
            Err(e) => {
                handle.close();
                return Err(failed(e.into()));
            }
        };
        // A remote shell nobody described: its prompt, from what it echoes.
        if let Some(state) = machine.detect {
            let detected = match handle.start(prompts::DetectPrompt::new(state)).await {
                Ok(p) => p,
                Err(e) => {
                    handle.close();
                    return Err(self.change_error(
                        NOT_CONNECTED,
                        connected,
                        format!("detecting the prompt of {state}"),
                        e.into(),
                    ));
                }
            };
            let regex = moler_core::cached_regex(&detected).map_err(|e| {
                handle.close();
                self.change_error(NOT_CONNECTED, connected, "the detected prompt".into(), e.into())
            })?;
            tracing::info!(
                target: logging::MAIN,
                device = %self.inner.name,
                "{state}: prompt detected: {detected:?}"
            );
            *lock(&self.inner.detected) = Some(class::intern(&detected));
            regexes.push((state, regex));
        }
        // Where a greeting showed the prompt the peer waits on, that prompt says where the
        // device is: the connected state, or another one (a console left in a root shell);
        // a prompt of no state is an error before anything is typed. (A greeting that ends a
        // line, a `ready_prompt` such as "READY\r\n", shows no prompt to read.)
        let opened_in = match (handle.greeting(), machine.detect, shown) {
            (Some(_), None, Some(line)) if !line.trim().is_empty() => {
                match self.opened_in(&regexes, &line) {
                    Ok(state) => state,
                    Err(why) => {
                        handle.close();
                        return Err(failed(why.into()));
                    }
                }
            }
            _ => connected,
        };
        let generation = self.inner.cell.renew(opened_in);
        let prompts = handle.start(prompts::PromptsWatch {
            prompts: regexes,
            lines: LineSplitter::new(prompts::PromptsWatch::LINE_CAP),
            cell: Arc::clone(&self.inner.cell),
            generation,
            device: self.inner.name.clone(),
            reported: None,
        });
        *lock(&self.inner.live) = Some(Live { handle, prompts });
        Ok(())
    }

    /// The state a connection opened in, from the line its peer waits on after its greeting
    /// (`shown`): the connected state when its prompt matches, else the one other state whose
    /// prompt matches; `Err` (why) when none does, or several others do.
    fn opened_in(
        &self,
        prompts: &[(&'static str, Arc<regex::Regex>)],
        shown: &str,
    ) -> Result<&'static str, String> {
        let machine = &self.inner.machine;
        let connected = machine.connected;
        let (states, _) = prompts::PromptsWatch::matching(prompts, shown);
        if states.contains(&connected) {
            return Ok(connected);
        }
        // A connected state with no prompt is "not known yet" (a board's console): a prompt of
        // no state is that.
        if states.is_empty() && machine.prompt(connected).is_none() {
            return Ok(connected);
        }
        if let [state] = states[..] {
            tracing::info!(target: logging::MAIN, device = %self.inner.name, "the connection opened in {state}, not {connected}: it shows {shown:?}, the prompt of {state}");
            return Ok(state);
        }
        let expected = machine.prompt(connected).unwrap_or_default();
        let others = match &states[..] {
            [] => format!("nor of any other state of {}", machine.class),
            more => format!("but of {} at once", more.join(" and ")),
        };
        Err(format!(
            "the connection is ready at {shown:?}, which is not the prompt of {connected} \
             ({expected:?}, the state {} opens into), {others}: the device would not know where \
             it is, so nothing was typed; make {connected}'s prompt match what the connection \
             shows",
            machine.class
        ))
    }

    /// Closes the connection; the prompt watch's handle, which ends once the connection has
    /// taken the close (its transcript, the device log, has said so by then).
    fn close(&self) -> Option<Completion<()>> {
        let live = lock(&self.inner.live).take();
        self.inner.cell.renew(NOT_CONNECTED);
        live.map(|live| {
            live.handle.close();
            live.prompts
        })
    }

    /// Waits (at most [`CLOSE_WAIT`]) until a closed connection has taken its close, so that
    /// its last words reach the device log before the log's files close.
    async fn closed(&self, prompts: Option<Completion<()>>, runner: &Runner) {
        let Some(prompts) = prompts else { return };
        let mut sleep = std::pin::pin!(runner.sleep_until(Instant::now() + CLOSE_WAIT));
        std::future::poll_fn(|cx| {
            if prompts.poll_done(cx).is_ready()
                || std::future::Future::poll(sleep.as_mut(), cx).is_ready()
            {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
    }

    /// Ends the keeping of any earlier state (its watcher sees a new generation): returns the
    /// generation a new watcher keeps under.
    fn end_keeping(&self) -> u64 {
        self.inner.keeping.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Walks back to `target` whenever the device leaves it by itself, while the keeping
    /// `generation` is the device's (a walk asked for, or the removal, ends it). A failed walk
    /// back is tried again a second later (a device that reboots takes a while).
    async fn keep(self, target: &'static str, generation: u64, runner: Runner) {
        let kept = |d: &Device| {
            !d.inner.removed.load(Ordering::Acquire)
                && d.inner.keeping.load(Ordering::Acquire) == generation
        };
        loop {
            self.inner.cell.left(target).await;
            if !kept(&self) {
                return;
            }
            let turn = self.inner.turn.lock_arc().await;
            if !kept(&self) {
                return;
            }
            let now = self.inner.cell.get();
            if now == target {
                continue;
            }
            tracing::info!(target: logging::MAIN, device = %self.inner.name, "keep_state: {target} was lost (now {now}); going back");
            let result = self.walk(target, false, &runner, Opening::Unblocked, None).await;
            drop(turn);
            if let Err(e) = result {
                tracing::warn!(target: logging::MAIN, device = %self.inner.name, "keep_state: back to {target} failed, again in 1 s: {}", moler_core::Report(&e));
                runner.sleep_until(Instant::now() + Duration::from_secs(1)).await;
            }
        }
    }

    /// Closes the device's connection and opens `spec` instead (Moler's
    /// `exchange_io_connection`): the device is then in its connected state (UNIX_LOCAL), once
    /// the new connection's greeting showed it (or in the state whose prompt the greeting ended
    /// at, see [`Devices::get`](crate::Devices::get)), and later openings use `spec`. In its turn, as
    /// a state change. A failure to open leaves the device NOT_CONNECTED, with `spec` for the
    /// next opening.
    ///
    /// ```
    /// use moler::config::ConnectionSpec;
    ///
    /// let devices = moler::Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n")?;
    /// let local = devices.get("LOCAL")?;
    /// local.exchange_connection(ConnectionSpec::new("terminal").param("cwd", "/tmp"))?;
    /// assert_eq!(local.state(), "UNIX_LOCAL");
    /// assert_eq!(local.run(moler::commands::unix::Pwd::new())?.full_path, "/tmp");
    /// devices.remove_all();
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn exchange_connection(&self, spec: ConnectionSpec) -> Result<(), DeviceError> {
        moler_runners::blocking_allowed()?;
        self.removed()?;
        // A class whose states depend on the kind of connection (REMOTE_ACCESS) keeps its kind:
        // a local shell where the device believes in a remote one (or the reverse) is the
        // wrong machine.
        let local = class::is_local_terminal(&spec.io_type.value);
        if self.inner.machine.local_shell.is_some_and(|was| was != local) {
            let had = lock(&self.inner.connection).io_type.value.clone();
            return Err(DeviceError::Config(moler_config::ConfigError::from_problems([
                moler_config::Problem::new(
                    moler_config::ErrorKind::InvalidValue,
                    spec.io_type.origin.clone(),
                    format!(
                        "device {}: class {} has other states on io_type {} than on {had}: a \
                     connection of another kind needs a device of its own",
                        self.inner.name, self.inner.machine.class, spec.io_type.value
                    ),
                ),
            ])));
        }
        let turn = self.inner.turn.lock_arc_blocking();
        let runner = Runner::autodetect();
        moler_runners::block_on(async move {
            // A new connection ends any keeping (the state kept was the old one's).
            self.end_keeping();
            let prompts = self.close();
            self.closed(prompts, &runner).await;
            *lock(&self.inner.connection) = spec;
            let result = self.open(&runner, Opening::Inline).await;
            drop(turn);
            result
        })
    }

    /// An Enter in `state`, and its prompt back (Moler's `send_enter_after_changed_state`).
    async fn enter(&self, state: &'static str) -> Result<(), DeviceError> {
        let prompt = self.state_prompt(state).unwrap_or(moler_core::DEFAULT_PROMPT);
        let enter = moler_core::Command::lines("", prompt)
            .sends("", true)
            .expect_echo(false)
            .ret_required(false)
            .timeout(Duration::from_secs(10));
        let (now, connection) = self.current("an Enter")?;
        self.bind(now, connection, Box::new(enter)).start().await.map(drop).map_err(|e| {
            self.change_error(state, state, "the Enter after the change".into(), e.into())
        })
    }

    /// One hop; `cap` bounds its wait below the hop command's own timeout (the removal's).
    async fn hop(
        &self,
        from: &'static str,
        to: &'static str,
        cap: Option<Duration>,
    ) -> Result<(), DeviceError> {
        let plan = self.inner.machine.hop(from, to).expect("routes only use configured hops");
        let what = format!("hop {}", plan.describe());
        let mut params = plan.params.clone();
        // A hop back into the state whose prompt was detected ends there (unless the user
        // wrote its prompt: the class defaults' placeholders give way).
        let written = plan.param_origins.iter().any(|(k, _)| k == "expected_prompt");
        if self.inner.machine.detect == Some(to) && !written {
            if let Some(p) = *lock(&self.inner.detected) {
                params.insert("expected_prompt".into(), Value::from(p));
            }
        }
        // Moler's class defaults name the root prompts with words no shell shows: a hop left
        // with one could only time out (20 s and more), after typing `su` and a placeholder
        // password. Refused before anything is sent.
        let placeholder = params
            .get("expected_prompt")
            .and_then(Value::as_str)
            .filter(|p| !written && PLACEHOLDER_PROMPTS.contains(p));
        if let Some(p) = placeholder {
            let why = format!(
                "its expected_prompt is `{p}`, the placeholder of the class's defaults (Moler's), \
                 which no shell shows: give the prompt of {to} (and what else the hop needs, such \
                 as the password) in the device's CONNECTION_HOPS; nothing was sent"
            );
            return Err(self.change_error(from, to, what, why.into()));
        }
        // The connection the hop runs on: if it ends meanwhile, the hop's end moves nothing.
        let generation = self.inner.cell.generation();
        tracing::info!(target: logging::MAIN, device = %self.inner.name, "{what}");
        // Not `current`: the walk checked `removed` already, and the removal's own walk must
        // still build its hops (`exit`) on a device already marked removed.
        let mut observer = self
            .connected(&format!("`{}`", plan.command))
            .and_then(|(state, connection)| {
                self.json_for(state, connection, &plan.command, &Value::Object(params), true)
            })
            .map_err(|e| self.change_error(from, to, what.clone(), e.into()))?;
        // The hop moves the device: the state it leaves is no reason to stop it. Its success
        // moves the device to `to` as it ends, before the prompt the watch saw after it.
        observer.observer.follows_state = false;
        observer.observer.moves_to = Some((generation, to));
        if let Some(cap) = cap {
            let own = observer.observer.timeout().unwrap_or(Duration::MAX);
            observer.observer.timeout = Some(own.min(cap));
        }
        // The connection times the hop out by its own timeout (or the cap): no waiter's clock.
        match observer.start().await {
            // The hop command saw the prompt of `to` and not the prompt it started from: the
            // device moved there as it ended (and on, if a prompt after it said so).
            Ok(_) => Ok(()),
            // A failed hop is a failure, whatever prompt is on the screen: the device stays in
            // the state its prompt watch knows.
            Err(e) => Err(self.change_error(from, to, what, e.into())),
        }
    }

    /// The state a new observer is for, with its prompt and connection.
    fn current(&self, what: &str) -> Result<(&'static str, ConnectionHandle), DeviceError> {
        self.removed()?;
        self.connected(what)
    }

    /// The current state and connection, removed or not (the removal walks down with it).
    fn connected(&self, what: &str) -> Result<(&'static str, ConnectionHandle), DeviceError> {
        let live = lock(&self.inner.live);
        let state = self.inner.cell.get();
        match live.as_ref() {
            Some(l) if state != NOT_CONNECTED => Ok((state, l.handle.clone())),
            _ => Err(DeviceError::NotConnected {
                device: self.inner.name.clone(),
                what: what.to_owned(),
            }),
        }
    }

    fn bind<T: Send + 'static>(
        &self,
        state: &'static str,
        connection: ConnectionHandle,
        observer: Box<dyn Observer<Output = T>>,
    ) -> DeviceObserver<T> {
        let follows_state = observer.kind() == Kind::Command;
        DeviceObserver {
            observer: InState {
                inner: observer,
                cell: Arc::clone(&self.inner.cell),
                made_for: state,
                newline: self.inner.machine.newline(state).to_owned(),
                device: self.inner.name.clone(),
                follows_state,
                check_state: true,
                moves_to: None,
                timeout: None,
                inner_wake: None,
                check_at: None,
            },
            connection,
        }
    }

    fn json_observer(
        &self,
        name: &str,
        params: &Value,
        command: bool,
    ) -> Result<DeviceObserver<Value>, DeviceError> {
        let (state, connection) = self.current(&format!("`{name}`"))?;
        self.json_for(state, connection, name, params, command)
    }

    /// The command (or event) `name` built for `state` on `connection`.
    fn json_for(
        &self,
        state: &'static str,
        connection: ConnectionHandle,
        name: &str,
        params: &Value,
        command: bool,
    ) -> Result<DeviceObserver<Value>, DeviceError> {
        let registry = &self.inner.registry;
        let built = if command {
            // By the state's families: `exit_telnet` in a PDU's state is the PDU's.
            let name = class::qualify(registry, &self.inner.machine.families, state, name);
            registry.command_for_prompt(&name, params, self.state_prompt(state))
        } else {
            registry.event(name, params)
        };
        let observer = built.map_err(|source| DeviceError::Build {
            device: self.inner.name.clone(),
            source: Arc::new(source),
        })?;
        Ok(self.bind(state, connection, observer))
    }

    /// The command `name` of the registry with `params` (a JSON object; Moler's parameter
    /// names), for the current state: its prompt is filled in unless `params` has `prompt`.
    /// The result is Moler's JSON.
    pub fn cmd(&self, name: &str, params: Value) -> Result<DeviceObserver<Value>, DeviceError> {
        self.json_observer(name, &params, true)
    }

    /// The command `name` built for state `for_state` (its prompt and newline; Moler's
    /// `get_cmd(.., for_state=…)`), whatever state the device is in now; it refuses to start
    /// unless the device is in `for_state` then (see [`DeviceObserver::check_state`]). The
    /// device must be connected.
    pub fn cmd_for(
        &self,
        name: &str,
        params: Value,
        for_state: impl AsRef<str>,
    ) -> Result<DeviceObserver<Value>, DeviceError> {
        let state = self.known_state(for_state.as_ref())?;
        let (_, connection) = self.current(&format!("`{name}`"))?;
        self.json_for(state, connection, name, &params, true)
    }

    /// The event `name` of the registry with `params`, for the current state.
    pub fn event(&self, name: &str, params: Value) -> Result<DeviceObserver<Value>, DeviceError> {
        self.json_observer(name, &params, false)
    }

    /// The event `name` with `params`, for the current state, calling `on_occurrence` with
    /// each occurrence as it happens (Moler's `add_event_occurred_callback`), as JSON in
    /// Moler's shape, on the thread that drives the connection (keep it short).
    pub fn event_with(
        &self,
        name: &str,
        params: Value,
        on_occurrence: impl FnMut(&Value) + Send + 'static,
    ) -> Result<DeviceObserver<Value>, DeviceError> {
        let (state, connection) = self.current(&format!("`{name}`"))?;
        let observer =
            self.inner.registry.event_with(name, &params, on_occurrence).map_err(|source| {
                DeviceError::Build { device: self.inner.name.clone(), source: Arc::new(source) }
            })?;
        Ok(self.bind(state, connection, observer))
    }

    /// Any observer, bound to the current state like the others (it fails to start once the
    /// device left the state, and sends with the state's newline):
    /// `device.observe(Command::lines("echo $$", device.prompt().unwrap()))?.run()?`.
    pub fn observe<O: Observer>(
        &self,
        observer: O,
    ) -> Result<DeviceObserver<O::Output>, DeviceError> {
        let (state, connection) = self.current(&observer.describe())?;
        Ok(self.bind(state, connection, Box::new(observer)))
    }

    /// A typed command for the current state (its prompt filled in), with `timeout` instead
    /// of its default when given.
    fn typed<T: UnixCommand>(
        &self,
        spec: &T,
        timeout: Option<Duration>,
    ) -> Result<DeviceObserver<T::Output>, DeviceError> {
        let (state, connection) = self.current(&format!("`{}`", T::NAME))?;
        let mut command = spec.build(self.state_prompt(state));
        if let Some(timeout) = timeout {
            command = command.timeout(timeout);
        }
        Ok(self.bind(state, connection, Box::new(command)))
    }

    /// Runs a typed command in the current state and blocks until its result:
    /// `device.run(Ls::new().options("-l"))?`. It times out after its default
    /// ([`UnixCommand::default_timeout`]: 20 s for most, 90 s for logins, a ping's `-c`/`-w`
    /// duration with slack); [`Device::run_for`] gives another.
    pub fn run<T: UnixCommand>(&self, spec: T) -> Result<T::Output, DeviceError> {
        self.typed(&spec, None)?.run()
    }

    /// Runs a typed command in the current state, timing it out after `timeout` (Ctrl-C, and
    /// [`Error::Timeout`]): `device.run_for(Find::new(…), Duration::from_secs(300))?`.
    pub fn run_for<T: UnixCommand>(
        &self,
        spec: T,
        timeout: Duration,
    ) -> Result<T::Output, DeviceError> {
        self.typed(&spec, Some(timeout))?.run()
    }

    /// Starts a typed command in the current state in the background, with its default
    /// timeout ([`Device::run`]).
    pub fn start<T: UnixCommand>(&self, spec: T) -> Result<Completion<T::Output>, DeviceError> {
        Ok(self.typed(&spec, None)?.start())
    }

    /// Starts a typed command in the current state in the background; it times out by itself
    /// after `timeout` (a background command that outlives its timeout fails, and a
    /// `BackgroundFailures` scope reports it).
    pub fn start_for<T: UnixCommand>(
        &self,
        spec: T,
        timeout: Duration,
    ) -> Result<Completion<T::Output>, DeviceError> {
        Ok(self.typed(&spec, Some(timeout))?.start())
    }

    /// Runs `make` every `every.period` (Moler's `Scheduler`), as a task of the caller's
    /// runtime (the shared `moler-tasks` thread without one), no thread per job: it starts a
    /// command on the device, which the job awaits. A run whose command fails (or that cannot
    /// start one: the device left the state) is an error of the job; with
    /// `Every::cancel_on_error` the first one stops it.
    ///
    /// ```
    /// use moler::commands::unix::Uptime;
    /// use moler::moler_runners::Every;
    /// use moler::Devices;
    /// use std::time::Duration;
    ///
    /// let devices = Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n")?;
    /// let local = devices.get("LOCAL")?;
    /// let beacon = local.every(Every::new(Duration::from_millis(50)), |d| d.start(Uptime::new()));
    /// std::thread::sleep(Duration::from_millis(300));
    /// beacon.cancel();
    /// assert!(beacon.wait_ended(Duration::from_secs(30)));
    /// assert!(beacon.runs() >= 1 && beacon.errors().is_empty(), "{:?}", beacon.errors());
    /// devices.remove_all();
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn every<T, F>(&self, every: moler_runners::Every, mut make: F) -> moler_runners::Job
    where
        T: Send + 'static,
        F: FnMut(&Device) -> Result<Completion<T>, DeviceError> + Send + 'static,
    {
        let device = self.clone();
        Runner::autodetect().every(every, move || {
            let started = make(&device);
            async move { started?.await.map(drop).map_err(DeviceError::from) }
        })
    }

    /// Starts a typed event in the current state.
    pub fn watch<E: UnixEvent>(&self, spec: E) -> Result<Completion<Vec<E::Record>>, DeviceError> {
        let (state, connection) = self.current(&format!("`{}`", E::NAME))?;
        let event = spec.event()?;
        Ok(self.bind(state, connection, Box::new(event)).start())
    }

    /// Leaves the device NOT_CONNECTED for good: walks back down through its hops (`exit` from
    /// each shell, logged at INFO) and closes the connection. Each hop down waits at most its
    /// own timeout capped at [`REMOVAL_HOP_CAP`]; a hop that fails (or a state change under
    /// way) makes it close the connection where it is instead, logged at WARNING. Later calls
    /// fail with [`DeviceError::Removed`]. Blocks this thread; inside an async task it cannot
    /// walk down without blocking the runtime, so it closes the connection at once, saying so
    /// (use [`Device::remove_async`] there).
    pub(crate) fn remove(&self) {
        if let Err(e) = moler_runners::blocking_allowed() {
            self.inner.removed.store(true, Ordering::Release);
            let turn = self.inner.turn.try_lock_arc();
            tracing::warn!(target: logging::MAIN, device = %self.inner.name, "removing in {}: not walking down ({e}); closing the connection instead (remove_async walks down)", self.state());
            // Not waited for either: its last log lines may come after the files closed (they
            // reopen for them).
            drop(self.close());
            drop(turn);
            self.removed_for_good();
            return;
        }
        moler_runners::block_on(self.remove_with(Opening::Inline));
    }

    /// [`Device::remove`] for async code: the same walk down, awaited.
    pub(crate) async fn remove_async(&self) {
        self.remove_with(Opening::Unblocked).await;
    }

    async fn remove_with(&self, opening: Opening) {
        self.inner.removed.store(true, Ordering::Release);
        // A state change under way (a login that hangs) is cut short by closing the connection.
        let turn = match self.inner.turn.try_lock_arc() {
            Some(t) => t,
            None => {
                if let Some(l) = lock(&self.inner.live).as_ref() {
                    l.handle.close();
                }
                self.inner.turn.lock_arc().await
            }
        };
        let from = self.state();
        if from != NOT_CONNECTED {
            tracing::info!(target: logging::MAIN, device = %self.inner.name, "removing: walking down from {from} to NOT_CONNECTED");
        }
        // A normal teardown: each shell is left with its own hop, so remote shells end as
        // their users would end them. Not `route`: a failure here is no error of the script,
        // only the reason to fall back to closing the connection.
        let runner = Runner::autodetect();
        if let Err(e) = self.walk(NOT_CONNECTED, true, &runner, opening, None).await {
            tracing::warn!(target: logging::MAIN, device = %self.inner.name, "removing: {}; closing the connection in {} instead", moler_core::Report(&e), self.state());
            let prompts = self.close();
            self.closed(prompts, &runner).await;
        }
        drop(turn);
        self.removed_for_good();
    }

    fn removed_for_good(&self) {
        tracing::info!(target: logging::MAIN, device = %self.inner.name, "device removed");
        // Its files are flushed and closed now, not when the process ends: a device made again
        // under this name appends to them.
        if let Some(logs) = logging::active() {
            logs.close_device(&self.inner.name);
        }
    }
}

/// True when opening `spec` may wait on the network: an SSH handshake, a TCP connect to a host
/// other than this one. A loopback connect, a pty or a process starts at once.
fn waits_on_network(spec: &ConnectionSpec) -> bool {
    match spec.io_type.value.as_str() {
        "tcp" => {
            let host = spec.params.iter().rev().find(|(k, _)| k.name == "host");
            let host = match host.map(|(_, v)| &v.value) {
                Some(moler_config::Value::Str(h)) => h.as_str(),
                _ => "localhost",
            };
            let loopback = host == "localhost"
                || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            !loopback
        }
        "terminal" | "terminal_no_fork" | "terminal_fork" | "process" | "memory" => false,
        _ => true,
    }
}

#[cfg(test)]
mod in_state_tests {
    use super::*;
    use moler_core::Command;

    /// `inner` as a device wraps it for UNIX_REMOTE, and the state of that device, in
    /// UNIX_REMOTE (its first connection).
    fn wrapped<O: Observer>(inner: O) -> (InState<O>, Arc<StateCell>) {
        let cell = Arc::new(StateCell::new("D".into(), &[NOT_CONNECTED, UNIX_LOCAL, UNIX_REMOTE]));
        let generation = cell.renew(UNIX_REMOTE);
        assert_eq!(generation, 1);
        let observer = InState {
            inner,
            cell: Arc::clone(&cell),
            made_for: UNIX_REMOTE,
            newline: "\n".into(),
            device: "D".into(),
            follows_state: true,
            check_state: true,
            moves_to: None,
            timeout: None,
            inner_wake: None,
            check_at: None,
        };
        (observer, cell)
    }

    /// A command with linger rules of its own: after its timeout it lingers until a line
    /// with `stop` comes, or until its second wake-up (a wake-up every 500 ms).
    struct Lingers {
        wakes: u32,
    }

    impl Observer for Lingers {
        type Output = ();
        fn describe(&self) -> String {
            "lingers".into()
        }
        fn kind(&self) -> Kind {
            Kind::Command
        }
        fn timeout(&self) -> Option<Duration> {
            Some(Duration::from_secs(1))
        }
        fn literals(&self) -> Option<moler_core::Literals> {
            Some(moler_core::Literals::new(["", "stop"]))
        }
        fn on_data(&mut self, _: &str, _: &mut Context<'_>) -> Step<()> {
            Step::Pending
        }
        fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<()> {
            cx.wake_in(Duration::from_millis(500));
            Step::Linger { result: Ok(()), period: Duration::from_secs(10) }
        }
        fn on_linger(&mut self, data: &str, _: &mut Context<'_>) -> bool {
            data.contains("stop")
        }
        fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
            self.wakes += 1;
            cx.wake_in(Duration::from_millis(500));
            self.wakes == 2
        }
    }

    /// The device's wrapper is the observer it wraps to the connection: its name, its
    /// literals, and its linger rules (a command that timed out lingers until its Ctrl-C's
    /// echo and prompt came, so that the next command is not typed behind it).
    #[test]
    fn the_wrapper_keeps_the_observers_name_literals_and_linger_rules() {
        let (wrapper, _) = wrapped(Lingers { wakes: 0 });
        assert_eq!(wrapper.describe(), "lingers");
        assert_eq!(wrapper.literals(), Some(moler_core::Literals::new(["", "stop"])));

        for by_data in [true, false] {
            let (wrapper, _) = wrapped(Lingers { wakes: 0 });
            let t = Instant::now();
            let mut conn = Connection::new("d");
            let done = conn.start(wrapper, t);
            assert_eq!(done.describe(), "lingers");
            let t = t + Duration::from_secs(1);
            conn.handle_timeout(t);
            assert!(done.try_result().expect("its result at its timeout").is_ok());
            // (Kept: the next command, queued behind it.)
            let _next = conn.start(Command::lines("next", "^remote> $"), t);
            if by_data {
                conn.handle_input(b"more\r\n", t);
                assert_eq!(conn.observer_count(), 2, "not its stop word: it lingers");
            } else {
                conn.handle_timeout(t + Duration::from_millis(500));
                assert_eq!(conn.observer_count(), 2, "its first wake-up: it lingers");
            }
            let mut sent = Vec::new();
            let _ = conn.poll_transmit(&mut sent);
            assert_eq!(sent, b"", "nothing goes out while it lingers (by data: {by_data})");
            if by_data {
                conn.handle_input(b"stop\r\n", t);
            } else {
                conn.handle_timeout(t + Duration::from_millis(1000));
            }
            assert_eq!(conn.observer_count(), 1, "its linger ended (by data: {by_data})");
            let _ = conn.poll_transmit(&mut sent);
            assert_eq!(sent, b"next\n", "the next command goes out after the linger");
        }
    }

    /// `check_state(false)` (a command meant to run across a state change the device cannot
    /// see) also stops it failing when the device leaves its state while it runs; on, both.
    /// Turning it off is a warning; leaving it on is none.
    #[test]
    fn the_state_check_off_is_off_at_the_start_and_while_it_runs() {
        let devices =
            crate::Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n").unwrap();
        let local = devices.get("LOCAL").unwrap();
        let on = local.cmd("pwd", serde_json::json!({})).unwrap();
        assert!(on.observer.check_state && on.observer.follows_state);
        let (off, warned) = super::test_log::warnings(|| {
            local.cmd("pwd", serde_json::json!({})).unwrap().check_state(false)
        });
        assert!(!off.observer.check_state && !off.observer.follows_state);
        assert_eq!(warned.len(), 1, "turning it off is one warning: {warned:?}");
        assert!(warned[0].contains("the state check is off"), "{warned:?}");
        let (still_on, warned) = super::test_log::warnings(|| {
            local.cmd("pwd", serde_json::json!({})).unwrap().check_state(true)
        });
        assert!(still_on.observer.check_state && still_on.observer.follows_state);
        assert!(warned.is_empty(), "leaving it on is no warning: {warned:?}");
        devices.remove_all();
    }

    /// A command bound to UNIX_REMOTE of a device in UNIX_REMOTE, on a sans-IO connection.
    fn bound<O: Observer + 'static>(
        command: O,
    ) -> (Connection, Arc<StateCell>, Completion<O::Output>, Instant) {
        let (observer, cell) = wrapped(command);
        let t = Instant::now();
        let mut conn = Connection::new("d");
        let done = conn.start(observer, t);
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        (conn, cell, done, t)
    }

    #[test]
    fn a_command_fails_once_the_device_left_its_state_with_nothing_more_received() {
        // The shell it was typed into died, the other prompt came and nothing follows: the
        // prompt watch moves the device after its quiet time, and the command learns it then.
        let (mut conn, cell, done, t) = bound(Command::lines("sleep 50", "^remote> $"));
        conn.handle_input(b"sleep 50\r\nConnection closed.\r\nmoler_bash# ", t);
        let check = t + prompts::PromptsWatch::QUIET + WATCH_MARGIN;
        assert_eq!(conn.poll_timeout(), Some(check));
        cell.set_if(1, UNIX_LOCAL); // (what the watch does at its quiet time)
        conn.handle_timeout(check);
        let err = done.try_result().expect("failed at the check").unwrap_err();
        assert!(err.to_string().contains("but the device is in UNIX_LOCAL now"), "{err}");
    }

    #[test]
    fn a_command_that_ends_at_another_states_prompt_moves_the_device_as_it_ends() {
        // `exit` from the remote: the watch noted the local prompt, and the command's end
        // there is the shell waiting at it.
        let (mut conn, cell, done, t) = bound(Command::lines("exit", "^moler_bash# $"));
        cell.set_pending(1, Some(UNIX_LOCAL)); // (the watch, on the same read, before)
        conn.handle_input(b"exit\r\nlogout\r\nmoler_bash# ", t);
        assert_eq!(done.try_result().unwrap().unwrap(), ["logout"]);
        assert_eq!(cell.get(), UNIX_LOCAL);
    }

    /// A command observer that asks to be woken a second after its start and takes any wake
    /// as that one: the time it was woken is its result.
    struct WokenOnce;

    impl Observer for WokenOnce {
        type Output = Instant;
        fn describe(&self) -> String {
            "woken once".into()
        }
        fn kind(&self) -> Kind {
            Kind::Command
        }
        fn on_start(&mut self, cx: &mut Context<'_>) -> Step<Instant> {
            cx.wake_in(Duration::from_secs(1));
            Step::Pending
        }
        fn on_data(&mut self, _: &str, _: &mut Context<'_>) -> Step<Instant> {
            Step::Pending
        }
        fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<Instant> {
            Step::Done(Ok(cx.now()))
        }
    }

    #[test]
    fn an_observer_is_woken_at_its_own_time_only() {
        let (mut conn, _cell, done, t) = bound(WokenOnce);
        let quiet = prompts::PromptsWatch::QUIET;
        conn.handle_input(b"some output", t);
        conn.handle_input(b" more", t + quiet / 2);
        // The state checks after each output pass; the observer sleeps on.
        conn.handle_timeout(t + quiet + WATCH_MARGIN);
        conn.handle_timeout(t + quiet / 2 + quiet + WATCH_MARGIN);
        assert!(!done.is_done(), "woken before its time");
        assert_eq!(conn.poll_timeout(), Some(t + Duration::from_secs(1)));
        conn.handle_timeout(t + Duration::from_secs(1));
        assert_eq!(done.try_result().unwrap().unwrap(), t + Duration::from_secs(1));
    }

    #[test]
    fn the_commands_own_wake_up_comes_at_its_time_beside_the_state_check() {
        // `resend_after`: its wake-up is later than the state check after the first output.
        let resend = Duration::from_secs(1);
        let (mut conn, _cell, done, t) =
            bound(Command::lines("tool", "^remote> $").resend_after(resend));
        conn.handle_input(b"tool\r\nworking", t);
        let check = t + prompts::PromptsWatch::QUIET + WATCH_MARGIN;
        assert_eq!(conn.poll_timeout(), Some(check), "the state check first");
        conn.handle_timeout(check);
        let mut sent = Vec::new();
        let _ = conn.poll_transmit(&mut sent);
        assert!(sent.is_empty(), "not the command's time yet: {sent:?}");
        assert_eq!(conn.poll_timeout(), Some(t + resend), "the command's own time kept");
        conn.handle_timeout(t + resend);
        let _ = conn.poll_transmit(&mut sent);
        assert_eq!(sent, b"tool\n", "resent at its time");
        // Output without a final newline, then the prompt: the command's quiet rule, whole.
        let later = t + resend;
        conn.handle_input(b"\r\ndone\r\nlast remote> ", later);
        conn.handle_timeout(later + moler_core::PROMPT_QUIET);
        assert_eq!(done.try_result().unwrap().unwrap(), ["working", "done", "last "]);
    }
}

#[cfg(test)]
mod opening_tests {
    use super::*;

    fn spec(io_type: &str, host: Option<&str>) -> ConnectionSpec {
        let spec = ConnectionSpec::new(io_type);
        match host {
            Some(h) => spec.param("host", h),
            None => spec,
        }
    }

    /// Opening off the async runtime's threads is for what may wait on the network; a local
    /// shell, a process or a loopback connect opens at once, where it is asked for.
    #[test]
    fn only_what_may_wait_on_the_network_opens_off_the_runtime() {
        for local in [
            spec("terminal", None),
            spec("terminal_no_fork", None),
            spec("terminal_fork", None),
            spec("process", None),
            spec("memory", None),
            spec("tcp", None),
            spec("tcp", Some("localhost")),
            spec("tcp", Some("127.0.0.1")),
            spec("tcp", Some("127.8.9.10")),
            spec("tcp", Some("::1")),
        ] {
            assert!(!waits_on_network(&local), "{local:?}");
        }
        for remote in [
            spec("tcp", Some("10.0.0.1")),
            spec("tcp", Some("device.example")),
            spec("tcp", Some("localhost.example")),
            spec("sshshell", Some("localhost")),
            spec("rfc2217", Some("127.0.0.1")),
            spec("telnet", Some("127.0.0.1")),
            // Anything else may wait: it opens off the runtime's threads, to be safe.
            spec("serial", None),
        ] {
            assert!(waits_on_network(&remote), "{remote:?}");
        }
    }
}

#[cfg(test)]
mod introspection_tests {
    /// What a script reads about a device and the commands it makes: prompts and command
    /// families per state, and names in `Debug`, from the class and the config.
    #[test]
    fn a_device_tells_its_prompts_families_and_names() {
        let yaml = "DEVICES:\n  LOCAL:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_HOPS:\n      \
                    UNIX_LOCAL:\n        UNIX_LOCAL_ROOT:\n          command_params: \
                    {password: x, expected_prompt: '^root@box# '}\n";
        let devices = crate::Devices::from_yaml(yaml).unwrap();
        let local = devices.get("LOCAL").unwrap();
        assert_eq!(local.prompt_of("UNIX_LOCAL"), Some("^moler_bash#"));
        assert_eq!(local.prompt_of("UNIX_LOCAL_ROOT"), Some("^root@box# "));
        assert_eq!(local.prompt(), Some("^moler_bash#"));
        for none in ["NOT_CONNECTED", "NO_SUCH_STATE"] {
            assert_eq!(local.prompt_of(none), None, "{none}");
            assert!(local.command_families(none).is_empty(), "{none}");
        }
        assert_eq!(local.command_families("UNIX_LOCAL"), ["unix"]);
        assert_eq!(local.command_families("UNIX_LOCAL_ROOT"), ["unix"]);
        let debug = format!("{local:?}");
        for part in ["Device", "\"LOCAL\"", "UnixLocal", "UNIX_LOCAL"] {
            assert!(debug.contains(part), "{part} in {debug}");
        }
        let pwd = local.cmd("pwd", serde_json::json!({})).unwrap();
        let described = pwd.describe();
        assert!(described.contains("pwd"), "{described}");
        let debug = format!("{pwd:?}");
        for part in ["DeviceObserver", described.as_str(), "\"LOCAL\"", "\"UNIX_LOCAL\""] {
            assert!(debug.contains(part), "{part} in {debug}");
        }
        devices.remove_all();
    }
}

#[cfg(test)]
mod removal_tests {
    use std::future::Future;
    use std::task::Waker;

    use tracing::Level;

    use super::*;

    /// An observer that never ends by itself (as the prompt watch does until its connection
    /// closes).
    struct Never;

    impl Observer for Never {
        type Output = ();
        fn describe(&self) -> String {
            "never".into()
        }
        fn on_data(&mut self, _: &str, _: &mut Context<'_>) -> Step<()> {
            Step::Pending
        }
    }

    /// After closing its connection, a removal (or an exchange) waits until the connection took
    /// the close (its prompt watch ended, the device log has its last words), and no longer;
    /// with no connection, not at all.
    #[test]
    fn a_closed_connection_is_waited_for_until_it_took_its_close() {
        let devices =
            crate::Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n").unwrap();
        let local = devices.get("LOCAL").unwrap();
        let runner = Runner::new(moler_runners::RunnerKind::Thread).unwrap();
        let mut cx = std::task::Context::from_waker(Waker::noop());
        let mut conn = Connection::new("d");
        let watch = conn.start(Never, Instant::now());
        let mut waiting = std::pin::pin!(local.closed(Some(watch), &runner));
        assert!(waiting.as_mut().poll(&mut cx).is_pending(), "the close is not taken yet");
        conn.handle_close(None);
        assert!(waiting.as_mut().poll(&mut cx).is_ready(), "the close was taken");
        let nothing = std::pin::pin!(local.closed(None, &runner)).poll(&mut cx);
        assert!(nothing.is_ready(), "no connection: nothing to wait for");
        devices.remove_all();
    }

    /// A removal walks a connected device down and says so first; one not connected has no
    /// walk to announce. Both end with the device removed.
    #[test]
    fn a_removal_announces_its_walk_down_only_from_a_connected_state() {
        let devices = crate::Devices::from_yaml(
            "DEVICES:\n  UP: {DEVICE_CLASS: UnixLocal}\n  DOWN: {DEVICE_CLASS: UnixLocal}\n",
        )
        .unwrap();
        let up = devices.get("UP").unwrap();
        assert_eq!(up.state(), "UNIX_LOCAL");
        let ((), said) = super::test_log::logged(Level::INFO, || devices.remove("UP").unwrap());
        let walk = "removing: walking down from UNIX_LOCAL to NOT_CONNECTED";
        assert!(said.iter().any(|m| m == walk), "{walk:?} in {said:?}");
        assert!(said.iter().any(|m| m == "device removed"), "{said:?}");
        assert_eq!(up.state(), "NOT_CONNECTED");

        let down = devices.get("DOWN").unwrap();
        down.goto_state("NOT_CONNECTED").unwrap();
        let ((), said) = super::test_log::logged(Level::INFO, || devices.remove("DOWN").unwrap());
        assert!(!said.iter().any(|m| m.starts_with("removing: walking down")), "{said:?}");
        assert!(said.iter().any(|m| m == "device removed"), "{said:?}");
    }
}
