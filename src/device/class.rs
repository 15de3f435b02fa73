//! The device classes as data: their states, their default hops, where each state's prompt and
//! newline come from; and the check that turns a [`DeviceSpec`] into a [`Machine`] (class
//! defaults merged with the user's hops), reporting every mistake with its place in the file.

use std::collections::VecDeque;

use moler_commands::{BuildError, Registry};
use moler_config::{
    ClassSpec, DeviceSpec, ErrorKind, Hop, Located, Origin, Problem, RemoteAccess, StateSpec,
};
use serde_json::{Map, Value};

use super::suggest;

/// The state of a device whose connection is closed.
pub const NOT_CONNECTED: &str = "NOT_CONNECTED";
/// The local shell.
pub const UNIX_LOCAL: &str = "UNIX_LOCAL";
/// Root on the local machine (`su`).
pub const UNIX_LOCAL_ROOT: &str = "UNIX_LOCAL_ROOT";
/// A jump host between the local machine and the remote one (only when configured).
pub const PROXY_PC: &str = "PROXY_PC";
/// The remote shell (`ssh`).
pub const UNIX_REMOTE: &str = "UNIX_REMOTE";
/// Root on the remote machine (`su`, `sudo`).
pub const UNIX_REMOTE_ROOT: &str = "UNIX_REMOTE_ROOT";

/// Parameters a hop's `command_params` may hold besides the command's own: the newline of the
/// state it leads to (Moler's `target_newline`).
const DEVICE_PARAMS: &[&str] = &["target_newline"];

/// A state name for the life of the process: classes are data, but devices hand out their
/// states as `&'static str` ([`super::State`] is `Copy`). Each distinct name is kept once (found
/// by hashing, not by a scan: a process loading many generated configs stays quick); a process
/// knows a bounded set of them (its classes' states).
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<&'static str>>> =
        std::sync::LazyLock::new(Default::default);
    for known in
        [NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT, PROXY_PC, UNIX_REMOTE, UNIX_REMOTE_ROOT]
    {
        if known == name {
            return known;
        }
    }
    let mut names = NAMES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(n) = names.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// A class with its `BASE`s folded in: states in order (the base's first; a state written
/// again replaces the base's), default hops (a hop written again replaces the command and
/// adds or replaces parameters, as a device's hops do).
struct FlatClass<'c> {
    name: &'c str,
    states: Vec<&'c StateSpec>,
    hops: Vec<&'c Hop>,
    initial: Option<&'c Located<String>>,
    connected: Option<&'c Located<String>>,
    remote_access: Option<&'c RemoteAccess>,
}

/// The io_types that are a local shell (Moler's `want_local_unix_state`: only a terminal);
/// every other connection (sshshell, tcp, telnet, a process) reaches a remote machine.
pub(crate) fn is_local_terminal(io_type: &str) -> bool {
    matches!(io_type, "terminal" | "terminal_no_fork" | "terminal_fork")
}

/// The class named `name`: a config's own first, then the built-in ones, bases folded in.
/// A config's own classes (`DEVICE_CLASSES`), then the built-in ones: the order a class name
/// is looked up in.
fn every_class(user: &[ClassSpec]) -> impl Iterator<Item = &ClassSpec> {
    user.iter().chain(moler_config::builtin_classes())
}

fn find_class<'c>(
    name: &str,
    user: &'c [ClassSpec],
    origin: &Origin,
    device: &str,
) -> Result<FlatClass<'c>, Problem>
where
    'static: 'c,
{
    let lookup = |n: &str| -> Option<&'c ClassSpec> {
        every_class(user).find(|c| c.name.value == n || c.aliases.iter().any(|a| a == n))
    };
    let Some(leaf) = lookup(name) else {
        let available: Vec<&str> = every_class(user).map(|c| c.name.value.as_str()).collect();
        return Err(Problem::new(
            ErrorKind::UnknownDeviceClass,
            origin.clone(),
            format!(
                "device {device}: class {name} has no state machine in moler-rs (available: {}; \
                 or define it in DEVICE_CLASSES)",
                available.join(", ")
            ),
        ));
    };
    let mut chain = vec![leaf];
    while let Some(base) = &chain.last().expect("not empty").base {
        let Some(next) = lookup(&base.value) else {
            return Err(Problem::new(
                ErrorKind::UnknownDeviceClass,
                base.origin.clone(),
                format!(
                    "device class {}: BASE {} is not a device class",
                    chain[0].name.value, base.value
                ),
            ));
        };
        if chain.iter().any(|c| std::ptr::eq(*c, next)) {
            return Err(Problem::new(
                ErrorKind::UnknownDeviceClass,
                base.origin.clone(),
                format!("device class {}: its BASE classes make a loop", chain[0].name.value),
            ));
        }
        chain.push(next);
    }
    let mut flat = FlatClass {
        name: leaf.name.value.as_str(),
        states: Vec::new(),
        hops: Vec::new(),
        initial: None,
        connected: None,
        remote_access: None,
    };
    for class in chain.iter().rev() {
        for st in &class.states {
            match flat.states.iter_mut().find(|s| s.name.value == st.name.value) {
                Some(s) => *s = st,
                None => flat.states.push(st),
            }
        }
        flat.hops.extend(&class.hops);
        flat.initial = class.initial_state.as_ref().or(flat.initial);
        flat.connected = class.connected_state.as_ref().or(flat.connected);
        flat.remote_access = class.remote_access.as_ref().or(flat.remote_access);
    }
    Ok(flat)
}

/// A parameter given as a number: name, value as read (`123`), value as written (`"0123"`).
pub(crate) type NumberAsText = (String, Value, Value);

/// One resolved hop: the command that moves the device from `from` to `to`.
#[derive(Debug, Clone)]
pub(crate) struct HopPlan {
    pub from: String,
    pub to: String,
    pub command: String,
    /// The command's parameters (without `target_newline`, which is the device's).
    pub params: Map<String, Value>,
    /// Where it was configured (the class default: the device's place).
    pub origin: Origin,
    /// Where each parameter the user gave was written.
    pub param_origins: Vec<(String, Origin)>,
    /// Where each parameter a class gave was written (for messages about them).
    pub class_param_origins: Vec<(String, Origin)>,
    /// The parameters given as numbers (or lists holding numbers): name, value as read, and
    /// value with each number as it was written (`0123`): what they are where the command
    /// wants text. Of the same name, the last one given counts.
    pub numbers_as_text: Vec<NumberAsText>,
}

impl HopPlan {
    /// Where parameter `key` was written: by the user, else by a class (else where the hop
    /// was).
    fn param_origin(&self, key: &str) -> Origin {
        let mut origins = self.param_origins.iter().chain(&self.class_param_origins);
        origins.find(|(k, _)| k == key).map_or_else(|| self.origin.clone(), |(_, o)| o.clone())
    }

    /// Parameter `key` as text: a text as it is, a number as it was written (`0123`, `1e5`),
    /// or (a number made otherwise) its usual form; `None` for no such parameter or another
    /// kind of value. What the device itself reads as text (prompts, a template's values).
    fn text(&self, key: &str) -> Option<std::borrow::Cow<'_, str>> {
        match self.params.get(key)? {
            Value::String(s) => Some(s.as_str().into()),
            Value::Number(n) => {
                let given = self.numbers_as_text.iter().rev().find(|(k, _, _)| k == key);
                match given {
                    Some((_, read, Value::String(text))) if *read == Value::Number(n.clone()) => {
                        Some(text.as_str().into())
                    }
                    _ => Some(n.to_string().into()),
                }
            }
            _ => None,
        }
    }

    /// The parameters given that its command does not take (`accepted`).
    fn unknown_params<'a>(&'a self, accepted: &'a [String]) -> impl Iterator<Item = &'a String> {
        self.params.keys().filter(|k| !accepted.iter().any(|a| a == *k))
    }

    /// `UNIX_LOCAL -> UNIX_REMOTE (ssh)`, for messages.
    pub fn describe(&self) -> String {
        format!("{} -> {} ({})", self.from, self.to, self.command)
    }
}

/// A device's state machine, checked: its states, hops, and each state's prompt and newline.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub class: &'static str,
    /// `NOT_CONNECTED` first.
    pub states: Vec<&'static str>,
    pub hops: Vec<HopPlan>,
    /// Each connected state's prompt regex.
    pub prompts: Vec<(&'static str, String)>,
    pub newlines: Vec<(&'static str, String)>,
    pub initial: &'static str,
    /// The state the connection opens into (and is closed from).
    pub connected: &'static str,
    /// The connected state whose prompt the device detects when the connection opens (a
    /// class's REMOTE_ACCESS on a remote connection, when no hop gives that prompt).
    pub detect: Option<&'static str>,
    /// For a class with REMOTE_ACCESS, whether the machine was made for a local terminal (its
    /// states depend on it: another kind of connection needs another machine).
    pub local_shell: Option<bool>,
    /// Each state's command families (`unix`, `at`, …).
    pub families: Vec<(&'static str, Vec<String>)>,
}

impl Machine {
    pub fn prompt(&self, state: &str) -> Option<&str> {
        self.prompts.iter().find(|(s, _)| *s == state).map(|(_, p)| p.as_str())
    }

    pub fn newline(&self, state: &str) -> &str {
        self.newlines.iter().find(|(s, _)| *s == state).map_or("\n", |(_, n)| n.as_str())
    }

    pub fn hop(&self, from: &str, to: &str) -> Option<&HopPlan> {
        self.hops.iter().find(|h| h.from == from && h.to == to)
    }

    /// The next state on a shortest way from `from` to `to` (the connection's opening and
    /// closing are the ways between NOT_CONNECTED and the connected state).
    pub fn next_step(&self, from: &str, to: &str) -> Option<&'static str> {
        let edges = |s: &str| -> Vec<&'static str> {
            let mut next: Vec<&'static str> = self
                .hops
                .iter()
                .filter(|h| h.from == s)
                .filter_map(|h| self.states.iter().copied().find(|st| *st == h.to))
                .collect();
            if s == NOT_CONNECTED {
                next.push(self.connected);
            } else if s == self.connected {
                next.push(NOT_CONNECTED);
            }
            next
        };
        let start = self.states.iter().copied().find(|s| *s == from)?;
        let mut came_from: Vec<(&'static str, &'static str)> = vec![(start, start)];
        let mut queue = VecDeque::from([start]);
        while let Some(s) = queue.pop_front() {
            if s == to {
                let mut step = s;
                loop {
                    let prev = came_from.iter().find(|(n, _)| *n == step)?.1;
                    if prev == start {
                        return Some(step);
                    }
                    step = prev;
                }
            }
            for n in edges(s) {
                if !came_from.iter().any(|(seen, _)| *seen == n) {
                    came_from.push((n, s));
                    queue.push_back(n);
                }
            }
        }
        // A state with no hops back to where the connection opened (a board's console past
        // its boot loader) is left by closing the connection.
        (to == NOT_CONNECTED).then_some(NOT_CONNECTED)
    }
}

/// Where a state's prompt comes from: a hop into it (its `expected_prompt`), or the class's
/// fixed `PROMPT`.
#[derive(Clone)]
enum Source {
    Hop(&'static str, &'static str),
    Fixed(String, Origin),
    /// PROMPT_AS_ROOT_OF, where no hop into the state exists.
    RootOf(&'static str, Origin),
}

/// A state's prompt: its fixed PROMPT; else the hop into it (by PROMPT_FROM): its
/// `expected_prompt`, else the state's PROMPT_TEMPLATE filled from that hop's parameters; else
/// the PROMPT_AS_ROOT_OF state's prompt with its final `$` made `#`. `Err` says why a template
/// cannot be filled.
fn state_prompt(
    sources: &[(&'static str, Source)],
    specs: &[&StateSpec],
    hops: &[(HopPlan, Vec<String>)],
    state: &str,
    depth: usize,
) -> Option<Result<String, String>> {
    let spec = specs.iter().find(|s| s.name.value == state);
    let root_of = |of: &str| -> Option<Result<String, String>> {
        if depth > specs.len() {
            return None;
        }
        Some(state_prompt(sources, specs, hops, of, depth + 1)?.map(|p| as_root(&p)))
    };
    match &sources.iter().find(|(s, _)| *s == state)?.1 {
        Source::Fixed(p, _) => Some(Ok(p.clone())),
        Source::RootOf(of, _) => root_of(of),
        Source::Hop(from, to) => {
            let (plan, _) = hops.iter().find(|(p, _)| p.from == *from && p.to == *to)?;
            if let Some(p) = plan.text("expected_prompt") {
                return Some(Ok(p.into_owned()));
            }
            if let Some(t) = spec.and_then(|s| s.prompt_template.as_ref()) {
                return Some(fill_template(&t.value, plan).map_err(|name| {
                    format!(
                        "PROMPT_TEMPLATE {:?} needs parameter `{name}` of hop {}",
                        t.value,
                        plan.describe()
                    )
                }));
            }
            root_of(spec?.prompt_as_root_of.as_ref()?.value.as_str())
        }
    }
}

/// `template` with each `{name}` replaced by parameter `name`, regex-escaped; `Err(name)` for a
/// parameter the hop does not have.
fn fill_template(template: &str, plan: &HopPlan) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + len];
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..open]);
        if valid {
            let Some(value) = plan.text(name) else { return Err(name.to_owned()) };
            out.push_str(&regex::escape(&value));
        } else {
            out.push_str(&rest[open..=open + len]);
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// For a class that starts in a local shell, put on a connection that is not one (an
/// `sshshell`, a TCP console): its variant that opens straight into the remote state, as a
/// hint (`; … use UnixRemote2 (also UnixRemote3) …`), or nothing.
fn remote_variant(class: &str, remote: bool, io_type: &str, classes: &[ClassSpec]) -> String {
    if remote || is_local_terminal(io_type) {
        return String::new();
    }
    let Some(variant) = every_class(classes)
        .find(|c| c.remote_access.is_some() && c.base.as_ref().is_some_and(|b| b.value == class))
    else {
        return String::new();
    };
    let also = variant.aliases.iter().filter(|a| !a.contains('.')).cloned().collect::<Vec<_>>();
    let also = if also.is_empty() { String::new() } else { format!(" (also {})", also.join(", ")) };
    format!(
        "; on io_type {io_type} the connection itself is the remote shell, which {class} reaches \
         from a local one with this hop: use {}{also}, which opens straight into it",
        variant.name.value
    )
}

/// A user's prompt made root's, as Moler's AdbRemote makes it: a final `$` becomes `#`
/// (`^adb_shell@f57e6b77 \$` → `^adb_shell@f57e6b77 \#`); a prompt without one stays.
fn as_root(prompt: &str) -> String {
    match prompt.strip_suffix('$') {
        Some(head) => format!("{head}#"),
        None => prompt.to_owned(),
    }
}

/// Checks `spec` against its class (a config's `DEVICE_CLASSES` or a built-in one) and the
/// command registry: the class defaults merged with the user's hops, required parameters
/// present, states and commands known, parameters the commands accept, prompts valid and
/// unique, every state reachable, the initial state known.
pub(crate) fn resolve(
    spec: &DeviceSpec,
    classes: &[ClassSpec],
    registry: &Registry,
) -> Result<Machine, Vec<Problem>> {
    let mut problems = Vec::new();
    let device = &spec.name.value;
    let class = find_class(&spec.class.value.name, classes, &spec.class.origin, device)
        .map_err(|p| vec![p])?;
    let class_name = intern(class.name);

    // States: the optional ones only when the device's hops name them.
    let named =
        |state: &str| spec.hops.iter().any(|h| h.from.value == state || h.to.value == state);
    // On a connection that is not a local terminal, a class with REMOTE_ACCESS has no local
    // states and opens into the first of its remote ones that exists (the last always does).
    let io_type = spec.connection.io_type.value.as_str();
    let remote = class.remote_access.filter(|_| !is_local_terminal(io_type));
    let without: Vec<&str> =
        remote.map(|r| r.without.iter().map(|s| s.value.as_str()).collect()).unwrap_or_default();
    let opens_into: Option<&Located<String>> = remote.and_then(|r| {
        let exists = |name: &str| {
            class.states.iter().any(|s| s.name.value == name && (!s.optional || named(name)))
        };
        r.connected.iter().find(|s| exists(&s.value)).or(r.connected.last())
    });
    let mut states: Vec<&'static str> = vec![NOT_CONNECTED];
    let mut dropped: Vec<&str> = Vec::new();
    for st in &class.states {
        if without.contains(&st.name.value.as_str()) {
            continue;
        }
        let forced = opens_into.is_some_and(|o| o.value == st.name.value);
        if st.optional && !named(&st.name.value) && !forced {
            dropped.push(st.name.value.as_str());
        } else {
            states.push(intern(&st.name.value));
        }
    }
    let state_of = |name: &str| states.iter().copied().find(|s| *s == name);
    let connected = match opens_into.or(class.connected) {
        Some(c) => state_of(&c.value).unwrap_or_else(|| {
            problems.push(class_state_problem(class.name, &class.states, &c.value, &c.origin));
            UNIX_LOCAL
        }),
        None => states.get(1).copied().unwrap_or(NOT_CONNECTED),
    };

    // The command families of each state, known to the registry.
    let known_families: Vec<&str> = {
        let mut f: Vec<&str> = registry.command_names().map(moler_commands::family_of).collect();
        f.sort_unstable();
        f.dedup();
        f
    };
    let mut families: Vec<(&'static str, Vec<String>)> = Vec::new();
    for st in &class.states {
        let Some(state) = state_of(&st.name.value) else { continue };
        let mut list = Vec::new();
        for fam in &st.commands {
            if known_families.contains(&fam.value.as_str()) {
                list.push(fam.value.clone());
            } else {
                let tail = suggest(&fam.value, &known_families, Some("known families"));
                problems.push(Problem::new(
                    ErrorKind::InvalidValue,
                    fam.origin.clone(),
                    format!(
                        "device class {}: state {state}: unknown command family `{}`{tail}",
                        class.name, fam.value
                    ),
                ));
            }
        }
        if st.commands.is_empty() {
            list.push("unix".to_owned());
        }
        families.push((state, list));
    }

    // The user's hops: known states, known commands.
    let mut user: Vec<&Hop> = Vec::new();
    for h in &spec.hops {
        let mut ok = true;
        for end in [&h.from, &h.to] {
            if without.contains(&end.value.as_str()) {
                ok = false;
                problems.push(Problem::new(
                    ErrorKind::UnknownState,
                    end.origin.clone(),
                    format!(
                        "device {device}: {} on io_type {io_type} has no state {}: it opens \
                         straight into {} (a local shell needs io_type terminal)",
                        class.name,
                        end.value,
                        opens_into.map_or("", |o| o.value.as_str())
                    ),
                ));
            } else if state_of(&end.value).is_none() || end.value == NOT_CONNECTED {
                ok = false;
                problems.push(unknown_state(device, class.name, &states, &end.value, &end.origin));
            }
        }
        if let Some(command) = &h.execute_command {
            let name = qualify(registry, &families, &h.from.value, &command.value);
            if registry.command_params(&name).is_none() {
                ok = false;
                let known: Vec<&str> = registry.command_names().collect();
                let tail = suggest(&command.value, &known, None);
                problems.push(Problem::new(
                    ErrorKind::UnknownCommand,
                    command.origin.clone(),
                    format!(
                        "device {device}: hop {} -> {}: unknown command `{}`{tail}",
                        h.from.value, h.to.value, command.value
                    ),
                ));
            }
        }
        if ok {
            user.push(h);
        }
    }

    // Class defaults (a way through a state left out becomes one hop: the hop out of it),
    // then the user's on top (parameter by parameter, as Moler's update_dict).
    let mut defaults: Vec<&Hop> = Vec::new();
    for h in &class.hops {
        if without.contains(&h.from.value.as_str()) || without.contains(&h.to.value.as_str()) {
            continue;
        }
        let known = |s: &str| class.states.iter().any(|st| st.name.value == s);
        if !known(&h.from.value) || !known(&h.to.value) {
            let bad = if known(&h.from.value) { &h.to } else { &h.from };
            problems.push(class_state_problem(class.name, &class.states, &bad.value, &bad.origin));
            continue;
        }
        defaults.push(h);
    }
    // A way through a state left out (A -> O -> B) becomes one hop. Away from the connected
    // state it is the hop out of O (ssh to the remote, telnet to the PDU); back towards it,
    // the hop out of A (exit, exit_telnet) ending on what O -> B ends on (its expected_prompt
    // and target_newline).
    let depth = |state: &str| -> usize {
        let start = opens_into.or(class.connected).map_or_else(
            || class.states.first().map_or("", |s| s.name.value.as_str()),
            |c| c.value.as_str(),
        );
        let mut seen = vec![(start, 0usize)];
        let mut i = 0;
        while i < seen.len() {
            let (s, d) = seen[i];
            for h in defaults.iter().filter(|h| h.from.value == s) {
                if !seen.iter().any(|(n, _)| *n == h.to.value) {
                    seen.push((h.to.value.as_str(), d + 1));
                }
            }
            i += 1;
        }
        seen.iter().find(|(n, _)| *n == state).map_or(usize::MAX, |(_, d)| *d)
    };
    let mut bridged: Vec<(String, String, &Hop, Option<&Hop>)> = Vec::new();
    for gone in &dropped {
        for into in defaults.iter().filter(|h| h.to.value == *gone) {
            for out in defaults.iter().filter(|h| h.from.value == *gone) {
                let (a, b) = (&into.from.value, &out.to.value);
                if a == b || dropped.contains(&a.as_str()) {
                    continue;
                }
                if depth(b) < depth(a) {
                    bridged.push((a.clone(), b.clone(), into, Some(out)));
                } else {
                    bridged.push((a.clone(), b.clone(), out, None));
                }
            }
        }
    }
    let mut hops: Vec<(HopPlan, Vec<String>)> = Vec::new();
    let class_hops = defaults
        .iter()
        .filter(|h| {
            !dropped.contains(&h.from.value.as_str()) && !dropped.contains(&h.to.value.as_str())
        })
        .map(|h| (h.from.value.clone(), h.to.value.clone(), *h, None))
        .chain(bridged);
    for (from, to, h, ends_like) in class_hops {
        let mut params = match h.command_params.to_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Some(Value::Object(end)) = ends_like.map(|e| e.command_params.to_json()) {
            for key in HOP_ENDS {
                match end.get(key) {
                    Some(v) => {
                        params.insert(key.to_owned(), v.clone());
                    }
                    None => {
                        params.remove(key);
                    }
                }
            }
        }
        let required: Vec<String> =
            h.required_command_params.iter().map(|r| r.value.clone()).collect();
        let command = h.execute_command.as_ref().map(|c| c.value.as_str());
        let (from_, to_) = (from.clone(), to.clone());
        let mut given = Given::new(params, &h.command_params);
        if let Some(end) = ends_like {
            given.take_ends_from(&end.command_params);
        }
        if !merge_hop(&mut hops, from, to, command, given, required, None, &spec.name.origin) {
            problems.push(Problem::new(
                ErrorKind::MissingParameter,
                h.origin.clone(),
                format!(
                    "device class {}: hop {from_} -> {to_} needs `execute_command`: no base \
                     class has a hop between these states to take it from",
                    class.name
                ),
            ));
        }
    }
    for h in user {
        let params = match h.command_params.to_json() {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => {
                problems.push(Problem::new(
                    ErrorKind::WrongType,
                    h.command_params.origin.clone(),
                    format!(
                        "device {device}: hop {} -> {}: command_params must be a mapping, not {other}",
                        h.from.value, h.to.value
                    ),
                ));
                continue;
            }
        };
        let required: Vec<String> =
            h.required_command_params.iter().map(|r| r.value.clone()).collect();
        // Without `execute_command` the class's command stays (Moler's update_dict).
        let command = h.execute_command.as_ref().map(|c| c.value.as_str());
        let (from, to) = (h.from.value.clone(), h.to.value.clone());
        let given = Given::new(params, &h.command_params);
        let user = Some(h.origin.clone());
        if !merge_hop(&mut hops, from, to, command, given, required, user, &h.origin) {
            problems.push(Problem::new(
                ErrorKind::MissingParameter,
                h.origin.clone(),
                format!(
                    "device {device} ({}): hop {} -> {} needs `execute_command`: the class \
                     has no hop between these states to take it from",
                    class.name, h.from.value, h.to.value
                ),
            ));
        }
    }

    // A hop's command by its family in the state it starts from (`exit_telnet` in the PDU
    // state is the PDU's).
    for (plan, _) in &mut hops {
        plan.command = qualify(registry, &families, &plan.from, &plan.command);
    }

    // Where each state's prompt comes from: a fixed PROMPT, else the hop into it from the first
    // of PROMPT_FROM that exists.
    let mut sources: Vec<(&'static str, Source)> = Vec::new();
    for st in &class.states {
        let Some(state) = state_of(&st.name.value) else { continue };
        if let Some(p) = &st.prompt {
            sources.push((state, Source::Fixed(p.value.clone(), p.origin.clone())));
            continue;
        }
        for from in &st.prompt_from {
            if !class.states.iter().any(|s| s.name.value == from.value) {
                problems.push(class_state_problem(
                    class.name,
                    &class.states,
                    &from.value,
                    &from.origin,
                ));
                continue;
            }
            if let Some((plan, _)) =
                hops.iter().find(|(p, _)| p.from == from.value && p.to == state)
            {
                let from = state_of(&plan.from).expect("hops join known states");
                sources.push((state, Source::Hop(from, state)));
                break;
            }
        }
        if let Some(root_of) = &st.prompt_as_root_of {
            match state_of(&root_of.value) {
                Some(of) if !sources.iter().any(|(s, _)| *s == state) => {
                    sources.push((state, Source::RootOf(of, root_of.origin.clone())));
                }
                Some(_) => {}
                None => problems.push(class_state_problem(
                    class.name,
                    &class.states,
                    &root_of.value,
                    &root_of.origin,
                )),
            }
        }
    }
    let prompt_of = |hops: &[(HopPlan, Vec<String>)], state: &str| -> Option<String> {
        state_prompt(&sources, &class.states, hops, state, 0).and_then(Result::ok)
    };
    // The prompts the user gives once, on the hop in, also end the hops back (Moler's
    // `_overwrite_prompts`), and fill in any hop into a state that names no prompt.
    for st in &class.states {
        let Some(state) = state_of(&st.name.value) else { continue };
        for from in &st.prompt_for_hops_from {
            let Some(p) = prompt_of(&hops, state) else { continue };
            if let Some((plan, _)) =
                hops.iter_mut().find(|(h, _)| h.from == from.value && h.to == state)
            {
                plan.params.insert("expected_prompt".into(), Value::from(p));
            }
        }
    }
    for i in 0..hops.len() {
        let takes_prompt = registry
            .command_params(&hops[i].0.command)
            .is_some_and(|a| a.iter().any(|k| k == "expected_prompt"));
        // The hop a PROMPT_TEMPLATE is made from makes that prompt itself (adb_shell's
        // `prompt_from_serial_number`): an `expected_prompt` given would stop it.
        let (from, to) = (hops[i].0.from.as_str(), hops[i].0.to.as_str());
        let templated = sources.iter().any(|(s, src)| {
            *s == to
                && matches!(src, Source::Hop(f, _) if *f == from)
                && class.states.iter().any(|st| st.name.value == to && st.prompt_template.is_some())
        });
        if takes_prompt && !templated && !hops[i].0.params.contains_key("expected_prompt") {
            if let Some(p) = prompt_of(&hops, &hops[i].0.to.clone()) {
                hops[i].0.params.insert("expected_prompt".into(), Value::from(p));
            }
        }
    }

    // Hops already found wrong are not built below (one message per mistake).
    let mut reported: Vec<(String, String)> = Vec::new();
    // The connected state whose prompt no hop gives, on a remote connection: the device
    // detects it when the connection opens (Moler's ProxyPc2), and hops into it end there.
    let detect =
        (remote.is_some() && !sources.iter().any(|(s, _)| *s == connected)).then_some(connected);
    // Required parameters (Moler's `_validate_device_configuration`).
    for (plan, required) in &hops {
        let missing: Vec<&str> = required
            .iter()
            .map(String::as_str)
            .filter(|r| !plan.params.contains_key(*r))
            .filter(|r| !(*r == "expected_prompt" && detect == Some(plan.to.as_str())))
            .collect();
        if !missing.is_empty() {
            reported.push((plan.from.clone(), plan.to.clone()));
            let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
            // A parameter missing is often one misspelt: the keys its command does not take,
            // each with the missing one it looks like.
            let accepted = registry.command_params(&plan.command).unwrap_or(&[]);
            let typos: String = plan
                .unknown_params(accepted)
                .filter_map(|k| {
                    let near = moler_config::did_you_mean(k, missing.iter().copied())?;
                    Some(format!(
                        "; `{k}` is no parameter of {}: did you mean {near}?",
                        plan.command
                    ))
                })
                .collect();
            let variant =
                remote_variant(class.name, class.remote_access.is_some(), io_type, classes);
            problems.push(Problem::new(
                ErrorKind::MissingParameter,
                plan.origin.clone(),
                format!(
                    "device {device} ({}): hop {} needs command_params {list}{typos}{variant}",
                    class.name,
                    plan.describe()
                ),
            ));
        }
    }

    // A prompt set after login that expected_prompt does not match: the hop would wait for
    // expected_prompt until it timed out (it waits for it after set_prompt).
    for (plan, _) in &hops {
        if reported.contains(&(plan.from.clone(), plan.to.clone())) {
            continue;
        }
        let (Some(set), Some(expected)) = (plan.text("set_prompt"), plan.text("expected_prompt"))
        else {
            continue;
        };
        let Some(shown) = ps1_literal(&set) else { continue };
        let Ok(regex) = moler_core::cached_regex(&expected) else { continue };
        if !regex.is_match(shown) {
            reported.push((plan.from.clone(), plan.to.clone()));
            problems.push(Problem::new(
                ErrorKind::InvalidValue,
                plan.param_origin("expected_prompt"),
                format!(
                    "device {device}: hop {}: expected_prompt {expected:?} does not match the \
                     prompt set_prompt sets ({shown:?}), so the hop would wait for it until it \
                     timed out: expected_prompt is the prompt after set_prompt (the one right \
                     after login goes in prompt_after_login)",
                    plan.describe()
                ),
            ));
        }
    }

    // State prompts and newlines.
    let mut prompts: Vec<(&'static str, String)> = Vec::new();
    let mut newlines = Vec::new();
    // The states whose prompt was found wrong (one message per mistake).
    let mut wrong_prompt: Vec<&'static str> = Vec::new();
    for state in states.iter().copied().filter(|s| *s != NOT_CONNECTED) {
        let Some((_, source)) = sources.iter().find(|(s, _)| *s == state) else { continue };
        let made = state_prompt(&sources, &class.states, &hops, state, 0);
        let (prompt, origin, plan) = match source {
            Source::Fixed(_, origin) | Source::RootOf(_, origin) => (made, origin.clone(), None),
            Source::Hop(from, to) => {
                let Some((plan, _)) = hops.iter().find(|(p, _)| p.from == *from && p.to == *to)
                else {
                    continue;
                };
                (made, plan.param_origin("expected_prompt"), Some(plan))
            }
        };
        let prompt = match prompt {
            Some(Err(why)) => {
                problems.push(Problem::new(
                    ErrorKind::MissingParameter,
                    origin,
                    format!("device {device}: state {state}: {why}"),
                ));
                wrong_prompt.push(state);
                continue;
            }
            Some(Ok(p)) => Some(p),
            None => None,
        };
        if let Some(p) = prompt {
            // Through the core's cache: the device compiles the same prompt when it opens.
            match moler_core::cached_regex(&p) {
                Ok(_) => prompts.push((state, p)),
                Err(e) => {
                    let e = e.to_string().lines().last().unwrap_or_default().to_owned();
                    let place = match plan {
                        Some(plan) => {
                            reported.push((plan.from.clone(), plan.to.clone()));
                            format!("hop {}: expected_prompt", plan.describe())
                        }
                        None => {
                            // A hop into it whose end is this PROMPT (given it above) would
                            // report the same regex again.
                            let ends_here = |h: &HopPlan| {
                                h.to == state
                                    && h.params.get("expected_prompt").and_then(Value::as_str)
                                        == Some(p.as_str())
                            };
                            for (h, _) in hops.iter().filter(|(h, _)| ends_here(h)) {
                                reported.push((h.from.clone(), h.to.clone()));
                            }
                            format!("state {state}: PROMPT")
                        }
                    };
                    problems.push(Problem::new(
                        ErrorKind::InvalidValue,
                        origin,
                        format!("device {device}: {place} {p:?} is not a valid regex: {e}"),
                    ));
                    wrong_prompt.push(state);
                }
            }
        }
        if let Some(n) = plan.and_then(|p| p.params.get("target_newline")).and_then(Value::as_str) {
            newlines.push((state, n.to_owned()));
        }
    }
    // A state with no prompt could never be told reached (a hop into it would end at any
    // prompt its command takes; nothing would show the device is there). But the state the
    // connection opens into may have none: where a console opens nobody may know yet (a
    // board's serial line, before it boots), and the prompt watch moves the device from there;
    // nor has the state whose prompt is detected when the connection opens, until then.
    for st in &class.states {
        let Some(state) = state_of(&st.name.value) else { continue };
        // (A hop into it already reported, a missing expected_prompt, is the one mistake.)
        if state == connected
            || detect == Some(state)
            || wrong_prompt.contains(&state)
            || prompts.iter().any(|(s, _)| *s == state)
            || reported.iter().any(|(_, to)| to == state)
        {
            continue;
        }
        // A hop into it that has an expected_prompt its PROMPT_FROM does not name.
        let into = hops.iter().map(|(p, _)| p).find(|p| {
            p.to == state && p.from != NOT_CONNECTED && p.params.contains_key("expected_prompt")
        });
        let hint = into.map_or_else(String::new, |p| {
            format!(
                " (hop {} has an expected_prompt: PROMPT_FROM: [{}] takes it)",
                p.describe(),
                p.from
            )
        });
        problems.push(Problem::new(
            ErrorKind::MissingParameter,
            st.name.origin.clone(),
            format!(
                "device {device} ({}): state {state} has no prompt: give it a PROMPT, an \
                 expected_prompt on the hop into it from a state its PROMPT_FROM names{hint}, or \
                 PROMPT_AS_ROOT_OF a state that has one (PROMPT_AS_ROOT_OF states may not take \
                 their prompts from each other); without one the device could never tell it got \
                 there",
                class.name
            ),
        ));
    }
    problems.extend(prompt_overlaps(device, spec, &sources, &hops, &prompts));
    for (i, (state, prompt)) in prompts.iter().enumerate() {
        if let Some((other, _)) = prompts[..i].iter().find(|(_, p)| p == prompt) {
            problems.push(Problem::new(
                ErrorKind::InvalidValue,
                spec.name.origin.clone(),
                format!(
                    "device {device}: states {other} and {state} have the same prompt {prompt:?}; \
                     each state needs its own, or the device cannot tell where it is"
                ),
            ));
        }
    }

    // Parameters the commands accept (each hop's command is built once, as it will be).
    let mut plans = Vec::new();
    for (mut plan, _) in hops {
        let accepted = registry.command_params(&plan.command).unwrap_or(&[]);
        for key in DEVICE_PARAMS {
            if !accepted.iter().any(|a| a == key) {
                plan.params.remove(*key);
            }
        }
        if reported.contains(&(plan.from.clone(), plan.to.clone())) {
            plans.push(plan);
            continue;
        }
        let unknown: Vec<&String> = plan.unknown_params(accepted).collect();
        if !unknown.is_empty() {
            for key in unknown {
                let accepted: Vec<&str> = accepted.iter().map(String::as_str).collect();
                let tail = suggest(key, &accepted, Some("it accepts"));
                problems.push(Problem::new(
                    ErrorKind::UnknownKey,
                    plan.param_origin(key),
                    format!(
                        "device {device}: hop {}: {} has no parameter `{key}`{tail}",
                        plan.describe(),
                        plan.command
                    ),
                ));
            }
            plans.push(plan);
            continue;
        }
        let shell_prompt = prompts.iter().find(|(s, _)| *s == plan.from).map(|(_, p)| p.as_str());
        // A hop into the state whose prompt is detected gets it when the device opens.
        let mut params = plan.params.clone();
        if detect == Some(plan.to.as_str()) && accepted.iter().any(|a| a == "expected_prompt") {
            params.entry("expected_prompt").or_insert_with(|| Value::from("^detected"));
        }
        // A number where the command wants text (`password: 0123`) is the text written, as
        // in a connection's parameters (Moler's PyYAML would hand the command a number, which
        // it cannot type); the hop keeps what its command was built from.
        let mut params = Value::Object(params);
        let written = |name: &str| {
            let given = plan.numbers_as_text.iter().rev().find(|(k, _, _)| k == name);
            given.map(|(_, read, text)| (read.clone(), text.clone()))
        };
        let checked = registry.command_for_prompt_as_written(
            &plan.command,
            &mut params,
            shell_prompt,
            written,
        );
        for (name, _, _) in &plan.numbers_as_text {
            if let (Some(given), Some(built)) = (plan.params.get_mut(name), params.get(name)) {
                given.clone_from(built);
            }
        }
        if let Err(e) = checked {
            // A parameter the command refuses is shown where it was written (`cmd_params`
            // when the command sudo or su runs refused them).
            let origin = match &e {
                BuildError::BadParams { problem, .. } => problem
                    .parameter()
                    .map_or_else(|| plan.origin.clone(), |p| plan.param_origin(p)),
                _ => plan.origin.clone(),
            };
            problems.push(Problem::new(
                ErrorKind::InvalidValue,
                origin,
                format!("device {device}: hop {}: {e}", plan.describe()),
            ));
        }
        plans.push(plan);
    }

    // A class's initial state left out on a remote connection: where the connection opens.
    let class_initial = class.initial.filter(|s| !without.contains(&s.value.as_str()));
    let initial = match spec.initial_state.as_ref().or(class_initial) {
        Some(s) => match state_of(&s.value) {
            Some(st) => st,
            None => {
                problems.push(unknown_state(device, class.name, &states, &s.value, &s.origin));
                connected
            }
        },
        None => connected,
    };
    let machine = Machine {
        class: class_name,
        states,
        hops: plans,
        prompts,
        newlines,
        initial,
        connected,
        detect,
        local_shell: class.remote_access.map(|_| is_local_terminal(io_type)),
        families,
    };
    // Every state reachable from the connection's (a class that names a state no hop leads to
    // has a mistake); asked only of a machine otherwise right (a hop refused above would be
    // reported twice).
    let checked = if problems.is_empty() { machine.states.as_slice() } else { &[] };
    for state in checked.iter().copied().filter(|s| *s != NOT_CONNECTED && *s != connected) {
        if machine.next_step(connected, state).is_none() {
            let origin = class
                .states
                .iter()
                .find(|s| s.name.value == state)
                .map_or_else(|| spec.class.origin.clone(), |s| s.name.origin.clone());
            problems.push(Problem::new(
                ErrorKind::UnknownState,
                origin,
                format!(
                    "device {device} ({}): no hop leads to state {state} from {connected}",
                    class.name
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(machine)
}

/// A hop's parameters that say where it ends: the way through an optional state left out
/// takes them from the hop that ends where it does.
const HOP_ENDS: [&str; 2] = ["expected_prompt", "target_newline"];

/// A hop's `command_params` as given: the parameters, the numbers among them
/// ([`HopPlan::numbers_as_text`]), and where each was written.
struct Given {
    params: Map<String, Value>,
    numbers: Vec<NumberAsText>,
    origins: Vec<(String, Origin)>,
}

impl Given {
    /// `params` read from `node`.
    fn new(params: Map<String, Value>, node: &moler_config::Node) -> Given {
        let entries = node.as_map().unwrap_or_default();
        let origins = entries.iter().map(|(k, _)| (k.name.clone(), k.origin.clone()));
        Given { params, numbers: node.numbers_as_written(), origins: origins.collect() }
    }

    /// The hop's end (`expected_prompt`, `target_newline`) taken from `node`, another hop's
    /// `command_params` (the params already hold its values): their numbers as written, and
    /// where they were written, are that hop's too.
    fn take_ends_from(&mut self, node: &moler_config::Node) {
        let end = |key: &str| HOP_ENDS.contains(&key);
        self.numbers.retain(|(k, _, _)| !end(k));
        self.numbers.extend(node.numbers_as_written().into_iter().filter(|(k, _, _)| end(k)));
        self.origins.retain(|(k, _)| !end(k));
        let entries = node.as_map().unwrap_or_default();
        let origins = entries.iter().filter(|(k, _)| end(&k.name));
        self.origins.extend(origins.map(|(k, _)| (k.name.clone(), k.origin.clone())));
    }
}

/// Merges a hop onto `hops`, as Moler's update_dict: one already there between the same states
/// takes `command` when given, the parameters one by one (and their numbers as written),
/// `required` when not empty, and `user` (where a user wrote it; the parameters' places are
/// then the user's, else a class's) when given; a new one needs a command (false without) and
/// is placed at `user`, else at `default_origin`.
#[allow(clippy::too_many_arguments)]
fn merge_hop(
    hops: &mut Vec<(HopPlan, Vec<String>)>,
    from: String,
    to: String,
    command: Option<&str>,
    Given { params, numbers, origins }: Given,
    required: Vec<String>,
    user: Option<Origin>,
    default_origin: &Origin,
) -> bool {
    if let Some((plan, req)) = hops.iter_mut().find(|(p, _)| p.from == from && p.to == to) {
        if let Some(command) = command {
            plan.command = command.to_owned();
            // A parameter given for the command before, refused by this one: what to look at
            // is where the command changed, not where the parameter was.
            plan.class_param_origins.clear();
        }
        plan.params.extend(params);
        plan.numbers_as_text.extend(numbers);
        match user {
            Some(origin) => {
                plan.origin = origin;
                plan.param_origins = origins;
            }
            None => {
                plan.class_param_origins.retain(|(k, _)| origins.iter().all(|(o, _)| o != k));
                plan.class_param_origins.extend(origins);
            }
        }
        if !required.is_empty() {
            *req = required;
        }
        return true;
    }
    let Some(command) = command else { return false };
    let (origin, param_origins, class_param_origins) = match user {
        Some(origin) => (origin, origins, Vec::new()),
        None => (default_origin.clone(), Vec::new(), origins),
    };
    hops.push((
        HopPlan {
            from,
            to,
            command: command.to_owned(),
            params,
            origin,
            param_origins,
            class_param_origins,
            numbers_as_text: numbers,
        },
        required,
    ));
    true
}

/// The registry's name of command `name` typed in `state`: qualified by the first of the
/// state's families (but unix, whose names are not qualified) that has it, else as given.
pub(crate) fn qualify(
    registry: &Registry,
    families: &[(&'static str, Vec<String>)],
    state: &str,
    name: &str,
) -> String {
    if name.contains('.') {
        return name.to_owned();
    }
    let of_state = families.iter().find(|(s, _)| *s == state).map(|(_, f)| f.as_slice());
    for family in of_state.unwrap_or_default().iter().filter(|f| *f != "unix") {
        let qualified = format!("{family}.{name}");
        if registry.command_params(&qualified).is_some() {
            return qualified;
        }
    }
    name.to_owned()
}

/// A state a class names (in its hops, PROMPT_FROM, CONNECTED_STATE) that it does not have.
fn class_state_problem(
    class: &str,
    states: &[&StateSpec],
    given: &str,
    origin: &Origin,
) -> Problem {
    let names: Vec<&str> = states.iter().map(|s| s.name.value.as_str()).collect();
    let hint = suggest(given, &names, Some("it has"));
    Problem::new(
        ErrorKind::UnknownState,
        origin.clone(),
        format!("device class {class}: no state {given} in its STATES{hint}"),
    )
}

/// Prompts that match another state's prompt (see [`super::prompts`]): each state's regex
/// against the literal prompts of the others (the terminal's, a literal `set_prompt`, a regex
/// that is plain text).
fn prompt_overlaps(
    device: &str,
    spec: &DeviceSpec,
    sources: &[(&'static str, Source)],
    hops: &[(HopPlan, Vec<String>)],
    prompts: &[(&'static str, String)],
) -> Vec<Problem> {
    use super::prompts::{
        overlaps, ps1_literal, regex_literal, terminal_literal, Literal, StatePrompt,
    };
    let source_of = |state: &str| match &sources.iter().find(|(s, _)| *s == state)?.1 {
        Source::Hop(from, to) => {
            hops.iter().map(|(p, _)| p).find(|p| p.from == *from && p.to == *to)
        }
        Source::Fixed(..) | Source::RootOf(..) => None,
    };
    let mut states = Vec::new();
    let mut literals: Vec<Literal> =
        terminal_literal(&spec.connection.io_type.value).into_iter().collect();
    for (state, regex) in prompts {
        let Some(plan) = source_of(state) else { continue };
        let written = format!("hop {}, expected_prompt", plan.describe());
        if let Some(text) = regex_literal(regex) {
            literals.push(Literal { state, text, why: written.clone() });
        }
        states.push(StatePrompt {
            state,
            regex,
            origin: plan.param_origin("expected_prompt"),
            written,
        });
    }
    for (plan, _) in hops {
        let Some(state) = prompts.iter().map(|(s, _)| *s).find(|s| *s == plan.to) else { continue };
        let set = plan.params.get("set_prompt").and_then(Value::as_str);
        if let Some(text) = set.and_then(ps1_literal) {
            literals.push(Literal {
                state,
                text,
                why: format!("set by hop {}, set_prompt", plan.describe()),
            });
        }
    }
    overlaps(device, &states, &literals)
}

fn unknown_state(
    device: &str,
    class: &str,
    states: &[&str],
    given: &str,
    origin: &Origin,
) -> Problem {
    let message = if given == NOT_CONNECTED {
        format!(
            "device {device}: no hop starts or ends at {NOT_CONNECTED}: the device opens and \
             closes its connection there"
        )
    } else {
        let hint = suggest(given, states, Some("it has"));
        format!("device {device}: {class} has no state {given}{hint}")
    };
    Problem::new(ErrorKind::UnknownState, origin.clone(), message)
}

/// The prompt a `set_prompt` line gives, when it is a plain text: the value of its `PS1=`
/// (`export PS1='moler_remote$ '`), quoted or not; `None` when the shell would change it (a
/// backslash escape such as `\u`, a `$` expansion, a command substitution) or there is none.
fn ps1_literal(set_prompt: &str) -> Option<&str> {
    let at = set_prompt.find("PS1=")?;
    if set_prompt[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None; // another variable's name ending in PS1
    }
    let value = &set_prompt[at + "PS1=".len()..];
    let literal = match value.chars().next()? {
        q @ ('\'' | '"') => {
            let end = value[1..].find(q)?;
            &value[1..=end]
        }
        _ => value.split([' ', ';', '\t']).next()?,
    };
    let expands =
        |i: usize| literal[i + 1..].starts_with(|c: char| c.is_alphanumeric() || "_{(".contains(c));
    let plain =
        !literal.contains(['\\', '`']) && literal.match_indices('$').all(|(i, _)| !expands(i));
    plain.then_some(literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moler's prompt of the local shell that `terminal` connections open.
    const LOCAL_PROMPT: &str = "^moler_bash#";

    fn machine(yaml: &str) -> Machine {
        let config = moler_config::Config::from_yaml(yaml).unwrap();
        resolve(&config.devices.list[0], &config.device_classes, &Registry::default()).unwrap()
    }

    const PROXY: &str = "DEVICES:
  P:
    DEVICE_CLASS: UnixRemote
    CONNECTION_HOPS:
      UNIX_LOCAL:
        PROXY_PC:
          execute_command: ssh
          command_params: {host: proxy, login: a, password: b, expected_prompt: 'proxy\\$', target_newline: \"\\r\\n\"}
      PROXY_PC:
        UNIX_REMOTE:
          execute_command: ssh
          command_params: {host: box, login: c, password: d, expected_prompt: 'box\\$'}
";

    /// PROMPT_TEMPLATE: `{name}` is the hop's parameter, regex-escaped; braces around anything
    /// that is no parameter name stay as written; a parameter the hop lacks is named.
    #[test]
    fn a_prompt_template_takes_the_hops_parameters_escaped() {
        let mut params = Map::new();
        params.insert("serial_number".into(), Value::from("f57e.6b77"));
        params.insert("port".into(), Value::from(8));
        let plan = HopPlan {
            from: UNIX_LOCAL.into(),
            to: "ADB_SHELL".into(),
            command: "adb_shell".into(),
            params,
            origin: Origin::code(),
            param_origins: Vec::new(),
            class_param_origins: Vec::new(),
            numbers_as_text: Vec::new(),
        };
        let filled = fill_template(r"^adb_{serial_number}:{port} {a b}{}{x-y} \$", &plan);
        assert_eq!(filled.unwrap(), r"^adb_f57e\.6b77:8 {a b}{}{x-y} \$");
        assert_eq!(fill_template("{unclosed", &plan).unwrap(), "{unclosed");
        assert_eq!(fill_template("at {host}:", &plan).unwrap_err(), "host");
    }

    /// A class of four states, A to B to O to C, O OPTIONAL and left out: B's entry under
    /// STATES, and the parameters of the hops O -> B and C -> O besides their commands'.
    fn deep(b: &str, o_to_b: &str, c_to_o: &str) -> String {
        format!(
            "DEVICE_CLASSES:
  Deep:
    CONNECTED_STATE: A
    STATES:
      A: {{PROMPT: '^a> $'}}
      B: {b}
      O: {{PROMPT: '^o> $', OPTIONAL: true}}
      C: {{PROMPT: '^c> $'}}
    CONNECTION_HOPS:
      A:
        B: {{execute_command: su, command_params: {{password: x, expected_prompt: '^b> $'}}}}
      B:
        A: {{execute_command: exit, command_params: {{expected_prompt: '^a> $'}}}}
        O: {{execute_command: telnet, command_params: {{host: o, expected_prompt: '^o> $'}}}}
      O:
        B: {{execute_command: logout, command_params: {{{o_to_b}}}}}
        C: {{execute_command: ssh, command_params: {{host: c, login: u, password: p, expected_prompt: '^c> $'}}}}
      C:
        O: {{execute_command: exit, command_params: {{{c_to_o}}}}}
DEVICES:
  D: {{DEVICE_CLASS: Deep}}
"
        )
    }

    /// An optional state left out further from the connected state than one hop: the way
    /// through it becomes one hop, away from the connected state the hop out of it (ssh to C),
    /// back towards it the hop out of C (exit) ending where the hop out of O back ends.
    #[test]
    fn a_way_through_an_optional_state_left_out_deep_in_the_class_is_one_hop() {
        let m = machine(&deep(
            "{PROMPT: '^b> $'}",
            "expected_prompt: '^b> $'",
            "expected_prompt: '^o> $'",
        ));
        assert_eq!(m.states, [NOT_CONNECTED, "A", "B", "C"]);
        let (on, back) = (m.hop("B", "C").unwrap(), m.hop("C", "B").unwrap());
        assert_eq!((on.command.as_str(), &on.params["host"]), ("ssh", &Value::from("c")));
        assert_eq!(
            (back.command.as_str(), &back.params["expected_prompt"]),
            ("exit", &Value::from("^b> $"))
        );
    }

    /// The way through an optional state left out takes its end (`expected_prompt`,
    /// `target_newline`) from the hop that ends where it does: a number there is as written
    /// there, not as the other hop wrote its own.
    #[test]
    fn a_way_through_a_left_out_state_ends_as_written_where_its_end_comes_from() {
        let yaml = deep(
            "{PROMPT_FROM: [C]}",
            "expected_prompt: 0555, target_newline: 0x0A",
            "expected_prompt: 0777, target_newline: 1e1",
        );
        let m = machine(&yaml);
        let back = m.hop("C", "B").unwrap();
        assert_eq!(back.command, "exit");
        assert_eq!(back.text("expected_prompt").as_deref(), Some("0555"));
        assert_eq!(back.text("target_newline").as_deref(), Some("0x0A"));
        assert_eq!(m.prompt("B"), Some("0555"));
        // A wrong end is shown where it was written (the hop out of O), not on the hop whose
        // command the way takes.
        let wrong = yaml.replace("expected_prompt: 0555", "expected_prompt: [b]");
        let config = moler_config::Config::from_yaml(&wrong).unwrap();
        let (class, device) = (&config.device_classes, &config.devices.list[0]);
        let problems = resolve(device, class, &Registry::default()).unwrap_err();
        let err: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let err = err.join("\n");
        assert!(err.contains(":16:55: device D: hop C -> B (exit)"), "{err}");
    }

    /// PROMPT_AS_ROOT_OF gives a prompt where no hop in does (its final `$` made `#`), and a
    /// PROMPT_FROM naming no state of the class is an error.
    #[test]
    fn a_root_prompt_comes_from_its_state_and_prompt_from_names_a_state() {
        let class = "DEVICE_CLASSES:
  Rooted:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a\\$'}
      R: {PROMPT_AS_ROOT_OF: A}
    CONNECTION_HOPS:
      A:
        R: {execute_command: su, command_params: {password: x}}
      R:
        A: {execute_command: exit}
DEVICES:
  D: {DEVICE_CLASS: Rooted}
";
        let m = machine(class);
        assert_eq!(m.prompt("R"), Some("^a\\#"));
        assert_eq!(m.hop("A", "R").unwrap().params["expected_prompt"], "^a\\#");
        let config = moler_config::Config::from_yaml(
            &class.replace("{PROMPT_AS", "{PROMPT_FROM: [NOPE], PROMPT_AS"),
        )
        .unwrap();
        let spec = &config.devices.list[0];
        let problems = resolve(spec, &config.device_classes, &Registry::default()).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("device class Rooted: no state NOPE")), "{text:?}");
    }

    /// A hop into a state with no `expected_prompt` gets that state's prompt, but for the hop
    /// a PROMPT_TEMPLATE is made from (adb_shell makes the prompt from the serial number).
    #[test]
    fn hops_end_on_their_states_prompts_but_a_templated_one_makes_its_own() {
        let m = machine(
            "DEVICES:
  PHONE:
    DEVICE_CLASS: AdbRemote
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params: {host: box, login: c, password: d, expected_prompt: 'box\\$'}
      UNIX_REMOTE:
        ADB_SHELL:
          command_params: {serial_number: f57e6b77}
",
        );
        assert_eq!(m.prompt("ADB_SHELL"), Some(r"^adb_shell@f57e6b77 \$"));
        assert_eq!(m.prompt("ADB_SHELL_ROOT"), Some(r"^adb_shell@f57e6b77 \#"));
        let adb = m.hop(UNIX_REMOTE, "ADB_SHELL").unwrap();
        assert_eq!(adb.params.get("expected_prompt"), None, "{:?}", adb.params);
        let su = m.hop("ADB_SHELL", "ADB_SHELL_ROOT").unwrap();
        assert_eq!(su.params["expected_prompt"], r"^adb_shell@f57e6b77 \#");
        let exit = m.hop("ADB_SHELL_ROOT", "ADB_SHELL").unwrap();
        assert_eq!(exit.params["expected_prompt"], r"^adb_shell@f57e6b77 \$");
    }

    /// A parameter a base class gave is shown where the base wrote it, also once a class built
    /// on it gave the same hop other parameters.
    #[test]
    fn a_base_class_parameter_is_shown_where_the_base_wrote_it() {
        let yaml = "DEVICE_CLASSES:
  Base:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
      B: {PROMPT_FROM: [A]}
    CONNECTION_HOPS:
      A:
        B: {execute_command: su, command_params: {pasword: x, expected_prompt: '^b# $'}}
      B:
        A: {execute_command: exit, command_params: {expected_prompt: '^a> $'}}
  Derived:
    BASE: Base
    CONNECTION_HOPS:
      A:
        B: {command_params: {password: y}}
DEVICES:
  D: {DEVICE_CLASS: Derived}
";
        let config = moler_config::Config::from_yaml(yaml).unwrap();
        let spec = &config.devices.list[0];
        let problems = resolve(spec, &config.device_classes, &Registry::default()).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["<yaml string>:9:51: device D: hop A -> B (su): su has no parameter `pasword`; did \
              you mean password?"]
        );
    }

    #[test]
    fn a_state_name_is_kept_once() {
        let name = String::from("INTERN_TEST_STATE");
        let first = intern(&name);
        assert_eq!(first, "INTERN_TEST_STATE");
        assert!(std::ptr::eq(first, intern("INTERN_TEST_STATE")), "the same name, the same text");
        assert!(!std::ptr::eq(first, intern("INTERN_TEST_STATE_2")));
        assert_eq!(intern(&String::from(UNIX_REMOTE)), UNIX_REMOTE);
    }

    #[test]
    fn a_proxy_configured_is_a_state_on_the_way() {
        let m = machine(PROXY);
        assert_eq!(
            m.states,
            [NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT, PROXY_PC, UNIX_REMOTE, UNIX_REMOTE_ROOT]
        );
        assert_eq!(m.initial, UNIX_REMOTE);
        assert_eq!(m.next_step(UNIX_LOCAL, UNIX_REMOTE), Some(PROXY_PC));
        assert_eq!(m.next_step(NOT_CONNECTED, UNIX_REMOTE_ROOT), Some(UNIX_LOCAL));
        assert_eq!(m.next_step(UNIX_REMOTE_ROOT, NOT_CONNECTED), Some(UNIX_REMOTE));
        assert_eq!(m.next_step(UNIX_REMOTE, UNIX_LOCAL_ROOT), Some(PROXY_PC));
        assert_eq!(m.prompt(PROXY_PC), Some("proxy\\$"));
        assert_eq!(m.prompt(UNIX_REMOTE), Some("box\\$"));
        assert_eq!(m.prompt(UNIX_LOCAL), Some(LOCAL_PROMPT));
        assert_eq!(m.prompt(UNIX_REMOTE_ROOT), Some("remote_root_prompt"));
        assert_eq!(m.newline(PROXY_PC), "\r\n");
        assert_eq!(m.newline(UNIX_REMOTE), "\n");
        // The prompts given once on the way in also end the ways back (Moler's overwrites).
        let back = m.hop(UNIX_REMOTE, PROXY_PC).unwrap();
        assert_eq!(back.command, "exit");
        assert_eq!(back.params["expected_prompt"], "proxy\\$");
        assert_eq!(
            m.hop(UNIX_REMOTE_ROOT, UNIX_REMOTE).unwrap().params["expected_prompt"],
            "box\\$"
        );
        // `target_newline` is the device's: exit does not take it, ssh does.
        assert!(m.hop(UNIX_LOCAL, PROXY_PC).unwrap().params.contains_key("target_newline"));
        assert!(m.hop(UNIX_LOCAL, UNIX_REMOTE).is_none(), "no direct way with a proxy");
    }

    #[test]
    fn without_a_proxy_the_remote_is_one_hop_from_the_local_shell() {
        let m = machine(
            "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
             UNIX_REMOTE:\n          execute_command: ssh\n          command_params: {host: box, \
             login: c, password: d, expected_prompt: 'box\\$'}\n",
        );
        assert!(!m.states.contains(&PROXY_PC));
        assert_eq!(m.next_step(UNIX_LOCAL_ROOT, UNIX_REMOTE), Some(UNIX_LOCAL));
        assert_eq!(m.next_step(UNIX_LOCAL, UNIX_REMOTE), Some(UNIX_REMOTE));
        assert_eq!(m.hop(UNIX_REMOTE, UNIX_LOCAL).unwrap().params["expected_prompt"], LOCAL_PROMPT);
        assert_eq!(
            m.hop(UNIX_REMOTE_ROOT, UNIX_REMOTE).unwrap().params["expected_prompt"],
            "box\\$"
        );
        assert_eq!(m.next_step(UNIX_REMOTE, "NOWHERE"), None);
    }

    /// A number where the hop's command wants text is the text written: `password: 0123`
    /// types `0123` (not `123`, not refused), as in a connection's parameters; a number the
    /// command takes as a number stays one.
    #[test]
    fn a_hops_numbers_where_text_is_wanted_are_as_written() {
        let m = machine(
            "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
             UNIX_REMOTE:\n          execute_command: ssh\n          command_params: {host: 10, \
             login: 007, password: 0123, port: 2222, expected_prompt: 'box\\$'}\n      \
             UNIX_REMOTE:\n        UNIX_REMOTE_ROOT:\n          command_params: {password: [1e5, \
             abc, 0x1F, .inf, .NaN, 1e999], expected_prompt: 'root#'}\n",
        );
        let ssh = &m.hop(UNIX_LOCAL, UNIX_REMOTE).unwrap().params;
        assert_eq!(
            (&ssh["host"], &ssh["login"], &ssh["password"], &ssh["port"]),
            (&Value::from("10"), &Value::from("007"), &Value::from("0123"), &Value::from(2222))
        );
        let su = &m.hop(UNIX_REMOTE, UNIX_REMOTE_ROOT).unwrap().params;
        // Numbers a float cannot hold, or JSON (`.inf`, `.NaN`, `1e999`), too.
        let passwords = ["1e5", "abc", "0x1F", ".inf", ".NaN", "1e999"];
        assert_eq!(su["password"], serde_json::json!(passwords));
        // The command made from them types what was written.
        let registry = Registry::default();
        let shell = Some("box\\$");
        let cmd = registry.command_for_prompt("ssh", &Value::Object(ssh.clone()), shell);
        assert!(cmd.is_ok(), "{:?}", cmd.err());
        // In the parameters of the command sudo runs (`cmd_params`) too.
        let m = machine(
            "DEVICES:\n  L:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
             UNIX_LOCAL_ROOT:\n          execute_command: sudo\n          command_params: {password: \
             0123, cmd_class_name: ls, cmd_params: {path: 0123, options: -l}, expected_prompt: 'r#'}\n",
        );
        let sudo = &m.hop(UNIX_LOCAL, UNIX_LOCAL_ROOT).unwrap().params;
        assert_eq!(sudo["password"], "0123");
        assert_eq!(sudo["cmd_params"], serde_json::json!({"path": "0123", "options": "-l"}));
    }

    /// The device's own reading of a parameter as text (a state's prompt from its hop's
    /// `expected_prompt`, a prompt template's values, state names) takes a number as written.
    #[test]
    fn numbers_the_device_reads_as_text_are_as_written() {
        let m = machine(
            "DEVICES:\n  A:\n    DEVICE_CLASS: AdbRemote\n    CONNECTION_HOPS:\n      UNIX_LOCAL:\n        \
             UNIX_REMOTE:\n          execute_command: ssh\n          command_params: {host: box, \
             login: c, password: 0123, expected_prompt: 1e5}\n      UNIX_REMOTE:\n        \
             ADB_SHELL:\n          command_params: {serial_number: 0012345}\n",
        );
        assert_eq!(m.prompt(UNIX_REMOTE), Some("1e5"));
        assert_eq!(m.prompt("ADB_SHELL"), Some(r"^adb_shell@0012345 \$"));
        assert_eq!(m.hop(UNIX_REMOTE, "ADB_SHELL").unwrap().params["serial_number"], "0012345");
        let m = machine(
            "DEVICE_CLASSES:\n  Box:\n    CONNECTED_STATE: 010\n    STATES:\n      010: {PROMPT: 5}\n      \
             10: {PROMPT_FROM: [010]}\n    CONNECTION_HOPS:\n      010:\n        10:\n          \
             execute_command: su\n          command_params: {password: 0123, expected_prompt: 1e5}\n      \
             10:\n        010:\n          execute_command: exit\n          command_params: \
             {expected_prompt: 5}\nDEVICES:\n  B:\n    DEVICE_CLASS: Box\n    INITIAL_STATE: 010\n    \
             CONNECTION_DESC: {io_type: tcp, host: 127.0.0.1, port: 1}\n",
        );
        assert_eq!((m.connected, m.initial), ("010", "010"));
        assert_eq!((m.prompt("010"), m.prompt("10")), (Some("5"), Some("1e5")));
        assert_eq!(m.next_step("10", "010"), Some("010"));
    }

    /// The problems of a device (the first in `yaml`) that does not load.
    fn problems(yaml: &str) -> Vec<String> {
        let config = moler_config::Config::from_yaml(yaml).unwrap();
        let (device, classes) = (&config.devices.list[0], &config.device_classes);
        let problems = resolve(device, classes, &Registry::default()).err().unwrap_or_default();
        problems.iter().map(ToString::to_string).collect()
    }

    /// A state's PROMPT that is no regex is one mistake, said once: not again by the hop that
    /// ends at it, nor as "no prompt" when its hop in names a prompt of its own.
    #[test]
    fn a_prompt_that_is_no_regex_is_reported_once() {
        let class = |hop_in: &str| {
            format!(
                "DEVICE_CLASSES:
  Box:
    CONNECTED_STATE: A
    STATES:
      A: {{PROMPT: '^a> $'}}
      B: {{PROMPT: '^b( $'}}
    CONNECTION_HOPS:
      A:
        B: {{execute_command: su, command_params: {{password: x{hop_in}}}}}
      B:
        A: {{execute_command: exit, command_params: {{expected_prompt: '^a> $'}}}}
DEVICES:
  D: {{DEVICE_CLASS: Box, CONNECTION_DESC: {{io_type: tcp, host: 127.0.0.1, port: 1}}}}
"
            )
        };
        for hop_in in ["", ", expected_prompt: '^b> $'"] {
            let found = problems(&class(hop_in));
            assert_eq!(found.len(), 1, "{hop_in}: {found:#?}");
            let wrong = "state B: PROMPT \"^b( $\" is not a valid regex";
            assert!(found[0].contains(wrong), "{found:#?}");
        }
    }

    /// A hop whose command takes no `expected_prompt` (`plink_serial`, into a modem whose
    /// prompt is a fixed PROMPT here) is given none from its state's prompt: it loads.
    #[test]
    fn a_hop_whose_command_takes_no_expected_prompt_gets_none() {
        let m = machine(
            "DEVICE_CLASSES:
  Modem:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
      AT: {PROMPT: '^OK$'}
    CONNECTION_HOPS:
      A:
        AT: {execute_command: plink_serial, command_params: {serial_devname: COM5}}
      AT:
        A: {execute_command: ctrl_c, command_params: {expected_prompt: '^a> $'}}
DEVICES:
  D: {DEVICE_CLASS: Modem, CONNECTION_DESC: {io_type: tcp, host: 127.0.0.1, port: 1}}
",
        );
        let plink = m.hop("A", "AT").unwrap();
        assert!(!plink.params.contains_key("expected_prompt"), "{:?}", plink.params);
        assert_eq!(m.prompt("AT"), Some("^OK$"));
    }

    /// The hop a PROMPT_TEMPLATE is made from is given no `expected_prompt` (its command makes
    /// the prompt itself), also when no other state takes its prompt from the hop's start.
    #[test]
    fn the_hop_a_prompt_template_is_made_from_gets_no_expected_prompt() {
        let m = machine(
            "DEVICE_CLASSES:
  Phone:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
      T: {PROMPT_FROM: [A], PROMPT_TEMPLATE: '^adb_shell@{serial_number} \\$'}
    CONNECTION_HOPS:
      A:
        T: {execute_command: adb_shell, command_params: {serial_number: f57e}}
      T:
        A: {execute_command: exit, command_params: {expected_prompt: '^a> $'}}
DEVICES:
  D: {DEVICE_CLASS: Phone, CONNECTION_DESC: {io_type: tcp, host: 127.0.0.1, port: 1}}
",
        );
        assert_eq!(m.prompt("T"), Some(r"^adb_shell@f57e \$"));
        let adb = m.hop("A", "T").unwrap();
        assert!(!adb.params.contains_key("expected_prompt"), "{:?}", adb.params);
    }

    /// REMOTE_ACCESS opens into the first of its connected states that exists: a state that
    /// is not OPTIONAL always does, named in the device's hops or not.
    #[test]
    fn remote_access_opens_into_the_first_state_that_exists() {
        let m = machine(
            "DEVICE_CLASSES:
  Far:
    CONNECTED_STATE: L
    STATES:
      L: {PROMPT: '^l> $'}
      X: {PROMPT: '^x> $'}
      Y: {PROMPT: '^y> $'}
    REMOTE_ACCESS:
      CONNECTED_STATE: [X, Y]
      WITHOUT: [L]
    CONNECTION_HOPS:
      L:
        X: {execute_command: su, command_params: {password: x, expected_prompt: '^x> $'}}
      X:
        L: {execute_command: exit, command_params: {expected_prompt: '^l> $'}}
        Y: {execute_command: su, command_params: {password: y, expected_prompt: '^y> $'}}
      Y:
        X: {execute_command: exit, command_params: {expected_prompt: '^x> $'}}
DEVICES:
  D: {DEVICE_CLASS: Far, CONNECTION_DESC: {io_type: sshshell, host: 127.0.0.1}}
",
        );
        assert_eq!((m.connected, m.initial), ("X", "X"));
        assert_eq!(m.states, [NOT_CONNECTED, "X", "Y"]);
    }

    /// Over a connection that opens into a state whose prompt is detected (UnixRemote2 on
    /// `sshshell`, its proxy configured), a hop back into that state needs no
    /// `expected_prompt`, though the class requires one: the detected prompt ends it. Its
    /// other required parameters are still required.
    #[test]
    fn a_hop_into_the_detected_state_needs_no_expected_prompt_but_the_rest() {
        let yaml = |ssh_params: &str| {
            format!(
                "DEVICES:\n  R:\n    DEVICE_CLASS: UnixRemote2\n    CONNECTION_DESC: {{io_type: \
                 sshshell, host: 127.0.0.1}}\n    CONNECTION_HOPS:\n      PROXY_PC:\n        \
                 UNIX_REMOTE:\n          execute_command: ssh\n          command_params: \
                 {{{ssh_params}}}\n"
            )
        };
        let m = machine(&yaml("host: box, login: u, password: p, expected_prompt: 'box\\$'"));
        assert_eq!((m.connected, m.detect), ("PROXY_PC", Some("PROXY_PC")));
        let exit = m.hop(UNIX_REMOTE, "PROXY_PC").unwrap();
        assert_eq!(exit.command, "exit");
        assert!(!exit.params.contains_key("expected_prompt"), "{:?}", exit.params);
        let found = problems(&yaml("host: box, password: p, expected_prompt: 'box\\$'"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("PROXY_PC -> UNIX_REMOTE (ssh)"), "{found:#?}");
        assert!(found[0].contains("`login`"), "{found:#?}");
    }

    /// Only a hop into the detected state is let off its command's `expected_prompt`: a hop
    /// back into a connected state whose prompt nobody knows (a console, no PROMPT) and that
    /// names none is a load error, not a hop that fails when first taken.
    #[test]
    fn a_hop_into_a_state_without_a_prompt_needs_its_expected_prompt() {
        let found = problems(
            "DEVICE_CLASSES:
  Console:
    CONNECTED_STATE: A
    STATES:
      A: {}
      B: {PROMPT: '^b> $'}
    CONNECTION_HOPS:
      A:
        B: {execute_command: su, command_params: {password: x}}
      B:
        A: {execute_command: exit}
DEVICES:
  D: {DEVICE_CLASS: Console, CONNECTION_DESC: {io_type: tcp, host: 127.0.0.1, port: 1}}
",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        let missing = "hop B -> A (exit): exit: parameter `expected_prompt` is required";
        assert!(found[0].contains(missing), "{found:#?}");
    }

    #[test]
    fn a_local_device_has_moler_defaults() {
        let m = machine("DEVICES:\n  L:\n    DEVICE_CLASS: moler.device.unixlocal.UnixLocal\n");
        assert_eq!(m.states, [NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT]);
        assert_eq!(m.hop(UNIX_LOCAL, UNIX_LOCAL_ROOT).unwrap().command, "su");
        assert_eq!(m.prompt(UNIX_LOCAL_ROOT), Some("local_root_prompt"));
        assert_eq!(m.next_step(UNIX_LOCAL_ROOT, NOT_CONNECTED), Some(UNIX_LOCAL));
    }
}
