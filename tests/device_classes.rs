//! Device classes as data (`DEVICE_CLASSES`): a class of one's own, one that extends it with
//! `BASE`, driven through every ordered pair of its states over real TCP to the device
//! simulator on every runner; the built-in classes written the same way; mistakes in a class
//! reported with their file, line and column.

use std::time::Duration;

use moler::prelude::*;
use moler::Goto;

/// A box with three shells: `a> ` (where the connection opens), `b# ` after `su` with one
/// password, `c$ ` after `su` with another; `exit` goes back.
const SIM: &str = r#"
states:
  A:
    prompt: "a> "
    commands:
      - {match: whoami, answer: alice}
      - {match: su slowpoke, answer: "", delay_ms: 60000}
      - match: su
        ask: {prompt: "Password: ", echo: false, expect: bee, wrong: "su: Authentication failure"}
        goto: B
  B:
    prompt: "b# "
    commands:
      - {match: whoami, answer: bob}
      - match: su
        ask: {prompt: "Password: ", echo: false, expect: sea, wrong: "su: Authentication failure"}
        goto: C
      - {match: exit, answer: logout, goto: back}
  C:
    prompt: "c$ "
    commands:
      - {match: whoami, answer: carol}
      - {match: exit, answer: logout, goto: back}
"#;

/// The classes: `SimBox` (A, B), and `SimBoxPlus`, which adds C.
const CLASSES: &str = r#"DEVICE_CLASSES:
  SimBox:
    ALIASES: [lab.devices.SimBox]
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
      B: {PROMPT_FROM: [A]}
    CONNECTION_HOPS:
      A:
        B:
          execute_command: su
          command_params: {password: bee, expected_prompt: '^b# $'}
      B:
        A:
          execute_command: exit
          command_params: {expected_prompt: '^a> $'}
  SimBoxPlus:
    BASE: SimBox
    INITIAL_STATE: B
    STATES:
      C: {PROMPT_FROM: [B]}
    CONNECTION_HOPS:
      B:
        C:
          execute_command: su
          command_params: {password: sea, expected_prompt: '^c\$ $'}
      C:
        B:
          execute_command: exit
          command_params: {expected_prompt: '^b# $'}
"#;

const WAIT: Duration = Duration::from_secs(30);

/// The simulated box `yaml` describes, listening on a TCP port of its own.
fn sim(yaml: &str) -> moler_sim::Listener {
    let device = moler_sim::Device::from_yaml(yaml).unwrap();
    moler_sim::Listener::bind("127.0.0.1:0", device.into(), moler_sim::Protocol::Raw).unwrap()
}

fn config(port: u16, variant: &str) -> String {
    format!(
        "{CLASSES}DEVICES:\n  BOX:\n    DEVICE_CLASS: lab.devices.SimBox\n    CONNECTION_DESC: \
         {{io_type: tcp, variant: {variant}, host: 127.0.0.1, port: {port}, ready_prompt: 'a> '}}\n  \
         PLUS:\n    DEVICE_CLASS: SimBoxPlus\n    CONNECTION_DESC: {{io_type: tcp, variant: \
         {variant}, host: 127.0.0.1, port: {port}, ready_prompt: 'a> '}}\n"
    )
}

/// Who the shell says it is, in each state.
fn who(state: &str) -> &'static str {
    match state {
        "A" => "alice",
        "B" => "bob",
        _ => "carol",
    }
}

#[test]
fn a_class_of_one_s_own_and_its_extension_walk_every_pair_of_states_on_every_runner() {
    let sim = sim(SIM);
    // The tokio runner drives its connections on a runtime of the test's.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for variant in ["threaded", "tokio", "smol"] {
        let loader = moler::config::Loader::new()
            .runner(moler::TokioRunner::with_handle(runtime.handle().clone()));
        let config = loader.from_yaml(&config(sim.addr().port(), variant)).unwrap();
        let devices = Devices::from_config(config).unwrap();
        let plain = devices.get("BOX").unwrap();
        assert_eq!(plain.class(), "SimBox");
        assert_eq!(plain.states(), ["NOT_CONNECTED", "A", "B"]);
        assert_eq!(plain.state(), "A", "no INITIAL_STATE: where the connection opens");
        assert_eq!(plain.command_families("B"), ["unix"]);

        let plus = devices.get("PLUS").unwrap();
        assert_eq!(plus.states(), ["NOT_CONNECTED", "A", "B", "C"]);
        assert_eq!(plus.state(), "B", "its own INITIAL_STATE");
        assert_eq!(plus.connected_state(), "A", "its base's CONNECTED_STATE");
        let states: Vec<&str> = plus.states().to_vec();
        let tour = moler_testkit::every_ordered_pair(&states);
        plus.goto_state(tour[0]).unwrap();
        for pair in tour.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            plus.goto_state(to).unwrap_or_else(|e| panic!("{variant}: {from} -> {to}: {e}"));
            assert_eq!(plus.state(), to);
            if to != "NOT_CONNECTED" {
                // Verified from what the device prints, not from what the walk believes.
                let whoami = Command::lines("whoami", plus.prompt().unwrap());
                let out = plus.observe(whoami).unwrap().run_within(WAIT).unwrap();
                assert_eq!(out, [who(to)], "{variant}: {from} -> {to}");
            }
        }
        devices.remove_all();
    }
}

#[test]
fn the_built_in_classes_are_data_too() {
    let names: Vec<&str> =
        moler::config::builtin_classes().iter().map(|c| c.name.value.as_str()).collect();
    assert_eq!(
        names,
        [
            "UnixLocal",
            "ProxyPc",
            "UnixRemote",
            "PduAten",
            "Scpi",
            "JuniperGeneric",
            "JuniperEX",
            "AdbRemote",
            "AtRemote",
            "ProxyPc2",
            "UnixRemote2",
            "AdbRemote2",
            "AtRemote3",
            "PduAten3",
            "Scpi3",
            "JuniperGeneric3",
            "JuniperEX3"
        ]
    );
    // A user's class extends one: the remote's states and a state of its own.
    let yaml = "DEVICE_CLASSES:
  RemoteWithTool:
    BASE: UnixRemote
    STATES:
      TOOL: {PROMPT_FROM: [UNIX_REMOTE], COMMANDS: [unix]}
    CONNECTION_HOPS:
      UNIX_REMOTE:
        TOOL: {execute_command: su, command_params: {password: x, expected_prompt: 'tool> '}}
      TOOL:
        UNIX_REMOTE: {execute_command: exit}
DEVICES:
  R:
    DEVICE_CLASS: RemoteWithTool
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_REMOTE:
          execute_command: ssh
          command_params: {host: box, login: u, password: p, expected_prompt: 'u@box:~\\$'}
";
    let devices = Devices::load(moler::Config::from_yaml(yaml).unwrap()).unwrap();
    let info = devices.info("R").unwrap();
    assert_eq!(
        info.states,
        [
            "NOT_CONNECTED",
            "UNIX_LOCAL",
            "UNIX_LOCAL_ROOT",
            "UNIX_REMOTE",
            "UNIX_REMOTE_ROOT",
            "TOOL"
        ]
    );
    let back = info.hops.iter().find(|h| h.from == "TOOL" && h.to == "UNIX_REMOTE").unwrap();
    assert_eq!(
        back.prompt.as_deref(),
        Some("u@box:~\\$"),
        "the way back ends on the remote's prompt"
    );
    assert_eq!(info.initial_state, "UNIX_REMOTE");
}

#[test]
fn mistakes_in_a_class_are_reported_with_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("moler-classes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lab.yml");
    std::fs::write(
        &path,
        "DEVICE_CLASSES:
  Broken:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $', COMMANDS: [unix, atx]}
      B: {PROMPT_FROM: [A]}
      ISLAND: {PROMPT: '^island> $'}
    CONNECTION_HOPS:
      A:
        B: {execute_command: su, command_params: {password: x, expected_prompt: '^b# $'}}
      B:
        NOWHERE: {execute_command: exit}
  Orphan:
    BASE: NoSuchClass
DEVICES:
  X: {DEVICE_CLASS: Broken}
  Y: {DEVICE_CLASS: Orphan}
",
    )
    .unwrap();
    let err = Devices::from_file(&path).expect_err("the classes are wrong").to_string();
    let file = path.display().to_string();
    for want in [
        format!("{file}:5:45: device class Broken: state A: unknown command family `atx`"),
        format!("{file}:12:9: device class Broken: no state NOWHERE in its STATES"),
        format!("{file}:14:11: device class Orphan: BASE NoSuchClass is not a device class"),
    ] {
        assert!(err.contains(&want), "{want:?} not in:\n{err}");
    }
    std::fs::write(
        &path,
        "DEVICE_CLASSES:
  Island:
    STATES:
      A: {PROMPT: '^a> $'}
      ISLAND: {PROMPT: '^island> $'}
DEVICES:
  X: {DEVICE_CLASS: Island}
",
    )
    .unwrap();
    let err = Devices::from_file(&path).expect_err("a state no hop reaches").to_string();
    assert!(
        err.contains(&format!(
            "{file}:5:7: device X (Island): no hop leads to state ISLAND from A"
        )),
        "{err}"
    );
    // A parameter of a class's hop the command refuses is shown where the class has it (for
    // each device of the class), one the device gives where the device has it.
    std::fs::write(
        &path,
        "DEVICE_CLASSES:
  Box:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
      B: {PROMPT_FROM: [A]}
    CONNECTION_HOPS:
      A:
        B: {execute_command: su, command_params: {pasword: x, expected_prompt: '^b# $'}}
      B:
        A: {execute_command: exit, command_params: {expected_prompt: '^a> $'}}
DEVICES:
  X: {DEVICE_CLASS: Box}
  Y:
    DEVICE_CLASS: Box
    CONNECTION_HOPS:
      A:
        B: {command_params: {password: {a: 1}}}
",
    )
    .unwrap();
    let err = Devices::from_file(&path).expect_err("wrong parameters").to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{file}:9:51: device X: hop A -> B (su): su has no parameter `pasword`; did you \
                 mean password?"
            ),
            format!(
                "{file}:9:51: device Y: hop A -> B (su): su has no parameter `pasword`; did you \
                 mean password?"
            ),
        ],
        "{err}"
    );
    // The device's own command for the hop: a parameter of the class's that it refuses is the
    // device's to look at.
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = text.replace(
        "  X: {DEVICE_CLASS: Box}",
        "  X: {DEVICE_CLASS: Box, CONNECTION_HOPS: {A: {B: {execute_command: exit}}}}",
    );
    std::fs::write(&path, changed).unwrap();
    let err = Devices::from_file(&path).expect_err("wrong parameters").to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with(&format!("{file}:9:51: device Y: hop A -> B (su)")), "{err}");
    assert!(
        lines[1].starts_with(&format!(
            "{file}:13:51: device X: hop A -> B (exit): exit has no parameter `pasword`"
        )),
        "{err}"
    );
    // States whose prompts are each other's as root: neither has one (not a prompt made
    // forever).
    std::fs::write(
        &path,
        "DEVICE_CLASSES:
  Loop:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
      B: {PROMPT_AS_ROOT_OF: C}
      C: {PROMPT_AS_ROOT_OF: B}
    CONNECTION_HOPS:
      A:
        B: {execute_command: su, command_params: {password: x}}
        C: {execute_command: su, command_params: {password: y}}
DEVICES:
  X: {DEVICE_CLASS: Loop}
",
    )
    .unwrap();
    let err = Devices::from_file(&path).expect_err("prompts that are each other's").to_string();
    for (at, state) in [("6:7", "B"), ("7:7", "C")] {
        let want = format!(
            "{file}:{at}: device X (Loop): state {state} has no prompt: give it a PROMPT, an \
             expected_prompt on the hop into it from a state its PROMPT_FROM names, or \
             PROMPT_AS_ROOT_OF a state that has one"
        );
        assert!(err.contains(&want), "{want:?} not in:\n{err}");
    }
    // A hop into a state with an expected_prompt that the state does not take its prompt from.
    let looped = std::fs::read_to_string(&path).unwrap();
    let from_hop = looped
        .replace("{PROMPT_AS_ROOT_OF: C}", "{}")
        .replace("{password: x}", "{password: x, expected_prompt: '^b# $'}");
    std::fs::write(&path, from_hop).unwrap();
    let err = Devices::from_file(&path).expect_err("a prompt not taken").to_string();
    assert_eq!(err.lines().count(), 2, "B, and C as its root: {err}");
    assert!(
        err.contains(&format!(
            "{file}:6:7: device X (Loop): state B has no prompt: give it a PROMPT, an \
             expected_prompt on the hop into it from a state its PROMPT_FROM names (hop A -> B \
             (su) has an expected_prompt: PROMPT_FROM: [A] takes it)"
        )),
        "{err}"
    );
    std::fs::write(&path, text.replace("pasword: x, ", "")).unwrap();
    let err = Devices::from_file(&path).expect_err("wrong parameters").to_string();
    assert_eq!(
        err,
        format!(
            "{file}:18:30: device Y: hop A -> B (su): su: parameter `password`: expected a \
             password (text) or a list of passwords"
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Moler's `goto_state` options: reruns of a failed walk, a timeout for the whole walk, an
/// Enter once there; and the factory's clone into another initial state, neighbours, devices
/// by class.
#[test]
fn goto_state_options_clones_neighbours_and_classes() {
    let sim = sim(SIM);
    let port = sim.addr().port();
    let desc = format!("{{io_type: tcp, host: 127.0.0.1, port: {port}, ready_prompt: 'a> '}}");
    let yaml = format!(
        "{CLASSES}DEVICES:\n  BOX:\n    DEVICE_CLASS: SimBox\n    CONNECTION_DESC: {desc}\n  \
         BAD:\n    DEVICE_CLASS: SimBox\n    CONNECTION_DESC: {desc}\n    CONNECTION_HOPS:\n      \
         A:\n        B:\n          execute_command: su\n          command_params: {{password: \
         wrong, expected_prompt: '^b# $'}}\n  \
         SLOW:\n    DEVICE_CLASS: SimBox\n    CONNECTION_DESC: {desc}\n    CONNECTION_HOPS:\n      \
         A:\n        B:\n          execute_command: su\n          command_params: {{login: \
         slowpoke, password: bee, expected_prompt: '^b# $'}}\n  LOGICAL_TOPOLOGY:\n    BOX: [BAD]\n"
    );
    let devices = Devices::from_yaml(&yaml).unwrap();

    // Three tries (one and two reruns), each refused by the device: seen three times.
    let bad = devices.get("BAD").unwrap();
    let refusals = bad
        .observe(Wait4::new(["su: Authentication failure"]).unwrap().till_occurs_times(3))
        .unwrap()
        .start();
    // (A timeout that leaves time for them does not stop the reruns.)
    let err = bad.goto_state_with("B", Goto::new().rerun(2).timeout(WAIT)).unwrap_err();
    assert!(err.to_string().contains("Authentication failure"), "{err}");
    assert_eq!(refusals.wait(WAIT).unwrap().len(), 3, "one try and two reruns");
    assert_eq!(bad.state(), "A", "never believed to be in B");

    // A whole-walk timeout shorter than the device takes to answer (`su slowpoke` thinks for a
    // minute): the hop is cut at that time, the error names it, and no rerun starts after the
    // time is up.
    let slow = devices.get("SLOW").unwrap();
    let started = std::time::Instant::now();
    let err = slow
        .goto_state_with("B", Goto::new().timeout(Duration::from_millis(300)).rerun(3))
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let text = err.to_string();
    assert!(text.contains("A -> B (su)") && text.contains("timed out"), "{text}");
    assert_eq!(slow.state(), "A");

    // An Enter once in B (within a timeout): its prompt comes a second time, and the shell
    // stays usable.
    let good = devices.get("BOX").unwrap();
    let prompts_of_b = good
        .observe(Wait4::new([r"^b# $"]).unwrap().match_partial_lines(true).till_occurs_times(2))
        .unwrap()
        .start();
    let enter = Goto::new().send_enter_after_changed_state(true).timeout(WAIT);
    good.goto_state_with("B", enter).unwrap();
    assert_eq!(prompts_of_b.wait(WAIT).unwrap().len(), 2, "the hop's prompt and the Enter's");
    let whoami = Command::lines("whoami", good.prompt().unwrap());
    assert_eq!(good.observe(whoami).unwrap().run_within(WAIT).unwrap(), ["bob"]);

    let copy = devices.get_cloned_in("BOX", "BOX_COPY", "NOT_CONNECTED").unwrap();
    assert_eq!(copy.state(), "NOT_CONNECTED");
    assert_eq!(devices.neighbours("BOX").unwrap(), ["BAD"]);
    assert_eq!(devices.neighbours("BAD").unwrap(), ["BOX"]);
    assert_eq!(devices.by_class("SimBox"), ["BAD", "BOX", "BOX_COPY", "SLOW"]);
    assert_eq!(devices.by_class("lab.devices.SimBox"), ["BAD", "BOX", "BOX_COPY", "SLOW"]);
    devices.remove_all();
}

/// Moler's `keep_state`: the device walks back by itself when the state is lost (the shell it
/// was in ends, or the whole connection closes), until another state change is asked for.
#[test]
fn a_kept_state_is_taken_back_when_lost_until_another_change_is_asked_for() {
    let sim = sim(SIM);
    let devices = Devices::from_yaml(&config(sim.addr().port(), "threaded")).unwrap();
    let plus = devices.get("PLUS").unwrap();
    plus.goto_state_with("C", Goto::new().keep_state(true)).unwrap();

    // The shell of C ends behind the device's back: it sees B, and goes back to C.
    let exit = Command::lines("exit", "^b# $");
    plus.observe(exit).unwrap().check_state(false).run_within(WAIT).unwrap();
    plus.wait_for_state("C", WAIT).unwrap();
    let whoami = Command::lines("whoami", plus.prompt().unwrap());
    assert_eq!(plus.observe(whoami).unwrap().run_within(WAIT).unwrap(), ["carol"]);

    // The connection closes: a new one, and the walk back up to C.
    let old = plus.connection().unwrap();
    old.close();
    let deadline = std::time::Instant::now() + WAIT;
    // (`close` is a request: until the driver takes it, the old connection is open and C.)
    let back = || plus.state() == "C" && plus.connection().is_some_and(|c| !c.is_closed());
    while !(old.is_closed() && back()) {
        assert!(
            std::time::Instant::now() < deadline,
            "not back in C: {} {:?}",
            plus.state(),
            plus.connection().map(|c| c.is_closed())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(old.is_closed());
    let whoami = Command::lines("whoami", plus.prompt().unwrap());
    assert_eq!(plus.observe(whoami).unwrap().run_within(WAIT).unwrap(), ["carol"]);

    // Asked to go elsewhere: no more keeping.
    plus.goto_state("B").unwrap();
    let exit = Command::lines("exit", "^a> $");
    plus.observe(exit).unwrap().check_state(false).run_within(WAIT).unwrap();
    plus.wait_for_state("A", WAIT).unwrap();
    assert!(
        plus.wait_for_state("C", Duration::from_millis(1500)).is_err(),
        "not taken back once another change was asked for"
    );
    assert_eq!(plus.state(), "A");
    devices.remove_all();
}

/// A kept state the device cannot get back to: the walk back is tried again a second after each
/// failure, not in a loop that hammers the device (here, a box whose `su` works once: after the
/// root shell ends, the password is refused).
#[test]
fn a_kept_state_that_cannot_be_taken_back_is_tried_again_once_a_second() {
    const SU_ONCE: &str = r#"
states:
  A:
    prompt: "a> "
    commands:
      - match: su
        ask: {prompt: "Password: ", echo: false, expect: bee, wrong: "su: Authentication failure"}
        goto: B
  B:
    prompt: "b# "
    commands:
      - {match: exit, answer: logout, goto: LOCKED}
  LOCKED:
    prompt: "a> "
    commands:
      - match: su
        ask: {prompt: "Password: ", echo: false, expect: no more, wrong: "su: Authentication failure"}
        goto: B
"#;
    let sim = sim(SU_ONCE);
    let devices = Devices::from_yaml(&config(sim.addr().port(), "threaded")).unwrap();
    let plain = devices.get("BOX").unwrap();
    plain.goto_state_with("B", Goto::new().keep_state(true)).unwrap();
    let refusals = |times: usize, within: Duration| {
        let wait = Wait4::new(["su: Authentication failure"]).unwrap();
        plain.observe(wait.till_occurs_times(times).timeout(within)).unwrap().start()
    };
    let two = refusals(2, WAIT);
    let six = refusals(6, Duration::from_millis(3500));

    let exit = Command::lines("exit", "^a> $");
    plain.observe(exit).unwrap().check_state(false).run_within(WAIT).unwrap();
    assert_eq!(two.wait(WAIT).unwrap().len(), 2, "the walk back is tried again after a failure");
    // A second's pause after each: at most four tries in 3.5 s (a hot loop makes hundreds).
    let err = six.wait(WAIT).unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(plain.state(), "A");

    // Another change asked for ends the keeping.
    plain.goto_state("A").unwrap();
    let more = refusals(1, Duration::from_millis(2500));
    assert!(more.wait(WAIT).is_err(), "no more tries once another change was asked for");
    devices.remove_all();
}

/// A device that keeps falling back by itself (here a box whose other shell ends as soon as it
/// shows its prompt, in the same breath): the walk is not followed for ever. Each state is tried
/// at most twice, then the walk fails saying so and where the device is; it stays there,
/// believed where its prompt last put it.
#[test]
fn a_device_that_keeps_falling_back_is_followed_twice_per_state_then_given_up() {
    const FALLS_BACK: &str = r#"
states:
  A:
    prompt: "a> "
    commands:
      - {match: whoami, answer: alice}
      - {match: exit, answer: "b# \nlogout"}
"#;
    const CLASS: &str = "DEVICE_CLASSES:
  Flaky:
    CONNECTED_STATE: A
    STATES:
      A: {PROMPT: '^a> $'}
      B: {PROMPT_FROM: [A]}
    CONNECTION_HOPS:
      A:
        B: {execute_command: exit, command_params: {expected_prompt: '^b# $'}}
      B:
        A: {execute_command: exit, command_params: {expected_prompt: '^a> $'}}
";
    let sim = sim(FALLS_BACK);
    let port = sim.addr().port();
    let devices = Devices::from_yaml(&format!(
        "{CLASS}DEVICES:\n  BOX:\n    DEVICE_CLASS: Flaky\n    CONNECTION_DESC: {{io_type: tcp, \
         host: 127.0.0.1, port: {port}, ready_prompt: 'a> '}}\n"
    ))
    .unwrap();
    let plain = devices.get("BOX").unwrap();
    let typed = |times: usize, within: Duration| {
        let wait = Wait4::new([r"^(a> )?exit$"]).unwrap();
        plain.observe(wait.till_occurs_times(times).timeout(within)).unwrap().check_state(false)
    };
    let (six, seven) = (typed(6, WAIT).start(), typed(7, Duration::from_secs(3)).start());
    let err = plain.goto_state("B").unwrap_err().to_string();
    assert!(err.contains("the device kept changing state by itself; it is in A"), "{err}");
    // Three states (NOT_CONNECTED, A, B): six hops, not one more.
    assert_eq!(six.wait(WAIT).unwrap().len(), 6, "six tries");
    assert!(seven.wait(WAIT).is_err(), "a seventh hop was typed");
    assert_eq!(plain.state(), "A");
    let whoami = Command::lines("whoami", plain.prompt().unwrap());
    assert_eq!(plain.observe(whoami).unwrap().run_within(WAIT).unwrap(), ["alice"]);
    devices.remove_all();
}

/// A walk whose time is up before its next hop types nothing more: with no time at all, it
/// fails at once, naming the state and the time, and the device stays where it is.
#[test]
fn a_walk_with_no_time_left_types_no_hop() {
    let sim = sim(SIM);
    let devices = Devices::from_yaml(&config(sim.addr().port(), "threaded")).unwrap();
    let plain = devices.get("BOX").unwrap();
    let su = Wait4::new([r"^(a> )?su$"]).unwrap().timeout(Duration::from_secs(2));
    let typed = plain.observe(su).unwrap().check_state(false).start();
    let err = plain.goto_state_with("B", Goto::new().timeout(Duration::ZERO)).unwrap_err();
    assert_eq!(err.to_string(), "device BOX: still not in B after 0ns");
    assert!(typed.wait(WAIT).is_err(), "a hop was typed");
    assert_eq!(plain.state(), "A");
    devices.remove_all();
}

/// A TCP peer on 127.0.0.1 that shows `shows` to the one connection it takes, answers the
/// first thing typed with `answer` (if any), and hands back all that was typed once the
/// connection closes.
fn peer(shows: &'static str, answer: &'static str) -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let typed = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(shows.as_bytes()).unwrap();
        let mut typed = vec![0; 64];
        let n = stream.read(&mut typed).unwrap();
        typed.truncate(n);
        if n > 0 {
            stream.write_all(answer.as_bytes()).unwrap();
            stream.read_to_end(&mut typed).unwrap();
        }
        String::from_utf8_lossy(&typed).into_owned()
    });
    (port, typed)
}

/// Where a connection with a greeting opens is read from the prompt the greeting ends at, not
/// assumed: a console left in another state of the class opens there (the walk goes on from
/// it), and a prompt of no state is an error before anything is typed.
#[test]
fn a_connection_opens_in_the_state_its_first_prompt_shows() {
    const LEFT_IN_B: &str = r#"
initial_state: B
states:
  A:
    prompt: "a> "
    commands:
      - {match: whoami, answer: alice}
  B:
    prompt: "b# "
    commands:
      - {match: whoami, answer: bob}
      - {match: exit, answer: logout, goto: A}
"#;
    let sim = sim(LEFT_IN_B);
    // (The greeting waits for the end both prompts share.)
    let yaml = |port: u16| {
        format!(
            "{CLASSES}DEVICES:\n  BOX:\n    DEVICE_CLASS: SimBox\n    CONNECTION_DESC: \
             {{io_type: tcp, host: 127.0.0.1, port: {port}, ready_prompt: ' '}}\n"
        )
    };
    let devices = Devices::from_yaml(&yaml(sim.addr().port())).unwrap();
    let boxed = devices.get_cloned_in("BOX", "LEFT", "NOT_CONNECTED").unwrap();
    // In B already: no `su` (this box has none in A), and a command there runs as bob.
    boxed.goto_state("B").unwrap();
    let whoami = |d: &Device| {
        let cmd = Command::lines("whoami", d.prompt().unwrap());
        d.observe(cmd).unwrap().run_within(WAIT).unwrap()
    };
    assert_eq!(whoami(&boxed), ["bob"]);
    boxed.goto_state("A").unwrap();
    assert_eq!(whoami(&boxed), ["alice"]);
    devices.remove_all();

    // A prompt of no state of the class: refused, and nothing is typed.
    let (port, typed) = peer("Welcome\r\nz> ", "");
    let devices = Devices::from_yaml(&yaml(port)).unwrap();
    let err = devices.get("BOX").expect_err("z> is no state's prompt").to_string();
    assert!(
        err.starts_with(
            "device BOX: cannot go from NOT_CONNECTED to A: opening the connection (io_type tcp) \
             failed: the connection is ready at \"z> \", which is not the prompt of A (\"^a> $\", \
             the state SimBox opens into), nor of any other state of SimBox: the device would \
             not know where it is, so nothing was typed"
        ),
        "{err}"
    );
    assert_eq!(typed.join().unwrap(), "", "typed into z>");
    devices.remove_all();

    // A greeting that ends a line shows no prompt: the device is where the class opens.
    let (port, typed) = peer("Welcome\r\nREADY\r\n", "");
    let devices = Devices::from_yaml(&yaml(port).replace("' '", "\"READY\\r\\n\"")).unwrap();
    assert_eq!(devices.get("BOX").unwrap().state(), "A");
    devices.remove_all();
    assert_eq!(typed.join().unwrap(), "", "nothing was asked for");

    // A connected state with no prompt stands for "not known yet" (a board's console): a
    // prompt of no state leaves the device there (and the walk to A types `exit`), A's prompt
    // puts it in A (nothing typed).
    let console = |port: u16| {
        format!(
            "DEVICE_CLASSES:\n  Console:\n    CONNECTED_STATE: CONSOLE\n    INITIAL_STATE: A\n    \
             STATES:\n      CONSOLE: {{}}\n      A: {{PROMPT: '^a> $'}}\n    CONNECTION_HOPS:\n      \
             CONSOLE:\n        A: {{execute_command: exit, command_params: {{expected_prompt: \
             '^a> $'}}}}\nDEVICES:\n  BOARD:\n    DEVICE_CLASS: Console\n    CONNECTION_DESC: \
             {{io_type: tcp, host: 127.0.0.1, port: {port}, ready_prompt: ' '}}\n"
        )
    };
    for (shown, typed) in [("z> ", "exit\n"), ("a> ", "")] {
        let (port, was_typed) = peer(shown, "exit\r\na> ");
        let devices = Devices::from_yaml(&console(port)).unwrap();
        assert_eq!(devices.get("BOARD").unwrap().state(), "A", "{shown}");
        devices.remove_all();
        assert_eq!(was_typed.join().unwrap(), typed, "{shown}");
    }

    // The same on a terminal, whose bash shows moler's own prompt.
    let yaml = format!(
        "{CLASSES}DEVICES:\n  BOX:\n    DEVICE_CLASS: SimBox\n    CONNECTION_DESC: \
         {{io_type: terminal}}\n"
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let err = devices.get("BOX").expect_err("a bash is no SimBox").to_string();
    assert!(err.contains("the connection is ready at \"moler_bash# \""), "{err}");
    devices.remove_all();
}

/// The factory's bookkeeping: removing a device made, one configured but not made, or no
/// device; a clone by name; a device whose initial state could not be reached is not kept (the
/// next `get` tries again); its `Debug` names what is configured and what is made.
#[test]
fn the_factory_removes_clones_and_forgets_a_device_that_failed() {
    let sim = sim(SIM);
    let port = sim.addr().port();
    let yaml = format!(
        "{}  LOCKED:\n    DEVICE_CLASS: SimBoxPlus\n    CONNECTION_DESC: {{io_type: tcp, host: \
         127.0.0.1, port: {port}, ready_prompt: 'a> '}}\n    CONNECTION_HOPS:\n      A:\n        \
         B: {{command_params: {{password: wrong}}}}\n",
        config(port, "threaded")
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let plain = devices.get("BOX").unwrap();
    let debug = format!("{devices:?}");
    assert!(debug.contains(r#"configured: ["BOX", "LOCKED", "PLUS"], made: ["BOX"]"#), "{debug}");

    // A clone by a new name is made, and the same one again.
    let twin = devices.get_cloned("BOX", "TWIN").unwrap();
    assert_eq!(twin.name(), "TWIN");
    assert_eq!(twin.state(), "A");
    assert!(devices.get_cloned("BOX", "TWIN").unwrap() == twin);

    // Removing: a device made, one configured but never made (nothing to do), no such device.
    devices.remove("TWIN").unwrap();
    assert_eq!(twin.state(), "NOT_CONNECTED");
    devices.remove("PLUS").unwrap();
    let err = devices.remove("NOBODY").unwrap_err().to_string();
    assert!(err.starts_with("no device named NOBODY"), "{err}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        devices.remove_async("BOX").await.unwrap();
        assert_eq!(plain.state(), "NOT_CONNECTED");
        devices.remove_async("PLUS").await.unwrap();
        let err = devices.remove_async("NOBODY").await.unwrap_err().to_string();
        assert!(err.starts_with("no device named NOBODY"), "{err}");
    });
    assert!(format!("{devices:?}").contains("made: []"), "{devices:?}");

    // A device that could not reach its initial state is not kept: every `get` tries again.
    for _ in 0..2 {
        let err = devices.get("LOCKED").expect_err("the password is wrong").to_string();
        assert!(err.contains("su: Authentication failure"), "{err}");
    }
    devices.remove_all();
}

/// Moler's `exchange_io_connection`: the device drops its connection for another (here, another
/// simulated box), is in its connected state once the new one greeted, and reopens the new one
/// later.
#[test]
fn a_device_exchanges_its_connection_for_another() {
    let first = sim(SIM);
    let other = SIM.replace("answer: alice", "answer: alice-on-the-spare");
    let other = sim(&other);
    let devices = Devices::from_yaml(&config(first.addr().port(), "threaded")).unwrap();
    let plain = devices.get("BOX").unwrap();
    let whoami = |d: &Device| {
        let cmd = Command::lines("whoami", d.prompt().unwrap());
        d.observe(cmd).unwrap().run_within(WAIT).unwrap()
    };
    assert_eq!(whoami(&plain), ["alice"]);
    let spare = moler::config::ConnectionSpec::new("tcp")
        .param("host", "127.0.0.1")
        .param("port", other.addr().port())
        .param("ready_prompt", "a> ");
    plain.exchange_connection(spare).unwrap();
    assert_eq!(plain.state(), "A");
    assert_eq!(whoami(&plain), ["alice-on-the-spare"]);
    plain.goto_state("NOT_CONNECTED").unwrap();
    plain.goto_state("B").unwrap();
    plain.goto_state("A").unwrap();
    assert_eq!(whoami(&plain), ["alice-on-the-spare"], "reopened: the new connection");
    devices.remove_all();
}

/// A password written as a number (`0123`, unquoted) in a class's hop or a device's is typed
/// as written: `0123`, not `123` (the number) and not refused for not being text. The device
/// (the simulator over TCP) takes only `0123`; where it is in each state is asked of it.
#[test]
fn a_password_written_as_a_number_is_typed_as_written() {
    let sim_yaml = SIM.replace("expect: bee", "expect: \"0123\"");
    let sim = sim(&sim_yaml);
    let port = sim.addr().port();
    let desc = format!("{{io_type: tcp, host: 127.0.0.1, port: {port}, ready_prompt: 'a> '}}");
    // The class's hop types `0123`; the device NEAR's own hop `123`, the number 0123 reads as.
    let classes = CLASSES.replace("{password: bee,", "{password: 0123,");
    let yaml = format!(
        "{classes}DEVICES:\n  BOX:\n    DEVICE_CLASS: SimBox\n    CONNECTION_DESC: {desc}\n  \
         NEAR:\n    DEVICE_CLASS: SimBox\n    CONNECTION_DESC: {desc}\n    CONNECTION_HOPS:\n      \
         A:\n        B:\n          command_params: {{password: 123}}\n"
    );
    let devices = Devices::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let boxed = devices.get("BOX").unwrap();
    boxed.goto_state("B").unwrap_or_else(|e| panic!("{e}"));
    let whoami = Command::lines("whoami", boxed.prompt().unwrap());
    assert_eq!(boxed.observe(whoami).unwrap().run_within(WAIT).unwrap(), ["bob"]);

    let near = devices.get("NEAR").unwrap();
    let err = near.goto_state_with("B", Goto::new()).unwrap_err();
    assert!(err.to_string().contains("Authentication failure"), "{err}");
    assert_eq!(near.state(), "A", "never believed to be in B");
    devices.remove_all();
}
