//! Logs, as Moler writes them, through [`tracing`].
//!
//! [`configure`] with a config's `LOGGER` section (devices do it themselves when their config
//! has one) writes, in `LOGGER.PATH`:
//!
//! | file | what |
//! |---|---|
//! | `moler.log` | what happened: devices made and removed, state changes, commands and events started and finished (with durations), failures |
//! | `moler.<DEVICE>.log` | every piece of text sent (`>`) and received (`<`) by that device, time-stamped, lines aligned; its state changes and commands too (a `/` in a device's name is written `%2F` there, a `%` `%25`: [`in_file_name`]) |
//! | `moler.<DEVICE>.raw.log` | with `RAW_LOG: true`: the bytes as they went over the wire, both ways |
//! | `moler.debug.log` | with `DEBUG_LEVEL`: every event at that level or above, from any crate |
//!
//! ```text
//! 22 10:41:07.311 >|ls -l
//! 22 10:41:07.315 <|ls -l
//!                  |total 4
//!                  |-rw-r--r-- 1 moler moler 12 Nov 22 10:40 notes.txt
//!                  |moler_bash#
//! ```
//!
//! **Logging stays off the hot path**: a connection's traffic goes from its [`transcript`] to the
//! logs directly (no `tracing` dispatch, no field copies; the program's own layers still get it
//! as `moler::io` events when they want them): the connection's thread takes the time and copies
//! the text, and the record is formatted later, by the background thread
//! (`moler-log-flush`, one per [`Logs`]) or before the next record written directly to a file,
//! in the order taken. Every other record goes through [`layer`], formatted into reused buffers.
//! Records are kept in memory; the background thread writes what gathered to the files at most
//! [`FLUSH_INTERVAL`] later, in one write per file. Removing a device, a new [`configure`],
//! [`stop`], [`Logs::flush`] and the end of a thread that wrote or configured logs (the main
//! thread's included: a normal return from `main` or `std::process::exit`) write out everything
//! waiting, so only a crash (an abort, a signal) can lose the last records.
//!
//! Files rotate by size or time (`LOG_ROTATION`), keep `BACKUP_COUNT` backups, and may be
//! compressed after rotation; a time-rotated file goes by the time a record was taken, so
//! traffic taken before a rollover and formatted after it stays in the file of its time.
//! **Nothing written is lost**: `MODE: write` truncates a file only
//! the first time the process opens it; a suffix change ([`Logs::set_suffix`]), a rotation, a
//! device removed and made again or a new [`configure`] reopen it in append mode. **Secrets
//! never reach a log**: a password sent with
//! [`Context::send_secret`](moler_core::Context::send_secret) (as `ssh`, `su`, `sudo` and
//! `telnet` send theirs) is written as `********`, also where the device echoes it back.
//!
//! Logging is process-wide, as in Moler: the last [`configure`] wins. It installs a global
//! `tracing` subscriber unless your program has its own; then add [`layer`] to yours:
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let dir = std::env::temp_dir().join(format!("moler-doc-logs-{}", std::process::id()));
//! let mut logger = moler::config::Logger::default();
//! logger.path = Some(dir.clone());
//! let subscriber = tracing_subscriber::registry().with(moler::logging::layer());
//! tracing::subscriber::with_default(subscriber, || -> Result<(), moler::logging::LogError> {
//!     let logs = moler::logging::configure(&logger)?;
//!     tracing::info!(target: "moler", device = "MyMachine", "hello");
//!     logs.flush(); // written in the background otherwise, within FLUSH_INTERVAL
//!     Ok(())
//! })?;
//! let log = std::fs::read_to_string(dir.join("moler.log"))?;
//! assert!(log.contains("MyMachine           |hello"));
//! moler::logging::stop();
//! # std::fs::remove_dir_all(dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod file;
pub mod read;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use moler_config::Logger;
use moler_core::Transcript;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Level, Metadata};
use tracing_subscriber::layer::Context as LayerContext;

use file::{FilePolicy, LogFile};

/// Target of the events that go to `moler.log` (and, with a `device` field, to the device's log).
pub const MAIN: &str = "moler";
/// Target of the text a device sent and received (fields `device`, `dir` `>`/`<`, `data`).
pub const IO: &str = "moler::io";
/// Target of the raw bytes (fields `device`, `dir`, `bytes`), at `TRACE`.
pub const RAW: &str = "moler::raw";

/// Deferred traffic records ([`Deferred`]) past this many bytes ask for the flusher now.
const DEFERRED_SOON: usize = 64 * 1024;

/// Deferred traffic records past this many bytes are formatted by the thread that takes the
/// next one: memory stays bounded when the flusher falls behind.
const MOST_DEFERRED: usize = 1024 * 1024;

/// The longest a record waits in memory before the background flusher writes it to its file
/// (sooner when much is waiting; at once on [`Logs::flush`], [`stop`], a device's removal).
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// What can go wrong setting logs up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The log folder cannot be made.
    #[error("cannot create the log folder {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A log file cannot be opened.
    #[error("cannot open the log file {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `DATE_FORMAT` is not a strftime format.
    #[error("LOGGER.DATE_FORMAT {format:?} is not a valid strftime format: {reason}")]
    DateFormat {
        /// The format.
        format: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `DEBUG_LEVEL` is not a level.
    #[error("LOGGER.DEBUG_LEVEL {0:?}: expected TRACE, DEBUG, INFO, WARNING, ERROR or CRITICAL")]
    DebugLevel(String),
    /// Suffixes cannot change while files rotate (as in Moler).
    #[error("log file suffixes cannot change while logs rotate (LOG_ROTATION.KIND is set)")]
    SuffixWithRotation,
}

/// A set of log files in one folder, written from `tracing` events ([`Logs::activate`], or
/// [`configure`]).
#[derive(Clone)]
pub struct Logs {
    sink: Arc<Sink>,
}

/// What waits is written when a handle is dropped, on the dropping thread. Left to the
/// sink's own drop, it could happen later on another thread: one whose end flushes every
/// sink (see `flush_at_thread_end`) holds the sink for that moment, and the last reference
/// is then dropped there (seen as a test reading its file before the last record was in).
impl Drop for Logs {
    fn drop(&mut self) {
        self.sink.flush_files();
    }
}

impl std::fmt::Debug for Logs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logs").field("dir", &self.sink.dir).finish_non_exhaustive()
    }
}

/// One device's own logging settings.
#[derive(Debug, Default)]
struct DeviceLogging {
    suffix: Option<String>,
    muted: bool,
}

struct Sink {
    dir: PathBuf,
    raw: bool,
    date_format: String,
    /// The debug log's level as configured (`DEBUG_LEVEL`, `MOLER_DEBUG_LEVEL`).
    debug: Option<Level>,
    /// The debug log's level now: [`Logs::set_debug_log`] turns it off and on (0: off).
    debug_now: AtomicU8,
    console: Vec<String>,
    policy: FilePolicy,
    suffix: Mutex<Option<String>>,
    /// Per device (Moler's `device.set_logging_suffix`, `disable_logging`): its own suffix, and
    /// whether its logs are written.
    devices: Mutex<HashMap<String, DeviceLogging>>,
    /// Some device's logs were turned off once: only then does a record look `devices` up.
    any_muted: AtomicBool,
    /// Open files by name without suffix (`moler.log`, `moler.R.log`, `moler.R.raw.log`),
    /// looked up for every record: FNV, as SipHash (against crafted keys, and these come from
    /// the configuration) cost more than the rest of the lookup.
    files: Mutex<fnv::FnvHashMap<String, LogFile>>,
    /// A failed write is reported once, on stderr; logging never fails a test.
    reported: AtomicBool,
    /// This sink, for the flusher (which must not keep it alive).
    me: Weak<Sink>,
    /// The thread that writes waiting records to the files, started by the first record
    /// (`None`: it could not be started, records are written at once).
    flusher: OnceLock<Option<std::thread::Thread>>,
    /// Records wait in some file: the flusher has been woken for them.
    dirty: AtomicBool,
    /// Device logs' traffic records taken but not formatted yet ([`Deferred`]). Locked before
    /// `files` wherever both are.
    deferred: Mutex<Deferred>,
}

/// A connection's traffic records as it takes them: the time, the direction, the file and the
/// text, copied. Formatting (the time stamp, the text under its head) and the file's buffer
/// wait for the flusher, or for the next record written to a file directly (which writes these
/// first, in order): a connection's thread, on which a command's answer waits, pays a clock
/// read and a copy per record instead of the whole record.
#[derive(Default)]
struct Deferred {
    /// Per record: its file's name, then its text.
    text: String,
    records: Vec<DeferredRecord>,
    /// The formatter's buffers (its date is formatted once a second).
    scratch: Scratch,
}

struct DeferredRecord {
    at: std::time::SystemTime,
    /// `<` received, `>` sent.
    received: bool,
    name_len: usize,
    text_len: usize,
}

impl Logs {
    /// Logs as `logger` says: the folder is made now (`PATH`, default the current folder),
    /// files when first written.
    pub fn new(logger: &Logger) -> Result<Logs, LogError> {
        // The settings are checked before anything is made: settings refused leave no folder.
        jiff::fmt::strtime::format(logger.date_format.as_str(), &jiff::Zoned::now()).map_err(
            |e| LogError::DateFormat { format: logger.date_format.clone(), reason: e.to_string() },
        )?;
        let debug = logger
            .debug_level
            .clone()
            .or_else(|| std::env::var("MOLER_DEBUG_LEVEL").ok())
            .map(|l| parse_level(&l).ok_or(LogError::DebugLevel(l)))
            .transpose()?;
        let dir = logger.path.clone().unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir)
            .map_err(|source| LogError::Folder { path: dir.clone(), source })?;
        flush_at_thread_end();
        let sink = Arc::new_cyclic(|me| Sink {
            dir,
            raw: logger.raw_log,
            date_format: logger.date_format.clone(),
            debug,
            debug_now: AtomicU8::new(level_code(debug)),
            console: logger.console_logs.clone(),
            policy: FilePolicy { mode: logger.mode, rotation: logger.rotation.clone() },
            suffix: Mutex::new(None),
            devices: Mutex::new(HashMap::new()),
            any_muted: AtomicBool::new(false),
            files: Mutex::new(HashMap::default()),
            reported: AtomicBool::new(false),
            me: me.clone(),
            flusher: OnceLock::new(),
            dirty: AtomicBool::new(false),
            deferred: Mutex::new(Deferred::default()),
        });
        let mut sinks = lock(&SINKS);
        sinks.retain(|s| s.strong_count() > 0);
        sinks.push(Arc::downgrade(&sink));
        Ok(Logs { sink })
    }

    /// Writes every record waiting in memory to its file now (they are written within
    /// [`FLUSH_INTERVAL`] anyway): for a program that reads its own logs while it runs.
    pub fn flush(&self) {
        self.sink.flush_files();
    }

    /// The folder the files are in.
    pub fn dir(&self) -> &Path {
        &self.sink.dir
    }

    /// Makes these the process's logs (see [`configure`]). The files of the logs they replace
    /// are closed (and so flushed) now, even if a [`Logs`] still holds them.
    pub fn activate(&self) {
        let old = ACTIVE.write().unwrap_or_else(|e| e.into_inner()).replace(Arc::clone(&self.sink));
        if let Some(old) = old.filter(|old| !Arc::ptr_eq(old, &self.sink)) {
            old.close_all();
        }
        install_global();
        tracing::callsite::rebuild_interest_cache();
        tracing::info!(
            target: MAIN,
            "moler-rs {} logging to {}",
            env!("CARGO_PKG_VERSION"),
            std::fs::canonicalize(&self.sink.dir).unwrap_or_else(|_| self.sink.dir.clone()).display()
        );
    }

    /// Turns the debug log (`moler.debug.log`) off or back on while the logs run (Moler's
    /// `MolerTest.disable_debug_log` / `enable_debug_log`): a noisy step can keep it small.
    /// On again, it writes at the configured `DEBUG_LEVEL` (or `MOLER_DEBUG_LEVEL`), or at
    /// DEBUG when none was configured. Turning it off says so, at INFO, in `moler.log`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("moler-doc-debug-{}", std::process::id()));
    /// let logger = moler::config::Logger { path: Some(dir.clone()), ..Default::default() };
    /// let logs = moler::logging::Logs::new(&logger)?;
    /// assert!(!logs.debug_log_on(), "no DEBUG_LEVEL configured");
    /// logs.set_debug_log(true);
    /// assert!(logs.debug_log_on());
    /// logs.set_debug_log(false);
    /// assert!(!logs.debug_log_on());
    /// # std::fs::remove_dir_all(dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_debug_log(&self, on: bool) {
        if !on && self.debug_log_on() {
            tracing::info!(target: MAIN, "Debug log is disabled");
        }
        let level = on.then(|| self.sink.debug.unwrap_or(Level::DEBUG));
        self.sink.debug_now.store(level_code(level), Ordering::Relaxed);
        tracing::callsite::rebuild_interest_cache();
    }

    /// Whether the debug log is written now.
    pub fn debug_log_on(&self) -> bool {
        self.sink.debug_level().is_some()
    }

    /// Moler's `change_logging_suffix`: every file is reopened with `suffix` put before its
    /// extension, as given (`Some(".step2")`: `moler.step2.log`, `moler.<DEVICE>.step2.log`;
    /// `Some("step2")`: `molerstep2.log`, as in Moler, which adds no dot); `None` goes back to
    /// the plain names. Files are reopened in append mode, whatever `MODE` says: going back to
    /// `moler.log` continues it. `moler.log` says where it continues. Refused while files
    /// rotate.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("moler-doc-suffix-{}", std::process::id()));
    /// let logger = moler::config::Logger { path: Some(dir.clone()), ..Default::default() };
    /// let logs = moler::logging::Logs::new(&logger)?;
    /// logs.set_suffix(Some(".step2"))?;
    /// assert_eq!(logs.path_of("moler.MyMachine.log"), dir.join("moler.MyMachine.step2.log"));
    /// logs.set_suffix(None)?;
    /// assert_eq!(logs.path_of("moler.log"), dir.join("moler.log"));
    /// # std::fs::remove_dir_all(dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_suffix(&self, suffix: Option<&str>) -> Result<(), LogError> {
        if self.sink.policy.rotation.kind.is_some() {
            return Err(LogError::SuffixWithRotation);
        }
        // What was taken before goes to the files under their old names.
        self.sink.drain_deferred();
        let mut files = lock(&self.sink.files);
        let next = with_suffix("moler.log", suffix);
        if let Some(main) = files.get_mut("moler.log") {
            // As Moler: the old file says where the log goes on.
            let record = self.sink.main_record(
                Level::INFO,
                "moler",
                &format!("switch to new path: '{}'", self.sink.dir.join(next).display()),
            );
            let _ = main.write(record.as_bytes());
        }
        // Closing flushes; each file is reopened under its new name when next written.
        files.clear();
        *lock(&self.sink.suffix) = suffix.map(str::to_owned);
        Ok(())
    }

    /// The path a log file has now (`moler.log`, `moler.<DEVICE>.log`, …), suffix included.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.sink.path_of(name)
    }

    /// Gives `device`'s own logs (`moler.<DEVICE>.log`, its raw log) a suffix of their own,
    /// before the extension as [`Logs::set_suffix`] puts it (Moler's
    /// `device.set_logging_suffix`); `None` goes back to the logs' suffix. Its files are
    /// reopened under the new name when next written (append mode). Refused while files rotate.
    pub fn set_device_suffix(&self, device: &str, suffix: Option<&str>) -> Result<(), LogError> {
        if self.sink.policy.rotation.kind.is_some() {
            return Err(LogError::SuffixWithRotation);
        }
        lock(&self.sink.devices).entry(device.to_owned()).or_default().suffix =
            suffix.map(str::to_owned);
        self.close_device(device);
        Ok(())
    }

    /// Turns `device`'s own logs (its device log and raw log, and its lines copied there from
    /// `moler.log`) off or back on (Moler's `device.disable_logging` / `enable_logging`);
    /// `moler.log` goes on.
    pub fn set_device_logging(&self, device: &str, on: bool) {
        lock(&self.sink.devices).entry(device.to_owned()).or_default().muted = !on;
        if !on {
            self.sink.any_muted.store(true, Ordering::Release);
            self.close_device(device);
        }
    }

    /// Closes (and so flushes) the files of `device`, and writes out what waits for the other
    /// files (`moler.log` tells of the removal): what removing a device does. Written again,
    /// they are reopened in append mode.
    pub(crate) fn close_device(&self, device: &str) {
        self.sink.drain_deferred();
        let prefix = format!("moler.{}.", in_file_name(device));
        // Exactly `moler.<device>.log` and `moler.<device>.raw.log`: a device named `R` must
        // not close the files of a device named `R.1`.
        lock(&self.sink.files).retain(|name, _| {
            name.strip_prefix(&prefix).is_none_or(|rest| rest != "log" && rest != "raw.log")
        });
        self.sink.flush_files();
    }
}

/// Sets up the process's logs from a config's `LOGGER` section and returns them. Later events
/// go there; an earlier configuration stops.
pub fn configure(logger: &Logger) -> Result<Logs, LogError> {
    let logs = Logs::new(logger)?;
    logs.activate();
    Ok(logs)
}

/// The process's logs, if configured.
pub fn active() -> Option<Logs> {
    active_sink().map(|sink| Logs { sink })
}

/// Stops writing logs (the files are closed, and so flushed).
pub fn stop() {
    let old = ACTIVE.write().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(old) = old {
        old.close_all();
        tracing::callsite::rebuild_interest_cache();
    }
}

/// The `tracing` layer that writes the process's logs: add it to your own subscriber (when
/// you have none, [`configure`] installs one with it).
///
/// It filters for itself alone (a per-layer filter): the other layers of your subscriber
/// still get every event they want, your program's own records included, whatever moler's
/// logs take. Events nobody wants cost nothing, and what moler's logs want is decided once
/// per call site, again whenever the logs change ([`configure`], [`stop`],
/// [`Logs::set_debug_log`]).
pub fn layer<S>() -> impl tracing_subscriber::Layer<S> + Send + Sync + 'static
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use tracing_subscriber::Layer as _;
    LAYER_MADE.store(true, Ordering::Relaxed);
    flush_at_thread_end();
    Writer.with_filter(Wanted)
}

/// A [`Transcript`] that turns a connection's traffic into `tracing` events for the log of
/// `device` (`moler.<device>.log`): what devices give their connections. Give it to your own:
/// `Connection::new("console").with_transcript(moler::logging::transcript("console"))`.
pub fn transcript(device: &str) -> Box<dyn Transcript> {
    Box::new(Traffic { device: device.into(), files: TrafficFiles::of(device) })
}

static ACTIVE: RwLock<Option<Arc<Sink>>> = RwLock::new(None);
/// Every [`Sink`] alive (for the flush at a thread's end).
static SINKS: Mutex<Vec<Weak<Sink>>> = Mutex::new(Vec::new());
static LAYER_MADE: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<()> = OnceLock::new();

fn install_global() {
    INSTALLED.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let made_before = LAYER_MADE.load(Ordering::Relaxed);
        let subscriber = tracing_subscriber::registry().with(layer());
        if tracing::subscriber::set_global_default(subscriber).is_err() && !made_before {
            eprintln!(
                "moler: a tracing subscriber is installed already, so moler's log files stay \
                 empty unless it includes moler::logging::layer()"
            );
        }
    });
}

/// The layer of [`layer`]: it writes what [`Wanted`] lets through.
struct Writer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Writer {
    fn on_event(&self, event: &tracing::Event<'_>, _: LayerContext<'_, S>) {
        if let Some(sink) = active_sink() {
            sink.event(event);
        }
    }
}

/// What the process's logs want ([`Sink::wants`]): the filter of [`Writer`] alone, so that
/// the other layers of a program's subscriber keep every event they want.
struct Wanted;

impl Wanted {
    fn wanted(metadata: &Metadata<'_>) -> bool {
        // [`Traffic`]'s own events are written by it directly.
        let direct =
            metadata.module_path() == Some(module_path!()) && matches!(metadata.target(), IO | RAW);
        !direct && active_sink().is_some_and(|s| s.wants(metadata))
    }
}

/// The process's logs, if configured.
fn active_sink() -> Option<Arc<Sink>> {
    ACTIVE.read().unwrap_or_else(|e| e.into_inner()).clone()
}

impl<S> tracing_subscriber::layer::Filter<S> for Wanted {
    fn enabled(&self, metadata: &Metadata<'_>, _: &LayerContext<'_, S>) -> bool {
        Self::wanted(metadata)
    }

    /// Decided per call site, from the logs' settings alone: cached by `tracing`, rebuilt
    /// where they change (`activate`, `stop`, `set_debug_log`), so a record's call site asks
    /// nothing more and one nobody wants costs nothing.
    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if Self::wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
}

/// The fields moler's events carry. Reused from record to record ([`Scratch`]): cleared, not
/// reallocated.
#[derive(Default)]
struct Fields {
    message: String,
    device: Slot,
    dir: Slot,
    data: Slot,
    bytes: Option<Vec<u8>>,
}

/// A text field that an event may lack.
#[derive(Default)]
struct Slot {
    text: String,
    set: bool,
}

impl Slot {
    fn get(&self) -> Option<&str> {
        self.set.then_some(self.text.as_str())
    }

    fn set(&mut self, value: &str) {
        self.text.clear();
        self.text.push_str(value);
        self.set = true;
    }
}

/// The message of `event`, as the logs write it (its other fields left out). For tests that
/// watch what a part of moler logs.
#[cfg(test)]
pub(crate) fn message_of(event: &tracing::Event<'_>) -> String {
    let mut fields = Fields::default();
    event.record(&mut fields);
    fields.message
}

impl Fields {
    fn clear(&mut self) {
        self.message.clear();
        self.device.set = false;
        self.dir.set = false;
        self.data.set = false;
        if let Some(bytes) = &mut self.bytes {
            bytes.clear();
        }
    }

    fn bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref().filter(|b| !b.is_empty())
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "device" => self.device.set(value),
            "dir" => self.dir.set(value),
            "data" => self.data.set(value),
            "message" => self.message.push_str(value),
            name => {
                let _ = write!(self.message, " {name}={value}");
            }
        }
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        if field.name() == "bytes" {
            self.bytes.get_or_insert_default().extend_from_slice(value);
        } else {
            let _ = write!(self.message, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "device" => self.device.set(format!("{value:?}").trim_matches('"')),
            name => {
                let _ = write!(self.message, " {name}={value:?}");
            }
        }
    }
}

/// What a thread formats records in, kept from record to record so that a record costs no
/// allocation.
#[derive(Default)]
struct Scratch {
    fields: Fields,
    /// The record being formatted.
    record: String,
    /// A file's name, `moler.<device>.log`.
    name: String,
    /// The date of [`Scratch::second`] in [`Scratch::format`]: formatted once a second.
    date: String,
    /// [`Scratch::date`] is ASCII (a record's head then counts its width by bytes).
    date_ascii: bool,
    format: String,
    second: Option<i64>,
}

impl Scratch {
    /// Puts the time stamp of now in `DATE_FORMAT` (then `.` and milliseconds) in `out`.
    fn stamp(&mut self, date_format: &str, out: &mut String) {
        self.stamp_of(std::time::SystemTime::now(), date_format, out);
    }

    /// [`Scratch::stamp`] of the system time `now`.
    fn stamp_of(&mut self, now: std::time::SystemTime, date_format: &str, out: &mut String) {
        // The system clock read directly: a `jiff` time is made only when the date's text is
        // (once a second).
        let since = now.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let second = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
        if self.second != Some(second) || self.format != date_format {
            let now = jiff::Timestamp::try_from(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            return self.stamp_at(now, date_format, out);
        }
        out.push_str(&self.date);
        push_millis(out, since.subsec_millis());
    }

    /// [`Scratch::stamp`] of `now`.
    fn stamp_at(&mut self, now: jiff::Timestamp, date_format: &str, out: &mut String) {
        // `second` is `None` for a format with fractions of a second (it changes within a
        // second): formatted each time.
        if self.second != Some(now.as_second()) || self.format != date_format {
            let zoned = now.to_zoned(jiff::tz::TimeZone::system());
            self.date.clear();
            // Checked in `Logs::new`; a format that fails later anyway falls back to ISO.
            if jiff::fmt::strtime::BrokenDownTime::from(&zoned)
                .format(date_format, &mut self.date)
                .is_err()
            {
                self.date.clear();
                let _ = write!(self.date, "{}", zoned.strftime("%Y-%m-%d %H:%M:%S"));
            }
            self.format.clear();
            self.format.push_str(date_format);
            self.second = whole_seconds(date_format).then(|| now.as_second());
            self.date_ascii = self.date.is_ascii();
        }
        out.push_str(&self.date);
        push_millis(out, now.subsec_millisecond().unsigned_abs());
    }
}

/// `.mmm`, without the formatting machinery (this runs for every record).
fn push_millis(out: &mut String, ms: u32) {
    out.push('.');
    for digit in [ms / 100 % 10, ms / 10 % 10, ms % 10] {
        out.push(char::from(b'0' + digit as u8));
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Whether the strftime `format` gives the same text all through a second (no `%f`, `%N`:
/// fractions of a second).
fn whole_seconds(format: &str) -> bool {
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        // Flags, width, precision, colons, then the conversion.
        let conversion =
            chars.by_ref().find(|c| !matches!(c, '_' | '-' | '0'..='9' | '^' | '#' | '.' | ':'));
        if matches!(conversion, Some('f' | 'N')) {
            return false;
        }
    }
    true
}

impl Sink {
    fn debug_level(&self) -> Option<Level> {
        match self.debug_now.load(Ordering::Relaxed) {
            0 => None,
            1 => Some(Level::ERROR),
            2 => Some(Level::WARN),
            3 => Some(Level::INFO),
            4 => Some(Level::DEBUG),
            _ => Some(Level::TRACE),
        }
    }

    fn wants(&self, metadata: &Metadata<'_>) -> bool {
        let level = *metadata.level();
        let debug = self.debug_level().is_some_and(|d| level <= d);
        debug
            || match metadata.target() {
                IO => true,
                RAW => self.raw,
                t => is_moler(t) && level <= Level::INFO,
            }
    }

    fn event(&self, event: &tracing::Event<'_>) {
        // A record written while another is formatted on this thread (a layer's callback, a
        // thread's end) gets fresh buffers.
        let done = SCRATCH.try_with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.event_in(event, &mut scratch),
            Err(_) => self.event_in(event, &mut Scratch::default()),
        });
        if done.is_err() {
            self.event_in(event, &mut Scratch::default());
        }
    }

    fn event_in(&self, event: &tracing::Event<'_>, scratch: &mut Scratch) {
        let metadata = event.metadata();
        let level = *metadata.level();
        scratch.fields.clear();
        event.record(&mut scratch.fields);
        let mut record = std::mem::take(&mut scratch.record);
        let mut name = std::mem::take(&mut scratch.name);
        self.format_and_write(metadata, level, scratch, &mut record, &mut name);
        scratch.record = record;
        scratch.name = name;
    }

    fn format_and_write(
        &self,
        metadata: &Metadata<'_>,
        level: Level,
        scratch: &mut Scratch,
        record: &mut String,
        name: &mut String,
    ) {
        record.clear();
        name.clear();
        if metadata.target() == RAW {
            let fields = &scratch.fields;
            if let (Some(device), Some(bytes)) = (fields.device.get(), fields.bytes()) {
                file_name_into(name, device, ".raw.log");
                self.raw_record(name, device, bytes);
            }
            return;
        }
        scratch.stamp(&self.date_format, record);
        let stamp_len = record.len();
        let fields = &scratch.fields;
        if self.debug_level().is_some_and(|d| level <= d) {
            let text = fields.data.get().unwrap_or(&fields.message);
            let place = (metadata.file().unwrap_or("?"), metadata.line().unwrap_or(0));
            let dir = fields.dir.get().unwrap_or(" ");
            self.debug_record(record, level, metadata.target(), place, dir, text);
            record.truncate(stamp_len);
        }
        match metadata.target() {
            IO => {
                let (Some(device), Some(data)) = (fields.device.get(), fields.data.get()) else {
                    return;
                };
                file_name_into(name, device, ".log");
                let dir = fields.dir.get().unwrap_or(" ");
                self.traffic_record(record, name, device, dir, data, scratch.date_ascii);
            }
            t if is_moler(t) && level <= Level::INFO => {
                let device = fields.device.get();
                let _ =
                    write!(record, " {:<12} {:<20}", level_name(level), device.unwrap_or("moler"));
                aligned_into(record, &fields.message, false);
                self.write("moler.log", record, "moler");
                if let Some(device) = device.filter(|d| !self.muted(d)) {
                    record.truncate(stamp_len);
                    record.push_str("  ");
                    aligned_into(record, &fields.message, false);
                    file_name_into(name, device, ".log");
                    self.write(name, record, &name[..name.len() - ".log".len()]);
                }
            }
            _ => {}
        }
    }

    /// What a device's connection sent (`dir` `>`) or received (`<`), into its device log and,
    /// at INFO, the debug log: [`Traffic`]'s records, formatted here directly (no `tracing`
    /// event to dispatch, no fields to copy). `line`: where in this file they come from, as the
    /// debug log shows an event's place.
    fn traffic(&self, device: &str, files: &TrafficFiles, dir: &str, data: &str, line: u32) {
        // Formatted later unless it is also shown at once (on the console, in the debug log),
        // or no flusher thread could be started (then nothing waits).
        if self.debug_level().is_none_or(|d| d < Level::INFO)
            && !matches!(self.flusher.get(), Some(None))
            && data.len() <= MOST_DEFERRED
            && !self.console.iter().any(|c| files.log.strip_suffix(".log") == Some(c))
        {
            return self.defer(device, &files.log, dir == "<", data);
        }
        // As `event`: a record written while another is formatted on this thread (or at the
        // thread's end) gets fresh buffers.
        let traffic = TrafficRecord { device, files, dir, data, line };
        let done = SCRATCH.try_with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.traffic_in(&mut scratch, &traffic),
            Err(_) => self.traffic_in(&mut Scratch::default(), &traffic),
        });
        if done.is_err() {
            self.traffic_in(&mut Scratch::default(), &traffic);
        }
    }

    /// Takes a traffic record for `device`'s log (the file `log`) to format later
    /// ([`Deferred`]).
    fn defer(&self, device: &str, log: &str, received: bool, data: &str) {
        if !self.muted(device) {
            self.defer_at(std::time::SystemTime::now(), log, received, data);
        }
    }

    /// [`Sink::defer`] of a record taken at `at`.
    fn defer_at(&self, at: std::time::SystemTime, log: &str, received: bool, data: &str) {
        flush_at_thread_end();
        let mut deferred = lock(&self.deferred);
        if deferred.text.len() + log.len() + data.len() > MOST_DEFERRED {
            // The flusher falls behind: this thread formats what waits (memory stays bounded).
            self.drain(&mut deferred);
        }
        deferred.text.push_str(log);
        deferred.text.push_str(data);
        let soon = deferred.text.len() >= DEFERRED_SOON;
        deferred.records.push(DeferredRecord {
            at,
            received,
            name_len: log.len(),
            text_len: data.len(),
        });
        drop(deferred);
        self.wake_flusher(soon);
    }

    /// Formats the traffic records taken so far into their files, in order.
    fn drain(&self, deferred: &mut Deferred) {
        if deferred.records.is_empty() {
            return;
        }
        let Deferred { text, records, scratch } = deferred;
        let mut record = std::mem::take(&mut scratch.record);
        let mut at = 0;
        for r in records.drain(..) {
            let name = &text[at..at + r.name_len];
            at += r.name_len;
            let data = &text[at..at + r.text_len];
            at += r.text_len;
            record.clear();
            scratch.stamp_of(r.at, &self.date_format, &mut record);
            traffic_rest(&mut record, r.received, data, scratch.date_ascii);
            self.write_bytes_at(name, record.as_bytes(), Some(r.at));
        }
        text.clear();
        scratch.record = record;
    }

    /// [`Sink::drain`] of this sink's records.
    fn drain_deferred(&self) {
        self.drain(&mut lock(&self.deferred));
    }

    fn traffic_in(&self, scratch: &mut Scratch, t: &TrafficRecord<'_>) {
        let mut record = std::mem::take(&mut scratch.record);
        record.clear();
        scratch.stamp(&self.date_format, &mut record);
        if self.debug_level().is_some_and(|d| Level::INFO <= d) {
            let stamp_len = record.len();
            self.debug_record(&mut record, Level::INFO, IO, (file!(), t.line), t.dir, t.data);
            record.truncate(stamp_len);
        }
        let ascii = scratch.date_ascii;
        self.traffic_record(&mut record, &t.files.log, t.device, t.dir, t.data, ascii);
        scratch.record = record;
    }

    /// The debug log's record, after the time stamp `record` holds: level, target, thread,
    /// place, direction, text.
    fn debug_record(
        &self,
        record: &mut String,
        level: Level,
        target: &str,
        (file, line): (&str, u32),
        dir: &str,
        text: &str,
    ) {
        let thread = std::thread::current();
        let _ = write!(
            record,
            " {:<12} {:<30} {:>22} {:>30}:#{:<4} {}",
            level_name(level),
            target,
            thread.name().unwrap_or("?"),
            file,
            line,
            dir
        );
        aligned_into(record, text, false);
        self.write("moler.debug.log", record, "moler.debug");
    }

    /// The record of traffic for `device`'s log (the file `log`), after the time stamp
    /// `record` holds (`ascii_stamp`: its width is its length in bytes).
    fn traffic_record(
        &self,
        record: &mut String,
        log: &str,
        device: &str,
        dir: &str,
        data: &str,
        ascii_stamp: bool,
    ) {
        if self.muted(device) {
            return;
        }
        traffic_rest(record, dir == "<", data, ascii_stamp);
        self.write(log, record, &log[..log.len() - ".log".len()]);
    }

    /// Bytes as they went to `device`'s raw log (the file `raw_log`, with `RAW_LOG`): no time
    /// stamp, and not in the debug log.
    fn raw_record(&self, raw_log: &str, device: &str, bytes: &[u8]) {
        if self.raw && !bytes.is_empty() && !self.muted(device) {
            self.write_bytes(raw_log, bytes);
        }
    }

    /// A record of `moler.log`.
    fn main_record(&self, level: Level, name: &str, message: &str) -> String {
        let mut record = String::new();
        Scratch::default().stamp(&self.date_format, &mut record);
        let _ = write!(record, " {:<12} {name:<20}", level_name(level));
        aligned_into(&mut record, message, false);
        record
    }

    /// Closes every file (dropping a [`LogFile`] flushes it); a later write reopens it in
    /// append mode.
    fn close_all(&self) {
        self.drain_deferred();
        lock(&self.files).clear();
    }

    /// Writes what waits in every file (the traffic records taken so far first formatted).
    fn flush_files(&self) {
        self.drain_deferred();
        self.flush_open_files();
    }

    /// Writes what waits in every file's buffer. (No [`Sink::drain`]: [`Sink::wake_flusher`]
    /// calls it where the deferred records may be locked already.)
    fn flush_open_files(&self) {
        let mut files = lock(&self.files);
        for file in files.values_mut() {
            if let Err(e) = file.flush() {
                self.report(file.path(), &e);
            }
        }
    }

    fn report(&self, path: &Path, e: &io::Error) {
        if !self.reported.swap(true, Ordering::Relaxed) {
            eprintln!("moler: cannot write the log {}: {e}", path.display());
        }
    }

    fn path_of(&self, name: &str) -> PathBuf {
        let devices = lock(&self.devices);
        let own = devices.iter().find_map(|(device, logging)| {
            let rest = name.strip_prefix("moler.")?.strip_prefix(&*in_file_name(device))?;
            (rest == ".log" || rest == ".raw.log").then_some(logging.suffix.as_deref()).flatten()
        });
        let suffix = match own {
            Some(own) => Some(own.to_owned()),
            None => lock(&self.suffix).clone(),
        };
        self.dir.join(with_suffix(name, suffix.as_deref()))
    }

    /// Whether `device`'s logs are off.
    fn muted(&self, device: &str) -> bool {
        self.any_muted.load(Ordering::Acquire)
            && lock(&self.devices).get(device).is_some_and(|d| d.muted)
    }

    /// A formatted record: after the traffic records taken before it ([`Deferred`]).
    fn write(&self, file: &str, record: &str, logger: &str) {
        if self.console.iter().any(|c| c == logger) {
            print!("{record}");
        }
        let mut deferred = lock(&self.deferred);
        self.drain(&mut deferred);
        self.write_bytes(file, record.as_bytes());
    }

    /// Adds `record` to file `name` (opened if it is not), where it waits for the flusher.
    fn write_bytes(&self, name: &str, record: &[u8]) {
        self.write_bytes_at(name, record, None);
    }

    /// [`Sink::write_bytes`] of a record taken at `taken` (`None`: now), what a time-rotated
    /// file goes by ([`LogFile::write_at`]).
    fn write_bytes_at(&self, name: &str, record: &[u8], taken: Option<std::time::SystemTime>) {
        flush_at_thread_end();
        let mut files = lock(&self.files);
        let result = match files.get_mut(name) {
            Some(file) => file.write_at(record, taken),
            None => LogFile::open(self.path_of(name), self.policy.clone()).and_then(|mut file| {
                let written = file.write_at(record, taken);
                files.insert(name.to_owned(), file);
                written
            }),
        };
        drop(files);
        match result {
            Ok(soon) => self.wake_flusher(soon),
            Err(e) => self.report(&self.path_of(name), &e),
        }
    }

    /// Tells the flusher records wait: the first since its last flush, or so many that they
    /// should not wait for the timer (`soon`).
    fn wake_flusher(&self, soon: bool) {
        if !soon && self.dirty.load(Ordering::Relaxed) {
            return;
        }
        if self.dirty.swap(true, Ordering::AcqRel) && !soon {
            return;
        }
        let flusher = self.flusher.get_or_init(|| {
            let sink = self.me.clone();
            std::thread::Builder::new()
                .name("moler-log-flush".into())
                .spawn(move || flush_loop(sink))
                .map(|handle| handle.thread().clone())
                .ok()
        });
        match flusher {
            Some(thread) => thread.unpark(),
            // No thread: no waiting either (and no traffic deferred, see `traffic`). Not dirty
            // after, or the next record would wait for a flusher that never comes.
            None => {
                self.dirty.store(false, Ordering::Release);
                self.flush_open_files();
            }
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // The traffic records taken last go to their files, which flush as they drop.
        self.drain_deferred();
        // The flusher finds the sink gone and ends (the files flush as they drop).
        if let Some(Some(thread)) = self.flusher.get() {
            thread.unpark();
        }
    }
}

/// The flusher of a [`Sink`]: woken by the first record waiting, it lets records gather for
/// [`FLUSH_INTERVAL`] (less when much waits) and writes them out. Ends with its sink.
fn flush_loop(sink: Weak<Sink>) {
    loop {
        std::thread::park();
        match sink.upgrade() {
            Some(s) if s.dirty.load(Ordering::Acquire) => {}
            Some(_) => continue,
            None => return,
        }
        std::thread::park_timeout(FLUSH_INTERVAL);
        let Some(s) = sink.upgrade() else { return };
        // Cleared first: a record added while flushing wakes the next round.
        s.dirty.store(false, Ordering::Release);
        s.flush_files();
    }
}

/// Makes sure the records waiting are written when this thread ends: the main thread's end
/// (a return from `main`, `std::process::exit`) included, which ends the process without
/// dropping statics (the logs).
fn flush_at_thread_end() {
    struct FlushAtEnd;
    impl Drop for FlushAtEnd {
        fn drop(&mut self) {
            let sinks: Vec<Arc<Sink>> = lock(&SINKS).iter().filter_map(Weak::upgrade).collect();
            for sink in sinks {
                sink.flush_files();
            }
        }
    }
    thread_local! {
        static FLUSH_AT_END: FlushAtEnd = const { FlushAtEnd };
    }
    // Touching it registers its destructor; during the thread's end it is gone already.
    let _ = FLUSH_AT_END.try_with(|_| ());
}

/// `name` with `suffix` before its extension, as Moler's `_get_new_filepath_with_suffix`
/// (`os.path.splitext`): `moler.R.raw.log` + `.x` is `moler.R.raw.x.log`.
fn with_suffix(name: &str, suffix: Option<&str>) -> String {
    let Some(suffix) = suffix else { return name.to_owned() };
    // As splitext: a leading dot does not start an extension.
    match name.rfind('.').filter(|&i| i > 0) {
        Some(i) => format!("{}{suffix}{}", &name[..i], &name[i..]),
        None => format!("{name}{suffix}"),
    }
}

/// `head|first line`, then `   |next line` under it, one record ending in a newline.
#[cfg(test)]
fn aligned(head: &str, text: &str) -> String {
    let mut out = head.to_owned();
    aligned_into(&mut out, text, false);
    out
}

/// [`aligned`], but a text ending with a newline shows an empty last line: where the piece
/// ended is kept.
#[cfg(test)]
fn aligned_exact(head: &str, text: &str) -> String {
    let mut out = head.to_owned();
    aligned_into(&mut out, text, true);
    out
}

/// Puts `text` after the head that `out` holds: `head|first line`, then `   |next line` under
/// it, one record ending in a newline. Unless `exact`, a newline that ends `text` ends its last
/// line; `exact` shows an empty last line after it (where a received piece ended is kept).
fn aligned_into(out: &mut String, text: &str, exact: bool) {
    // Heads are ASCII but for a device's name: counted by bytes, unless not ASCII.
    let pad = if out.is_ascii() { out.len() } else { out.chars().count() };
    aligned_at(out, text, exact, pad);
}

/// [`aligned_into`] with the head's width (in characters) known.
fn aligned_at(out: &mut String, text: &str, exact: bool, pad: usize) {
    let text = if exact { text } else { text.strip_suffix('\n').unwrap_or(text) };
    out.reserve(text.len() + 16);
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).map(Some).chain([None]);
    for end in ends {
        let line = &text[start..end.unwrap_or(text.len())];
        out.push('|');
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push('\n');
        let Some(end) = end else { return };
        spaces_into(out, pad);
        start = end + 1;
    }
}

/// `moler.<device><ending>` in `name`, without the formatting machinery (it runs for every
/// record).
fn file_name_into(name: &mut String, device: &str, ending: &str) {
    name.push_str("moler.");
    name.push_str(&in_file_name(device));
    name.push_str(ending);
}

/// A device's name as its log files' names hold it: as it is, but for `/` (which would name a
/// folder) written `%2F`, and `%` written `%25` so that no two names give one file
/// (`lab/box1`: `moler.lab%2Fbox1.log`).
pub fn in_file_name(device: &str) -> std::borrow::Cow<'_, str> {
    if device.contains(['/', '%']) {
        device.replace('%', "%25").replace('/', "%2F").into()
    } else {
        device.into()
    }
}

/// `n` spaces at the end of `out` (this runs for every line of a multi-line record).
fn spaces_into(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

fn is_moler(target: &str) -> bool {
    target == MAIN || target.starts_with("moler::") || target.starts_with("moler_")
}

/// A debug level as [`Sink::debug_now`] holds it.
fn level_code(level: Option<Level>) -> u8 {
    match level {
        None => 0,
        Some(Level::ERROR) => 1,
        Some(Level::WARN) => 2,
        Some(Level::INFO) => 3,
        Some(Level::DEBUG) => 4,
        Some(Level::TRACE) => 5,
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "TRACE",
    }
}

/// Moler's level names (and tracing's).
fn parse_level(name: &str) -> Option<Level> {
    Some(match name.to_ascii_uppercase().as_str() {
        "TRACE" => Level::TRACE,
        "DEBUG" => Level::DEBUG,
        "INFO" => Level::INFO,
        "WARN" | "WARNING" => Level::WARN,
        "ERROR" | "CRITICAL" => Level::ERROR,
        _ => return None,
    })
}

/// A traffic record after its time stamp (`record` holds it; `ascii_stamp`: its width is its
/// length in bytes): the direction, then the text under that head. Received text keeps where
/// its piece ended (lossless, see `read`); sent text is a line typed.
fn traffic_rest(record: &mut String, received: bool, data: &str, ascii_stamp: bool) {
    record.push_str(if received { " <" } else { " >" });
    let pad = if ascii_stamp { record.len() } else { record.chars().count() };
    aligned_at(record, data, received, pad);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`transcript`]'s events.
struct Traffic {
    device: Arc<str>,
    /// Its files' names, made once: `moler.<device>.log`, `moler.<device>.raw.log`.
    files: TrafficFiles,
}

/// One record of [`Traffic`], for [`Sink::traffic`].
struct TrafficRecord<'a> {
    device: &'a str,
    files: &'a TrafficFiles,
    dir: &'a str,
    data: &'a str,
    line: u32,
}

/// A device's log files' names ([`file_name_into`]).
struct TrafficFiles {
    log: String,
    raw: String,
}

impl TrafficFiles {
    fn of(device: &str) -> Self {
        let (mut log, mut raw) = (String::new(), String::new());
        file_name_into(&mut log, device, ".log");
        file_name_into(&mut raw, device, ".raw.log");
        Self { log, raw }
    }
}

impl Transcript for Traffic {
    // Written to the logs directly, and also given as `tracing` events to the program's other
    // layers that want them (moler's own layer leaves these call sites to the direct path:
    // [`Wanted`]). With no such layer, an event costs a look at its call site's interest.
    fn received(&mut self, raw: &[u8], text: &str) {
        if let Some(sink) = active_sink() {
            if !text.is_empty() {
                sink.traffic(&self.device, &self.files, "<", text, line!());
            }
            sink.raw_record(&self.files.raw, &self.device, raw);
        }
        if !text.is_empty() {
            tracing::info!(target: IO, device = &*self.device, dir = "<", data = text);
        }
        tracing::trace!(target: RAW, device = &*self.device, dir = "<", bytes = raw);
    }

    fn sent(&mut self, text: &str) {
        if let Some(sink) = active_sink() {
            sink.traffic(&self.device, &self.files, ">", text, line!());
            sink.raw_record(&self.files.raw, &self.device, text.as_bytes());
        }
        tracing::info!(target: IO, device = &*self.device, dir = ">", data = text);
        tracing::trace!(target: RAW, device = &*self.device, dir = ">", bytes = text.as_bytes());
    }

    fn closed(&mut self, reason: Option<&io::Error>) {
        match reason {
            Some(e) => {
                let why = moler_core::Report(e);
                tracing::warn!(target: MAIN, device = &*self.device, "connection closed: {why}")
            }
            None => tracing::info!(target: MAIN, device = &*self.device, "connection closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moler_config::WriteMode;

    #[test]
    fn multi_line_text_is_aligned_under_its_first_line() {
        assert_eq!(
            aligned("22 10:00:00.001 <", "ls\r\nfile\r\nmoler_bash# "),
            "22 10:00:00.001 <|ls\n                 |file\n                 |moler_bash# \n"
        );
        assert_eq!(
            aligned_exact("22 10:00:00.001 <", "ls\r\nfile\r\n"),
            "22 10:00:00.001 <|ls\n                 |file\n                 |\n"
        );
        assert_eq!(aligned("T >", "pwd\n"), "T >|pwd\n");
        // A head with a character of two bytes is padded by characters, not bytes.
        assert_eq!(aligned("routé <", "a\nb"), "routé <|a\n       |b\n");
        // Heads longer than the spaces pushed at once.
        let head = "h".repeat(150);
        assert_eq!(aligned(&head, "a\nb"), format!("{head}|a\n{}|b\n", " ".repeat(150)));
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("moler-logs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn read(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
    }

    /// Lines of `text` that are records written by the tests (`<name>:<n>`), in order.
    fn ours(text: &str) -> Vec<&str> {
        text.lines().filter(|l| l.contains("rec:")).map(|l| &l[l.find("rec:").unwrap()..]).collect()
    }

    #[test]
    fn traffic_taken_now_is_formatted_later_in_order_and_with_its_own_time() {
        let dir = scratch("deferred");
        let logger =
            Logger { path: Some(dir.clone()), date_format: "%Y-%m-%d".into(), ..Logger::default() };
        let logs = Logs::new(&logger).unwrap();
        // No flusher (this thread stands in for it): what the connection's thread did is all
        // there is.
        logs.sink.flusher.set(Some(std::thread::current())).unwrap();
        let files = TrafficFiles::of("R");
        // Its time is when it was taken, not when it is formatted.
        let day_one = std::time::UNIX_EPOCH + Duration::from_secs(86_400);
        logs.sink.defer_at(day_one, &files.log, true, "ls\r\nfile\r\n");
        // A record written directly comes after the traffic taken before it.
        logs.sink.write("moler.R.log", "rec:state\n", "moler.R");
        logs.sink.traffic("R", &files, ">", "pwd\n", line!());
        assert_eq!(lock(&logs.sink.deferred).records.len(), 1, "taken, not formatted");
        logs.flush();
        let text = read(&dir, "moler.R.log");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("1970-01-0") && lines[0].ends_with(" <|ls"), "{text}");
        let pad = " ".repeat(lines[0].find('|').unwrap());
        assert_eq!(lines[1..3], [format!("{pad}|file"), format!("{pad}|")], "{text}");
        assert_eq!(lines[3], "rec:state");
        assert!(lines[4].ends_with(" >|pwd") && !lines[4].starts_with("1970"), "{text}");

        // A muted device's traffic is not taken; what was taken goes out when the logs end.
        logs.set_device_logging("M", false);
        logs.sink.traffic("M", &TrafficFiles::of("M"), "<", "secret", line!());
        logs.sink.traffic("R", &files, "<", "last words", line!());
        drop(logs);
        assert!(read(&dir, "moler.R.log").ends_with(" <|last words\n"));
        assert!(!dir.join("moler.M.log").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Logs in `dir` rotating by `kind` every `interval` (seconds or bytes), `backup_count`
    /// backups kept.
    fn rotating(
        dir: &std::path::Path,
        kind: moler_config::RotationKind,
        interval: u64,
        backup_count: u32,
    ) -> Logger {
        Logger {
            path: Some(dir.to_path_buf()),
            rotation: moler_config::LogRotation {
                kind: Some(kind),
                interval,
                backup_count,
                ..Default::default()
            },
            ..Logger::default()
        }
    }

    #[test]
    fn a_time_rotated_log_files_traffic_by_the_time_it_was_taken() {
        let dir = scratch("deferred-rotation");
        let logger = rotating(&dir, moler_config::RotationKind::Time, 3600, 2);
        let logs = Logs::new(&logger).unwrap();
        logs.sink.flusher.set(Some(std::thread::current())).unwrap();
        // Opened now: it rotates in an hour.
        logs.sink.write("moler.R.log", "rec:opened\n", "moler.R");
        let files = TrafficFiles::of("R");
        let now = std::time::SystemTime::now();
        logs.sink.defer_at(now, &files.log, true, "taken now");
        // Formatted now, but taken (as far as the file knows) two hours on: past the rollover.
        logs.sink.defer_at(now + Duration::from_secs(7200), &files.log, true, "taken later");
        logs.flush();
        let current = read(&dir, "moler.R.log");
        assert!(
            current.ends_with(" <|taken later\n") && !current.contains("taken now"),
            "{current}"
        );
        let rotated: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("moler.R.log."))
            .collect();
        assert_eq!(rotated.len(), 1, "{rotated:?}");
        let old = read(&dir, &rotated[0]);
        assert!(old.starts_with("rec:opened\n") && old.ends_with(" <|taken now\n"), "{old}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn with_no_flusher_thread_traffic_is_written_at_once_in_order() {
        let dir = scratch("no-flusher");
        let logs = Logs::new(&Logger { path: Some(dir.clone()), ..Logger::default() }).unwrap();
        // As when the thread could not be started: records are written as they come.
        logs.sink.flusher.set(None).unwrap();
        let files = TrafficFiles::of("R");
        logs.sink.traffic("R", &files, "<", "first", line!());
        assert!(lock(&logs.sink.deferred).records.is_empty(), "nothing waits for a flusher");
        logs.sink.write("moler.R.log", "rec:second\n", "moler.R");
        logs.sink.traffic("R", &files, ">", "third", line!());
        let text = read(&dir, "moler.R.log");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].ends_with(" <|first") && lines[2].ends_with(" >|third"), "{text}");
        assert_eq!(lines[1], "rec:second");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Logs whose flusher is this test's thread: it is woken (unparked) as a flusher would be
    /// and never writes, so what waits stays until the test looks.
    fn with_idle_flusher(logger: &Logger) -> Logs {
        let logs = Logs::new(logger).unwrap();
        logs.sink.flusher.set(Some(std::thread::current())).unwrap();
        logs
    }

    /// Traffic waits for the flusher up to exactly [`MOST_DEFERRED`] bytes (device log names and
    /// text together); a record that would take it past that has its own thread format what
    /// waits first. Nothing is lost or reordered either way.
    #[test]
    fn traffic_waits_for_the_flusher_up_to_its_bound_exactly() {
        let dir = scratch("deferred-exact");
        let logs = with_idle_flusher(&Logger { path: Some(dir.clone()), ..Logger::default() });
        let shown = format!("{logs:?}");
        assert!(shown.starts_with("Logs") && shown.contains("deferred-exact"), "{shown}");
        let files = TrafficFiles::of("R");
        // A busy device's burst (32 reads of 16 KiB) waits whole: formatting it is the flusher's.
        let burst =
            with_idle_flusher(&Logger { path: Some(dir.join("burst")), ..Logger::default() });
        let piece = "b".repeat(16 * 1024);
        for _ in 0..32 {
            burst.sink.traffic("R", &files, "<", &piece, line!());
        }
        assert_eq!(lock(&burst.sink.deferred).records.len(), 32, "the burst waits whole");
        let half = "h".repeat(MOST_DEFERRED / 2 - files.log.len());
        logs.sink.traffic("R", &files, "<", &half, line!());
        logs.sink.traffic("R", &files, ">", &half, line!());
        {
            let waiting = lock(&logs.sink.deferred);
            assert_eq!(waiting.records.len(), 2, "both halves wait");
            assert_eq!(waiting.text.len(), MOST_DEFERRED, "the bound, reached");
        }
        logs.sink.traffic("R", &files, "<", "one more", line!());
        {
            let waiting = lock(&logs.sink.deferred);
            assert_eq!(waiting.records.len(), 1, "past the bound: what waited was written first");
            assert_eq!(waiting.text, format!("{}one more", files.log));
        }
        logs.flush();
        let text = read(&dir, "moler.R.log");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{} bytes", text.len());
        assert!(
            lines[0].ends_with(&format!(" <|{half}")) && lines[1].ends_with(&format!(" >|{half}"))
        );
        assert!(lines[2].ends_with(" <|one more"), "{}", lines[2]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Traffic that is also shown at once (a device logged to the console, a debug log at INFO
    /// or finer, where it sits between events in their order) is written at once, not left to
    /// the flusher; other traffic waits.
    #[test]
    fn traffic_shown_at_once_elsewhere_is_written_at_once() {
        let dir = scratch("deferred-shown");
        let cases: [(&str, Option<&str>, Vec<String>, bool); 6] = [
            ("none", None, vec![], true),
            ("warning", Some("WARNING"), vec![], true),
            ("info", Some("INFO"), vec![], false),
            ("debug", Some("DEBUG"), vec![], false),
            ("console", None, vec!["moler.R".into()], false),
            ("console of another", None, vec!["moler.S".into()], true),
        ];
        for (what, level, console_logs, waits) in cases {
            let logger = Logger {
                path: Some(dir.join(what.replace(' ', "-"))),
                debug_level: level.map(str::to_owned),
                console_logs,
                ..Logger::default()
            };
            let logs = with_idle_flusher(&logger);
            logs.sink.traffic("R", &TrafficFiles::of("R"), "<", "answer", line!());
            let waiting = lock(&logs.sink.deferred).records.len();
            assert_eq!(waiting, usize::from(waits), "{what}: waiting records");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn traffic_waiting_stays_bounded_when_the_flusher_falls_behind() {
        let dir = scratch("deferred-bound");
        let logs = Logs::new(&Logger { path: Some(dir.clone()), ..Logger::default() }).unwrap();
        let files = TrafficFiles::of("R");
        let piece = "x".repeat(16 * 1024);
        for _ in 0..200 {
            logs.sink.traffic("R", &files, "<", &piece, line!());
            assert!(lock(&logs.sink.deferred).text.len() <= MOST_DEFERRED);
        }
        // A piece too large to copy is written at once.
        let huge = "y".repeat(MOST_DEFERRED + 1);
        logs.sink.traffic("R", &files, "<", &huge, line!());
        assert!(lock(&logs.sink.deferred).records.is_empty(), "written at once, in order");
        logs.flush();
        let text = read(&dir, "moler.R.log");
        assert_eq!(text.matches(&piece).count(), 200);
        assert!(text.trim_end().ends_with(&huge));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_suffix_goes_before_the_extension_as_given() {
        assert_eq!(with_suffix("moler.log", Some(".step2")), "moler.step2.log");
        assert_eq!(with_suffix("moler.R.log", Some(".step2")), "moler.R.step2.log");
        assert_eq!(with_suffix("moler.R.raw.log", Some(".step2")), "moler.R.raw.step2.log");
        assert_eq!(with_suffix("moler.debug.log", Some("_2")), "moler.debug_2.log");
        // Moler adds no dot: `change_logging_suffix("step2")` gives molerstep2.log.
        assert_eq!(with_suffix("moler.log", Some("step2")), "molerstep2.log");
        assert_eq!(with_suffix("moler.log", None), "moler.log");
        assert_eq!(with_suffix("noext", Some(".x")), "noext.x");
        // As `os.path.splitext(".log")`: a leading dot starts no extension.
        assert_eq!(with_suffix(".log", Some(".x")), ".log.x");
    }

    #[test]
    fn write_mode_and_a_suffix_there_and_back_lose_nothing() {
        let dir = scratch("suffix");
        let logger =
            Logger { path: Some(dir.clone()), mode: WriteMode::Write, ..Logger::default() };
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("moler.log"), "an earlier run\n").unwrap();
        let logs = Logs::new(&logger).unwrap();
        let names = ["moler.log", "moler.R.log", "moler.R.raw.log", "moler.debug.log"];
        for name in names {
            logs.sink.write(name, &format!("rec:{name}:login\n"), "");
        }
        logs.set_suffix(Some(".step2")).unwrap();
        assert_eq!(logs.path_of("moler.R.log"), dir.join("moler.R.step2.log"));
        for name in names {
            logs.sink.write(name, &format!("rec:{name}:step2\n"), "");
        }
        logs.set_suffix(None).unwrap();
        for name in names {
            logs.sink.write(name, &format!("rec:{name}:after\n"), "");
        }
        logs.flush();
        for name in names {
            let plain = read(&dir, name);
            assert_eq!(
                ours(&plain),
                [format!("rec:{name}:login"), format!("rec:{name}:after")],
                "{name}:\n{plain}"
            );
            let step2 = read(&dir, &with_suffix(name, Some(".step2")));
            assert_eq!(ours(&step2), [format!("rec:{name}:step2")], "{name}");
        }
        let main = read(&dir, "moler.log");
        assert!(!main.contains("an earlier run"), "write mode truncates the first time:\n{main}");
        let switch = format!("switch to new path: '{}'", dir.join("moler.step2.log").display());
        assert!(main.contains(&switch), "moler.log says where it goes on:\n{main}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rotation_then_suffix_keeps_every_record() {
        let dir = scratch("rotation");
        let rotating = Logger {
            mode: WriteMode::Write,
            ..rotating(&dir, moler_config::RotationKind::Size, 20, 3)
        };
        let logs = Logs::new(&rotating).unwrap();
        for i in 0..3 {
            logs.sink.write("moler.log", &format!("rec:{i}:rotating\n"), "");
        }
        let e = logs.set_suffix(Some(".x")).unwrap_err();
        assert!(matches!(e, LogError::SuffixWithRotation));
        assert_eq!(
            e.to_string(),
            "log file suffixes cannot change while logs rotate (LOG_ROTATION.KIND is set)"
        );
        logs.sink.write("moler.log", "rec:3:refused\n", "");
        logs.flush();
        // Rotation kept the older records in backups; the refusal changed nothing.
        assert_eq!(ours(&read(&dir, "moler.log.1")), ["rec:2:rotating"]);
        assert_eq!(ours(&read(&dir, "moler.log.2")), ["rec:1:rotating"]);
        assert_eq!(ours(&read(&dir, "moler.log")), ["rec:3:refused"]);
        // The same folder without rotation, write mode, a suffix there and back.
        let plain = Logger { rotation: Default::default(), ..rotating };
        let logs = Logs::new(&plain).unwrap();
        logs.set_suffix(Some(".x")).unwrap();
        logs.sink.write("moler.log", "rec:4:suffixed\n", "");
        logs.set_suffix(None).unwrap();
        logs.sink.write("moler.log", "rec:5:back\n", "");
        logs.flush();
        assert_eq!(ours(&read(&dir, "moler.log")), ["rec:3:refused", "rec:5:back"]);
        assert_eq!(ours(&read(&dir, "moler.x.log")), ["rec:4:suffixed"]);
        assert_eq!(ours(&read(&dir, "moler.log.1")), ["rec:2:rotating"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_device_name_with_a_slash_logs_in_the_log_folder() {
        let dir = scratch("slash");
        let logs = Logs::new(&Logger { path: Some(dir.clone()), ..Logger::default() }).unwrap();
        let record = |device: &str, text: &str| {
            let mut name = String::new();
            file_name_into(&mut name, device, ".log");
            logs.sink.write(&name, text, "");
        };
        record("lab/box1", "rec:slash\n");
        record("lab%2Fbox1", "rec:percent\n");
        record("../up", "rec:up\n");
        logs.flush();
        assert_eq!(ours(&read(&dir, "moler.lab%2Fbox1.log")), ["rec:slash"]);
        assert_eq!(
            ours(&read(&dir, "moler.lab%252Fbox1.log")),
            ["rec:percent"],
            "no two names give one file"
        );
        assert_eq!(ours(&read(&dir, "moler...%2Fup.log")), ["rec:up"]);
        // Its suffix and its removal find its files.
        logs.set_device_suffix("lab/box1", Some(".two")).unwrap();
        assert_eq!(logs.path_of("moler.lab%2Fbox1.log"), dir.join("moler.lab%2Fbox1.two.log"));
        logs.close_device("lab/box1");
        assert!(!lock(&logs.sink.files).contains_key("moler.lab%2Fbox1.log"));
        assert!(lock(&logs.sink.files).contains_key("moler.lab%252Fbox1.log"));
        assert_eq!(in_file_name("R.1"), "R.1");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_removed_device_is_closed_and_appended_to_when_made_again() {
        let dir = scratch("device");
        let logger =
            Logger { path: Some(dir.clone()), mode: WriteMode::Write, ..Logger::default() };
        let logs = Logs::new(&logger).unwrap();
        for name in ["moler.R.log", "moler.R.raw.log", "moler.R.1.log", "moler.log"] {
            logs.sink.write(name, &format!("rec:{name}:first\n"), "");
        }
        logs.close_device("R");
        let mut open: Vec<String> = lock(&logs.sink.files).keys().cloned().collect();
        open.sort();
        assert_eq!(open, ["moler.R.1.log", "moler.log"], "only R's own files are closed");
        logs.sink.write("moler.R.log", "rec:again\n", "");
        logs.sink.write("moler.R.raw.log", "rec:again\n", "");
        logs.flush();
        assert_eq!(ours(&read(&dir, "moler.R.log")), ["rec:moler.R.log:first", "rec:again"]);
        assert_eq!(
            ours(&read(&dir, "moler.R.raw.log")),
            ["rec:moler.R.raw.log:first", "rec:again"]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_new_configure_closes_the_old_files_and_appends_to_them() {
        let dir = scratch("reconfigure");
        let logger =
            Logger { path: Some(dir.clone()), mode: WriteMode::Write, ..Logger::default() };
        let first = Logs::new(&logger).unwrap();
        first.activate();
        first.sink.write("moler.R.log", "rec:first\n", "");
        // The only test here that makes logs active: other tests' events may reach them, so
        // only our records are checked.
        let second = Logs::new(&logger).unwrap();
        second.activate();
        assert!(lock(&first.sink.files).is_empty(), "the replaced logs are closed");
        second.sink.write("moler.R.log", "rec:second\n", "");
        stop();
        assert!(lock(&second.sink.files).is_empty(), "stop closes them");
        assert_eq!(ours(&read(&dir, "moler.R.log")), ["rec:first", "rec:second"]);
        let main = read(&dir, "moler.log");
        assert_eq!(main.matches("logging to").count(), 2, "both configures are in it:\n{main}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn time_stamps_are_the_date_format_then_milliseconds() {
        let old = |now: jiff::Timestamp, format: &str| {
            // What each record computed before the date was kept for its second.
            let now = now.to_zoned(jiff::tz::TimeZone::system());
            let date = jiff::fmt::strtime::format(format, &now).unwrap();
            format!("{date}.{:03}", now.millisecond())
        };
        let mut scratch = Scratch::default();
        let start = jiff::Timestamp::new(1_763_800_000, 0).unwrap();
        for format in ["%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%H:%M:%S%.3f", "%s %N", "%T %:z"] {
            for ms in [0, 1, 999, 1000, 1001, 59_999, 60_000, 3_600_123] {
                let now = start + jiff::SignedDuration::from_millis(ms);
                let mut out = String::from("x");
                scratch.stamp_at(now, format, &mut out);
                assert_eq!(out, format!("x{}", old(now, format)), "{format:?} at +{ms} ms");
            }
        }
        // The clock read directly (the date kept for its second) gives what a `jiff` time
        // read around it gives, the first time in a second and the next.
        for _ in 0..3 {
            for format in ["%d %H:%M:%S", "%H:%M:%S%.3f"] {
                let before = jiff::Timestamp::now();
                let mut out = String::new();
                scratch.stamp(format, &mut out);
                let after = jiff::Timestamp::now();
                let (first, last) = (old(before, format), old(after, format));
                assert!(first <= out && out <= last, "{first} <= {out} <= {last}");
            }
        }
        assert!(whole_seconds("%d %H:%M:%S %% %-d %:z %::z"));
        for sub_second in ["%f", "%.f", "%.3f", "%3f", "%N", "%-N", "%S%.f"] {
            assert!(!whole_seconds(sub_second), "{sub_second}");
        }
    }

    #[test]
    fn levels_by_moler_names() {
        assert_eq!(parse_level("warning"), Some(Level::WARN));
        assert_eq!(parse_level("CRITICAL"), Some(Level::ERROR));
        assert_eq!(parse_level("LOUD"), None);
    }

    #[test]
    fn bad_settings_are_refused_with_their_names_and_make_no_folder() {
        let dir = std::env::temp_dir()
            .join(format!("moler-logs-bad-settings-{}", std::process::id()))
            .join("logs");
        let mut logger =
            Logger { path: Some(dir.clone()), date_format: "%H:%".into(), ..Logger::default() };
        let e = Logs::new(&logger).unwrap_err().to_string();
        assert!(e.starts_with("LOGGER.DATE_FORMAT \"%H:%\""), "{e}");
        logger.date_format = "%H:%M:%S".into();
        logger.debug_level = Some("LOUD".into());
        let e = Logs::new(&logger).unwrap_err().to_string();
        assert!(e.contains("DEBUG_LEVEL \"LOUD\""), "{e}");
        assert!(!dir.parent().unwrap().exists(), "a refused setting made {}", dir.display());
    }
}
