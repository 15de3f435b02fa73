//! Issue 23's archive, file, text and system commands once each against the real Debian tool
//! in a real bash (not only against Moler's reference outputs): typed, on files the test makes,
//! results checked against what the test made or what the machine says through other means.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use moler::commands::unix::*;
use moler::commands::{Registry, UnixCommand};
use moler::prelude::*;
use moler_testkit::require_tools;
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(30);
const P: &str = LOCAL_PROMPT;

fn shell_in(dir: &Path) -> ConnectionHandle {
    let shell = local_shell().expect("bash starts");
    shell.run(Cd::new().path(dir.to_str().unwrap()).command_with_prompt(P), T).unwrap();
    // Never create test files anywhere else.
    let pwd = shell.run(Pwd::new().command_with_prompt(P), T).unwrap();
    assert_eq!(Path::new(&pwd.full_path).canonicalize().unwrap(), dir.canonicalize().unwrap());
    shell
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moler-tools-a-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn by_name(shell: &ConnectionHandle, name: &str, params: Value) -> Value {
    let command = Registry::default().command_for_prompt(name, &params, Some(P));
    shell.run(command.unwrap(), T).unwrap_or_else(|e| panic!("{name} {params}: {e}"))
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

#[test]
fn tar_archives_and_extracts() {
    let dir = scratch("tar");
    std::fs::write(dir.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(dir.join("b.txt"), "beta\n").unwrap();
    std::fs::create_dir(dir.join("out")).unwrap();
    let sh = shell_in(&dir);
    sh.run(Tar::new("czf", "ab.tar.gz a.txt b.txt").command_with_prompt(P), T).unwrap();
    sh.run(Tar::new("xzvf", "ab.tar.gz -C out").command_with_prompt(P), T).unwrap();
    assert_eq!(read(dir.join("out/a.txt")), "alpha\n");
    assert_eq!(read(dir.join("out/b.txt")), "beta\n");
    let missing = sh.run(Tar::new("xzf", "nothing.tar.gz").command_with_prompt(P), T);
    assert!(missing.unwrap_err().to_string().contains("No such file"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gzip_then_gunzip_round_trips() {
    let dir = scratch("gzip");
    std::fs::write(dir.join("a.txt"), "alpha alpha alpha alpha\n").unwrap();
    let sh = shell_in(&dir);
    sh.run(Gzip::new("a.txt").options("-k").command_with_prompt(P), T).unwrap();
    assert!(dir.join("a.txt.gz").is_file());
    // gzip asks before overwriting: no (and the command fails), then yes.
    let refused = sh.run(Gzip::new("a.txt").options("-k").command_with_prompt(P), T);
    assert!(refused.unwrap_err().to_string().contains("already exists"));
    sh.run(Gzip::new("a.txt").overwrite(true).command_with_prompt(P), T).unwrap();
    assert!(!dir.join("a.txt").exists(), "gzip without -k replaced the file");
    sh.run(
        Gzip::new("a.txt.gz")
            .options("-dc")
            .compressed_file_name("copy.txt")
            .command_with_prompt(P),
        T,
    )
    .unwrap();
    assert_eq!(read(dir.join("copy.txt")), "alpha alpha alpha alpha\n");

    let listing =
        sh.run(Gunzip::new(["a.txt.gz"]).options("-l").command_with_prompt(P), T).unwrap();
    let GunzipLine::Row(row) = &listing.result[0] else { panic!("a row: {listing:?}") };
    assert_eq!(row["uncompressed_name"], "a.txt");
    assert_eq!(row["uncompressed"], "24");
    let size = std::fs::metadata(dir.join("a.txt.gz")).unwrap().len();
    assert_eq!(row["compressed"], size.to_string());

    let verbose =
        sh.run(Gunzip::new(["a.txt.gz"]).options("-kv").command_with_prompt(P), T).unwrap();
    assert_eq!(verbose.files.as_deref(), Some(&["a.txt".to_owned()][..]), "{verbose:?}");
    assert_eq!(verbose.details.unwrap()[0].compressed_file, "a.txt.gz");
    assert_eq!(read(dir.join("a.txt")), "alpha alpha alpha alpha\n");
    // By name, with Moler's text for a yes: the file exists and is overwritten.
    by_name(&sh, "gunzip", json!({"archive_name": ["a.txt.gz"], "overwrite": "True"}));
    assert!(!dir.join("a.txt.gz").exists());
    assert_eq!(read(dir.join("a.txt")), "alpha alpha alpha alpha\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bzip2_compresses_and_decompresses() {
    let dir = scratch("bzip2");
    std::fs::write(dir.join("a"), "alpha\n").unwrap();
    std::fs::write(dir.join("b"), "beta\n").unwrap();
    let sh = shell_in(&dir);
    let z = sh.run(Bzip2::new(["a", "b"]).options("-zkfv").command_with_prompt(P), T).unwrap();
    assert_eq!(z.files.unwrap(), ["a", "b"]);
    std::fs::remove_file(dir.join("a")).unwrap();
    let d = sh.run(Bzip2::new("*.bz2").options("-dkfv").command_with_prompt(P), T).unwrap();
    assert_eq!(d.files.unwrap(), ["a.bz2", "b.bz2"]);
    assert_eq!(read(dir.join("a")), "alpha\n");
    let missing = sh.run(Bzip2::new("nothing").options("-d").command_with_prompt(P), T);
    assert!(missing.unwrap_err().to_string().contains("nothing"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn zip_then_unzip_lists_and_extracts() {
    if !require_tools(&["zip", "unzip"]) {
        return;
    }
    let dir = scratch("zip");
    std::fs::write(dir.join("a.txt"), "alpha\n").unwrap();
    // Compressible: unzip prints `inflating:` for it, `extracting:` for the stored a.txt.
    std::fs::write(dir.join("b.txt"), "beta ".repeat(200)).unwrap();
    let sh = shell_in(&dir);
    sh.run(Zip::new("ab.zip", "a.txt b.txt").command_with_prompt(P), T).unwrap();
    let v = sh.run(Unzip::new("ab.zip").options("-v").command_with_prompt(P), T).unwrap();
    assert_eq!(v.file_list, ["a.txt", "b.txt"]);
    assert_eq!(v.file_dict["a.txt"].length, "6");
    assert_eq!(v.file_dict["b.txt"].length, "1000");
    assert!(v.file_dict["b.txt"].datetime.contains('T'));

    let x = sh.run(Unzip::new("ab.zip").extract_dir("out").command_with_prompt(P), T).unwrap();
    assert_eq!(x.file_list, ["out/a.txt", "out/b.txt"]);
    assert_eq!(read(dir.join("out/b.txt")), "beta ".repeat(200));
    // unzip asks before replacing: None (and the command fails), then All.
    let refused = sh.run(Unzip::new("ab.zip").extract_dir("out").command_with_prompt(P), T);
    assert!(refused.unwrap_err().to_string().contains("replace out/a.txt?"));
    let again =
        sh.run(Unzip::new("ab.zip").extract_dir("out").overwrite(true).command_with_prompt(P), T);
    assert_eq!(again.unwrap().file_list, ["out/a.txt", "out/b.txt"]);
    let missing = sh.run(Unzip::new("nothing.zip").command_with_prompt(P), T);
    assert!(missing.unwrap_err().to_string().contains("cannot find or open"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unxz_decompresses() {
    if !require_tools(&["xz"]) {
        return;
    }
    let dir = scratch("unxz");
    std::fs::write(dir.join("a.txt"), "alpha\n").unwrap();
    let xz = std::process::Command::new("xz").arg(dir.join("a.txt")).status().unwrap();
    assert!(xz.success() && !dir.join("a.txt").exists());
    let sh = shell_in(&dir);
    sh.run(Unxz::new("a.txt.xz").command_with_prompt(P), T).unwrap();
    assert_eq!(read(dir.join("a.txt")), "alpha\n");
    let missing = sh.run(Unxz::new("nothing.xz").command_with_prompt(P), T);
    assert!(missing.unwrap_err().to_string().contains("No such file"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ln_chown_chgrp_and_sync() {
    let dir = scratch("owners");
    std::fs::write(dir.join("file1"), "one\n").unwrap();
    std::fs::write(dir.join("file2"), "two\n").unwrap();
    let sh = shell_in(&dir);
    sh.run(Ln::new().options("-s file1 link1").command_with_prompt(P), T).unwrap();
    assert_eq!(std::fs::read_link(dir.join("link1")).unwrap(), Path::new("file1"));
    let twice = sh.run(Ln::new().options("-s file1 link1").command_with_prompt(P), T);
    assert!(twice.unwrap_err().to_string().contains("File exists"));

    // The test's own user and group: works as root and as anyone else.
    let me = std::fs::metadata(&dir).unwrap();
    let (uid, gid) = (me.uid(), me.gid());
    sh.run(Chown::new(format!("{uid}:{gid}"), "file1").command_with_prompt(P), T).unwrap();
    sh.run(Chgrp::new(["file1", "file2"], gid.to_string()).command_with_prompt(P), T).unwrap();
    for f in ["file1", "file2"] {
        let m = std::fs::metadata(dir.join(f)).unwrap();
        assert_eq!((m.uid(), m.gid()), (uid, gid), "{f}");
    }
    let missing = sh.run(Chown::new(uid.to_string(), "nothing").command_with_prompt(P), T);
    assert!(missing.unwrap_err().to_string().contains("cannot access"));
    let missing = sh.run(Chgrp::new(["nothing"], gid.to_string()).command_with_prompt(P), T);
    assert!(missing.unwrap_err().to_string().contains("chgrp:"));
    sh.run(Sync::new().command_with_prompt(P), T).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tee_cut_hexdump_and_shasum() {
    let dir = scratch("text");
    let sh = shell_in(&dir);
    sh.run(Tee::new("list.txt", ["root:x:0", "daemon:x:1"]).command_with_prompt(P), T).unwrap();
    assert_eq!(read(dir.join("list.txt")), "root:x:0\ndaemon:x:1\n");
    by_name(&sh, "tee", json!({"path": "text.txt", "content": "line 1\nline 2", "border": "EOF"}));
    assert_eq!(read(dir.join("text.txt")), "line 1\nline 2\n");

    let cut = sh.run(Cut::new().options("-d: -f1").path("list.txt").command_with_prompt(P), T);
    assert_eq!(cut.unwrap().lines, ["root", "daemon"]);

    std::fs::write(dir.join("abc"), "abc").unwrap();
    std::fs::write(dir.join("aga"), "Aga\n").unwrap();
    let hex = sh.run(Hexdump::new(["aga"]).options("-C").command_with_prompt(P), T).unwrap();
    assert_eq!(hex.result, ["41", "67", "61", "0a", "|Aga.|"], "offsets are not data");
    let hex = sh.run(Hexdump::new(["aga"]).options("-x").command_with_prompt(P), T).unwrap();
    assert_eq!(hex.result, ["6741", "0a61"]);

    // Known digests of "abc" (FIPS 180 examples).
    let sha1 = sh.run(Shasum::new("abc").command_with_prompt(P), T).unwrap();
    assert_eq!(
        (sha1.file.as_str(), sha1.sum.as_str()),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    let sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let by_shasum = sh.run(Shasum::new("abc").options("-a 256").command_with_prompt(P), T).unwrap();
    assert_eq!(by_shasum.sum, sha256);
    let both = sh.run(Shasum::new("a*").cmd_kind("sha256sum").command_with_prompt(P), T).unwrap();
    assert_eq!(both.files["abc"], sha256);
    assert_eq!(both.files.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sysctl_dmesg_w_top_and_lsof_report_this_machine() {
    let dir = scratch("system");
    let sh = shell_in(&dir);
    let ostype = sh.run(Sysctl::new().options("kernel.ostype").command_with_prompt(P), T).unwrap();
    assert_eq!(ostype["kernel.ostype"], read("/proc/sys/kernel/ostype").trim());

    // dmesg may be restricted to root: then it fails, as it says.
    let first = std::process::Command::new("dmesg").output().unwrap();
    let dmesg = sh.run(Dmesg::new().command_with_prompt(P), T);
    if first.status.success() && !first.stdout.is_empty() {
        let want = String::from_utf8_lossy(&first.stdout).lines().next().unwrap().to_owned();
        assert_eq!(dmesg.unwrap().lines[0], want);
    }

    let w = sh.run(W::new().command_with_prompt(P), T).unwrap();
    let users: usize = w.general_info.user_number.as_deref().unwrap().parse().unwrap();
    assert_eq!(w.result.len(), users, "one row per user: {w:?}");
    assert_eq!(w.general_info.load_average.unwrap().split(", ").count(), 3);
    let version = sh.run(W::new().options("-V").command_with_prompt(P), T).unwrap();
    assert!(matches!(&version.result[0], WLine::Text(t) if t.starts_with("w from procps")));

    // procps-ng 4 takes no BSD-style `n 1`: `-n 1` in the options, no `n`.
    let top = sh.run(Top::new().options("-b -n 1").n(None).command_with_prompt(P), T).unwrap();
    assert!(top["tasks"]["total"].as_u64().unwrap() > 0, "{top:?}");
    assert!(top["%Cpu"]["not used"].is_f64());
    let processes = top["processes"].as_array().unwrap();
    assert!(processes.iter().any(|p| p["PID"].is_u64() && p["COMMAND"].is_string()));
    let mem_total_kib: f64 = read("/proc/meminfo")
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let (key, divisor) =
        if top.contains_key("MiB Mem ") { ("MiB Mem ", 1024.0) } else { ("KiB Mem ", 1.0) };
    let total = top[key]["total"].as_f64().unwrap();
    assert!((total - mem_total_kib / divisor).abs() < 1.0, "{total} vs {mem_total_kib} KiB");

    // The shell's own working directory.
    let lsof = sh.run(Lsof::new().options("-a -p $$ -d cwd").command_with_prompt(P), T).unwrap();
    assert_eq!(lsof.number, 1, "{lsof:?}");
    let row = &lsof.values[0];
    assert_eq!(row["FD"].as_deref(), Some("cwd"));
    assert_eq!(row["COMMAND"].as_deref(), Some("bash"));
    let cwd = dir.canonicalize().unwrap();
    assert_eq!(row["NAME"].as_deref(), cwd.to_str());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hostnamectl_reports_the_hostname_or_says_systemd_is_missing() {
    let sh = local_shell().unwrap();
    let status = sh.run(Hostnamectl::new().command_with_prompt(P), T);
    if Path::new("/run/systemd/system").is_dir() {
        let hostname = read("/proc/sys/kernel/hostname");
        assert_eq!(status.unwrap()["Static hostname"], hostname.trim());
    } else {
        // No systemd (a container): hostnamectl cannot reach it, and says so.
        let err = status.unwrap_err().to_string();
        assert!(err.contains("systemd") || err.contains("bus"), "{err}");
    }
}

#[test]
fn the_commands_are_known_by_moler_s_names() {
    let registry = Registry::default();
    for name in [
        "tar",
        "gzip",
        "gunzip",
        "bzip2",
        "unzip",
        "zip",
        "unxz",
        "unrar",
        "7z",
        "ln",
        "chown",
        "chgrp",
        "sync",
        "tee",
        "cut",
        "hexdump",
        "shasum",
        "sysctl",
        "dmesg",
        "hostnamectl",
        "w",
        "mpstat",
        "lsof",
        "top",
    ] {
        assert!(registry.command_params(name).is_some(), "{name}");
    }
    assert_eq!(SevenZ::NAME, "7z");
}
