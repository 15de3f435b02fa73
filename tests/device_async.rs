//! Devices are async at heart: a walk awaited in a task never blocks its thread, a state change
//! in the background costs no thread, and the blocking calls are a shell over the same walks.
//! Real TCP to the device simulator, whose first prompt and `su` hop are slow on purpose.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::commands::unix::Echo;
use moler::prelude::*;
use moler_testkit::{SimOptions, Simulator};

const SLOW: Duration = Duration::from_millis(400);

/// A simulator whose shell shows `moler_bash# ` only after `SLOW`, and whose `su` takes as long.
fn slow_simulator() -> Simulator {
    let options =
        SimOptions::default().prompt("moler_bash# ").first_prompt_after(SLOW).hop_after(SLOW);
    Simulator::start_with(([127, 0, 0, 1], 0).into(), options).unwrap()
}

/// `n` UnixLocal devices over TCP to `sim`, their `su` hop answered with `password`.
fn devices(sim: &Simulator, n: usize, password: &str) -> Devices {
    let mut yaml = String::from("DEVICES:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  SIM{i}:
    DEVICE_CLASS: UnixLocal
    CONNECTION_DESC: {{io_type: tcp, host: 127.0.0.1, port: {}, ready_prompt: 'moler_bash# ', ready_timeout: 60}}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params: {{password: {password}, expected_prompt: '^root@sim# ', timeout: 60}}
",
            sim.port()
        ));
    }
    Devices::from_yaml(&yaml).unwrap()
}

#[test]
fn a_second_get_async_waits_for_the_first_without_blocking_the_runtime() {
    let sim = slow_simulator();
    let devices = devices(&sim, 1, "sim");
    // One thread for everything: a caller that blocked it would stop the ticker, and the
    // first caller's walk with it.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = {
            let ticks = Arc::clone(&ticks);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let started = Instant::now();
        let (first, second) = tokio::join!(devices.get_async("SIM0"), async {
            // The second caller comes while the first waits for the slow prompt.
            tokio::time::sleep(Duration::from_millis(50)).await;
            devices.get_async("SIM0").await
        });
        let (first, second) = (first.unwrap(), second.unwrap());
        assert!(first == second, "one device, made once");
        assert_eq!(second.state(), "UNIX_LOCAL", "the second caller got it in its initial state");
        let took = started.elapsed();
        let ticked = ticks.load(Ordering::Relaxed);
        assert!(ticked >= 10, "the runtime's only thread ticked {ticked} times in {took:?}");

        // The walk itself runs in the caller's task, on this one thread.
        first.goto_state_async("UNIX_LOCAL_ROOT").await.unwrap();
        assert_eq!(first.state(), State::UNIX_LOCAL_ROOT);
        let out = first.start(Echo::new().text("as root").text_in_quotation(false)).unwrap();
        assert_eq!(out.await.unwrap().result, ["as root"]);
        ticker.abort();
        devices.remove_all_async().await;
        assert_eq!(first.state(), "NOT_CONNECTED");
    });
}

#[test]
fn a_failed_hop_in_the_background_reports_why_and_the_device_stays() {
    let sim = Simulator::start_with(
        ([127, 0, 0, 1], 0).into(),
        SimOptions::default().prompt("moler_bash# "),
    )
    .unwrap();
    let devices = devices(&sim, 1, "wrong");
    let device = devices.get("SIM0").unwrap();
    let err = device.goto_state_bg("UNIX_LOCAL_ROOT").wait(Duration::from_secs(60)).unwrap_err();
    let err = err.to_string();
    assert!(
        err.starts_with("device SIM0: cannot go from UNIX_LOCAL to UNIX_LOCAL_ROOT: hop UNIX_LOCAL -> UNIX_LOCAL_ROOT (su) failed"),
        "{err}"
    );
    assert!(err.contains("su: Authentication failure"), "{err}");
    assert_eq!(device.state(), "UNIX_LOCAL");
    let unknown = device.goto_state_bg("UNIX_REMOTE");
    assert!(unknown.is_done(), "an unknown state fails at once");
    devices.remove_all();
}
