//! Devices are async at heart: a walk awaited in a task never blocks its thread, a state change
//! in the background costs no thread, and the blocking calls are a shell over the same walks.
//! Real TCP to the device simulator, whose first prompt and `su` hop are slow on purpose.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::commands::unix::Echo;
use moler::prelude::*;
use moler::Goto;
use moler_testkit::{SimOptions, Simulator};

const SLOW: Duration = Duration::from_millis(400);

/// A simulator on 127.0.0.1 whose shell shows `moler_bash# `, with `options` besides.
fn simulator(options: SimOptions) -> Simulator {
    Simulator::start_with(([127, 0, 0, 1], 0).into(), options.prompt("moler_bash# ")).unwrap()
}

/// A simulator whose shell shows `moler_bash# ` only after `SLOW`, and whose `su` takes as long.
fn slow_simulator() -> Simulator {
    simulator(SimOptions::default().first_prompt_after(SLOW).hop_after(SLOW))
}

/// `n` UnixLocal devices over TCP to `sim`, their `su` hop answered with `password`.
fn devices(sim: &Simulator, n: usize, password: &str) -> Devices {
    Devices::from_yaml(&devices_yaml(sim, n, password, None)).unwrap()
}

/// The config of [`devices`]; their connections on the runner `variant` names, if given.
fn devices_yaml(sim: &Simulator, n: usize, password: &str, variant: Option<&str>) -> String {
    let variant = variant.map_or(String::new(), |v| format!("variant: {v}, "));
    let mut yaml = String::from("DEVICES:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  SIM{i}:
    DEVICE_CLASS: UnixLocal
    CONNECTION_DESC: {{io_type: tcp, {variant}host: 127.0.0.1, port: {}, ready_prompt: 'moler_bash# ', ready_timeout: 60}}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params: {{password: {password}, expected_prompt: '^root@sim# ', timeout: 60}}
",
            sim.port()
        ));
    }
    yaml
}

/// A task on the current runtime that counts a tick every 10 ms: a thread blocked by anything
/// else stops it. Its count, and the task (to abort).
fn ticker() -> (Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let ticks = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&ticks);
    let task = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    (ticks, task)
}

#[test]
fn a_second_get_async_waits_for_the_first_without_blocking_the_runtime() {
    let sim = slow_simulator();
    let devices = devices(&sim, 1, "sim");
    // One thread for everything: a caller that blocked it would stop the ticker, and the
    // first caller's walk with it.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (ticks, ticker) = ticker();
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

/// `goto_state_with_async`, Moler's `goto_state` options awaited: the walk is made (and an
/// Enter typed once there), a refused hop is an error, rerun as asked, and the device stays.
#[test]
fn goto_state_with_async_walks_with_its_options() {
    let sim = simulator(SimOptions::default());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let good = devices(&sim, 1, "sim");
    rt.block_on(async {
        let device = good.get_async("SIM0").await.unwrap();
        let how = Goto::new().timeout(Duration::from_secs(60)).send_enter_after_changed_state(true);
        device.goto_state_with_async("UNIX_LOCAL_ROOT", how).await.unwrap();
        assert_eq!(device.state(), "UNIX_LOCAL_ROOT");
        let out = device.start(Echo::new().text("as root").text_in_quotation(false)).unwrap();
        assert_eq!(out.await.unwrap().result, ["as root"]);
        device.goto_state_with_async("UNIX_LOCAL", Goto::new()).await.unwrap();
        assert_eq!(device.state(), "UNIX_LOCAL");
        good.remove_all_async().await;
    });
    let bad = devices(&sim, 1, "wrong");
    rt.block_on(async {
        let device = bad.get_async("SIM0").await.unwrap();
        let refusals = device
            .observe(
                Wait4::new(["su: Authentication failure"])
                    .unwrap()
                    .till_occurs_times(2)
                    .timeout(Duration::from_secs(30)),
            )
            .unwrap()
            .start();
        let how = Goto::new().rerun(1);
        let err = device.goto_state_with_async("UNIX_LOCAL_ROOT", how).await.unwrap_err();
        assert!(err.to_string().contains("su: Authentication failure"), "{err}");
        assert_eq!(refusals.await.unwrap().len(), 2, "one try and one rerun");
        assert_eq!(device.state(), "UNIX_LOCAL");
        bad.remove_all_async().await;
    });
}

#[test]
fn a_failed_hop_in_the_background_reports_why_and_the_device_stays() {
    let sim = simulator(SimOptions::default());
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

/// A device whose connection runs on the current-thread runtime the script awaits in (the
/// tokio runner's assist: the awaiting task drives the connection): hops there and back,
/// commands awaited one after another, an event that fires while nothing is awaited, a command
/// abandoned by a timeout, and the device still where it believes it is.
#[test]
fn a_device_on_a_current_thread_runtime_walks_runs_and_watches_while_awaited_there() {
    let sim = simulator(SimOptions::default());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let yaml = devices_yaml(&sim, 1, "sim", Some("tokio"));
    let loader =
        moler::config::Loader::new().runner(moler::TokioRunner::with_handle(rt.handle().clone()));
    let devices = Devices::from_config(loader.from_yaml(&yaml).unwrap()).unwrap();
    rt.block_on(async {
        let device = devices.get_async("SIM0").await.unwrap();
        for round in 0..3 {
            device.goto_state_async("UNIX_LOCAL_ROOT").await.unwrap();
            assert_eq!(device.state(), "UNIX_LOCAL_ROOT");
            let text = format!("as root {round}");
            let out = device.start(Echo::new().text(&text).text_in_quotation(false)).unwrap();
            assert_eq!(out.await.unwrap().result, [text]);
            device.goto_state_async("UNIX_LOCAL").await.unwrap();
            assert_eq!(device.state(), "UNIX_LOCAL");
        }
        // An event started now fires on output that comes while nothing is awaited.
        let event = device
            .event(
                "wait4",
                serde_json::json!({"detect_patterns": ["line 3"], "till_occurs_times": 1}),
            )
            .unwrap()
            .start();
        let count = device.observe(Command::lines("count 5", "^moler_bash# ")).unwrap().start();
        let started = Instant::now();
        while !event.is_done() {
            assert!(started.elapsed() < Duration::from_secs(10), "the event never fired");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(count.await.unwrap().len() == 5);
        // A command abandoned by a timeout (its future dropped) leaves the connection working.
        // (`sleep` prints nothing: the command asks for no output.)
        let sleep = Command::lines("sleep 300", "^moler_bash# ").ret_required(false);
        let slow = device.observe(sleep).unwrap().start();
        let abandoned = tokio::time::timeout(Duration::from_millis(50), slow).await;
        assert!(abandoned.is_err(), "the sleep takes 300 ms");
        let started = Instant::now();
        let out = device.start(Echo::new().text("still here").text_in_quotation(false)).unwrap();
        assert_eq!(out.await.unwrap().result, ["still here"]);
        // It went out once the sleep had ended, without a wait for anything else.
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "the next command took {took:?}");
        assert_eq!(device.state(), "UNIX_LOCAL");
        devices.remove_all_async().await;
        assert_eq!(device.state(), "NOT_CONNECTED");
    });
}

/// Opening a connection that waits on the network (SSH here, to a peer that takes the TCP
/// connection and never speaks) runs off the runtime's thread: a current-thread runtime's other
/// tasks go on meanwhile, and the open fails at its connect timeout.
#[test]
fn opening_over_the_network_leaves_the_runtime_free() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let devices = Devices::from_yaml(&format!(
        "DEVICES:\n  REMOTE:\n    DEVICE_CLASS: UnixRemote2\n    CONNECTION_DESC: {{io_type: \
         sshshell, host: 127.0.0.1, port: {port}, login: a, password: b, connect_timeout: 1}}\n"
    ))
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (ticks, ticker) = ticker();
        let started = Instant::now();
        let err = devices.get_async("REMOTE").await.unwrap_err().to_string();
        let (took, ticked) = (started.elapsed(), ticks.load(Ordering::Relaxed));
        ticker.abort();
        assert!(err.contains("opening the connection"), "{err}");
        assert!(took >= Duration::from_millis(900), "failed before its connect timeout: {took:?}");
        // About 100 ticks in a second; a runtime blocked by the open ticks once, after it.
        assert!(ticked >= 20, "the runtime's only thread ticked {ticked} times in {took:?}");
    });
    drop(silent);
}
