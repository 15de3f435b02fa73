//! Every command of the library once against a real bash in a real pty (not only against
//! Moler's reference outputs): typed and by name, results checked against what the machine
//! says through other means.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use moler::commands::unix::*;
use moler::commands::{Registry, UnixCommand};
use moler::prelude::*;
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(30);

fn shell_in(dir: &Path) -> ConnectionHandle {
    let shell = local_shell().expect("bash starts");
    shell.run(Cd::new().path(dir.to_str().unwrap()).command_with_prompt(LOCAL_PROMPT), T).unwrap();
    // Never create test files anywhere else.
    let pwd = shell.run(Pwd::new().command_with_prompt(LOCAL_PROMPT), T).unwrap();
    assert_eq!(Path::new(&pwd.full_path).canonicalize().unwrap(), dir.canonicalize().unwrap());
    shell
}

fn by_name(shell: &ConnectionHandle, name: &str, params: Value) -> Value {
    let command = Registry::default().command_for_prompt(name, &params, Some(LOCAL_PROMPT));
    shell.run(command.unwrap(), T).unwrap_or_else(|e| panic!("{name} {params}: {e}"))
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moler-cmds-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn files_and_directories() {
    let dir = scratch("files");
    let sh = shell_in(&dir);
    let p = LOCAL_PROMPT;
    sh.run(Mkdir::new("sub").options("-p").command_with_prompt(p), T).unwrap();
    sh.run(Touch::new("sub/a.txt").command_with_prompt(p), T).unwrap();
    sh.run(Echo::new().text("hello\nworld").options("-e").command_with_prompt(p), T).unwrap();
    std::fs::write(dir.join("sub/a.txt"), "one\ntwo\n\nthree\n").unwrap();
    sh.run(Cp::new("sub/a.txt", "b.txt").command_with_prompt(p), T).unwrap();
    sh.run(Mv::new("b.txt", "c.txt").command_with_prompt(p), T).unwrap();
    sh.run(Chmod::new("600", "c.txt").command_with_prompt(p), T).unwrap();

    let cat = sh.run(Cat::new("c.txt").command_with_prompt(p), T).unwrap();
    assert_eq!(cat.lines, ["one", "two", "three"]);
    assert_eq!(
        sh.run(Head::new("c.txt").options("-n 1").command_with_prompt(p), T).unwrap().lines,
        ["one"]
    );
    assert_eq!(
        sh.run(Tail::new("c.txt").options("-n 1").command_with_prompt(p), T).unwrap().lines,
        ["three"]
    );
    let sed =
        sh.run(Sed::new().input_file("c.txt").script("s/o/0/g").command_with_prompt(p), T).unwrap();
    assert_eq!(sed.result, ["0ne", "tw0", "three"]);
    let md5 = sh.run(Md5sum::new("c.txt").command_with_prompt(p), T).unwrap();
    assert_eq!((md5.file.as_str(), md5.sum.len()), ("c.txt", 32));

    let ls = sh.run(Ls::new().options("-la").command_with_prompt(p), T).unwrap();
    let c = &ls.files["c.txt"];
    assert_eq!(c.permissions.as_deref(), Some("-rw-------"));
    assert_eq!(c.size_bytes, Some(15));
    assert!(ls.files["sub"].permissions.as_deref().unwrap().starts_with('d'));
    let colour = by_name(&sh, "ls", json!({"options": "--color=always"}));
    assert!(colour["files"]["sub"].is_object(), "ANSI colours are stripped: {colour}");

    let du = by_name(&sh, "du", json!({"options": "-sk sub"}));
    assert!(du["sub"]["size_bytes"].as_u64().unwrap() >= 4096, "{du}");
    let pwd = sh.run(Pwd::new().command_with_prompt(p), T).unwrap();
    assert_eq!(Path::new(&pwd.full_path).canonicalize().unwrap(), dir.canonicalize().unwrap());

    sh.run(Rm::new("c.txt").command_with_prompt(p), T).unwrap();
    let err = sh.run(Rm::new("c.txt").command_with_prompt(p), T).unwrap_err();
    assert!(err.to_string().contains("rm: cannot remove"), "{err}");
    let err = sh.run(Cat::new("nope.txt").command_with_prompt(p), T).unwrap_err();
    assert!(err.to_string().contains("No such file"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_system_and_the_user() {
    let dir = scratch("system");
    let sh = shell_in(&dir);
    let p = LOCAL_PROMPT;
    let me = sh.run(Whoami::new().command_with_prompt(p), T).unwrap().user;
    let id = sh.run(Id::new().command_with_prompt(p), T).unwrap();
    assert_eq!(id.uid[0].name, me);
    assert_eq!(id.uid[0].id, rustix::process::getuid().as_raw() as u64);
    let host = sh.run(Hostname::new().command_with_prompt(p), T).unwrap().hostname;
    assert_eq!(host, std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim());
    let uname = sh.run(Uname::new().options("-s").command_with_prompt(p), T).unwrap();
    assert_eq!(uname.result, ["Linux"]);

    sh.run(Export::new().set_param("MOLER_X=42").command_with_prompt(p), T).unwrap();
    let env = sh.run(Env::new().command_with_prompt(p), T).unwrap();
    assert_eq!(env["MOLER_X"], "42");
    let exported = sh.run(Export::new().command_with_prompt(p), T).unwrap();
    assert_eq!(exported["MOLER_X"], "42");

    let which = sh.run(Which::new(["bash", "no-such-tool"]).command_with_prompt(p), T).unwrap();
    assert!(which["bash"][0].ends_with("/bash"), "{which:?}");
    assert!(which["no-such-tool"].is_empty());

    let date = sh.run(Date::new().command_with_prompt(p), T).unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((date.epoch.unwrap() - now).abs() < 60, "{date:?}");
    assert!((1..=7).contains(&date.day_of_week.unwrap()));

    let up = sh.run(Uptime::new().command_with_prompt(p), T).unwrap();
    let UptimeResult::Up { seconds, .. } = up else { panic!("{up:?}") };
    let proc_up: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((seconds as f64 - proc_up).abs() < 120.0, "{seconds} vs {proc_up}");

    let df = by_name(&sh, "df", Value::Null);
    assert!(df["by_MOUNTPOINT"]["/"]["Size"].is_string(), "{df}");

    let ps = sh.run(Ps::new().options("-ef").command_with_prompt(p), T).unwrap();
    assert!(ps.rows.len() > 2);
    let pids: Vec<&Value> = (0..ps.rows.len()).filter_map(|r| ps.get(r, "PID")).collect();
    assert!(pids.contains(&&json!(1)), "PID 1 is there, as a number");
    let kill = sh.run(Kill::new("999999").command_with_prompt(p), T).unwrap();
    assert_eq!(kill.no_such_process.as_deref(), Some("999999"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shells_keys_and_prompts() {
    let dir = scratch("keys");
    let sh = shell_in(&dir);
    let p = LOCAL_PROMPT;
    sh.run(Enter::new().command_with_prompt(p), T).unwrap();
    sh.run(CtrlC::new().command_with_prompt(p), T).unwrap();
    // A nested shell with another prompt, left with exit back to ours.
    let nested = Command::lines("PS1='nested$ ' bash --norc", "^nested\\$ $").ret_required(false);
    sh.run(nested, T).unwrap();
    let pwd = sh.run(Pwd::new().command_with_prompt("^nested\\$ $"), T).unwrap();
    assert!(!pwd.full_path.is_empty());
    sh.run(Exit::new(p).command(), T).unwrap();
    // ctrl_c by name, at the prompt: bash prints ^C and a fresh prompt.
    by_name(&sh, "ctrl_c", json!({"expected_prompt": p}));
    assert_eq!(
        sh.run(Echo::new().text("back").command_with_prompt(p), T).unwrap().result,
        ["back"]
    );
    assert!(CtrlC::new().command_line().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Whether `tool` is on PATH; if not, says SKIPPED loudly (straight to stderr, which libtest
/// does not capture), or fails under CI, where scripts/test.sh installs it as root.
fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    if !found {
        let why = format!("{tool} is not installed (scripts/test.sh installs it as root)");
        assert!(std::env::var_os("CI").is_none(), "CI must not skip: {why}");
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "*** SKIPPED test: {why} ***");
    }
    found
}

#[test]
fn ping_the_loopback() {
    if !have("ping") {
        return;
    }
    let sh = local_shell().unwrap();
    let replies = sh.start(
        Registry::default().event("ping_response", &json!({"till_occurs_times": 2})).unwrap(),
    );
    let ping = Ping::new("127.0.0.1").options("-c 2 -i 0.2").command_with_prompt(LOCAL_PROMPT);
    let r = sh.run(ping, T).unwrap();
    assert_eq!((r.packets_transmitted, r.packets_received), (2, 2));
    assert_eq!(r.packet_loss, json!(0));
    let replies = replies.wait(T).unwrap();
    assert!(replies[1]["line"].as_str().unwrap().contains("icmp_seq=2"), "{replies}");
    assert!(r.time_avg.unwrap() > 0.0 && r.time_unit.as_deref() == Some("ms"), "{r:?}");
    let err = sh.run(
        Ping::new("no.such.host.invalid").options("-c 1").command_with_prompt(LOCAL_PROMPT),
        T,
    );
    assert!(err.unwrap_err().to_string().contains("ping: "), "a failure names the tool");
}
