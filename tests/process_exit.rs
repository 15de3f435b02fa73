//! A program that ends leaves no child of its process or terminal connections behind: as it
//! exits (returning from `main` or `std::process::exit`), every child still running is asked to
//! end (SIGTERM, so its clean-up runs) and killed after its grace if it does not, and every
//! local shell is hung up and its session swept. Connections left open, and connections closed
//! just before the end (their runner's thread has no time to end the child itself), both; and
//! a program that SIGINT (Ctrl-C) or SIGTERM ends, once it has opted in with
//! `moler::end_children_on_signals` (it then dies of the signal all the same).
//!
//! Its own `main` (harness = false): the test runs this binary again as a child that starts
//! two process connections and a local shell on the thread runner and ends, then looks at what
//! it left:
//! - a polite child, which cleans up on SIGTERM (writes a file) and exits;
//! - a deaf child, which ignores SIGTERM and its input's end (`sleep`): only SIGKILL ends it;
//! - a job the shell started with `nohup`, deaf to the hang-up the kernel sends as the
//!   program's end closes the terminal: only the sweep of the shell's session ends it.
//!
//! A program killed (SIGKILL) or aborted runs no code of its own: the kernel kills the process
//! connections' programs as it dies (their parent-death signal; no grace, so no clean-up) and
//! hangs up the shell, whose `nohup` job is then left running (the test ends it).

use std::path::Path;
use std::time::{Duration, Instant};

use moler::prelude::*;
use moler_io::process::{self, ProcessOptions};
use moler_io::terminal::{self, TerminalOptions};
use rustix::process::Signal;

const CHILD: &str = "MOLER_PROCESS_EXIT_CHILD";
const WAIT: Duration = Duration::from_secs(20);

/// The child program: the three connections, then the end `how` says.
fn child(dir: &Path, how: &str) {
    if matches!(how, "interrupted" | "terminated" | "interrupted twice" | "hang-up ignored") {
        moler::end_children_on_signals().unwrap();
    }
    let polite = format!(
        "trap 'echo cleaned > {dir}/polite; exit 0' TERM; echo $$ > {dir}/polite.pid; \
         while :; do sleep 0.05; done",
        dir = dir.display()
    );
    let deaf = format!("trap '' TERM; echo $$ > {}/deaf.pid; exec sleep 1000", dir.display());
    let runner = ThreadRunner::new();
    let mut connections: Vec<ConnectionHandle> = [polite, deaf]
        .iter()
        .map(|script| {
            let mut options = ProcessOptions::new("sh", ["-c", script]);
            if how == "interrupted twice" {
                // Only a second Ctrl-C ends the program before this.
                options.term_grace = Duration::from_secs(600);
            }
            runner.spawn("child", process::spawn(&options).unwrap()).unwrap()
        })
        .collect();
    let shell =
        runner.spawn("shell", terminal::open(&TerminalOptions::default()).unwrap()).unwrap();
    // The job writes its pid once it is deaf to the hang-up (nohup has set it ignored).
    shell.sendline(format!(
        "nohup sh -c 'echo $$ > {d}/nohup.pid; exec sleep 1000' > /dev/null 2>&1 & \
         echo $$ > {d}/shell.pid",
        d = dir.display()
    ));
    connections.push(shell);
    for name in ["polite", "deaf", "nohup", "shell"] {
        pid_of(dir, name);
    }
    match how {
        "left open, return" => std::mem::forget(connections),
        "left open, exit" => std::process::exit(0),
        "killed" => {
            rustix::process::kill_process(rustix::process::getpid(), Signal::KILL).unwrap();
            std::thread::sleep(WAIT);
            panic!("{how}: SIGKILL did not end the program");
        }
        "aborted" => std::process::abort(),
        "closed, return" => connections.iter().for_each(ConnectionHandle::close),
        "interrupted" | "terminated" => {
            let signal = if how == "interrupted" { Signal::INT } else { Signal::TERM };
            rustix::process::kill_process(rustix::process::getpid(), signal).unwrap();
            std::thread::sleep(WAIT);
            panic!("{how}: the signal did not end the program");
        }
        "hang-up ignored" => {
            // Started as `nohup` starts a program: its SIGHUP stays ignored.
            rustix::process::kill_process(rustix::process::getpid(), Signal::HUP).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
        "interrupted twice" => {
            let me = rustix::process::getpid();
            rustix::process::kill_process(me, Signal::INT).unwrap();
            // The end has begun once the polite child has cleaned up on its SIGTERM.
            let deadline = Instant::now() + WAIT;
            while !dir.join("polite").exists() {
                assert!(Instant::now() < deadline, "{how}: the first Ctrl-C ended nothing");
                std::thread::sleep(Duration::from_millis(10));
            }
            rustix::process::kill_process(me, Signal::INT).unwrap();
            std::thread::sleep(WAIT);
            panic!("{how}: the second Ctrl-C did not end the program");
        }
        other => panic!("no such end: {other}"),
    }
}

/// The pid child `name` wrote (waited for: it writes it once its trap is set).
fn pid_of(dir: &Path, name: &str) -> String {
    let file = dir.join(format!("{name}.pid"));
    let deadline = Instant::now() + WAIT;
    loop {
        match std::fs::read_to_string(&file) {
            Ok(pid) if pid.ends_with('\n') => return pid.trim().to_owned(),
            _ => assert!(Instant::now() < deadline, "{name} never wrote its pid"),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether every process of `pids` has ended within [`WAIT`].
fn all_end(pids: &[&str]) -> bool {
    let deadline = Instant::now() + WAIT;
    while pids.iter().any(|pid| running(pid)) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Whether process `pid` still runs (a zombie has ended: its parent, now init, reaps it).
fn running(pid: &str) -> bool {
    moler_testkit::process_state(pid).is_some_and(|state| state != 'Z')
}

fn main() {
    if !moler_testkit::harness::own_test("process_exit") {
        return;
    }
    if let Ok(spec) = std::env::var(CHILD) {
        let (how, dir) = spec.split_once(':').expect("how:dir");
        return child(Path::new(dir), how);
    }
    let ends = [
        "left open, return",
        "left open, exit",
        "closed, return",
        "interrupted",
        "terminated",
        "interrupted twice",
        "hang-up ignored",
        "killed",
        "aborted",
    ];
    for how in ends {
        let dir = moler_testkit::TempDir::new("process-exit");
        if how == "interrupted twice" {
            interrupted_twice(&dir);
            continue;
        }
        let (status, took) = run_child(how, &dir);
        let by_signal = match how {
            "interrupted" => Some(Signal::INT.as_raw()),
            "terminated" => Some(Signal::TERM.as_raw()),
            "killed" => Some(Signal::KILL.as_raw()),
            "aborted" => Some(Signal::ABORT.as_raw()),
            _ => None,
        };
        use std::os::unix::process::ExitStatusExt;
        match by_signal {
            None => assert!(status.success(), "{how}: the child failed: {status}"),
            Some(signal) => {
                assert_eq!(
                    status.signal(),
                    Some(signal),
                    "{how}: not ended by its signal: {status}"
                )
            }
        }
        let (polite, deaf, nohup, shell) = (
            pid_of(&dir, "polite"),
            pid_of(&dir, "deaf"),
            pid_of(&dir, "nohup"),
            pid_of(&dir, "shell"),
        );
        // Died with no code of its own run: the shell's nohup job is left (see the top).
        let died = matches!(how, "killed" | "aborted");
        let nohup_left = died && running(&nohup);
        if died {
            let _ = std::process::Command::new("kill").args(["-9", &nohup]).status();
        }
        assert!(
            all_end(&[&polite, &deaf, &shell, &nohup]),
            "{how}: the program ended {took:?} after it started, and left its children running \
             (polite {polite}: {}, deaf {deaf}: {}, the shell {shell}: {}, its nohup job \
             {nohup}: {})",
            running(&polite),
            running(&deaf),
            running(&shell),
            running(&nohup)
        );
        let cleaned = std::fs::read_to_string(dir.join("polite")).unwrap_or_default();
        if died {
            // Killed by the kernel: no SIGTERM, no grace.
            assert_eq!(cleaned, "", "{how}: the polite child was asked to end: by whom?");
            println!(
                "process_exit: {how}: the process children were killed with the program, the \
                 shell hung up (its nohup job left running: {nohup_left}) ({took:?})"
            );
            continue;
        }
        assert_eq!(cleaned, "cleaned\n", "{how}: the polite child's SIGTERM trap did not run");
        println!(
            "process_exit: {how}: the four children ended, the polite one cleaned up ({took:?})"
        );
    }
}

/// A second Ctrl-C ends the program at once: its children's graces (600 s here) are not waited
/// for, and a child still in its grace dies with the program (the deaf one: the kernel kills
/// it, its parent-death signal; the shell, hung up by the first, may have been swept by its
/// connection meanwhile, else its nohup job is ended here by the test).
fn interrupted_twice(dir: &Path) {
    use std::os::unix::process::ExitStatusExt;
    let how = "interrupted twice";
    let (status, took) = run_child(how, dir);
    let (deaf, nohup) = (pid_of(dir, "deaf"), pid_of(dir, "nohup"));
    let _ = std::process::Command::new("kill").args(["-9", &nohup]).status();
    assert_eq!(status.signal(), Some(Signal::INT.as_raw()), "{how}: not ended by SIGINT: {status}");
    assert!(took < Duration::from_secs(300), "{how}: the program waited {took:?}");
    assert!(all_end(&[&deaf]), "{how}: the deaf child outlived the program");
    let cleaned = std::fs::read_to_string(dir.join("polite")).unwrap_or_default();
    assert_eq!(cleaned, "cleaned\n", "{how}: the polite child's SIGTERM trap did not run");
    println!("process_exit: {how}: ended at once ({took:?}), the polite child cleaned up");
}

/// This program run again as the child that ends `how`, with its files in `dir`: how it ended,
/// and when.
fn run_child(how: &str, dir: &Path) -> (std::process::ExitStatus, Duration) {
    let started = Instant::now();
    let exe = std::env::current_exe().unwrap();
    let mut command = std::process::Command::new(&exe);
    if how == "hang-up ignored" {
        // As `nohup` does (without its output file).
        command = std::process::Command::new("sh");
        command.args(["-c", "trap '' HUP; exec \"$0\""]).arg(&exe);
    }
    let status =
        command.env(CHILD, format!("{how}:{}", dir.display())).status().expect("run the child");
    (status, started.elapsed())
}
