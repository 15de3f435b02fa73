//! The `moler` command-line tool, run as a user runs it: a real process, a real bash, real files.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn moler(args: &[&str]) -> Output {
    moler_with_input(args, None)
}

/// `moler` with `args` started, its standard input and error piped, its output `stdout` (no
/// config from the environment).
fn spawn_moler(args: &[&str], stdout: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_moler"))
        .args(args)
        .env_remove("MOLER_CONFIG")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the moler binary runs")
}

fn moler_with_input(args: &[&str], input: Option<&str>) -> Output {
    let mut child = spawn_moler(args, Stdio::piped());
    let mut stdin = child.stdin.take().expect("piped");
    if let Some(input) = input {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// `moler` with `args` and `$MOLER_CONFIG` set to `config`.
fn moler_with_config_var(args: &[&str], config: impl AsRef<std::ffi::OsStr>) -> Output {
    let mut moler = Command::new(env!("CARGO_BIN_EXE_moler"));
    moler.args(args).env("MOLER_CONFIG", config).output().expect("the moler binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: stdout {:?} stderr {:?}", out.stdout, String::from_utf8_lossy(&out.stderr))
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moler-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A scratch folder holding [`DEVICES`] as `devices.yml`, and that file.
fn devices_config(tag: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(tag);
    let file = dir.join("devices.yml");
    std::fs::write(&file, DEVICES).unwrap();
    (dir, file)
}

#[test]
fn run_on_the_local_shell_prints_the_result_as_json() {
    let dir = scratch("run");
    std::fs::write(dir.join("a.txt"), "x").unwrap();
    let out = moler(&[
        "run",
        "ls",
        "--param",
        "options=-l",
        "--param",
        &format!("path={}", dir.display()),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["files"]["a.txt"]["size_raw"], "1");
    let out = moler(&["run", "whoami"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let user = String::from_utf8(Command::new("whoami").output().unwrap().stdout).unwrap();
    assert_eq!(json(&out)["USER"], user.trim());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let failed = moler(&["run", "cat", "--params", "{\"path\": \"/nonexistent/file\"}"]);
    assert_eq!(code(&failed), 1, "a failing command: {}", stderr(&failed));
    assert!(stderr(&failed).contains("No such file or directory"), "{}", stderr(&failed));

    let timeout = moler(&[
        "run",
        "tail",
        "--param",
        "options=-f",
        "--param",
        "path=/dev/null",
        "--timeout",
        "1",
    ]);
    assert_eq!(code(&timeout), 3, "a timeout: {}", stderr(&timeout));
    assert!(stderr(&timeout).contains("timed out"), "{}", stderr(&timeout));

    let unknown = moler(&["run", "whoam"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("unknown command 'whoam'"), "{}", stderr(&unknown));

    let bad_param = moler(&["run", "ls", "--param", "opshuns=-l"]);
    assert_eq!(code(&bad_param), 2);
    assert!(
        stderr(&bad_param).contains("accepted parameters: options, path"),
        "{}",
        stderr(&bad_param)
    );

    let not_a_map = moler(&["run", "ls", "--params", "[1, 2]"]);
    assert_eq!(code(&not_a_map), 2, "{}", stderr(&not_a_map));

    let usage = moler(&["run", "ls", "--params", "{}", "--param", "a=b"]);
    assert_eq!(code(&usage), 2, "--params and --param together");

    let no_config = moler(&["run", "--device", "X", "pwd"]);
    assert_eq!(code(&no_config), 2, "--device needs --config");
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["parse", "--help"],
        vec!["devices", "--help"],
        vec!["check-config", "--help"],
        vec!["commands", "--help"],
    ] {
        let out = moler(&args);
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: moler"), "{args:?}");
    }
    let out = moler(&["commands"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ls ") && text.contains("wait4prompt"), "{text}");
}

#[test]
fn commands_lists_every_name_in_one_column_and_one_name_in_detail() {
    let out = moler(&["commands"]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    // Every listed name's parameters start in the same column, however long the name.
    let columns: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| {
            l.trim_start()
                .find(' ')
                .map_or(0, |i| 2 + i + l[2 + i..].find(|c| c != ' ').unwrap_or(0))
        })
        .collect();
    assert!(columns.len() > 150, "{text}");
    assert!(columns.iter().all(|c| *c == columns[0]), "{text}");
    let out = moler(&["commands", "ping"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    // Required or not, read from the command itself; where a left-out one's value comes from.
    assert_eq!(
        text,
        "command ping, parameters:\n\
         \x20 destination    required\n\
         \x20 options        optional\n\
         \x20 prompt         optional: a regex; the prompt of the device state or shell it runs in\n\
         \x20 timeout        optional: seconds; the command's own\n\
         \x20 newline_chars  optional: the connection's newline\n"
    );
    let out = moler(&["commands", "gzip"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        let line = text.lines().find(|l| l.split_whitespace().next() == Some(name));
        line.map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
    };
    assert_eq!(line("file_name").as_deref(), Some("required"), "{text}");
    assert_eq!(line("overwrite").as_deref(), Some("optional, default false"), "{text}");
    let out = moler(&["commands", "wait4prompt"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("event wait4prompt, parameters:\n"), "{text}");
    assert!(text.lines().any(|l| l.ends_with(" required")), "{text}");
    // The same as JSON, for tools: one name, and the whole catalogue.
    let out = moler(&["commands", "ping", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ping: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ping["kind"], "command");
    assert_eq!(ping["parameters"][0], serde_json::json!({"name": "destination", "required": true}));
    assert_eq!(
        ping["parameters"][1],
        serde_json::json!({"name": "options", "required": false, "default": null})
    );
    assert_eq!(ping["parameters"][3]["note"], "seconds; the command's own");
    let out = moler(&["commands", "--json"]);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let commands = all["commands"].as_object().unwrap();
    assert!(commands.len() > 150 && all["events"]["wait4prompt"].is_array(), "{all}");
    assert_eq!(commands["ping"], ping["parameters"]);
    let unknown = commands.values().chain(all["events"].as_object().unwrap().values());
    let unknown = unknown.flat_map(|p| p.as_array().unwrap()).filter(|p| p["required"].is_null());
    assert_eq!(unknown.count(), 0, "every parameter is known to be required or not");
    let out = moler(&["commands", "pnig", "--json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("did you mean 'ping'?"), "{}", stderr(&out));
    let out = moler(&["commands", "pnig"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        "moler: no command or event 'pnig' (did you mean 'ping'?); `moler commands` lists them"
    );
    // A misspelt name to run says the name it looks like, without every other one.
    let out = moler(&["run", "pnig"]);
    assert_eq!(stderr(&out).trim(), "moler: unknown command 'pnig' (did you mean 'ping'?)");
}

#[test]
fn parse_reads_a_file_or_standard_input() {
    let captured = "host:~ # ls -l\ntotal 4\n-rw-r--r-- 1 a b 5 Nov 21 09:00 f.txt\nhost:~ # ";
    let dir = scratch("parse");
    let file = dir.join("captured.txt");
    std::fs::write(&file, captured).unwrap();
    let args = ["parse", "ls", "--params", "{\"options\": \"-l\"}", "--prompt", "^host:~ # "];
    let from_file = moler(&[&args[..], &[file.to_str().unwrap()]].concat());
    assert_eq!(code(&from_file), 0, "{}", stderr(&from_file));
    assert_eq!(json(&from_file)["files"]["f.txt"]["owner"], "a");
    let from_stdin = moler_with_input(&[&args[..], &["-"]].concat(), Some(captured));
    assert_eq!(json(&from_stdin), json(&from_file));
    let incomplete = moler_with_input(&args, Some("host:~ # ls -l\ntotal 4\n"));
    assert_eq!(code(&incomplete), 1, "no final prompt: {}", stderr(&incomplete));
    let missing = moler(&["parse", "ls", "/nonexistent/capture"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("/nonexistent/capture"), "{}", stderr(&missing));
    std::fs::remove_dir_all(dir).unwrap();
}

const DEVICES: &str = "\
DEVICES:
  LOCAL:
    DEVICE_CLASS: moler.device.unixlocal.UnixLocal
  OTHER:
    DEVICE_CLASS: UnixLocal
";

#[test]
fn devices_and_check_config_read_moler_yaml() {
    let (dir, good) = devices_config("config");
    let out = moler(&["check-config", good.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 2 device(s) (LOCAL, OTHER)"));

    let out = moler(&["devices", "--config", good.to_str().unwrap(), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listed = json(&out);
    assert_eq!(listed[0]["name"], "LOCAL");
    assert_eq!(listed[0]["class"], "UnixLocal");
    assert_eq!(listed[0]["initial_state"], "UNIX_LOCAL");
    assert_eq!(listed[0]["hops"][0]["command"], "su");
    let text = moler(&["devices", "--config", good.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("UNIX_LOCAL -> UNIX_LOCAL_ROOT: su"));

    let bad = dir.join("broken.yml");
    std::fs::write(&bad, "DEVICES:\n  X:\n    DEVICE_CLASS: UnixRemot\n").unwrap();
    let out = moler(&["check-config", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("broken.yml:3:19: DEVICES.X.DEVICE_CLASS: unknown device class `UnixRemot`; did you mean UnixRemote?"),
        "{}",
        stderr(&out)
    );
    let out = moler(&["check-config", dir.join("missing.yml").to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.yml"), "{}", stderr(&out));
    std::fs::remove_dir_all(dir).unwrap();
}

/// `devices` and `check-config` take the file as `run` does (`--config FILE`, `$MOLER_CONFIG`)
/// and as a plain argument, alike; with none of them they say what is missing.
#[test]
fn devices_and_check_config_take_the_file_every_way() {
    let (dir, good) = devices_config("config-ways");
    let path = good.to_str().unwrap();
    for command in ["devices", "check-config"] {
        let plain = moler(&[command, path]);
        assert_eq!(code(&plain), 0, "{command} FILE: {}", stderr(&plain));
        let flag = moler(&[command, "--config", path]);
        assert_eq!(code(&flag), 0, "{command} --config FILE: {}", stderr(&flag));
        assert_eq!(plain.stdout, flag.stdout, "{command}");
        let child = moler_with_config_var(&[command], path);
        assert_eq!(code(&child), 0, "{command} with $MOLER_CONFIG: {}", stderr(&child));
        assert_eq!(child.stdout, plain.stdout, "{command} with $MOLER_CONFIG");
        let none = moler(&[command]);
        assert_eq!(code(&none), 2, "{command} without a file");
        assert!(
            stderr(&none).contains("no config file: give FILE"),
            "{command}: {}",
            stderr(&none)
        );
        // A file named on the command line wins over $MOLER_CONFIG (here one that is not there).
        let over = moler_with_config_var(&[command, path], dir.join("not-there.yml"));
        assert_eq!(code(&over), 0, "{command} FILE beside $MOLER_CONFIG: {}", stderr(&over));
        assert_eq!(over.stdout, plain.stdout, "{command} FILE beside $MOLER_CONFIG");
        let both = moler(&[command, path, "--config", path]);
        assert_eq!(code(&both), 2, "{command} given the file twice: {}", stderr(&both));
    }
    // An empty $MOLER_CONFIG is named as such (clap alone names the flag the user never typed);
    // a file given on the command line still wins over it.
    for args in [&["devices"][..], &["check-config"], &["run", "pwd"]] {
        let out = moler_with_config_var(args, "");
        assert_eq!(code(&out), 2, "{args:?} with an empty $MOLER_CONFIG: {}", stderr(&out));
        assert!(
            stderr(&out).contains("$MOLER_CONFIG is set but empty"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    for args in [&["devices", "--config", path][..], &["devices", path], &["check-config", path]] {
        let given = moler_with_config_var(args, "");
        assert_eq!(code(&given), 0, "{args:?} beside an empty $MOLER_CONFIG: {}", stderr(&given));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `--param KEY=VALUE` reads the value as JSON, but a number where the command wants text is
/// the text typed: `1e5` stays `1e5` (not `100000.0`, not refused), on the local shell and on a
/// device; a number the command takes as a number stays one.
#[test]
fn a_param_typed_as_a_number_where_text_is_wanted_is_the_text_typed() {
    let out = moler(&["run", "echo", "--param", "text=1e5"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["RESULT"], serde_json::json!(["1e5"]));
    let (dir, file) = devices_config("numbers");
    let file = file.to_str().unwrap();
    let out = moler(&["run", "--config", file, "--device", "LOCAL", "echo", "--param", "text=-0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["RESULT"], serde_json::json!(["-0"]));
    // `timeout` is a number: `30` stays one (the text "30" is refused).
    let out = moler(&["run", "echo", "--param", "text=x", "--param", "timeout=30"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = moler(&["run", "echo", "--param", "text=x", "--param", "timeout=\"30\""]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    std::fs::remove_dir_all(dir).unwrap();
}

/// `--params` (YAML or JSON) takes a number where text is wanted as written too, for `moler
/// run` and `moler parse`; a number the command takes as a number stays one.
#[test]
fn numbers_in_params_where_text_is_wanted_are_the_text_written() {
    for params in ["{text: 0123, timeout: 30}", "{\"text\": 1e5}", "text: 1e5"] {
        let out = moler(&["run", "echo", "--params", params]);
        assert_eq!(code(&out), 0, "{params}: {}", stderr(&out));
        let written = params.split(['{', '}', ',', ' ']).find(|w| w.starts_with(['0', '1']));
        assert_eq!(json(&out)["RESULT"], serde_json::json!([written.unwrap()]), "{params}");
    }
    // Offline: the capture's command line is the text written.
    let capture = "host# echo '0123'\n0123\nhost# ";
    let args = ["parse", "echo", "--params", "text: 0123", "--prompt", "^host# $"];
    let out = moler_with_input(&args, Some(capture));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["RESULT"], serde_json::json!(["0123"]));
}

#[test]
fn numbers_json_cannot_hold_in_params_are_the_text_written() {
    // As in a config (and in PyYAML): read as numbers, the text written where text is wanted.
    for (params, written) in [("{text: 1e999}", "1e999"), ("text: .Inf", ".Inf")] {
        let out = moler(&["run", "echo", "--params", params]);
        assert_eq!(code(&out), 0, "{params}: {}", stderr(&out));
        assert_eq!(json(&out)["RESULT"], serde_json::json!([written]), "{params}");
    }
    // Where a number is wanted, refused by name (not null: the default timeout, silently).
    let out = moler(&["run", "ls", "--params", "{timeout: .inf}"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let refused =
        "moler: ls: parameter `timeout`: must be a positive number of seconds, not \".inf\"";
    assert_eq!(stderr(&out).trim_end(), refused);
    // Offline too.
    let capture = "host# echo '-.nan'\n-.nan\nhost# ";
    let args = ["parse", "echo", "--params", "text: -.nan", "--prompt", "^host# $"];
    let out = moler_with_input(&args, Some(capture));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["RESULT"], serde_json::json!(["-.nan"]));
    // Text that reads neither way keeps the reader's error.
    let out = moler(&["run", "ls", "--params", "{timeout: [}"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).starts_with("moler: parameters: neither JSON"), "{}", stderr(&out));
}

#[test]
fn run_on_a_configured_device() {
    let (dir, file) = devices_config("device");
    let file = file.to_str().unwrap();
    let ambiguous = moler(&["run", "--config", file, "pwd"]);
    assert_eq!(code(&ambiguous), 2);
    assert!(stderr(&ambiguous).contains("pick one with --device (LOCAL, OTHER)"));
    let out =
        moler(&["run", "--config", file, "--device", "LOCAL", "--state", "UNIX_LOCAL", "pwd"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(json(&out)["full_path"].as_str().unwrap().starts_with('/'));
    let wrong_state =
        moler(&["run", "--config", file, "--device", "LOCAL", "--state", "UNIX_LOKAL", "pwd"]);
    assert_eq!(code(&wrong_state), 2);
    assert!(stderr(&wrong_state).contains("did you mean UNIX_LOCAL"), "{}", stderr(&wrong_state));
    let wrong_device = moler(&["run", "--config", file, "--device", "LOCL", "pwd"]);
    assert_eq!(code(&wrong_device), 2);
    // $MOLER_CONFIG stands in for --config.
    let out = moler_with_config_var(&["run", "--device", "OTHER", "pwd"], file);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Runs `moler` with its standard output a pipe whose reader is already gone, as at the end
/// of `moler … | head -1` once head has exited: every write fails with EPIPE.
fn moler_into_a_closed_pipe(args: &[&str], input: Option<&str>) -> Output {
    let (reader, writer) = rustix::pipe::pipe().unwrap();
    drop(reader);
    let mut child = spawn_moler(args, Stdio::from(writer));
    let mut stdin = child.stdin.take().expect("piped");
    if let Some(input) = input {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_standard_output_ends_every_subcommand_quietly() {
    let (dir, config) = devices_config("closed");
    let config = config.to_str().unwrap();
    let capture = dir.join("captured.txt");
    std::fs::write(&capture, "host:~ # ls\nf.txt\nhost:~ # ").unwrap();
    let capture = capture.to_str().unwrap();
    let cases: [&[&str]; 8] = [
        &["commands"],
        &["devices", "--config", config],
        &["devices", "--config", config, "--json"],
        &["check-config", config],
        &["parse", "ls", "--prompt", "^host:~ # ", capture],
        &["run", "pwd"],
        &["run", "--config", config, "--device", "LOCAL", "pwd"],
        &["--help"],
    ];
    for args in cases {
        let out = moler_into_a_closed_pipe(args, None);
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "moler {args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "moler {args:?}: a clean exit: {err}");
        assert_eq!(err, "", "moler {args:?}: nothing to say");
    }
    let out = moler_into_a_closed_pipe(&["parse", "ls"], Some("host:~ $ ls\nf.txt\nhost:~ $ "));
    assert_eq!((out.status.code(), stderr(&out)), (Some(0), String::new()), "from stdin");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `moler parse` of a long listing whose prompt is `host:~ # ` (see [`big_ls_capture`]).
const PARSE_LS_L: [&str; 6] =
    ["parse", "ls", "--params", "{\"options\": \"-l\"}", "--prompt", "^host:~ # "];

/// A long listing of `files` files as `ls -l` prints it, between prompts.
fn big_ls_capture(files: usize) -> String {
    let mut captured = String::from("host:~ # ls -l\ntotal 4\n");
    for i in 0..files {
        captured
            .push_str(&format!("-rw-r--r-- 1 user{} group 5 Nov 21 09:00 f{i:06}.txt\n", i % 7));
    }
    captured + "host:~ # "
}

#[test]
fn a_big_result_prints_whole_or_stops_quietly_when_its_reader_leaves() {
    let files = 20_000; // about 5 MB of JSON: many writes of the output's buffer
    let captured = big_ls_capture(files);
    let whole = moler_with_input(&PARSE_LS_L, Some(&captured));
    assert_eq!(code(&whole), 0, "{}", stderr(&whole));
    let result = json(&whole);
    let listed = result["files"].as_object().expect("files");
    assert_eq!(listed.len(), files);
    assert_eq!(listed["f019998.txt"]["owner"], "user6");
    assert!(whole.stdout.len() > 4_000_000, "{} bytes", whole.stdout.len());
    // `moler parse … | head -c 1000`: the reader takes a little, then leaves mid-way.
    let mut child = spawn_moler(&PARSE_LS_L, Stdio::piped());
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || stdin.write_all(captured.as_bytes()));
    let mut first = [0; 1000];
    std::io::Read::read_exact(&mut child.stdout.take().expect("piped"), &mut first).unwrap();
    // (the pipe's reading end is dropped here: the next writes fail with EPIPE)
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().expect("moler reads its whole input before it parses");
    assert!(first.starts_with(b"{"), "{:?}", String::from_utf8_lossy(&first));
    assert_eq!((out.status.code(), stderr(&out)), (Some(0), String::new()));
}

#[test]
fn a_write_error_on_standard_output_is_reported() {
    // /dev/full: every write fails with ENOSPC, as on a full disk.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    for files in [1, 20_000] {
        let mut child = spawn_moler(&PARSE_LS_L, Stdio::from(full.try_clone().unwrap()));
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(big_ls_capture(files).as_bytes()).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{files} files: {err}");
        assert!(
            err.contains("writing to standard output") && err.contains("No space left"),
            "{files} files: {err}"
        );
        assert_eq!(err.lines().count(), 1, "said once: {err}");
    }
}

/// A ping capture with `typed` as its command line.
fn ping_capture(typed: &str) -> String {
    format!(
        "host:~ # {typed}\nPING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.\n\
         64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.047 ms\n\n\
         --- 10.0.0.1 ping statistics ---\n\
         3 packets transmitted, 3 received, 0% packet loss, time 2002ms\n\
         rtt min/avg/max/mdev = 0.035/0.045/0.062/0.012 ms\nhost:~ # "
    )
}

#[test]
fn parse_takes_the_command_line_typed_in_any_order_and_says_when_it_differs() {
    let dir = scratch("echo");
    let params = r#"{"destination": "10.0.0.1", "options": "-c 3"}"#;
    let canonical = moler_with_input(
        &["parse", "ping", "--params", params],
        Some(&ping_capture("ping 10.0.0.1 -c 3")),
    );
    assert_eq!(code(&canonical), 0, "{}", stderr(&canonical));
    assert_eq!(json(&canonical)["packets_received"], 3);
    // Options first, as people type it; from a file and from standard input.
    let file = dir.join("options-first.txt");
    std::fs::write(&file, ping_capture("ping -c 3 10.0.0.1")).unwrap();
    let reordered = moler(&["parse", "ping", "--params", params, file.to_str().unwrap()]);
    assert_eq!(code(&reordered), 0, "{}", stderr(&reordered));
    assert_eq!(json(&reordered), json(&canonical));
    let piped = moler_with_input(
        &["parse", "ping", "--params", params],
        Some(&ping_capture("ping -c 3 10.0.0.1")),
    );
    assert_eq!(json(&piped), json(&canonical));

    // Other words: the error quotes both lines.
    let other = moler_with_input(
        &["parse", "ping", "--params", params],
        Some(&ping_capture("ping -c 5 10.0.0.1")),
    );
    assert_eq!(code(&other), 1);
    assert!(
        stderr(&other).contains(
            r#"the capture's command line "ping -c 5 10.0.0.1" is not the one the parameters make, "ping 10.0.0.1 -c 3""#
        ),
        "{}",
        stderr(&other)
    );
    // Another command altogether: the first line is quoted.
    let unrelated = moler_with_input(
        &["parse", "ping", "--params", params],
        Some("host:~ # ls -l\ntotal 0\nhost:~ # "),
    );
    assert_eq!(code(&unrelated), 1);
    assert!(
        stderr(&unrelated).contains(
            r#"the capture's first line "host:~ # ls -l" does not show the command line "ping 10.0.0.1 -c 3""#
        ),
        "{}",
        stderr(&unrelated)
    );
    assert!(!stderr(&unrelated).contains("panicked"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn record_turns_a_device_log_into_a_simulated_device() {
    let dir = std::env::temp_dir().join(format!("moler-cli-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("moler.BOX.log");
    std::fs::write(
        &log,
        "22 10:00:00.001 <|box# \n22 10:00:00.002 >|uname\n22 10:00:00.003 <|uname\n                 |Linux\n                 |box# \n",
    )
    .unwrap();
    let out = moler(&["record", log.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("prompt: \"box# \"") && yaml.contains("- \"Linux\\n\""), "{yaml}");
    let file = dir.join("box.sim.yml");
    let out = moler(&["record", log.to_str().unwrap(), "-o", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim_end(), yaml.trim_end());

    std::fs::write(&log, "22 10:00:00.001 <|box# \ngarbage\n").unwrap();
    let out = moler(&["record", log.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        format!("moler: {}: line 2: \"garbage\" is no device log record (no `|`)", log.display())
    );
    let out = moler(&["record", dir.join("missing.log").to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.log: No such file"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Record once, replay: two `moler run`s on a real bash log to the same device log (appended),
/// `moler record` makes a simulated device of it, `moler sim --listen` serves it, and the same
/// runs against it over TCP give the same results. Each run's connection starts with the
/// shell's first words: in the recording, they are the banner, never part of an answer.
#[test]
fn two_runs_logged_to_one_device_log_record_and_replay() {
    let dir = scratch("record-runs");
    let logs = dir.join("logs");
    let live = dir.join("live.yml");
    let yaml = "LOGGER:\n  PATH: LOGS\nDEVICES:\n  BOX:\n    DEVICE_CLASS: moler.device.unixlocal.UnixLocal\n";
    std::fs::write(&live, yaml.replace("LOGS", logs.to_str().unwrap())).unwrap();
    let runs: [&[&str]; 2] =
        [&["uname", "--param", "options=-s"], &["echo", "--param", "text=replayed"]];
    let run = |config: &std::path::Path, args: &[&str]| {
        let out = moler(&[&["run", "--config", config.to_str().unwrap()], args].concat());
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        json(&out)
    };
    let recorded: Vec<Value> = runs.iter().map(|args| run(&live, args)).collect();
    assert_eq!(recorded[0]["RESULT"], serde_json::json!(["Linux"]));

    let sim = dir.join("box.sim.yml");
    let log = logs.join("moler.BOX.log");
    let out = moler(&["record", log.to_str().unwrap(), "-o", sim.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let device = std::fs::read_to_string(&sim).unwrap();
    assert!(device.contains("# The log holds 2 connections"), "{device}");
    assert!(
        device.contains("- match: \"uname -s\"\n        answers:\n          - \"Linux\\n\"\n"),
        "{device}"
    );

    let (mut server, addr) = sim_listening(&[sim.to_str().unwrap()], "Raw");
    let (host, port) = addr.rsplit_once(':').unwrap();
    let replay = dir.join("replay.yml");
    std::fs::write(
        &replay,
        format!("DEVICES:\n  BOX:\n    DEVICE_CLASS: moler.device.unixlocal.UnixLocal\n    CONNECTION_DESC:\n      io_type: tcp\n      host: {host}\n      port: {port}\n"),
    )
    .unwrap();
    // Twice over: each connection to the simulator gets its banner, then the answers.
    for _ in 0..2 {
        let replayed: Vec<Value> = runs.iter().map(|args| run(&replay, args)).collect();
        assert_eq!(replayed, recorded);
    }
    server.kill().unwrap();
    server.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_connection_that_cannot_open_is_reported_with_every_cause_once() {
    let refused = moler_testkit::RefusedPort::new();
    let port = refused.port();
    let dir = scratch("refused");
    let file = dir.join("devices.yml");
    std::fs::write(
        &file,
        format!(
            "DEVICES:\n  GONE:\n    DEVICE_CLASS: UnixLocal\n    CONNECTION_DESC: \
             {{io_type: tcp, host: 127.0.0.1, port: {port}}}\n"
        ),
    )
    .unwrap();
    let out = moler(&["run", "--config", file.to_str().unwrap(), "pwd"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    // The device's words, the config's, the transport's and the system's, each once.
    for part in [
        "device GONE",
        "cannot open",
        &format!("connect to 127.0.0.1:{port}"),
        "Connection refused",
    ] {
        assert_eq!(err.matches(part).count(), 1, "{part:?} once in {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

const UNIX_HOST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../moler-sim/devices/unix_host.yml");

#[test]
fn sim_check_lists_the_states_and_reports_mistakes_with_their_place() {
    let out = moler(&["sim", "--check", UNIX_HOST]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("UNIX_LOCAL (initial): prompt \"{user}@debian:~$ \""), "{text}");
    assert!(text.contains("\"su\" [ask, delay 100 ms, -> UNIX_LOCAL_ROOT]"), "{text}");
    let dir = scratch("sim-check");
    let bad = dir.join("bad.yml");
    std::fs::write(&bad, "states:\n  S:\n    prompt: '$ '\n    comands: []\n").unwrap();
    let out = moler(&["sim", "--check", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        format!("moler: {}:4:5: unknown key `comands`; did you mean commands?", bad.display())
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sim_check_passes_on_every_ready_made_device() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../moler-sim/devices");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml") {
            let out = moler(&["sim", "--check", path.to_str().unwrap()]);
            assert_eq!(code(&out), 0, "{}: {}", path.display(), stderr(&out));
            checked += 1;
        }
    }
    assert!(checked >= 6, "the unix host, Juniper EX, ATEN PDU, SCPI, AT modem and adb shell");
}

#[test]
fn sim_serves_a_session_on_standard_input_and_output() {
    let out = moler_with_input(
        &["sim", UNIX_HOST],
        Some("molertest\nmoler123\nhostname\nfrobnicate\nexit\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "Debian GNU/Linux 9 debian ttyS0\r\ndebian login: molertest\r\nPassword: \r\n"
        ),
        "{text:?}"
    );
    assert!(text.contains("hostname\r\ndebian\r\nmolertest@debian:~$ "), "{text:?}");
    assert!(text.contains("-bash: frobnicate: command not found\r\n"), "{text:?}");
    assert!(text.ends_with("exit\r\nlogout\r\n"), "the device hung up: {text:?}");
}

/// `moler sim --listen 127.0.0.1:0 ARGS…` started, and the address it says it listens on
/// (its first line, `listening on ADDR (PROTOCOL)`).
fn sim_listening(args: &[&str], protocol: &str) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_moler"))
        .args(["sim", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let addr = first.trim().strip_prefix("listening on ").unwrap();
    let addr = addr.strip_suffix(&format!(" ({protocol})")).unwrap().to_owned();
    (child, addr)
}

#[test]
fn sim_listens_on_tcp_with_telnet() {
    use std::io::Read;
    let (mut child, addr) = sim_listening(&["--telnet", UNIX_HOST], "Telnet");
    let mut c = std::net::TcpStream::connect(&addr).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(b"debian login: ") {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(&[255, 251, 1, 255, 251, 3]), "IAC WILL ECHO, IAC WILL SGA: {seen:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Ctrl-C ends `moler run` at once, as SIGINT ends any program (its status says so), with
/// nothing it started left running: the local bash and its ping end with it.
#[test]
fn ctrl_c_ends_a_run_and_what_it_started() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};
    if !moler_testkit::require_tools(&["ping"]) {
        return;
    }
    let params = r#"{"destination": "127.0.0.1", "options": "-c 1000 -i 0.2"}"#;
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(spawn_moler(
        &["run", "ping", "--params", params, "--timeout", "600"],
        Stdio::piped(),
    ));
    // The ping, once the local bash runs it: a process whose command line is this run's.
    let pings = || -> Vec<String> {
        let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
        dir.filter_map(|e| {
            let pid = e.ok()?.file_name().into_string().ok()?;
            let line = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let running = !state.rsplit_once(") ")?.1.starts_with('Z');
            (running && line == b"ping\x00127.0.0.1\x00-c\x001000\x00-i\x000.2\x00").then_some(pid)
        })
        .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while pings().is_empty() {
        assert!(Instant::now() < deadline, "the ping never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let moler = rustix::process::Pid::from_child(&child.0);
    rustix::process::kill_process(moler, rustix::process::Signal::INT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "moler run did not end on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.signal(), Some(2), "ended by SIGINT: {status}");
    // What failed because of the Ctrl-C (the ping's shell hung up) is not reported.
    let mut complaints = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut complaints).unwrap();
    assert_eq!(complaints, "", "after Ctrl-C");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pings().is_empty() {
        assert!(Instant::now() < deadline, "the ping outlived moler run: {:?}", pings());
        std::thread::sleep(Duration::from_millis(20));
    }
}
