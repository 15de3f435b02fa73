//! Removing devices leaves nothing behind, on every runner: no thread, no child process, no
//! file descriptor. One test in its own binary, so no other test's threads or shells disturb
//! the counts.

#![cfg(all(feature = "tokio", feature = "smol"))]

use moler::commands::unix::Pwd;
use moler::config::Loader;
use moler::prelude::*;
use moler::{SmolRunner, TokioRunner};

mod common;

use common::{children, eventually, fds, threads};

#[test]
fn removed_devices_leave_no_thread_fd_or_process_on_any_runner() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let rt = rt.unwrap();
    let yaml = "DEVICES:
  T1: {DEVICE_CLASS: UnixLocal, CONNECTION_DESC: {io_type: terminal, variant: threaded}}
  T2: {DEVICE_CLASS: UnixLocal, CONNECTION_DESC: {io_type: terminal, variant: threaded}}
  K1: {DEVICE_CLASS: UnixLocal, CONNECTION_DESC: {io_type: terminal, variant: tokio}}
  K2: {DEVICE_CLASS: UnixLocal, CONNECTION_DESC: {io_type: terminal, variant: tokio}}
  S1: {DEVICE_CLASS: UnixLocal, CONNECTION_DESC: {io_type: terminal, variant: smol}}
  S2: {DEVICE_CLASS: UnixLocal, CONNECTION_DESC: {io_type: terminal, variant: smol}}
";
    let config = Loader::new()
        .runner(TokioRunner::with_handle(rt.handle().clone()))
        .runner(SmolRunner::new())
        .from_yaml(yaml)
        .unwrap();
    let devices = Devices::from_config(config).unwrap();
    // Warm up what lives for the process or for this thread: smol's global executor and
    // reactor threads, and the wake-up socket pair this thread keeps for driving thread-runner
    // connections while it waits on them.
    for name in ["S1", "T1"] {
        devices.get(name).unwrap().run(Pwd::new()).unwrap();
        devices.remove(name).unwrap();
    }
    // And the one thread that runs background tasks without a runtime (a removal's bounded
    // wait for a slow close uses its timers): made on first use, it lives for the process.
    moler::Runner::new(moler::RunnerKind::Thread).unwrap().spawn_task(async {});
    eventually("warm-up shell reaped", || children() == 0);
    // The warm-up's threads end a while after their removal (an idle thread of smol's
    // `blocking` pool goes after half a second): the base is the count once it held still for
    // more than a second.
    let (mut last, mut still) = (threads(), 0);
    eventually("the thread count settles", || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let now = threads();
        still = if std::mem::replace(&mut last, now) == now { still + 1 } else { 0 };
        still >= 4
    });
    let (base_threads, base_fds) = (threads(), fds());

    // Twice: nothing piles up either.
    for round in 0..2 {
        let names = ["T1", "T2", "K1", "K2", "S1", "S2"];
        for name in names {
            let d = devices.get(name).unwrap();
            assert!(d.run(Pwd::new()).unwrap().full_path.starts_with('/'));
            // Something under way when the device goes: it fails, it does not linger.
            let prompt = d.prompt().unwrap().to_owned();
            d.observe(Command::lines("sleep 30", &prompt)).unwrap().start();
        }
        assert_eq!(children(), names.len(), "one shell per device");
        assert_eq!(threads(), base_threads + 2, "the thread runner: one thread per connection");
        for name in names {
            devices.remove(name).unwrap();
        }
        assert!(devices.made().is_empty());
        eventually(&format!("round {round}: all gone"), || {
            threads() == base_threads && fds() == base_fds && children() == 0
        });
    }
}
