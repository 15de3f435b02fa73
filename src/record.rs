//! Recording a real session as a simulated device: `moler record` turns a device log
//! (`moler.<DEVICE>.log`) into a `moler-sim` device file that answers every line typed as the
//! device did, so the same script replays without the device.
//!
//! The session is cut into exchanges ([`crate::logging::read::exchanges`]): a line typed, its
//! output, the line left on screen, as the screen shows them (terminal escapes such as bracketed
//! paste and window titles taken off); lines typed in one write (a hop's Enter, then `export
//! TMOUT=…`), or each in a write of its own before the echo of the one before (typed ahead of a
//! busy shell), are each an exchange of their own, cut at their echoes. Every distinct line on screen
//! at which something was typed becomes a state whose prompt is that line (`moler_bash# `,
//! `Password: `, a remote prompt): named after the device state the log's notes give (`UNIX_LOCAL`,
//! then `UNIX_LOCAL_2` for a second prompt of that state), or `SCREEN_<n>` for a question. Each
//! line typed there is a command answering its recorded output and moving to the state of the line
//! it left. A line typed several times with different outputs answers them in turn. A secret
//! (`********` in the log) was never logged: its state accepts any line, without echo. The device's
//! own first words become the banner; a log that several runs appended to holds one connection per
//! run (cut at `connection closed` and at a device made anew), and each later connection's first
//! words are its banner again, not part of the answer typed before them. Lines typed before the
//! device said anything (the prompt detection of an `sshshell` device, `UnixRemote3`) are
//! answered after the banner, at the first prompt; the terminal's echo of them is taken off it.
//!
//! ```
//! let log = "\
//! 22 10:00:00.001 <|moler_bash#
//! 22 10:00:00.002 >|whoami
//! 22 10:00:00.003 <|whoami
//!                  |tester
//!                  |moler_bash#
//! ";
//! let yaml = moler::record::simulator_yaml(log, "moler.LOCAL.log")?;
//! assert!(yaml.contains("prompt: \"moler_bash#"), "{yaml}");
//! assert!(yaml.contains("- match: \"whoami\"\n        answers:\n          - \"tester\\n\""), "{yaml}");
//! # Ok::<(), moler::logging::read::ReadError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::logging::read::{exchanges, read_device_log, Exchange, ReadError};

/// What a secret looks like in a device log.
const SECRET: &str = moler_core::MASK;

struct Screen {
    name: String,
    /// The line on screen.
    prompt: String,
    /// Something typed here was a secret: no echo, any line answers.
    secret: bool,
    /// Lines typed here in the order first seen, with their outputs in turn and the screen
    /// each left.
    commands: Vec<(String, Vec<Answer>)>,
}

/// One answer to a line typed: its output lines and the screen (index) it left.
type Answer = (Vec<String>, usize);

/// The `moler-sim` device file (YAML) of the session in a device log's text; `source` names
/// the log in the file's first comment.
pub fn simulator_yaml(log: &str, source: &str) -> Result<String, ReadError> {
    let records = read_device_log(log)?;
    let exchanges = exchanges(&records);
    let screens = screens(&exchanges);
    if screens.is_empty() {
        // (A simulated device needs a state: there is nothing to make one of.)
        return Err(ReadError {
            line: log.lines().count().max(1),
            message: "the log ends without a prompt from the device or a line typed to it: \
                      nothing to record"
                .into(),
        });
    }
    Ok(render(&screens, &exchanges, source))
}

fn screens(exchanges: &[Exchange]) -> Vec<Screen> {
    let mut screens: Vec<Screen> = Vec::new();
    let mut by_prompt: BTreeMap<String, usize> = BTreeMap::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut questions = 0;
    let mut screen_of = |prompt: &str, state: Option<&str>, screens: &mut Vec<Screen>| -> usize {
        if let Some(&i) = by_prompt.get(prompt) {
            return i;
        }
        let name = loop {
            let name = match state {
                Some(state) => {
                    let n = names.entry(state.to_owned()).or_insert(0);
                    *n += 1;
                    if *n == 1 {
                        state.to_owned()
                    } else {
                        format!("{state}_{n}")
                    }
                }
                None => {
                    questions += 1;
                    format!("SCREEN_{questions}")
                }
            };
            // A state the log names `UNIX_REMOTE_2` or `SCREEN_1` must not share its name with
            // the second prompt of `UNIX_REMOTE` or a question (the simulator refuses a state
            // defined twice): a name taken goes on to the next number.
            if !screens.iter().any(|s| s.name == name) {
                break name;
            }
        };
        screens.push(Screen {
            name,
            prompt: prompt.to_owned(),
            secret: false,
            commands: Vec::new(),
        });
        by_prompt.insert(prompt.to_owned(), screens.len() - 1);
        screens.len() - 1
    };
    // A line on screen is a device state's prompt when the state the log gives did not change
    // across the exchange that showed it, or changed to the state it names; a question (a
    // password asked by `su`) shows while the state is still the one it came from, so the
    // state is trusted only for lines at which a non-secret line was typed.
    // A connection's first words (the first exchange, and each later connection's in a log
    // appended to by several runs) are the banner, not an answer to anything typed.
    for (i, ex) in exchanges.iter().enumerate().filter(|(_, e)| !e.opens) {
        let state = (ex.sent != SECRET).then_some(ex.state.as_deref()).flatten();
        let here = screen_of(&ex.shown, state, &mut screens);
        let next_state = exchanges
            .get(i + 1)
            .filter(|e| !e.opens && e.sent != SECRET)
            .and_then(|e| e.state.as_deref());
        let next = screen_of(&ex.next_shown, next_state, &mut screens);
        let screen = &mut screens[here];
        screen.secret |= ex.sent == SECRET;
        let sent = if ex.sent == SECRET { String::new() } else { ex.sent.clone() };
        match screen.commands.iter_mut().find(|(line, _)| *line == sent) {
            Some((_, answers)) => answers.push((ex.output.clone(), next)),
            None => screen.commands.push((sent, vec![(ex.output.clone(), next)])),
        }
    }
    screens
}

/// A YAML double-quoted scalar (JSON's escapes are YAML's). JSON leaves DEL, the C1 controls
/// and U+FEFF, U+FFFE, U+FFFF as they are, which YAML does not allow unescaped (a terminal's
/// output holds them: a DEL echoed, a byte that was not UTF-8): `\uXXXX` for those.
fn quoted(text: &str) -> String {
    let json = serde_json::to_string(text).expect("a string serializes");
    let not_yaml =
        |c: char| matches!(c, '\u{7f}'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}');
    if !json.contains(not_yaml) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if not_yaml(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// A state's name as YAML: plain where any YAML reader reads it back as that same text
/// (`UNIX_LOCAL`), else quoted. A log may name a state with any letters, digits, `_`, `.` and
/// `-`; written plain, `yes` and `off` read as booleans, `null` as nothing, and `010`, `1e5` or
/// 112 digits as numbers (moler's reader keeps a number's text where text is expected; PyYAML
/// and others give `8`, `100000.0`, `4.44e111`, and `goto:` named no state, or another one).
fn yaml_name(name: &str) -> std::borrow::Cow<'_, str> {
    // What YAML (1.1, as Moler's PyYAML reads it, and 1.2) reads as anything but text, among
    // names that begin with a letter or `_` and go on with letters, digits, `_`, `.` and `-`:
    // the booleans and nulls (in any case; `inf` and `nan` too, which some readers take as
    // numbers without their leading dot).
    const NOT_TEXT: &[&str] =
        &["true", "false", "yes", "no", "on", "off", "y", "n", "null", "inf", "infinity", "nan"];
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !NOT_TEXT.iter().any(|w| name.eq_ignore_ascii_case(w));
    if plain {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(quoted(name))
    }
}

fn render(screens: &[Screen], exchanges: &[Exchange], source: &str) -> String {
    let first = exchanges.first();
    let mut y = String::new();
    let _ = writeln!(y, "# Recorded by `moler record` from {source}.");
    let openings = exchanges.iter().filter(|e| e.opens).count();
    if openings > 1 {
        let _ = writeln!(y, "# The log holds {openings} connections; the banner is the first's.");
        for (i, later) in exchanges.iter().filter(|e| e.opens).enumerate().skip(1) {
            if first.is_some_and(|f| f.output != later.output) {
                let words = quoted(&later.output.join("\n"));
                let _ = writeln!(y, "# Connection {} began otherwise: {words}", i + 1);
            }
        }
    }
    let _ = writeln!(y, "line_end: \"\\r\\n\"");
    if let Some(first) = first.filter(|f| !f.output.is_empty()) {
        let _ = writeln!(y, "banner: {}", quoted(&first.output.join("\n")));
    }
    if let Some(start) = first.and_then(|f| screens.iter().find(|s| s.prompt == f.next_shown)) {
        let _ = writeln!(y, "initial_state: {}", yaml_name(&start.name));
    }
    let _ = writeln!(y, "states:");
    for screen in screens {
        let _ = writeln!(y, "  {}:", yaml_name(&screen.name));
        let _ = writeln!(y, "    prompt: {}", quoted(&screen.prompt));
        if screen.secret {
            let _ = writeln!(y, "    echo: false");
        }
        if screen.commands.is_empty() {
            let _ = writeln!(y, "    commands: []");
            continue;
        }
        let _ = writeln!(y, "    commands:");
        for (line, answers) in &screen.commands {
            if line.is_empty() && screen.secret {
                // The secret: any line.
                let _ = writeln!(y, "      - regex: \".*\"");
            } else {
                let _ = writeln!(y, "      - match: {}", quoted(line));
            }
            let _ = writeln!(y, "        answers:");
            // The last answer repeats by itself: the same answer again and again is written once.
            let mut answers = answers.as_slice();
            while let [.., (a, ga), (b, gb)] = answers {
                if a != b || ga != gb {
                    break;
                }
                answers = &answers[..answers.len() - 1];
            }
            for (output, _) in answers {
                // Each output line ends with a line end; no line at all is no text.
                let text: String = output.iter().map(|l| format!("{l}\n")).collect();
                let _ = writeln!(y, "          - {}", quoted(&text));
            }
            // Where it leads: the screen its first answer left. (A line that left different
            // screens at different times is rare: `cd` into a directory whose name shows in the
            // prompt goes to one state per directory, each with its own prompt.)
            let gotos: Vec<&str> = answers.iter().map(|(_, n)| screens[*n].name.as_str()).collect();
            if gotos[0] != screen.name {
                let _ = writeln!(y, "        goto: {}", yaml_name(gotos[0]));
            }
            if gotos.iter().any(|g| *g != gotos[0]) {
                let _ = writeln!(y, "        # later it left: {}", gotos[1..].join(", "));
            }
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "\
22 10:00:00.001 <|welcome
                 |moler_bash# 
22 10:00:00.002 >|date
22 10:00:00.003 <|date
                 |Mon
                 |moler_bash# 
22 10:00:00.004 >|su
22 10:00:00.005 <|su
                 |Password: 
22 10:00:00.006 >|********
22 10:00:00.007 <|
                 |root@box# 
22 10:00:00.008  |changed state from UNIX_LOCAL to UNIX_LOCAL_ROOT
22 10:00:00.009 >|exit
22 10:00:00.010 <|exit
                 |moler_bash# 
22 10:00:00.011  |changed state from UNIX_LOCAL_ROOT to UNIX_LOCAL
22 10:00:00.012 >|date
22 10:00:00.013 <|date
                 |Tue
                 |moler_bash# 
";

    #[test]
    fn states_questions_secrets_and_answers_in_turn() {
        let yaml = simulator_yaml(SESSION, "test").unwrap();
        let want = "\
# Recorded by `moler record` from test.
line_end: \"\\r\\n\"
banner: \"welcome\"
initial_state: SCREEN_1
states:
  SCREEN_1:
    prompt: \"moler_bash# \"
    commands:
      - match: \"date\"
        answers:
          - \"Mon\\n\"
          - \"Tue\\n\"
      - match: \"su\"
        answers:
          - \"\"
        goto: SCREEN_2
  SCREEN_2:
    prompt: \"Password: \"
    echo: false
    commands:
      - regex: \".*\"
        answers:
          - \"\\n\"
        goto: UNIX_LOCAL_ROOT
  UNIX_LOCAL_ROOT:
    prompt: \"root@box# \"
    commands:
      - match: \"exit\"
        answers:
          - \"\"
        goto: SCREEN_1
";
        assert_eq!(yaml, want);
    }

    /// The last answer repeats by itself in the simulator: a command answered the same way at
    /// the end again and again is written with that answer once; answers before differ.
    #[test]
    fn the_same_last_answer_again_and_again_is_written_once() {
        let again = "\
22 10:00:00.014 >|date
22 10:00:00.015 <|date
                 |Tue
                 |moler_bash# 
22 10:00:00.016 >|date
22 10:00:00.017 <|date
                 |Tue
                 |moler_bash# 
";
        let yaml = simulator_yaml(&format!("{SESSION}{again}"), "test").unwrap();
        let want = "\
      - match: \"date\"
        answers:
          - \"Mon\\n\"
          - \"Tue\\n\"
      - match:";
        assert!(yaml.contains(want), "{yaml}");
        assert_eq!(yaml.matches("Tue").count(), 1, "{yaml}");
    }

    /// A DEL and C1 controls in what the device printed (YAML refuses them unescaped): the
    /// simulator loads the recording and answers them as recorded.
    #[test]
    fn control_characters_json_leaves_are_escaped_for_yaml() {
        let log = "22 10:00:00.001 <|moler_bash# \n22 10:00:00.002 >|x\n\
                   22 10:00:00.003 <|x\n                 |a\u{7f}b\u{85}c\u{9b}d\u{feff}e\n                 |moler_bash# \n";
        let yaml = simulator_yaml(log, "x.log").unwrap();
        assert!(yaml.contains(r#""a\u007fb\u0085c\u009bd\ufeffe\n""#), "{yaml}");
        let device = moler_sim::Device::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        drop(device);
    }

    /// Nothing typed, no prompt: no device to make (the simulator needs a state); it said so
    /// only when the simulator refused the YAML written.
    #[test]
    fn a_log_without_a_session_is_an_error() {
        for log in [
            "",
            "22 10:00:00.001  |device B (UnixLocal) made, going to UNIX_LOCAL\n",
            "22 10:00:00.001 <|welcome\n                 |\n",
        ] {
            let e = simulator_yaml(log, "x.log").unwrap_err();
            assert!(e.message.contains("nothing to record"), "{log:?}: {e}");
        }
    }

    /// A login's Enter and settings typed ahead of the shell, each in a write of its own (the
    /// order a busy machine gave a live ssh hop): each setting answers at the prompt it was
    /// read at, no state has an empty prompt, and the recording replays the session in order.
    #[test]
    fn lines_typed_ahead_of_the_shell_replay_in_order() {
        let yaml = simulator_yaml(crate::logging::read::tests::TYPED_AHEAD, "x.log").unwrap();
        assert!(!yaml.contains("prompt: \"\""), "{yaml}");
        let device = moler_sim::Device::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let now = std::time::Instant::now();
        let mut session = moler_sim::Session::new(std::sync::Arc::new(device), now);
        let mut screen = String::from_utf8(session.take_output()).unwrap();
        for line in ["", "export TMOUT=\"2678400\"", "export PS1='remote$ '", "whoami"] {
            let answer = session.feed(format!("{line}\n").as_bytes(), now);
            screen.push_str(&String::from_utf8(answer).unwrap());
        }
        assert_eq!(
            screen.replace('\r', ""),
            "user@box:~$ \nuser@box:~$ export TMOUT=\"2678400\"\nuser@box:~$ export PS1='remote$ '\n\
             remote$ whoami\nuser\nremote$ ",
            "{yaml}"
        );
    }

    /// A state the log names as a numbered or a question's name would be (`A_2`, `SCREEN_1`)
    /// is not given the name another state took: each name is defined once, and the file
    /// loads (found by `scripts/fuzz.sh`, target `record`).
    #[test]
    fn names_the_log_gives_never_clash_with_numbered_ones() {
        let log = "\
22 10:00:00.001 <|one$ 
22 10:00:00.002  |changed state from NOT_CONNECTED to A
22 10:00:00.003 >|x
22 10:00:00.004 <|x
                 |two$ 
22 10:00:00.005 >|y
22 10:00:00.006 <|y
                 |three$ 
22 10:00:00.007  |changed state from A to A_2
22 10:00:00.008 >|z
22 10:00:00.009 <|z
                 |Password: 
22 10:00:00.010 >|********
22 10:00:00.011 <|
                 |four$ 
22 10:00:00.012  |changed state from A_2 to SCREEN_1
22 10:00:00.013 >|w
22 10:00:00.014 <|w
                 |five$ 
";
        let yaml = simulator_yaml(log, "moler.D.log").unwrap();
        let states: Vec<&str> = yaml
            .lines()
            .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
            .filter(|l| !l.starts_with(' '))
            .collect();
        let mut unique = states.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), states.len(), "a state defined twice: {states:?}\n{yaml}");
        for name in ["A", "A_2", "A_2_2", "SCREEN_1", "SCREEN_1_2"] {
            assert!(states.contains(&name), "{name} in {states:?}\n{yaml}");
        }
        moler_sim::Device::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    }

    /// A log's state names that YAML, written plain, reads as something else (a number, a
    /// boolean, nothing) are quoted: the recording loads, every state has its name, and each
    /// `goto` leads to the state it names, not to one whose name is the number's other spelling
    /// (found by `scripts/fuzz.sh`, target `record`: a state named with 112 digits).
    #[test]
    fn state_names_that_yaml_reads_as_numbers_or_booleans_keep_their_text() {
        let names = ["10", "010", "1e5", "0x1F", "1_000", "-1", ".5", "yes", "Off", "NULL", "n"];
        let long = "4".repeat(112);
        let names: Vec<&str> = names.into_iter().chain([long.as_str(), "A.b-c_1"]).collect();
        let mut log = String::from("22 10:00:00.000 <|p0$ \n");
        for (i, name) in names.iter().enumerate() {
            let from = if i == 0 { "NOT_CONNECTED" } else { names[i - 1] };
            let _ = write!(
                log,
                "22 10:00:00.{i:03}  |changed state from {from} to {name}\n\
                 22 10:00:00.{i:03} >|cmd{i}\n\
                 22 10:00:00.{i:03} <|cmd{i}\n                 |p{}$ \n",
                i + 1
            );
        }
        let yaml = simulator_yaml(&log, "moler.D.log").unwrap();
        let device = moler_sim::Device::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let index = |name: &str| device.states.iter().position(|s| s.name == name);
        for (i, name) in names.iter().enumerate() {
            let state = device.state(name).unwrap_or_else(|| panic!("no state {name:?}\n{yaml}"));
            assert_eq!(state.prompt, format!("p{i}$ "), "{name}\n{yaml}");
            // Its command leads to the next name's state (the last one's nowhere new).
            if let Some(next) = names.get(i + 1) {
                let goto = state.commands.iter().find_map(|r| r.goto);
                let want = moler_sim::Goto::State(index(next).unwrap());
                assert_eq!(goto, Some(want), "{name} -> {next}\n{yaml}");
            }
        }
        assert_eq!(device.states[device.initial_state].name, names[0], "{yaml}");
    }

    proptest::proptest! {
        /// Any name a log may give a state is recorded so that the simulator loads it as
        /// that name.
        #[test]
        fn any_state_name_a_log_gives_loads_as_itself(name in "[A-Za-z0-9_.-]{1,12}") {
            let log = format!(
                "22 10:00:00.001 <|a$ \n22 10:00:00.002  |changed state from X to {name}\n\
                 22 10:00:00.003 >|ls\n22 10:00:00.004 <|ls\n                 |b$ \n"
            );
            let yaml = simulator_yaml(&log, "moler.D.log").unwrap();
            let device = moler_sim::Device::from_yaml(&yaml);
            let device = device.unwrap_or_else(|e| panic!("{e}\n{yaml}"));
            proptest::prop_assert!(device.state(&name).is_some(), "no state {:?}\n{}", name, yaml);
        }
    }

    /// Two runs appended to one device log (as `moler run` does, run twice): the second
    /// connection's first words are its banner, not part of the answer typed last before it.
    #[test]
    fn each_connection_of_an_appended_log_starts_with_its_banner() {
        let log = "\
01 07:42:24.430  |device LOCAL (UnixLocal) made, going to UNIX_LOCAL
01 07:42:24.434 <|hello
                 |moler_bash# 
01 07:42:24.438  |changed state from NOT_CONNECTED to UNIX_LOCAL
01 07:42:24.439 >|uname -s
01 07:42:24.439 <|uname -s
                 |Linux
                 |moler_bash# 
01 07:42:24.443  |changed state from UNIX_LOCAL to NOT_CONNECTED
01 07:42:24.443  |connection closed
01 07:42:24.443  |device removed
01 07:42:24.491  |device LOCAL (UnixLocal) made, going to UNIX_LOCAL
01 07:42:24.494 <|hello again
                 |moler_bash# 
01 07:42:24.497  |changed state from NOT_CONNECTED to UNIX_LOCAL
01 07:42:24.498 >|ls /etc/hostname
01 07:42:24.499 <|ls /etc/hostname
                 |/etc/hostname
                 |moler_bash# 
";
        let yaml = simulator_yaml(log, "moler.LOCAL.log").unwrap();
        assert!(
            yaml.contains("- match: \"uname -s\"\n        answers:\n          - \"Linux\\n\"\n"),
            "{yaml}"
        );
        assert!(yaml.contains("banner: \"hello\"\n"), "{yaml}");
        assert!(
            yaml.contains("# The log holds 2 connections; the banner is the first's.\n"),
            "{yaml}"
        );
        assert!(yaml.contains("# Connection 2 began otherwise: \"hello again\"\n"), "{yaml}");
        assert!(yaml.contains("- match: \"ls /etc/hostname\"\n        answers:\n          - \"/etc/hostname\\n\"\n"), "{yaml}");
        assert_eq!(yaml.matches("\n  UNIX_LOCAL:\n").count(), 1, "one state: {yaml}");
        assert!(!yaml.contains("SCREEN"), "{yaml}");
        // A connection that closed with an error, with no device made again, cuts too.
        let log = log.replace("  |connection closed\n", "  |connection closed: reset by peer\n");
        let log = log.replace(
            "  |device LOCAL (UnixLocal) made, going to UNIX_LOCAL\n01 07:42:24.494",
            "  |x\n01 07:42:24.494",
        );
        let yaml = simulator_yaml(&log, "moler.LOCAL.log").unwrap();
        assert!(yaml.contains("          - \"Linux\\n\"\n"), "{yaml}");
    }
}
