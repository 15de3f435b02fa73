//! The device factory: devices by name from a config (or added in code), each made once and
//! cached, cloned under a new name, removed without leaving anything behind.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};

use moler_commands::Registry;
use moler_config::{Config, ConfigError, DeviceSpec, Located};

use super::class::{resolve, Machine};
use super::{lock, suggest, Device, DeviceError, Opening};

struct Inner {
    config: Mutex<Arc<Config>>,
    registry: Arc<Registry>,
    /// Checked specs by name.
    specs: Mutex<BTreeMap<String, (DeviceSpec, Machine)>>,
    /// Devices made so far.
    made: Mutex<BTreeMap<String, Device>>,
}

/// The device factory (Moler's `DeviceFactory`): the devices of a config, made on first use and
/// cached by name. Cheap to clone.
///
/// Loading checks every device against its class: states, hop commands, the parameters each
/// hop requires (an `ssh` hop needs `host`, `login`, `password`, `expected_prompt`), prompts
/// that are valid and unique. Every mistake is reported at once with its `file:line:column`.
///
/// ```
/// use moler::Devices;
///
/// let yaml = "
/// DEVICES:
///   REMOTE:
///     DEVICE_CLASS: moler.device.unixremote.UnixRemote
///     CONNECTION_HOPS:
///       UNIX_LOCAL:
///         UNIX_REMOTE:
///           execute_command: ssh
///           command_params:
///             host: 10.0.0.5
///             login: tester
///             expected_prompt: 'tester@box:~\\$'
/// ";
/// let err = Devices::from_yaml(yaml).unwrap_err().to_string();
/// assert_eq!(
///     err,
///     "<yaml string>:8:11: device REMOTE (UnixRemote): hop UNIX_LOCAL -> UNIX_REMOTE (ssh) \
///      needs command_params `password`"
/// );
/// ```
#[derive(Clone)]
pub struct Devices {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("configured", &self.names())
            .field("made", &lock(&self.inner.made).keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for Devices {
    fn default() -> Self {
        Devices::new()
    }
}

/// What a configured device is ([`Devices::info`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// Its name.
    pub name: String,
    /// Its class (`UnixRemote`).
    pub class: &'static str,
    /// The state [`Devices::get`] takes it to.
    pub initial_state: &'static str,
    /// Its states, `NOT_CONNECTED` first.
    pub states: Vec<&'static str>,
    /// Its hops (the connection's opening and closing are not among them).
    pub hops: Vec<HopInfo>,
    /// Its connection: the io_type and what it gets on this machine, and why
    /// ([`moler_config::Config::transport_choice`]).
    pub connection: String,
}

/// One hop of a device ([`DeviceInfo::hops`]); its parameters are left out (they hold
/// passwords).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HopInfo {
    /// The state it starts from.
    pub from: String,
    /// The state it leads to.
    pub to: String,
    /// The command that makes it (`ssh`).
    pub command: String,
    /// The prompt of the state it leads to.
    pub prompt: Option<String>,
}

impl Devices {
    /// No devices yet: add them with [`Devices::add`].
    pub fn new() -> Devices {
        Devices::build(Config::new(), Registry::default()).expect("an empty config has no devices")
    }

    /// The devices of a config file (Moler's YAML).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Devices, DeviceError> {
        Devices::from_config(Config::from_file(path)?)
    }

    /// The devices of a YAML text.
    pub fn from_yaml(text: &str) -> Result<Devices, DeviceError> {
        Devices::from_config(Config::from_yaml(text)?)
    }

    /// The devices of a loaded config, with the whole command library for their hops.
    pub fn from_config(config: Config) -> Result<Devices, DeviceError> {
        Devices::with_registry(config, Registry::default())
    }

    /// The devices of a loaded config, with your own command registry (hops may then use
    /// your commands).
    pub fn with_registry(config: Config, registry: Registry) -> Result<Devices, DeviceError> {
        let devices = Devices::build(config, registry)?;
        let config = devices.config();
        if config.logger_origin().is_some() {
            // As Moler's load_config: a LOGGER section sets up the process's logs.
            crate::logging::configure(&config.logger)?;
        }
        if config.devices.create_at_startup {
            for name in devices.names() {
                devices.get(&name)?;
            }
        }
        Ok(devices)
    }

    /// The devices of `config`, checked, without making any (`CREATE_AT_STARTUP` is not acted
    /// on) or setting up logs: what `moler check-config` and `moler devices` use.
    pub fn load(config: Config) -> Result<Devices, DeviceError> {
        Devices::build(config, Registry::default())
    }

    /// What device `name` is, without making it: class, states and hops.
    pub fn info(&self, name: &str) -> Result<DeviceInfo, DeviceError> {
        let specs = lock(&self.inner.specs);
        let Some((spec, machine)) = specs.get(name) else {
            drop(specs);
            return Err(self.unknown(name));
        };
        let connection = lock(&self.inner.config).transport_choice(&spec.connection);
        Ok(DeviceInfo {
            connection,
            name: name.to_owned(),
            class: machine.class,
            initial_state: machine.initial,
            states: machine.states.clone(),
            hops: machine
                .hops
                .iter()
                .map(|h| HopInfo {
                    from: h.from.clone(),
                    to: h.to.clone(),
                    command: h.command.clone(),
                    prompt: machine.prompt(&h.to).map(str::to_owned),
                })
                .collect(),
        })
    }

    fn build(config: Config, registry: Registry) -> Result<Devices, DeviceError> {
        let mut problems = Vec::new();
        let mut specs = BTreeMap::new();
        for spec in &config.devices.list {
            match resolve(spec, &config.device_classes, &registry) {
                Ok(machine) => {
                    specs.insert(spec.name.value.clone(), (spec.clone(), machine));
                }
                Err(p) => problems.extend(p),
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError::from_problems(problems).into());
        }
        Ok(Devices {
            inner: Arc::new(Inner {
                config: Mutex::new(Arc::new(config)),
                registry: Arc::new(registry),
                specs: Mutex::new(specs),
                made: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The config the devices come from (with the devices added since).
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(&lock(&self.inner.config))
    }

    /// The names of the devices configured, sorted.
    pub fn names(&self) -> Vec<String> {
        lock(&self.inner.specs).keys().cloned().collect()
    }

    /// The names of the devices made so far (and not removed), sorted.
    pub fn made(&self) -> Vec<String> {
        lock(&self.inner.made).keys().cloned().collect()
    }

    /// Adds a device defined in code, checked as one from a file:
    /// `devices.add(DeviceSpec::new("LOCAL", "UnixLocal"))`.
    pub fn add(&self, spec: DeviceSpec) -> Result<(), DeviceError> {
        let mut config_slot = lock(&self.inner.config);
        let mut config = Config::clone(&config_slot);
        config.add_device(spec)?;
        let spec = config.devices.list.last().expect("just added").clone();
        let machine = resolve(&spec, &config.device_classes, &self.inner.registry)
            .map_err(ConfigError::from_problems)?;
        lock(&self.inner.specs).insert(spec.name.value.clone(), (spec, machine));
        *config_slot = Arc::new(config);
        Ok(())
    }

    fn unknown(&self, name: &str) -> DeviceError {
        let names = self.names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let hint = if names.is_empty() {
            "; no devices are configured".to_owned()
        } else {
            suggest(name, &names, Some("configured:"))
        };
        DeviceError::UnknownDevice { name: name.to_owned(), hint }
    }

    /// The device `name`, made on first use (its connection opened and moved to its initial
    /// state) and the same one afterwards. Blocking: in async code use [`Devices::get_async`].
    ///
    /// Where the connection opens is read from the device, not assumed: with a greeting (a
    /// terminal's bash, a `ready_prompt`), the prompt it ends at must be the connected state's
    /// (CONNECTED_STATE), or another state's, where the device then starts its walk (a
    /// console left in a root shell); a prompt of no state fails before anything is typed.
    ///
    /// ```
    /// use moler::Devices;
    ///
    /// let devices = Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n")?;
    /// let local = devices.get("LOCAL")?;
    /// assert_eq!(local.state(), "UNIX_LOCAL");
    /// assert!(devices.get("LOCAL")? == local, "made once, then cached");
    /// let err = devices.get("LOCL").unwrap_err().to_string();
    /// assert_eq!(err, "no device named LOCL; did you mean LOCAL?");
    /// devices.remove_all();
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn get(&self, name: &str) -> Result<Device, DeviceError> {
        // Refused before the device is made or its connection opened.
        moler_runners::blocking_allowed()?;
        match self.cached_or_new(name)? {
            Made::Cached(device) => {
                // Made by another caller, maybe still on its way to its initial state: wait
                // for that.
                drop(device.inner.turn.lock_arc_blocking());
                Ok(device)
            }
            Made::Fresh(device, turn) => {
                let initial = device.inner.machine.initial;
                let runner = moler_runners::Runner::autodetect();
                let how = super::Goto::default();
                let walk = device.route(turn, initial, &runner, Opening::Inline, &how);
                if let Err(e) = moler_runners::block_on(walk) {
                    self.forget(name, &device);
                    device.remove();
                    return Err(e);
                }
                Ok(device)
            }
        }
    }

    /// [`Devices::get`] for async code: the initial state change runs in the caller's task
    /// (an opening that may wait on the network on the runtime's blocking pool), and a caller
    /// that finds the device still on its way waits without blocking its thread.
    ///
    /// ```
    /// use moler::Devices;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let devices = Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n").unwrap();
    /// let local = devices.get_async("LOCAL").await.unwrap(); // on this runtime
    /// let pwd = local.start(moler::commands::unix::Pwd::new()).unwrap().await.unwrap();
    /// assert!(pwd.full_path.starts_with('/'));
    /// local.goto_state_bg("NOT_CONNECTED").await.unwrap();
    /// devices.remove_all_async().await;
    /// # });
    /// ```
    pub async fn get_async(&self, name: &str) -> Result<Device, DeviceError> {
        match self.cached_or_new(name)? {
            Made::Cached(device) => {
                drop(device.inner.turn.lock_arc().await);
                Ok(device)
            }
            Made::Fresh(device, turn) => {
                let initial = device.inner.machine.initial;
                let runner = moler_runners::Runner::autodetect();
                if let Err(e) = device
                    .route(turn, initial, &runner, Opening::Unblocked, &super::Goto::default())
                    .await
                {
                    self.forget(name, &device);
                    device.remove_async().await;
                    return Err(e);
                }
                Ok(device)
            }
        }
    }

    /// A copy of device `source` named `new_name` (class, connection and hops), with its own
    /// connection; made and cached like any other (Moler's `get_cloned_device`).
    pub fn get_cloned(&self, source: &str, new_name: &str) -> Result<Device, DeviceError> {
        if !lock(&self.inner.specs).contains_key(new_name) {
            let found = lock(&self.inner.specs).get(source).cloned();
            let (spec, _) = found.ok_or_else(|| self.unknown(source))?;
            let mut clone = spec;
            clone.name = Located::code(new_name.to_owned());
            clone.cloned_from = None;
            self.add(clone)?;
        }
        self.get(new_name)
    }

    /// [`Devices::get_cloned`] with the clone's own initial state (Moler's
    /// `get_cloned_device(.., initial_state=…)`): a root shell's copy made straight into
    /// UNIX_LOCAL, say.
    ///
    /// ```
    /// let devices = moler::Devices::from_yaml("DEVICES:\n  LOCAL: {DEVICE_CLASS: UnixLocal}\n")?;
    /// let copy = devices.get_cloned_in("LOCAL", "NOWHERE", "NOT_CONNECTED")?;
    /// assert_eq!(copy.state(), "NOT_CONNECTED");
    /// devices.remove_all();
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn get_cloned_in(
        &self,
        source: &str,
        new_name: &str,
        initial_state: &str,
    ) -> Result<Device, DeviceError> {
        if !lock(&self.inner.specs).contains_key(new_name) {
            let found = lock(&self.inner.specs).get(source).cloned();
            let (spec, _) = found.ok_or_else(|| self.unknown(source))?;
            let mut clone = spec.initial_state(initial_state);
            clone.name = Located::code(new_name.to_owned());
            clone.cloned_from = None;
            self.add(clone)?;
        }
        self.get(new_name)
    }

    /// The neighbours of device `name` in the config's `LOGICAL_TOPOLOGY` (both ways: a
    /// device listed under another is its neighbour too), sorted.
    ///
    /// ```
    /// let devices = moler::Devices::from_yaml(
    ///     "DEVICES:\n  A: {DEVICE_CLASS: UnixLocal}\n  B: {DEVICE_CLASS: UnixLocal}\n  \
    ///      C: {DEVICE_CLASS: UnixLocal}\n  LOGICAL_TOPOLOGY:\n    A: [B]\n    C: [A]\n",
    /// )?;
    /// assert_eq!(devices.neighbours("A")?, ["B", "C"]);
    /// assert_eq!(devices.neighbours("B")?, ["A"]);
    /// # Ok::<(), moler::DeviceError>(())
    /// ```
    pub fn neighbours(&self, name: &str) -> Result<Vec<String>, DeviceError> {
        if !lock(&self.inner.specs).contains_key(name) {
            return Err(self.unknown(name));
        }
        let config = self.config();
        let mut out: Vec<String> = Vec::new();
        for (device, list) in &config.devices.topology {
            if device.value == name {
                out.extend(list.iter().map(|n| n.value.clone()));
            } else if list.iter().any(|n| n.value == name) {
                out.push(device.value.clone());
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The names of the devices of class `class` (its name or an alias; a class that extends
    /// it with `BASE` does not count), sorted.
    pub fn by_class(&self, class: &str) -> Vec<String> {
        let config = self.config();
        let canonical = config
            .device_classes
            .iter()
            .chain(moler_config::builtin_classes())
            .find(|c| c.name.value == class || c.aliases.iter().any(|a| a == class))
            .map_or(class, |c| c.name.value.as_str());
        let specs = lock(&self.inner.specs);
        specs
            .iter()
            .filter(|(_, (_, machine))| machine.class == canonical)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Removes device `name`: it walks back to NOT_CONNECTED (`exit` from each shell, each
    /// within its timeout capped at [`super::REMOVAL_HOP_CAP`]; a shell that does not go is
    /// closed instead), its connection closes and its threads end. Clones of its handle then fail with
    /// [`DeviceError::Removed`]; [`Devices::get`] makes a new one.
    pub fn remove(&self, name: &str) -> Result<(), DeviceError> {
        let device = lock(&self.inner.made).remove(name);
        match device {
            Some(d) => {
                d.remove();
                Ok(())
            }
            None if lock(&self.inner.specs).contains_key(name) => Ok(()),
            None => Err(self.unknown(name)),
        }
    }

    /// Removes every device made (one after the other). Inside an async task it cannot walk
    /// them down without blocking: it closes their connections instead, with a warning in the
    /// log; use [`Devices::remove_all_async`] there.
    pub fn remove_all(&self) {
        let made = std::mem::take(&mut *lock(&self.inner.made));
        for d in made.values() {
            d.remove();
        }
    }

    /// [`Devices::remove`] for async code.
    pub async fn remove_async(&self, name: &str) -> Result<(), DeviceError> {
        let device = lock(&self.inner.made).remove(name);
        match device {
            Some(d) => {
                d.remove_async().await;
                Ok(())
            }
            None if lock(&self.inner.specs).contains_key(name) => Ok(()),
            None => Err(self.unknown(name)),
        }
    }

    /// [`Devices::remove_all`] for async code: every device walks down at once.
    pub async fn remove_all_async(&self) {
        let made = std::mem::take(&mut *lock(&self.inner.made));
        let mut walks: Vec<_> = made.values().map(|d| Box::pin(d.remove_async())).collect();
        std::future::poll_fn(|cx| {
            walks.retain_mut(|w| w.as_mut().poll(cx).is_pending());
            if walks.is_empty() {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
    }

    /// The device `name` if made, else a new one with its turn taken (before anyone else can
    /// see it: a second caller waits for its initial state).
    fn cached_or_new(&self, name: &str) -> Result<Made, DeviceError> {
        let mut made = lock(&self.inner.made);
        if let Some(d) = made.get(name) {
            return Ok(Made::Cached(d.clone()));
        }
        let found = lock(&self.inner.specs).get(name).cloned();
        let (spec, machine) = found.ok_or_else(|| self.unknown(name))?;
        let device = Device::new(
            name.to_owned(),
            machine,
            self.config(),
            spec.connection.clone(),
            Arc::clone(&self.inner.registry),
        );
        let turn = device.inner.turn.try_lock_arc().expect("a new device's turn is free");
        tracing::info!(
            target: crate::logging::MAIN,
            device = name,
            "device {name} ({}) made, going to {}",
            device.class(),
            device.initial_state()
        );
        made.insert(name.to_owned(), device.clone());
        Ok(Made::Fresh(device, turn))
    }

    /// Forgets `device` (made under `name`) after its initial state change failed; the caller
    /// removes it.
    fn forget(&self, name: &str, device: &Device) {
        let mut made = lock(&self.inner.made);
        if made.get(name).is_some_and(|d| Arc::ptr_eq(&d.inner, &device.inner)) {
            made.remove(name);
        }
    }
}

/// What [`Devices::cached_or_new`] found.
enum Made {
    Cached(Device),
    /// Made now, its turn held for the walk to its initial state.
    Fresh(Device, async_lock::MutexGuardArc<()>),
}
