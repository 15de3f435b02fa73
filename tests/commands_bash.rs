//! Every command of the library once against a real bash in a real pty (not only against
//! Moler's reference outputs): typed and by name, results checked against what the machine
//! says through other means.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use moler::commands::unix::*;
use moler::commands::{Registry, UnixCommand};
use moler::prelude::*;
use moler_testkit::require_tools;
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

/// A listing's entries but the parent directory's: other tests add to and take from the
/// temporary folder while this one lists it, so `..`'s links and date may change between two
/// `ls`.
fn own_entries(files: &LsFiles) -> Vec<LsEntry> {
    files.values().filter(|e| e.name != "..").cloned().collect()
}

/// A listing's JSON but the parent directory's entry (see [`own_entries`]).
fn own_json(mut json: Value) -> Value {
    if let Some(files) = json["files"].as_object_mut() {
        files.remove("..");
    }
    json
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moler-cmds-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// GNU `ls` on a terminal quotes names that need it (`'a b'`, `"it's"`, `'nl'$'\n''x'`) and
/// puts a blank before the others: every name read back as it is on the disk, long and short,
/// by both parsers.
#[test]
fn names_ls_quotes_are_read_back() {
    let dir = scratch("quoted");
    let names = [
        "a b",
        "it's",
        "a'b c",
        "tab\tx",
        "nl\nx",
        "dollar$x",
        "back\\slash",
        "quote\"d",
        "both'\"q",
        "\u{1}ctl",
        "plain",
        "-dash",
        "x -> y",
        "\u{e9}t\u{e9}",
        "star*",
        "~t",
    ];
    for name in names {
        std::fs::write(dir.join(name), name).unwrap();
    }
    std::os::unix::fs::symlink("a b", dir.join("link c")).unwrap();
    let sh = shell_in(&dir);
    let p = LOCAL_PROMPT;
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .chain([".".to_owned(), "..".to_owned()])
        .collect();
    on_disk.sort();
    for options in ["-la", "-a", "-a1", "-lai"] {
        let ls = sh.run(Ls::new().options(options).command_with_prompt(p), T).unwrap();
        let listed: Vec<&str> = ls.files.keys().collect();
        assert_eq!(listed, on_disk, "{options}");
        let json = by_name(&sh, "ls", json!({"options": options}));
        assert_eq!(own_json(json), own_json(serde_json::to_value(&ls).unwrap()), "{options}");
        if options.contains('l') {
            assert_eq!(ls.files["link c"].link.as_deref(), Some("a b"), "{options}");
            assert_eq!(ls.files["x -> y"].link, None, "{options}");
            assert_eq!(ls.files["nl\nx"].size_bytes, Some(4), "{options}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_and_directories() {
    let dir = scratch("files");
    let sh = shell_in(&dir);
    let p = LOCAL_PROMPT;
    sh.run(Mkdir::new("sub").options("-p").command_with_prompt(p), T).unwrap();
    sh.run(Touch::new("sub/a.txt").command_with_prompt(p), T).unwrap();
    let echo = Echo::new().text("hello\nworld").options("-e");
    assert_eq!(sh.run(echo.command_with_prompt(p), T).unwrap().result, ["hello", "world"]);
    // Quoted (the default), the text is printed as written; unquoted, the shell expands it.
    let echo = Echo::new().text("$((6 * 7)) it's");
    assert_eq!(sh.run(echo.clone().command_with_prompt(p), T).unwrap().result, ["$((6 * 7)) it's"]);
    let unquoted = echo.text("$((6 * 7))  x").text_in_quotation(false).command_with_prompt(p);
    assert_eq!(sh.run(unquoted, T).unwrap().result, ["42 x"]);
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
    // The inode and the blocks printed first (`-i`, `-s`, `-h`'s blocks with a unit): the
    // same entries as without them.
    let human = sh.run(Ls::new().options("-lah").command_with_prompt(p), T).unwrap();
    for (options, same_as) in [("-lai", &ls), ("-las", &ls), ("-lais", &ls), ("-lash", &human)] {
        let more = sh.run(Ls::new().options(options).command_with_prompt(p), T).unwrap();
        assert_eq!(own_entries(&more.files), own_entries(&same_as.files), "{options}");
    }
    // Columns left out or added (`-g` no owner, `-o`/`-G` no group, `--author`, `-Z`'s
    // context, `?` without SELinux): the same entries otherwise, the columns in their place,
    // by both parsers.
    let strip = |files: &LsFiles, owner, group| {
        let mut files = files.clone().into_map();
        files.remove("..");
        for e in files.values_mut() {
            (e.owner, e.group) =
                (e.owner.take().filter(|_| owner), e.group.take().filter(|_| group));
        }
        files
    };
    for (options, owner, group, author, context) in [
        ("-lag", false, true, false, false),
        ("-lao", true, false, false, false),
        ("-laG", true, false, false, false),
        ("-la --no-group", true, false, false, false),
        ("-lago", false, false, false, false),
        ("-la --author", true, true, true, false),
        ("-laZ", true, true, false, true),
        ("-lagZ --author", false, true, true, true),
        ("-lais --context -T 4", true, true, false, true),
    ] {
        let more = sh.run(Ls::new().options(options).command_with_prompt(p), T).unwrap();
        let mut files = more.files.clone().into_map();
        files.remove("..");
        for e in files.values_mut() {
            // The author is the owner, on Linux.
            let author_is = ls.files[e.name.as_str()].owner.clone().filter(|_| author);
            assert_eq!(e.author.take(), author_is, "{options}: {e:?}");
            let shown = e.context.take();
            let one_word = shown.as_deref().is_some_and(|c| !c.is_empty() && !c.contains(' '));
            assert_eq!(one_word, context, "{options}: {shown:?}");
        }
        assert_eq!(files, strip(&ls.files, owner, group), "{options}");
        let json = by_name(&sh, "ls", json!({"options": options}));
        assert_eq!(own_json(json), own_json(serde_json::to_value(&more).unwrap()), "{options}");
    }
    // Every `--time-style` but a format of one's own: the same files, the dates as printed
    // (`iso`: `MM-DD HH:MM` this year, the day alone, padded, for older files).
    sh.run(Mkdir::new("times").command_with_prompt(p), T).unwrap();
    sh.run(Touch::new("times/new").command_with_prompt(p), T).unwrap();
    sh.run(Touch::new("times/old").options("-d 2020-01-02").command_with_prompt(p), T).unwrap();
    let plain = sh.run(Ls::new().options("-l").path("times").command_with_prompt(p), T).unwrap();
    assert_eq!(plain.files["old"].date.as_deref(), Some("Jan  2  2020"));
    for (style, old_date) in [
        ("--time-style=iso", "2020-01-02"),
        ("--time-style=long-iso", "2020-01-02 00:00"),
        ("--full-time", ""),
    ] {
        let options = format!("-l {style}");
        let ls = sh.run(Ls::new().options(&options).path("times").command_with_prompt(p), T);
        let mut files = ls.unwrap().files.into_map();
        let old = files.get_mut("old").and_then(|e| e.date.take()).expect(style);
        assert!(old.starts_with("2020-01-02") && old.ends_with(old_date), "{style}: {old}");
        let new = files.get_mut("new").and_then(|e| e.date.take()).expect(style);
        assert!(new.contains(':'), "{style}: {new}");
        for e in plain.files.values() {
            assert_eq!(files[&e.name], LsEntry { date: None, ..e.clone() }, "{style}");
        }
        assert_eq!(files.len(), 2, "{style}: {files:?}");
    }
    // Sizes in the units the options say: every way of printing 150,000 bytes reads back as
    // that size, up to what the unit rounds up (ls rounds up).
    std::fs::create_dir(dir.join("sizes")).unwrap();
    std::fs::write(dir.join("sizes/f"), vec![b'x'; 150_000]).unwrap();
    for options in [
        "-l",
        "-lh",
        "-l --si",
        "-lh --si",
        "-l --block-size=1K",
        "-l --block-size=1000",
        "-l --block-size=K",
        "-l --block-size=KB",
        "-l --block-size=KiB",
    ] {
        let ls = sh.run(Ls::new().options(options).path("sizes").command_with_prompt(p), T);
        let f = &ls.unwrap().files["f"];
        let bytes = f.size_bytes.unwrap_or_else(|| panic!("{options}: {f:?}"));
        assert!((150_000..151_024).contains(&bytes), "{options}: {f:?}");
        let json = by_name(&sh, "ls", json!({"options": options, "path": "sizes"}));
        assert_eq!(json["files"]["f"]["size_bytes"], bytes, "{options}");
    }
    let du = sh.run(Du::new().options("-s --si --apparent-size sizes").command_with_prompt(p), T);
    let bytes = du.unwrap()["sizes"].size_bytes;
    assert!((150_000..160_000).contains(&bytes), "du --si: {bytes}");
    let du = sh.run(Du::new().options("-h --apparent-size sizes/f").command_with_prompt(p), T);
    assert_eq!(du.unwrap()["sizes/f"].size_bytes, 147 << 10, "du -h");
    let du = sh.run(Du::new().options("-B KB --apparent-size sizes/f").command_with_prompt(p), T);
    assert_eq!(du.unwrap()["sizes/f"].size_bytes, 150_000, "du -B KB");
    let colour = by_name(&sh, "ls", json!({"options": "--color=always"}));
    assert!(colour["files"]["sub"].is_object(), "ANSI colours are stripped: {colour}");

    let du = by_name(&sh, "du", json!({"options": "-sk sub"}));
    assert!(du["sub"]["size_bytes"].as_u64().unwrap() >= 4096, "{du}");
    // Blocks of the size the options say: bytes (alone or among others), MiB.
    for options in
        ["-b c.txt", "-sb c.txt", "--bytes c.txt", "-s --block-size=1 --apparent-size c.txt"]
    {
        let du = sh.run(Du::new().options(options).command_with_prompt(p), T).unwrap();
        assert_eq!(du["c.txt"].size_bytes, 15, "{options}: {du:?}");
    }
    let du = sh.run(Du::new().options("-sm c.txt").command_with_prompt(p), T).unwrap();
    assert_eq!((du["c.txt"].size_raw.as_str(), du["c.txt"].size_bytes), ("1", 1 << 20));
    let pwd = sh.run(Pwd::new().command_with_prompt(p), T).unwrap();
    assert_eq!(Path::new(&pwd.full_path).canonicalize().unwrap(), dir.canonicalize().unwrap());

    let grep = sh.run(Grep::new("-n tw c.txt").command_with_prompt(p), T).unwrap();
    let want = GrepMatch { number: Some("2".into()), line: "two".into(), ..Default::default() };
    assert_eq!(grep.lines, [GrepLine::Match(want)]);
    let plain = by_name(&sh, "grep", json!({"options": "-h e sub/a.txt c.txt"}));
    assert_eq!(plain, json!({"LINES": ["one", "three", "one", "three"]}));
    let err = sh.run(Grep::new("x missing.txt").command_with_prompt(p), T).unwrap_err();
    assert!(err.to_string().contains("grep: missing.txt"), "{err}");
    let found = sh
        .run(Find::new().paths(["sub", "."]).operators("-name '*.txt'").command_with_prompt(p), T);
    let mut found = found.unwrap().result;
    found.sort();
    assert_eq!(found, ["./c.txt", "./sub/a.txt", "sub/a.txt"]);
    let err = sh.run(Find::new().paths(["missing"]).command_with_prompt(p), T).unwrap_err();
    assert!(err.to_string().contains("find: "), "{err}");

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
    // `-p`: the same uptime in words (to the minute).
    let pretty = sh.run(Uptime::new().options("-p").command_with_prompt(p), T).unwrap();
    let UptimeResult::Up { seconds, users: None, .. } = pretty else { panic!("{pretty:?}") };
    assert!((seconds as f64 - proc_up).abs() < 180.0, "{seconds} vs {proc_up}");

    let df = by_name(&sh, "df", Value::Null);
    assert!(df["by_MOUNTPOINT"]["/"]["Size"].is_string(), "{df}");

    let ps = sh.run(Ps::new().options("-ef").command_with_prompt(p), T).unwrap();
    assert!(ps.rows.len() > 2);
    let pids: Vec<i64> = (0..ps.rows.len()).filter_map(|r| ps.get(r, "PID")?.as_i64()).collect();
    assert_eq!(pids.len(), ps.rows.len(), "every PID is a number");
    assert!(pids.contains(&1), "PID 1 is there");
    // A header without PID (the real ps's): still the header, the last column the rest.
    let mine = sh.run(Ps::new().options("-o user,args -p $$").command_with_prompt(p), T).unwrap();
    assert_eq!(&mine.columns[..], ["USER", "COMMAND"], "{mine:?}");
    assert_eq!(mine.rows.len(), 1, "{mine:?}");
    assert!(
        mine.get(0, "COMMAND").and_then(|c| c.as_str()).is_some_and(|c| c.contains("bash")),
        "{mine:?}"
    );
    // No header at all (every column renamed to nothing, or `--no-headers`): the columns
    // are named from the options, as ps names them, and the one line is the shell's.
    let headed = sh.run(Ps::new().options("-o pid,user,args -p $$").command_with_prompt(p), T);
    let headed = headed.unwrap();
    assert_eq!(&headed.columns[..], ["PID", "USER", "COMMAND"], "{headed:?}");
    assert_eq!(headed.rows.len(), 1, "{headed:?}");
    for options in
        ["-o pid=,user=,args= -p $$", "-o pid= -o user= -o args= -p $$", "-p $$ -opid=,user=,args="]
    {
        let bare = sh.run(Ps::new().options(options).command_with_prompt(p), T).unwrap();
        assert_eq!(bare, headed, "{options}");
    }
    let told =
        sh.run(Ps::new().options("--no-headers -o pid,user,args -p $$").command_with_prompt(p), T);
    assert_eq!(told.unwrap(), headed);
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

#[test]
fn ping_the_loopback() {
    if !require_tools(&["ping"]) {
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

/// A program the shell cannot find fails the command at once with bash's own words, typed or
/// by name, though the command waits for a result and has failure patterns of its own only
/// (`^ping: `): it used to wait for its whole timeout. The shell works on afterwards.
#[test]
fn a_program_the_shell_cannot_find_fails_the_command_at_once() {
    let sh = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    let path = |line: &str| Command::lines(line, p).ret_required(false);
    sh.run(path("SAVED_PATH=$PATH; export PATH=/nonexistent-moler-test"), T).unwrap();
    let started = std::time::Instant::now();
    let err = sh.run(Ping::new("127.0.0.1").options("-c 1").command_with_prompt(p), T).unwrap_err();
    assert!(
        matches!(&err, Error::CommandFailure { line, .. } if line == "bash: ping: command not found"),
        "{err}"
    );
    let err = sh.run(Ls::new().options("-l").command_with_prompt(p), T).unwrap_err();
    assert!(err.to_string().contains("bash: ls: command not found"), "{err}");
    let command =
        Registry::default().command_for_prompt("uname", &json!({"options": "-a"}), Some(p));
    let err = sh.run(command.unwrap(), T).unwrap_err();
    assert!(err.to_string().contains("bash: uname: command not found"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    sh.run(path("export PATH=$SAVED_PATH"), T).unwrap();
    let ls = sh.run(Ls::new().options("-l").path("/").command_with_prompt(p), T).unwrap();
    assert!(ls.files.contains_key("tmp"), "{ls:?}");
}

/// The interfaces the kernel has, from sysfs.
fn sysfs_interfaces() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn sysfs_mtu(interface: &str) -> u64 {
    let path = format!("/sys/class/net/{interface}/mtu");
    std::fs::read_to_string(path).unwrap().trim().parse().unwrap()
}

/// The default gateway from /proc/net/route (hex, little-endian), if there is one.
fn proc_default_gateway() -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/route").unwrap();
    table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f[1] == "00000000").then(|| {
            let g = u32::from_str_radix(f[2], 16).unwrap().to_le_bytes();
            format!("{}.{}.{}.{}", g[0], g[1], g[2], g[3])
        })
    })
}

#[test]
fn interfaces_and_routes() {
    if !require_tools(&["ip", "ifconfig"]) {
        return;
    }
    let sh = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    let kernel = sysfs_interfaces();

    let addr = sh.run(IpAddr::new().options("show").command_with_prompt(p), T).unwrap();
    assert_eq!(addr.keys().cloned().collect::<Vec<_>>(), kernel);
    assert_eq!(
        addr["lo"].ipv4[0],
        InetAddr { ip: "127.0.0.1".into(), mask: "8".into(), ..Default::default() }
    );
    let lo = by_name(&sh, "ip_addr", json!({"options": "show dev lo"}));
    assert_eq!(lo["lo"]["IPV4"][0]["IP"], "127.0.0.1", "{lo}");

    let link = sh.run(IpLink::new("show").command_with_prompt(p), T).unwrap();
    let mut names: Vec<&str> = link.values().map(|l| l["interface"].as_str()).collect();
    names.sort();
    assert_eq!(names, kernel);
    let lo = link.values().find(|l| l["interface"] == "lo").unwrap();
    assert_eq!(lo["mtu"], sysfs_mtu("lo").to_string());
    assert_eq!(lo["link/loopback"], "00:00:00:00:00:00");

    let routes = sh.run(IpRoute::new().command_with_prompt(p), T).unwrap();
    assert_eq!(routes.default_route().map(str::to_owned), proc_default_gateway(), "{routes:?}");
    let get = sh.run(IpRoute::new().addr_get("127.0.0.1").command_with_prompt(p), T).unwrap();
    assert_eq!(get.address["127.0.0.1"]["DEV"], "lo", "{get:?}");
    let err = sh.run(IpLink::new("show").options("dev no-such-if0").command_with_prompt(p), T);
    assert!(err.unwrap_err().to_string().contains("no-such-if0"), "an unknown device fails");

    let ifconfig = sh.run(Ifconfig::new().options("-a").command_with_prompt(p), T).unwrap();
    assert_eq!(ifconfig.keys().cloned().collect::<Vec<_>>(), kernel);
    let lo = &ifconfig["lo"];
    assert_eq!((lo.ipv4[0].ip.as_str(), lo.ipv4[0].mask.as_str()), ("127.0.0.1", "255.0.0.0"));
    let rx: u64 = lo.rx.as_ref().unwrap().packets["packets"].parse().unwrap();
    let tx: u64 = lo.tx.as_ref().unwrap().packets["packets"].parse().unwrap();
    assert!(rx > 0 && tx > 0, "the shell's own traffic counts: {lo:?}");
}

#[test]
fn sockets_and_network_tables() {
    if !require_tools(&["netstat", "ss"]) {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sh = local_shell().unwrap();
    let p = LOCAL_PROMPT;

    let tcp = sh.run(Netstat::new().options("-tln").command_with_prompt(p), T).unwrap();
    let ours = tcp
        .internet_connections
        .iter()
        .flatten()
        .find(|c| c.local_address == format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("our listener on {port}: {tcp:?}"));
    assert_eq!((ours.state.as_deref(), ours.recv_q), (Some("LISTEN"), Some(0)));

    let interfaces = by_name(&sh, "netstat", json!({"options": "-i"}));
    let lo = interfaces["INTERFACE"].as_array().unwrap().iter().find(|i| i["iface"] == "lo");
    assert_eq!(lo.unwrap()["mtu"], sysfs_mtu("lo"), "{interfaces}");
    let routes = by_name(&sh, "netstat", json!({"options": "-rn"}));
    let gateway = proc_default_gateway();
    let default =
        routes["ROUTING_TABLE"].as_array().unwrap().iter().find(|r| r["destination"] == "0.0.0.0");
    assert_eq!(default.map(|r| r["gateway"].as_str().unwrap().to_owned()), gateway, "{routes}");

    let ss = sh.run(Ss::new().options("-tln").command_with_prompt(p), T).unwrap();
    let ours = ss
        .network_connections
        .iter()
        .find(|s| s.local_port == port.to_string())
        .unwrap_or_else(|| panic!("our listener on {port}: {ss:?}"));
    assert_eq!((ours.state.as_str(), ours.local_address.as_str()), ("LISTEN", "127.0.0.1"));
    drop(listener);
}
