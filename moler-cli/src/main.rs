//! `moler`: run Moler's commands on devices or a local shell, parse captured output offline,
//! list and check device configs, serve simulated devices (`moler sim`). Install with
//! `cargo install --path moler-cli`.
//!
//! Exit status: 0 done, 1 the command (or a state change) failed, 2 a usage or config error,
//! 3 a timeout.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use moler::commands::{offline, params_from_text, BuildError, Registry};
use moler::{Config, DeviceError, Devices, Report};
use serde_json::{json, Map, Value};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "moler",
    version,
    about = "Run Moler's commands on devices, parse captured output, check device configs",
    after_help = "Exit status: 0 done, 1 the command failed, 2 usage or config error, 3 timeout.\n\
                  A config is Moler's YAML (LOGGER, NAMED_CONNECTIONS, IO_TYPES, DEVICES); \
                  --config falls back to $MOLER_CONFIG."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a command on a device (or, with no config, on a local bash) and print its result
    /// as JSON.
    #[command(after_help = "Examples:\n  \
        moler run ls --param options=-l\n  \
        moler run --config devices.yml --device RemoteBox --state UNIX_REMOTE whoami\n  \
        moler run ping --params '{\"destination\": \"127.0.0.1\", \"options\": \"-c 3\"}' --timeout 20")]
    Run(RunArgs),
    /// Parse a captured output (prompt, echoed command line, output, prompt) offline and print
    /// the result as JSON. The captured command line may have the parameters' words in another
    /// order (`ping -c 3 10.0.0.1` for destination 10.0.0.1, options -c 3).
    #[command(after_help = "Example:\n  \
        printf 'host:~ # ls -l\\ntotal 0\\nhost:~ # ' | moler parse ls --params '{\"options\": \"-l\"}' --prompt 'host:~ # '")]
    Parse(ParseArgs),
    /// List the devices of a config: class, initial state, states and hops.
    Devices(DevicesArgs),
    /// Check a config: every mistake is reported as file:line:column.
    CheckConfig(ConfigFile),
    /// List the commands and events that can be used by name, with their parameters (one of
    /// them, by name, with its parameters one per line: required or optional, and what an
    /// optional one is when left out).
    Commands {
        /// A command's or an event's name (`ping`, `at.get_imsi`, `wait4prompt`).
        name: Option<String>,
        /// Print JSON instead of text: each parameter's `name`, `required` (null: not known),
        /// `default` and `note` where known.
        #[arg(long)]
        json: bool,
    },
    /// Turn a device log (`moler.<DEVICE>.log`) into a simulated device (a `moler-sim` YAML
    /// file) that answers every line typed as the device did: record once, replay in CI.
    #[command(after_help = "Example:\n  \
        moler record logs/moler.RemoteBox.log -o remote_box.sim.yml\n  \
        moler sim --listen 127.0.0.1:2323 remote_box.sim.yml")]
    Record {
        /// The device log.
        log: PathBuf,
        /// Where to write the device file (default: standard output).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Serve a simulated device described in YAML (moler-sim): on standard input and output
    /// (a terminal is put in raw mode), or on TCP with --listen, many sessions at once.
    #[command(after_help = "Examples:\n  \
        moler sim --check moler-sim/devices/unix_host.yml\n  \
        moler sim moler-sim/devices/unix_host.yml\n  \
        moler sim --listen 127.0.0.1:2323 --telnet moler-sim/devices/unix_host.yml\n\
        The format is described in the moler-sim crate docs (cargo doc -p moler-sim --open).")]
    Sim(SimArgs),
}

#[derive(Args)]
struct SimArgs {
    /// Serve on TCP at this address (host:port; port 0 picks one) instead of standard input
    /// and output.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// With --listen: speak telnet (offers WILL ECHO and WILL SGA, strips telnet commands).
    #[arg(long, requires = "listen")]
    telnet: bool,
    /// Check the device file, print its states and commands, and exit.
    #[arg(long, conflicts_with = "listen")]
    check: bool,
    /// The device file (YAML).
    file: PathBuf,
}

#[derive(Args)]
struct RunArgs {
    /// The config file (Moler's YAML); else $MOLER_CONFIG.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The device to run on (default: the config's only device); needs a config.
    #[arg(long, short)]
    device: Option<String>,
    /// Move the device to this state first (UNIX_LOCAL, UNIX_REMOTE, …); needs a config.
    #[arg(long, short)]
    state: Option<String>,
    /// The command's name (`moler commands` lists them): ls, ps, ping, whoami…
    command: String,
    /// The command's parameters as a JSON (or YAML) mapping (a number where the command wants
    /// text is the text written: `{password: 0123}`).
    #[arg(long, value_name = "JSON", conflicts_with = "param")]
    params: Option<String>,
    /// One parameter (repeatable); the value is read as JSON when it is JSON, else as text (a
    /// number where the command wants text is the text typed: `password=1234`, `text=1e5`).
    #[arg(long, short, value_name = "KEY=VALUE")]
    param: Vec<String>,
    /// The command's timeout in seconds (default: the command's own, 20 s for most).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
}

#[derive(Args)]
struct ParseArgs {
    /// The command's name: ls, ps, df, ping…
    command: String,
    /// The command's parameters as a JSON (or YAML) mapping (a number where the command wants
    /// text is the text written: `{password: 0123}`).
    #[arg(long, value_name = "JSON")]
    params: Option<String>,
    /// The prompt regex that ends the output (default: Moler's generic prompt).
    #[arg(long, value_name = "REGEX")]
    prompt: Option<String>,
    /// The captured output; `-` or nothing reads standard input.
    file: Option<PathBuf>,
}

#[derive(Args)]
struct DevicesArgs {
    #[command(flatten)]
    file: ConfigFile,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// A config file, given as `FILE` or `--config FILE` (as `run` takes it), else `$MOLER_CONFIG`.
#[derive(Args)]
struct ConfigFile {
    /// The config file (Moler's YAML); else --config FILE, else $MOLER_CONFIG.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// The config file, the same way `run` takes it (else $MOLER_CONFIG).
    #[arg(long, short, value_name = "FILE", conflicts_with = "file")]
    config: Option<PathBuf>,
}

impl ConfigFile {
    /// The file given on the command line, else `$MOLER_CONFIG`'s.
    fn path(&self) -> Result<PathBuf, Failure> {
        config_file(self.file.as_ref().or(self.config.as_ref()))?.ok_or_else(|| {
            Failure::usage("no config file: give FILE or --config FILE, or set $MOLER_CONFIG")
        })
    }
}

/// The config file named on the command line (`given`), else `$MOLER_CONFIG`'s (`None` when
/// unset). The variable is read here rather than by clap, for every subcommand alike: a file
/// named on the command line wins over it (clap would count it as a `--config` given beside
/// `FILE`), and an empty one is an error that names it (clap's names the flag).
fn config_file(given: Option<&PathBuf>) -> Result<Option<PathBuf>, Failure> {
    if let Some(file) = given {
        return Ok(Some(file.clone()));
    }
    match std::env::var_os("MOLER_CONFIG") {
        None => Ok(None),
        Some(file) if file.is_empty() => Err(Failure::usage(
            "$MOLER_CONFIG is set but empty: set it to a config file's path, or unset it \
             (`unset MOLER_CONFIG`)",
        )),
        Some(file) => Ok(Some(PathBuf::from(file))),
    }
}

/// A failure and the exit status it gives.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure { code: 2, message: message.into() }
    }

    /// Standard output was closed by its reader (`moler commands | head -1`): not a failure,
    /// the rest is just not wanted. Exits 0 without a word, as `ripgrep` does.
    fn reader_gone() -> Failure {
        Failure { code: 0, message: String::new() }
    }
}

/// Prints `text` and a line end on standard output. `println!` panics when the reader has gone
/// (Rust ignores SIGPIPE, so the write fails with EPIPE); this stops the command quietly
/// instead, and says why on another write error (a full disk).
fn say(text: impl Display) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    printed(writeln!(out, "{text}").and_then(|()| out.flush()))
}

/// What a write to standard output makes of the command: nothing, a quiet stop (the reader has
/// gone), or a failure saying why.
fn printed(written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::reader_gone()),
        Err(e) => Err(Failure { code: 1, message: format!("writing to standard output: {e}") }),
    }
}

/// Prints `value` as indented JSON and a line end on standard output, written as it is made
/// (a 100,000-file `ls` prints 27 MB: no copy of it in memory first); a reader gone or a write
/// error as [`say`].
fn say_json(value: &Value) -> Result<(), Failure> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from) // (an I/O error keeps its kind)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    printed(written)
}

/// Prints a line on standard error; a closed standard error is no reason to panic either.
fn complain(text: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The error and every cause behind it: the library's errors keep their causes as sources
/// (`cannot open …` → `connect to …` → `Connection refused`) instead of repeating them.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    Report(e).to_string()
}

impl From<DeviceError> for Failure {
    fn from(e: DeviceError) -> Failure {
        Failure { code: device_code(&e), message: chain(&e) }
    }
}

impl From<moler::Error> for Failure {
    fn from(e: moler::Error) -> Failure {
        Failure { code: core_code(&e), message: chain(&e) }
    }
}

fn core_code(e: &moler::Error) -> u8 {
    match e {
        moler::Error::Timeout { .. } => 3,
        _ => 1,
    }
}

fn device_code(e: &DeviceError) -> u8 {
    match e {
        DeviceError::Config(_)
        | DeviceError::UnknownDevice { .. }
        | DeviceError::UnknownState { .. }
        | DeviceError::Build { .. }
        | DeviceError::Log(_) => 2,
        DeviceError::Observer(e) => core_code(e),
        DeviceError::StateTimeout { .. } => 3,
        DeviceError::StateChange { source, .. } => {
            if let Some(e) = source.downcast_ref::<DeviceError>() {
                device_code(e)
            } else if let Some(e) = source.downcast_ref::<moler::Error>() {
                core_code(e)
            } else {
                1
            }
        }
        _ => 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C or a SIGTERM ends the local shells' and the processes' children too (the shells'
    // `nohup` jobs, programs deaf to SIGINT), as the normal end does; then the signal ends us.
    if let Err(e) = moler::end_children_on_signals() {
        complain(format_args!("moler: cannot watch for Ctrl-C ({e}); going on without"));
    }
    let result = match cli.command {
        Cmd::Run(args) => run(args),
        Cmd::Parse(args) => parse(args),
        Cmd::Devices(args) => devices(args),
        Cmd::CheckConfig(file) => file.path().and_then(|f| check_config(&f)),
        Cmd::Commands { name, json } => commands(name.as_deref(), json),
        Cmd::Record { log, output } => record(&log, output.as_deref()),
        Cmd::Sim(args) => sim(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // A Ctrl-C ends us: what failed because of it is not news.
            if !f.message.is_empty() && moler::ending_on_signal().is_none() {
                complain(format_args!("moler: {}", f.message));
            }
            ExitCode::from(f.code)
        }
    }
}

/// `--params` or the `--param`s, with `--timeout`, as one JSON mapping.
fn params(args: &RunArgs) -> Result<Value, Failure> {
    let (given, mut numbers) = match &args.params {
        Some(text) => read_params(text)?,
        None => (Value::Null, Vec::new()),
    };
    let mut params = match given {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => return Err(Failure::usage(format!("--params must be a mapping, not {other}"))),
    };
    for pair in &args.param {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Failure::usage(format!("--param {pair:?}: expected KEY=VALUE")));
        };
        let json = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        if json.is_number() {
            numbers.push((key.trim().to_owned(), json.clone(), Value::String(value.to_owned())));
        }
        params.insert(key.trim().to_owned(), json);
    }
    if let Some(t) = args.timeout {
        if !(t.is_finite() && t > 0.0) {
            return Err(Failure::usage(format!("--timeout {t}: expected a positive number")));
        }
        params.insert("timeout".into(), json!(t));
    }
    let mut params = Value::Object(params);
    let shell = Some(moler::LOCAL_PROMPT);
    let _ = numbers_as_text(&Registry::default(), &args.command, &mut params, shell, &numbers);
    Ok(params)
}

/// A parameter given as a number (or holding numbers): its name, its value as read and as
/// written (`password: 0123`: 123 and `"0123"`).
type Written = (String, Value, Value);

/// The `--params` text as JSON, and its numbers as read and as written by parameter. Read as
/// `params_from_text` reads it, and also as moler reads a config, which keeps each number's
/// text and takes the numbers JSON cannot hold (`timeout: .inf`, `text: 1e999`, as PyYAML does):
/// where `params_from_text` refuses those, the config reader's JSON is the parameters (such a
/// number the text written, which a parameter wanting a number refuses by name; never null,
/// which would read as a parameter not given). Neither reads it: `params_from_text`'s error.
fn read_params(text: &str) -> Result<(Value, Vec<Written>), Failure> {
    let node = moler::config::Node::from_yaml(text, "--params");
    let params = match params_from_text(text) {
        Ok(params) => params,
        Err(e) => node.as_ref().map(|n| n.to_json()).map_err(|_| Failure::usage(chain(&e)))?,
    };
    Ok((params, node.map_or_else(|_| Vec::new(), |n| n.numbers_as_written())))
}

/// The command `command` with `params`, where a number given (`--param password=1234`, or in
/// `--params`) that the command refuses is the text typed, as a number written in a config is
/// (see `Registry::command_for_prompt_as_written`). For `moler run`, tried against the command
/// as the registry knows it: a name it does not know, or another mistake, is left for the run
/// to report.
fn numbers_as_text(
    registry: &Registry,
    command: &str,
    params: &mut Value,
    prompt: Option<&str>,
    numbers: &[Written],
) -> Result<moler::commands::JsonObserver, moler::commands::BuildError> {
    let written = |name: &str| {
        let (_, read, text) = numbers.iter().rev().find(|(k, _, _)| k == name)?;
        Some((read.clone(), text.clone()))
    };
    registry.command_for_prompt_as_written(command, params, prompt, written)
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let params = params(&args)?;
    let config = config_file(args.config.as_ref())?;
    if config.is_none() && (args.device.is_some() || args.state.is_some()) {
        return Err(Failure::usage(
            "--device and --state need a config: --config FILE or $MOLER_CONFIG",
        ));
    }
    let result = match &config {
        None => {
            let registry = Registry::default();
            let observer = registry
                .command_for_prompt(&args.command, &params, Some(moler::LOCAL_PROMPT))
                .map_err(|e| Failure::usage(chain(&e)))?;
            let shell = moler::local_shell().map_err(|e| Failure {
                code: 1,
                message: format!("starting bash: {}", chain(&e)),
            })?;
            let timeout = moler::Observer::timeout(&observer).unwrap_or(Duration::MAX);
            let result = shell.run(observer, timeout);
            shell.close();
            result?
        }
        Some(file) => {
            let config = Config::from_file(file).map_err(|e| Failure::usage(chain(&e)))?;
            let devices = Devices::from_config(config)?;
            let result = on_device(&devices, &args, &params);
            devices.remove_all();
            result?
        }
    };
    say_json(&result)?;
    Ok(())
}

fn on_device(devices: &Devices, args: &RunArgs, params: &Value) -> Result<Value, Failure> {
    let name = match &args.device {
        Some(d) => d.clone(),
        None => match devices.names().as_slice() {
            [only] => only.clone(),
            [] => return Err(Failure::usage("the config has no devices")),
            names => {
                return Err(Failure::usage(format!(
                    "the config has {} devices: pick one with --device ({})",
                    names.len(),
                    names.join(", ")
                )))
            }
        },
    };
    let device = devices.get(&name)?;
    if let Some(state) = &args.state {
        device.goto_state(state)?;
    }
    Ok(device.cmd(&args.command, params.clone())?.run()?)
}

fn parse(args: ParseArgs) -> Result<(), Failure> {
    let registry = Registry::default();
    let text = args.params.as_deref().unwrap_or("");
    let prompt = args.prompt.as_deref();
    let command = match offline::command_from_text(&registry, &args.command, text, prompt) {
        // A number where the command wants text: the text written.
        // Or a number JSON cannot hold (`.inf`, `1e999`), which only moler's config reader takes.
        Err(e) if e.refused_value().is_some() || matches!(e, BuildError::Syntax { .. }) => {
            let (mut params, numbers) = read_params(text)?;
            numbers_as_text(&registry, &args.command, &mut params, prompt, &numbers)
        }
        built => built,
    }
    .map_err(|e| Failure::usage(chain(&e)))?;
    let mut captured = Vec::new();
    let read = match args.file.as_deref() {
        None => std::io::stdin().read_to_end(&mut captured).map(drop),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_end(&mut captured).map(drop),
        Some(p) => std::fs::read(p).map(|bytes| captured = bytes),
    };
    read.map_err(|e| {
        let from = args.file.as_ref().map_or("standard input".into(), |p| p.display().to_string());
        Failure::usage(format!("reading {from}: {e}"))
    })?;
    // The capture's command line may be typed another way than the parameters make it.
    let result = offline::parse_capture(command, &captured)?;
    say_json(&result)?;
    Ok(())
}

fn load(file: &PathBuf) -> Result<Devices, Failure> {
    let config = Config::from_file(file).map_err(|e| Failure::usage(chain(&e)))?;
    Ok(Devices::load(config)?)
}

fn devices(args: DevicesArgs) -> Result<(), Failure> {
    let devices = load(&args.file.path()?)?;
    let mut listed = Vec::new();
    for name in devices.names() {
        let info = devices.info(&name)?;
        if args.json {
            listed.push(json!({
                "name": info.name,
                "class": info.class,
                "initial_state": info.initial_state,
                "connection": info.connection,
                "states": info.states,
                "hops": info.hops.iter().map(|h| json!({
                    "from": h.from, "to": h.to, "command": h.command, "prompt": h.prompt,
                })).collect::<Vec<_>>(),
            }));
            continue;
        }
        say(format_args!("{} ({}), initial state {}", info.name, info.class, info.initial_state))?;
        say(format_args!("  connection: {}", info.connection))?;
        say(format_args!("  states: {}", info.states.join(", ")))?;
        for h in &info.hops {
            let prompt = h.prompt.as_deref().map(|p| format!(", prompt {p:?}")).unwrap_or_default();
            say(format_args!("  {} -> {}: {}{prompt}", h.from, h.to, h.command))?;
        }
    }
    if args.json {
        say_json(&Value::Array(listed))?;
    }
    Ok(())
}

fn check_config(file: &PathBuf) -> Result<(), Failure> {
    let devices = load(file)?;
    let config = devices.config();
    for warning in &config.warnings {
        complain(warning);
    }
    say(format_args!(
        "{}: ok: {} device(s){}, {} named connection(s)",
        file.display(),
        devices.names().len(),
        if devices.names().is_empty() {
            String::new()
        } else {
            format!(" ({})", devices.names().join(", "))
        },
        config.connections.len()
    ))?;
    // What each connection gets on this machine, and why.
    for name in devices.names() {
        let info = devices.info(&name)?;
        say(format_args!("  device {name}: {}", info.connection))?;
    }
    for c in &config.connections {
        say(format_args!("  connection {}: {}", c.name.value, config.transport_choice(&c.spec)))?;
    }
    Ok(())
}

fn record(log: &std::path::Path, output: Option<&std::path::Path>) -> Result<(), Failure> {
    let text = std::fs::read_to_string(log)
        .map_err(|e| Failure { code: 2, message: format!("{}: {e}", log.display()) })?;
    let yaml = moler::record::simulator_yaml(&text, &log.display().to_string())
        .map_err(|e| Failure { code: 2, message: format!("{}: {e}", log.display()) })?;
    match output {
        Some(path) => std::fs::write(path, yaml)
            .map_err(|e| Failure { code: 2, message: format!("{}: {e}", path.display()) }),
        None => say(yaml.trim_end()),
    }
}

fn sim(args: SimArgs) -> Result<(), Failure> {
    let device =
        moler_sim::Device::from_file(&args.file).map_err(|e| Failure::usage(e.to_string()))?;
    if args.check {
        return say(format_args!("{}: ok\n{}", args.file.display(), device.describe().trim_end()));
    }
    let device = std::sync::Arc::new(device);
    let io = |e: std::io::Error| Failure { code: 1, message: format!("sim: {e}") };
    match args.listen {
        Some(addr) => {
            let protocol =
                if args.telnet { moler_sim::Protocol::Telnet } else { moler_sim::Protocol::Raw };
            let listener = moler_sim::Listener::bind(&addr, device, protocol)
                .map_err(|e| Failure { code: 1, message: format!("sim: listen on {addr}: {e}") })?;
            // The address first, on its own line: a script that asked for port 0 reads it.
            say(format_args!("listening on {} ({protocol:?})", listener.addr()))?;
            listener.run_forever();
            Ok(())
        }
        None => moler_sim::serve_stdio(device).map_err(io),
    }
}

/// `moler commands NAME` for a name that is neither a command nor an event.
fn no_such_command(registry: &Registry, name: &str) -> Failure {
    let known: Vec<&str> = registry.command_names().chain(registry.event_names()).collect();
    let near = moler::config::did_you_mean(name, known.iter().copied())
        .map(|near| format!(" (did you mean '{near}'?)"))
        .unwrap_or_default();
    Failure::usage(format!("no command or event '{name}'{near}; `moler commands` lists them"))
}

fn commands(name: Option<&str>, json: bool) -> Result<(), Failure> {
    let registry = Registry::default();
    if let Some(name) = name {
        let found = (registry.command_param_info(name), registry.event_param_info(name));
        let (kind, params) = match found {
            (Some(params), _) => ("command", params),
            (None, Some(params)) => ("event", params),
            (None, None) => return Err(no_such_command(&registry, name)),
        };
        if json {
            return say_json(&json!({ "kind": kind, "name": name, "parameters": params }));
        }
        say(format_args!("{kind} {name}, parameters:"))?;
        let width = params.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for param in params {
            let what = match (param.required, &param.default, param.note) {
                (Some(true), _, _) => "required".to_owned(),
                (Some(false), _, Some(note)) => format!("optional: {note}"),
                (Some(false), Some(default), None) if !default.is_null() => {
                    format!("optional, default {default}")
                }
                (Some(false), _, None) => "optional".to_owned(),
                (None, _, _) => String::new(),
            };
            let line = format!("  {:<width$}  {what}", param.name);
            say(line.trim_end())?;
        }
        return Ok(());
    }
    if json {
        let commands: BTreeMap<&str, _> =
            registry.command_names().map(|n| (n, registry.command_param_info(n))).collect();
        let events: BTreeMap<&str, _> =
            registry.event_names().map(|n| (n, registry.event_param_info(n))).collect();
        return say_json(&json!({ "commands": commands, "events": events }));
    }
    // Names in a column as wide as the longest of either list.
    let width = registry.command_names().chain(registry.event_names()).map(str::len).max();
    let width = width.unwrap_or(0);
    say("commands:")?;
    for name in registry.command_names() {
        let params = registry.command_params(name).unwrap_or_default();
        say(format_args!("  {name:<width$}  {}", params.join(" ")))?;
    }
    say("events:")?;
    for name in registry.event_names() {
        let params = registry.event_params(name).unwrap_or_default();
        say(format_args!("  {name:<width$}  {}", params.join(" ")))?;
    }
    Ok(())
}
