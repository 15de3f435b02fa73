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
//! - [`Device::cmd`] / [`Device::event`] build observers by name for the current state (its
//!   prompt filled in); [`Device::run`] / [`Device::start`] take typed commands. An observer
//!   started after the device left the state it was made for fails with
//!   [`Error::WrongState`].

mod class;
mod factory;
mod prompts;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use moler_commands::{BuildError, Registry, UnixCommand, UnixEvent};
use moler_config::{Config, ConfigError, ConnectionSpec};
use moler_core::{Completion, Connection, Context, Error, Kind, LineSplitter, Observer, Step};
use moler_runners::{ConnectionHandle, Runner};
use serde_json::Value;

pub use class::{
    NOT_CONNECTED, PROXY_PC, UNIX_LOCAL, UNIX_LOCAL_ROOT, UNIX_REMOTE, UNIX_REMOTE_ROOT,
};
pub use factory::{DeviceInfo, Devices, HopInfo};

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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a device could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The config (or a device added in code) has mistakes; each names its place.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// No device of that name is configured.
    #[error("no device named {name}{hint}")]
    UnknownDevice {
        /// The name asked for.
        name: String,
        /// `; did you mean …?` or the names configured.
        hint: String,
    },
    /// The device's class has no such state.
    #[error("device {device} ({class}) has no state {state}{hint}")]
    UnknownState {
        /// The device.
        device: String,
        /// Its class.
        class: String,
        /// The state asked for.
        state: String,
        /// `; did you mean …?` or the states it has.
        hint: String,
    },
    /// A hop (or opening the connection) failed; the device stays where it got to.
    #[error("device {device}: cannot go from {from} to {to}: {hop} failed: {source}")]
    StateChange {
        /// The device.
        device: String,
        /// The state it was in when the hop started.
        from: String,
        /// The state the hop leads to.
        to: String,
        /// The hop: `UNIX_LOCAL -> UNIX_REMOTE (ssh)`, or `opening the connection`.
        hop: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A background state change did not end within the time waited for it (it goes on).
    #[error("device {device}: still not in {state} after {waited:?}")]
    StateTimeout {
        /// The device.
        device: String,
        /// The state waited for.
        state: String,
        /// How long.
        waited: Duration,
    },
    /// The config's `LOGGER` could not be set up.
    #[error("{0}")]
    Log(#[from] crate::logging::LogError),
    /// The device has no connection (state NOT_CONNECTED): commands need one.
    #[error(
        "device {device} is NOT_CONNECTED: {what} needs a connected device (goto_state first)"
    )]
    NotConnected {
        /// The device.
        device: String,
        /// What was asked.
        what: String,
    },
    /// A command or event by name could not be built (unknown name, wrong parameters).
    #[error("device {device}: {source}")]
    Build {
        /// The device.
        device: String,
        /// What the registry said.
        #[source]
        source: BuildError,
    },
    /// The device was removed from its factory.
    #[error("device {device} was removed")]
    Removed {
        /// The device.
        device: String,
    },
    /// A command or event failed.
    #[error(transparent)]
    Observer(#[from] Error),
}

/// The device's current state, shared with the prompts event that runs in the connection's
/// driver. `generation` counts connections, so a closed connection's late news is ignored.
struct StateCell {
    now: Mutex<(&'static str, u64)>,
    changed: Condvar,
    /// The device's name, for the log.
    device: String,
}

impl StateCell {
    fn get(&self) -> &'static str {
        lock(&self.now).0
    }

    fn set_if(&self, generation: u64, state: &'static str) {
        let mut now = lock(&self.now);
        if now.1 == generation && now.0 != state {
            self.set(&mut now, state);
        }
    }

    /// A new connection (or none): returns its generation.
    fn renew(&self, state: &'static str) -> u64 {
        let mut now = lock(&self.now);
        now.1 += 1;
        self.set(&mut now, state);
        now.1
    }

    /// Moves to `state` (the caller holds the lock), logging a change.
    fn set(&self, now: &mut (&'static str, u64), state: &'static str) {
        if now.0 != state {
            tracing::info!(target: logging::MAIN, device = %self.device, "changed state from {} to {state}", now.0);
        }
        now.0 = state;
        self.changed.notify_all();
    }

    fn generation(&self) -> u64 {
        lock(&self.now).1
    }
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
        self.inner.timeout()
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        if let Some(error) = self.left_state() {
            tracing::warn!(target: logging::MAIN, device = %self.device, "{error}");
            return Step::Done(Err(error));
        }
        tracing::info!(target: logging::MAIN, device = %self.device, "{} started in {}", self.inner.describe(), self.made_for);
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_start(cx));
        self.log_end(step, cx.elapsed())
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<Self::Output> {
        // The prompt watch saw this text first (it started with the connection): a prompt in
        // it that moved the device is known here.
        if self.follows_state {
            if let Some(error) = self.left_state() {
                return self.log_end(Step::Done(Err(error)), cx.elapsed());
            }
        }
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_data(data, cx));
        self.log_end(step, cx.elapsed())
    }
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_timeout(cx));
        self.log_end(step, cx.elapsed())
    }
    fn on_cancel(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_cancel(cx));
        self.log_end(step, cx.elapsed())
    }
    fn on_close(&mut self, error: Error) -> moler_core::Result<Self::Output> {
        let result = self.inner.on_close(error);
        if let Err(e) = &result {
            tracing::warn!(target: logging::MAIN, device = %self.device, "{} failed: {e}", self.inner.describe());
        }
        result
    }
    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        cx.with_newline(&self.newline, |cx| self.inner.on_linger(data, cx))
    }
    fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let step = cx.with_newline(&self.newline, |cx| self.inner.on_wake(cx));
        self.log_end(step, cx.elapsed())
    }
    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        cx.with_newline(&self.newline, |cx| self.inner.on_linger_wake(cx))
    }
}

impl<O: Observer> InState<O> {
    /// The error for an observer whose device is no longer in the state it was made for.
    fn left_state(&self) -> Option<Error> {
        let current = self.cell.get();
        (current != self.made_for).then(|| Error::WrongState {
            observer: self.inner.describe(),
            device: self.device.clone(),
            made_for: self.made_for.to_owned(),
            current: current.to_owned(),
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
                tracing::warn!(target: logging::MAIN, device = %self.device, "{} failed after {took:.3} s: {e}", self.inner.describe())
            }
        }
        step
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

/// A state change under way in the background ([`Device::goto_state_bg`]): `.await` it, or
/// [`StateChange::wait`].
#[must_use = "a state change reports its failure only through this handle"]
pub struct StateChange {
    slot: Arc<ChangeSlot>,
    device: String,
    target: String,
}

/// The result of a state change once it ended, and the task awaiting it.
type ChangeState = (Option<Result<(), DeviceError>>, Option<Waker>);

#[derive(Default)]
struct ChangeSlot {
    result: Mutex<ChangeState>,
    done: Condvar,
}

impl ChangeSlot {
    fn complete(&self, result: Result<(), DeviceError>) {
        let mut st = lock(&self.result);
        st.0 = Some(result);
        if let Some(w) = st.1.take() {
            w.wake();
        }
        self.done.notify_all();
    }
}

impl std::fmt::Debug for StateChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateChange")
            .field("device", &self.device)
            .field("to", &self.target)
            .finish()
    }
}

impl StateChange {
    /// True once it ended (either way).
    pub fn is_done(&self) -> bool {
        lock(&self.slot.result).0.is_some()
    }

    /// Blocks until the state change ends, at most `timeout` (it goes on after that).
    pub fn wait(self, timeout: Duration) -> Result<(), DeviceError> {
        let st = lock(&self.slot.result);
        let (mut st, _) = self
            .slot
            .done
            .wait_timeout_while(st, timeout, |st| st.0.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        st.0.take().unwrap_or_else(|| {
            Err(DeviceError::StateTimeout {
                device: self.device.clone(),
                state: self.target.clone(),
                waited: timeout,
            })
        })
    }
}

impl Future for StateChange {
    type Output = Result<(), DeviceError>;
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let mut st = lock(&self.slot.result);
        match st.0.take() {
            Some(r) => Poll::Ready(r),
            None => {
                st.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

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
    connection: ConnectionSpec,
    registry: Arc<Registry>,
    cell: Arc<StateCell>,
    live: Mutex<Option<Live>>,
    /// One state change at a time.
    turn: Mutex<()>,
    background: Mutex<Vec<JoinHandle<()>>>,
    removed: AtomicBool,
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
                cell: Arc::new(StateCell {
                    now: Mutex::new((NOT_CONNECTED, 0)),
                    changed: Condvar::new(),
                    device: name.clone(),
                }),
                name,
                machine,
                config,
                connection,
                registry,
                live: Mutex::new(None),
                turn: Mutex::new(()),
                background: Mutex::new(Vec::new()),
                removed: AtomicBool::new(false),
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
    pub fn state(&self) -> &'static str {
        self.inner.cell.get()
    }

    /// Its states, NOT_CONNECTED first.
    pub fn states(&self) -> &[&'static str] {
        &self.inner.machine.states
    }

    /// The state it goes to when created (`INITIAL_STATE`, else its class's).
    pub fn initial_state(&self) -> &'static str {
        self.inner.machine.initial
    }

    /// The prompt regex of the current state (none while NOT_CONNECTED).
    pub fn prompt(&self) -> Option<&str> {
        self.inner.machine.prompt(self.state())
    }

    /// The prompt regex of `state`.
    pub fn prompt_of(&self, state: &str) -> Option<&str> {
        self.inner.machine.prompt(state)
    }

    /// The newline sent in `state` (`\n` unless its hop's `target_newline` says otherwise).
    pub fn newline_of(&self, state: &str) -> &str {
        self.inner.machine.newline(state)
    }

    /// The connection, while connected.
    pub fn connection(&self) -> Option<ConnectionHandle> {
        lock(&self.inner.live).as_ref().map(|l| l.handle.clone())
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
    /// code use [`Device::goto_state_bg`] and await it.
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
    pub fn goto_state(&self, state: &str) -> Result<(), DeviceError> {
        let target = self.known_state(state)?;
        // Refused before the first hop sends anything.
        moler_runners::blocking_allowed()?;
        let here = Runner::autodetect();
        let _turn = lock(&self.inner.turn);
        self.route(target, false, &here)
    }

    /// Starts moving the device to `state` in the background; the handle can be awaited or
    /// waited on. State changes run one at a time, in the order asked.
    pub fn goto_state_bg(&self, state: &str) -> StateChange {
        let slot = Arc::new(ChangeSlot::default());
        let change = StateChange {
            slot: Arc::clone(&slot),
            device: self.inner.name.clone(),
            target: state.to_owned(),
        };
        let target = match self.known_state(state) {
            Ok(t) => t,
            Err(e) => {
                slot.complete(Err(e));
                return change;
            }
        };
        let device = self.clone();
        // A connection opened on the way uses the runner of the caller's context (inside a
        // tokio runtime: that runtime), not the helper thread's.
        let here = Runner::autodetect();
        let spawned = std::thread::Builder::new()
            .name(format!("moler-goto-{}", self.inner.name))
            .spawn(move || {
                let result = {
                    let _turn = lock(&device.inner.turn);
                    device.route(target, false, &here)
                };
                slot.complete(result);
            });
        let mut background = lock(&self.inner.background);
        background.retain(|t| !t.is_finished());
        match spawned {
            Ok(t) => background.push(t),
            Err(e) => change.slot.complete(Err(self.change_error(
                self.state(),
                target,
                "starting a thread for it".into(),
                e.into(),
            ))),
        }
        change
    }

    /// Blocks until the device is in `state` (moved there by a state change or by what the
    /// connection shows: a remote shell that ends puts it back in UNIX_LOCAL).
    pub fn wait_for_state(&self, state: &str, timeout: Duration) -> Result<(), DeviceError> {
        let target = self.known_state(state)?;
        let now = lock(&self.inner.cell.now);
        let (now, _) = self
            .inner
            .cell
            .changed
            .wait_timeout_while(now, timeout, |now| now.0 != target)
            .unwrap_or_else(PoisonError::into_inner);
        if now.0 == target {
            return Ok(());
        }
        Err(DeviceError::StateTimeout {
            device: self.inner.name.clone(),
            state: target.to_owned(),
            waited: timeout,
        })
    }

    fn removed(&self) -> Result<(), DeviceError> {
        if self.inner.removed.load(Ordering::Acquire) {
            return Err(DeviceError::Removed { device: self.inner.name.clone() });
        }
        Ok(())
    }

    /// The walk to `target`, one hop at a time from wherever the device is (the caller holds
    /// the turn). `removing` lets the removal walk down to NOT_CONNECTED.
    fn route(
        &self,
        target: &'static str,
        removing: bool,
        runner: &Runner,
    ) -> Result<(), DeviceError> {
        let result = self.walk(target, removing, runner);
        if let Err(e) = &result {
            tracing::error!(target: logging::MAIN, device = %self.inner.name, "{e}");
        }
        result
    }

    fn walk(
        &self,
        target: &'static str,
        removing: bool,
        runner: &Runner,
    ) -> Result<(), DeviceError> {
        let machine = &self.inner.machine;
        // Each state at most twice: a device that keeps falling back is not followed for ever.
        for _ in 0..machine.states.len() * 2 {
            if !removing {
                self.removed()?;
            }
            let from = self.state();
            if from == target {
                return Ok(());
            }
            let Some(next) = machine.next_step(from, target) else {
                return Err(self.change_error(
                    from,
                    target,
                    "finding a way".into(),
                    format!("no hops lead from {from} to {target}").into(),
                ));
            };
            // The removal's hops wait at most REMOVAL_HOP_CAP each: teardown must end.
            self.step(from, next, runner, removing.then_some(REMOVAL_HOP_CAP))?;
        }
        let from = self.state();
        if from == target {
            return Ok(());
        }
        Err(self.change_error(
            from,
            target,
            "the walk".into(),
            format!("the device kept changing state by itself; it is in {from}").into(),
        ))
    }

    fn change_error(
        &self,
        from: &str,
        to: &str,
        hop: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    ) -> DeviceError {
        DeviceError::StateChange {
            device: self.inner.name.clone(),
            from: from.to_owned(),
            to: to.to_owned(),
            hop,
            source,
        }
    }

    /// One hop; `cap` bounds its wait below the hop command's own timeout (the removal's).
    fn step(
        &self,
        from: &'static str,
        to: &'static str,
        runner: &Runner,
        cap: Option<Duration>,
    ) -> Result<(), DeviceError> {
        match (from, to) {
            (NOT_CONNECTED, UNIX_LOCAL) => self.open(runner),
            (UNIX_LOCAL, NOT_CONNECTED) => {
                self.close();
                Ok(())
            }
            _ => self.hop(from, to, cap),
        }
    }

    fn open(&self, runner: &Runner) -> Result<(), DeviceError> {
        let spec = &self.inner.connection;
        let name = &self.inner.name;
        let connection = Connection::new(name).with_transcript(logging::transcript(name));
        let handle = self.inner.config.open_spec_on(connection, spec, runner).map_err(|e| {
            self.change_error(
                NOT_CONNECTED,
                UNIX_LOCAL,
                format!("opening the connection (io_type {})", spec.io_type.value),
                e.into(),
            )
        })?;
        let generation = self.inner.cell.renew(UNIX_LOCAL);
        let machine = &self.inner.machine;
        let mut regexes = Vec::new();
        for (state, prompt) in &machine.prompts {
            let regex = moler_core::cached_regex(prompt).map_err(|e| {
                self.change_error(NOT_CONNECTED, UNIX_LOCAL, "the prompts event".into(), e.into())
            })?;
            regexes.push((*state, regex));
        }
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

    fn close(&self) {
        let live = lock(&self.inner.live).take();
        self.inner.cell.renew(NOT_CONNECTED);
        if let Some(live) = live {
            live.prompts.cancel();
            live.handle.close();
        }
    }

    fn hop(
        &self,
        from: &'static str,
        to: &'static str,
        cap: Option<Duration>,
    ) -> Result<(), DeviceError> {
        let plan = self.inner.machine.hop(from, to).expect("routes only use configured hops");
        let what = format!("hop {}", plan.describe());
        tracing::info!(target: logging::MAIN, device = %self.inner.name, "{what}");
        // Not `current`: the walk checked `removed` already, and the removal's own walk must
        // still build its hops (`exit`) on a device already marked removed.
        let mut observer = self
            .connected(&format!("`{}`", plan.command))
            .and_then(|(state, connection)| {
                self.json_for(
                    state,
                    connection,
                    &plan.command,
                    &Value::Object(plan.params.clone()),
                    true,
                )
            })
            .map_err(|e| self.change_error(from, to, what.clone(), e.into()))?;
        // The hop moves the device: the state it leaves is no reason to stop it.
        observer.observer.follows_state = false;
        let result = match cap {
            None => observer.run(),
            Some(cap) => {
                let own = observer.observer.timeout().unwrap_or(Duration::MAX);
                observer.run_within(own.min(cap))
            }
        };
        match result {
            // The hop command saw the prompt of `to` and not the prompt it started from.
            Ok(_) => {
                self.inner.cell.set_if(self.inner.cell.generation(), to);
                Ok(())
            }
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
        let state = self.state();
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
            registry.command_for_prompt(name, params, self.inner.machine.prompt(state))
        } else {
            registry.event(name, params)
        };
        let observer = built
            .map_err(|source| DeviceError::Build { device: self.inner.name.clone(), source })?;
        Ok(self.bind(state, connection, observer))
    }

    /// The command `name` of the registry with `params` (a JSON object; Moler's parameter
    /// names), for the current state: its prompt is filled in unless `params` has `prompt`.
    /// The result is Moler's JSON.
    pub fn cmd(&self, name: &str, params: Value) -> Result<DeviceObserver<Value>, DeviceError> {
        self.json_observer(name, &params, true)
    }

    /// The event `name` of the registry with `params`, for the current state.
    pub fn event(&self, name: &str, params: Value) -> Result<DeviceObserver<Value>, DeviceError> {
        self.json_observer(name, &params, false)
    }

    /// A typed command for the current state (its prompt filled in).
    pub fn command<T: UnixCommand>(
        &self,
        spec: &T,
    ) -> Result<DeviceObserver<T::Output>, DeviceError> {
        self.typed(spec, None)
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
        let mut command = spec.build(self.inner.machine.prompt(state));
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
        self.command(&spec)?.run()
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
        Ok(self.command(&spec)?.start())
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

    /// Starts a typed event in the current state.
    pub fn watch<E: UnixEvent>(&self, spec: E) -> Result<Completion<E::Output>, DeviceError> {
        let (state, connection) = self.current(&format!("`{}`", E::NAME))?;
        let event = spec.event()?;
        Ok(self.bind(state, connection, Box::new(event)).start())
    }

    /// Leaves the device NOT_CONNECTED for good: walks back down through its hops (`exit` from
    /// each shell, logged at INFO), closes the connection, and ends its background threads.
    /// Each hop down waits at most its own timeout capped at [`REMOVAL_HOP_CAP`]; a hop that
    /// fails (or a state change under way) makes it close the connection where it is instead,
    /// logged at WARNING. Later calls fail with [`DeviceError::Removed`].
    pub(crate) fn remove(&self) {
        self.inner.removed.store(true, Ordering::Release);
        // A state change under way (a login that hangs) is cut short by closing the connection.
        let turn = match self.inner.turn.try_lock() {
            Ok(t) => t,
            Err(_) => {
                if let Some(l) = lock(&self.inner.live).as_ref() {
                    l.handle.close();
                }
                lock(&self.inner.turn)
            }
        };
        let from = self.state();
        if from != NOT_CONNECTED {
            tracing::info!(target: logging::MAIN, device = %self.inner.name, "removing: walking down from {from} to NOT_CONNECTED");
        }
        // A normal teardown: each shell is left with its own hop, so remote shells end as
        // their users would end them. Not `route`: a failure here is no error of the script,
        // only the reason to fall back to closing the connection.
        if let Err(e) = self.walk(NOT_CONNECTED, true, &Runner::autodetect()) {
            tracing::warn!(target: logging::MAIN, device = %self.inner.name, "removing: {e}; closing the connection in {} instead", self.state());
            self.close();
        }
        drop(turn);
        let threads = std::mem::take(&mut *lock(&self.inner.background));
        for t in threads {
            let _ = t.join();
        }
        tracing::info!(target: logging::MAIN, device = %self.inner.name, "device removed");
        // Its files are flushed and closed now, not when the process ends: a device made again
        // under this name appends to them.
        if let Some(logs) = logging::active() {
            logs.close_device(&self.inner.name);
        }
    }
}
