//! Bad input never panics a parser: every command of the registry gets its reference output
//! with random lines mixed in (garbage, huge numbers, CRLF, ANSI colours, odd dates, cut
//! lines), and must end with a result or a clear error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use moler_commands::{offline, Registry};
use moler_core::Error;
use proptest::prelude::*;
use serde_json::Value;

/// One reference case per command of every family: its parameters and output lines (the
/// registry's names: unix commands by Moler's, the others qualified, `pdu_aten.read_status`).
fn samples() -> BTreeMap<String, (Value, Vec<String>)> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = BTreeMap::new();
    let registry = Registry::default();
    let known: Vec<&str> = registry.command_names().collect();
    let mut files: Vec<_> = ["unix", "at", "adb", "juniper", "pdu_aten", "scpi"]
        .iter()
        .flat_map(|family| std::fs::read_dir(fixtures.join(family)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let family = path.parent().unwrap().file_name().unwrap().to_string_lossy();
        let command = v["command"].as_str().unwrap();
        let name =
            if family == "unix" { command.to_owned() } else { format!("{family}.{command}") };
        let builds = || registry.command(&name, &v["kwargs"]).is_ok();
        if known.contains(&name.as_str()) && !out.contains_key(&name) && builds() {
            let lines = v["output"].as_str().unwrap().lines().map(str::to_owned).collect();
            out.insert(name, (v["kwargs"].clone(), lines));
        }
    }
    out
}

fn nasty_line() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,120}",
        "[0-9]{15,40}( [0-9]{15,40}){0,8}",
        "\\x1b\\[[0-9;]{0,8}m[a-z./ -]{0,30}\\x1b\\[0m",
        "[-drwxlst]{10}[.+]? [0-9]{1,3} [a-z]{1,8} [a-z]{1,8} [0-9.KMGT, ]{1,12} [A-Za-z0-9: -]{3,20} .{0,30}",
        "(Mon|Tue|Feb|UTC|CET)[ 0-9:+-]{0,30}",
        "[a-zA-Z_%]{1,12}[=:] ?.{0,40}",
        "[ \t]{0,10}[0-9.]{1,10}[ \t]+[/.a-z]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(
        garbage in prop::collection::vec((nasty_line(), any::<bool>(), 0usize..64), 0..24),
        cut in 1usize..64,
    ) {
        let registry = Registry::default();
        for (name, (params, lines)) in samples() {
            // The echo line first, then valid and random lines mixed, then the prompt.
            let mut text = String::new();
            let (body, last) = lines.split_at(lines.len().saturating_sub(1));
            for (i, line) in body.iter().enumerate() {
                text.push_str(line);
                text.push_str(if i % 2 == 0 { "\n" } else { "\r\n" });
                if let Some((g, crlf, _)) = garbage.get(i) {
                    text.push_str(g);
                    text.push_str(if *crlf { "\r\n" } else { "\n" });
                }
            }
            for (g, _, at) in garbage.iter().skip(body.len()) {
                // A cut line: only part of it.
                let end = (0..=(*at).min(g.len())).rev().find(|&e| g.is_char_boundary(e)).unwrap_or(0);
                text.push_str(&g[..end]);
                text.push('\n');
            }
            text.push_str(last.first().map(String::as_str).unwrap_or("$ "));
            let command = registry.command(&name, &params).unwrap();
            let bytes = text.as_bytes();
            // Any outcome is fine but a panic (the connection turns one into this error).
            let outcome = offline::parse(command, bytes.chunks(cut));
            prop_assert!(
                !matches!(outcome, Err(Error::ObserverPanicked { .. })),
                "{name} panicked on {text:?}: {outcome:?}"
            );
        }
    }
}

#[test]
fn invalid_utf8_and_truncated_output_give_clear_results() {
    let registry = Registry::default();
    let ls = registry.command("ls", &serde_json::json!({"options": "-l"})).unwrap();
    let out =
        offline::parse(ls, [&b"$ ls -l\n-rw-r--r-- 1 a b 5 Nov 21 09:00 caf\xe9\n$ "[..]]).unwrap();
    assert!(out["files"].as_object().unwrap().keys().any(|k| k.starts_with("caf")), "{out}");

    let ps = registry.command("ps", &serde_json::json!({"options": "-ef"})).unwrap();
    let err = offline::parse(ps, [&b"$ ps -ef\nUID PID PPID C STIME TTY TIME CMD\nroot 1 0"[..]]);
    let err = err.unwrap_err().to_string();
    assert!(err.contains("ends before the command finished"), "{err}");
}

#[test]
fn the_other_families_are_sampled_too() {
    let names: Vec<String> = samples().into_keys().collect();
    for family in ["adb", "juniper", "pdu_aten", "scpi"] {
        let prefix = format!("{family}.");
        assert!(names.iter().any(|n| n.starts_with(&prefix)), "no {family} command: {names:?}");
    }
}

/// Every parameter that is a regex (prompts, `*_regex`, `*_indication`; not `set_prompt`, a
/// command, nor `file_pattern`, a glob) given one that does not compile is refused when the
/// command is built, naming it. Before, a hop's `prompt_after_login` (`su`, `sudo`, `telnet`,
/// `exit_telnet`) was read as text, and a bad `expected_prompt` of `cd`, `exit`, `su`… was
/// called an invalid `prompt`.
#[test]
fn a_bad_regex_parameter_is_refused_by_name() {
    let registry = Registry::default();
    let not_regexes = ["set_prompt", "allowed_newline_after_prompt", "prompt_from_serial_number"];
    let is_regex = |p: &str| {
        let named = p.contains("prompt") || p.contains("regex") || p.ends_with("indication");
        named && !not_regexes.contains(&p)
    };
    let mut checked = 0;
    for (name, (kwargs, _)) in samples() {
        let params = registry.command_params(&name).expect("a registered command");
        for p in params.iter().filter(|p| is_regex(p)) {
            let mut bad = if kwargs.is_object() { kwargs.clone() } else { serde_json::json!({}) };
            bad[p] = "(oops".into();
            let err = match registry.command(&name, &bad) {
                Ok(_) => panic!("{name}: {p} \"(oops\" accepted"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(&format!("invalid {p} regex")), "{name}, {p}: {err}");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} regex parameters");
}
