//! Many devices at once on tokio: `--devices N` devices of class `UnixLocal` over TCP to the
//! device simulator, whose shell shows its first prompt only after `--delay-ms` (200) and whose
//! `su` hop answers after the same delay.
//!
//! 1. All N are made concurrently (`Devices::get_async`, each in its own task), each running
//!    one command (`echo`) as soon as it is up.
//! 2. Every device then walks to UNIX_LOCAL_ROOT at once (`Device::goto_state_bg`, `su`).
//! 3. All are removed (`Devices::remove_all_async`: `exit`, then the connection closes).
//!
//! Prints the wall time of each phase, the OS threads of the process (peak, sampled every
//! 10 ms by a task), and the RSS per device; the last line is JSON. Goal: the delays overlap
//! (each phase near one delay, far from N × delay one at a time) and threads stay at most
//! cores + 4 (the runtime's workers, the simulator's thread, main).
//!
//! `cargo bench --bench devices -- --devices 1000 [--delay-ms 200]`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler::commands::unix::Echo;
use moler::Devices;
use moler_testkit::{SimOptions, Simulator};

#[path = "support/mod.rs"]
mod common;

fn main() {
    let n: usize = common::arg_or("--devices", if common::smoke() { 20 } else { 1000 });
    let delay = Duration::from_millis(common::arg_or("--delay-ms", 200));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());

    let options =
        SimOptions::default().prompt("moler_bash# ").first_prompt_after(delay).hop_after(delay);
    let sim = Simulator::start_with(([127, 0, 0, 1], 0).into(), options).expect("simulator");
    let mut yaml = String::from("DEVICES:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  SIM{i}:
    DEVICE_CLASS: UnixLocal
    CONNECTION_DESC: {{io_type: tcp, host: 127.0.0.1, port: {port}, ready_prompt: 'moler_bash# ', ready_timeout: 600}}
    CONNECTION_HOPS:
      UNIX_LOCAL:
        UNIX_LOCAL_ROOT:
          execute_command: su
          command_params: {{password: sim, expected_prompt: '^root@sim# ', timeout: 600}}
",
            port = sim.port()
        ));
    }
    let devices = Devices::from_yaml(&yaml).expect("the devices' YAML");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    let (rss0, threads0) = (common::peak_rss_kib(), common::threads());
    let peak = Arc::new(AtomicUsize::new(threads0));
    let (made, hopped, removed) = rt.block_on(async {
        let sampler = {
            let peak = Arc::clone(&peak);
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(common::threads(), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };

        // 1. Made concurrently, one command each.
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let devices = devices.clone();
                tokio::spawn(async move {
                    let device = devices.get_async(&format!("SIM{i}")).await.unwrap();
                    let echo = Echo::new().text(format!("device{i}")).text_in_quotation(false);
                    let out = device.start(echo).unwrap().await.unwrap();
                    assert_eq!(out.result, [format!("device{i}")]);
                    device
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for t in tasks {
            all.push(t.await.unwrap());
        }
        let made = t0.elapsed();

        // 2. Every device to UNIX_LOCAL_ROOT at once.
        let t1 = Instant::now();
        let changes: Vec<_> = all.iter().map(|d| d.goto_state_bg("UNIX_LOCAL_ROOT")).collect();
        for c in changes {
            c.await.unwrap();
        }
        let hopped = t1.elapsed();
        assert!(all.iter().all(|d| d.state() == "UNIX_LOCAL_ROOT"));
        peak.fetch_max(common::threads(), Ordering::Relaxed);

        // 3. All removed: each walks down (`exit`) and closes.
        let t2 = Instant::now();
        devices.remove_all_async().await;
        let removed = t2.elapsed();
        assert!(all.iter().all(|d| d.state() == "NOT_CONNECTED"));
        sampler.abort();
        (made, hopped, removed)
    });
    let peak_threads = peak.load(Ordering::Relaxed);
    let rss = common::peak_rss_kib();
    let per_device = (rss - rss0) / n as f64;
    let one_at_a_time = delay.as_secs_f64() * n as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{n} devices (UnixLocal over TCP to the simulator, first prompt and su after {} ms) on tokio ({cores} workers)",
        delay.as_millis()
    );
    println!(
        "  made + one command each: {:>8.0} ms  (one at a time: {:.0} ms)",
        ms(made),
        one_at_a_time * 1e3
    );
    println!("  all to UNIX_LOCAL_ROOT:  {:>8.0} ms", ms(hopped));
    println!("  all removed:             {:>8.0} ms", ms(removed));
    println!(
        "  OS threads:              {peak_threads} peak (before: {threads0}; goal <= cores + 4 = {})",
        cores + 4
    );
    println!("  peak RSS:                {:.1} MiB, {per_device:.1} KiB per device", rss / 1024.0);
    println!(
        "{{\"bench\":\"devices\",\"devices\":{n},\"delay_ms\":{},\"made_ms\":{:.1},\"hop_ms\":{:.1},\"removed_ms\":{:.1},\"threads\":{peak_threads},\"cores\":{cores},\"peak_rss_kib\":{rss:.0},\"rss_per_device_kib\":{per_device:.1}}}",
        delay.as_millis(),
        ms(made),
        ms(hopped),
        ms(removed)
    );
    // What the design promises, checked on every run (the smoke run under `cargo test` too):
    // no thread per device or per state change.
    assert!(peak_threads <= cores + 4, "{peak_threads} threads for {n} devices");
    drop(sim);
}
