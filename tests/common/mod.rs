//! What the end-to-end tests share: a runner with its runtime, the macro that turns one
//! scenario into a test on every runner, and the counts of what a process holds (threads,
//! descriptors, child processes) for the tests of what dropping leaves behind.
#![allow(dead_code)]

use moler::prelude::*;

/// A runner and what it runs on, kept alive for the test.
pub struct Rig {
    pub runner: Runner,
    #[cfg(feature = "tokio")]
    _tokio: Option<tokio::runtime::Runtime>,
}

impl Rig {
    pub fn new(kind: RunnerKind) -> Rig {
        #[cfg(feature = "tokio")]
        if kind == RunnerKind::Tokio {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let runner = moler::TokioRunner::with_handle(rt.handle().clone()).into();
            return Rig { runner, _tokio: Some(rt) };
        }
        Rig {
            runner: Runner::new(kind).unwrap(),
            #[cfg(feature = "tokio")]
            _tokio: None,
        }
    }

    /// A local shell on this runner.
    pub fn shell(&self) -> ConnectionHandle {
        let shell = local_shell_on(&self.runner, &Default::default()).unwrap();
        assert_eq!(shell.runner(), self.runner.kind());
        shell
    }
}

/// Defines each scenario as a test on every runner: `on_thread::name`, `on_tokio::name`,
/// `on_smol::name`.
#[allow(unused_macros)]
macro_rules! on_every_runner {
    ($($scenario:ident),* $(,)?) => {
        mod on_thread {
            $( #[test] fn $scenario() { super::$scenario(&$crate::common::Rig::new(moler::RunnerKind::Thread)) } )*
        }
        #[cfg(feature = "tokio")]
        mod on_tokio {
            $( #[test] fn $scenario() { super::$scenario(&$crate::common::Rig::new(moler::RunnerKind::Tokio)) } )*
        }
        #[cfg(feature = "smol")]
        mod on_smol {
            $( #[test] fn $scenario() { super::$scenario(&$crate::common::Rig::new(moler::RunnerKind::Smol)) } )*
        }
    };
}

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
