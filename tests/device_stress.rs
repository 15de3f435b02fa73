//! A device never runs a command on a machine it was not made for, whatever runs at once: one
//! thread walks a UnixRemote device between the local shell (a real bash in a pty), the remote
//! (the OpenSSH client against the test sshd on 127.0.0.1, logged in as the test user) and the
//! local root shell (su), again and again, while two threads run `whoami` on it as fast as
//! they can, each made for the state the device was in when it was built. Every `whoami` must
//! either name the user of the state it was made for (the test user on the remote, root
//! locally: the tests run as root) or fail with `WrongState` (the device left that state
//! before it ran); any other answer is a command typed into the wrong shell. Without the state
//! check at an observer's start (src/device/mod.rs, `InState::on_start`) it fails at once: a
//! `whoami` made for one shell typed into another.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use moler::prelude::*;
use moler_testkit::sshd::Sshd;
use serde_json::json;

mod common;

use common::remote_device_yaml;

/// Walks: each goes to the remote, to the local root shell (through the local one) and back.
const WALKS: usize = 6;

#[test]
fn commands_never_run_in_a_shell_they_were_not_made_for_while_the_device_moves() {
    let Some(sshd) = Sshd::require() else { return };
    if !moler_testkit::is_root() {
        moler_testkit::skip("device stress", "su to UNIX_LOCAL_ROOT without a password needs root");
        return;
    }
    let dir = std::env::temp_dir().join(format!("moler-device-stress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let known_hosts = dir.join("known_hosts");
    let password = sshd.user().password.clone();
    let yaml = format!(
        "DEVICES:{}",
        remote_device_yaml("REMOTE", &sshd, &known_hosts, &password, "accept-new")
    );
    let devices = Devices::from_yaml(&yaml).unwrap();
    let remote = devices.get("REMOTE").unwrap();
    let remote_user = sshd.user().name.clone();
    let user_of = move |state: &str| match state {
        "UNIX_REMOTE" => remote_user.clone(),
        _ => "root".to_owned(),
    };

    let walking = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (remote, walking, user_of) =
                (remote.clone(), Arc::clone(&walking), user_of.clone());
            std::thread::spawn(move || {
                let (mut ran, mut refused) = (std::collections::BTreeMap::new(), 0);
                while walking.load(Ordering::Relaxed) {
                    let who = remote.cmd("whoami", json!({})).unwrap();
                    let made_for = who.made_for().to_owned();
                    match who.run() {
                        Ok(v) => {
                            let user = v["USER"].as_str().unwrap_or_default().to_owned();
                            assert_eq!(
                                user,
                                user_of(&made_for),
                                "worker {w}: `whoami` made for {made_for} ran as {user} (device \
                                 in {} now)",
                                remote.state()
                            );
                            *ran.entry(made_for).or_insert(0) += 1;
                        }
                        Err(DeviceError::WrongState(e)) => {
                            assert_eq!(e.made_for, made_for, "worker {w}: {e}");
                            refused += 1;
                        }
                        Err(e) => panic!("worker {w}: `whoami` made for {made_for}: {e}"),
                    }
                }
                (ran, refused)
            })
        })
        .collect();

    let started = Instant::now();
    let walk = (|| {
        for _ in 0..WALKS {
            for state in ["UNIX_REMOTE", "UNIX_LOCAL_ROOT", "UNIX_LOCAL"] {
                remote.goto_state(state).map_err(|e| format!("to {state}: {e}"))?;
                // The device is where it says: a command made now runs there.
                let who = remote.cmd("whoami", json!({})).unwrap().run();
                let who = who.map_err(|e| format!("whoami in {state}: {e}"))?;
                if who["USER"] != user_of(state).as_str() {
                    return Err(format!("whoami in {state} said {}", who["USER"]));
                }
            }
        }
        Ok::<(), String>(())
    })();
    walking.store(false, Ordering::Relaxed);
    let results: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
    if let Err(e) = walk {
        panic!("the walk failed: {e}\nsshd log:\n{}", sshd.log());
    }
    let took = started.elapsed();
    let mut in_states = std::collections::BTreeMap::new();
    let mut refused = 0;
    for result in results {
        let (ran, r) = result.unwrap_or_else(|p| std::panic::resume_unwind(p));
        for (state, n) in ran {
            *in_states.entry(state).or_insert(0) += n;
        }
        refused += r;
    }
    eprintln!("{WALKS} walks in {took:?}: whoami ran {in_states:?}, refused {refused} times");
    // The workers ran in every state the walk went through (else this tested nothing).
    for state in ["UNIX_LOCAL", "UNIX_REMOTE", "UNIX_LOCAL_ROOT"] {
        assert!(
            in_states.get(state).is_some_and(|&n| n > 0),
            "no whoami ran in {state}: {in_states:?}"
        );
    }
    devices.remove_all();
    let _ = std::fs::remove_dir_all(&dir);
}
