//! The second slice of issue 23's commands against the real Debian tools, through a real local
//! bash: each test sets something up, runs the typed command, and checks the parsed result
//! against what it set up. Network changes live in a network namespace of their own (a veth
//! pair in `moler-b<tag>-<pid>`), deleted at the end; users and processes get names of their own
//! and are removed. Root only (CI runs as root; scripts/test.sh installs the tools).

use std::path::PathBuf;
use std::process::Command as Process;
use std::time::Duration;

use moler::commands::unix::*;
use moler::moler_core::Command;
use moler::prelude::*;

const T: Duration = Duration::from_secs(30);

/// Whether we are root and every tool is on PATH; if not, says SKIPPED loudly (or fails where
/// skips are forbidden: `MOLER_NO_SKIP`, set by `.ci/run`).
fn have(tools: &[&str]) -> bool {
    let why = "network namespaces, users and firewalls need it";
    moler_testkit::require_root(tools[0], why) && moler_testkit::require_tools(tools)
}

/// Runs a setup or cleanup step outside the shell under test; it must succeed.
fn sh(script: &str) {
    let out = Process::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A network namespace with a veth pair `v0` (10.77.0.1/24) – `v1`, both up, and loopback up;
/// deleted on drop (and so everything in it: addresses, neighbours, firewall rules).
struct Netns(String);

impl Netns {
    /// `tag` tells apart the namespaces of tests running at once.
    fn new(tag: &str) -> Self {
        let name = format!("moler-b{tag}-{}", std::process::id());
        let _ = Process::new("ip").args(["netns", "del", &name]).output();
        sh(&format!("ip netns add {name}"));
        let ns = Netns(name);
        let n = &ns.0;
        sh(&format!(
            "ip -n {n} link add v0 type veth peer name v1 && ip -n {n} link set lo up && \
             ip -n {n} link set v0 up && ip -n {n} link set v1 up && \
             ip -n {n} addr add 10.77.0.1/24 dev v0"
        ));
        ns
    }

    /// A local bash moved into the namespace (`exec` keeps one shell; the prompt is the same).
    fn shell(&self) -> ConnectionHandle {
        let shell = local_shell().expect("bash starts");
        let enter = format!(
            "export PS1; exec ip netns exec {} bash --norc --noprofile --noediting",
            self.0
        );
        shell.run(Command::lines(enter, LOCAL_PROMPT).ret_required(false), T).unwrap();
        shell
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Process::new("ip").args(["netns", "del", &self.0]).output();
    }
}

#[test]
fn neighbours_multicast_routes_and_interface_settings_in_a_namespace() {
    if !have(&["ip", "route", "ethtool", "traceroute"]) {
        return;
    }
    let ns = Netns::new("n");
    sh(&format!(
        "ip -n {} neigh add 10.77.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent",
        ns.0
    ));
    let shell = ns.shell();
    let p = LOCAL_PROMPT;

    let neigh = shell.run(IpNeigh::new().options("show").command_with_prompt(p), T).unwrap();
    let want =
        Neighbour { dev: "v0".into(), mac: "02:00:00:00:00:02".into(), nud: "PERMANENT".into() };
    assert_eq!(neigh.get("10.77.0.2"), Some(&want), "{neigh:?}");

    let maddr = shell.run(IpMaddr::new().options("show").command_with_prompt(p), T).unwrap();
    let v0 = maddr.values().find(|i| i.interface == "v0").expect("v0 has multicast addresses");
    assert!(v0.items.iter().any(|i| i.kind == "inet" && i.value == "224.0.0.1"), "{v0:?}");

    let routes = shell.run(Route::new().options("-n").command_with_prompt(p), T).unwrap();
    let net = &routes.routes["v0_10.77.0.0"];
    assert_eq!((net["Genmask"].as_str(), net["Gateway"].as_str()), ("255.255.255.0", "0.0.0.0"));
    assert_eq!(routes.headers.last().map(String::as_str), Some("Iface"));

    let settings = shell.run(Ethtool::new("v0").command_with_prompt(p), T).unwrap();
    assert_eq!(settings["v0"]["Link detected"], "yes", "{settings:?}");
    let stats = shell.run(Ethtool::new("v0").options("-S").command_with_prompt(p), T).unwrap();
    assert!(stats["NIC statistics"]["peer_ifindex"].is_u64(), "{stats:?}");

    let trace =
        shell.run(Traceroute::new("127.0.0.1").options("-n -m 2 -q 3").command_with_prompt(p), T);
    let hop = &trace.unwrap().hops[0];
    assert_eq!(
        (hop.nr, hop.address.as_str(), hop.ttl1_unit.as_deref()),
        (1, "127.0.0.1", Some("ms"))
    );
}

#[test]
fn firewall_rules_in_a_namespace() {
    if !have(&["iptables", "nft"]) {
        return;
    }
    let ns = Netns::new("f");
    let shell = ns.shell();
    let p = LOCAL_PROMPT;

    let add = Iptables::new().options("-A INPUT -s 10.77.0.9 -j DROP");
    shell.run(add.command_with_prompt(p), T).unwrap();
    let list = shell.run(Iptables::new().options("-nvxL INPUT").command_with_prompt(p), T).unwrap();
    let input = &list["INPUT"];
    assert_eq!(input["POLICY"], "ACCEPT", "{list:?}");
    let rule = &input["CHAIN"][0];
    assert_eq!(
        (rule["SOURCE"].as_str(), rule["TARGET"].as_str()),
        (Some("10.77.0.9"), Some("DROP"))
    );
    assert!(
        shell
            .run(Iptables::new().options("-A NOSUCHCHAIN -j DROP").command_with_prompt(p), T)
            .is_err(),
        "iptables' complaint fails the command"
    );

    shell.run(Nft::new().options("add table inet moler").command_with_prompt(p), T).unwrap();
    let chain =
        "add chain inet moler input '{ type filter hook input priority 0; policy accept; }'";
    shell.run(Nft::new().options(chain).command_with_prompt(p), T).unwrap();
    shell
        .run(Nft::new().options("add rule inet moler input counter").command_with_prompt(p), T)
        .unwrap();
    let table =
        shell.run(Nft::new().options("list table inet moler").command_with_prompt(p), T).unwrap();
    let input = &table["table inet moler"]["chain input"];
    assert_eq!(input["counter"]["packets"].as_u64(), Some(0), "{table:?}");
    assert!(input["LINES"][0].as_str().unwrap().starts_with("type filter hook input"), "{table:?}");
}

/// `sleep` under a name no other process on the machine has: a symlink, whose name the
/// kernel gives the process (`comm`, what killall and pkill match). Not a copy: a binary
/// written by this process can fail to start with "Text file busy" (`ETXTBSY`) when another
/// test's thread forks meanwhile, its child holding the write descriptor until it execs.
fn own_sleep(tag: &str) -> (PathBuf, String) {
    let name = format!("mlr{tag}{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("moler-b-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(&name);
    let _ = std::fs::remove_file(&path);
    std::os::unix::fs::symlink("/bin/sleep", &path).unwrap();
    (path, name)
}

#[test]
fn killall_and_pkill_end_the_processes_they_name() {
    if !have(&["killall", "pkill"]) {
        return;
    }
    let shell = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    let (path, name) = own_sleep("ka");
    let mut child = Process::new(&path).arg("300").spawn().unwrap();
    let killed = shell.run(Killall::new(name.as_str()).is_verbose(true).command_with_prompt(p), T);
    let detail = killed.unwrap().detail.expect("killall -v reports what it killed");
    assert_eq!(detail.get(&child.id().to_string()), Some(&name), "{detail:?}");
    assert!(!child.wait().unwrap().success(), "killed by a signal");
    let none = shell.run(Killall::new(name.as_str()).command_with_prompt(p), T).unwrap();
    assert_eq!(none, KillallResult::default(), "no process found is not a failure");

    let mut child = Process::new(&path).arg("300").spawn().unwrap();
    shell.run(Pkill::new(name.as_str()).command_with_prompt(p), T).unwrap();
    assert!(!child.wait().unwrap().success(), "killed by a signal");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// Deletes the test user whatever happens.
struct User(String);

impl Drop for User {
    fn drop(&mut self) {
        let _ = Process::new("userdel").arg(&self.0).output();
    }
}

fn in_passwd(user: &str) -> bool {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd.lines().any(|l| l.starts_with(&format!("{user}:")))
}

#[test]
fn a_user_added_given_a_password_and_deleted() {
    if !have(&["useradd", "userdel", "passwd"]) {
        return;
    }
    let shell = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    let user = User(format!("mlrb{}", std::process::id()));
    let name = user.0.as_str();

    let defaults = shell.run(Useradd::new().defaults(true).command_with_prompt(p), T).unwrap();
    assert!(defaults.result.iter().any(|l| l.starts_with("HOME=")), "{defaults:?}");
    let added = shell.run(Useradd::new().user(name).command_with_prompt(p), T).unwrap();
    assert!(added.result.is_empty(), "{added:?}");
    assert!(in_passwd(name));
    assert!(
        shell.run(Useradd::new().user(name).command_with_prompt(p), T).is_err(),
        "adding it again fails"
    );

    let set = Passwd::new().user(name).new_password("Moler-rs-b-42!");
    let changed = shell.run(set.command_with_prompt(p), T).unwrap();
    assert!(changed.password_changed, "{changed:?}");
    let status = shell.run(Passwd::new().user(name).options("-S").command_with_prompt(p), T);
    let status = status.unwrap();
    assert!(status.lines[0].starts_with(&format!("{name} P ")), "a usable password: {status:?}");

    // The user changing it to one too short: Debian's passwd (pam_unix) refuses it and asks
    // again until it gives up; one Enter a question leaves it, and none is left to the shell,
    // whose next commands get their own output. In a shell of the user's, with our prompt.
    let own = local_shell().unwrap();
    let become_user = format!(
        "exec su {name} -s /bin/bash -c \"PS1='moler_bash# ' exec bash --norc --noediting\""
    );
    own.run(Command::lines(become_user, p).ret_required(false), T).unwrap();
    let short = Passwd::new().current_password("Moler-rs-b-42!").new_password("abc");
    let err = own.run(short.command_with_prompt(p), T).unwrap_err();
    assert!(err.to_string().contains("new password is too short"), "{err}");
    for word in ["one", "two"] {
        let echoed = own.run(Command::lines(format!("echo {word} $(whoami)"), p), T).unwrap();
        assert_eq!(echoed, [format!("{word} {name}")]);
    }
    drop(own);

    let deleted = shell.run(Userdel::new().user(name).command_with_prompt(p), T).unwrap();
    assert!(deleted.result.is_empty(), "{deleted:?}");
    assert!(!in_passwd(name));
    assert!(
        shell.run(Userdel::new().user(name).command_with_prompt(p), T).is_err(),
        "deleting a user that is gone fails"
    );
}

#[test]
fn socat_relays_and_reports() {
    if !have(&["socat"]) {
        return;
    }
    let shell = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    let relay = Socat::new().input_options("SYSTEM:'echo relayed'").output_options("-");
    let out = shell.run(relay.command_with_prompt(p), T).unwrap();
    assert_eq!(out.result, ["relayed"]);
    let version = shell.run(Socat::new().options("-V").command_with_prompt(p), T).unwrap();
    assert!(version.features.defined.contains_key("WITH_STDIO"), "{version:?}");
    let refused = Socat::new().input_options("TCP:127.0.0.1:1").output_options("-");
    let err = shell.run(refused.command_with_prompt(p), T).unwrap_err();
    assert!(err.to_string().contains("socat"), "an E message fails it: {err}");
}

#[test]
fn tcpdump_sees_the_pings_it_waits_for() {
    if !have(&["tcpdump", "ping"]) {
        return;
    }
    let ns = Netns::new("t");
    sh(&format!(
        "ip -n {} neigh add 10.77.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent",
        ns.0
    ));
    let shell = ns.shell();
    let mut ping = Process::new("ip")
        .args(["netns", "exec", &ns.0, "ping", "-c", "100", "-i", "0.2", "10.77.0.2"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dump = Tcpdump::new().options("-ni v0 -c 2 icmp").command_with_prompt(LOCAL_PROMPT);
    let seen = shell.run(dump, T);
    let _ = ping.kill();
    let _ = ping.wait();
    let seen = seen.unwrap();
    assert_eq!(seen["listening"], "v0", "{seen:?}");
    assert!(seen["capture size"].as_str().unwrap().ends_with("bytes"), "{seen:?}");
    assert_eq!(seen["packets captured"], "2", "{seen:?}");
    for n in ["1", "2"] {
        let packet = &seen[n];
        assert_eq!(
            (packet["source"].as_str(), packet["destination"].as_str()),
            (Some("10.77.0.1"), Some("10.77.0.2"))
        );
        assert!(packet["details"].as_str().unwrap().starts_with("ICMP echo request"), "{packet}");
    }
}

#[test]
fn wget_fetches_from_a_local_http_server() {
    if !have(&["wget", "python3"]) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("moler-b-wget-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(dir.join("site/hello.txt"), "hello from moler-rs\n").unwrap();
    // Kept for the server (Python's binds with SO_REUSEADDR): the listener that answers is its.
    let kept = moler_testkit::ServerPort::new();
    let port = kept.port();
    let mut server = Process::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1"])
        .current_dir(dir.join("site"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let up = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let shell = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    let out = dir.join("got.txt");
    let get = Wget::new(format!("-O {} http://127.0.0.1:{port}/hello.txt", out.display()))
        .log_progress_bar(true);
    let got = shell.run(get.command_with_prompt(p), T);
    let missing = Wget::new(format!("http://127.0.0.1:{port}/no-such-file"));
    let missing = shell.run(missing.command_with_prompt(p), T);
    let _ = server.kill();
    let _ = server.wait();
    assert!(up, "the HTTP server listens");
    let got = got.unwrap();
    assert_eq!(got.result.len(), 1, "{got:?}");
    assert!(got.result[0].contains("got.txt"), "{got:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello from moler-rs\n");
    assert!(got.progress_log.is_some(), "asked for");
    assert!(missing.unwrap_err().to_string().contains("ERROR 404"), "a 404 fails it");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nmap_and_nping_find_a_local_listener() {
    if !have(&["nmap", "nping"]) {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let shell = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    // `-n`: without it the report names `localhost`, and Moler's ADDRESS is that name.
    let scan = Nmap::new("127.0.0.1").options(format!("-n -p {port}"));
    let scan = shell.run(scan.command_with_prompt(p), T).unwrap();
    let open = &scan["PORTS"][format!("{port}/tcp")];
    assert_eq!(
        (open["STATE"].as_str(), open["PORT"].as_str()),
        (Some("open"), Some(port.to_string().as_str())),
        "{scan:?}"
    );
    assert_eq!(scan["SCAN_REPORTS"][0]["ADDRESS"], "127.0.0.1", "{scan:?}");

    let ping =
        Nping::new("127.0.0.1").options(format!("-c 2 --delay 100ms --tcp-connect -p {port}"));
    let ping = shell.run(ping.command_with_prompt(p), T).unwrap();
    let stats = &ping["STATISTICS"];
    assert_eq!(stats["NO_OF_ADDRESSES"], 1, "{ping:?}");
    assert_eq!(stats["HOST"]["Successful connections"], "2", "{ping:?}");
    assert!(stats["HOST"]["Avg rtt"].as_str().unwrap().ends_with("ms"), "{ping:?}");
}

#[test]
fn history_lists_what_the_shell_ran() {
    let shell = local_shell().unwrap();
    let p = LOCAL_PROMPT;
    let mark = format!("moler-b-history-{}", std::process::id());
    shell.run(Echo::new().text(mark.as_str()).command_with_prompt(p), T).unwrap();
    let history = shell.run(History::new().command_with_prompt(p), T).unwrap();
    let last = history.values().rev().take(3).collect::<Vec<_>>();
    assert!(last.iter().any(|c| c.contains(&mark)), "{last:?}");
    assert!(last.iter().any(|c| c.trim() == "history"), "{last:?}");
}

#[test]
fn logout_leaves_a_login_shell_and_fails_in_another() {
    let shell = local_shell().unwrap();
    let inner = r"^inner_login# $";
    let login = "PS1='inner_login# ' bash --login --noprofile --norc --noediting";
    shell.run(Command::lines(login, inner).ret_required(false), T).unwrap();
    shell.run(Logout::new(LOCAL_PROMPT).command_with_prompt(inner), T).unwrap();
    let pwd = shell.run(Pwd::new().command_with_prompt(LOCAL_PROMPT), T).unwrap();
    assert!(!pwd.full_path.is_empty(), "back in the first shell");

    let not_login = "PS1='inner_login# ' bash --noprofile --norc --noediting";
    shell.run(Command::lines(not_login, inner).ret_required(false), T).unwrap();
    let err = shell.run(Logout::new(LOCAL_PROMPT).command_with_prompt(inner), T).unwrap_err();
    assert!(err.to_string().contains("not login shell"), "{err}");
    shell.run(Exit::new(LOCAL_PROMPT).command_with_prompt(inner), T).unwrap();
}
