//! What the end-to-end tests share: a runner with its runtime (`moler_testkit::Rig`; its macro
//! `moler_testkit::on_every_runner!` turns one scenario into a test on every runner), and the
//! counts of what a process holds (threads, descriptors, child processes) for the tests of what
//! dropping leaves behind.
#![allow(dead_code)]

/// A runner with its runtime (moler-testkit's, with the `on_every_runner!` macro that gives each
/// scenario one). Not every test crate that shares this module runs scenarios.
#[allow(unused_imports)]
pub use moler_testkit::Rig;

/// This process's threads.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// This process's open file descriptors.
pub fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// What each open descriptor is, for failure messages.
pub fn fd_list() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            Some(format!("{}->{}", e.file_name().to_string_lossy(), target.display()))
        })
        .collect();
    v.sort();
    v
}

/// Processes whose parent is this one (the shells).
pub fn children() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
            let rest = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
            rest.split_whitespace().nth(1) == Some(me.as_str())
        })
        .count()
}

/// Polls `f` until it holds; counts settle within milliseconds, the 20 s deadline is for busy
/// machines.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: threads {}, children {}, fds {} {:?}",
            threads(),
            children(),
            fds(),
            fd_list()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
