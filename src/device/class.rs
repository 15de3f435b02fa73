//! The device classes as data: their states, their default hops, where each state's prompt and
//! newline come from; and the check that turns a [`DeviceSpec`] into a [`Machine`] (class
//! defaults merged with the user's hops), reporting every mistake with its place in the file.

use std::collections::VecDeque;

use moler_commands::Registry;
use moler_config::{DeviceSpec, ErrorKind, Hop, Origin, Problem};
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

/// Moler's prompt of the local shell that `terminal` connections open.
const LOCAL_PROMPT: &str = "^moler_bash#";

struct DefaultHop {
    from: &'static str,
    to: &'static str,
    command: &'static str,
    params: &'static [(&'static str, &'static str)],
    required: &'static [&'static str],
}

const fn hop(
    from: &'static str,
    to: &'static str,
    command: &'static str,
    params: &'static [(&'static str, &'static str)],
    required: &'static [&'static str],
) -> DefaultHop {
    DefaultHop { from, to, command, params, required }
}

const SSH_REQUIRED: &[&str] = &["host", "login", "password", "expected_prompt"];

/// Moler's `UnixLocal` hops (moler/device/unixlocal.py).
const LOCAL_HOPS: &[DefaultHop] = &[
    hop(
        UNIX_LOCAL,
        UNIX_LOCAL_ROOT,
        "su",
        &[("password", "root_password"), ("expected_prompt", "local_root_prompt")],
        &[],
    ),
    hop(UNIX_LOCAL_ROOT, UNIX_LOCAL, "exit", &[("expected_prompt", LOCAL_PROMPT)], &[]),
];

/// `ProxyPc`'s own hops (moler/device/proxy_pc.py).
const PROXY_HOPS: &[DefaultHop] = &[
    hop(UNIX_LOCAL, PROXY_PC, "ssh", &[], SSH_REQUIRED),
    hop(PROXY_PC, UNIX_LOCAL, "exit", &[("expected_prompt", LOCAL_PROMPT)], &[]),
];

/// `UnixRemote`'s own hops with a proxy (moler/device/unixremote.py).
const REMOTE_HOPS_VIA_PROXY: &[DefaultHop] = &[
    hop(PROXY_PC, UNIX_REMOTE, "ssh", &[], SSH_REQUIRED),
    hop(UNIX_REMOTE, PROXY_PC, "exit", &[], &["expected_prompt"]),
];

/// `UnixRemote`'s own hops without a proxy: Moler removes PROXY_PC and bridges its hops.
const REMOTE_HOPS_DIRECT: &[DefaultHop] = &[
    hop(UNIX_LOCAL, UNIX_REMOTE, "ssh", &[], SSH_REQUIRED),
    hop(UNIX_REMOTE, UNIX_LOCAL, "exit", &[("expected_prompt", LOCAL_PROMPT)], &[]),
];

const REMOTE_ROOT_HOPS: &[DefaultHop] = &[
    hop(
        UNIX_REMOTE,
        UNIX_REMOTE_ROOT,
        "su",
        &[("password", "root_password"), ("expected_prompt", "remote_root_prompt")],
        &[],
    ),
    hop(UNIX_REMOTE_ROOT, UNIX_REMOTE, "exit", &[("expected_prompt", "remote_user_prompt")], &[]),
];

/// A device class moler-rs has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    UnixLocal,
    ProxyPc,
    UnixRemote,
}

impl Class {
    pub(crate) fn from_name(name: &str) -> Option<Class> {
        match name {
            "UnixLocal" => Some(Class::UnixLocal),
            "ProxyPc" => Some(Class::ProxyPc),
            "UnixRemote" => Some(Class::UnixRemote),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::UnixLocal => "UnixLocal",
            Class::ProxyPc => "ProxyPc",
            Class::UnixRemote => "UnixRemote",
        }
    }

    fn initial(self) -> &'static str {
        match self {
            Class::UnixLocal | Class::ProxyPc => UNIX_LOCAL,
            Class::UnixRemote => UNIX_REMOTE,
        }
    }

    /// Every state the class can have (PROXY_PC only counts when configured).
    fn all_states(self) -> &'static [&'static str] {
        match self {
            Class::UnixLocal => &[NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT],
            Class::ProxyPc => &[NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT, PROXY_PC],
            Class::UnixRemote => &[
                NOT_CONNECTED,
                UNIX_LOCAL,
                UNIX_LOCAL_ROOT,
                PROXY_PC,
                UNIX_REMOTE,
                UNIX_REMOTE_ROOT,
            ],
        }
    }

    fn default_hops(self, proxy: bool) -> Vec<&'static DefaultHop> {
        let mut hops: Vec<&DefaultHop> = LOCAL_HOPS.iter().collect();
        if proxy {
            hops.extend(PROXY_HOPS);
        }
        if self == Class::UnixRemote {
            hops.extend(if proxy { REMOTE_HOPS_VIA_PROXY } else { REMOTE_HOPS_DIRECT });
            hops.extend(REMOTE_ROOT_HOPS);
        }
        hops
    }

    /// Where each state's prompt (and newline) is read from: the hop into it whose
    /// `expected_prompt` defines it, as in Moler.
    fn prompt_sources(self, proxy: bool) -> Vec<(&'static str, (&'static str, &'static str))> {
        let mut s = vec![(UNIX_LOCAL_ROOT, (UNIX_LOCAL, UNIX_LOCAL_ROOT))];
        match (self, proxy) {
            (Class::UnixLocal, _) | (Class::ProxyPc, false) => {
                s.push((UNIX_LOCAL, (UNIX_LOCAL_ROOT, UNIX_LOCAL)));
            }
            (_, true) => {
                s.push((UNIX_LOCAL, (PROXY_PC, UNIX_LOCAL)));
                s.push((PROXY_PC, (UNIX_LOCAL, PROXY_PC)));
            }
            (Class::UnixRemote, false) => s.push((UNIX_LOCAL, (UNIX_REMOTE, UNIX_LOCAL))),
        }
        if self == Class::UnixRemote {
            let from = if proxy { PROXY_PC } else { UNIX_LOCAL };
            s.push((UNIX_REMOTE, (from, UNIX_REMOTE)));
            s.push((UNIX_REMOTE_ROOT, (UNIX_REMOTE, UNIX_REMOTE_ROOT)));
        }
        s
    }
}

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
}

impl HopPlan {
    /// Where parameter `key` was written (else where the hop was).
    fn param_origin(&self, key: &str) -> Origin {
        self.param_origins
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| self.origin.clone(), |(_, o)| o.clone())
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
    /// closing are the ways between NOT_CONNECTED and UNIX_LOCAL).
    pub fn next_step(&self, from: &str, to: &str) -> Option<&'static str> {
        let edges = |s: &str| -> Vec<&'static str> {
            let mut next: Vec<&'static str> = self
                .hops
                .iter()
                .filter(|h| h.from == s)
                .filter_map(|h| self.states.iter().copied().find(|st| *st == h.to))
                .collect();
            match s {
                NOT_CONNECTED => next.push(UNIX_LOCAL),
                UNIX_LOCAL => next.push(NOT_CONNECTED),
                _ => {}
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
        None
    }
}

/// Checks `spec` against its class and the command registry: the class defaults merged with the
/// user's hops, required parameters present, states and commands known, parameters the
/// commands accept, prompts valid and unique, the initial state known.
pub(crate) fn resolve(spec: &DeviceSpec, registry: &Registry) -> Result<Machine, Vec<Problem>> {
    let mut problems = Vec::new();
    let device = &spec.name.value;
    let Some(class) = Class::from_name(&spec.class.value.name) else {
        return Err(vec![Problem::new(
            ErrorKind::UnknownDeviceClass,
            spec.class.origin.clone(),
            format!(
                "device {device}: class {} has no state machine in moler-rs (available: \
                 UnixLocal, ProxyPc, UnixRemote)",
                spec.class.value.written
            ),
        )]);
    };
    let proxy = class != Class::UnixLocal
        && spec.hops.iter().any(|h| h.from.value == PROXY_PC || h.to.value == PROXY_PC);
    let states: Vec<&'static str> =
        class.all_states().iter().copied().filter(|s| *s != PROXY_PC || proxy).collect();

    // The user's hops: known states, known commands.
    let mut user: Vec<&Hop> = Vec::new();
    for h in &spec.hops {
        let mut ok = true;
        for end in [&h.from, &h.to] {
            if !states.contains(&end.value.as_str()) || end.value == NOT_CONNECTED {
                ok = false;
                problems.push(unknown_state(device, class, &states, &end.value, &end.origin));
            }
        }
        if let Some(command) = &h.execute_command {
            if registry.command_params(&command.value).is_none() {
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

    // Class defaults, then the user's on top (parameter by parameter, as Moler's update_dict).
    let mut hops: Vec<(HopPlan, Vec<String>)> = Vec::new();
    for d in class.default_hops(proxy) {
        let params =
            d.params.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect::<Map<_, _>>();
        let plan = HopPlan {
            from: d.from.to_owned(),
            to: d.to.to_owned(),
            command: d.command.to_owned(),
            params,
            origin: spec.name.origin.clone(),
            param_origins: Vec::new(),
        };
        hops.push((plan, d.required.iter().map(|s| (*s).to_owned()).collect()));
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
        let origins: Vec<(String, Origin)> = h
            .command_params
            .as_map()
            .unwrap_or_default()
            .iter()
            .map(|(k, _)| (k.name.clone(), k.origin.clone()))
            .collect();
        match hops.iter_mut().find(|(p, _)| p.from == h.from.value && p.to == h.to.value) {
            Some((plan, req)) => {
                // Without `execute_command` the class's command stays (Moler's update_dict).
                if let Some(command) = &h.execute_command {
                    plan.command = command.value.clone();
                }
                plan.params.extend(params);
                plan.origin = h.origin.clone();
                plan.param_origins = origins;
                if !h.required_command_params.is_empty() {
                    *req = required;
                }
            }
            None => match &h.execute_command {
                Some(command) => hops.push((
                    HopPlan {
                        from: h.from.value.clone(),
                        to: h.to.value.clone(),
                        command: command.value.clone(),
                        params,
                        origin: h.origin.clone(),
                        param_origins: origins,
                    },
                    required,
                )),
                None => problems.push(Problem::new(
                    ErrorKind::MissingParameter,
                    h.origin.clone(),
                    format!(
                        "device {device} ({}): hop {} -> {} needs `execute_command`: the class \
                         has no hop between these states to take it from",
                        class.name(),
                        h.from.value,
                        h.to.value
                    ),
                )),
            },
        }
    }

    // The prompts the user gives once, on the hop in, also end the hops back (Moler's
    // `_overwrite_prompts`), and fill in any hop into a state that names no prompt.
    let sources = class.prompt_sources(proxy);
    let prompt_of = |hops: &[(HopPlan, Vec<String>)], state: &str| -> Option<String> {
        let (_, (from, to)) = sources.iter().find(|(s, _)| *s == state)?;
        let (plan, _) = hops.iter().find(|(p, _)| p.from == *from && p.to == *to)?;
        plan.params.get("expected_prompt").and_then(Value::as_str).map(str::to_owned)
    };
    let overwrites: &[(&str, &str, &str)] = match (class, proxy) {
        (Class::UnixRemote, true) => {
            &[(UNIX_REMOTE, PROXY_PC, PROXY_PC), (UNIX_REMOTE_ROOT, UNIX_REMOTE, UNIX_REMOTE)]
        }
        (Class::UnixRemote, false) => &[(UNIX_REMOTE_ROOT, UNIX_REMOTE, UNIX_REMOTE)],
        _ => &[],
    };
    for (from, to, state) in overwrites {
        if let Some(p) = prompt_of(&hops, state) {
            if let Some((plan, _)) = hops.iter_mut().find(|(h, _)| h.from == *from && h.to == *to) {
                plan.params.insert("expected_prompt".into(), Value::from(p));
            }
        }
    }
    for i in 0..hops.len() {
        if !hops[i].0.params.contains_key("expected_prompt") {
            if let Some(p) = prompt_of(&hops, &hops[i].0.to.clone()) {
                hops[i].0.params.insert("expected_prompt".into(), Value::from(p));
            }
        }
    }

    // Hops already found wrong are not built below (one message per mistake).
    let mut reported: Vec<(String, String)> = Vec::new();
    // Required parameters (Moler's `_validate_device_configuration`).
    for (plan, required) in &hops {
        let missing: Vec<&str> =
            required.iter().map(String::as_str).filter(|r| !plan.params.contains_key(*r)).collect();
        if !missing.is_empty() {
            reported.push((plan.from.clone(), plan.to.clone()));
            let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
            problems.push(Problem::new(
                ErrorKind::MissingParameter,
                plan.origin.clone(),
                format!(
                    "device {device} ({}): hop {} needs command_params {list}",
                    class.name(),
                    plan.describe()
                ),
            ));
        }
    }

    // State prompts and newlines.
    let mut prompts: Vec<(&'static str, String)> = Vec::new();
    let mut newlines = Vec::new();
    for state in states.iter().copied().filter(|s| *s != NOT_CONNECTED) {
        let Some((_, (from, to))) = sources.iter().find(|(s, _)| *s == state) else { continue };
        let Some((plan, _)) = hops.iter().find(|(p, _)| p.from == *from && p.to == *to) else {
            continue;
        };
        if let Some(p) = plan.params.get("expected_prompt").and_then(Value::as_str) {
            // Through the core's cache: the device compiles the same prompt when it opens.
            match moler_core::cached_regex(p) {
                Ok(_) => prompts.push((state, p.to_owned())),
                Err(e) => {
                    reported.push((plan.from.clone(), plan.to.clone()));
                    let e = e.to_string().lines().last().unwrap_or_default().to_owned();
                    problems.push(Problem::new(
                        ErrorKind::InvalidValue,
                        plan.param_origin("expected_prompt"),
                        format!(
                            "device {device}: hop {}: expected_prompt {p:?} is not a valid regex: {e}",
                            plan.describe()
                        ),
                    ));
                }
            }
        }
        if let Some(n) = plan.params.get("target_newline").and_then(Value::as_str) {
            newlines.push((state, n.to_owned()));
        }
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
        let unknown: Vec<&String> =
            plan.params.keys().filter(|k| !accepted.iter().any(|a| a == *k)).collect();
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
        if let Err(e) = registry.command_for_prompt(
            &plan.command,
            &Value::Object(plan.params.clone()),
            shell_prompt,
        ) {
            problems.push(Problem::new(
                ErrorKind::InvalidValue,
                plan.origin.clone(),
                format!("device {device}: hop {}: {e}", plan.describe()),
            ));
        }
        plans.push(plan);
    }

    let initial = match &spec.initial_state {
        Some(s) => match states.iter().copied().find(|st| *st == s.value) {
            Some(st) => st,
            None => {
                problems.push(unknown_state(device, class, &states, &s.value, &s.origin));
                class.initial()
            }
        },
        None => class.initial(),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Machine { class: class.name(), states, hops: plans, prompts, newlines, initial })
}

/// Prompts that match another state's prompt (see [`super::prompts`]): each state's regex
/// against the literal prompts of the others (the terminal's, a literal `set_prompt`, a regex
/// that is plain text).
fn prompt_overlaps(
    device: &str,
    spec: &DeviceSpec,
    sources: &[(&'static str, (&'static str, &'static str))],
    hops: &[(HopPlan, Vec<String>)],
    prompts: &[(&'static str, String)],
) -> Vec<Problem> {
    use super::prompts::{
        overlaps, ps1_literal, regex_literal, terminal_literal, Literal, StatePrompt,
    };
    let source_of = |state: &str| {
        let (_, (from, to)) = sources.iter().find(|(s, _)| *s == state)?;
        hops.iter().map(|(p, _)| p).find(|p| p.from == *from && p.to == *to)
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
    class: Class,
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
        format!("device {device}: {} has no state {given}{hint}", class.name())
    };
    Problem::new(ErrorKind::UnknownState, origin.clone(), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(yaml: &str) -> Machine {
        let config = moler_config::Config::from_yaml(yaml).unwrap();
        resolve(&config.devices.list[0], &Registry::default()).unwrap()
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

    #[test]
    fn a_local_device_has_moler_defaults() {
        let m = machine("DEVICES:\n  L:\n    DEVICE_CLASS: moler.device.unixlocal.UnixLocal\n");
        assert_eq!(m.states, [NOT_CONNECTED, UNIX_LOCAL, UNIX_LOCAL_ROOT]);
        assert_eq!(m.hop(UNIX_LOCAL, UNIX_LOCAL_ROOT).unwrap().command, "su");
        assert_eq!(m.prompt(UNIX_LOCAL_ROOT), Some("local_root_prompt"));
        assert_eq!(m.next_step(UNIX_LOCAL_ROOT, NOT_CONNECTED), Some(UNIX_LOCAL));
    }
}
