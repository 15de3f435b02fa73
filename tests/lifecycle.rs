//! What dropping leaves behind: no thread, no task, no child process. One test in its own
//! binary, so no other test's threads or shells disturb the counts.

#![cfg(all(feature = "tokio", feature = "smol"))]

use std::time::Duration;

use moler::prelude::*;
use moler::{SmolRunner, TokioRunner};
use moler_io::terminal::TerminalOptions;

mod common;

use common::{children, eventually, threads};

const WAIT: Duration = Duration::from_secs(20);

fn open(runner: &Runner, n: usize) -> (Vec<ConnectionHandle>, Vec<Completion<Vec<String>>>) {
    let shells: Vec<_> =
        (0..n).map(|_| local_shell_on(runner, &TerminalOptions::default()).unwrap()).collect();
    let sleeping = shells
        .iter()
        .map(|s| {
            assert_eq!(s.run(Command::lines("echo up", LOCAL_PROMPT), WAIT).unwrap(), ["up"]);
            s.start(Command::lines("sleep 30", LOCAL_PROMPT))
        })
        .collect();
    (shells, sleeping)
}

fn all_closed(sleeping: Vec<Completion<Vec<String>>>) {
    for c in sleeping {
        let err = c.wait(WAIT).unwrap_err();
        assert!(err.is_closed(), "{err}");
    }
}

#[test]
fn dropping_handles_and_runtimes_leaks_no_thread_task_or_process() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let rt = rt.unwrap();
    let tokio_runner: Runner = TokioRunner::with_handle(rt.handle().clone()).into();
    let smol_runner: Runner = SmolRunner::new().into();
    // Warm up smol's global executor and reactor threads, which live for the process.
    drop(open(&smol_runner, 1));
    eventually("warm-up shell reaped", || children() == 0);
    let base = threads();

    // Thread runner: one thread per connection, gone with the last handle.
    let (shells, sleeping) = open(&ThreadRunner::new().into(), 6);
    assert_eq!(threads(), base + 6, "one thread per connection");
    assert_eq!(children(), 6);
    drop(shells);
    all_closed(sleeping);
    eventually("thread runner: threads and shells gone", || threads() == base && children() == 0);

    // Tokio and smol: no thread per connection; tasks end with the last handle.
    for runner in [&tokio_runner, &smol_runner] {
        let (shells, sleeping) = open(runner, 6);
        assert!(threads() <= base, "{}: {} threads, base {base}", runner.kind(), threads());
        drop(shells);
        all_closed(sleeping);
        eventually("async runner: shells gone", || threads() <= base && children() == 0);
    }
    eventually("tokio tasks ended", || rt.metrics().num_alive_tasks() == 0);

    // Dropping the runtime itself under live connections.
    let (shells, sleeping) = open(&tokio_runner, 3);
    drop(tokio_runner);
    drop(rt);
    for c in sleeping {
        let err = c.wait(WAIT).unwrap_err();
        assert!(err.to_string().contains("runner driving this connection stopped"), "{err}");
    }
    assert!(shells.iter().all(ConnectionHandle::is_closed));
    eventually("runtime dropped: workers and shells gone", || {
        threads() <= base - 2 && children() == 0
    });
}
