//! Moler's reference cases of every command family (`commands/fixtures/<family>`: unix, at,
//! adb, juniper, pdu_aten, scpi; imported by `scripts/import-moler-fixtures.py`) through one
//! harness ([`FeedTester`], which users get too): every case of an implemented
//! command, fed whole, line by line and in every chunk size from 1 to 64 bytes, must give the
//! reference result, or the result of a documented deviation (`deviation` says why Moler is
//! wrong; `moler_result` keeps what Moler gave, and the test checks ours differs from it).
//! A case whose echo is not the line sent (a typo in Moler's case, or Moler's own wrong line)
//! has its output changed: `output_change` says why, `moler_output` keeps Moler's.
//!
//! Prompts: a case without a `prompt` parameter is fed whole and line by line with the generic
//! prompt (Moler's `^[^<]*[$%#>~]\s*$`), as Moler's own tests do, and then in every way with
//! the exact prompt a device config would give (the case's final prompt line). Cut into small
//! chunks, the generic prompt is ambiguous: a read that ends right after an output line's `#`
//! or `>` looks like a prompt to any reader of the stream, Moler included. Real devices are
//! configured with their prompt; `chunked_output_with_the_generic_prompt_is_ambiguous` shows
//! the case.

use std::collections::BTreeSet;
use std::path::PathBuf;

use moler_commands::{offline, FeedTester, Registry};
use serde_json::Value;

struct Case {
    file: String,
    command: String,
    kwargs: Value,
    output: String,
    result: Value,
    /// Instead of a result: the command fails with this in its error.
    error_contains: Option<String>,
    deviation: Option<String>,
    moler_result: Option<Value>,
}

/// The command families of Moler's reference cases, each a folder of `commands/fixtures`.
const FAMILIES: [&str; 7] = ["unix", "at", "adb", "juniper", "pdu_aten", "scpi", "uboot"];

/// The registry's name of a family's command: unix names are Moler's own, the others are
/// qualified (`at.get_imsi`), as [`Registry`] says.
fn registered_name(family: &str, command: &str) -> String {
    if family == "unix" {
        command.to_owned()
    } else {
        format!("{family}.{command}")
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for family in FAMILIES {
        family_cases(family, &mut cases);
    }
    cases.sort_by(|a, b| a.file.cmp(&b.file));
    assert!(cases.len() >= 459, "Moler's 459 reference cases are all imported");
    cases
}

fn family_cases(family: &str, cases: &mut Vec<Case>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(family);
    for entry in std::fs::read_dir(&dir).expect("fixtures directory") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        assert!(
            v["origin"].as_str().is_some_and(|o| o.contains("Moler")),
            "{}: every fixture keeps a note of its origin",
            path.display()
        );
        let deviation = v["deviation"].as_str().map(str::to_owned);
        assert_eq!(
            deviation.is_some(),
            v.get("moler_result").is_some(),
            "{}: a deviation keeps Moler's result beside ours",
            path.display()
        );
        assert_eq!(
            v.get("kwargs_change").is_some(),
            v.get("moler_kwargs").is_some(),
            "{}: changed parameters keep Moler's beside ours, and say why",
            path.display()
        );
        assert_eq!(
            v.get("output_change").is_some(),
            v.get("moler_output").is_some(),
            "{}: a changed output keeps Moler's beside ours, and says why",
            path.display()
        );
        if let Some(moler) = v.get("moler_kwargs") {
            assert_ne!(
                moler,
                &v["kwargs"],
                "{}: a parameter change that changes nothing",
                path.display()
            );
        }
        cases.push(Case {
            file: format!("{family}/{}", path.file_name().unwrap().to_string_lossy()),
            command: registered_name(family, v["command"].as_str().unwrap()),
            kwargs: v["kwargs"].clone(),
            output: v["output"].as_str().unwrap().to_owned(),
            result: v["result"].clone(),
            error_contains: v["error_contains"].as_str().map(str::to_owned),
            deviation,
            moler_result: v.get("moler_result").cloned(),
        });
    }
}

/// Feeds one case in every way; returns a description of each way that went wrong.
fn check(registry: &Registry, case: &Case) -> Vec<String> {
    let bytes = case.output.as_bytes();
    let generic = case.kwargs.clone();
    let mut exact = case.kwargs.clone();
    let map = exact.as_object_mut().expect("kwargs are a mapping");
    let final_prompt = Value::String(exact_prompt(&case.output));
    let logs_in = registry
        .command_params(&case.command)
        .is_some_and(|p| p.iter().any(|p| p == "prompt_after_login"));
    match map.get("expected_prompt").cloned() {
        // A login ends at the prompt of the far side: that is the exact one; the settings are
        // still sent at the first prompt matching the case's own regex.
        Some(Value::String(expected)) if logs_in => {
            map.entry("prompt_after_login").or_insert(Value::String(expected));
            map.insert("expected_prompt".into(), final_prompt);
        }
        // `exit` (and `logout`, Moler's exit with another line) too ends at another shell's
        // prompt; the one it leaves is not in the case (and must not be the final one: seeing it
        // again means exit failed).
        // So do the other families' commands that move to another shell (juniper's
        // `configure`, the PDU's `quit`).
        Some(Value::String(_))
            if matches!(case.command.as_str(), "exit" | "logout") || moves(registry, case) =>
        {
            map.insert("expected_prompt".into(), final_prompt);
        }
        // The serial hops end on a prompt they make themselves (cu's `Connected.`, plink's
        // `COM5>`); their `prompt` is the shell's they start from, which the case does not show.
        _ if matches!(case.command.as_str(), "at.cu" | "at.plink_serial") => {}
        // Such a command's end prompt may come from its other parameters (adb_shell's from the
        // serial number); the final line is never the prompt it starts from.
        _ if moves(registry, case) => {}
        _ => {
            map.entry("prompt").or_insert(final_prompt);
        }
    }
    // 68 feeds: whole and line by line with the generic prompt, then whole, line by line and
    // every chunk size from 1 to 64 with the exact one.
    let ways = [
        (FeedTester::whole_and_lines(), &generic, ""),
        (FeedTester::new(), &exact, ", exact prompt"),
    ];
    for kwargs in [&generic, &exact] {
        if let Err(e) = registry.command(&case.command, kwargs) {
            return vec![format!("cannot build: {e}")];
        }
    }
    let mut problems = Vec::new();
    for (tester, kwargs, suffix) in ways {
        let command = |_| registry.command(&case.command, kwargs).map_err(|e| e.to_string());
        let judge = |outcome: moler_core::Result<Value>| match (outcome, &case.error_contains) {
            (Err(e), Some(want)) if e.to_string().contains(want.as_str()) => Ok(()),
            (Ok(got), None) if got == case.result => Ok(()),
            (outcome, Some(want)) => {
                Err(format!("expected a failure with {want:?}, got {outcome:?}"))
            }
            (Ok(got), None) => Err(format!("got\n    {got}\n  expected\n    {}", case.result)),
            (Err(e), None) => Err(format!("failed: {e}")),
        };
        for problem in tester.check(bytes, command, judge) {
            let (how, what) = problem.split_once(": ").expect("a feed, then the problem");
            problems.push(format!("{how}{suffix}: {what}"));
        }
    }
    problems.truncate(2);
    problems
}

/// Whether the case's command is one of the other families' (not unix) that moves to another
/// shell: it takes an `expected_prompt`.
fn moves(registry: &Registry, case: &Case) -> bool {
    moler_commands::family_of(&case.command) != "unix"
        && registry
            .command_params(&case.command)
            .is_some_and(|p| p.iter().any(|p| p == "expected_prompt"))
}

/// The prompt regex a device config would give for the shell of this case: its last line.
fn exact_prompt(output: &str) -> String {
    let last = output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    format!(r"^{}\s*$", regex::escape(last.trim_end()))
}

#[test]
fn chunked_output_with_the_generic_prompt_is_ambiguous() {
    let registry = Registry::default();
    let cat = |prompt: Option<&str>| {
        let mut params = serde_json::json!({"path": "f"});
        if let Some(p) = prompt {
            params["prompt"] = p.into();
        }
        registry.command("cat", &params).unwrap()
    };
    let output = b"host:~ # cat f\n  1\t# a comment\nhost:~ # ";
    let cut = output.iter().position(|&b| b == b'#').unwrap();
    let cut = cut + 1 + output[cut + 1..].iter().position(|&b| b == b'#').unwrap() + 1;
    let pieces = [&output[..cut], &output[cut..]];
    let generic = offline::parse(cat(None), pieces).unwrap();
    assert_eq!(generic["LINES"], serde_json::json!([]), "'  1\t#' read alone looks like a prompt");
    let exact = offline::parse(cat(Some(r"^host:~ #\s*$")), pieces).unwrap();
    assert_eq!(exact["LINES"], serde_json::json!(["  1\t# a comment"]));
}

#[test]
fn every_case_of_an_implemented_command_gives_moler_s_result() {
    let registry = Registry::default();
    let implemented: BTreeSet<&str> = registry.command_names().collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases().iter().filter(|c| implemented.contains(c.command.as_str())) {
        if let Some(missing) = embeds_a_missing_command(&registry, case) {
            // Listed: `only_cases_embedding_commands_outside_the_issue_s_list_are_skipped`.
            eprintln!(
                "*** NOT CHECKED YET {}: it embeds `{missing}`, not in the library ***",
                case.file
            );
            continue;
        }
        ran += 1;
        for problem in check(&registry, case) {
            failures.push(format!("{} ({}): {problem}", case.file, case.command));
        }
    }
    eprintln!("{ran} reference cases checked, each in 68 feeds");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Every case's command types the line the case's output shows typed: the output's first line
/// with text ends with the command line built from the case's parameters (its first line, for a
/// script typed over several lines). The result checks above cannot see a wrong command line:
/// the echo is looked for as typed, whatever it is. Listed apart: the cases of commands that
/// send keys rather than a line (they must type nothing), and two cases whose own output shows
/// a line that their parameters do not build in Moler either (they must really differ).
#[test]
fn every_case_types_the_line_its_output_shows() {
    use moler_core::Observer;
    const KEYS: [&str; 7] = [
        "pdu_aten/exit_telnet__default.json",
        "scpi/exit_telnet__default.json",
        "uboot/stop_autoboot__power_on.json",
        "unix/ctrl_c__default.json",
        "unix/ctrl_z__default.json",
        "unix/enter__ver_execute.json",
        "unix/exit_telnet__default.json",
    ];
    // Moler builds `cd /home/ute` and `find Doc -name 'my*' -type f` from these parameters too.
    const SHOWS_ANOTHER: [&str; 2] =
        ["unix/cd__ver_execute.json", "unix/find__no_files_found.json"];
    let registry = Registry::default();
    let (mut compared, mut failures) = (0, Vec::new());
    for case in cases() {
        // A case that cannot be built fails `every_case_of_an_implemented_command_gives_moler_s_result`
        // (or is a command not in the library yet).
        let Ok(observer) = registry.command(&case.command, &case.kwargs) else { continue };
        let described = observer.describe();
        let line =
            described.strip_prefix("command '").and_then(|d| d.strip_suffix('\'')).unwrap_or_else(
                || panic!("{}: a command describes itself by its line: {described}", case.file),
            );
        let typed = line.lines().next().unwrap_or("");
        let shown = case.output.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim_end();
        let file = case.file.as_str();
        if KEYS.contains(&file) {
            if !line.is_empty() {
                failures.push(format!("{file}: sends keys, yet types {line:?}"));
            }
        } else if SHOWS_ANOTHER.contains(&file) {
            if shown.ends_with(typed) {
                failures
                    .push(format!("{file}: listed as showing another line, yet shows {typed:?}"));
            }
        } else if typed.is_empty() || !shown.ends_with(typed) {
            failures.push(format!("{file}: types {typed:?}, the case shows {shown:?}"));
        } else {
            compared += 1;
        }
    }
    assert!(compared >= 440, "only {compared} cases compared");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The commands listed in `fixtures/not_yet.txt` (by their registry names, `at.get_imsi`):
/// reference cases moler-rs cannot check yet.
fn not_yet() -> BTreeSet<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/not_yet.txt");
    let text = std::fs::read_to_string(&path).expect("fixtures/not_yet.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// No reference case goes unchecked in silence: each belongs to an implemented command or to one
/// listed in `fixtures/not_yet.txt`, and the list (printed every run) names no implemented one.
#[test]
fn every_reference_case_is_checked_or_listed_as_not_yet() {
    let registry = Registry::default();
    let implemented: BTreeSet<&str> = registry.command_names().collect();
    let listed = not_yet();
    let cases = cases();
    let mut problems = Vec::new();
    for name in &listed {
        if implemented.contains(name.as_str()) {
            problems.push(format!("`{name}` is implemented now: take it off fixtures/not_yet.txt"));
        }
        if !cases.iter().any(|c| &c.command == name) {
            problems.push(format!("`{name}` (fixtures/not_yet.txt) has no reference case"));
        }
    }
    let mut unchecked = 0;
    for case in &cases {
        if implemented.contains(case.command.as_str()) {
            continue;
        }
        unchecked += 1;
        if !listed.contains(&case.command) {
            problems.push(format!(
                "{}: `{}` is neither implemented nor listed in fixtures/not_yet.txt",
                case.file, case.command
            ));
        }
    }
    let names: Vec<&str> = listed.iter().map(String::as_str).collect();
    // Straight to the process's stderr: libtest captures `eprintln!` of passing tests, and the
    // gap must be seen.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** NOT CHECKED YET: {unchecked} of {} reference cases, of {} commands not in the \
         library (commands/fixtures/not_yet.txt): {} ***",
        cases.len(),
        names.len(),
        names.join(" ")
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The command a `sudo`/`su` case embeds when the library lacks it.
fn embeds_a_missing_command(registry: &Registry, case: &Case) -> Option<String> {
    let class = case.kwargs["cmd_class_name"].as_str()?;
    let name = class.rsplit('.').nth(1).unwrap_or(class);
    registry.command_params(name).is_none().then(|| name.to_owned())
}

#[test]
fn only_cases_embedding_commands_outside_the_issue_s_list_are_skipped() {
    let registry = Registry::default();
    let skipped: Vec<String> = cases()
        .iter()
        .filter(|c| embeds_a_missing_command(&registry, c).is_some())
        .map(|c| c.file.clone())
        .collect();
    assert!(skipped.is_empty(), "{skipped:?}: every command sudo embeds is in the library");
}

#[test]
fn every_implemented_command_has_a_reference_case() {
    let registry = Registry::default();
    let cases = cases();
    let mut covered: BTreeSet<&str> = cases.iter().map(|c| c.command.as_str()).collect();
    // Moler's module name of the command the reference cases call `7z`.
    if covered.contains("7z") {
        covered.insert("seven_z");
    }
    let missing: Vec<&str> = registry.command_names().filter(|n| !covered.contains(n)).collect();
    assert!(missing.is_empty(), "commands without a fixture: {missing:?}");
}

#[test]
fn documented_deviations_really_differ_from_moler() {
    for case in cases() {
        if let (Some(why), Some(moler)) = (&case.deviation, &case.moler_result) {
            assert!(why.len() > 20, "{}: say why Moler is wrong", case.file);
            assert_ne!(&case.result, moler, "{}: a deviation that changes nothing", case.file);
        }
    }
}
