//! Device files: every mistake at once, each as `file:line:column: message`.

use moler_sim::Device;

fn errors(yaml: &str) -> Vec<String> {
    let dir = moler_testkit::TempDir::new("sim-format");
    let file = dir.join(format!("d{}.yml", yaml.len()));
    std::fs::write(&file, yaml).unwrap();
    let e = Device::from_file(&file).unwrap_err();
    let prefix = format!("{}:", file.display());
    e.to_string()
        .lines()
        .map(|l| l.strip_prefix(&prefix).unwrap_or_else(|| panic!("{l} names its file")).to_owned())
        .collect()
}

#[test]
fn mistakes_are_reported_with_their_place_and_a_did_you_mean() {
    let yaml = "\
line_end: \"\\t\"
echo: maybe
initial_state: shel
states:
  SHELL:
    promt: \"$ \"
    commands:
      - {match: a, answr: x}
      - {regex: '(', goto: ROOT}
      - {match: b, answer: x, answer_file: f.txt}
      - {answer: nothing to match}
      - {match: c, answer_file: missing.txt}
      - {match: d, page: {lines: 0}}
      - {match: e, stream: {every_ms: -1}}
      - {match: f, ask: {prompt: 'Sure? ', expect: yes}}
";
    let want = [
        "1:11: line_end must be \"\\r\\n\", \"\\n\" or \"\\r\", not \"\\t\"",
        "2:7: echo must be true or false, not text \"maybe\"",
        "3:16: unknown state `shel`; did you mean SHELL?",
        "6:5: unknown key `promt`; did you mean prompt?",
        "6:5: state SHELL has no `prompt`",
        "8:20: unknown key `answr`; did you mean answer?",
        "9:17: invalid regex: error: unclosed group",
        "9:28: unknown state `ROOT`; the states are SHELL",
        "10:31: a command has one of `answer`, `answer_file` or `answers`, not two",
        "11:9: a command needs `match` (exact text) or `regex`",
        "12:33: cannot read ", // then the absolute path and the OS's reason
        "13:34: page.lines must be at least 1",
        "14:28: stream needs `line`",
        "14:39: stream.every_ms must be a whole number >= 0, not a number (-1)",
        "15:52: ask.expect must be text; YAML reads yes/no/true/false as a boolean: quote it",
    ];
    let got = errors(yaml);
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(want) {
        assert!(g.starts_with(w), "got {g:?}, want {w:?}");
    }
}

#[test]
fn a_syntax_error_has_its_place() {
    assert_eq!(errors("states:\n  S: {prompt: x\n"), ["2:6: invalid YAML: unclosed bracket '{'"]);
}

#[test]
fn a_file_without_states_says_so() {
    assert_eq!(errors("banner: hi\n"), ["1:1: no `states`: a device needs at least one state"]);
}

/// A part that must be a mapping given as something else, and states given as an empty
/// mapping, are named; a part left empty (`login:` with nothing) is not of the wrong shape.
#[test]
fn parts_of_the_wrong_shape_are_named() {
    let got = errors("login: 5\nstates: {}\n");
    assert_eq!(
        got,
        [
            "1:8: login must be a mapping, not a number (5)",
            "1:8: login needs `users` (name: password)",
            "2:9: `states` must be a mapping of state names to states",
        ]
    );
    // Left empty, it is only missing what it needs.
    assert_eq!(
        errors("login:\nstates:\n  S: {prompt: '$ '}\n"),
        ["1:6: login needs `users` (name: password)"]
    );
    // So are a state's commands: a list, or nothing.
    assert_eq!(
        errors("states:\n  S: {prompt: '$ ', commands: }\n  T: {prompt: '# ', commands: 5}\n"),
        ["3:31: commands must be a list"]
    );
}

/// A command with both `match` and `regex`, or with an empty list of `answers`, is named;
/// `reboot: true` is a reboot after its default time.
#[test]
fn a_commands_keys_are_checked_together() {
    let yaml = "\
states:
  S:
    prompt: '$ '
    commands:
      - {match: a, regex: b, answer: x}
      - {match: c, answers: []}
      - {match: d, reboot: true}
";
    assert_eq!(
        errors(yaml),
        [
            "5:20: a command has one `match` or one `regex`, not both",
            "6:29: answers must be a list of answers (text, or {answer_file: path})",
        ]
    );
}
