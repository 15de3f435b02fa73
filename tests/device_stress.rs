//! A device never runs a command on a machine it was not made for, whatever runs at once: one
//! walker moves a UnixRemote device between the local shell (a real bash in a pty), the remote
//! (the OpenSSH client against the test sshd on 127.0.0.1, logged in as the test user) and the
//! local root shell (su), again and again (every other time it leaves the remote by killing
//! its shell: the device follows the local prompt, no hop), while two workers run `whoami` on
//! it as fast as they can, each made for the state the device was in when it was built. Every
//! `whoami` must either name the user of the state it was made for (the test user on the
//! remote, root locally: the tests run as root) or fail with `WrongState` (the device left that
//! state before it ran); any other answer is a command typed into the wrong shell. With threads
//! and blocking calls, and with tasks on a tokio runtime awaiting. Without the state check at
//! an observer's start (src/device/mod.rs, `InState::on_start`) it fails at once: a `whoami`
//! made for one shell typed into another.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use moler::prelude::*;
use moler_testkit::sshd::Sshd;
use serde_json::{json, Value};

mod common;

use common::remote_device_yaml;

/// Walks: each goes to the remote, to the local root shell (through the local one) and back.
const WALKS: usize = 6;
/// The states of a walk, in order.
const WALK: [&str; 3] = ["UNIX_REMOTE", "UNIX_LOCAL_ROOT", "UNIX_LOCAL"];
/// Long enough for a busy machine; no test waits it out.
const WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The test's device and whom `whoami` names in each state.
struct Rig {
    sshd: Sshd,
    devices: Devices,
    dir: std::path::PathBuf,
}

impl Rig {
    /// `None` (having said why) without sshd or root.
    fn new(tag: &str) -> Option<Rig> {
        let sshd = Sshd::require()?;
        if !moler_testkit::is_root() {
            moler_testkit::skip(
                "device stress",
                "su to UNIX_LOCAL_ROOT without a password needs root",
            );
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("moler-device-stress-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let known_hosts = dir.join("known_hosts");
        let password = sshd.user().password.clone();
        let yaml = format!(
            "DEVICES:{}",
            remote_device_yaml("REMOTE", &sshd, &known_hosts, &password, "accept-new")
        );
        let devices = Devices::from_yaml(&yaml).unwrap();
        Some(Rig { sshd, devices, dir })
    }

    fn user_of(&self) -> impl Fn(&str) -> String + Clone + Send + 'static {
        let remote_user = self.sshd.user().name.clone();
        move |state: &str| match state {
            "UNIX_REMOTE" => remote_user.clone(),
            _ => "root".to_owned(),
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the workers saw: `whoami`s that ran, by the state they were made for, and refusals.
#[derive(Default, Debug)]
struct Tally {
    ran: BTreeMap<String, usize>,
    refused: usize,
}

impl Tally {
    /// Counts a worker's `whoami` made for `made_for`; an error if it ran in the wrong shell.
    fn count(
        &mut self,
        made_for: &str,
        result: Result<Value, DeviceError>,
        user_of: &impl Fn(&str) -> String,
    ) -> Result<(), String> {
        match result {
            Ok(v) => {
                let user = v["USER"].as_str().unwrap_or_default();
                if user != user_of(made_for) {
                    return Err(format!("`whoami` made for {made_for} ran as {user}"));
                }
                *self.ran.entry(made_for.to_owned()).or_insert(0) += 1;
            }
            Err(DeviceError::WrongState(e)) if e.made_for == made_for => self.refused += 1,
            Err(e) => return Err(format!("`whoami` made for {made_for}: {e}")),
        }
        Ok(())
    }

    fn add(&mut self, other: Tally) {
        for (state, n) in other.ran {
            *self.ran.entry(state).or_insert(0) += n;
        }
        self.refused += other.refused;
    }

    /// The workers ran in every state the walk went through (else this tested nothing).
    fn check(&self, what: &str, took: std::time::Duration) {
        eprintln!(
            "{what}: {WALKS} walks in {took:?}: whoami ran {:?}, refused {} times",
            self.ran, self.refused
        );
        for state in WALK {
            assert!(
                self.ran.get(state).is_some_and(|&n| n > 0),
                "no whoami ran in {state}: {self:?}"
            );
        }
    }
}

/// After each step of the walk: a command made now runs where the device says it is.
fn walked_to(
    state: &str,
    who: Result<Value, DeviceError>,
    user_of: &impl Fn(&str) -> String,
) -> Result<(), String> {
    let who = who.map_err(|e| format!("whoami in {state}: {e}"))?;
    if who["USER"] != user_of(state).as_str() {
        return Err(format!("whoami in {state} said {}", who["USER"]));
    }
    Ok(())
}

/// Kills the shell the device is in (its process, from outside).
fn kill_the_shell(device: &Device) -> Result<(), String> {
    kill_pid(device.observe(shell_pid(device)).unwrap().run())
}

/// The command that prints the pid of the shell `device` is in.
fn shell_pid(device: &Device) -> Command<moler_core::Lines> {
    Command::lines("echo $$", device.prompt().unwrap_or_default())
}

/// Kills the process `echo $$` printed.
fn kill_pid(pid: Result<Vec<String>, DeviceError>) -> Result<(), String> {
    let pid = pid.map_err(|e| format!("echo $$: {e}"))?;
    let pid: u32 =
        pid.iter().find_map(|l| l.trim().parse().ok()).ok_or(format!("no pid in {pid:?}"))?;
    let killed = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    match killed {
        Ok(s) if s.success() => Ok(()),
        other => Err(format!("kill -KILL {pid}: {other:?}")),
    }
}

#[test]
fn commands_never_run_in_a_shell_they_were_not_made_for_while_the_device_moves() {
    let Some(rig) = Rig::new("threads") else { return };
    let remote = rig.devices.get("REMOTE").unwrap();
    let user_of = rig.user_of();
    let walking = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (remote, walking, user_of) =
                (remote.clone(), Arc::clone(&walking), user_of.clone());
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                while walking.load(Ordering::Relaxed) {
                    let who = remote.cmd("whoami", json!({})).unwrap();
                    let made_for = who.made_for().to_owned();
                    let counted = tally.count(&made_for, who.run(), &user_of);
                    counted.map_err(|e| {
                        format!("worker {w}: {e} (device in {} now)", remote.state())
                    })?;
                }
                Ok::<Tally, String>(tally)
            })
        })
        .collect();
    let started = Instant::now();
    let walk = (|| {
        for walk in 0..WALKS {
            for state in WALK {
                remote.goto_state(state).map_err(|e| format!("to {state}: {e}"))?;
                walked_to(state, remote.cmd("whoami", json!({})).unwrap().run(), &user_of)?;
                if state == "UNIX_REMOTE" && walk % 2 == 1 {
                    // The remote shell dies under the workers: the local prompt moves the
                    // device back (its prompt watch), no hop.
                    kill_the_shell(&remote)?;
                    let back = remote.wait_for_state("UNIX_LOCAL", WAIT);
                    back.map_err(|e| format!("back to UNIX_LOCAL: {e}"))?;
                }
            }
        }
        Ok::<(), String>(())
    })();
    walking.store(false, Ordering::Relaxed);
    let mut tally = Tally::default();
    for worker in workers {
        let seen = worker.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        tally.add(seen.unwrap_or_else(|e| panic!("{e}")));
    }
    if let Err(e) = walk {
        panic!("the walk failed: {e}\nsshd log:\n{}", rig.sshd.log());
    }
    tally.check("threads", started.elapsed());
    rig.devices.remove_all();
}

#[test]
fn awaited_commands_never_run_in_a_shell_they_were_not_made_for_while_the_device_moves() {
    let Some(rig) = Rig::new("tasks") else { return };
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let user_of = rig.user_of();
    let started = Instant::now();
    let (walk, tally) = rt.block_on(async {
        let remote = rig.devices.get_async("REMOTE").await.unwrap();
        let walking = Arc::new(AtomicBool::new(true));
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let (remote, walking, user_of) =
                    (remote.clone(), Arc::clone(&walking), user_of.clone());
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    while walking.load(Ordering::Relaxed) {
                        let who = remote.cmd("whoami", json!({})).unwrap();
                        let made_for = who.made_for().to_owned();
                        let result = who.start().await.map_err(DeviceError::from);
                        let counted = tally.count(&made_for, result, &user_of);
                        counted.map_err(|e| {
                            format!("task {w}: {e} (device in {} now)", remote.state())
                        })?;
                    }
                    Ok::<Tally, String>(tally)
                })
            })
            .collect();
        let walk = async {
            for walk in 0..WALKS {
                for state in WALK {
                    remote.goto_state_async(state).await.map_err(|e| format!("to {state}: {e}"))?;
                    let who = remote.cmd("whoami", json!({})).unwrap().start().await;
                    walked_to(state, who.map_err(DeviceError::from), &user_of)?;
                    if state == "UNIX_REMOTE" && walk % 2 == 0 {
                        let pid = remote.observe(shell_pid(&remote)).unwrap().start().await;
                        kill_pid(pid.map_err(DeviceError::from))?;
                        let back = remote.wait_for_state_async("UNIX_LOCAL").await;
                        back.map_err(|e| format!("back to UNIX_LOCAL: {e}"))?;
                    }
                }
            }
            Ok::<(), String>(())
        }
        .await;
        walking.store(false, Ordering::Relaxed);
        let mut tally = Tally::default();
        for worker in workers {
            tally.add(worker.await.unwrap().unwrap_or_else(|e| panic!("{e}")));
        }
        rig.devices.remove_all_async().await;
        (walk, tally)
    });
    if let Err(e) = walk {
        panic!("the walk failed: {e}\nsshd log:\n{}", rig.sshd.log());
    }
    tally.check("tokio tasks", started.elapsed());
}
